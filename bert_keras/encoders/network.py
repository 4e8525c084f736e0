"""The BERT encoder network, laid out as TF Hub's BERT v4 encoders are.

Variable names are part of the contract: TF Hub BERT v4 names its variables
`word_embeddings/embeddings`, `transformer/layer_{i}/self_attention/query/kernel`
and so on, and freezing (see `freezing.sublayers`) reads sub-layers off those
names. The layer names below produce exactly them under tf_keras' name scoping.
"""

import dataclasses

import tensorflow as tf
import tf_keras

from bert_keras.encoders.bert_config import ACTIVATIONS, BertConfig
from bert_keras.encoders.layers import (
    CountedDropout,
    PositionEmbedding,
    TransformerBlock,
    WordEmbedding,
)

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


@dataclasses.dataclass
class _Parts:
    """The encoder's layers, called by the functional model and by the split functions alike."""

    word_embeddings: tf_keras.layers.Layer
    position_embedding: tf_keras.layers.Layer
    type_embeddings: tf_keras.layers.Layer
    embeddings_norm: tf_keras.layers.Layer
    embeddings_dropout: tf_keras.layers.Layer
    blocks: list
    pooler: tf_keras.layers.Layer


def _make_parts(config: BertConfig, apart_rows=()) -> _Parts:
    def initializer():  # a fresh one per layer, for the same reason as in TransformerBlock
        return tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range)

    blocks = [
        TransformerBlock(
            config.num_attention_heads,
            config.intermediate_size,
            approximate_gelu=ACTIVATIONS[config.hidden_act],
            dropout=config.hidden_dropout_prob,
            attention_dropout=config.attention_probs_dropout_prob,
            epsilon=config.layer_norm_eps,
            initializer=initializer(),
            seed=2 * index + 2,
            name=f"transformer/layer_{index}",
        )
        for index in range(config.num_hidden_layers)
    ]
    return _Parts(
        WordEmbedding(
            config.vocab_size,
            config.hidden_size,
            apart_rows=apart_rows,
            embeddings_initializer=initializer(),
            name="word_embeddings",
        ),
        PositionEmbedding(config.max_position_embeddings, initializer(), name="position_embedding"),
        tf_keras.layers.Embedding(
            config.type_vocab_size,
            config.hidden_size,
            embeddings_initializer=initializer(),
            name="type_embeddings",
        ),
        tf_keras.layers.LayerNormalization(
            epsilon=config.layer_norm_eps, name="embeddings/layer_norm"
        ),
        CountedDropout(config.hidden_dropout_prob, seed=1, name="embeddings/dropout"),
        blocks,
        tf_keras.layers.Dense(
            config.hidden_size,
            activation="tanh",
            kernel_initializer=initializer(),
            name="pooler_transform",
        ),
    )


def _embed(parts: _Parts, inputs: dict, training=None):
    """Token, position and type embeddings, normalised: [batch, seq, hidden]."""
    word_embeddings = parts.word_embeddings(inputs["input_word_ids"])
    embeddings = (
        word_embeddings
        + parts.position_embedding(word_embeddings)
        + parts.type_embeddings(inputs["input_type_ids"])
    )
    return parts.embeddings_dropout(parts.embeddings_norm(embeddings), training=training)


def _attention_mask(input_mask):
    """[batch, seq] -> [batch, 1, seq]: every query may attend to every real token."""
    return tf.cast(tf.expand_dims(input_mask, 1), tf.bool)


def _float32(outputs):
    """float32 out under any dtype policy, as TF Hub encoders promise (a no-op under float32)."""
    return tf.nest.map_structure(lambda tensor: tf.cast(tensor, tf.float32), outputs)


def build_encoder(config: BertConfig, apart_rows=()) -> tf_keras.Model:
    """Builds a randomly initialised encoder with TF Hub BERT v4's inputs and outputs;
    `apart_rows`: token ids whose embeddings are looked up apart (`WordEmbedding`).

    Inputs: a dict of int32 [batch, seq] tensors named as `INPUT_NAMES`.
    Outputs: `sequence_output` [batch, seq, hidden], `pooled_output` and `default`
    [batch, hidden], `encoder_outputs` (one [batch, seq, hidden] per block).
    Beside TF Hub's call, the model carries `hidden_state_at` and `from_hidden`
    (see `attach_split_functions`), which a SavedModel of it keeps (their signatures
    traced by `model.trace_split_functions()`, as the SavedModel is written).

    >>> encoder = build_encoder(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1,
    ...                                    num_attention_heads=2, intermediate_size=16))
    >>> ids = tf.constant([[2, 5, 3]])
    >>> encoder(dict(input_word_ids=ids, input_mask=tf.ones_like(ids),
    ...              input_type_ids=tf.zeros_like(ids)))["pooled_output"].shape
    TensorShape([1, 8])
    """
    parts = _make_parts(config, apart_rows)
    inputs = {
        name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES
    }
    hidden = _embed(parts, inputs)
    attention_mask = _attention_mask(inputs["input_mask"])
    encoder_outputs = []
    for block in parts.blocks:
        hidden = block([hidden, attention_mask])
        encoder_outputs.append(hidden)
    pooled = parts.pooler(hidden[:, 0, :])  # [batch, hidden], the [CLS] position
    outputs = dict(
        sequence_output=hidden,
        pooled_output=pooled,
        encoder_outputs=encoder_outputs,
        default=pooled,
    )
    model = tf_keras.Model(inputs=inputs, outputs=_float32(outputs), name="bert_encoder")
    attach_split_functions(model, parts, config.hidden_size)
    return model


