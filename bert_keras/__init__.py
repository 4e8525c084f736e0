"""bert-keras: fine-tune TF Hub BERT encoders with selective layer freezing.

The Python API (`bert_keras.api`) is importable from here: `bert_keras.load_encoder`,
`bert_keras.train` and the rest of `api.__all__`, loaded on first use so that
`import bert_keras` (and the command line's version) stays quick.

`tensorflow_hub.KerasLayer` only works with the Keras 2 API (`tf_keras`), while
TF 2.16+ ships Keras 3 as `tf.keras`. TensorFlow picks one at first import, so
the switch is set here: Python runs this file before any module of the package,
so every one of them that imports TensorFlow finds it set.
"""

import importlib
import os
import sys

from bert_keras.names import API_NAMES

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "bert_keras must be imported before tensorflow (or run with "
        "TF_USE_LEGACY_KERAS=1): hub.KerasLayer needs tf_keras as tf.keras"
    )
os.environ["TF_USE_LEGACY_KERAS"] = "1"
# TensorFlow's C++ start-up lines (oneDNN, CUDA probing) are not the user's business
# unless they ask for them by setting the level themselves.
_QUIET = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
# a call, not a list literal: the docs site's reader takes a literal's items for names
__all__ = list(("__version__", *API_NAMES))


def _import_tensorflow_quietly():
    """Imports TensorFlow and finds its devices with the process's native stderr
    closed: what TensorFlow's C++ prints there before its logging starts (and the GPU
    probe's line) would otherwise reach the user of a library call."""
    if "tensorflow" in sys.modules or not _QUIET:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow

        tensorflow.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def __getattr__(name: str):
    if name not in API_NAMES:
        raise AttributeError(f"module 'bert_keras' has no attribute {name!r}")
    _import_tensorflow_quietly()
    return getattr(importlib.import_module("bert_keras.api"), name)
