"""The task model: a frozen-as-specified BERT encoder under a sigmoid head."""
import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.encoders.layers import CountedDropout
from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.errors import UserInputError
from bert_keras.freezing.hub_layer import FreezableEncoder
from bert_keras.freezing.spec import FreezeSpec

ENCODER_LAYER = "encoder"
HEAD_LAYER = "classifier"


def bert_outputs(encoder, inputs, handle: str) -> dict:
    """Calls a TF Hub encoder layer, refusing with one line a SavedModel that is not a BERT encoder."""
    try:
        outputs = encoder(inputs)
    except (ValueError, TypeError) as error:  # no concrete function for BERT's three int32 inputs
        raise UserInputError(f"--encoder {handle}: does not take BERT's inputs ({', '.join(INPUT_NAMES)}): "
                             f"{str(error).strip().splitlines()[0][:200]}") from None
    if not isinstance(outputs, dict) or "pooled_output" not in outputs:
        found = ", ".join(sorted(outputs)) if isinstance(outputs, dict) else type(outputs).__name__
        raise UserInputError(f"--encoder {handle}: its outputs have no pooled_output (found: {found}); "
                             f"bert-keras needs a TF Hub BERT encoder")
    return outputs


def build_classifier(encoder_handle: str, freeze: FreezeSpec | None = None,
                     dropout: float = 0.1, seed: int | None = None) -> tf_keras.Model:
    """A Keras functional model: encoder inputs in, P(positive) [batch, 1] out.

    >>> model = build_classifier("saved_models/encoders/minilm-l6/encoder",
    ...                          FreezeSpec(train_last=2))  # doctest: +SKIP
    """
    inputs = {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}
    encoder = FreezableEncoder(encoder_handle, freeze=freeze, name=ENCODER_LAYER)
    pooled = bert_outputs(encoder, inputs, encoder_handle)["pooled_output"]  # [batch, hidden]
    pooled = CountedDropout(dropout, seed=(seed or 0) + 10_000, name="head_dropout")(pooled)  # resumable masks
    probability = tf_keras.layers.Dense(
        1, activation="sigmoid", name=HEAD_LAYER,
        kernel_initializer=tf_keras.initializers.GlorotUniform(seed=seed))(pooled)  # [batch, 1]
    return tf_keras.Model(inputs=inputs, outputs=probability, name="bert_classifier")
