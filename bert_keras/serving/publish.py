"""Publishing an export: each model staged under a hidden name, checked, then renamed
to the next version number free in both MODEL_DIR and MODEL_DIR-token-ids.

A version appears whole or not at all; TF Serving, which polls MODEL_DIR, never sees
one being written. What goes into a version comes from `serving.export`.
"""

import contextlib
import errno
import json
import os
import re
from pathlib import Path

import tensorflow as tf

from bert_keras.config import write_run_file
from bert_keras.encoders.traced_save import save_traced
from bert_keras.files.atomic import staging_directory
from bert_keras.scoring.calibration import CALIBRATION_FILE
from bert_keras.serving.fresh_check import check_of, verify_exports
from bert_keras.serving.model_card import model_card
from bert_keras.serving.signatures import ServingModule, TokenIdServing, required_ops
from bert_keras.serving.warmup import BATCHING_FILE, write_batching_files, write_warmup
from bert_keras.training.run_dir import CONFIG_FILE, METRICS_FILE

PRECISION_FILE = "precision.json"
TOKEN_IDS_SUFFIX = "-token-ids"  # MODEL_DIR-token-ids: the core-ops-only model
STALE_STAGING = r"\.\d+\.partial-.+"  # a version being written, or left by a killed export


def versions(model_dir: Path) -> list[int]:
    return (
        sorted(
            int(p.name) for p in model_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)
        )
        if model_dir.is_dir()
        else []
    )


def publish_pair(staging: Path, token_ids_staging: Path, model_dir: Path) -> int:
    """Renames both finished models into place under one version number, the next free
    in both directories: the token-id model first, so that the full one (what TF
    Serving watches) never appears without its twin. A racing export that takes the
    number first makes this one take the next. A kill between the two renames leaves
    a token-id version alone, whose number the next export skips."""
    twin_dir = token_ids_dir(model_dir)
    while True:
        version = max(versions(model_dir) + versions(twin_dir) + [0]) + 1
        try:
            os.rename(token_ids_staging, twin_dir / str(version))
            break
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    # free: exports take a number by its token-id rename
    os.rename(staging, model_dir / str(version))
    return version


def token_ids_dir(model_dir: Path) -> Path:
    """Where the core-ops-only model goes: beside MODEL_DIR, as MODEL_DIR-token-ids."""
    return model_dir.with_name(model_dir.name + TOKEN_IDS_SUFFIX)


def token_ids_of(module: ServingModule, texts: list[str]) -> dict:
    """The check reviews as the token-id signature takes them (lists, padded to the longest)."""
    inputs = module.preprocessor.bert_pack_inputs(
        [module.preprocessor.tokenize(tf.constant(texts))], seq_length=module.max_seq_length
    )
    longest = int(tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1)))
    return {name: t[:, :longest].numpy().tolist() for name, t in inputs.items()}


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
    next_version = (versions(model_dir) or [0])[-1] + 1
    staging = stack.enter_context(
        staging_directory(model_dir, f".{next_version}.partial-", STALE_STAGING)
    )
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
    extra.mkdir()
    config, quality, metrics = extras["config"], extras["quality"], extras["metrics"]
    write_run_file(extra / CONFIG_FILE, config, extras["record"])
    (extra / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    (extra / "required_ops.json").write_text(json.dumps(ops, indent=2) + "\n")
    (extra / PRECISION_FILE).write_text(json.dumps(quality, indent=2) + "\n")
    (extra / CALIBRATION_FILE).write_text(json.dumps(extras["calibration"], indent=2) + "\n")
    (extra / "labels.txt").write_text("".join(f"{name}\n" for name in config.label_set.names))
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
) -> dict:
    """Stages `module` (text in, serving `model`) and its token-id twin, checks each
    against `module`'s own probabilities for `texts`, and publishes both under one new
    version number.

    `extras`: `config` (a TrainConfig: labels, encoder, lengths), `record` (what the
    run computed with), `metrics`,
    `calibration` and `quality` (the serving precision's agreement with float32), written
    to each version's assets.extra.
    """
    config, calibration = extras["config"], extras["calibration"]
    twin = TokenIdServing(model, calibration, config.label_set, config.data.columns.label_delimiter)
    with contextlib.ExitStack() as stack:  # both staged and checked before either is published
        staging, result, check = stage_version(
            stack, model_dir, module, {"text": texts}, expected, extras
        )
        token_staging, _, token_check = stage_version(
            stack, token_ids_dir(model_dir), twin, token_ids_of(module, texts), expected, extras
        )
        figures, token_figures = verify_exports([check, token_check], fresh)
        version = publish_pair(staging, token_staging, model_dir)
    result.update(figures, token_ids_check=token_figures)
    write_batching_files((model_dir, token_ids_dir(model_dir)))
    return {
        "export": str(model_dir / str(version)),
        "version": version,
        **result,
        "token_ids_export": str(token_ids_dir(model_dir) / str(version)),
        "token_ids_version": version,
        "batching_parameters": str(model_dir / BATCHING_FILE),
        **extras["quality"],
        "calibration": calibration,
    }
