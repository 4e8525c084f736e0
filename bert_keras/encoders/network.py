"""The BERT encoder network, laid out as TF Hub's BERT v4 encoders are.

Variable names are part of the contract: TF Hub BERT v4 names its variables
`word_embeddings/embeddings`, `transformer/layer_{i}/self_attention/query/kernel`
and so on, and freezing (see `freezing.sublayers`) reads sub-layers off those
names. The layer names below produce exactly them under tf_keras' name scoping.
"""
import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.encoders.bert_config import ACTIVATIONS, BertConfig
from bert_keras.encoders.layers import CountedDropout, PositionEmbedding, TransformerBlock

INPUT_NAMES = ("input_word_ids", "input_mask", "input_type_ids")


def build_encoder(config: BertConfig) -> tf_keras.Model:
    """Builds a randomly initialised encoder with TF Hub BERT v4's inputs and outputs.

    Inputs: a dict of int32 [batch, seq] tensors named as `INPUT_NAMES`.
    Outputs: `sequence_output` [batch, seq, hidden], `pooled_output` and `default`
    [batch, hidden], `encoder_outputs` (one [batch, seq, hidden] per block).

    >>> encoder = build_encoder(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1,
    ...                                    num_attention_heads=2, intermediate_size=16))
    >>> ids = tf.constant([[2, 5, 3]])
    >>> encoder(dict(input_word_ids=ids, input_mask=tf.ones_like(ids),
    ...              input_type_ids=tf.zeros_like(ids)))["pooled_output"].shape
    TensorShape([1, 8])
    """
    def initializer():  # a fresh one per layer, for the same reason as in TransformerBlock
        return tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range)

    inputs = {name: tf_keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}

    word_embeddings = tf_keras.layers.Embedding(
        config.vocab_size, config.hidden_size, embeddings_initializer=initializer(),
        name="word_embeddings")(inputs["input_word_ids"])
    position_embeddings = PositionEmbedding(
        config.max_position_embeddings, initializer(), name="position_embedding")(word_embeddings)
    type_embeddings = tf_keras.layers.Embedding(
        config.type_vocab_size, config.hidden_size, embeddings_initializer=initializer(),
        name="type_embeddings")(inputs["input_type_ids"])
    embeddings = tf_keras.layers.Add()([word_embeddings, position_embeddings, type_embeddings])
    embeddings = tf_keras.layers.LayerNormalization(
        epsilon=config.layer_norm_eps, name="embeddings/layer_norm")(embeddings)
    hidden = CountedDropout(config.hidden_dropout_prob, seed=1, name="embeddings/dropout")(embeddings)

    # [batch, seq] -> [batch, 1, seq]: every query may attend to every real token.
    attention_mask = tf.cast(inputs["input_mask"][:, tf.newaxis, :], tf.bool)
    encoder_outputs = []
    for index in range(config.num_hidden_layers):
        hidden = TransformerBlock(
            config.num_attention_heads, config.intermediate_size,
            approximate_gelu=ACTIVATIONS[config.hidden_act],
            dropout=config.hidden_dropout_prob,
            attention_dropout=config.attention_probs_dropout_prob,
            epsilon=config.layer_norm_eps, initializer=initializer(), seed=2 * index + 2,
            name=f"transformer/layer_{index}")([hidden, attention_mask])
        encoder_outputs.append(hidden)

    first_token = hidden[:, 0, :]  # [batch, hidden], the [CLS] position
    pooled = tf_keras.layers.Dense(
        config.hidden_size, activation="tanh", kernel_initializer=initializer(),
        name="pooler_transform")(first_token)
    outputs = dict(sequence_output=hidden, pooled_output=pooled,
                   encoder_outputs=encoder_outputs, default=pooled)
    # float32 out under any dtype policy, as TF Hub encoders promise (a no-op under float32).
    outputs = tf.nest.map_structure(lambda tensor: tf.cast(tensor, tf.float32), outputs)
    return tf_keras.Model(inputs=inputs, outputs=outputs, name="bert_encoder")
