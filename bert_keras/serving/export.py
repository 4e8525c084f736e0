"""`bert-keras export`: a run's best weights as a versioned SavedModel for TF Serving.

saved_models/NAME/<version>/          the layout TF Serving polls; versions only grow
    saved_model.pb, variables/, assets/
    assets.extra/config.json, metrics.json, model_card.md, required_ops.json, precision.json,
                 calibration.json, labels.txt (the names in `probabilities`' order, one a
                 line), tf_serving_warmup_requests
saved_models/NAME/batching_parameters.txt
saved_models/NAME-token-ids/<version>/ the same weights, `from_token_ids` only: core ops

Three signatures (`serving.signatures`): `serving_default` (raw review text in;
tokenized in the graph with TF Text), `from_examples` (tf.Example protos) and
`from_token_ids` (the three BERT inputs in). Loading a SavedModel imports all its
functions, so a consumer without TF Text's ops (saved_model_cli, the C++ and Java
runtimes, TF Serving builds without TF Text) loads NAME-token-ids instead. A version
is written under a hidden non-numeric name, loaded back in a fresh process and
compared with the model in memory, and only then renamed to its number.
"""

import contextlib
import errno
import json
import os
import re
import shutil
import sys
from pathlib import Path

import tensorflow as tf

from bert_keras.config import PRECISIONS, SERVING_PRECISION, TrainConfig
from bert_keras.encoders.precision import agreement, encoder_for
from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.evaluation.calibration import CALIBRATION_FILE, read_calibration
from bert_keras.files.atomic import staging_directory
from bert_keras.serving.fresh_check import verify_export
from bert_keras.serving.model_card import model_card
from bert_keras.serving.signatures import ServingModule, TokenIdServing, required_ops
from bert_keras.serving.warmup import BATCHING_FILE, write_batching_files, write_warmup
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.classifier import build_classifier
from bert_keras.training.run_dir import CONFIG_FILE, METRICS_FILE, read_finished_run

PRECISION_FILE = "precision.json"
TOKEN_IDS_SUFFIX = "-token-ids"  # MODEL_DIR-token-ids: the core-ops-only model
CHECK_EXAMPLES = 300
STALE_STAGING = r"\.\d+\.partial-.+"  # a version being written, or left by a killed export
FALLBACK_TEXTS = [
    "Great product, works as described.",
    "Terrible. It broke after one day.",
    "",
    "Not bad, not great either.",
    "Überraschend gut! 😀 Would buy again.",
]


def trained_model(run_dir: Path, config: TrainConfig, best: str, paths, precision: str):
    """The run's classifier with its best weights, computing in `precision` (the checkpoints
    fit either)."""
    model = build_classifier(
        encoder_for(paths, precision),
        config.freeze,
        config.dropout,
        config.seed,
        classes=len(config.label_set.names),
        multi_label=config.multi_label,
    )
    restore_weights(model, best, f"RUN_DIR {run_dir}: its best weights {best}")
    return model


def versions(model_dir: Path) -> list[int]:
    return (
        sorted(
            int(p.name) for p in model_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)
        )
        if model_dir.is_dir()
        else []
    )


def _check_texts(config) -> list[str]:
    """A few hundred real reviews of the run's own test data, when it can be read."""
    from bert_keras.data.pipeline import review_text
    from bert_keras.data.sources import load_evaluation_split

    try:
        split, _ = load_evaluation_split(config)
    except UserInputError:
        return FALLBACK_TEXTS
    texts = [
        review_text(e, config.text_fields).numpy().decode("utf-8")
        for e in split.examples.take(CHECK_EXAMPLES)
    ]
    return texts + FALLBACK_TEXTS


def _publish_pair(staging: Path, token_ids_staging: Path, model_dir: Path) -> int:
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


def _check_model_dir(model_dir: Path, name: str):
    if model_dir.exists() and not model_dir.is_dir():
        raise UserInputError(f"{name}: is a file, not a model directory")
    if (model_dir / "saved_model.pb").is_file():
        raise UserInputError(
            f"{name}: is an export version; give its model directory "
            f"({model_dir.parent}), where versions are numbered"
        )


def serving_precision(asked: str, paths) -> str:
    """`asked`, or for `auto` what fits this machine, said once on stderr."""
    if asked != "auto":
        return asked
    precision, why = resolve_here(asked, paths)
    print(auto_note(precision, why), file=sys.stderr)
    return precision


def token_ids_dir(model_dir: Path) -> Path:
    """Where the core-ops-only model goes: beside MODEL_DIR, as MODEL_DIR-token-ids."""
    return model_dir.with_name(model_dir.name + TOKEN_IDS_SUFFIX)


def _serving_module(model, calibration: dict, preprocessor, config) -> ServingModule:
    return ServingModule(
        model,
        calibration,
        config.label_set,
        preprocessor,
        config.max_seq_length,
        config.text_fields,
        config.label_delimiter,
    )


