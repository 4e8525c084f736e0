"""Mixed precision: the bfloat16 encoder variant, and runs trained in bfloat16 and float16."""

import json
import shutil
import threading

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from runs import run_config
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import EncoderPaths, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.freezing.sublayers import variable_name
from bert_keras.serving.export import export

LEARNING = ["--learning-rate", "5e-3"]  # the tiny encoder learns the words in one epoch


def inputs(ids):
    ids = tf.constant(ids, tf.int32)
    return dict(input_word_ids=ids, input_mask=tf.ones_like(ids), input_type_ids=tf.zeros_like(ids))


def shapes(layer) -> dict:
    return {variable_name(v): (v.dtype.name, tuple(v.shape)) for v in layer.variables}


def test_mixed_variant_is_built_once_beside_the_encoder_with_the_same_variables(
    tiny_encoder_dir, tmp_path
):
    """Two callers at once (as a cluster's workers start) build it once; a third finds it."""
    # the variant is written beside it: a copy of the encoder, without the variants of other tests
    copy = shutil.copytree(
        tiny_encoder_dir, tmp_path / "tiny", ignore=shutil.ignore_patterns(".*", "encoder_*")
    )
    paths = resolve_encoder(str(copy))
    assert encoder_for(paths, "float32") == paths.encoder
    built = []
    callers = [threading.Thread(target=lambda: built.append(encoder_for(paths, "mixed_bfloat16")))]
    callers.append(
        threading.Thread(target=lambda: built.append(encoder_for(paths, "mixed_bfloat16")))
    )
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    mixed = str(copy / "encoder_mixed_bfloat16")
    assert built == [mixed, mixed]
    stamp = (copy / "encoder_mixed_bfloat16" / "saved_model.pb").stat().st_mtime_ns
    assert encoder_for(paths, "mixed_bfloat16") == mixed
    assert (copy / "encoder_mixed_bfloat16" / "saved_model.pb").stat().st_mtime_ns == stamp
    hidden = sorted(p.name for p in copy.iterdir() if p.name.startswith("."))
    assert hidden == [".encoder_mixed_bfloat16.lock"], "no staging folder left"

    float32, bfloat16 = hub.KerasLayer(paths.encoder), hub.KerasLayer(mixed)
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
    # the same SavedModel, without the bert_keras.json that `convert` writes beside it
    (tmp_path / "encoder").symlink_to(tiny_encoder_dir / "encoder")
    foreign = EncoderPaths("a-tf-hub-encoder", encoder=str(tmp_path / "encoder"), preprocessor=None)
    with pytest.raises(UserInputError, match="a-tf-hub-encoder was not converted by bert-keras"):
        encoder_for(foreign, "mixed_bfloat16")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encoder"]


def train_argv(encoder, data, out, *extra):
    train = f"train --encoder {encoder} --data {data} --out {out} --batch-size 8"
    return [*train.split(), *"--epochs 1 --learning-rate 5e-3 --train-last 1".split(), *extra]


def test_mixed_precision_on_a_foreign_encoder_is_one_line_exit_2_and_no_run(
    tiny_encoder_dir, tmp_path, capsys
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=40, n_test=10)
    (tmp_path / "foreign").mkdir()  # no bert_keras.json beside the encoder
    (tmp_path / "foreign" / "encoder").symlink_to(tiny_encoder_dir / "encoder")
    foreign = tmp_path / "foreign" / "encoder"
    status = main(train_argv(foreign, data, tmp_path / "run", "--precision", "mixed_bfloat16"))
    error = capsys.readouterr().err.strip()
    assert status == 2 and "was not converted by bert-keras" in error and "\n" not in error
    assert not (tmp_path / "run").exists()


@pytest.mark.extended
def test_mixed_precision_run_trains_evaluates_and_exports_in_float32(
    tiny_encoder_dir, tmp_path, capsys
):
    data = write_synthetic_reviews(tmp_path / "data", n_train=600, n_test=40)
    out = tmp_path / "run"
    bfloat16 = ["--precision", "mixed_bfloat16", *LEARNING]
    assert main(train_argv(tiny_encoder_dir, data, out, *bfloat16)) == 0
    metrics = json.loads(capsys.readouterr().out)
    settings, record = run_config(out)
    assert settings["precision"] == record["precision"] == "mixed_bfloat16"
    assert metrics["dtype_policy"] == "mixed_bfloat16"
    assert metrics["auc"] > 0.8, "bfloat16 products learn the sentiment words as float32 does"

    assert main(["evaluate", "--model", str(out), "--data", str(data)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    # evaluate pads each length bucket, training's test pass each batch: bfloat16 sums of
    # other widths (AUC 0.8402 against 0.8363 measured) may move one of 40 reviews across
    assert evaluated["auc"] == pytest.approx(metrics["auc"], abs=0.01)
    assert evaluated["f1"] == pytest.approx(metrics["f1"], abs=0.05)

    # its checkpoint loads into the float32 graph: the default export serves it in float32
    exported = export(out, tmp_path / "served", fresh_check=False)
    assert exported["dtype_policy"] == "float32" and exported["max_abs_difference"] <= 1e-5


def test_unknown_precision_is_one_line_exit_2(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "run"), "--precision", "float16"]) == 2
    error = capsys.readouterr().err
    assert "--precision" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.extended
def test_mixed_float16_run_trains_beside_the_float32_encoder(tiny_encoder_dir, tmp_path, capsys):
    """The encoder rebuilt under mixed_float16 beside the float32 one; the optimizer's loss
    scale (tests/training/test_loss_scale.py) keeps the loss finite."""
    data = write_synthetic_reviews(tmp_path / "data", n_train=600, n_test=40)
    argv = train_argv(tiny_encoder_dir, data, tmp_path / "run", "--precision", "mixed_float16")
    argv += LEARNING
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert (tiny_encoder_dir / "encoder_mixed_float16" / "saved_model.pb").is_file()
    assert run_config(tmp_path / "run")[1]["precision"] == "mixed_float16"
    assert np.isfinite(metrics["loss"]) and metrics["auc"] > 0.8
