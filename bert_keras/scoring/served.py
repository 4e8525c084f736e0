"""The F1 of an export's calibrated probabilities, whatever the kind of labels: at the
recorded threshold for two labels, macro-F1 of the most probable for more, macro-F1 at each
label's threshold for multi-label."""

import numpy as np

from bert_keras.scoring import multiclass, multilabel
from bert_keras.scoring.calibration import scores_at


def served_f1(kind: str, probabilities, labels, names, calibration: dict) -> float:
    """The F1 that calibrated `probabilities` [n, N] score against `labels`.

    Args:
        kind: `binary`, `multi_class` or `multi_label`.
        probabilities: float [n, N], in the order of `names`.
        labels: label indices [n] (multi-label: rows of 0/1, [n, N]).
        names: the label names.
        calibration: calibration.json's record (`threshold`, or `thresholds`).

    >>> served_f1("binary", np.array([[0.3, 0.7], [0.6, 0.4]]), [1, 1], ("no", "yes"),
    ...           {"threshold": 0.5})
    0.666667
    """
    probabilities = np.asarray(probabilities)
    if kind == "binary":
        return scores_at(probabilities[:, 1], labels, calibration.get("threshold") or 0.5)["f1"]
    if kind == "multi_class":
        return multiclass.class_scores(probabilities, labels, names)["macro_f1"]
    thresholds = calibration.get("thresholds") or [0.5] * len(names)
    return multilabel.label_scores(probabilities, labels, names, thresholds)["macro_f1"]
