"""Hidden states of a split, kept: in memory, or on disk in a folder written whole.

Example i's states are values[row_splits[i]:row_splits[i + 1]]: one row of
`hidden` floats per token, unpadded, so that batches are padded only to their
own length bucket, as the token pipeline pads them.

A folder on disk is keyed by everything the states depend on (the encoder and
its files, the data, the boundary, the sequence length, the shard), so a rerun,
a resumed run or another trial of a search reads it instead of computing it again.
"""

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import tensorflow as tf

FILES = ("values.npy", "row_splits.npy", "labels.npy")
# this process's caches, by key (a search's trials share them)
_IN_MEMORY: dict[str, "HiddenStates"] = {}


@dataclasses.dataclass
class HiddenStates:
    # [tokens, hidden] in the encoder's compute dtype: np.ndarray in memory, np.memmap on disk.
    # Numpy in memory too: tf.constant of it would hold two more copies at its peak (a run's
    # peak RSS was 3x the cache's size above inline); the pipeline reads a batch's rows from either.
    values: np.ndarray
    row_splits: np.ndarray  # [examples + 1] int64
    labels: np.ndarray  # [examples] float32 label indices, or [examples, N] 0/1 (multi-label)

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.row_splits).astype(np.int32)

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.row_splits.nbytes + self.labels.nbytes


def cache_key(description: dict) -> str:
    """A short stable name for everything a cache depends on."""
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:20]


def remembered(key: str) -> HiddenStates | None:
    return _IN_MEMORY.get(key)


def remember(key: str, states: HiddenStates):
    _IN_MEMORY[key] = states


def forget_all():
    """Releases this process's caches: a run's once it ends, a search's once its trials have."""
    _IN_MEMORY.clear()


def load(directory: Path) -> HiddenStates | None:
    """States a finished build wrote to `directory`, mapped from disk; None if there are none."""
    directory = Path(directory)
    if not all((directory / name).is_file() for name in FILES):
        return None
    values = np.load(directory / FILES[0], mmap_mode="r")  # read from disk as batches need it
    if values.dtype == np.dtype("V2"):  # .npy has no bfloat16: numpy reads it back as 2-byte voids
        values = values.view(tf.bfloat16.as_numpy_dtype)
    row_splits, labels = (np.load(directory / name) for name in FILES[1:])
    return HiddenStates(values, row_splits, labels)


def mapped_values(folder: Path, shape: tuple, dtype=np.float32) -> np.ndarray:
    """An array of `shape` in folder/values.npy, to fill in place."""
    return np.lib.format.open_memmap(folder / FILES[0], mode="w+", dtype=dtype, shape=shape)


def finish(states: HiddenStates, folder: Path, description: dict):
    """Completes a staging folder whose values.npy `states` filled."""
    states.values.flush()
    np.save(folder / FILES[1], states.row_splits)
    np.save(folder / FILES[2], states.labels)
    (folder / "key.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
