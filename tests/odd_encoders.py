"""SavedModels that load through hub.KerasLayer but are not what bert-keras can use:
one without `pooled_output`, one whose variable names say nothing of blocks."""

from pathlib import Path

import tensorflow as tf
import tf_keras

from bert_keras.encoders.network import INPUT_NAMES


def _bert_inputs():
    return {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}


def write_encoder_without_pooled_output(directory: Path) -> Path:
    inputs = _bert_inputs()
    sequence = tf_keras.layers.Embedding(200, 8, name="word_embeddings")(inputs["input_word_ids"])
    model = tf_keras.Model(inputs, {"sequence_output": sequence})
    model.save(str(directory), include_optimizer=False, save_format="tf")
    return Path(directory)


def write_unmappable_encoder(directory: Path) -> Path:
    """Outputs as a BERT encoder's, variables named `tok/...` and `proj/...`."""
    inputs = _bert_inputs()
    sequence = tf_keras.layers.Embedding(200, 8, name="tok")(inputs["input_word_ids"])
    pooled = tf_keras.layers.Dense(8, name="proj")(
        tf_keras.layers.GlobalAveragePooling1D()(sequence)
    )
    model = tf_keras.Model(
        inputs, {"sequence_output": sequence, "pooled_output": pooled, "default": pooled}
    )
    model.save(str(directory), include_optimizer=False, save_format="tf")
    return Path(directory)
