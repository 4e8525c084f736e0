"""Exports for TF Serving: versions, signatures, what they serve against the run's own
model, precisions, edge-case texts. The fresh-process check, saved_model_cli, a kill
mid-export and racing exports are tests/serving/test_export_processes.py's."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from served import calibrated_probabilities, run_test_texts, threshold_of
from this_machine import expected_auto_precision
from trees import tree_digest

from bert_keras.cli import main
from bert_keras.errors import SelfCheckFailed
from bert_keras.serving.export import export, token_ids_dir
from bert_keras.serving.fresh_check import check_of, verify_export, verify_exports
from bert_keras.serving.signatures import required_ops


def own_copy(exported, tmp_path) -> Path:
    """A copy of the shared export's model directory, for a test that adds versions."""
    _, model_dir = exported
    shutil.copytree(token_ids_dir(model_dir), token_ids_dir(tmp_path / model_dir.name))
    return Path(shutil.copytree(model_dir, tmp_path / model_dir.name))


def test_layout_and_extras(trained_run, exported):
    result, model_dir = exported
    version = model_dir / "1"
    assert result["version"] == 1 and (version / "saved_model.pb").is_file()
    assert result["checked_examples"] >= 40 and result["max_abs_difference"] <= 1e-5
    extra = version / "assets.extra"
    names = "config.json metrics.json model_card.md required_ops.json precision.json"
    names += " calibration.json tf_serving_warmup_requests labels.txt"
    assert {p.name for p in extra.iterdir()} == set(names.split())
    assert json.loads((extra / "precision.json").read_text()) == {"dtype_policy": "float32"}
    assert (extra / "labels.txt").read_text() == "negative\npositive\n"  # the release's 1, 2
    assert (extra / "config.json").read_bytes() == (trained_run / "config.json").read_bytes()
    assert (extra / "metrics.json").read_bytes() == (trained_run / "metrics.json").read_bytes()
    ops = json.loads((extra / "required_ops.json").read_text())
    assert ops["from_token_ids"] == [] and "WordpieceTokenizeWithOffsets" in ops["serving_default"]
    assert "RoundRobinTrim" not in ops["serving_default"]
    assert ops["from_examples"] == ops["serving_default"]
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "batching_parameters.txt"]


def test_the_model_card_states_the_runs_figures_and_how_to_call_it(trained_run, exported):
    _, model_dir = exported
    card = (model_dir / "1" / "assets.extra" / "model_card.md").read_text()
    metrics = json.loads((trained_run / "metrics.json").read_text())
    calibration = metrics["calibration"]
    assert card.startswith("# sentiment: ")
    assert f"F1 {metrics['f1']}, accuracy {metrics['accuracy']}, AUC {metrics['auc']}" in card
    assert f"sigmoid(logit / {calibration['temperature']:.4g})" in card
    assert f"probability >= {calibration['threshold']:.4g} (f1)" in card
    for signature in ("serving_default", "from_examples", "from_token_ids"):
        assert f"- `{signature}`: " in card
    assert "`from_token_ids`: `input_word_ids`" in card and "core TensorFlow ops only" in card


def test_serving_default_gives_the_runs_calibrated_probability_and_label(trained_run, exported):
    """The export against the run's model read in this process: the run's own test
    reviews and the edge cases (empty, blank, 120,000 characters, emoji), one at a time
    and as one batch of 1,000."""
    _, model_dir = exported
    edge_cases = ["", "   \t  ", "great " * 20_000, "Très bien 😀👍 — naïve café", "x"]
    texts = run_test_texts(trained_run) + edge_cases
    expected = calibrated_probabilities(trained_run, texts)
    assert json.loads((trained_run / "metrics.json").read_text())["calibration"]["temperature"] != 1
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    served = serve(text=tf.constant(texts))
    np.testing.assert_allclose(served["probability"].numpy(), expected, atol=1e-5, rtol=0)
    both = np.stack([1 - expected, expected], axis=1)  # [n, 2]: negative, positive
    np.testing.assert_allclose(served["probabilities"].numpy(), both, atol=1e-5, rtol=0)
    threshold = threshold_of(trained_run)
    clear = np.abs(expected - threshold) > 1e-5  # not within float32's reach of the threshold
    labels = (expected >= threshold).astype(np.int32)
    np.testing.assert_array_equal(served["label_index"].numpy()[clear], labels[clear])
    names = np.array([b"negative", b"positive"])[labels]  # the release's 1 and 2
    np.testing.assert_array_equal(served["label"].numpy()[clear], names[clear])
    for text, probability in zip(edge_cases, expected[-5:], strict=True):
        alone = serve(text=tf.constant([text]))["probability"].numpy()
        np.testing.assert_allclose(alone, [probability], atol=1e-5, rtol=0)
    batch = serve(text=tf.constant([edge_cases[i % 5] for i in range(1000)]))["probability"]
    np.testing.assert_allclose(batch.numpy(), np.tile(expected[-5:], 200), atol=1e-5, rtol=0)


def test_the_export_check_fails_when_the_export_disagrees(exported):
    _, model_dir = exported
    texts = ["great product works well", "terrible broke after one day"]
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    right = serve(text=tf.constant(texts))["probabilities"].numpy()
    check = verify_export(model_dir / "1", "serving_default", {"text": texts}, right, fresh=False)
    assert check["max_abs_difference"] <= 1e-5 and check["checked_examples"] == 2
    expected = r"predictions differ from the trained model by 1\.00e-03"
    with pytest.raises(SelfCheckFailed, match=expected):
        verify_export(
            model_dir / "1", "serving_default", {"text": texts}, right + 1e-3, fresh=False
        )