def export(
    run_dir, model_dir, precision: str = SERVING_PRECISION, fresh_check: bool = True
) -> dict:
    """Writes a finished run's best weights as the next version of MODEL_DIR, for TF
    Serving, and the same weights from token ids alone under the same number in
    MODEL_DIR-token-ids (core TensorFlow ops only: loads without TF Text).

    Each is written under a hidden name, loaded back in a fresh process and checked
    against the model in memory on the run's own test reviews, and only when both
    agree renamed to its number, the token-id model first (SelfCheckFailed, and
    nothing left, when either disagrees).
    Both apply the run's calibration (temperature and threshold, in calibration.json).

    Args:
        run_dir: a finished run directory.
        model_dir: the model directory TF Serving polls; versions are numbered 1, 2, ...
        precision: of the serving graph, whatever the run trained in; `auto`: what
            fits the machine exporting (`encoders.precision_choice`).
        fresh_check: load each version back in a fresh Python process (as a server
            would, without what this process imported); False: in this process,
            seconds quicker, for exports checked again elsewhere.

    Returns:
        The new versions' paths and numbers, the non-core ops each signature needs,
        the warm-up requests written, and the check's figures (`checked_examples`,
        `max_abs_difference`).

    Example (`run_dir`: a finished run; fresh_check=False: checked in this process,
    quicker than the default's fresh one):

    >>> result = export(run_dir, new_dir + "/sentiment", fresh_check=False)
    >>> result["version"], result["token_ids_version"], result["max_abs_difference"] <= 1e-5
    (1, 1, True)
    >>> result["required_ops"]["from_token_ids"]  # the token-id model: core TensorFlow only
    []
    """
    if precision not in PRECISIONS:
        raise UserInputError(f"--precision {precision}: expected one of {', '.join(PRECISIONS)}")
    run_dir, model_dir = Path(run_dir), Path(model_dir)
    _check_model_dir(model_dir, f"--out {model_dir}")
    _check_model_dir(
        token_ids_dir(model_dir), f"{token_ids_dir(model_dir)} (where --out's token-id model goes)"
    )
    config, best = read_finished_run(run_dir)
    paths = resolve_encoder(config.encoder)
    precision = serving_precision(precision, paths)
    calibration = read_calibration(run_dir / METRICS_FILE, "calibration")
    preprocessor = load_preprocessor(paths)
    model = trained_model(run_dir, config, best, paths, precision)
    module = _serving_module(model, calibration, preprocessor, config)
    texts = _check_texts(config)
    expected = module.serve_text(tf.constant(texts))["probabilities"].numpy()
    quality = {"dtype_policy": precision}
    if precision != "float32":  # how far the served precision is from float32's answers
        float32_model = trained_model(run_dir, config, best, paths, "float32")
        reference = _serving_module(float32_model, calibration, preprocessor, config)
        quality.update(
            agreement(reference.serve_text(tf.constant(texts))["probabilities"].numpy(), expected)
        )
    extras = {"config": config, "quality": quality, "calibration": calibration}
    with contextlib.ExitStack() as stack:  # both staged and checked before either is published
        staging, result = _stage_version(
            stack, model_dir, module, {"text": texts}, expected, extras, run_dir, fresh_check
        )
        token_staging, _ = _stage_version(
            stack,
            token_ids_dir(model_dir),
            TokenIdServing(model, calibration, config.label_set, config.label_delimiter),
            _token_ids_of(module, texts),
            expected,
            extras,
            run_dir,
            fresh_check,
        )
        version = _publish_pair(staging, token_staging, model_dir)
    write_batching_files((model_dir, token_ids_dir(model_dir)))
    return {
        "export": str(model_dir / str(version)),
        "version": version,
        **result,
        "token_ids_export": str(token_ids_dir(model_dir) / str(version)),
        "token_ids_version": version,
        "batching_parameters": str(model_dir / BATCHING_FILE),
        **quality,
        "calibration": calibration,
    }


def _token_ids_of(module: ServingModule, texts: list[str]) -> dict:
    """The check reviews as the token-id signature takes them (lists, padded to the longest)."""
    inputs = module.preprocessor.bert_pack_inputs(
        [module.preprocessor.tokenize(tf.constant(texts))], seq_length=module.max_seq_length
    )
    longest = int(tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1)))
    return {name: t[:, :longest].numpy().tolist() for name, t in inputs.items()}


def _stage_version(
    stack: contextlib.ExitStack,
    model_dir: Path,
    module,
    check_inputs: dict,
    expected,
    extras: dict,
    run_dir: Path,
    fresh: bool,
) -> tuple[Path, dict]:
    """Saves `module` with its assets.extra under a hidden name in `model_dir` (removed
    when `stack` closes, unless renamed into place), once loaded back (in a fresh
    process when `fresh`) it has given `expected` for `check_inputs` through its first
    signature."""
    signatures = module.signatures()
    ops = {name: required_ops(function) for name, function in signatures.items()}
    first = next(iter(signatures))
    next_version = (versions(model_dir) or [0])[-1] + 1
    staging = stack.enter_context(
        staging_directory(model_dir, f".{next_version}.partial-", STALE_STAGING)
    )
    tf.saved_model.save(module, str(staging), signatures=signatures)
    _write_extras(staging / "assets.extra", run_dir, ops, extras, model_dir.name)
    warmup = write_warmup(
        staging / "assets.extra", model_dir.name, signatures, extras["config"].max_seq_length
    )
    check = verify_export(
        staging, first, check_inputs, expected, needs_tensorflow_text=any(ops.values()), fresh=fresh
    )
    return staging, {"required_ops": ops, "warmup_requests": warmup, **check}


def _write_extras(extra: Path, run_dir: Path, ops: dict, extras: dict, name: str):
    extra.mkdir()
    config, quality = extras["config"], extras["quality"]
    shutil.copy(run_dir / CONFIG_FILE, extra / CONFIG_FILE)
    shutil.copy(run_dir / METRICS_FILE, extra / METRICS_FILE)
    (extra / "required_ops.json").write_text(json.dumps(ops, indent=2) + "\n")
    (extra / PRECISION_FILE).write_text(json.dumps(quality, indent=2) + "\n")
    (extra / CALIBRATION_FILE).write_text(json.dumps(extras["calibration"], indent=2) + "\n")
    (extra / "labels.txt").write_text("".join(f"{name}\n" for name in config.label_set.names))
    metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    (extra / "model_card.md").write_text(
        model_card(config, metrics, ops, name, quality, extras["calibration"])
    )
