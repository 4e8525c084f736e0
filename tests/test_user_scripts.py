"""scripts/train.py, export.py and tune_freeze_depth.py (the public API only) run as their
documentation shows, small: on the tiny encoder and a few reviews, in this process."""

import csv
import json
import runpy
from pathlib import Path

import numpy as np
import pytest
from runs import run_config
from served import ROUNDED_ATOL, calibrated_probabilities

from bert_keras.serving.predict import Predictor

pytestmark = pytest.mark.integration  # the scripts, as tests/test_scripts.py runs the benchmarks
SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def script_main(name: str):
    return runpy.run_path(str(SCRIPTS / name))["main"]


def test_train_export_and_tune_scripts(tiny_encoder_dir, trained_run_reviews, tmp_path, capsys):
    run, common = tmp_path / "run", ["--data", trained_run_reviews, "--encoder", tiny_encoder_dir]
    small = ["--batch-size", "8", "--learning-rate", "5e-3", "--precision", "float32"]
    argv = [*common, "--out", run, "--train-last", "1", *small]
    assert script_main("train.py")(list(map(str, argv))) == 0
    printed = json.loads(capsys.readouterr().out.splitlines()[-1])
    config, _ = run_config(run)
    assert config["freeze"]["train_last"] == 1 and config["batch_size"] == 8
    assert printed == json.loads((run / "metrics.json").read_text())

    assert script_main("export.py")([str(run), str(tmp_path / "sentiment")]) == 0
    exported = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert exported["version"] == 1 and exported["export"] == str(tmp_path / "sentiment" / "1")
    texts = ["great product works well", "broke after a day"]
    served = [row["probability"] for row in Predictor(tmp_path / "sentiment")(texts)]
    np.testing.assert_allclose(served, calibrated_probabilities(run, texts), atol=ROUNDED_ATOL)

    argv = [*common, "--out", tmp_path / "tune", "--blocks", "0", "2", "--epochs", "1"]
    assert script_main("tune_freeze_depth.py")(list(map(str, argv))) == 0
    with open(tmp_path / "tune" / "trials.csv", newline="") as trials:
        depths = sorted(int(row["trainable_blocks"]) for row in csv.DictReader(trials))
    assert depths == [0, 2]
    capsys.readouterr()

    missing = [*common, "--out", tmp_path / "other", "--data", tmp_path / "missing.csv"]
    assert script_main("train.py")(list(map(str, missing))) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("train.py: ") and "missing.csv" in error and "\n" not in error
