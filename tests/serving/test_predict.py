"""`bert-keras predict`: JSON lines from an export, from arguments or a file."""

import json

from bert_keras.cli import main


def test_predict_cli_newest_version_json_lines(exported, tmp_path, capsys):
    _, model_dir = exported
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("great product works well\nterrible broke after one day\n")
    assert main(["predict", "--model", str(model_dir), "--file", str(reviews)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == [
        "great product works well",
        "terrible broke after one day",
    ]
    assert all(0 <= row["probability"] <= 1 and row["label"] in (0, 1) for row in rows)
    assert main(["predict", "--model", str(model_dir / "1"), "a review"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "a review"
    assert main(["predict", "--model", str(model_dir), "--file", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt: no such file" in capsys.readouterr().err


def _predict(model_dir, reviews, capsys):
    assert main(["predict", "--model", str(model_dir), *reviews]) == 0
    return capsys.readouterr().out.splitlines()


def test_predict_file_with_byte_order_mark_and_crlf(exported, tmp_path, capsys):
    _, model_dir = exported
    reviews = tmp_path / "reviews.txt"
    reviews.write_bytes(b"\xef\xbb\xbfgreat product works well\r\nterrible \xe2\x80\xa8 broke\r\n")
    assert main(["predict", "--model", str(model_dir), "--file", str(reviews)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == ["great product works well", "terrible \u2028 broke"]
