"""Where a cache lives, and that it is computed once: found in memory, then on disk."""
import numpy as np

from bert_keras.config import TrainConfig
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.cache import Placement, get_states, memory_budget, place


def test_placement_by_budget(tmp_path):
    config = TrainConfig(out="unused", cache_memory_gb=1, cache_dir=str(tmp_path / "cache"))
    assert place(2**29, config).location == "memory"
    assert place(2**31, config).location == "disk"          # over the budget, but the disk has room
    assert place(2**60, config).location is None            # an exabyte: nowhere; the run trains inline
    assert memory_budget(TrainConfig(out="unused")) > 2**28  # a quarter of this machine's RAM


def fake_compute(calls):
    def compute(boundaries, allocate):
        calls.append(sorted(boundaries))
        result = {}
        for boundary in boundaries:
            values = (allocate or (lambda b, shape, dtype: np.empty(shape, dtype)))(boundary, (5, 2), np.float32)
            values[:] = boundary
            result[boundary] = store.HiddenStates(values, np.array([0, 2, 5]), np.array([0.0, 1.0], np.float32))
        return result
    return compute


def test_states_are_computed_once_then_found(tmp_path):
    keys = {b: {"test": str(tmp_path), "boundary": b} for b in (1, 3)}
    calls = []
    in_memory = Placement("memory", 40, tmp_path / "cache")
    first = get_states(keys, in_memory, fake_compute(calls))
    again = get_states({3: keys[3]}, in_memory, fake_compute(calls))  # this process remembers it
    assert calls == [[1, 3]] and again[3] is first[3] and float(first[3].values[0, 0]) == 3.0


def test_states_on_disk_are_written_whole_and_read_by_the_next_run(tmp_path):
    keys = {2: {"test": str(tmp_path), "disk": True}}
    calls = []
    on_disk = Placement("disk", 40, tmp_path / "cache")
    states = get_states(keys, on_disk, fake_compute(calls))[2]
    assert isinstance(states.values, np.memmap) and float(states.values[4, 1]) == 2.0
    folder = tmp_path / "cache" / store.cache_key(keys[2])
    assert sorted(p.name for p in folder.iterdir()) == ["key.json", "labels.npy", "row_splits.npy", "values.npy"]
    assert get_states(keys, on_disk, fake_compute(calls))[2].size == 2 and calls == [[2]]
