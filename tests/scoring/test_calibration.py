"""Temperature scaling, ECE and threshold choice on numbers whose answers are known."""

import json
import warnings

import numpy as np
import pytest

from bert_keras.scoring.calibration import (
    UNCALIBRATED,
    calibrate,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    read_calibration,
    scores_at,
    sigmoid,
)


def rates_at(probabilities, labels, threshold) -> dict:
    """Written out here, a review at a time: precision, recall and F1 of calling positive
    every review whose probability is at or above `threshold`."""
    tp = fp = fn = 0
    for p, y in zip(probabilities, labels, strict=True):
        said, positive = p >= threshold, y > 0.5
        tp, fp, fn = (
            tp + (said and positive),
            fp + (said and not positive),
            fn + (positive and not said),
        )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def test_ece_is_the_weighted_gap_per_bin():
    # bin [0.2, 0.267): p 0.25 twice, one positive -> gap 0.25;
    # bin of 0.9: p 0.9, positive -> gap 0.1
    assert expected_calibration_error([0.25, 0.25, 0.9], [1, 0, 1]) == pytest.approx(
        (2 * 0.25 + 0.1) / 3, abs=1e-12
    )
    assert expected_calibration_error([0.0, 1.0], [0, 1]) == 0.0


def test_sigmoid_of_extreme_logits_is_its_limit_without_a_warning():
    # A confident model's logits, divided by a small temperature, reach past exp's range.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would land on a run's stderr
        assert sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4])).tolist() == [
            0.0,
            0.0,
            0.5,
            1.0,
            1.0,
        ]


def test_the_fitted_temperature_is_the_one_that_made_the_labels():
    """Labels drawn from sigmoid(z / 2.5) with many draws: the log-loss optimum is near
    2.5, and the derivative of the loss in 1/T is zero there (the optimum, not near it)."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 6, 200_000)
    labels = (rng.random(logits.size) < sigmoid(logits / 2.5)).astype(float)
    temperature = fit_temperature(logits, labels)
    assert temperature == pytest.approx(2.5, rel=0.02)
    assert abs(np.mean((sigmoid(logits / temperature) - labels) * logits)) < 1e-9
    assert (
        expected_calibration_error(sigmoid(logits / temperature), labels)
        < expected_calibration_error(sigmoid(logits), labels) / 5
    )


def test_an_f1_threshold_is_the_best_of_every_cut():
    rng = np.random.default_rng(1)
    labels = rng.random(300) < 0.4
    probabilities = np.clip(labels * 0.3 + rng.random(300) * 0.7, 0, 1)
    chosen = choose_threshold(probabilities, labels)
    best = max(rates_at(probabilities, labels, t)["f1"] for t in np.unique(probabilities))
    assert chosen["rule"] == "f1"
    assert rates_at(probabilities, labels, chosen["threshold"])["f1"] == pytest.approx(best)


@pytest.mark.parametrize("target", [0.7, 0.85, 0.95])
def test_a_target_precision_is_met_with_the_most_recall(target):
    rng = np.random.default_rng(2)
    labels = rng.random(500) < 0.5
    probabilities = np.clip(labels * 0.25 + rng.random(500) * 0.75, 0, 1)
    chosen = choose_threshold(probabilities, labels, target_precision=target)
    at = rates_at(probabilities, labels, chosen["threshold"])
    assert chosen["met"] and at["precision"] >= target
    meeting = [rates_at(probabilities, labels, t) for t in np.unique(probabilities)]
    assert at["recall"] == max(s["recall"] for s in meeting if s["precision"] >= target)


def test_a_target_recall_is_met_with_the_most_precision():
    rng = np.random.default_rng(3)
    labels = rng.random(400) < 0.5
    probabilities = rng.random(400)
    chosen = choose_threshold(probabilities, labels, target_recall=0.9)
    at = rates_at(probabilities, labels, chosen["threshold"])
    assert at["recall"] >= 0.9
    assert at["precision"] == max(
        s["precision"]
        for s in (rates_at(probabilities, labels, t) for t in np.unique(probabilities))
        if s["recall"] >= 0.9
    )


def test_an_unreachable_precision_is_said_and_takes_the_most_precise_threshold():
    # precisions 0, 1/2, 2/3, 1/2
    chosen = choose_threshold([0.9, 0.8, 0.7, 0.6], [0, 1, 1, 0], target_precision=0.99)
    assert chosen == {"rule": "precision>=0.99", "met": False, "threshold": 0.7}


def test_scores_at_a_threshold_counted_by_hand():
    """Rows are the true label, columns the predicted (scikit-learn's order), on counts
    that differ cell by cell: a transposed or reordered matrix would show."""
    probabilities = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1, 0.05]
    labels = [1, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    # at 0.5: said positive 0.9 (1), 0.8 (0), 0.7 (0), 0.6 (0), 0.55 (1): tp 2, fp 3;
    # said negative 0.4 (1), then five 0s: fn 1, tn 4
    assert scores_at(probabilities, labels, 0.5) == {
        "threshold": 0.5,
        "accuracy": 0.6,
        "precision": 0.4,
        "recall": round(2 / 3, 6),
        "f1": 0.5,  # 2 * 0.4 * (2/3) / (0.4 + 2/3)
        "confusion_matrix": [[4, 3], [1, 2]],
    }
    # at or above: 0.55 itself is said positive; above 0.75 only two are
    assert scores_at(probabilities, labels, 0.55)["confusion_matrix"] == [[4, 3], [1, 2]]
    assert scores_at(probabilities, labels, 0.75)["confusion_matrix"] == [[6, 1], [2, 1]]


def test_calibrate_records_what_export_applies():
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 8, 2000)
    labels = (rng.random(2000) < sigmoid(logits / 3)).astype(float)
    result = calibrate(logits, labels, target_precision=0.9)
    assert result["ece_after"] < result["ece_before"] and result["target_met"]
    calibrated = 1 / (1 + np.exp(-logits / result["temperature"]))
    expected = rates_at(calibrated, labels, result["threshold"])
    for name in ("precision", "recall", "f1"):
        assert result["validation"][name] == pytest.approx(expected[name], abs=1e-6), name
    assert result["validation"]["precision"] >= 0.9


def test_a_recorded_calibration_is_read_and_a_missing_one_is_the_sigmoid_at_one_half(tmp_path):
    recorded = {"temperature": 2.0, "threshold": 0.4, "threshold_rule": "f1"}
    (tmp_path / "metrics.json").write_text(json.dumps({"f1": 0.9, "calibration": recorded}))
    # trained before calibration
    (tmp_path / "old_metrics.json").write_text(json.dumps({"f1": 0.9}))
    (tmp_path / "calibration.json").write_text(json.dumps(recorded))
    assert read_calibration(tmp_path / "metrics.json", "calibration") == recorded
    assert read_calibration(tmp_path / "calibration.json") == recorded
    assert read_calibration(tmp_path / "old_metrics.json", "calibration") == UNCALIBRATED
    assert read_calibration(tmp_path / "unfinished" / "metrics.json", "calibration") == UNCALIBRATED
    assert UNCALIBRATED["temperature"] == 1.0 and UNCALIBRATED["threshold"] == 0.5
