"""The layout `bert-keras convert` writes, and where bert-keras keeps what it makes.

OUT_DIR/encoder          the encoder SavedModel (TF Hub BERT v4)
OUT_DIR/preprocessor     its text preprocessor SavedModel
OUT_DIR/bert_keras.json  where it came from, its architecture and size

TensorFlow-free, so that listing encoders is quick.
"""

import os
from pathlib import Path

ENCODER_DIR = "encoder"
PREPROCESSOR_DIR = "preprocessor"
METADATA_FILE = "bert_keras.json"
# Bumped when converted encoders change (2: dropout masks replayable on resume;
# 3: cheaper dropout masks, float32 GELU under mixed precision; 4: the split functions
# `hidden_state_at` and `from_hidden` beside TF Hub's call; 5: those, one graph per boundary;
# 6: the preprocessor's packing in flat tensor ops, 3x quicker to save and load;
# 7: the encoder as a TF Hub Reusable SavedModel, without Keras' per-layer traces;
# 8: `from_hidden` can give every token's output, for a head that averages them);
# a cached built-in of another format is rebuilt.
FORMAT_VERSION = 8
DEFAULT_SEQ_LENGTH = 128  # the preprocessor's, as TF Hub's bert_*_preprocess/3


def variable_name(variable) -> str:
    """`transformer/layer_0/output/kernel:0` -> `transformer/layer_0/output/kernel`: the
    names freezing reads sub-layers off (see `encoders.network`)."""
    return variable.name.split(":")[0]


def bert_keras_home() -> Path:
    """Where encoders and exports are written: $BERT_KERAS_HOME, else ./saved_models."""
    return Path(os.environ.get("BERT_KERAS_HOME", "saved_models"))
