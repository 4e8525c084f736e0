"""A run's cache: what it depends on, where it lives, and getting it (or building it once).

In memory when its estimated size fits the budget (`cache_memory_gb`, by default
a quarter of the machine's RAM), else on disk under `cache_dir` (by default
BERT_KERAS_HOME/cache), in a folder keyed by everything the states depend on: a
rerun, a resumed run or another trial of a search reuses it. A cache too big for
both is not built: the run trains inline and says so.
"""

import contextlib
import dataclasses
import os
import shutil
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import tf_keras

from bert_keras.data.pipeline import review_text
from bert_keras.data.spec import DataSpec
from bert_keras.encoders.layout import bert_keras_home
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import atomic_directory
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.build import compute_states
from bert_keras.notices import say

SAMPLE = 512  # reviews tokenized to estimate the cache's size
DISK_HEADROOM = 1.2  # free disk a cache on disk needs, in units of its size


@dataclasses.dataclass(frozen=True)
class Placement:
    location: str | None  # "memory", "disk", or None: too big for both
    estimated_bytes: int
    directory: Path  # where a cache on disk lives, one folder per key


# A CacheOptions field with this metadata says where states are kept, not what they are:
# it stays out of their key.
WHERE = {"where": True}


@dataclasses.dataclass(frozen=True)
class CacheOptions:
    """How a run's states are computed and kept, and where they may go."""

    max_seq_length: int  # tokens per example, as the run tokenizes
    text_fields: str  # as the run joins title and content
    dtype: np.dtype  # the states' (`storage_dtype`)
    # bytes a cache may take in memory (`memory_budget`)
    memory_budget: int = dataclasses.field(metadata=WHERE)
    # where caches too big for memory go, one folder per key
    directory: Path = dataclasses.field(metadata=WHERE)


def _file_stats(path: Path) -> list:
    """[path, size, modification time] of a file, or of every file under a directory."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [
        [str(f.absolute()), f.stat().st_size, f.stat().st_mtime_ns] for f in files if f.is_file()
    ]


def describe_states(
    data: DataSpec, options: CacheOptions, encoder_path: str, slot: tuple[str, int], shard
) -> dict:
    """Everything the states of `slot` (a split's name and a boundary) depend on: the key
    of their cache. Every field of `data` and of `options` but where the states are kept
    goes in, read off the types: a new setting cannot be left out. shard: (index, count)."""
    encoder = Path(encoder_path)
    split, boundary = slot
    return {
        "format": 2,
        "encoder": str(encoder.absolute()),
        "encoder_files": _file_stats(encoder / "saved_model.pb")
        + _file_stats(encoder / "variables"),
        "data": dataclasses.asdict(data),
        "data_files": _file_stats(Path(data.data)),
        "states": {
            field.name: str(getattr(options, field.name))
            for field in dataclasses.fields(options)
            if field.metadata != WHERE
        },
        "split": split,
        "boundary": boundary,
        "shard": list(shard),
    }


def memory_budget(cache_memory_gb: float | None) -> int:
    """`cache_memory_gb` in bytes; None: a quarter of the machine's RAM."""
    if cache_memory_gb is not None:
        return int(cache_memory_gb * 2**30)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4


def cache_directory(cache_dir: str | None) -> Path:
    return Path(cache_dir) if cache_dir else bert_keras_home() / "cache"


def storage_dtype(compute_precision: str) -> np.dtype:
    """What the states are kept in: the run's compute dtype (bfloat16 under mixed_bfloat16),
    whose numbers they are exactly: half the bytes of float32, and nothing lost."""
    return np.dtype(
        tf.as_dtype(tf_keras.mixed_precision.Policy(compute_precision).compute_dtype).as_numpy_dtype
    )


def estimate_bytes(
    preprocessor, examples, count: int, options: CacheOptions, *, hidden: int
) -> int:
    """The cache's size for `count` examples, from the mean length of a sample of them."""
    sample = next(iter(examples.batch(SAMPLE)))
    tokens = preprocessor.bert_pack_inputs(
        [preprocessor.tokenize(review_text(sample, options.text_fields))],
        seq_length=options.max_seq_length,
    )["input_mask"]
    mean_length = float(tokens.numpy().sum()) / len(tokens)
    return int(count * mean_length * hidden * options.dtype.itemsize)


def place(estimated: int, options: CacheOptions) -> Placement:
    directory = options.directory
    existing = _existing_ancestor(directory)  # a rerun looks there, wherever this cache goes
    if not existing.is_dir():
        where = "" if existing == directory.absolute() else f" ({existing})"
        raise UserInputError(
            f"cache_dir={directory}: is{' under' if where else ''} a file{where}, not a directory"
        )
    if estimated <= options.memory_budget:
        return Placement("memory", estimated, directory)
    free = shutil.disk_usage(existing).free
    return Placement("disk" if estimated * DISK_HEADROOM <= free else None, estimated, directory)


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def describe_placement(placement: Placement) -> str:
    size = f"about {placement.estimated_bytes / 2**20:,.0f} MiB"
    if placement.location == "memory":
        return f"{size}, in memory"
    return f"{size}, on disk under {placement.directory}"


def get_states(keys: dict, placement: Placement, compute) -> dict:
    """{slot: HiddenStates}, from this process's memory, the disk, or `compute(missing
    slots, allocate)` (one pass for all of them), kept where `placement` says.
    keys: {slot (a split's name and a boundary): what its states depend on}."""
    found, missing = {}, []
    for slot, description in keys.items():
        key = store.cache_key(description)
        # a search's, or a rerun's
        states = store.remembered(key) or store.load(placement.directory / key)
        if states is None:
            missing.append(slot)
        else:
            found[slot] = states
    if missing:
        start = time.perf_counter()
        if placement.location == "disk":
            found.update(
                _compute_on_disk({s: keys[s] for s in missing}, placement.directory, compute)
            )
        else:
            for slot, states in compute(missing, None).items():
                store.remember(store.cache_key(keys[slot]), states)
                found[slot] = states
        say(f"frozen prefix computed in {time.perf_counter() - start:.1f}s")
    return found


def _compute_on_disk(keys: dict, root: Path, compute) -> dict:
    """Computes straight into files mapped from staging folders, then renames each into place."""
    with contextlib.ExitStack() as stack:
        # A build killed midway leaves no folder under its key, only staging that the next
        # build removes.
        staging = {
            s: stack.enter_context(atomic_directory(root / store.cache_key(keys[s]))) for s in keys
        }

        def allocate(slot, shape, dtype):
            return store.mapped_values(staging[slot], shape, dtype)

        states = compute(sorted(keys), allocate)
        for slot, result in states.items():
            store.finish(result, staging[slot], keys[slot])
    return {s: store.load(root / store.cache_key(keys[s])) for s in keys}


def computer(encoder, preprocessor, splits: dict, options: CacheOptions):
    """compute(slots, allocate) for `get_states`: one pass over the splits the (split name,
    boundary) slots name. splits: {name: unbatched examples}."""
    return lambda slots, allocate: compute_states(
        encoder,
        preprocessor,
        {name: examples for name, examples in splits.items() if name in {n for n, _ in slots}},
        max_seq_length=options.max_seq_length,
        text_fields=options.text_fields,
        slots=sorted(slots),
        dtype=options.dtype,
        allocate=allocate,
    )
