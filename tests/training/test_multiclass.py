"""Three labels, named in the data: a softmax head trained on a CSV with a header, its
macro-F1, calibration, export and `predict` giving the names and the probabilities the
trained model gives in this process."""

import csv
import json

import numpy as np
import pytest
from figures import assert_saved_as, cell_counts
from runs import run_config
from served import ROUNDED_ATOL, assert_same_row, own_logits, own_probabilities
from shared import built_once
from tiny_bert import NEUTRAL
from topics import CUES, macro_f1, train_and_export

from bert_keras.cli import main
from bert_keras.evaluation.evaluate import evaluate
from bert_keras.evaluation.report import confusion_figure
from bert_keras.serving.predict import Predictor


def write_topics(path, count: int, seed: int, mislabelled: bool = False):
    """Reviews told by their topic's cue words; `mislabelled`: every eighth row (i % 8 == 5)
    labelled with the next topic, so that no split is separable and the temperature that
    fits it is finite."""
    rng = np.random.default_rng(seed)
    topics = list(CUES)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "review", "topic"])
        for i in range(count):
            topic = topics[i % 3]
            words = [
                *rng.choice(NEUTRAL, size=int(rng.integers(2, 8))),
                *rng.choice(CUES[topic], 3),
            ]
            rng.shuffle(words)
            wrong = mislabelled and i % 8 == 5
            writer.writerow([i, " ".join(words), topics[(i + 1) % 3] if wrong else topic])


DATA = "test.csv"  # the built run records the data where it was built: tests name it


@pytest.fixture(scope="module")
def topic_run(tiny_encoder_dir, tmp_path_factory):
    def build(directory):
        write_topics(directory / "train.csv", 300, seed=1, mislabelled=True)
        write_topics(directory / "test.csv", 60, seed=2)
        train_and_export(directory, tiny_encoder_dir, "csv", "--epochs 3 --label-column topic")

    return built_once(tmp_path_factory, "topic_run", build)


def _test_rows(directory, name: str = "test.csv"):
    with open(directory / name, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["review"] for row in rows], [row["topic"] for row in rows]


def test_three_named_labels_train_a_softmax_head_that_separates_them(topic_run):
    run = topic_run / "run"
    config, _ = run_config(run)
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
    assert calibration["threshold"] is None
    assert set(calibration["validation"]["per_label"]) == set(CUES)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_temperature_minimises_the_validation_log_loss(topic_run):
    """The validation split (every tenth training row, carved off as 0.1 says) through
    the best weights: at beta = 1/T the log loss of softmax(beta z) has slope 0 in beta,
    and T a tenth either way loses more."""
    run = topic_run / "run"
    temperature = json.loads((run / "metrics.json").read_text())["calibration"]["temperature"]
    with open(topic_run / "train.csv", encoding="utf-8") as handle:
        rows = [row for i, row in enumerate(csv.DictReader(handle)) if (i + 1) % 10 == 0]
    names = run_config(run)[0]["labels"]
    z = own_logits(run, [row["review"] for row in rows])
    truth = np.array([names.index(row["topic"]) for row in rows])

    def log_loss(beta):
        return -np.mean(np.log(_softmax(beta * z)[np.arange(len(truth)), truth]))

    beta = 1 / temperature
    slope = np.mean(np.sum(_softmax(beta * z) * z, axis=1) - z[np.arange(len(truth)), truth])
    # the run's logits came in batches of other shapes: 1e-6 apart at most
    assert abs(slope) < 1e-4 * np.abs(z).mean(), slope
    assert log_loss(beta) < min(log_loss(beta * 1.1), log_loss(beta / 1.1))


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
    figure = confusion_figure(result, "multi_class")
    np.testing.assert_array_equal(cell_counts(figure.axes[0]), expected)
    assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == names  # rows: true
    assert_saved_as(tmp_path / "report" / "confusion.png", figure)
    errors = [json.loads(line) for line in open(tmp_path / "report" / "errors.jsonl")]
    assert len(errors) == int(np.sum(expected) - np.trace(expected))
    assert all(error["label"] in names for error in errors)


def _top_label_ece(probabilities, right, bins=15):
    """Written out here: sum over 15 equal-width bins of the top probability of
    |mean top probability - fraction right| weighted by the bin's share."""
    top = probabilities.max(axis=1)
    gaps = 0.0
    for b in range(bins):
        inside = (top >= b / bins) & ((top < (b + 1) / bins) if b < bins - 1 else (top <= 1))
        if inside.any():
            gaps += inside.sum() * abs(top[inside].mean() - right[inside].mean())
    return gaps / len(top)


def test_evaluate_scores_the_softmax_of_the_logits_over_the_temperature(topic_run, tmp_path):
    """The probabilities behind `ece` and errors.jsonl are softmax(logits / T), from the
    best weights' logits computed here (a sigmoid per label would give others), on reviews
    of which every eighth is mislabelled: mistakes to report."""
    run = topic_run / "run"
    write_topics(tmp_path / "noisy.csv", 60, seed=3, mislabelled=True)
    result = evaluate(run, report=tmp_path / "report", data=str(tmp_path / "noisy.csv"))
    temperature = json.loads((run / "metrics.json").read_text())["calibration"]["temperature"]
    texts, truth = _test_rows(tmp_path, "noisy.csv")
    names = result["labels"]
    labels = np.array([names.index(t) for t in truth])
    probabilities = _softmax(own_logits(run, texts) / temperature)
    right = np.argmax(probabilities, axis=1) == labels
    assert result["temperature"] == temperature
    assert result["ece"] == pytest.approx(_top_label_ece(probabilities, right), abs=1e-5)
    wrong = np.flatnonzero(~right)
    assert len(wrong) >= 5, "the mislabelled reviews are mistakes"
    true_p = probabilities[wrong, labels[wrong]]
    worst = wrong[np.argsort(true_p, kind="stable")]  # the highest log loss first
    errors = [json.loads(line) for line in open(tmp_path / "report" / "errors.jsonl")]
    assert [(e["text"], e["label"]) for e in errors] == [(texts[i], truth[i]) for i in worst]
    np.testing.assert_allclose(
        [e["probability_of_label"] for e in errors], np.sort(true_p), atol=ROUNDED_ATOL
    )
    np.testing.assert_allclose(
        [e["loss"] for e in errors], -np.log(np.sort(true_p)), rtol=1e-5, atol=ROUNDED_ATOL
    )
