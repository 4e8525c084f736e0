"""Shared fixtures: the tiny encoder (fast), the built-in encoder and ../shared (slow)."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# The built-in encoder's cache is the project's own, shared with `make train`.
os.environ.setdefault("BERT_KERAS_HOME", str(ROOT / "saved_models"))

import bert_keras  # noqa: E402,F401  (before TensorFlow: selects tf_keras)

from tiny_bert import write_tiny_checkpoint  # noqa: E402

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