def test_both_versions_are_checked_each_against_its_own_expectation(exported):
    """The text version and its token-id twin, checked together: each figure in the order
    given, and a twin that disagrees fails the check though the text version agrees."""
    _, model_dir = exported
    texts = ["great product works well", "terrible broke after one day"]
    text_model = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    right = text_model(text=tf.constant(texts))["probabilities"].numpy()
    ids = {"input_word_ids": [[2, 5, 3], [2, 6, 3]], "input_mask": [[1, 1, 1]] * 2}
    ids["input_type_ids"] = [[0, 0, 0]] * 2
    twin_dir = token_ids_dir(model_dir) / "1"
    twin_model = tf.saved_model.load(str(twin_dir)).signatures["from_token_ids"]
    twin_right = twin_model(**{k: tf.constant(v) for k, v in ids.items()})["probabilities"]
    text_check = check_of(model_dir / "1", "serving_default", {"text": texts}, right, True)
    twin_check = check_of(twin_dir, "from_token_ids", ids, twin_right.numpy(), False)
    figures = verify_exports([text_check, twin_check], fresh=False)
    assert [f["checked_examples"] for f in figures] == [2, 2]
    twin_wrong = dict(twin_check, expected=(twin_right.numpy() + 1e-3).tolist())
    with pytest.raises(SelfCheckFailed, match=r"differ from the trained model by 1\.00e-03"):
        verify_exports([text_check, twin_wrong], fresh=False)


def test_from_token_ids_graph_is_core_tensorflow_only(exported):
    _, model_dir = exported
    loaded = tf.saved_model.load(str(model_dir / "1"))
    assert required_ops(loaded.signatures["from_token_ids"]) == []
    assert required_ops(loaded.signatures["serving_default"])  # the check does see TF Text's ops


def test_a_second_export_is_version_2_and_keeps_someone_elses_batching_file(
    trained_run, exported, tmp_path, capsys
):
    """Version 1 untouched; a batching_parameters.txt bert-keras did not write is kept (a
    team's own), and the token-id model's, bert-keras' own, is written again."""
    model_dir = own_copy(exported, tmp_path)
    before = tree_digest(model_dir / "1")
    (model_dir / "batching_parameters.txt").write_text("max_batch_size { value: 8 }\n")
    assert export(trained_run, model_dir, fresh_check=False)["version"] == 2
    assert tree_digest(model_dir / "1") == before
    assert sorted(p.name for p in model_dir.iterdir()) == ["1", "2", "batching_parameters.txt"]
    assert (model_dir / "batching_parameters.txt").read_text() == "max_batch_size { value: 8 }\n"
    kept = f"{model_dir / 'batching_parameters.txt'} is not bert-keras' own: kept"
    assert kept in capsys.readouterr().err
    ours = (token_ids_dir(model_dir) / "batching_parameters.txt").read_text()
    assert ours.startswith("# TF Serving batching (tensorflow_model_server")


def test_a_token_id_version_left_alone_is_skipped_and_the_twins_share_a_number(
    trained_run, tmp_path
):
    """What an export killed between its two renames leaves: the token-id model, not
    the full one. The next export takes a number free in both directories."""
    model_dir = tmp_path / "sentiment"
    alone = token_ids_dir(model_dir) / "1"
    alone.mkdir(parents=True)
    (alone / "saved_model.pb").write_bytes(b"left by a killed export")
    result = export(trained_run, model_dir, fresh_check=False)
    assert result["version"] == result["token_ids_version"] == 2
    assert sorted(p.name for p in model_dir.iterdir()) == ["2", "batching_parameters.txt"]
    assert (alone / "saved_model.pb").read_bytes() == b"left by a killed export"


def matmul_dtypes(loaded) -> set:
    graph = loaded.signatures["from_token_ids"].graph.as_graph_def()
    nodes = [n for n in graph.node] + [n for f in graph.library.function for n in f.node_def]
    products = [n for n in nodes if n.op in ("BatchMatMulV2", "MatMul")]
    return {tf.dtypes.as_dtype(n.attr["T"].type).name for n in products}


@pytest.mark.extended
@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_a_mixed_export_computes_in_its_dtype_and_stays_close_to_float32(
    trained_run, tmp_path, precision
):
    model_dir = tmp_path / "sentiment"
    result = export(trained_run, model_dir, precision=precision, fresh_check=False)
    assert result["dtype_policy"] == precision and result["max_abs_difference"] <= 1e-5
    assert 0 < result["float32_max_abs_difference"] <= 0.05  # bfloat16 or float16 products
    assert result["float32_label_agreement"] >= 0.9
    recorded = json.loads((model_dir / "1" / "assets.extra" / "precision.json").read_text())
    assert recorded["dtype_policy"] == precision
    loaded = tf.saved_model.load(str(model_dir / "1"))
    assert precision.removeprefix("mixed_") in matmul_dtypes(loaded)
    texts = run_test_texts(trained_run)
    served = loaded.signatures["serving_default"](text=tf.constant(texts))["probability"]
    float32 = calibrated_probabilities(trained_run, texts)  # the run's model, in float32
    assert 0 < np.max(np.abs(served.numpy() - float32)) <= 0.05


def test_export_precision_auto_picks_for_this_machine_and_says_why(tiny_encoder_dir, capsys):
    """What export does with `precision="auto"` before it builds anything: this machine's
    choice, said once on stderr."""
    from bert_keras.encoders.resolve import resolve_encoder
    from bert_keras.serving.export import serving_precision

    expected = expected_auto_precision()
    assert serving_precision("auto", resolve_encoder(str(tiny_encoder_dir))) == expected
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"bert-keras: precision=auto: {expected} (")
    assert (
        serving_precision("mixed_float16", resolve_encoder(str(tiny_encoder_dir)))
        == "mixed_float16"
    )


def test_export_of_unfinished_run_is_one_line_exit_2(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
