"""`bert-keras predict` and `Predictor`: JSON lines from an export, from arguments or a
file, in batches, each review with the run's own calibrated probability and label."""

import json

import numpy as np
import pytest
from served import (
    ROUNDED_ATOL,
    assert_same_row,
    calibrated_probabilities,
    run_test_texts,
    threshold_of,
)

from bert_keras.cli import main
from bert_keras.errors import UserInputError
from bert_keras.serving.predict import Predictor


def test_predict_cli_newest_version_json_lines(trained_run, exported, tmp_path, capsys):
    _, model_dir = exported
    texts = ["great product works well", "terrible broke after one day"]
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("\n".join(texts) + "\n")
    assert main(["predict", "--model", str(model_dir), "--file", str(reviews)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == texts
    expected = calibrated_probabilities(trained_run, texts)
    np.testing.assert_allclose([row["probability"] for row in rows], expected, atol=ROUNDED_ATOL)
    names = ["negative", "positive"]  # the release's 1 and 2
    assert [row["label"] for row in rows] == [
        names[int(p >= threshold_of(trained_run))] for p in expected
    ]
    assert main(["predict", "--model", str(model_dir / "1"), texts[0]]) == 0  # a version itself
    assert_same_row(json.loads(capsys.readouterr().out), rows[0])  # a batch of one
    assert main(["predict", "--model", str(model_dir), "--file", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt: no such file" in capsys.readouterr().err


def test_a_predictor_over_many_batches_keeps_the_order_given(trained_run, exported):
    """17 reviews of every length, 3 at a time (sorted by length into batches, then put
    back): each row is its own review's."""
    _, model_dir = exported
    texts = run_test_texts(trained_run, 17)
    rows = Predictor(model_dir)(texts, batch_size=3)
    assert [row["text"] for row in rows] == texts
    expected = calibrated_probabilities(trained_run, texts)
    np.testing.assert_allclose([row["probability"] for row in rows], expected, atol=ROUNDED_ATOL)
    one_batch = Predictor(model_dir)(texts, batch_size=64)
    assert [row["label"] for row in rows] == [row["label"] for row in one_batch]


def test_predict_file_with_byte_order_mark_and_crlf(exported, tmp_path, capsys):
    _, model_dir = exported
    reviews = tmp_path / "reviews.txt"
    reviews.write_bytes(b"\xef\xbb\xbfgreat product works well\r\nterrible \xe2\x80\xa8 broke\r\n")
    assert main(["predict", "--model", str(model_dir), "--file", str(reviews)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == ["great product works well", "terrible \u2028 broke"]


def test_empty_reviews_are_never_scored_skipped_only_when_asked(trained_run, exported, capsys):
    _, model_dir = exported
    texts = ["great product works well", " \t", "terrible broke after one day", ""]
    argv = ["predict", "--model", str(model_dir), *texts]
    assert main(argv) == 2 and capsys.readouterr().out == ""
    assert main([*argv, "--on-bad-record", "skip"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [row["text"] for row in rows] == [texts[0], texts[2]]
    expected = calibrated_probabilities(trained_run, [texts[0], texts[2]])
    np.testing.assert_allclose([row["probability"] for row in rows], expected, atol=ROUNDED_ATOL)
    assert "bert-keras: skipped 2 empty review(s): review 2, review 4" in captured.err
    with pytest.raises(UserInputError, match=r"^reviews\[1\]: empty"):
        Predictor(model_dir)(texts[:2])  # the library, given one: the same refusal
