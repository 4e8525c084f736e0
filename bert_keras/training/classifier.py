"""The task model: a frozen-as-specified BERT encoder, its token outputs averaged (or its
pooled output) under its head: one sigmoid for two labels, a softmax over three or more."""

import tensorflow as tf
import tf_keras

from bert_keras.config import POOLINGS
from bert_keras.encoders.check import bert_outputs
from bert_keras.encoders.layers import CountedDropout
from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.errors import UserInputError
from bert_keras.freezing.hub_layer import FreezableEncoder
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import hidden_size

ENCODER_LAYER = "encoder"
HEAD_LAYER = "classifier"  # Dense(1) (two labels) or Dense(N): the logits
PROBABILITY_LAYER = "probability"  # their sigmoid or softmax, what the model outputs


class MeanPooling(tf_keras.layers.Layer):
    """The mean of the token outputs the mask keeps: [batch, seq, hidden] -> [batch, hidden],
    in float32 whatever the encoder computes in."""

    def call(self, sequence, mask):
        mask = tf.expand_dims(tf.cast(mask, tf.float32), -1)  # [batch, seq, 1]
        total = tf.reduce_sum(tf.cast(sequence, tf.float32) * mask, axis=1)
        return total / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)


def build_classifier(
    encoder_handle: str,
    freeze: FreezeSpec | None = None,
    dropout: float = 0.1,
    seed: int | None = None,
    from_cache: bool = False,
    loaded=None,
    classes: int = 2,
    multi_label: bool = False,
    pooling: str = "mean",
) -> tf_keras.Model:
    """A Keras functional model: encoder inputs in, P(second label) [batch, 1] out (two
    labels), or the probabilities of `classes` labels [batch, classes].

    The encoder is a `hub.KerasLayer` frozen as `freeze` says; the mean of its token
    outputs (or its `pooled_output`) goes through replayable dropout into
    `Dense(1, sigmoid)`, or `Dense(classes, softmax)`.

    Args:
        encoder_handle: a TF Hub BERT encoder SavedModel (a path, or what
            `resolve_encoder(...).encoder` gives).
        freeze: which encoder variables train; None trains them all.
        dropout: the rate before the head.
        seed: of the head's initializer and dropout masks.
        from_cache: the model of training on the frozen-prefix cache: its inputs are
            `hidden_states` (float32 [batch, seq, hidden], entering the first
            trainable block) and `input_mask`; its variables and their names are
            those of the model from token ids, so weights move between the two.
        loaded: the encoder already loaded (`hub.load`), to share its variables.
        classes: how many labels (`data.labels.LabelSet`): 2, or more for a softmax head.
        multi_label: one sigmoid per label ([batch, classes]), any number of them on.
        pooling: "mean": the head reads the mean of the token outputs the mask keeps
            (what sentence encoders such as all-MiniLM-L6-v2 were trained for); "cls":
            `pooled_output`, the [CLS] token through the encoder's pooler, which then trains
            with the blocks (frozen and unused under "mean").

    Returns:
        A `tf_keras.Model` with inputs `input_word_ids`, `input_mask`,
        `input_type_ids` (int32 [batch, seq]) and output [batch, 1] or [batch, classes].

    Example (`encoder_dir`: a converted encoder of two blocks):

    >>> model = build_classifier(encoder_dir + "/encoder", FreezeSpec(train_last=1))
    >>> model.output_shape
    (None, 1)
    >>> blocks = {v.name.split("/")[1] for v in model.trainable_weights if "transformer/" in v.name}
    >>> sorted(blocks)
    ['layer_1']
    """
    if pooling not in POOLINGS:
        raise UserInputError(f"pooling={pooling}: must be one of {', '.join(POOLINGS)}")
    encoder = FreezableEncoder(
        encoder_handle,
        freeze=freeze,
        from_cache=from_cache,
        loaded=loaded,
        pooler=pooling == "cls",
        name=ENCODER_LAYER,
    )
    if from_cache:
        inputs = {
            "hidden_states": tf_keras.Input(
                shape=(None, hidden_size(encoder.weights)), name="hidden_states"
            ),
            "input_mask": tf_keras.Input(shape=(None,), dtype=tf.int32, name="input_mask"),
        }
    else:
        inputs = {
            name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES
        }
    needed = "pooled_output" if pooling == "cls" else "sequence_output"
    outputs = bert_outputs(encoder, inputs, encoder_handle, needed)
    if pooling == "cls":
        pooled = outputs["pooled_output"]  # [batch, hidden]
    else:
        pooled = MeanPooling(name="mean_pooling")(outputs["sequence_output"], inputs["input_mask"])
    # resumable masks
    pooled = CountedDropout(dropout, seed=(seed or 0) + 10_000, name="head_dropout")(pooled)
    units = 1 if classes == 2 and not multi_label else classes
    logit = tf_keras.layers.Dense(  # [batch, units]
        units, name=HEAD_LAYER, kernel_initializer=tf_keras.initializers.GlorotUniform(seed=seed)
    )(pooled)
    # A weightless layer apart from the head, so that `logit_model` can read the logits
    # that calibration rescales; the checkpoints of the head are unchanged.
    activation = "sigmoid" if units == 1 or multi_label else "softmax"
    probability = tf_keras.layers.Activation(activation, name=PROBABILITY_LAYER)(logit)
    return tf_keras.Model(inputs=inputs, outputs=probability, name="bert_classifier")


def logit_model(model: tf_keras.Model) -> tf_keras.Model:
    """The classifier's own layers up to the head's logits [batch, units] (its variables,
    shared)."""
    return tf_keras.Model(
        inputs=model.input, outputs=model.get_layer(HEAD_LAYER).output, name="bert_logit"
    )
