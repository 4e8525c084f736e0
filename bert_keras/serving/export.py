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

import json
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf
import tf_keras

from bert_keras.config import (
    INT8_MAX_F1_DROP,
    PRECISIONS,
    SERVING_PRECISION,
    RunRecord,
    TrainConfig,
)
from bert_keras.data.pipeline import review_text
from bert_keras.data.sources import load_evaluation_split
from bert_keras.encoders.precision import agreement, encoder_for, rebuilt_encoder
from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.notices import say
from bert_keras.scoring.calibration import UNCALIBRATED, read_calibration
from bert_keras.serving.litert import TextPacker
from bert_keras.serving.publish import publish, token_ids_dir
from bert_keras.serving.quantize import check_quantize, int8_dir, quantize_int8
from bert_keras.serving.signatures import ServingModule, TokenIdServing
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.classifier import ENCODER_LAYER, build_classifier
from bert_keras.training.run_dir import METRICS_FILE, read_finished_run

CHECK_EXAMPLES = 300
FALLBACK_TEXTS = [
    "Great product, works as described.",
    "Terrible. It broke after one day.",
    "",
    "Not bad, not great either.",
    "Überraschend gut! 😀 Would buy again.",
]


def trained_model(run_dir: Path, config: TrainConfig, best: str, encoder: str):
    """The run's classifier with its best weights, on the encoder SavedModel `encoder`
    (`encoders.precision`: any precision or rebuild of the run's encoder; the checkpoints
    fit each)."""
    model = build_classifier(
        encoder,
        config.freeze,
        config.model.dropout,
        config.seed,
        classes=len(config.label_set.names),
        multi_label=config.data.multi_label,
        pooling=config.model.pooling,
    )
    restore_weights(model, best, f"run_dir={run_dir}: its best weights {best}")
    return model


def _check_texts(config) -> list[str]:
    """A few hundred real reviews of the run's own test data, when it can be read."""
    try:
        split, _ = load_evaluation_split(config.data)
    except UserInputError:
        return FALLBACK_TEXTS
    texts = [
        review_text(e, config.data.text_fields).numpy().decode("utf-8")
        for e in split.examples.take(CHECK_EXAMPLES)
    ]
    return texts + FALLBACK_TEXTS


def _probabilities(module: ServingModule, texts: list[str]):
    """[n, N]: what `module` serves for `texts`, computed once for the check and the agreement."""
    return module.serve_text(tf.constant(texts))["probabilities"].numpy()


def _check_model_dir(model_dir: Path, name: str):
    if model_dir.exists() and not model_dir.is_dir():
        raise UserInputError(f"{name}: is a file, not a model directory")
    if (model_dir / "saved_model.pb").is_file():
        raise UserInputError(
            f"{name}: is an export version; give its model directory "
            f"({model_dir.parent}), where versions are numbered"
        )


def serving_precision(precision: str, paths) -> str:
    """The precision the serving graph computes in: the setting itself, or for `auto` what
    fits this machine (said once, with the reason)."""
    if precision != "auto":
        return precision
    resolved, why = resolve_here(precision, paths)
    say(auto_note(resolved, why))
    return resolved


def _serving_module(model, calibration: dict, preprocessor, config) -> ServingModule:
    return ServingModule(
        model,
        calibration,
        config.label_set,
        preprocessor,
        config.model.max_seq_length,
        config.data.text_fields,
        config.data.columns.label_delimiter,
    )


