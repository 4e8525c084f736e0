"""Where a cache lives, and that it is computed once: found in memory, then on disk."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bert_keras.data.columns import Columns
from bert_keras.data.spec import DataSpec
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.cache import (
    CacheOptions,
    Placement,
    cache_directory,
    describe_states,
    get_states,
    memory_budget,
    place,
)


def test_placement_by_budget(tmp_path):
    budget = memory_budget(cache_memory_gb=1)
    assert budget == 2**30
    options = CacheOptions(128, "title_content", np.dtype("float32"), budget, tmp_path / "cache")
    assert place(2**29, options).location == "memory"
    assert place(2**31, options).location == "disk"  # over the budget, but the disk has room
    assert place(2**60, options).location is None  # an exabyte: nowhere; the run trains inline
    assert memory_budget(None) > 2**28  # a quarter of this machine's RAM
    assert cache_directory(str(tmp_path)) == tmp_path and cache_directory(None).name == "cache"


# Another value of every setting the states depend on. A field added to DataSpec, Columns
# or CacheOptions fails the test below until it has a row here.
OTHER_DATA = {
    "data": "other.csv",
    "test_data": "test.csv",
    "train_split": "train[:100]",
    "test_split": "validation",
    "limit": 50,
    "text_fields": "content",
    "on_bad_record": "skip",
    "labels": ("positive", "negative"),
    "validation_split": 0.2,
    "tfds_data_dir": "tfds",
    "tfds_manual_dir": "manual",
}
OTHER_COLUMNS = {
    "text": ("title", "body"),
    "label": "stars",
    "delimiter": ";",
    "multi_label": False,  # the base reads several labels a record, so that no label may be allowed
    "label_delimiter": ",",
    "allow_no_label": True,
}
OTHER_STATES = {"max_seq_length": 64, "text_fields": "content", "dtype": np.dtype("float16")}
WHERE_KEPT = {"memory_budget": 0, "directory": Path("elsewhere")}


def _key(tmp_path, data=None, options=None, slot=("train", 1), shard=(0, 1)):
    data = data or DataSpec(str(tmp_path / "reviews.csv"), labels=("negative", "positive"))
    options = options or CacheOptions(128, "title_content", np.dtype("float32"), 2**30, tmp_path)
    return store.cache_key(describe_states(data, options, str(tmp_path / "encoder"), slot, shard))


def test_every_setting_the_states_depend_on_is_in_their_key(tmp_path):
    """Each setting of the data, the columns and the states changed alone gives another
    key (a rerun computes again); where the states are kept does not."""
    fields = [f.name for f in dataclasses.fields(DataSpec)]
    assert sorted(OTHER_DATA) == sorted(set(fields) - {"columns"})
    assert sorted(OTHER_COLUMNS) == sorted(f.name for f in dataclasses.fields(Columns))
    assert sorted({**OTHER_STATES, **WHERE_KEPT}) == sorted(
        f.name for f in dataclasses.fields(CacheOptions)
    )
    (tmp_path / "encoder" / "variables").mkdir(parents=True)
    (tmp_path / "encoder" / "saved_model.pb").write_bytes(b"graph")
    (tmp_path / "reviews.csv").write_text("text,label\ngood,positive\n")
    base = DataSpec(
        str(tmp_path / "reviews.csv"),
        columns=Columns(multi_label=True),
        labels=("negative", "positive"),
    )
    options = CacheOptions(128, "title_content", np.dtype("float32"), 2**30, tmp_path)
    key = _key(tmp_path, base, options)
    keys = {key}
    for name, value in OTHER_DATA.items():
        keys.add(_key(tmp_path, dataclasses.replace(base, **{name: value}), options))
    for name, value in OTHER_COLUMNS.items():
        columns = dataclasses.replace(base.columns, **{name: value})
        keys.add(_key(tmp_path, dataclasses.replace(base, columns=columns), options))
    for name, value in OTHER_STATES.items():
        keys.add(_key(tmp_path, base, dataclasses.replace(options, **{name: value})))
    keys.add(_key(tmp_path, base, options, slot=("validation", 1)))
    keys.add(_key(tmp_path, base, options, slot=("train", 2)))
    keys.add(_key(tmp_path, base, options, shard=(1, 2)))
    expected = 1 + len(OTHER_DATA) + len(OTHER_COLUMNS) + len(OTHER_STATES) + 3
    assert len(keys) == expected, "each change gives a key of its own"
    for name, value in WHERE_KEPT.items():
        assert _key(tmp_path, base, dataclasses.replace(options, **{name: value})) == key, name
    (tmp_path / "reviews.csv").write_text("text,label\nbad,negative\n")  # the data rewritten
    assert _key(tmp_path, base, options) not in keys
    os.utime(tmp_path / "encoder" / "saved_model.pb", ns=(1, 1))  # another encoder file
    assert _key(tmp_path, base, options) not in keys


def fake_compute(calls):
    def compute(slots, allocate):
        calls.append(sorted(slots))
        result = {}
        for slot in slots:
            values = (allocate or (lambda s, shape, dtype: np.empty(shape, dtype)))(
                slot, (5, 2), np.float32
            )
            values[:] = slot[1]
            result[slot] = store.HiddenStates(
                values, np.array([0, 2, 5]), np.array([0.0, 1.0], np.float32)
            )
        return result

    return compute


def test_states_are_computed_once_then_found(tmp_path):
    keys = {
        (split, b): {"test": str(tmp_path), "split": split, "boundary": b}
        for split in ("train", "validation")
        for b in (1, 3)
    }
    calls = []
    in_memory = Placement("memory", 40, tmp_path / "cache")
    first = get_states(keys, in_memory, fake_compute(calls))
    slot = ("validation", 3)
    again = get_states({slot: keys[slot]}, in_memory, fake_compute(calls))  # remembered
    assert calls == [sorted(keys)], "one pass for every split and boundary"
    assert again[slot] is first[slot] and float(first[slot].values[0, 0]) == 3.0


def test_states_on_disk_are_written_whole_and_read_by_the_next_run(tmp_path):
    slot = ("train", 2)
    keys = {slot: {"test": str(tmp_path), "disk": True}}
    calls = []
    on_disk = Placement("disk", 40, tmp_path / "cache")
    states = get_states(keys, on_disk, fake_compute(calls))[slot]
    assert isinstance(states.values, np.memmap) and float(states.values[4, 1]) == 2.0
    folder = tmp_path / "cache" / store.cache_key(keys[slot])
    assert sorted(p.name for p in folder.iterdir()) == [
        "key.json",
        "labels.npy",
        "row_splits.npy",
        "values.npy",
    ]
    assert get_states(keys, on_disk, fake_compute(calls))[slot].size == 2 and calls == [[slot]]


PEAK_SCRIPT = """
import sys

