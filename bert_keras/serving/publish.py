"""Publishing an export: each model staged under a hidden name, checked, then renamed
to the next version number free in both MODEL_DIR and MODEL_DIR-token-ids.

A version appears whole or not at all; TF Serving, which polls MODEL_DIR, never sees
one being written. What goes into a version comes from `serving.export`.
"""

import contextlib
import errno
import json
import os
from pathlib import Path

import tensorflow as tf

from bert_keras.encoders.traced_save import save_traced
from bert_keras.serving.extras import staging_version, versions, write_run_extras
from bert_keras.serving.fresh_check import check_of, verify_exports
from bert_keras.serving.model_card import model_card
from bert_keras.serving.quantize import Quantized, int8_dir, stage_int8
from bert_keras.serving.signatures import (
    ServingModule,
    TokenIdServing,
    pack_texts,
    required_ops,
)
from bert_keras.serving.warmup import BATCHING_FILE, write_batching_files, write_warmup

PRECISION_FILE = "precision.json"
TOKEN_IDS_SUFFIX = "-token-ids"  # MODEL_DIR-token-ids: the core-ops-only model


def publish_versions(stagings: list[tuple[Path, Path]]) -> int:
    """Renames each finished model (staging directory, model directory) into place under
    one version number, the next free in every directory, the last pair (what TF Serving
    watches) last, so that it never appears without its twins. The first rename takes the
    number: a racing export that takes it first makes this one take the next. A kill
    between two renames leaves twins alone, whose number the next export skips."""
    numbered = [directory for _, directory in stagings]
    (first, first_dir), rest = stagings[0], stagings[1:]
    while True:
        version = max([n for d in numbered for n in versions(d)] + [0]) + 1
        try:
            os.rename(first, first_dir / str(version))
            break
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    for staging, directory in rest:  # free: exports take a number by the first rename
        os.rename(staging, directory / str(version))
    return version


def token_ids_dir(model_dir: Path) -> Path:
    """Where the core-ops-only model goes: beside MODEL_DIR, as MODEL_DIR-token-ids."""
    return model_dir.with_name(model_dir.name + TOKEN_IDS_SUFFIX)


def token_ids_of(module: ServingModule, texts: list[str]) -> dict:
    """The check reviews as the token-id signature takes them (lists, padded to the longest)."""
    inputs = pack_texts(module.preprocessor, tf.constant(texts), module.max_seq_length)
    return {name: t.numpy().tolist() for name, t in inputs.items()}


def stage_version(
    stack: contextlib.ExitStack,
    model_dir: Path,
    module,
    check_inputs: dict,
    expected,
    extras: dict,
) -> tuple[Path, dict, dict]:
    """Saves `module` with its assets.extra under a hidden name in `model_dir` (removed
    when `stack` closes, unless renamed into place); returns it, what it holds, and the
    check its first signature must pass: `expected` for `check_inputs`."""
    staging = staging_version(stack, model_dir)
    signatures = save_traced(module, staging, module.signatures)
    ops = {name: required_ops(function) for name, function in signatures.items()}
    first = next(iter(signatures))
    _write_extras(staging / "assets.extra", ops, extras, model_dir.name)
    warmup = write_warmup(
        staging / "assets.extra", model_dir.name, signatures, extras["config"].model.max_seq_length
    )
    check = check_of(staging, first, check_inputs, expected, any(ops.values()))
    return staging, {"required_ops": ops, "warmup_requests": warmup}, check


def _write_extras(extra: Path, ops: dict, extras: dict, name: str):
    write_run_extras(extra, extras)
    config, quality, metrics = extras["config"], extras["quality"], extras["metrics"]
    (extra / "required_ops.json").write_text(json.dumps(ops, indent=2) + "\n")
    (extra / PRECISION_FILE).write_text(json.dumps(quality, indent=2) + "\n")
    (extra / "model_card.md").write_text(
        model_card(config, extras["record"], metrics, ops, name, quality, extras["calibration"])
    )


def publish(
    model_dir: Path,
    model,
    module: ServingModule,
    texts: list[str],
    expected,
    extras: dict,
    fresh: bool,
    int8: Quantized | None = None,
) -> dict:
    """Stages `module` (text in, serving `model`), its token-id twin and, given `int8`, the
    int8 model; checks the first two against `module`'s own probabilities for `texts`,
    and publishes all under one new version number.

    `extras`: `config` (a TrainConfig: labels, encoder, lengths), `record` (what the
    run computed with), `metrics`,
    `calibration` and `quality` (the serving precision's agreement with float32), written
    to each version's assets.extra.
    """
    config, calibration = extras["config"], extras["calibration"]
    twin = TokenIdServing(model, calibration, config.label_set, config.data.columns.label_delimiter)
    twins = [token_ids_dir(model_dir)] + ([int8_dir(model_dir)] if int8 else [])
    with contextlib.ExitStack() as stack:  # all staged and checked before any is published
        staging, result, check = stage_version(
            stack, model_dir, module, {"text": texts}, expected, extras
        )
        token_staging, _, token_check = stage_version(
            stack, twins[0], twin, token_ids_of(module, texts), expected, extras
        )
        stagings = [token_staging] + ([stage_int8(stack, model_dir, int8, extras)] if int8 else [])
        figures, token_figures = verify_exports([check, token_check], fresh)
        version = publish_versions([*zip(stagings, twins, strict=True), (staging, model_dir)])
    result.update(figures, token_ids_check=token_figures)
    write_batching_files((model_dir, twins[0]))
    quantized = {"int8_export": str(twins[1] / str(version)), **int8.quantization} if int8 else {}
    return {
        "export": str(model_dir / str(version)),
        "version": version,
        **result,
        "token_ids_export": str(twins[0] / str(version)),
        "token_ids_version": version,
        "batching_parameters": str(model_dir / BATCHING_FILE),
        **extras["quality"],
        "calibration": calibration,
        **quantized,
    }
