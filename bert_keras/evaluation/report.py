"""What `evaluate` adds beyond Keras' metrics, and the files of `evaluate(..., report=DIR)`.

    DIR/curves.png     precision-recall curve, ROC curve, reliability diagram (two labels)
    DIR/confusion.png  the N x N confusion matrix, with the label names (three or more);
                       multi-label: each label's true/false positives and negatives
    DIR/report.json    evaluate's JSON (accuracy by review length included)
    DIR/errors.jsonl   the most confident mistakes, highest loss first (ktrain's top losses)

Every file is written whole under a temporary name. DIR is new, empty, or an earlier
report of bert-keras' (its report.json says so); any other directory is refused.
"""

import json
from pathlib import Path

import numpy as np

from bert_keras.errors import UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.files.output_dirs import marker_format
from bert_keras.scoring.calibration import (
    ECE_BINS,
    expected_calibration_error,
    scores_at,
    sigmoid,
)
from bert_keras.training.plots import pyplot, save_figure

LENGTH_EDGES = (16, 32, 64, 128, 256)  # words per review: "1-16", "17-32", ..., "257+"
ERRORS_KEPT = 100
REPORT_FORMAT = (
    "bert-keras-report/1"  # report.json's marker: a directory holding one may be written again
)


def log_losses(probabilities, labels) -> np.ndarray:
    p = np.clip(np.asarray(probabilities, np.float64), 1e-7, 1 - 1e-7)  # Keras' epsilon
    return -np.where(np.asarray(labels) > 0.5, np.log(p), np.log1p(-p))


def roc_curve(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) at every distinct threshold, from (0, 0)."""
    order = np.argsort(-np.asarray(probabilities, np.float64), kind="stable")
    ranked, positive = np.asarray(probabilities, np.float64)[order], np.asarray(labels)[order] > 0.5
    ends = np.r_[ranked[1:] != ranked[:-1], True]
    tp, fp = np.cumsum(positive)[ends], np.cumsum(~positive)[ends]
    return np.r_[0, fp / max(fp[-1], 1)], np.r_[0, tp / max(tp[-1], 1)]


def roc_auc(probabilities, labels) -> float:
    """The area under the exact ROC curve (ties as one step); Keras' AUC metric
    approximates it with 200 fixed thresholds, coarse when probabilities crowd together."""
    fpr, tpr = roc_curve(probabilities, labels)
    return float(np.trapezoid(tpr, fpr))


def calibrated_scores(texts, labels, probabilities, calibration: dict) -> dict:
    """The calibrated probabilities read at the recorded threshold: its confusion
    matrix and rates, ECE, and accuracy by review length."""
    threshold = calibration["threshold"]
    at = scores_at(probabilities, labels, threshold)
    correct = (np.asarray(probabilities) >= threshold) == (np.asarray(labels) > 0.5)
    words = np.array([len(text.split()) for text in texts])
    which = np.searchsorted(LENGTH_EDGES, words)  # [n] bucket index; 1-16 words -> 0
    names = [
        f"{low + 1}-{high}" for low, high in zip((0, *LENGTH_EDGES), LENGTH_EDGES, strict=False)
    ] + [f"{LENGTH_EDGES[-1] + 1}+"]
    by_length = {
        names[b]: {
            "examples": int(np.sum(which == b)),
            "accuracy": round(float(correct[which == b].mean()), 6),
        }
        for b in range(len(names))
        if np.any(which == b)
    }
    p = np.clip(np.asarray(probabilities, np.float64), 1e-7, 1 - 1e-7)
    # T x logit: as trained
    uncalibrated = sigmoid(calibration["temperature"] * (np.log(p) - np.log1p(-p)))
    return {
        "threshold": threshold,
        "threshold_rule": calibration.get("threshold_rule"),
        "temperature": calibration["temperature"],
        "ece": round(expected_calibration_error(probabilities, labels), 6),
        "ece_uncalibrated": round(expected_calibration_error(uncalibrated, labels), 6),
        "ece_bins": ECE_BINS,
        "roc_auc": round(roc_auc(probabilities, labels), 6),
        "confusion_matrix": at.pop("confusion_matrix"),
        "at_threshold": {k: v for k, v in at.items() if k != "threshold"},
        "accuracy_by_length_words": by_length,
    }


def curves_figure(labels, probabilities):
    """curves.png's figure (two labels): the precision-recall curve, the ROC curve and
    its diagonal, the reliability diagram (a bar per ECE bin used) and its diagonal."""
    fpr, tpr = roc_curve(probabilities, labels)
    figure, (pr, roc, reliability) = pyplot().subplots(1, 3, figsize=(15, 4.5))
    positive = np.asarray(labels) > 0.5
    tp, fp = tpr[1:] * positive.sum(), fpr[1:] * (~positive).sum()  # counts at each threshold
    pr.plot(tpr[1:], tp / np.maximum(tp + fp, 1))
    pr.set(
        xlabel="recall", ylabel="precision", title="precision-recall", xlim=(0, 1), ylim=(0, 1.02)
    )
    roc.plot(fpr, tpr, label=f"AUC {roc_auc(probabilities, labels):.4f}")
    roc.plot([0, 1], [0, 1], linestyle=":", color="grey")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    roc.legend(loc="lower right")
    bins = np.minimum((np.asarray(probabilities) * ECE_BINS).astype(int), ECE_BINS - 1)
    used = [b for b in range(ECE_BINS) if np.any(bins == b)]
    reliability.bar(
        [(b + 0.5) / ECE_BINS for b in used],
        [np.mean(np.asarray(labels)[bins == b]) for b in used],
        width=1 / ECE_BINS,
        edgecolor="black",
        alpha=0.7,
        label="fraction positive",
    )
    reliability.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    reliability.set(
        xlabel="predicted probability of a positive review",
        ylabel="fraction positive",
        title=f"reliability (ECE {expected_calibration_error(probabilities, labels):.4f})",
    )
    reliability.legend(loc="upper left")
    figure.tight_layout()
    return figure


def check_report_dir(directory) -> Path:
    """Refuses, before any evaluating, a `report` that is a file or a directory holding
    files bert-keras did not write (an earlier report of bert-keras' is replaced)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UserInputError(f"report={directory}: is a file, not a directory")
    if (
        directory.is_dir()
        and any(directory.iterdir())
        and marker_format(directory / "report.json") != REPORT_FORMAT
    ):
        raise UserInputError(
            f"report={directory}: holds files that are not a bert-keras report; "
            f"give a new or empty directory"
        )
    return directory


def _confusion(confusion, rows, columns, labels: tuple[str, str]):
    """A matrix of counts, each cell written in it; `labels`: (x axis, y axis)."""
    confusion = np.asarray(confusion)
    figure, axes = pyplot().subplots(figsize=(3 + 0.9 * len(columns), 2.5 + 0.5 * len(rows)))
    axes.imshow(confusion, cmap="Blues", aspect="auto")
    axes.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    axes.set(xlabel=labels[0], ylabel=labels[1], title="confusion")
    for (row, column), count in np.ndenumerate(confusion):
        shade = "white" if count > confusion.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=shade)
    figure.tight_layout()
    return figure


