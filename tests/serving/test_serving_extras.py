"""What an export hands TF Serving beyond the SavedModel: warm-up requests, batching
parameters, a core-ops-only token-id model (integration: loaded where TF Text is not,
run by saved_model_cli), the tf.Example signature, calibration.json."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from bert_keras.serving.export import token_ids_dir
from bert_keras.serving.warmup import ALLOWED_BATCH_SIZES, read_warmup, warmup_lengths

SAVED_MODEL_CLI = str(Path(sys.executable).parent / "saved_model_cli")


def test_warmup_records_cover_every_signature_batch_and_length_and_replay(exported):
    result, model_dir = exported
    version = model_dir / "1"
    logs = read_warmup(version / "assets.extra" / "tf_serving_warmup_requests")
    assert len(logs) == result["warmup_requests"] <= 1000
    loaded = tf.saved_model.load(str(version))
    seen = set()
    for log in logs:
        request = log.predict_log.request
        assert request.model_spec.name == "sentiment"
        inputs = {
            name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()
        }
        outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
        batch = next(iter(inputs.values())).shape[0]
        assert outputs["probability"].shape == (batch,) and outputs["label"].shape == (batch,)
        length = (
            inputs["input_word_ids"].shape[1]
            if "input_word_ids" in inputs
            else int(tf.strings.split(inputs[next(iter(inputs))][:1]).row_lengths()[0]) + 2
        )
        seen.add((request.model_spec.signature_name, batch, length))
    config = json.loads((version / "assets.extra" / "config.json").read_text())["settings"]
    lengths = warmup_lengths(config["max_seq_length"])
    signatures = {"serving_default", "from_examples", "from_token_ids"}
    assert {(s, b) for s, b, _ in seen} == {(s, b) for s in signatures for b in ALLOWED_BATCH_SIZES}
    assert {length for s, _, length in seen if s == "from_token_ids"} == set(lengths)


def test_batching_parameters_allow_the_batch_sizes_warmed_up(exported):
    _, model_dir = exported
    text = (model_dir / "batching_parameters.txt").read_text()
    allowed = [
        int(line.split(":")[1])
        for line in text.splitlines()
        if line.startswith("allowed_batch_sizes:")
    ]
    assert allowed == list(ALLOWED_BATCH_SIZES)
    assert (
        f"max_batch_size {{ value: {max(allowed)} }}" in text
        and "pad_variable_length_inputs: true" in text
    )


FRESH_WITHOUT_TF_TEXT = """
import json, sys
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
ids = tf.constant([[101, 7, 8, 102], [101, 9, 102, 0]], tf.int32)
out = loaded.signatures["from_token_ids"](input_word_ids=ids, input_mask=tf.cast(ids > 0, tf.int32),
                                          input_type_ids=tf.zeros_like(ids))
print(json.dumps({"probability": out["probability"].numpy().tolist(),
                  "tf_text": "tensorflow_text" in sys.modules}))
