"""Calibration and scores of multi-label examples: one sigmoid per label, logits [n, N],
labels [n, N] of 0/1.

One temperature divides every logit (fitted on all (example, label) pairs of the validation
split, as `calibration.fit_temperature` fits two labels); then each label gets its own
threshold, the F1-best on validation. numpy only, as `calibration`.
"""

import numpy as np

from bert_keras.scoring.calibration import (
    ECE_BINS,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    sigmoid,
)


def _rates(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def label_scores(probabilities, labels, names, thresholds) -> dict:
    """Each label's precision, recall, F1, support and counts at its threshold; macro-F1 (the
    mean of the labels'), micro-F1 (of the summed counts) and exact-match accuracy."""
    labels = np.asarray(labels) > 0.5
    predicted = np.asarray(probabilities) >= np.asarray(thresholds)[np.newaxis, :]
    per_label, f1s, totals = {}, [], np.zeros(3, np.int64)
    for k, name in enumerate(names):
        tp = int(np.sum(predicted[:, k] & labels[:, k]))
        fp = int(np.sum(predicted[:, k] & ~labels[:, k]))
        fn = int(np.sum(~predicted[:, k] & labels[:, k]))
        tn = len(labels) - tp - fp - fn
        precision, recall, f1 = _rates(tp, fp, fn)
        f1s.append(f1)
        totals += (tp, fp, fn)
        per_label[name] = {
            "threshold": float(thresholds[k]),
            "precision": round(precision, 6),
            "recall": round(recall, 6),
            "f1": round(f1, 6),
            "support": tp + fn,
            # rows: true no, yes; columns: predicted no, yes (scikit-learn's order)
            "confusion_matrix": [[tn, fp], [fn, tp]],
        }
    return {
        "macro_f1": round(float(np.mean(f1s)), 6),
        "micro_f1": round(_rates(*totals)[2], 6),
        "exact_match": round(float(np.mean(np.all(predicted == labels, axis=1))), 6),
        "labels": list(names),
        "per_label": per_label,
    }


def pooled_ece(probabilities, labels) -> float:
    """ECE over every (example, label) pair."""
    return expected_calibration_error(np.ravel(probabilities), np.ravel(labels))


def calibrate(logits, labels, names) -> dict:
    """Temperature, each label's threshold, and the validation figures they give."""
    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.float64)
    temperature = fit_temperature(logits.ravel(), labels.ravel())
    after = sigmoid(logits / temperature)
    thresholds = [
        choose_threshold(after[:, k], labels[:, k])["threshold"] for k in range(len(names))
    ]
    return {
        "temperature": temperature,
        "ece_before": round(pooled_ece(sigmoid(logits), labels), 6),
        "ece_after": round(pooled_ece(after, labels), 6),
        "ece_bins": ECE_BINS,
        "threshold": None,
        "thresholds": thresholds,
        "threshold_rule": "f1, each label's own",
        "chosen_on": "validation",
        "validation": label_scores(after, labels, names, thresholds),
    }


def calibrated_scores(probabilities, labels, names, calibration: dict) -> dict:
    """What `evaluate` adds for multi-label: the scores at the recorded thresholds."""
    thresholds = calibration.get("thresholds") or [0.5] * len(names)
    return {
        "temperature": calibration["temperature"],
        "ece": round(pooled_ece(probabilities, labels), 6),
        "ece_bins": ECE_BINS,
        **label_scores(probabilities, labels, names, thresholds),
    }
