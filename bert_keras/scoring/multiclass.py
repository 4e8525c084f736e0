"""Calibration and scores of three or more labels: a softmax over the head's logits [n, N].

Temperature scaling divides every logit by one T > 0, fitted to minimise the validation log
loss; the most probable label, and so accuracy and F1, stay as trained. The predicted label
is the most probable one (no threshold). numpy only, as `calibration`.
"""

import numpy as np

from bert_keras.scoring.calibration import (
    BISECTIONS,
    ECE_BINS,
    LOG_BETA_RANGE,
    expected_calibration_error,
)


def softmax(logits) -> np.ndarray:
    """[n, N] float64 probabilities, each row summing to 1."""
    z = np.asarray(logits, np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits, labels) -> float:
    """T minimising the mean log loss of softmax(logits / T). With beta = 1/T the loss is
    convex (a log-sum-exp of linear functions of beta minus a linear one), so its
    derivative mean(sum_k p_k z_k - z_label) increases with beta: bisection on log beta."""
    z, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    true_logit = z[np.arange(len(labels)), labels]  # [n]
    low, high = LOG_BETA_RANGE
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        slope = np.mean(np.sum(softmax(np.exp(middle) * z) * z, axis=1) - true_logit)
        low, high = (middle, high) if slope < 0 else (low, middle)
    return float(1.0 / np.exp((low + high) / 2))


def top_label_ece(probabilities, labels) -> float:
    """ECE of the most probable label's probability against whether it is right."""
    probabilities = np.asarray(probabilities, np.float64)
    correct = np.argmax(probabilities, axis=1) == np.asarray(labels)
    return expected_calibration_error(probabilities.max(axis=1), correct)


def class_scores(probabilities, labels, names) -> dict:
    """Accuracy, macro-F1, each label's precision, recall, F1 and support, and the N x N
    confusion matrix (rows: true label; columns: predicted), the most probable label
    predicted."""
    labels, count = np.asarray(labels, np.int64), len(names)
    predicted = np.argmax(np.asarray(probabilities), axis=1)
    confusion = np.zeros((count, count), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_label, f1s = {}, []
    for k, name in enumerate(names):
        tp, predicted_k, actual_k = confusion[k, k], confusion[:, k].sum(), confusion[k].sum()
        precision = tp / predicted_k if predicted_k else 0.0
        recall = tp / actual_k if actual_k else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        per_label[name] = {
            "precision": round(float(precision), 6),
            "recall": round(float(recall), 6),
            "f1": round(float(f1), 6),
            "support": int(actual_k),
        }
    return {
        "accuracy": round(float(np.trace(confusion) / max(len(labels), 1)), 6),
        "macro_f1": round(float(np.mean(f1s)), 6),
        "per_label": per_label,
        "labels": list(names),
        "confusion_matrix": confusion.tolist(),
    }


def calibrate(logits, labels, names) -> dict:
    """Temperature and the validation figures it gives (metrics.json's `calibration`)."""
    temperature = fit_temperature(logits, labels)
    before = softmax(logits)
    after = softmax(np.asarray(logits, np.float64) / temperature)
    return {
        "temperature": temperature,
        "ece_before": round(top_label_ece(before, labels), 6),
        "ece_after": round(top_label_ece(after, labels), 6),
        "ece_bins": ECE_BINS,
        "threshold": None,
        "threshold_rule": "argmax: the most probable label",
        "chosen_on": "validation",
        "validation": class_scores(after, labels, names),
    }


def log_loss(probabilities, labels) -> float:
    """Mean -log P(the true label), clipped as Keras clips."""
    p = np.asarray(probabilities, np.float64)[np.arange(len(labels)), np.asarray(labels)]
    return round(float(np.mean(-np.log(np.clip(p, 1e-7, 1.0)))), 6)


def calibrated_scores(probabilities, labels, names, calibration: dict) -> dict:
    """What `evaluate` adds for three labels or more: the calibrated probabilities' scores
    (per label, the N x N confusion matrix) and their top-label ECE."""
    return {
        "temperature": calibration["temperature"],
        "ece": round(top_label_ece(probabilities, labels), 6),
        "ece_bins": ECE_BINS,
        **class_scores(probabilities, labels, names),
    }