import bert_keras
import numpy as np
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.cache import Placement, get_states
from bert_keras.frozen_prefix.pipeline import cached_training_stream
from pathlib import Path

def status(field):  # MiB
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) / 1024

# what compute_states returns: states in an array it fills in place
def compute(slots, allocate):
    values = np.empty((examples * 128, 384), np.float32)
    values[:] = 0.5
    return {slots[0]: store.HiddenStates(values, np.arange(0, examples * 128 + 1, 128),
                                              np.zeros(examples, np.float32))}

def one_epoch(states):
    for _ in cached_training_stream(states, states.size, batch_size=32, max_seq_length=128,
                                    seed=1, first_epoch=0, epochs=1,
                                    batches_per_epoch=states.size // 32):
        pass

in_memory = Placement("memory", 0, Path(sys.argv[2]))
examples = 64
warm_up = {"warm-up": {"warm-up": 1}}
one_epoch(get_states(warm_up, in_memory, compute)["warm-up"])  # TensorFlow's own memory
examples = int(sys.argv[1])
open("/proc/self/clear_refs", "w").write("5")  # the peak RSS starts again from here
before = status("VmRSS")
states = get_states({"train": {"test": 1}}, in_memory, compute)["train"]
one_epoch(states)
print(status("VmHWM") - before, examples * 128 * 384 * 4 / 2**20)
"""


@pytest.mark.integration
def test_a_cache_in_memory_costs_its_size_once_at_the_peak(tmp_path):
    """A fresh process builds a cache in memory and trains an epoch from it: twice the cache,
    192 MiB more, raises the peak RSS by about 192 MiB more (the batches in flight cost the
    same in both), not two or three times that: nothing holds a second whole copy of it (a
    TensorFlow tensor made of it did, and its making a third)."""
    growth = {}
    for examples in (1024, 2048):
        result = subprocess.run(
            [sys.executable, "-c", PEAK_SCRIPT, str(examples), str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        grown, size = map(float, result.stdout.split())
        growth[size] = grown
    (small, grown_small), (large, grown_large) = sorted(growth.items())
    assert (small, large) == (192.0, 384.0)
    assert grown_large - grown_small < 1.3 * (large - small), (
        f"peak RSS by cache size (MiB): {growth}"
    )
