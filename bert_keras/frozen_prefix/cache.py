"""A run's cache: what it depends on, where it lives, and getting it (or building it once).

In memory when its estimated size fits the budget (`--cache-memory-gb`, by default
a quarter of the machine's RAM), else on disk under `--cache-dir` (by default
BERT_KERAS_HOME/cache), in a folder keyed by everything the states depend on: a
rerun, a resumed run or another trial of a search reuses it. A cache too big for
both is not built: the run trains inline and says so.
"""

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from bert_keras.data.pipeline import review_text
from bert_keras.encoders.layout import bert_keras_home
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import atomic_directory
from bert_keras.frozen_prefix import states as store
from bert_keras.frozen_prefix.build import compute_states

SAMPLE = 512  # reviews tokenized to estimate the cache's size
DISK_HEADROOM = 1.2  # free disk a cache on disk needs, in units of its size


@dataclasses.dataclass(frozen=True)
class Placement:
    location: str | None  # "memory", "disk", or None: too big for both
    estimated_bytes: int
    directory: Path  # where a cache on disk lives, one folder per key


def memory_budget(config) -> int:
    if config.cache_memory_gb is not None:
        return int(config.cache_memory_gb * 2**30)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4


def storage_dtype(config) -> np.dtype:
    """What the states are kept in: the run's compute dtype (bfloat16 under mixed_bfloat16),
    whose numbers they are exactly: half the bytes of float32, and nothing lost."""
    import tensorflow as tf
    import tf_keras

    return np.dtype(
        tf.as_dtype(
            tf_keras.mixed_precision.Policy(config.compute_precision).compute_dtype
        ).as_numpy_dtype
    )


def estimate_bytes(preprocessor, examples, count: int, config, *, hidden: int) -> int:
    """The cache's size for `count` examples, from the mean length of a sample of them."""
    sample = next(iter(examples.batch(SAMPLE)))
    tokens = preprocessor.bert_pack_inputs(
        [preprocessor.tokenize(review_text(sample, config.text_fields))],
        seq_length=config.max_seq_length,
    )["input_mask"]
    mean_length = float(tokens.numpy().sum()) / len(tokens)
    return int(count * mean_length * hidden * storage_dtype(config).itemsize)


def place(estimated: int, config) -> Placement:
    directory = Path(config.cache_dir) if config.cache_dir else bert_keras_home() / "cache"
    existing = _existing_ancestor(directory)  # a rerun looks there, wherever this cache goes
    if not existing.is_dir():
        where = "" if existing == directory.absolute() else f" ({existing})"
        raise UserInputError(
            f"cache_dir={directory}: is{' under' if where else ''} a file{where}, not a directory"
        )
    if estimated <= memory_budget(config):
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


def get_states(keys: dict[int, dict], placement: Placement, compute) -> dict:
    """{boundary: HiddenStates}, from this process's memory, the disk, or `compute(missing
    boundaries, allocate)` (one pass for all of them), kept where `placement` says.
    keys: {boundary: what that boundary's states depend on}."""
    found, missing = {}, []
    for boundary, description in keys.items():
        key = store.cache_key(description)
        # a search's, or a rerun's
        states = store.remembered(key) or store.load(placement.directory / key)
        if states is None:
            missing.append(boundary)
        else:
            found[boundary] = states
    if missing:
        start = time.perf_counter()
        if placement.location == "disk":
            found.update(
                _compute_on_disk({b: keys[b] for b in missing}, placement.directory, compute)
            )
        else:
            for boundary, states in compute(missing, None).items():
                store.remember(store.cache_key(keys[boundary]), states)
                found[boundary] = states
        print(
            f"bert-keras: frozen prefix computed in {time.perf_counter() - start:.1f}s",
            file=sys.stderr,
        )
    return found


def _compute_on_disk(keys: dict[int, dict], root: Path, compute) -> dict:
    """Computes straight into files mapped from staging folders, then renames each into place."""
    with contextlib.ExitStack() as stack:
        # A build killed midway leaves no folder under its key, only staging that the next
        # build removes.
        staging = {
            b: stack.enter_context(atomic_directory(root / store.cache_key(keys[b]))) for b in keys
        }

        def allocate(boundary, shape, dtype):
            return store.mapped_values(staging[boundary], shape, dtype)

        states = compute(sorted(keys), allocate)
        for boundary, result in states.items():
            store.finish(result, staging[boundary], keys[boundary])
    return {b: store.load(root / store.cache_key(keys[b])) for b in keys}


def computer(encoder, preprocessor, examples, config):
    """compute(boundaries, allocate) for `get_states`: one pass over `examples`."""
    return lambda boundaries, allocate: compute_states(
        encoder,
        preprocessor,
        examples,
        max_seq_length=config.max_seq_length,
        text_fields=config.text_fields,
        boundaries=sorted(boundaries),
        dtype=storage_dtype(config),
        allocate=allocate,
    )
