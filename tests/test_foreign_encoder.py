"""An encoder bert-keras did not write: TF Model Garden's own TF Hub export of a small
random BERT, with its own preprocessor, made in a process of its own (integration).
layers, train --train-last 2 (frozen variables bit-for-bit unchanged, trainable ones
changed), export (checked in a fresh process) and predict all work on it."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from served import calibrated_probabilities
from shared import built_once
from tiny_bert import write_synthetic_reviews

from bert_keras.cli import main
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import variable_name
from bert_keras.training.checkpoints import restore_weights
from bert_keras.training.classifier import ENCODER_LAYER, build_classifier

if importlib.util.find_spec("official") is None:
    pytest.skip(
        "tf-models-official is not installed (`make install` adds it to the test environment "
        "with --no-deps)",
        allow_module_level=True,
    )

FROZEN = (
    "word_embeddings/",
    "position_embedding/",
    "type_embeddings/",
    "embeddings/layer_norm/",
    "transformer/layer_0/",
    "transformer/layer_1/",
    "pooler_transform/",  # the head reads the mean of the token outputs, not the pooler
)


pytestmark = pytest.mark.integration  # Model Garden's exporter runs in a process of its own


@pytest.fixture(scope="session")
def garden(tmp_path_factory):
    return built_once(tmp_path_factory, "garden", _export_garden_encoder) / "small_bert"


def _export_garden_encoder(directory):
    out = directory / "small_bert"
    subprocess.run(
        [sys.executable, str(Path(__file__).parent / "model_garden_encoder.py"), str(out)],
        check=True,
        capture_output=True,
        cwd=Path(__file__).parent,
    )
    return out


@pytest.mark.parametrize("pooling, pooler", [("mean", "frozen"), ("cls", "trainable")])
def test_layers_reads_the_blocks_of_tf_hubs_own_layout(garden, capsys, pooling, pooler):
    argv = ["layers", "--encoder", str(garden), "--train-last", "2", "--pooling", pooling]
    assert main(argv) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:8]]
    assert [(row[1], row[-1]) for row in rows] == [
        ("embeddings", "frozen"),
        ("transformer/layer_0", "frozen"),
        ("transformer/layer_1", "frozen"),
        ("transformer/layer_2", "trainable"),
        ("transformer/layer_3", "trainable"),
        ("pooler", pooler),
        ("head", "trainable"),
    ]


def test_train_export_predict_with_frozen_variables_bit_for_bit_unchanged(garden, tmp_path, capsys):
    data = write_synthetic_reviews(tmp_path / "data", n_train=240, n_test=40)
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--encoder",
                str(garden),
                "--data",
                str(data),
                "--out",
                str(run),
                "--train-last",
                "2",
                "--epochs",
                "1",
                "--batch-size",
                "8",
                "--max-seq-length",
                "32",
                "--learning-rate",
                "1e-3",
            ]
        )
        == 0
    )
    pretrained = {variable_name(v): v.numpy() for v in hub.load(str(garden / "encoder")).variables}
    model = build_classifier(str(garden / "encoder"), FreezeSpec(train_last=2))
    restore_weights(model, tf.train.latest_checkpoint(str(run / "best")), "best")
    trained = {
        variable_name(v): v.numpy()
        for v in model.get_layer(ENCODER_LAYER).weights
        if v.dtype.is_floating
    }
    assert trained.keys() == {name for name, value in pretrained.items() if value.dtype.kind == "f"}
    frozen = [name for name in trained if name.startswith(FROZEN)]
    assert len(frozen) == 5 + 2 * 16 + 2 and len(trained) - len(frozen) == 2 * 16
    for name, value in trained.items():
        if name in frozen:
            np.testing.assert_array_equal(value, pretrained[name], err_msg=name)
        else:
            assert not np.array_equal(value, pretrained[name]), f"{name} did not train"
    capsys.readouterr()

    assert main(["export", str(run), "--out", str(tmp_path / "served")]) == 0
    capsys.readouterr()  # what it serves is compared below with the run's own model
    texts = ["great product works well", "broke after a day"]
    assert main(["predict", "--model", str(tmp_path / "served"), *texts]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == texts
    expected = calibrated_probabilities(run, texts)  # the run's model, read in this process
    np.testing.assert_allclose([row["probability"] for row in rows], expected, atol=2e-6)
