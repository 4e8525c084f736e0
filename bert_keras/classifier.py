"""The task model: a frozen-as-specified BERT encoder under a sigmoid head."""
import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.encoder import INPUT_NAMES, CountedDropout
from bert_keras.freezing import FreezableEncoder, FreezeSpec

ENCODER_LAYER = "encoder"
HEAD_LAYER = "classifier"


def build_classifier(encoder_handle: str, freeze: FreezeSpec | None = None,
                     dropout: float = 0.1, seed: int | None = None) -> tf_keras.Model:
    """A Keras functional model: encoder inputs in, P(positive) [batch, 1] out.

    >>> model = build_classifier("saved_models/encoders/minilm-l6/encoder",
    ...                          FreezeSpec(train_last=2))  # doctest: +SKIP
    """
    inputs = {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}
    encoder = FreezableEncoder(encoder_handle, freeze=freeze, name=ENCODER_LAYER)
    pooled = encoder(inputs)["pooled_output"]  # [batch, hidden]
    pooled = CountedDropout(dropout, seed=(seed or 0) + 10_000, name="head_dropout")(pooled)  # resumable masks
    probability = tf_keras.layers.Dense(
        1, activation="sigmoid", name=HEAD_LAYER,
        kernel_initializer=tf_keras.initializers.GlorotUniform(seed=seed))(pooled)  # [batch, 1]
    return tf_keras.Model(inputs=inputs, outputs=probability, name="bert_classifier")
