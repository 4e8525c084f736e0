"""Exports for TF Serving: versions, signatures, fresh-process parity (and its failure),
a kill mid-export, racing exports, edge-case texts, predict."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from kill import cli, kill_while

from bert_keras.cli import main
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import SelfCheckFailed
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.serving.export import export, token_ids_dir
from bert_keras.serving.fresh_check import verify_in_fresh_process
from bert_keras.serving.signatures import required_ops
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.classifier import build_classifier


def tree_digest(directory):
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_layout_and_extras(exported):
    result, model_dir = exported
    version = model_dir / "1"
    assert result["version"] == 1 and (version / "saved_model.pb").is_file()
    assert result["checked_examples"] >= 40 and result["max_abs_difference"] <= 1e-5
    extra = version / "assets.extra"
    assert {p.name for p in extra.iterdir()} == {
        "config.json",
        "metrics.json",
        "model_card.md",
        "required_ops.json",
        "precision.json",
        "calibration.json",
        "tf_serving_warmup_requests",
    }
    assert json.loads((extra / "precision.json").read_text()) == {"dtype_policy": "float32"}
    ops = json.loads((extra / "required_ops.json").read_text())
    assert ops["from_token_ids"] == [] and "WordpieceTokenizeWithOffsets" in ops["serving_default"]
    assert "RoundRobinTrim" not in ops["serving_default"]
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "batching_parameters.txt"]
    assert ops["from_examples"] == ops["serving_default"]


FRESH_PROCESS = """
import json, sys
import tensorflow as tf, tensorflow_text  # noqa: F401  (nothing of bert_keras: what a server has)
serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
print(json.dumps(serve(text=tf.constant(json.loads(sys.argv[2])))["probability"].numpy().tolist()))
"""


def test_a_fresh_process_serves_what_the_trained_model_predicts(
    trained_run, exported, tiny_encoder_dir
):
    """The test's own predictions, from the run's best weights, against the export
    loaded by a process that never imported bert_keras."""
    _, model_dir = exported
    texts = [
        line.split('","')[2].rstrip('"\n')
        for line in open(trained_run.parent / "data" / "test.csv")
    ][:40]
    texts += ["", "great", "terrible product, broke after one day " * 20]
    config = json.loads((trained_run / "config.json").read_text())
    model = build_classifier(
        str(tiny_encoder_dir / "encoder"),
        FreezeSpec(**config["freeze"]),
        config["dropout"],
        config["seed"],
    )
    restore_weights(model, tf.train.latest_checkpoint(str(trained_run / "best")), "best")
    preprocessor = load_preprocessor(resolve_encoder(str(tiny_encoder_dir)))
    inputs = preprocessor.bert_pack_inputs(
        [preprocessor.tokenize(tf.constant(texts))], seq_length=config["max_seq_length"]
    )
    calibration = json.loads((trained_run / "metrics.json").read_text())["calibration"]
    assert (
        calibration["temperature"] != 1.0
    )  # else the check below could not tell a calibrated export
    logits = np.log(model(inputs, training=False).numpy()[:, 0].astype(np.float64))
    logits -= np.log1p(
        -np.exp(logits)
    )  # the probability's logit (the tiny model's stay far from 0 and 1)
    expected = 1 / (1 + np.exp(-logits / calibration["temperature"]))
    served = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(model_dir / "1"), json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_USE_LEGACY_KERAS": ""},
    )
    np.testing.assert_allclose(json.loads(served.stdout), expected, atol=1e-5, rtol=0)


def test_the_export_check_fails_when_the_export_disagrees(exported):
    _, model_dir = exported
    texts = ["great product works well", "terrible broke after one day"]
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    right = serve(text=tf.constant(texts))["probability"].numpy()
    assert (
        verify_in_fresh_process(model_dir / "1", "serving_default", {"text": texts}, right)[
            "max_abs_difference"
        ]
        <= 1e-5
    )
    with pytest.raises(
        SelfCheckFailed, match=r"predictions differ from the trained model by 1\.00e-03"
    ):
        verify_in_fresh_process(model_dir / "1", "serving_default", {"text": texts}, right + 1e-3)


def test_saved_model_cli_lists_the_three_signatures(exported):
    _, model_dir = exported
    shown = subprocess.run(
        [
            str(__import__("pathlib").Path(sys.executable).parent / "saved_model_cli"),
            "show",
            "--all",
            "--dir",
            str(model_dir / "1"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    default = shown.split("signature_def['serving_default']")[1].split("signature_def[")[0]
    tokens = shown.split("signature_def['from_token_ids']")[1].split("signature_def[")[0]
    assert "inputs['text'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in default
    assert (
        "outputs['probability'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1)"
        in default
    )
    assert "outputs['label'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1)" in default
    examples = shown.split("signature_def['from_examples']")[1].split("signature_def[")[0]
    assert (
        "inputs['examples'] tensor_info:\n        dtype: DT_STRING\n        shape: (-1)" in examples
    )
    for name in ("input_word_ids", "input_mask", "input_type_ids"):
        assert (
            f"inputs['{name}'] tensor_info:\n        dtype: DT_INT32\n        shape: (-1, -1)"
            in tokens
        )


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
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "2", "batching_parameters.txt"]


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


def test_two_exports_racing_end_as_two_versions(trained_run, tmp_path):
    model_dir = tmp_path / "sentiment"
    processes = [
        subprocess.Popen(
            cli("export", str(trained_run), "--out", str(model_dir)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [
        err[-2000:] for _, err in results
    ]
    assert sorted(json.loads(out)["version"] for out, _ in results) == [1, 2]
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "2", "batching_parameters.txt"]
    assert sorted(json.loads(out)["token_ids_version"] for out, _ in results) == [1, 2]
    assert all(
        json.loads(out)["version"] == json.loads(out)["token_ids_version"] for out, _ in results
    )


def test_a_token_id_version_left_alone_is_skipped_and_the_twins_share_a_number(
    trained_run, tmp_path
):
    """What an export killed between its two renames leaves: the token-id model, not
    the full one. The next export takes a number free in both directories."""
    model_dir = tmp_path / "sentiment"
    alone = token_ids_dir(model_dir) / "1"
    alone.mkdir(parents=True)
    (alone / "saved_model.pb").write_bytes(b"left by a killed export")
    result = export(trained_run, model_dir)
    assert result["version"] == result["token_ids_version"] == 2
    assert sorted(p.name for p in model_dir.iterdir()) == ["2", "batching_parameters.txt"]
    assert (alone / "saved_model.pb").read_bytes() == b"left by a killed export"


EDGE_CASES = ["", "   \t  ", "great " * 20_000, "Très bien 😀👍 — naïve café", "x"]


def test_raw_text_edge_cases_through_serving_default(exported):
    _, model_dir = exported
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    for batch in ([text] for text in EDGE_CASES):
        probability = serve(text=tf.constant(batch))["probability"].numpy()
        assert probability.shape == (1,) and 0 <= probability[0] <= 1
    assert len(EDGE_CASES[2]) == 120_000
    outputs = serve(text=tf.constant([EDGE_CASES[i % 5] for i in range(1000)]))
    assert outputs["probability"].shape == (1000,) and np.all(
        (outputs["probability"] >= 0) & (outputs["probability"] <= 1)
    )
    assert set(np.unique(outputs["label"])) <= {0, 1}


def test_bfloat16_export_computes_in_bfloat16_and_stays_close_to_float32(
    trained_run, exported, tmp_path, capsys
):
    _, float32_dir = exported
    model_dir = tmp_path / "sentiment"
    assert (
        main(["export", str(trained_run), "--out", str(model_dir), "--precision", "mixed_bfloat16"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert (
        result["dtype_policy"] == "mixed_bfloat16" and result["max_abs_difference"] <= 1e-5
    )  # vs the bf16 model in memory
    assert (
        0 < result["float32_max_abs_difference"] <= 0.05
        and result["float32_label_agreement"] >= 0.9
    )
    assert (
        json.loads((model_dir / "1" / "assets.extra" / "precision.json").read_text())[
            "dtype_policy"
        ]
        == "mixed_bfloat16"
    )

    def serving_dtypes(version_dir):
        graph = (
            tf.saved_model.load(str(version_dir)).signatures["from_token_ids"].graph.as_graph_def()
        )
        nodes = [n for n in graph.node] + [n for f in graph.library.function for n in f.node_def]
        return {
            tf.dtypes.as_dtype(n.attr["T"].type).name
            for n in nodes
            if n.op == "BatchMatMulV2" or n.op == "MatMul"
        }

    assert "bfloat16" in serving_dtypes(model_dir / "1") and "bfloat16" not in serving_dtypes(
        float32_dir / "1"
    )
    reviews = tf.constant(["great product works well", "terrible broke after one day"])
    float32, bfloat16 = (
        tf.saved_model.load(str(d / "1")).signatures["serving_default"](text=reviews)["probability"]
        for d in (float32_dir, model_dir)
    )
    np.testing.assert_allclose(bfloat16, float32, atol=0.05)


def test_export_precision_auto_picks_for_this_machine_and_says_why(trained_run, tmp_path, capsys):
    from bert_keras.encoders.precision_choice import choose, this_machine

    assert (
        main(["export", str(trained_run), "--out", str(tmp_path / "m"), "--precision", "auto"]) == 0
    )
    expected, why = choose(this_machine())
    captured = capsys.readouterr()
    assert json.loads(captured.out)["dtype_policy"] == expected
    assert f"bert-keras: --precision auto: {expected} ({why})" in captured.err
    assert (
        json.loads((tmp_path / "m" / "1" / "assets.extra" / "precision.json").read_text())[
            "dtype_policy"
        ]
        == expected
    )


def test_export_of_unfinished_run_is_one_line_exit_2(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
