"""Serving precision: the trained classifier rebuilt to compute in bfloat16.

CPUs with bfloat16 matrix units (Intel AMX, AVX512-BF16; TensorFlow's oneDNN
kernels use them), TPUs and recent GPUs multiply bfloat16 matrices several times
faster than float32. An encoder SavedModel bakes its compute dtype into its
graph, so changing precision means rebuilding the encoder: from the architecture
`bert-keras convert` recorded, under Keras' `mixed_bfloat16` policy (float32
variables, bfloat16 matrix products; layer norms and GELU in float32), with the
trained weights copied over by variable name. The head stays float32.

On hardware without bfloat16 units this is slower, not faster: float32 stays
the default, and `bert-keras export --precision bfloat16` is a choice.
"""
import contextlib

import numpy as np

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.bert_config import BertConfig
from bert_keras.classifier import ENCODER_LAYER, HEAD_LAYER
from bert_keras.encoder import INPUT_NAMES, build_encoder
from bert_keras.encoders import EncoderPaths, encoder_metadata
from bert_keras.errors import UserInputError
from bert_keras.layer_view import variable_name

# A bfloat16 product keeps 8 significant bits: probabilities move by about 1e-2.
# Far more means the rebuilt encoder is not the trained one.
BFLOAT16_TOLERANCE = 0.05


@contextlib.contextmanager
def _global_policy(name: str):
    previous = tf_keras.mixed_precision.global_policy()
    tf_keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        tf_keras.mixed_precision.set_global_policy(previous)


def bfloat16_classifier(model: tf_keras.Model, encoder: EncoderPaths) -> tf_keras.Model:
    """`model` (a `build_classifier` model, trained) computing in bfloat16; same inputs and output.

    >>> fast = bfloat16_classifier(model, resolve_encoder("minilm-l6"))  # doctest: +SKIP
    """
    architecture = encoder_metadata(encoder).get("config")
    if architecture is None:
        raise UserInputError(f"--precision bfloat16: encoder {encoder.spec} was not converted by bert-keras "
                             f"(no architecture recorded); export it with --precision float32")
    with _global_policy("mixed_bfloat16"):
        twin = build_encoder(BertConfig(**architecture))
    trained = {variable_name(v): v for v in model.get_layer(ENCODER_LAYER).variables}
    for variable in twin.variables:
        if variable.dtype.is_floating:  # dropout call counters do not matter when serving
            variable.assign(trained[variable_name(variable)])

    inputs = {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}
    pooled = tf.cast(twin(inputs)["pooled_output"], tf.float32)  # [batch, hidden]
    head = tf_keras.layers.Dense(1, activation="sigmoid", name=HEAD_LAYER)
    probability = head(pooled)  # [batch, 1]
    head.set_weights(model.get_layer(HEAD_LAYER).get_weights())
    return tf_keras.Model(inputs=inputs, outputs=probability, name="bert_classifier_bfloat16")


def agreement(reference: np.ndarray, candidate: np.ndarray) -> dict:
    """How far candidate probabilities are from the float32 model's; raises past tolerance."""
    difference = float(np.max(np.abs(reference - candidate))) if len(reference) else 0.0
    same_labels = float(np.mean((reference >= 0.5) == (candidate >= 0.5))) if len(reference) else 1.0
    if difference > BFLOAT16_TOLERANCE:
        raise UserInputError(f"--precision bfloat16: predictions differ from the float32 model by "
                             f"{difference:.3f} (> {BFLOAT16_TOLERANCE}); export with --precision float32")
    return {"float32_max_abs_difference": round(difference, 6), "float32_label_agreement": round(same_labels, 4)}
