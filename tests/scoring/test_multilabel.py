"""Multi-label calibration and scores, against computations written out here."""

import numpy as np
import pytest

from bert_keras.scoring.multilabel import calibrate, label_scores


def f1_at(probabilities, truth, threshold) -> float:
    said = probabilities >= threshold
    tp, fp, fn = np.sum(said & truth), np.sum(said & ~truth), np.sum(~said & truth)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def test_each_labels_threshold_is_its_f1_best_on_the_calibrated_probabilities():
    rng = np.random.default_rng(3)
    labels = rng.random((400, 3)) < [0.2, 0.5, 0.7]  # three base rates
    logits = rng.normal(size=(400, 3)) + np.where(labels, 1.5, -1.5) + [1.0, 0.0, -1.0]
    result = calibrate(logits, labels.astype(float), ["a", "b", "c"])
    after = 1 / (1 + np.exp(-logits / result["temperature"]))
    for k, threshold in enumerate(result["thresholds"]):
        best = max(f1_at(after[:, k], labels[:, k], t) for t in np.unique(after[:, k]))
        assert f1_at(after[:, k], labels[:, k], threshold) == pytest.approx(best, abs=1e-12)
    assert len(set(result["thresholds"])) == 3  # each its own


def test_label_scores_by_hand():
    probabilities = np.array([[0.9, 0.2], [0.6, 0.7], [0.3, 0.8], [0.1, 0.1]])
    labels = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    scores = label_scores(probabilities, labels, ["x", "y"], [0.5, 0.75])
    # x at 0.5: said 1, 1, 0, 0 -> tp 1, fp 1, fn 1, tn 1; y at 0.75: said 0, 0, 1, 0 -> tp 1, fn 1
    assert scores["per_label"]["x"]["confusion_matrix"] == [[1, 1], [1, 1]]
    assert scores["per_label"]["y"]["confusion_matrix"] == [[2, 0], [1, 1]]
    assert scores["macro_f1"] == round((0.5 + 2 / 3) / 2, 6)
    assert scores["micro_f1"] == round(2 * 2 / (2 * 2 + 1 + 2), 6)  # tp 2, fp 1, fn 2
    assert scores["exact_match"] == 0.5  # rows 1 and 4 are right for both labels
