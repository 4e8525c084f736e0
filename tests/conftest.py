"""Shared fixtures: the tiny encoder (fast), the built-in encoder and ../shared (slow)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The built-in encoder's cache is the project's own, shared with `make train`.
os.environ.setdefault("BERT_KERAS_HOME", str(ROOT / "saved_models"))

from tiny_bert import write_synthetic_reviews, write_tiny_checkpoint  # noqa: E402

import bert_keras  # noqa: E402,F401  (before TensorFlow: selects tf_keras)

# Run as a script by tests/test_foreign_encoder.py; it imports TF Model Garden, which
# the doctest collector should not import (and which a machine may lack).
collect_ignore = ["model_garden_encoder.py"]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    return write_tiny_checkpoint(tmp_path_factory.mktemp("tiny_hf"))


@pytest.fixture(scope="session")
def tiny_encoder_dir(tiny_checkpoint, tmp_path_factory):
    """`bert-keras convert` of the tiny checkpoint: encoder/, preprocessor/, bert_keras.json."""
    from bert_keras.encoders.convert import convert

    return convert(tiny_checkpoint, tmp_path_factory.mktemp("tiny_tfhub") / "tiny")


@pytest.fixture(scope="session")
def shared_dir():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: it holds the real reviews and reference outputs")
    return SHARED


@pytest.fixture(scope="session")
def minilm_dir():
    """The built-in encoder, converted once into saved_models/encoders/minilm-l6."""
    from bert_keras.encoders.builtin import ensure_builtin

    return ensure_builtin("minilm-l6")


# A trained tiny run and its export, shared by the serving and evaluation tests.
@pytest.fixture(scope="session")
def trained_run(tiny_encoder_dir, tmp_path_factory):
    from bert_keras.cli import main

    root = tmp_path_factory.mktemp("export_run")
    data = write_synthetic_reviews(root / "data", n_train=200, n_test=40)
    assert (
        main(
            [
                "train",
                "--encoder",
                str(tiny_encoder_dir),
                "--data",
                str(data),
                "--out",
                str(root / "run"),
                "--batch-size",
                "8",
                "--max-seq-length",
                "32",
                "--learning-rate",
                "5e-3",
                "--precision",
                "float32",
            ]
        )
        == 0
    )  # as export's default: both read the same probabilities
    return root / "run"


@pytest.fixture(scope="session")
def exported(trained_run, tmp_path_factory):
    from bert_keras.serving.export import export

    model_dir = tmp_path_factory.mktemp("served") / "sentiment"
    return export(trained_run, model_dir), model_dir
