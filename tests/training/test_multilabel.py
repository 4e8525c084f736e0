"""Multi-label: JSON lines whose label is a list, one sigmoid per label, each label's own
threshold, and export and `predict` giving the names over those thresholds and the
probabilities the trained model gives in this process."""

import json

import numpy as np
import pytest
from figures import assert_saved_as, cell_counts
from runs import run_config
from served import ROUNDED_ATOL, assert_same_row, own_probabilities
from shared import built_once
from tiny_bert import NEUTRAL
from topics import CUES, train_and_export

from bert_keras.cli import main
from bert_keras.evaluation.evaluate import evaluate
from bert_keras.evaluation.report import confusion_figure
from bert_keras.serving.predict import Predictor

NAMES = sorted(CUES)  # complaint, praise, price
DATA = "test.jsonl"  # the built run records the data where it was built: tests name it


def write_tagged(path, count: int, seed: int):
    """Each review carries the cue words of one to three tags, or (every 7th) none."""
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(count):
            tags = [] if i % 7 == 6 else [t for t in NAMES if rng.random() < 0.5] or [NAMES[i % 3]]
            words = list(rng.choice(NEUTRAL, size=int(rng.integers(2, 6))))
            for tag in tags:
                words += list(rng.choice(CUES[tag], 3))
            rng.shuffle(words)
            handle.write(json.dumps({"text": " ".join(words), "tags": tags}) + "\n")


@pytest.fixture(scope="module")
def tagged_run(tiny_encoder_dir, tmp_path_factory):
    def build(directory):
        write_tagged(directory / "train.jsonl", 360, seed=1)
        write_tagged(directory / "test.jsonl", 60, seed=2)
        train_and_export(
            directory,
            tiny_encoder_dir,
            "jsonl",
            "--epochs 8 --multi-label --label-column tags --allow-no-label",
        )

    return built_once(tmp_path_factory, "tagged_run", build)


def _test_rows(directory):
    rows = [json.loads(line) for line in open(directory / "test.jsonl", encoding="utf-8")]
    return [row["text"] for row in rows], [row["tags"] for row in rows]


def test_a_sigmoid_per_label_learns_every_tag(tagged_run):
    run = tagged_run / "run"
    config, _ = run_config(run)
    assert config["labels"] == NAMES and config["multi_label"] is True
    texts, tags = _test_rows(tagged_run)
    probabilities = own_probabilities(run, texts)  # [n, 3], independent sigmoids
    assert probabilities.shape == (60, 3) and not np.allclose(probabilities.sum(axis=1), 1)
    metrics = json.loads((run / "metrics.json").read_text())
    # Keras' macro-F1 at 0.5, against each label's F1 written out here
    per_label = []
    for k, name in enumerate(NAMES):
        truth = np.array([name in t for t in tags])
        said = probabilities[:, k] >= 0.5
        tp, fp, fn = np.sum(truth & said), np.sum(~truth & said), np.sum(truth & ~said)
        per_label.append(2 * tp / (2 * tp + fp + fn))
    assert metrics["f1"] == pytest.approx(np.mean(per_label), abs=1e-6)
    assert metrics["f1"] >= 0.9, metrics
    calibration = metrics["calibration"]
    assert len(calibration["thresholds"]) == 3 and calibration["threshold"] is None
    assert set(calibration["validation"]["per_label"]) == set(NAMES)


def test_export_and_predict_give_the_names_over_each_threshold(tagged_run, capsys):
    run, model_dir = tagged_run / "run", tagged_run / "model"
    texts = _test_rows(tagged_run)[0][:14]
    calibration = json.loads((run / "metrics.json").read_text())["calibration"]
    p = own_probabilities(run, texts)
    logits = np.log(p) - np.log1p(-p)
    expected = 1 / (1 + np.exp(-logits / calibration["temperature"]))
    rows = Predictor(model_dir)(texts, batch_size=4)
    got = np.array([[row["probabilities"][name] for name in NAMES] for row in rows])
    np.testing.assert_allclose(got, expected, atol=ROUNDED_ATOL)
    on = expected >= np.array(calibration["thresholds"])
    assert [row["labels"] for row in rows] == [
        [n for n, o in zip(NAMES, row, strict=True) if o] for row in on
    ]
    assert any(len(row["labels"]) > 1 for row in rows)
    assert main(["predict", "--model", str(model_dir), texts[0]]) == 0
    assert_same_row(json.loads(capsys.readouterr().out), rows[0])  # a batch of one


def test_evaluate_reports_each_labels_counts_at_its_threshold(tagged_run, tmp_path):
    run = tagged_run / "run"
    result = evaluate(run, report=tmp_path / "report", data=str(run.parent / DATA))
    texts, tags = _test_rows(tagged_run)
    calibration = json.loads((run / "metrics.json").read_text())["calibration"]
    p = own_probabilities(run, texts)
    calibrated = 1 / (1 + np.exp(-(np.log(p) - np.log1p(-p)) / calibration["temperature"]))
    drawn = []  # confusion.png's rows: tp, fn, fp, tn of each label
    for k, name in enumerate(NAMES):
        truth = np.array([name in t for t in tags])
        said = calibrated[:, k] >= calibration["thresholds"][k]
        counts = [
            [np.sum(~truth & ~said), np.sum(~truth & said)],
            [np.sum(truth & ~said), np.sum(truth & said)],
        ]
        assert result["per_label"][name]["confusion_matrix"] == np.array(counts).tolist(), name
        drawn.append([np.sum(truth & said), np.sum(truth & ~said), np.sum(~truth & said)])
        drawn[-1].append(np.sum(~truth & ~said))
    figure = confusion_figure(result, "multi_label")
    np.testing.assert_array_equal(cell_counts(figure.axes[0]), drawn)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == list(NAMES)
    assert_saved_as(tmp_path / "report" / "confusion.png", figure)
