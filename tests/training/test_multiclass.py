"""Three labels, named in the data: a softmax head trained on a CSV with a header, its
macro-F1, calibration, export and `predict` giving the names and the probabilities the
trained model gives in this process."""

import csv
import json

import numpy as np
import pytest
from served import ROUNDED_ATOL, assert_same_row, own_probabilities
from shared import built_once
from tiny_bert import NEUTRAL
from topics import CUES, macro_f1, train_and_export

from bert_keras.cli import main
from bert_keras.evaluation.evaluate import evaluate
from bert_keras.serving.predict import Predictor


def write_topics(path, count: int, seed: int):
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "review", "topic"])
        for i in range(count):
            topic = list(CUES)[i % 3]
            words = [
                *rng.choice(NEUTRAL, size=int(rng.integers(2, 8))),
                *rng.choice(CUES[topic], 3),
            ]
            rng.shuffle(words)
            writer.writerow([i, " ".join(words), topic])


DATA = "test.csv"  # the built run records the data where it was built: tests name it


@pytest.fixture(scope="module")
def topic_run(tiny_encoder_dir, tmp_path_factory):
    def build(directory):
        write_topics(directory / "train.csv", 300, seed=1)
        write_topics(directory / "test.csv", 60, seed=2)
        train_and_export(directory, tiny_encoder_dir, "csv", "--epochs 3 --label-column topic")

    return built_once(tmp_path_factory, "topic_run", build)


def _test_rows(directory):
    with open(directory / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["review"] for row in rows], [row["topic"] for row in rows]


def test_three_named_labels_train_a_softmax_head_that_separates_them(topic_run, capsys):
    run = topic_run / "run"
    config = json.loads((run / "config.json").read_text())
    assert config["labels"] == ["complaint", "praise", "price"]  # strings, sorted
    metrics = json.loads((run / "metrics.json").read_text())
    texts, truth = _test_rows(topic_run)
    probabilities = own_probabilities(run, texts)  # [n, 3], softmax of the best weights
    assert probabilities.shape == (60, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    predicted = [config["labels"][k] for k in np.argmax(probabilities, axis=1)]
    assert metrics["f1"] == pytest.approx(macro_f1(truth, predicted), abs=1e-6)
    assert metrics["f1"] >= 0.9, metrics
    calibration = metrics["calibration"]
    assert calibration["threshold"] is None and calibration["temperature"] > 0
    assert set(calibration["validation"]["per_label"]) == set(CUES)


def test_export_and_predict_give_the_names_and_the_models_probabilities(topic_run, capsys):
    run, model_dir = topic_run / "run", topic_run / "model"
    texts, _ = _test_rows(topic_run)
    texts = texts[:12]
    temperature = json.loads((run / "metrics.json").read_text())["calibration"]["temperature"]
    logits = np.log(own_probabilities(run, texts))  # softmax's logits, up to a constant
    scaled = np.exp(logits / temperature)
    expected = scaled / scaled.sum(axis=1, keepdims=True)
    names = ["complaint", "praise", "price"]
    rows = Predictor(model_dir)(texts, batch_size=5)
    got = np.array([[row["probabilities"][name] for name in names] for row in rows])
    np.testing.assert_allclose(got, expected, atol=ROUNDED_ATOL)  # rounded to 6 places
    assert [row["label"] for row in rows] == [names[k] for k in np.argmax(expected, axis=1)]
    assert main(["predict", "--model", str(model_dir), texts[0]]) == 0
    assert_same_row(json.loads(capsys.readouterr().out), rows[0])  # a batch of one
    extra = model_dir / "1" / "assets.extra"
    assert (extra / "labels.txt").read_text().splitlines() == names
    card = (extra / "model_card.md").read_text()
    assert "labels complaint, praise, price" in card and "Dense(3) and softmax" in card


def test_evaluate_reports_the_confusion_matrix_with_the_names(topic_run, tmp_path):
    run = topic_run / "run"
    result = evaluate(run, report=tmp_path / "report", data=str(run.parent / DATA))
    texts, truth = _test_rows(topic_run)
    names = ["complaint", "praise", "price"]
    predicted = np.argmax(own_probabilities(run, texts), axis=1)  # softmax / T keeps the argmax
    expected = np.zeros((3, 3), int)
    for t, p in zip(truth, predicted, strict=True):
        expected[names.index(t), p] += 1
    assert result["confusion_matrix"] == expected.tolist() and result["labels"] == names
    assert result["macro_f1"] == pytest.approx(macro_f1(truth, [names[p] for p in predicted]))
    assert (tmp_path / "report" / "confusion.png").stat().st_size > 1000
    errors = [json.loads(line) for line in open(tmp_path / "report" / "errors.jsonl")]
    assert len(errors) == int(np.sum(expected) - np.trace(expected))
    assert all(error["label"] in names for error in errors)
