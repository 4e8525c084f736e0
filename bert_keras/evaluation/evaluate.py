"""`bert-keras evaluate`: a trained run's, or an export's, metrics on any data source."""

import time
from pathlib import Path

import numpy as np

from bert_keras.config import TrainConfig, read_run_file
from bert_keras.data.sources import load_evaluation_split
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.evaluation.report import (
    calibrated_scores,
    check_report_dir,
    log_losses,
    roc_auc,
    write_report,
)
from bert_keras.notices import say
from bert_keras.scoring import multiclass, multilabel
from bert_keras.scoring.calibration import CALIBRATION_FILE, read_calibration, scores_at, sigmoid
from bert_keras.serving.predict import Predictor, resolve_version
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.compiled import build_compiled_classifier
from bert_keras.training.final_metrics import metrics_of_logits
from bert_keras.training.predictions import split_logits, split_texts
from bert_keras.training.run_dir import METRICS_FILE, read_trained_run

DATA_FLAGS = (
    "data",
    "test_data",
    "text_fields",
    "text_columns",
    "label_column",
    "delimiter",
    "on_bad_record",
    "tfds_data_dir",
    "tfds_manual_dir",
)


def _split(config: TrainConfig, data: dict):
    config = config.replace(**{flag: value for flag, value in data.items() if value is not None})
    split, skipped = load_evaluation_split(config.data)
    for problem in skipped:
        say(f"skipped {problem}")
    return config, split, len(skipped)


def _evaluate_run(run_dir: Path, data: dict):
    """Keras' metrics of the best weights (at 0.5, before calibration, as training
    reports them), and the calibrated probabilities of the run's metrics.json."""
    config, record, best = read_trained_run(run_dir, "model")
    config, split, skipped = _split(config, data)
    paths = resolve_encoder(config.encoder)
    model = build_compiled_classifier(
        config, record, encoder_for(paths, record.precision), total_steps=1
    )
    restore_weights(model, best, f"model={run_dir}: its best weights {best}")
    preprocessor = load_preprocessor(paths)
    start = time.perf_counter()
    texts, labels, logits = split_logits(model, split, preprocessor, config)  # one pass
    metrics = {
        **metrics_of_logits(model, logits, labels),
        "evaluated_examples": len(texts),
        "eval_examples_per_second": round(len(texts) / (time.perf_counter() - start), 2),
    }
    calibration = read_calibration(run_dir / METRICS_FILE, "calibration")
    scaled = logits / calibration["temperature"]
    multi_class = config.label_set.kind == "multi_class"
    probabilities = multiclass.softmax(scaled) if multi_class else sigmoid(scaled)
    return config, skipped, metrics, texts, labels, probabilities, calibration


def _evaluate_export(version_dir: Path, data: dict):
    """An export's own outputs (calibrated in its graph) through serving_default, as
    TF Serving computes them; its metrics at its recorded threshold."""
    extra = version_dir / "assets.extra"
    config, split, skipped = _split(read_run_file(extra / "config.json")[0], data)
    calibration = read_calibration(extra / CALIBRATION_FILE)
    texts, labels = split_texts(split, config.data.text_fields)
    start = time.perf_counter()
    probabilities, _ = Predictor(version_dir).outputs(texts)  # [n, N]
    seconds = time.perf_counter() - start
    rate = {
        "evaluated_examples": len(texts),
        "eval_examples_per_second": round(len(texts) / seconds, 2),
    }
    names, kind = config.label_set.names, config.label_set.kind
    if kind != "binary":
        metrics = {**_export_scores(kind, probabilities, labels, names, calibration), **rate}
        return config, skipped, metrics, texts, labels, probabilities, calibration
    probabilities = probabilities[:, 1]  # P(the second label)
    at = scores_at(probabilities, labels, calibration["threshold"])
    metrics = {
        "loss": round(float(np.mean(log_losses(probabilities, labels))), 6),
        **{k: at[k] for k in ("accuracy", "precision", "recall", "f1")},
        "auc": round(roc_auc(probabilities, labels), 6),
        **rate,
    }
    return config, skipped, metrics, texts, labels, probabilities, calibration


def _export_scores(kind: str, probabilities, labels, names, calibration: dict) -> dict:
    """Loss and F1 of an export's probabilities [n, N], three labels or more, or multi-label."""
    if kind == "multi_label":
        scores = multilabel.calibrated_scores(probabilities, labels, names, calibration)
        loss = float(np.mean(log_losses(np.ravel(probabilities), np.ravel(labels))))
        return {"loss": round(loss, 6), "f1": scores["macro_f1"], "micro_f1": scores["micro_f1"]}
    scores = multiclass.class_scores(probabilities, labels, names)
    loss = multiclass.log_loss(probabilities, labels)
    return {"loss": loss, "accuracy": scores["accuracy"], "f1": scores["macro_f1"]}


def evaluate(model: str | Path, report: str | Path | None = None, **data: str) -> dict:
    """Metrics of a trained run (its best weights) or of an export, on the data the run
    was tested on or on other data.

    Args:
        model: a run directory `train` wrote (an unfinished run evaluates too), an
            export version, or a model directory (its newest version).
        report: a directory for curves.png, report.json and errors.jsonl (`evaluation.report`).
        **data: any of DATA_FLAGS (`data`, `test_data`, `text_fields`, ...) to
            override the run's; `data` a single file scores every record in it.

    Returns:
        loss, accuracy, precision, recall, F1, AUC (a run's: at 0.5 before
        calibration, as training reports them; an export's: what it serves), then
        the calibrated probabilities at the recorded threshold: `confusion_matrix`,
        `ece`, `at_threshold`, accuracy by review length; the examples evaluated and
        their rate, and how many bad records were skipped.

    Example (`run_dir`: a finished run, `model_dir`: its export, `reviews`: its data):

    >>> by_run = evaluate(run_dir)  # the run's own test split: 19 negative, 21 positive
    >>> by_run["evaluated_examples"], [sum(row) for row in by_run["confusion_matrix"]]
    (40, [19, 21])
    >>> by_export = evaluate(model_dir, data=reviews + "/test.csv")
    >>> by_export["confusion_matrix"] == by_run["confusion_matrix"]
    True
    """
    unknown = set(data) - set(DATA_FLAGS)
    if unknown:
        raise TypeError(
            f"evaluate() takes data settings only ({', '.join(DATA_FLAGS)}), not {sorted(unknown)}"
        )
    model = Path(model)
    if report is not None:
        check_report_dir(report)
    if (model / "config.json").is_file() or not model.is_dir():
        results = _evaluate_run(model, data)
    else:
        try:
            version_dir = resolve_version(model)
        except UserInputError:
            raise UserInputError(f"model={model}: neither a run directory nor an export") from None
        results = _evaluate_export(version_dir, data)
    config, skipped, metrics, texts, labels, probabilities, calibration = results
    texts = [text.decode("utf-8", "replace") if isinstance(text, bytes) else text for text in texts]
    result = {
        "model": str(model),
        "data": config.data.data,
        "skipped_records": skipped,
        **metrics,
    }
    names, kind = config.label_set.names, config.label_set.kind
    if kind == "binary":
        result.update(calibrated_scores(texts, labels, probabilities, calibration))
    else:
        scores_of = multiclass if kind == "multi_class" else multilabel
        result.update(scores_of.calibrated_scores(probabilities, labels, names, calibration))
    if report is not None:
        write_report(report, result, texts, labels, probabilities, kind)
    return result
