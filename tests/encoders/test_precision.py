"""Mixed precision: the bfloat16 encoder variant, and a run trained in it."""

import json
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import EncoderPaths, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.freezing.sublayers import variable_name


@pytest.fixture(scope="module")
def encoder_copy(tiny_encoder_dir, tmp_path_factory):
    """A private copy: the variant is written beside the encoder, and this module checks when."""
    return shutil.copytree(tiny_encoder_dir, tmp_path_factory.mktemp("precision") / "tiny")


def inputs(ids):
    ids = tf.constant(ids, tf.int32)
    return dict(input_word_ids=ids, input_mask=tf.ones_like(ids), input_type_ids=tf.zeros_like(ids))


def test_mixed_variant_is_built_once_beside_the_encoder_with_the_same_variables(encoder_copy):
    paths = resolve_encoder(str(encoder_copy))
    assert encoder_for(paths, "float32") == paths.encoder
    mixed = encoder_for(paths, "mixed_bfloat16")
    assert mixed == str(encoder_copy / "encoder_mixed_bfloat16")
    stamp = (encoder_copy / "encoder_mixed_bfloat16" / "saved_model.pb").stat().st_mtime_ns
    assert encoder_for(paths, "mixed_bfloat16") == mixed
    assert (encoder_copy / "encoder_mixed_bfloat16" / "saved_model.pb").stat().st_mtime_ns == stamp
    assert not [p for p in encoder_copy.iterdir() if p.name.startswith(".")]

    float32, bfloat16 = hub.KerasLayer(paths.encoder), hub.KerasLayer(mixed)
    shapes = lambda layer: {
        variable_name(v): (v.dtype.name, tuple(v.shape)) for v in layer.variables
    }  # noqa: E731
    assert shapes(float32) == shapes(bfloat16)
    same_values = {variable_name(v): v.numpy() for v in float32.variables}
    assert all(np.array_equal(same_values[variable_name(v)], v.numpy()) for v in bfloat16.variables)

    ids = [[2, 7, 11, 13, 3, 0], [2, 5, 3, 0, 0, 0]]
    reference, candidate = float32(inputs(ids)), bfloat16(inputs(ids))
    for name in ("pooled_output", "sequence_output"):
        assert candidate[name].dtype == tf.float32  # the TF Hub contract holds under any policy
        difference = np.max(np.abs(reference[name].numpy() - candidate[name].numpy()))
        assert 0 < difference < 0.05, (name, difference)  # bfloat16 products: close, not equal


def test_foreign_encoder_cannot_be_rebuilt_in_mixed_precision(tiny_encoder_dir, tmp_path):
    (tmp_path / "encoder").symlink_to(
        tiny_encoder_dir / "encoder"
    )  # same SavedModel, no bert_keras.json
    foreign = EncoderPaths(
        spec="a-tf-hub-encoder", encoder=str(tmp_path / "encoder"), preprocessor=None
    )
    with pytest.raises(UserInputError, match="a-tf-hub-encoder was not converted by bert-keras"):
        encoder_for(foreign, "mixed_bfloat16")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encoder"]


def test_mixed_precision_on_a_foreign_encoder_is_one_line_exit_2_and_no_run(
    tiny_encoder_dir, tmp_path, capsys
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=40, n_test=10)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "encoder").symlink_to(
        tiny_encoder_dir / "encoder"
    )  # no bert_keras.json beside it
    status = main(
        [
            "train",
            "--encoder",
            str(tmp_path / "foreign" / "encoder"),
            "--data",
            str(data),
            "--out",
            str(tmp_path / "run"),
            "--precision",
            "mixed_bfloat16",
        ]
    )
    error = capsys.readouterr().err.strip()
    assert status == 2 and "was not converted by bert-keras" in error and "\n" not in error
    assert not (tmp_path / "run").exists()


def test_mixed_precision_run_trains_evaluates_and_exports_in_float32(
    encoder_copy, tmp_path, capsys
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=600, n_test=40)
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--encoder",
                str(encoder_copy),
                "--data",
                str(data),
                "--out",
                str(out),
                "--batch-size",
                "8",
                "--learning-rate",
                "5e-3",
                "--train-last",
                "1",
                "--epochs",
                "2",
                "--precision",
                "mixed_bfloat16",
            ]
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert json.loads((out / "config.json").read_text())["precision"] == "mixed_bfloat16"
    assert metrics["auc"] > 0.8, (
        "bfloat16 products learn the sentiment words as float32 does (AUC 0.97 both)"
    )

    assert main(["evaluate", "--model", str(out), "--data", str(data)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(metrics["f1"], abs=1e-6)

    # its checkpoint loads into the float32 graph: the default export serves it in float32
    assert main(["export", str(out), "--out", str(tmp_path / "served")]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["dtype_policy"] == "float32" and exported["max_abs_difference"] <= 1e-5


def test_unknown_precision_is_one_line_exit_2(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--precision", "float16"]) == 2
    error = capsys.readouterr().err
    assert "--precision" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_mixed_float16_run_trains_beside_the_float32_encoder(encoder_copy, tmp_path, capsys):
    """The encoder rebuilt under mixed_float16 beside the float32 one; the optimizer's loss
    scale (tests/training/test_loss_scale.py) keeps the loss finite."""
    data = write_synthetic_reviews(tmp_path / "data", n_train=400, n_test=40)
    argv = [
        "train",
        "--encoder",
        str(encoder_copy),
        "--data",
        str(data),
        "--out",
        str(tmp_path / "run"),
        "--batch-size",
        "8",
        "--learning-rate",
        "5e-3",
        "--train-last",
        "1",
        "--precision",
        "mixed_float16",
    ]
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert (encoder_copy / "encoder_mixed_float16" / "saved_model.pb").is_file()
    assert (
        json.loads((tmp_path / "run" / "config.json").read_text())["resolved_precision"]
        == "mixed_float16"
    )
    assert np.isfinite(metrics["loss"]) and metrics["auc"] > 0.8