"""


@pytest.mark.integration
def test_the_token_id_model_loads_where_tf_text_never_did(exported):
    result, model_dir = exported
    token_dir = Path(result["token_ids_export"])
    assert token_dir == model_dir.parent / "sentiment-token-ids" / "1"
    assert result["token_ids_version"] == 1 and not result["required_ops"]["from_token_ids"]
    assert not (token_dir / "assets" / "vocab.txt").exists()  # no preprocessor inside
    env = {**os.environ, "TF_USE_LEGACY_KERAS": ""}
    fresh = json.loads(
        subprocess.run(
            [sys.executable, "-c", FRESH_WITHOUT_TF_TEXT, str(token_dir)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert fresh["tf_text"] is False
    # The full model gives the same numbers for the same ids (in a process that has TF Text).
    import tensorflow_text  # noqa: F401

    ids = tf.constant([[101, 7, 8, 102], [101, 9, 102, 0]], tf.int32)
    full = tf.saved_model.load(str(model_dir / "1")).signatures["from_token_ids"](
        input_word_ids=ids, input_mask=tf.cast(ids > 0, tf.int32), input_type_ids=tf.zeros_like(ids)
    )
    np.testing.assert_allclose(fresh["probability"], full["probability"].numpy(), atol=1e-6)


def _saved_model_cli_run(version_dir, folder):
    ids = np.array([[101, 7, 8, 102]], np.int32)
    arrays = {
        "input_word_ids": ids,
        "input_mask": np.ones_like(ids),
        "input_type_ids": np.zeros_like(ids),
    }
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)
    inputs = ";".join(f"{name}={folder / name}.npy" for name in arrays)
    return subprocess.run(
        [
            SAVED_MODEL_CLI,
            "run",
            "--dir",
            str(version_dir),
            "--tag_set",
            "serve",
            "--signature_def",
            "from_token_ids",
            "--inputs",
            inputs,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_USE_LEGACY_KERAS": ""},
    )


@pytest.mark.integration
def test_saved_model_cli_runs_the_token_id_model_and_not_the_full_one(exported, tmp_path):
    result, model_dir = exported
    ran = _saved_model_cli_run(result["token_ids_export"], tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert (
        "Result for output key probability" in ran.stdout
        and "Result for output key label" in ran.stdout
    )
    full = _saved_model_cli_run(model_dir / "1", tmp_path)  # why the token-id model exists
    assert full.returncode != 0 and "Op type not registered" in full.stderr


def _examples(texts, titles=None):
    def feature(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))

    return [
        tf.train.Example(
            features=tf.train.Features(
                feature={"text": feature(text), **({"title": feature(titles[i])} if titles else {})}
            )
        ).SerializeToString()
        for i, text in enumerate(texts)
    ]


def test_from_examples_equals_serving_default_on_the_same_review(exported):
    _, model_dir = exported
    signatures = tf.saved_model.load(str(model_dir / "1")).signatures
    texts, titles = ["works well, love it", "broke after one day", "meh"], ["Great", "Awful!", ""]
    joined = [
        "Great. works well, love it",
        "Awful! broke after one day",
        "meh",
    ]  # as training joins them
    by_text = signatures["serving_default"](text=tf.constant(joined))
    by_example = signatures["from_examples"](examples=tf.constant(_examples(texts, titles)))
    np.testing.assert_array_equal(by_example["probability"].numpy(), by_text["probability"].numpy())
    np.testing.assert_array_equal(by_example["label"].numpy(), by_text["label"].numpy())
    untitled = signatures["from_examples"](examples=tf.constant(_examples(texts)))
    np.testing.assert_array_equal(
        untitled["probability"].numpy(),
        signatures["serving_default"](text=tf.constant(texts))["probability"].numpy(),
    )


def test_calibration_json_is_what_the_graph_applies(trained_run, exported):
    _, model_dir = exported
    recorded = json.loads((model_dir / "1" / "assets.extra" / "calibration.json").read_text())
    assert recorded == json.loads((trained_run / "metrics.json").read_text())["calibration"]
    assert set(recorded) >= {
        "temperature",
        "threshold",
        "threshold_rule",
        "ece_before",
        "ece_after",
        "validation",
    }
    serve = tf.saved_model.load(str(model_dir / "1")).signatures["serving_default"]
    out = serve(
        text=tf.constant(["great", "terrible product", "ok I guess", "love it, works"] * 10)
    )
    probability, label = out["probability"].numpy(), out["label_index"].numpy()
    np.testing.assert_array_equal(
        label, (probability >= np.float32(recorded["threshold"])).astype(np.int32)
    )
    np.testing.assert_array_equal(out["label"].numpy(), np.array([b"negative", b"positive"])[label])


def test_the_export_keeps_no_keras_layer_only_its_signatures_and_variables(exported):
    """The classifier's Keras layers would each bring traced calls no signature uses."""
    _, model_dir = exported
    for version in (model_dir / "1", token_ids_dir(model_dir) / "1"):
        saved = saved_model_pb2.SavedModel.FromString((version / "saved_model.pb").read_bytes())
        nodes = saved.meta_graphs[0].object_graph_def.nodes
        kinds = {node.user_object.identifier for node in nodes if node.HasField("user_object")}
        assert not [kind for kind in kinds if kind.startswith("_tf_keras")], kinds
        assert any(node.HasField("variable") for node in nodes)
