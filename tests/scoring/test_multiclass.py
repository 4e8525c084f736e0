"""Calibration and scores of three labels or more, against computations written out here."""

import numpy as np
import pytest

from bert_keras.scoring.multiclass import class_scores, fit_temperature, softmax, top_label_ece


def test_the_temperature_minimises_the_log_loss_found_by_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=500)
    logits = 2.5 * (rng.normal(size=(500, 4)) + 3.0 * np.eye(4)[labels])

    def log_loss(t):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(500), labels])

    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 20001))
    best = grid[np.argmin([log_loss(t) for t in grid])]
    assert abs(best - 1) > 0.1  # a temperature that matters
    assert fit_temperature(logits, labels) == pytest.approx(best, rel=1e-3)


def test_scores_confusion_and_ece_by_hand():
    names = ["a", "b", "c"]
    labels = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.array(
        [
            [0.8, 0.1, 0.1],  # a, right
            [0.2, 0.7, 0.1],  # a -> b
            [0.1, 0.6, 0.3],  # b, right
            [0.1, 0.5, 0.4],  # b, right
            [0.3, 0.3, 0.4],  # c, right
            [0.5, 0.2, 0.3],  # c -> a
        ]
    )
    scores = class_scores(probabilities, labels, names)
    assert scores["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert scores["accuracy"] == round(4 / 6, 6)
    # a: P 1/2 R 1/2; b: P 2/3 R 1; c: P 1 R 1/2
    f1 = [0.5, 2 * (2 / 3) / (2 / 3 + 1), 2 * 0.5 / 1.5]
    assert scores["per_label"]["b"] == {
        "precision": round(2 / 3, 6),
        "recall": 1.0,
        "f1": round(f1[1], 6),
        "support": 2,
    }
    assert scores["macro_f1"] == round(sum(f1) / 3, 6)
    # top-label ECE, 15 bins: confidences 0.8, 0.7, 0.6, 0.5, 0.4, 0.5 and right 1,0,1,1,1,0
    # bins: [0.8] 1 -> 0.2; [0.7] 0 -> 0.7; [0.6] 1 -> 0.4; [0.5, 0.5] 1,0 -> 0; [0.4] 1 -> 0.6
    assert top_label_ece(probabilities, labels) == pytest.approx((0.2 + 0.7 + 0.4 + 0 + 0.6) / 6)


def test_softmax_rows_sum_to_one_even_for_huge_logits():
    p = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-12)
