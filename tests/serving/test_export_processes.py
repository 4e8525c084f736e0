"""Exports in other processes and through command-line tools (integration): the
fresh-process check and its failure, saved_model_cli, a kill mid-export, racing exports."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from kill import cli, kill_while
from served import calibrated_probabilities, run_test_texts

from bert_keras.cli import main
from bert_keras.errors import SelfCheckFailed
from bert_keras.serving.fresh_check import verify_export

SAVED_MODEL_CLI = str(Path(sys.executable).parent / "saved_model_cli")

FRESH_PROCESS = """
import json, sys
import tensorflow as tf, tensorflow_text  # noqa: F401  (nothing of bert_keras: what a server has)
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
print(json.dumps(serve(text=tf.constant(json.loads(sys.argv[2])))["probability"].numpy().tolist()))
"""


@pytest.mark.integration
def test_the_cli_export_is_checked_in_a_fresh_process_that_serves_the_run(
    trained_run, tmp_path, capsys
):
    """`bert-keras export` (its fresh-process check on), then the export loaded by a
    process that never imported bert_keras: the run's own probabilities."""
    model_dir = tmp_path / "sentiment"
    assert main(["export", str(trained_run), "--out", str(model_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["max_abs_difference"] <= 1e-5 and result["tensorflow_text_loaded"]
    # one fresh process checked both: the token-id twin first, before TF Text's ops loaded
    twin = result["token_ids_check"]
    assert twin["max_abs_difference"] <= 1e-5 and not twin["tensorflow_text_loaded"]
    texts = run_test_texts(trained_run) + ["", "great", "terrible product, broke " * 40]
    served = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(model_dir / "1"), json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_USE_LEGACY_KERAS": ""},
    )
    expected = calibrated_probabilities(trained_run, texts)
    np.testing.assert_allclose(json.loads(served.stdout), expected, atol=1e-5, rtol=0)


@pytest.mark.integration
def test_the_fresh_process_check_fails_when_the_export_disagrees(exported):
    _, model_dir = exported
    texts = ["great product works well", "terrible broke after one day"]
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    right = serve(text=tf.constant(texts))["probabilities"].numpy()
    check = verify_export(model_dir / "1", "serving_default", {"text": texts}, right)
    assert check["max_abs_difference"] <= 1e-5
    expected = r"predictions differ from the trained model by 1\.00e-03"
    with pytest.raises(SelfCheckFailed, match=expected):
        verify_export(model_dir / "1", "serving_default", {"text": texts}, right + 1e-3)


@pytest.mark.integration
def test_saved_model_cli_lists_the_three_signatures(exported):
    _, model_dir = exported
    command = [SAVED_MODEL_CLI, "show", "--all", "--dir", str(model_dir / "1")]
    shown = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def signature(name):
        return shown.split(f"signature_def['{name}']")[1].split("signature_def[")[0]

    def tensor(kind, name, dtype, shape):
        return f"{kind}['{name}'] tensor_info:\n        dtype: {dtype}\n        shape: {shape}"

    assert tensor("inputs", "text", "DT_STRING", "(-1)") in signature("serving_default")
    assert tensor("outputs", "probability", "DT_FLOAT", "(-1)") in signature("serving_default")
    assert tensor("outputs", "probabilities", "DT_FLOAT", "(-1, 2)") in signature("serving_default")
    assert tensor("outputs", "label", "DT_STRING", "(-1)") in signature("serving_default")
    assert tensor("outputs", "label_index", "DT_INT32", "(-1)") in signature("serving_default")
    assert tensor("inputs", "examples", "DT_STRING", "(-1)") in signature("from_examples")
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        assert tensor("inputs", name, "DT_INT32", "(-1, -1)") in signature("from_token_ids")


@pytest.mark.integration
def test_export_killed_midway_then_same_command_finishes(trained_run, tmp_path):
    model_dir = tmp_path / "sentiment"
    argv = cli("export", str(trained_run), "--out", str(model_dir))

    def writing_version_1():
        return any(model_dir.glob(".1.partial-*/saved_model.pb"))  # saving, or being checked

    kill_while(argv, writing_version_1)
    assert [p.name for p in model_dir.iterdir() if not p.name.startswith(".")] == []
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "batching_parameters.txt"], (
        "version 1 whole, the killed export's folder gone"
    )


@pytest.mark.integration
def test_two_exports_racing_end_as_two_versions(trained_run, tmp_path):
    model_dir = tmp_path / "sentiment"
    argv = cli("export", str(trained_run), "--out", str(model_dir))
    processes = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [process.communicate(timeout=600) for process in processes]
    codes = [process.returncode for process in processes]
    assert codes == [0, 0], [err[-2000:] for _, err in results]
    outputs = [json.loads(out) for out, _ in results]
    assert sorted(out["version"] for out in outputs) == [1, 2]
    assert all(out["version"] == out["token_ids_version"] for out in outputs)
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "2", "batching_parameters.txt"]
