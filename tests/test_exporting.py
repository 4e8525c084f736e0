"""Exports for TF Serving: versions, signatures, fresh-process parity, edge-case texts, predict."""
import hashlib
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.cli import main
from bert_keras.exporting import export, required_ops
from tiny_bert import write_synthetic_reviews


@pytest.fixture(scope="module")
def trained_run(tiny_encoder_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("export_run")
    data = write_synthetic_reviews(root / "data", n_train=200, n_test=40)
    assert main(["train", "--encoder", str(tiny_encoder_dir), "--data", str(data), "--out", str(root / "run"),
                 "--batch-size", "8", "--max-seq-length", "32", "--learning-rate", "5e-3"]) == 0
    return root / "run"


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("served") / "sentiment"
    return export(trained_run, model_dir), model_dir


def tree_digest(directory):
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_layout_extras_and_fresh_process_check(exported):
    result, model_dir = exported
    version = model_dir / "1"
    assert result["version"] == 1 and (version / "saved_model.pb").is_file()
    assert result["checked_examples"] >= 40 and result["max_abs_difference"] <= 1e-5
    extra = version / "assets.extra"
    assert {p.name for p in extra.iterdir()} == {"config.json", "metrics.json", "model_card.md", "required_ops.json",
                                                 "precision.json"}
    assert json.loads((extra / "precision.json").read_text()) == {"dtype_policy": "float32"}
    ops = json.loads((extra / "required_ops.json").read_text())
    assert ops["from_token_ids"] == [] and "WordpieceTokenizeWithOffsets" in ops["serving_default"]
    assert "RoundRobinTrim" not in ops["serving_default"]
    assert [p.name for p in model_dir.iterdir()] == ["1"]


def test_saved_model_cli_lists_both_signatures(exported):
    _, model_dir = exported
    shown = subprocess.run([str(__import__("pathlib").Path(sys.executable).parent / "saved_model_cli"),
                            "show", "--all", "--dir", str(model_dir / "1")],
                           capture_output=True, text=True, check=True).stdout
    default = shown.split("signature_def['serving_default']")[1].split("signature_def[")[0]
    tokens = shown.split("signature_def['from_token_ids']")[1].split("signature_def[")[0]
    assert "inputs['text'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in default
    assert "outputs['probability'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1)" in default
    assert "outputs['label'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1)" in default
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        assert f"inputs['{name}'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1, -1)" in tokens


def test_from_token_ids_graph_is_core_tensorflow_only(exported):
    _, model_dir = exported
    loaded = tf.saved_model.load(str(model_dir / "1"))
    assert required_ops(loaded.signatures["from_token_ids"]) == []
    assert required_ops(loaded.signatures["serving_default"])  # the check does see TF Text's ops


def test_second_export_is_version_2_and_leaves_version_1_untouched(trained_run, exported):
    _, model_dir = exported
    before = tree_digest(model_dir / "1")
    assert export(trained_run, model_dir)["version"] == 2
    assert tree_digest(model_dir / "1") == before
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "2"]


def test_export_killed_midway_leaves_no_numeric_directory(trained_run, tmp_path):
    model_dir = tmp_path / "sentiment"
    process = subprocess.Popen([sys.executable, "-m", "bert_keras.cli", "export", str(trained_run),
                                "--out", str(model_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not any(p.name.startswith(".1.partial") for p in model_dir.glob(".*")) and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert [p.name for p in model_dir.iterdir() if not p.name.startswith(".")] == []


EDGE_CASES = ["", "   \t  ", "great " * 20_000, "Très bien 😀👍 — naïve café", "x"]


def test_raw_text_edge_cases_through_serving_default(exported):
    _, model_dir = exported
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    for batch in ([text] for text in EDGE_CASES):
        probability = serve(text=tf.constant(batch))["probability"].numpy()
        assert probability.shape == (1,) and 0 <= probability[0] <= 1
    assert len(EDGE_CASES[2]) == 120_000
    outputs = serve(text=tf.constant([EDGE_CASES[i % 5] for i in range(1000)]))
    assert outputs["probability"].shape == (1000,) and np.all((outputs["probability"] >= 0) & (outputs["probability"] <= 1))
    assert set(np.unique(outputs["label"])) <= {0, 1}


def test_predict_cli_newest_version_json_lines(exported, tmp_path, capsys):
    _, model_dir = exported
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("great product works well\nterrible broke after one day\n")
    assert main(["predict", "--model", str(model_dir), "--file", str(reviews)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == ["great product works well", "terrible broke after one day"]
    assert all(0 <= row["probability"] <= 1 and row["label"] in (0, 1) for row in rows)
    assert main(["predict", "--model", str(model_dir / "1"), "a review"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "a review"
    assert main(["predict", "--model", str(model_dir), "--file", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt: no such file" in capsys.readouterr().err


def test_bfloat16_export_computes_in_bfloat16_and_stays_close_to_float32(trained_run, exported, tmp_path, capsys):
    _, float32_dir = exported
    model_dir = tmp_path / "sentiment"
    assert main(["export", str(trained_run), "--out", str(model_dir), "--precision", "mixed_bfloat16"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dtype_policy"] == "mixed_bfloat16" and result["max_abs_difference"] <= 1e-5  # vs the bf16 model in memory
    assert 0 < result["float32_max_abs_difference"] <= 0.05 and result["float32_label_agreement"] >= 0.9
    assert json.loads((model_dir / "1" / "assets.extra" / "precision.json").read_text())["dtype_policy"] == "mixed_bfloat16"

    def serving_dtypes(version_dir):
        graph = tf.saved_model.load(str(version_dir)).signatures["from_token_ids"].graph.as_graph_def()
        nodes = [n for n in graph.node] + [n for f in graph.library.function for n in f.node_def]
        return {tf.dtypes.as_dtype(n.attr["T"].type).name for n in nodes if n.op == "BatchMatMulV2" or n.op == "MatMul"}
    assert "bfloat16" in serving_dtypes(model_dir / "1") and "bfloat16" not in serving_dtypes(float32_dir / "1")
    reviews = ["great product works well", "terrible broke after one day"]
    float32_rows = [json.loads(line) for line in _predict(float32_dir, reviews, capsys)]
    bfloat16_rows = [json.loads(line) for line in _predict(model_dir, reviews, capsys)]
    for a, b in zip(float32_rows, bfloat16_rows):
        assert abs(a["probability"] - b["probability"]) <= 0.05


def _predict(model_dir, reviews, capsys):
    assert main(["predict", "--model", str(model_dir), *reviews]) == 0
    return capsys.readouterr().out.splitlines()


def test_export_of_unfinished_run_is_one_line_exit_2(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
