"""`bert-keras evaluate` of a run and of an export: the calibrated figures at the
recorded threshold, the same for both, and --report's files."""

import json

import numpy as np
import pytest
from figures import assert_saved_as
from served import calibrated_probabilities, own_probabilities, run_test_reviews, threshold_of

from bert_keras.cli import main
from bert_keras.evaluation.report import ERRORS_KEPT, curves_figure


def _evaluate(capsys, *argv):
    assert main(["evaluate", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def gap_per_bin(probabilities, labels, bins=15) -> float:
    """Expected calibration error written out: for each of 15 equal-width bins of
    P(positive), |mean probability - fraction positive|, weighted by the bin's share."""
    total = 0.0
    for low in np.arange(bins) / bins:
        inside = (probabilities >= low) & (probabilities < low + 1 / bins)
        if low == (bins - 1) / bins:
            inside |= probabilities == 1.0
        if inside.any():
            total += inside.mean() * abs(probabilities[inside].mean() - labels[inside].mean())
    return total


def test_a_runs_keras_metrics_are_those_training_measured_on_its_test_split(trained_run, capsys):
    """Training's final figures are `model.evaluate` of the best weights over the test
    split; evaluate computes them from the one pass that gives its logits."""
    result = _evaluate(capsys, "--model", str(trained_run))
    trained = json.loads((trained_run / "metrics.json").read_text())
    for name in ("loss", "accuracy", "precision", "recall", "f1", "auc", "evaluated_examples"):
        assert result[name] == pytest.approx(trained[name], abs=2e-6), name


def test_a_run_reads_its_calibrated_probabilities_at_its_threshold(trained_run, tmp_path, capsys):
    """Every figure against the run's model read in this process on its test reviews:
    the counts at the threshold, the rates, both calibration errors, the exact AUC."""
    report = tmp_path / "report"
    result = _evaluate(capsys, "--model", str(trained_run), "--report", str(report))
    texts, labels = run_test_reviews(trained_run)
    own = own_probabilities(trained_run, texts)
    calibrated = calibrated_probabilities(trained_run, texts)
    calibration = json.loads((trained_run / "metrics.json").read_text())["calibration"]
    assert result["threshold"] == calibration["threshold"] == threshold_of(trained_run)
    assert result["temperature"] == calibration["temperature"]
    predicted = calibrated >= calibration["threshold"]
    tp, fp = int(np.sum(predicted & (labels == 1))), int(np.sum(predicted & (labels == 0)))
    fn, tn = int(np.sum(~predicted & (labels == 1))), int(np.sum(~predicted & (labels == 0)))
    assert result["confusion_matrix"] == [[tn, fp], [fn, tp]] and tp + fp > 0 and tn + fn > 0
    assert result["evaluated_examples"] == len(texts) == 40
    assert result["at_threshold"]["accuracy"] == round((tp + tn) / 40, 6)
    assert result["at_threshold"]["precision"] == round(tp / (tp + fp), 6)
    assert result["at_threshold"]["recall"] == round(tp / (tp + fn), 6)
    assert result["ece"] == pytest.approx(gap_per_bin(calibrated, labels), abs=2e-6)
    assert result["ece_uncalibrated"] == pytest.approx(gap_per_bin(own, labels), abs=2e-6)
    pairs = [(p, n) for p in calibrated[labels == 1] for n in calibrated[labels == 0]]
    auc = np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs])
    assert result["roc_auc"] == pytest.approx(auc, abs=1e-6)
    assert sum(b["examples"] for b in result["accuracy_by_length_words"].values()) == 40

    assert json.loads((report / "report.json").read_text()) == {
        "format": "bert-keras-report/1",
        **result,
    }
    figure = curves_figure(labels, calibrated)
    pr, roc, reliability = figure.axes
    recall, precision = pr.lines[0].get_xdata(), pr.lines[0].get_ydata()
    assert (recall[-1], precision[-1]) == (1.0, pytest.approx(labels.mean()))  # all positive
    fpr, tpr = roc.lines[0].get_xdata(), roc.lines[0].get_ydata()
    assert np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2) == pytest.approx(auc, abs=1e-6)
    bins = np.minimum((calibrated * 15).astype(int), 14)
    heights = [labels[bins == b].mean() for b in range(15) if np.any(bins == b)]
    np.testing.assert_allclose([bar.get_height() for bar in reliability.patches], heights)
    # drawn from this process's probabilities (within 2e-6 of the report's): the same picture
    assert_saved_as(report / "curves.png", figure, changed=0.001)
    errors = [json.loads(line) for line in (report / "errors.jsonl").read_text().splitlines()]
    assert len(errors) == min(fp + fn, ERRORS_KEPT)
    for error in errors:  # each a real mistake at the threshold, the most confident first
        assert (error["probability"] >= result["threshold"]) != (error["label"] == 1)
        index = texts.index(error["text"])
        assert error["probability"] == pytest.approx(calibrated[index], abs=1e-5)
        assert error["label"] == labels[index]
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
