"""Hidden states kept unpadded, keyed by what they depend on, and released when a run ends."""

import numpy as np

from bert_keras.files.atomic import atomic_directory
from bert_keras.frozen_prefix import states as store


def states():
    # [tokens, hidden]: example 0 has 2 tokens, 1 has 3
    values = np.arange(10, dtype=np.float32).reshape(5, 2)
    return store.HiddenStates(
        values, np.array([0, 2, 5], np.int64), np.array([1.0, 0.0], np.float32)
    )


def test_lengths_size_and_bytes_come_from_the_row_splits():
    kept = states()
    assert kept.size == 2 and kept.lengths.tolist() == [2, 3]
    assert kept.nbytes == 5 * 2 * 4 + 3 * 8 + 2 * 4


def test_the_key_changes_with_any_setting_and_not_with_their_order():
    key = store.cache_key({"boundary": 4, "max_seq_length": 128})
    assert key == store.cache_key({"max_seq_length": 128, "boundary": 4})
    assert key != store.cache_key({"boundary": 3, "max_seq_length": 128})


def test_a_folder_is_read_only_once_whole(tmp_path):
    with atomic_directory(tmp_path / "key") as folder:
        values = store.mapped_values(folder, (5, 2))
        assert store.load(folder) is None, "values alone are no cache"
        values[:] = states().values
        store.finish(
            store.HiddenStates(values, states().row_splits, states().labels),
            folder,
            {"boundary": 1},
        )
    loaded = store.load(tmp_path / "key")
    assert isinstance(loaded.values, np.memmap)
    np.testing.assert_array_equal(loaded.values, states().values)
    assert loaded.row_splits.tolist() == [0, 2, 5] and loaded.labels.tolist() == [1.0, 0.0]


def test_remembered_states_are_released_by_forget_all():
    store.remember("k", states())
    assert store.remembered("k") is not None
    store.forget_all()
    assert store.remembered("k") is None
