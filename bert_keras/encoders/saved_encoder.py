"""The encoder as a TF Hub Reusable SavedModel: the object `hub.load` returns.

What TF Hub's BERT v4 encoders and `hub.KerasLayer` need of the object, and nothing
more: `__call__(inputs, training)` traced for both values of `training`, the lists
`variables`, `trainable_variables` and `regularization_losses`, and the tokenizer's
`vocab_file` and `do_lower_case`; beside them, bert-keras' `hidden_state_at` and
`from_hidden` (see `encoders.network`). A Keras model saved whole (`model.save`) keeps a
traced call for every layer as well, which nothing reading a TF Hub encoder uses: this
object is about half as quick to save and twice as quick to load.
"""

from pathlib import Path

import tensorflow as tf
import tf_keras

from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.traced_save import save_traced


class ReusableEncoder(tf.__internal__.tracking.AutoTrackable):
    """A built encoder (`network.build_encoder`) as TF Hub's Reusable SavedModel API has it.

    Args:
        model: the encoder; its variables are saved under their own names.
        vocab_file: the WordPiece vocabulary, saved as an asset.
        lower_case: whether the vocabulary is uncased.
    """

    def __init__(self, model: tf_keras.Model, vocab_file, lower_case: bool):
        specs = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES}

        @tf.function
        def call(inputs, training=False):  # dict of [batch, seq] -> the model's outputs
            return model(inputs, training=training)

        def trace():
            for training in (False, True):  # dropout is decided while tracing
                call.get_concrete_function(specs, training)
            model.trace_split_functions()

        self.__call__, self._trace = call, trace
        self.hidden_state_at, self.from_hidden = model.hidden_state_at, model.from_hidden
        self.variables = list(model.variables)
        self.trainable_variables = list(model.trainable_variables)
        self.regularization_losses = []
        self.vocab_file = tf.saved_model.Asset(str(vocab_file))
        self.do_lower_case = tf.Variable(lower_case, trainable=False, name="do_lower_case")


def save_encoder(model: tf_keras.Model, vocab_file, lower_case: bool, directory: Path):
    """Writes `model` as a TF Hub Reusable SavedModel in `directory` (not atomic: callers
    write into a staging directory)."""
    encoder = ReusableEncoder(model, vocab_file, lower_case)
    save_traced(encoder, directory, encoder._trace)
