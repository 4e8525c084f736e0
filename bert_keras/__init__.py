"""bert-keras: fine-tune TF Hub BERT encoders with selective layer freezing.

`tensorflow_hub.KerasLayer` only works with the Keras 2 API (`tf_keras`), while
TF 2.16+ ships Keras 3 as `tf.keras`. TensorFlow picks one at first import, so
the switch is set here: Python runs this file before any module of the package,
so every one of them that imports TensorFlow finds it set.
"""

import os
import sys

if "tensorflow" in sys.modules and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError(
        "bert_keras must be imported before tensorflow (or run with "
        "TF_USE_LEGACY_KERAS=1): hub.KerasLayer needs tf_keras as tf.keras"
    )
os.environ["TF_USE_LEGACY_KERAS"] = "1"
# TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) drowns CLI output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