def export(
    run_dir: str | Path,
    model_dir: str | Path,
    precision: str = SERVING_PRECISION,
    fresh_check: bool = True,
    quantize: str | None = None,
    int8_max_f1_drop: float = INT8_MAX_F1_DROP,
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
        quantize: `int8`: also an int8 model under the same number in MODEL_DIR-int8
            (`serving.quantize`), published only when it scores the run's validation
            split within `int8_max_f1_drop` of float32; None: none.
        int8_max_f1_drop: the F1 points (0.5: 0.005) the int8 model may lose.

    Returns:
        The new versions' paths and numbers, the non-core ops each signature needs,
        the warm-up requests written, the check's figures (`checked_examples`,
        `max_abs_difference`), and with `quantize` the int8 version's path, both F1s
        and both latencies.

    `bert_keras.export` is this call, returning an `ExportResult`, with an example.
    """
    if precision not in PRECISIONS:
        raise UserInputError(f"precision={precision}: expected one of {', '.join(PRECISIONS)}")
    check_quantize(quantize, int8_max_f1_drop)
    run_dir, model_dir = Path(run_dir), Path(model_dir)
    _check_model_dirs(model_dir, quantize)
    config, record, best = read_finished_run(run_dir)
    paths = resolve_encoder(config.encoder)
    precision = serving_precision(precision, paths)
    calibration = read_calibration(run_dir / METRICS_FILE, "calibration")
    preprocessor = load_preprocessor(paths)
    model = trained_model(run_dir, config, best, encoder_for(paths, precision))
    module = _serving_module(model, calibration, preprocessor, config)
    texts = _check_texts(config)
    expected = _probabilities(module, texts)
    quality = {"dtype_policy": precision}
    if precision != "float32":  # how far the served precision is from float32's answers
        float32_model = trained_model(run_dir, config, best, paths.encoder)
        reference = _serving_module(float32_model, calibration, preprocessor, config)
        quality.update(agreement(_probabilities(reference, texts), expected))
    metrics = json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    extras = dict(
        config=config, record=record, metrics=metrics, quality=quality, calibration=calibration
    )
    int8 = None
    if quantize == "int8":  # scored, and refused or kept, before anything is published
        int8 = _int8(run_dir, config, best, paths, calibration, preprocessor, int8_max_f1_drop)
    return publish(model_dir, model, module, texts, expected, extras, fresh_check, int8)


def _check_model_dirs(model_dir: Path, quantize: str | None):
    """MODEL_DIR and the twins' directories beside it: each a model directory, or absent."""
    _check_model_dir(model_dir, f"model_dir={model_dir}")
    twins = [("token-id", token_ids_dir(model_dir))]
    twins += [("int8", int8_dir(model_dir))] if quantize else []
    for kind, twin in twins:
        _check_model_dir(twin, f"{twin} (where `model_dir`'s {kind} model goes)")


def _int8(run_dir, config, best, paths, calibration, preprocessor, max_f1_drop: float):
    """The run's int8 model (`serving.quantize`), from its float32 classifier on the
    encoder as this release builds it."""
    model = trained_model(run_dir, config, best, rebuilt_encoder(paths))
    module = TokenIdServing(
        model, calibration, config.label_set, config.data.columns.label_delimiter
    )
    packer = TextPacker(preprocessor, config.model.max_seq_length)
    return quantize_int8(module, packer, config, calibration, max_f1_drop)


def export_model(
    model: tf_keras.Model,
    model_dir: str | Path,
    encoder_spec: str,
    preprocessor,
    labels: Sequence[str],
    multi_label: bool,
    max_seq_length: int,
    fresh_check: bool = True,
) -> dict:
    """Writes a classifier trained outside `train` (your own `model.fit`) as the next
    version of MODEL_DIR, with the same signatures, twin and checks as `export`; it
    serves the head as trained (temperature 1, threshold 0.5: no calibration).
    `api.export_model` is the call for users.

    Args:
        model: a classifier from `build_classifier` (token ids in), trained.
        model_dir: the model directory TF Serving polls.
        encoder_spec: the encoder it was built on, as the model card names it.
        preprocessor: that encoder's (it goes into the serving graph).
        labels: the names of the head's outputs, in order.
        multi_label: the head is one sigmoid per label.
        max_seq_length: tokens per text at most, as trained.
        fresh_check: as `export`'s.

    Returns:
        What `export` returns.

    Raises:
        UserInputError: `labels` does not match the head, or MODEL_DIR is not a model
            directory.
    """
    units = model.output_shape[-1]
    if units != (1 if len(labels) == 2 and not multi_label else len(labels)):
        raise UserInputError(
            f"labels: {len(labels)} names for a head of {units} output(s). Received: "
            f"labels={list(labels)!r}"
        )
    model_dir = Path(model_dir)
    _check_model_dir(model_dir, f"model_dir={model_dir}")
    config = TrainConfig.from_settings(
        str(model_dir),
        encoder=encoder_spec,
        labels=tuple(labels),
        multi_label=multi_label,
        max_seq_length=max_seq_length,
    )
    calibration = dict(UNCALIBRATED, threshold_rule="none: trained outside bert-keras' train")
    module = _serving_module(model, calibration, preprocessor, config)
    policy = model.get_layer(ENCODER_LAYER).dtype_policy.name
    extras = dict(
        config=config,
        record=RunRecord(policy),
        metrics={},
        quality={"dtype_policy": policy},
        calibration=calibration,
    )
    expected = _probabilities(module, FALLBACK_TEXTS)
    return publish(model_dir, model, module, FALLBACK_TEXTS, expected, extras, fresh_check)
