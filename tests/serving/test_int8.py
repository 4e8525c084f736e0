"""The int8 export (LiteRT): beside the float32 version under its number, with both F1s
and latencies; read by a fresh process that has only TensorFlow, TF Text and LiteRT,
close to the run's own float32 probabilities; taken by predict and evaluate; refused,
with nothing published, when it loses more F1 than allowed."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter
from served import calibrated_probabilities, run_test_texts
from trees import tree_digest

from bert_keras.cli import main
from bert_keras.serving.export import export

# Probabilities of the tests' tiny run, int8 against float32: at most 1.6e-3 apart on its
# 40 test reviews (AMD EPYC with AVX512-BF16); the dynamic-range products keep about 8 bits.
INT8_ATOL = 1e-2

FRESH_PROCESS = """
import json, sys
import numpy as np
import tensorflow as tf, tensorflow_text  # noqa: F401  (nothing of bert_keras)
from ai_edge_litert.interpreter import Interpreter
version, texts = sys.argv[1], json.loads(sys.argv[2])
inputs = tf.saved_model.load(version + "/tokenizer").pack(tf.constant(texts))
interpreter = Interpreter(model_path=version + "/model.tflite", num_threads=2)
index = {d["name"]: d["index"] for d in interpreter.get_input_details()}
for name, tensor in inputs.items():
    (key,) = [k for k in index if name in k]
    interpreter.resize_tensor_input(index[key], tensor.shape)
interpreter.allocate_tensors()
for name, tensor in inputs.items():
    (key,) = [k for k in index if name in k]
    interpreter.set_tensor(index[key], tensor.numpy())
interpreter.invoke()
out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
print(json.dumps(out.tolist()))
"""


@pytest.fixture(scope="module")
def int8_export(trained_run, tmp_path_factory):
    """(the export's summary, its model directory): float32 and int8, any F1 lost allowed."""
    model_dir = tmp_path_factory.mktemp("int8") / "sentiment"
    summary = export(
        trained_run, model_dir, fresh_check=False, quantize="int8", int8_max_f1_drop=100
    )
    return summary, model_dir


def test_the_int8_version_sits_beside_float32_with_both_f1s_and_latencies(int8_export):
    summary, model_dir = int8_export
    version = model_dir.with_name("sentiment-int8") / "1"
    assert summary["version"] == 1 and summary["int8_export"] == str(version)
    assert (version / "tokenizer" / "saved_model.pb").is_file()
    extra = version / "assets.extra"
    assert sorted(p.name for p in extra.iterdir()) == [
        "calibration.json",
        "config.json",
        "labels.txt",
        "metrics.json",
        "model_card.md",
        "quantization.json",
    ]
    recorded = json.loads((extra / "quantization.json").read_text())
    f1 = recorded["validation_f1"]
    assert recorded["f1_drop_points"] == round(100 * (f1["float32"] - f1["int8"]), 2)
    assert recorded["size_bytes"] == (version / "model.tflite").stat().st_size
    card = (extra / "model_card.md").read_text()
    for figure in (f1["float32"], f1["int8"], *recorded["batch_1_p50_ms"].values()):
        assert str(figure) in card
    # its matrices are stored in int8: the flatbuffer's own tensor types say so
    interpreter = Interpreter(model_path=str(version / "model.tflite"))
    assert any(d["dtype"] == np.int8 for d in interpreter.get_tensor_details())


def test_a_fresh_process_with_litert_alone_scores_close_to_the_runs_float32(
    trained_run, int8_export
):
    texts = run_test_texts(trained_run) + ["", "great", "terrible product, broke " * 40]
    version = int8_export[1].with_name("sentiment-int8") / "1"
    served = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(version), json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_USE_LEGACY_KERAS": ""},
    )
    expected = calibrated_probabilities(trained_run, texts)  # [n] of the second label
    probabilities = np.asarray(json.loads(served.stdout))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(probabilities[:, 1], expected, atol=INT8_ATOL, rtol=0)


def test_predict_and_evaluate_take_the_int8_model(trained_run, trained_run_reviews, int8_export):
    int8_dir = int8_export[1].with_name("sentiment-int8")
    texts = run_test_texts(trained_run)
    out, err = _cli("predict", "--model", str(int8_dir), *texts[:8])
    rows = [json.loads(line) for line in out.splitlines()]
    threshold = json.loads((int8_dir / "1/assets.extra/calibration.json").read_text())["threshold"]
    assert [row["text"] for row in rows] == texts[:8]
    for row in rows:
        assert row["label"] == ("positive" if row["probability"] >= threshold else "negative")
    expected = calibrated_probabilities(trained_run, texts[:8])
    np.testing.assert_allclose([r["probability"] for r in rows], expected, atol=INT8_ATOL)
    out, _ = _cli("evaluate", "--model", str(int8_dir), "--data", trained_run_reviews)
    evaluated = json.loads(out)
    assert evaluated["evaluated_examples"] == len(texts)
    assert sum(map(sum, evaluated["confusion_matrix"])) == len(texts)


def _cli(*argv) -> tuple[str, str]:
    """`bert-keras ARGV` in a process of its own (stdout, stderr); it must succeed."""
    command = [sys.executable, "-m", "bert_keras.cli", *argv]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_an_int8_model_losing_more_than_allowed_publishes_nothing(
    trained_run, int8_export, tmp_path, capsys
):
    summary, model_dir = int8_export
    lost = summary["f1_drop_points"]
    assert lost > 0, "the tiny run's int8 model must lose some F1 for this test to mean anything"
    dirs = [model_dir.with_name(f"sentiment{suffix}") for suffix in ("", "-token-ids", "-int8")]
    before = [tree_digest(d) for d in dirs]
    allowed = str(lost / 2)
    argv = ["export", str(trained_run), "--out", str(model_dir), "--quantize", "int8"]
    assert main([*argv, "--int8-max-f1-drop", allowed]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and f"more than --int8-max-f1-drop {allowed}" in error
    assert "nothing was published" in error
    assert [tree_digest(d) for d in dirs] == before  # no version, no staging left behind