def confusion_figure(result: dict, kind: str):
    """confusion.png's figure: the N x N matrix (rows true, columns predicted), or for
    multi-label a row per label of its true positives, false negatives, false positives
    and true negatives at its threshold."""
    names = result["labels"]
    if kind == "multi_class":
        return _confusion(result["confusion_matrix"], names, names, ("predicted", "true"))
    counts = [  # per label: tp, fn, fp, tn
        [m[1][1], m[1][0], m[0][1], m[0][0]]
        for m in (result["per_label"][name]["confusion_matrix"] for name in names)
    ]
    columns = ("true positive", "false negative", "false positive", "true negative")
    return _confusion(counts, names, columns, ("at the label's threshold", "label"))


def _mistakes(result: dict, labels, probabilities, kind: str):
    """(indices of the wrong predictions, each example's log loss, its true label's
    probability (multi-label: the names predicted), its label's name(s))."""
    if kind == "multi_label":
        names, thresholds = (
            result["labels"],
            [result["per_label"][n]["threshold"] for n in result["labels"]],
        )
        predicted = probabilities >= np.asarray(thresholds)
        wrong = np.flatnonzero(np.any(predicted != (labels > 0.5), axis=1))
        losses = log_losses(probabilities, labels).mean(axis=1)
        name_sets = [[n for n, on in zip(names, row, strict=True) if on] for row in labels > 0.5]
        shown = [[n for n, on in zip(names, row, strict=True) if on] for row in predicted]
        return wrong, losses, shown, name_sets
    if kind == "multi_class":  # the most probable is predicted
        names = result["labels"]
        wrong = np.flatnonzero(np.argmax(probabilities, axis=1) != labels)
        true_p = probabilities[np.arange(len(labels)), labels]
        losses = -np.log(np.clip(true_p, 1e-7, 1.0))
        return wrong, losses, true_p, [names[k] for k in labels]
    wrong = np.flatnonzero((probabilities >= result["threshold"]) != (labels > 0.5))
    return wrong, log_losses(probabilities, labels), probabilities, labels.tolist()


def write_report(directory, result: dict, texts, labels, probabilities, kind="binary"):
    """DIR/curves.png or confusion.png, DIR/report.json and DIR/errors.jsonl (see the
    module's docstring); `kind`: the run's label set's."""
    directory = check_report_dir(directory)
    directory.mkdir(parents=True, exist_ok=True)
    labels, probabilities = np.asarray(labels), np.asarray(probabilities, np.float64)
    if kind == "binary":
        save_figure(curves_figure(labels, probabilities), directory / "curves.png")
    else:
        save_figure(confusion_figure(result, kind), directory / "confusion.png")
    wrong, losses, shown, label_of = _mistakes(result, labels, probabilities, kind)
    worst = wrong[np.argsort(-losses[wrong], kind="stable")][:ERRORS_KEPT]
    # two labels: the probability of the second; more: that of the true label
    key = {"binary": "probability", "multi_class": "probability_of_label"}.get(kind, "predicted")
    lines = [
        json.dumps(
            {
                "text": texts[i],
                "label": label_of[i],
                key: shown[i] if kind == "multi_label" else round(float(shown[i]), 6),
                "loss": round(float(losses[i]), 6),
            },
            ensure_ascii=False,
        )
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        for i in worst
    ]  # one mistake, one line
    write_text_atomic(directory / "errors.jsonl", "".join(line + "\n" for line in lines))
    write_text_atomic(
        directory / "report.json", json.dumps({"format": REPORT_FORMAT, **result}, indent=2) + "\n"
    )