def attach_split_functions(model: tf_keras.Model, parts: _Parts, hidden_size: int):
    """Lets a caller run the encoder in two parts over the same variables: the first
    `boundary` blocks once (`hidden_state_at`, in inference mode), the rest as often as
    it likes (`from_hidden`). With the first blocks frozen, their output never changes
    for a given review, so it can be computed once and kept (training's frozen-prefix
    cache). Saved in the SavedModel beside TF Hub's call, they are reachable from
    `hub.load(...)`.

      hidden_state_at(inputs, boundary) -> [batch, seq, hidden] float32, entering block `boundary`
      from_hidden(hidden_states, input_mask, boundary, training, sequence=False)
          -> pooled_output, default; sequence=True: sequence_output

    `boundary` (0 to the number of blocks), `training` and `sequence` are Python values: each
    boundary is its own graph, holding only its own blocks. Why not one graph with a
    `tf.cond` per block: its gradient differentiates both branches of every cond,
    blocks that never train included, and captures every block's variables, which
    cost over 5 s at each run's first step (minilm-l6) and made the frozen prefix's
    call differentiable too.

    `from_hidden` computes what the pooled output needs: the last block's output at
    the [CLS] position alone (see `TransformerBlock.call`), the same values as TF
    Hub's call gives at a fraction of the cost; hence no `sequence_output`, unless
    `sequence` asks for it (a head that averages every token's output) instead.
    """
    compute_dtype = parts.blocks[0].compute_dtype if parts.blocks else tf.float32

    def hidden_state_at(inputs, boundary):
        hidden = tf.cast(_embed(parts, inputs, training=False), compute_dtype)
        attention_mask = _attention_mask(inputs["input_mask"])
        for block in parts.blocks[:boundary]:
            hidden = block([hidden, attention_mask], training=False)
        return tf.cast(hidden, tf.float32)

    def from_hidden(hidden_states, input_mask, boundary, training, sequence=False):
        hidden = tf.cast(hidden_states, compute_dtype)  # [batch, seq, hidden]
        attention_mask = _attention_mask(input_mask)
        blocks = parts.blocks[boundary:]
        if sequence:
            for block in blocks:
                hidden = block([hidden, attention_mask], training=training)
            return _float32(dict(sequence_output=hidden))
        for block in blocks[:-1]:
            hidden = block([hidden, attention_mask], training=training)
        # The pooler reads the [CLS] position alone: the last block computes nothing else.
        hidden = (
            blocks[-1]([hidden, attention_mask], training=training, first_token_only=True)
            if blocks
            else hidden[:, :1, :]
        )  # [batch, 1, hidden]
        pooled = parts.pooler(hidden[:, 0, :])
        return _float32(dict(pooled_output=pooled, default=pooled))

    model.hidden_state_at, model.from_hidden = (
        tf.function(hidden_state_at),
        tf.function(from_hidden),
    )
    model.trace_split_functions = lambda: _trace_split_functions(
        model, len(parts.blocks), hidden_size
    )


def _trace_split_functions(model: tf_keras.Model, depth: int, hidden_size: int):
    """Traces every boundary's graphs of the split functions, which a SavedModel of the
    model then keeps."""
    ids = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES}
    # named as the arguments: a SavedModel looks its traces up under these names
    states = tf.TensorSpec([None, None, hidden_size], tf.float32, name="hidden_states")
    mask = tf.TensorSpec([None, None], tf.int32, name="input_mask")
    for boundary in range(depth + 1):
        model.hidden_state_at.get_concrete_function(ids, boundary)
        for training in (False, True):  # dropout is decided while tracing
            for sequence in (False, True):
                model.from_hidden.get_concrete_function(states, mask, boundary, training, sequence)
