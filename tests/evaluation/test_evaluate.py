"""`bert-keras evaluate` of a run and of an export: the calibrated figures at the
recorded threshold, the same for both, and --report's files."""

import json

import numpy as np
import pytest

from bert_keras.cli import main
from bert_keras.evaluation.report import ERRORS_KEPT


def _evaluate(capsys, *argv):
    assert main(["evaluate", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_run_reads_its_calibrated_probabilities_at_its_threshold(trained_run, tmp_path, capsys):
    report = tmp_path / "report"
    result = _evaluate(capsys, "--model", str(trained_run), "--report", str(report))
    calibration = json.loads((trained_run / "metrics.json").read_text())["calibration"]
    assert (
        result["threshold"] == calibration["threshold"]
        and result["temperature"] == calibration["temperature"]
    )
    (tn, fp), (fn, tp) = result["confusion_matrix"]
    assert tn + fp + fn + tp == result["evaluated_examples"] == 40
    assert result["at_threshold"]["accuracy"] == round((tp + tn) / 40, 6)
    assert result["at_threshold"]["precision"] == round(tp / (tp + fp), 6) if tp + fp else True
    assert sum(b["examples"] for b in result["accuracy_by_length_words"].values()) == 40
    assert 0 <= result["ece"] <= 1 and result["ece"] != result["ece_uncalibrated"]

    assert json.loads((report / "report.json").read_text()) == {
        "format": "bert-keras-report/1",
        **result,
    }
    assert (report / "curves.png").stat().st_size > 10_000
    errors = [json.loads(line) for line in (report / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == min(fp + fn, ERRORS_KEPT)
    for error in errors:  # each a real mistake at the threshold, the most confident first
        assert (error["probability"] >= result["threshold"]) != (error["label"] == 1)
    assert [e["loss"] for e in errors] == sorted((e["loss"] for e in errors), reverse=True)


def test_an_export_evaluates_as_its_run_does(trained_run, exported, capsys):
    """The run trained in float32, the export serves in float32: the threshold reads the
    same probabilities (up to float32 rounding), so the export's figures are the run's."""
    _, model_dir = exported
    run = _evaluate(capsys, "--model", str(trained_run))
    export = _evaluate(capsys, "--model", str(model_dir))  # the model directory: its newest version
    assert (
        export["confusion_matrix"] == run["confusion_matrix"]
        and export["at_threshold"] == run["at_threshold"]
    )
    assert export["f1"] == export["at_threshold"]["f1"]  # an export's metrics are what it serves
    assert export["ece"] == pytest.approx(run["ece"], abs=1e-5) and export[
        "roc_auc"
    ] == pytest.approx(run["roc_auc"], abs=1e-6)
    assert export["data"] == run["data"] and export["evaluated_examples"] == 40


def test_a_report_that_is_a_file_is_one_line_and_nothing_is_evaluated(
    trained_run, tmp_path, capsys
):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    assert main(["evaluate", "--model", str(trained_run), "--report", str(taken)]) == 2
    captured = capsys.readouterr()
    assert (
        captured.out == ""
        and captured.err.strip()
        == f"bert-keras: error: --report {taken}: is a file, not a directory"
    )
    assert taken.read_text() == "mine"


def test_a_report_goes_only_where_nothing_else_is(trained_run, tmp_path, capsys):
    """Someone's files in DIR are refused before any evaluating; bert-keras' own earlier
    report is written again."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "report.json").write_text('{"mine": 1}')
    assert main(["evaluate", "--model", str(trained_run), "--report", str(theirs)]) == 2
    assert "holds files that are not a bert-keras report" in capsys.readouterr().err
    assert [p.name for p in theirs.iterdir()] == ["report.json"] and (
        theirs / "report.json"
    ).read_text() == '{"mine": 1}'
    ours = tmp_path / "ours"
    for _ in range(2):
        assert main(["evaluate", "--model", str(trained_run), "--report", str(ours)]) == 0
    assert sorted(p.name for p in ours.iterdir()) == ["curves.png", "errors.jsonl", "report.json"]


def test_a_directory_that_is_neither_run_nor_export_is_one_line(tmp_path, capsys):
    (tmp_path / "something").mkdir()
    assert main(["evaluate", "--model", str(tmp_path / "something")]) == 2
    assert "neither a run directory nor an export" in capsys.readouterr().err


def test_ece_uncalibrated_is_the_trained_sigmoid_s(trained_run, capsys):
    """ece_uncalibrated comes from the calibrated probabilities undone (T x logit): it
    must equal the ECE of the model's own sigmoid."""
    from bert_keras.evaluation.calibration import expected_calibration_error, sigmoid

    result = _evaluate(capsys, "--model", str(trained_run))
    np.testing.assert_allclose(
        result["ece_uncalibrated"],
        _own_sigmoid_ece(trained_run, expected_calibration_error, sigmoid),
        atol=1e-5,
    )


def _own_sigmoid_ece(run_dir, ece, sigmoid):
    from bert_keras.config import TrainConfig
    from bert_keras.data.sources import load_evaluation_split
    from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
    from bert_keras.evaluation.predictions import split_logits
    from bert_keras.training.checkpoints import best_checkpoint, restore_weights
    from bert_keras.training.classifier import build_classifier

    config = TrainConfig.read(run_dir / "config.json")
    paths = resolve_encoder(config.encoder)
    model = build_classifier(paths.encoder, config.freeze, config.dropout, config.seed)
    restore_weights(model, best_checkpoint(run_dir), "best")
    split, _ = load_evaluation_split(config)
    _, labels, logits = split_logits(model, split, load_preprocessor(paths), config)
    return ece(sigmoid(logits), labels)
