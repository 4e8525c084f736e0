"""Calibration on real reviews (the built-in encoder, the shared sample): the fitted
temperature lowers the calibration error on the test split it never saw, and a target
precision is met on the validation split it was chosen on."""

import json

import pytest

from bert_keras.cli import main

pytestmark = pytest.mark.slow


def test_temperature_lowers_test_ece_and_the_target_precision_is_met(
    minilm_dir, shared_dir, tmp_path, capsys
):
    data = shared_dir / "data" / "amazon_review_polarity_csv"
    out = tmp_path / "run"
    # A peak rate of 3e-4 for 3 epochs on 1,200 reviews (960 to train on): fine-tuning's usual
    # overconfidence (training loss far below validation loss), which temperature scaling fixes.
    assert (
        main(
            [
                "train",
                "--encoder",
                "minilm-l6",
                "--data",
                str(data),
                "--out",
                str(out),
                "--train-last",
                "2",
                "--epochs",
                "3",
                "--learning-rate",
                "3e-4",
                "--limit",
                "1200",
                "--validation-split",
                "0.2",
                "--frozen-prefix",
                "cache",
                "--max-seq-length",
                "64",
                "--precision",
                "float32",
                "--target-precision",
                "0.9",
            ]
        )
        == 0
    )
    calibration = json.loads(capsys.readouterr().out)["calibration"]
    assert calibration["threshold_rule"] == "precision>=0.9" and calibration["target_met"]
    assert (
        calibration["validation"]["precision"] >= 0.9 and calibration["validation"]["recall"] > 0.2
    )
    assert calibration["temperature"] > 1 and calibration["ece_after"] < calibration["ece_before"]

    # the test split: 1,000 reviews calibration never saw
    assert main(["evaluate", "--model", str(out)]) == 0
    tested = json.loads(capsys.readouterr().out)
    print(
        json.dumps(
            {
                "validation": calibration,
                "test_ece": tested["ece"],
                "test_ece_uncalibrated": tested["ece_uncalibrated"],
            }
        )
    )
    assert tested["evaluated_examples"] == 1000 and tested["ece"] < tested["ece_uncalibrated"]
