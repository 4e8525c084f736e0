"""`bert-keras export`: a run's best weights as a versioned SavedModel for TF Serving.

saved_models/NAME/<version>/          the layout TF Serving polls; versions only grow
    saved_model.pb, variables/, assets/
    assets.extra/config.json, metrics.json, model_card.md, required_ops.json, precision.json

Two signatures: `serving_default` (raw review text in; tokenized in the graph with
TF Text) and `from_token_ids` (the three BERT inputs in; core TensorFlow ops only,
so any TF Serving build loads it). A version is written under a hidden
non-numeric name, loaded back in a fresh process and compared with the model in
memory, and only then renamed to its number.
"""
import errno
import json
import os
import re
import shutil
import sys
from pathlib import Path


import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf

from bert_keras.config import PRECISIONS, SERVING_PRECISION, TrainConfig
from bert_keras.encoders.precision import agreement, encoder_for
from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import staging_directory
from bert_keras.serving.fresh_check import verify_in_fresh_process
from bert_keras.serving.model_card import model_card
from bert_keras.serving.signatures import ServingModule, required_ops
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.classifier import build_classifier
from bert_keras.training.run_dir import CONFIG_FILE, METRICS_FILE
from bert_keras.training.run_dir import read_finished_run

PRECISION_FILE = "precision.json"
CHECK_EXAMPLES = 300
STALE_STAGING = r"\.\d+\.partial-.+"  # a version being written, or left by a killed export
FALLBACK_TEXTS = ["Great product, works as described.", "Terrible. It broke after one day.", "",
                  "Not bad, not great either.", "Überraschend gut! 😀 Would buy again."]


def trained_model(run_dir: Path, config: TrainConfig, best: str, paths, precision: str):
    """The run's classifier with its best weights, computing in `precision` (checkpoints fit either)."""
    model = build_classifier(encoder_for(paths, precision), config.freeze, config.dropout, config.seed)
    restore_weights(model, best, f"RUN_DIR {run_dir}: its best weights {best}")
    return model


def versions(model_dir: Path) -> list[int]:
    return sorted(int(p.name) for p in model_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)) \
        if model_dir.is_dir() else []


def _check_texts(config) -> list[str]:
    """A few hundred real reviews of the run's own test data, when it can be read."""
    from bert_keras.data.sources import load_evaluation_split
    from bert_keras.data.pipeline import review_text
    try:
        split, _ = load_evaluation_split(config)
    except UserInputError:
        return FALLBACK_TEXTS
    texts = [review_text(e, config.text_fields).numpy().decode("utf-8")
             for e in split.examples.take(CHECK_EXAMPLES)]
    return texts + FALLBACK_TEXTS


def _publish(staging: Path, model_dir: Path) -> int:
    """Renames a finished version into place under the next free number: when
    another export takes that number first, this one takes the one after."""
    while True:
        version = (versions(model_dir) or [0])[-1] + 1
        try:
            os.rename(staging, model_dir / str(version))
            return version
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise


def _check_model_dir(model_dir: Path):
    if model_dir.exists() and not model_dir.is_dir():
        raise UserInputError(f"--out {model_dir}: is a file, not a model directory")
    if (model_dir / "saved_model.pb").is_file():
        raise UserInputError(f"--out {model_dir}: is an export version; give its model directory "
                             f"({model_dir.parent}), where versions are numbered")


def serving_precision(asked: str, paths) -> str:
    """`asked`, or for `auto` what fits this machine, said once on stderr."""
    if asked != "auto":
        return asked
    precision, why = resolve_here(asked, paths)
    print(auto_note(precision, why), file=sys.stderr)
    return precision


def export(run_dir, model_dir, precision: str = SERVING_PRECISION) -> dict:
    """Writes a finished run's best weights as the next version of MODEL_DIR, for TF Serving.

    The version is written under a hidden name, loaded back in a fresh process and
    checked against the model in memory on the run's own test reviews, and only then
    renamed to its number (SelfCheckFailed, and nothing left, when it disagrees).

    Args:
        run_dir: a finished run directory.
        model_dir: the model directory TF Serving polls; versions are numbered 1, 2, ...
        precision: of the serving graph, whatever the run trained in; `auto`: what
            fits the machine exporting (`encoders.precision_choice`).

    Returns:
        The new version's path and number, the non-core ops each signature needs,
        and the check's figures (`checked_examples`, `max_abs_difference`).

    Example (needs a finished run):

    >>> export("saved_models/runs/demo", "saved_models/sentiment")["version"]  # doctest: +SKIP
    1
    """
    if precision not in PRECISIONS:
        raise UserInputError(f"--precision {precision}: expected one of {', '.join(PRECISIONS)}")
    run_dir, model_dir = Path(run_dir), Path(model_dir)
    _check_model_dir(model_dir)
    config, best = read_finished_run(run_dir)
    paths = resolve_encoder(config.encoder)
    precision = serving_precision(precision, paths)
    preprocessor = load_preprocessor(paths)
    module = ServingModule(trained_model(run_dir, config, best, paths, precision), preprocessor,
                           config.max_seq_length)
    signatures = module.signatures()
    ops = {name: required_ops(function) for name, function in signatures.items()}
    texts = _check_texts(config)
    expected = module.serve_text(tf.constant(texts))["probability"].numpy()
    quality = {"dtype_policy": precision}
    if precision != "float32":
        float32_module = ServingModule(trained_model(run_dir, config, best, paths, "float32"), preprocessor,
                                       config.max_seq_length)
        reference = float32_module.serve_text(tf.constant(texts))["probability"].numpy()
        quality.update(agreement(reference, expected))
    next_version = (versions(model_dir) or [0])[-1] + 1
    with staging_directory(model_dir, f".{next_version}.partial-", STALE_STAGING) as staging:
        tf.saved_model.save(module, str(staging), signatures=signatures)
        _write_extras(staging / "assets.extra", run_dir, config, ops, quality, model_dir.name)
        check = verify_in_fresh_process(staging, texts, expected)
        version = _publish(staging, model_dir)
    return {"export": str(model_dir / str(version)), "version": version, "required_ops": ops, **quality, **check}


def _write_extras(extra: Path, run_dir: Path, config: TrainConfig, ops: dict, quality: dict, name: str):
    extra.mkdir()
    shutil.copy(run_dir / CONFIG_FILE, extra / CONFIG_FILE)
    shutil.copy(run_dir / METRICS_FILE, extra / METRICS_FILE)
    (extra / "required_ops.json").write_text(json.dumps(ops, indent=2) + "\n")
    (extra / PRECISION_FILE).write_text(json.dumps(quality, indent=2) + "\n")
    metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    (extra / "model_card.md").write_text(model_card(config, metrics, ops, name, quality))


