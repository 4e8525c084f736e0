"""Temperature scaling and the decision threshold, both chosen on the validation split.

Temperature scaling (Guo et al. 2017) divides the head's logit by one number T > 0,
fitted to minimise the validation log loss. It changes how confident the probability
is, never which of two reviews is more positive, so AUC and the ranking stay as
trained. The threshold is then chosen on the calibrated probabilities: the F1-best,
or the one meeting a target precision (with the most recall) or a target recall
(with the most precision).

No TensorFlow here: these are numpy computations on [n] arrays of logits and labels.
"""

import json
from pathlib import Path

import numpy as np

CALIBRATION_FILE = "calibration.json"  # an export's assets.extra/ record of what its graph applies
UNCALIBRATED = {
    "temperature": 1.0,
    "threshold": 0.5,
    "threshold_rule": "none: the run predates calibration",
}
ECE_BINS = 15  # equal-width probability bins, as Guo et al.
LOG_BETA_RANGE = (-7.0, 7.0)  # 1/T searched in [e^-7, e^7]: T from 0.001 to 1,100
BISECTIONS = 80  # halves the log(1/T) interval to ~1e-23: exact in float64


def read_calibration(record: Path, key: str | None = None) -> dict:
    """The temperature and threshold recorded in `record` (a run's metrics.json under
    `key`, or an export's calibration.json). A run trained before calibration existed,
    or not finished, has none: it serves its sigmoid as trained, at 0.5."""
    recorded = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    return (recorded.get(key) if key else recorded) or UNCALIBRATED


def sigmoid(logits: np.ndarray) -> np.ndarray:
    # Below -709, exp(-logit) overflows to inf and 1 / (1 + inf) is 0.0, the right limit:
    # numpy's overflow warning would only put noise on a run's stderr.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, np.float64)))


def expected_calibration_error(probabilities, labels, bins: int = ECE_BINS) -> float:
    """Σ_bins (n_b / n) |mean P(positive) in b - fraction positive in b|, bins equal-width
    over [0, 1]: the gap between the probability of a positive review and how often
    reviews given that probability are positive (the reliability diagram's gaps)."""
    probabilities, labels = np.asarray(probabilities, np.float64), np.asarray(labels, np.float64)
    which = np.minimum((probabilities * bins).astype(int), bins - 1)  # [n] bin index
    gaps = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            gaps += members.sum() * abs(probabilities[members].mean() - labels[members].mean())
    return float(gaps / max(len(labels), 1))


def fit_temperature(logits, labels) -> float:
    """T minimising the mean log loss of sigmoid(logit / T). The loss is convex in
    beta = 1/T (a one-weight logistic regression), so its derivative
    mean((sigmoid(beta z) - y) z) is increasing: bisection on log beta finds its zero."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    low, high = LOG_BETA_RANGE
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        slope = np.mean((sigmoid(np.exp(middle) * logits) - labels) * logits)
        low, high = (middle, high) if slope < 0 else (low, middle)
    return float(1.0 / np.exp((low + high) / 2))


def scores_at(probabilities, labels, threshold: float) -> dict:
    """Counts and rates of `probability >= threshold` as the positive label."""
    predicted = np.asarray(probabilities) >= threshold
    positive = np.asarray(labels) > 0.5
    tp, fp = int(np.sum(predicted & positive)), int(np.sum(predicted & ~positive))
    fn, tn = int(np.sum(~predicted & positive)), int(np.sum(~predicted & ~positive))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": float(threshold),
        "accuracy": round((tp + tn) / max(len(predicted), 1), 6),
        "precision": round(precision, 6),
        "recall": round(recall, 6),
        "f1": round(f1, 6),
        # rows: true label 0, 1; columns: predicted 0, 1 (scikit-learn's order)
        "confusion_matrix": [[tn, fp], [fn, tp]],
    }


def _candidates(probabilities, labels):
    """Every distinct threshold (each distinct probability, highest first) with the
    precision and recall of predicting positive at and above it."""
    order = np.argsort(-np.asarray(probabilities, np.float64), kind="stable")
    ranked, positive = np.asarray(probabilities, np.float64)[order], np.asarray(labels)[order] > 0.5
    true_positives, predicted = np.cumsum(positive), np.arange(1, len(ranked) + 1)
    last_of_each = np.r_[ranked[1:] != ranked[:-1], True]  # ties: all of them or none
    thresholds = ranked[last_of_each]
    precision = true_positives[last_of_each] / predicted[last_of_each]
    recall = true_positives[last_of_each] / max(int(positive.sum()), 1)
    return thresholds, precision, recall


def choose_threshold(
    probabilities, labels, target_precision: float | None = None, target_recall: float | None = None
) -> dict:
    """The threshold and how it was chosen: `rule` (f1, precision>=P, recall>=R) and
    whether the target was `met` (a precision no threshold reaches takes the most
    precise threshold, met False). Without positives or negatives: 0.5."""
    labels = np.asarray(labels)
    rule = (
        f"precision>={target_precision}"
        if target_precision is not None
        else f"recall>={target_recall}"
        if target_recall is not None
        else "f1"
    )
    if labels.size == 0 or labels.min() == labels.max():
        return {"rule": rule, "met": False, "threshold": 0.5}
    thresholds, precision, recall = _candidates(probabilities, labels)
    met = True
    if target_precision is not None:
        reaching = np.flatnonzero(precision >= target_precision)
        met = reaching.size > 0
        # the lowest threshold: the most recall
        pick = reaching[-1] if met else int(np.argmax(precision))
    elif target_recall is not None:
        # never empty: the lowest threshold recalls all
        reaching = np.flatnonzero(recall >= target_recall)
        # precision is not monotone in the threshold
        pick = reaching[np.argmax(precision[reaching])]
    else:
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
        best = np.flatnonzero(f1 == f1.max())
        pick = best[np.argmin(np.abs(thresholds[best] - 0.5))]  # ties: the one nearest 0.5
    return {"rule": rule, "met": bool(met), "threshold": float(thresholds[pick])}


def calibrate(
    logits, labels, target_precision: float | None = None, target_recall: float | None = None
) -> dict:
    """Temperature, threshold and the validation figures they give: what metrics.json
    records under `calibration` and export copies into assets.extra/calibration.json."""
    temperature = fit_temperature(logits, labels)
    before, after = sigmoid(logits), sigmoid(np.asarray(logits, np.float64) / temperature)
    choice = choose_threshold(after, labels, target_precision, target_recall)
    # Temperature and threshold unrounded: exported, they must give the figures recorded here.
    return {
        "temperature": temperature,
        "ece_before": round(expected_calibration_error(before, labels), 6),
        "ece_after": round(expected_calibration_error(after, labels), 6),
        "ece_bins": ECE_BINS,
        "threshold": choice["threshold"],
        "threshold_rule": choice["rule"],
        "target_met": choice["met"],
        "chosen_on": "validation",
        "validation": scores_at(after, labels, choice["threshold"]),
    }
