"""The layers of the BERT network: replayable dropout, self-attention, word and position
embeddings and the post-layer-norm transformer block.

A block's layer names (`self_attention/query`, `intermediate`, `output_layer_norm`,
...) become its variables' names under tf_keras' name scoping: they are TF Hub
BERT v4's, which `freezing.sublayers` reads.
"""

import numpy as np
import tensorflow as tf
import tf_keras

# A row whose largest weight is over this many times the median row's is looked up apart
# (WordEmbedding): minilm-l6 has 35 such rows ([PAD], [CLS], [SEP], ...) of 30,522.
APART_ROW_RATIO = 2.0


class CountedDropout(tf_keras.layers.Layer):
    """Dropout whose masks depend only on (seed, training calls so far).

    Keras' Dropout keeps its random state inside the op kernel, which a process
    restart resets, so a run resumed from a backup would draw other masks than
    an uninterrupted one. Here the call count is a variable: checkpoints and
    BackupAndRestore save it, and a resumed run replays the very same masks.
    """

    def __init__(self, rate, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = rate, seed

    def build(self, input_shape):
        self.calls = self.add_weight(
            "calls",
            shape=[],
            dtype=tf.int64,
            initializer="zeros",
            trainable=False,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        )  # replicas share one count
        super().build(input_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        count = self.calls.assign_add(1)
        seed = tf.stack([tf.constant(self.seed, tf.int64), count])
        # 16 random bits decide each element, four elements to one uint64 drawn: half
        # the time of a float per element on the largest masks (attention probabilities,
        # [batch, heads, seq, seq]), with the keep probability still exact to 1/65536.
        size = tf.size(inputs, out_type=tf.int64)
        bits = tf.random.stateless_uniform(
            [(size + 3) // 4], seed=seed, minval=None, maxval=None, dtype=tf.uint64
        )
        draws = tf.reshape(tf.bitcast(bits, tf.uint16), [-1])[:size]
        keep = tf.reshape(draws >= min(round(self.rate * 65536), 65535), tf.shape(inputs))
        return inputs * (tf.cast(keep, inputs.dtype) / (1 - self.rate))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SelfAttention(tf_keras.layers.MultiHeadAttention):
    """Keras' MultiHeadAttention with CountedDropout on the attention probabilities,
    and the softmax in float32 under any policy: float16 and bfloat16 exponentials of
    large scores lose the small probabilities. (Under float32 nothing changes.)"""

    def __init__(self, *args, dropout_seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropout_seed = dropout_seed

    def _build_attention(self, rank):
        super()._build_attention(rank)
        self._softmax = tf_keras.layers.Softmax(
            axis=self._softmax.axis, robust_masking=self._softmax_robust_masking, dtype="float32"
        )
        self._dropout_layer = CountedDropout(self._dropout, seed=self.dropout_seed)

    def get_config(self):
        return {**super().get_config(), "dropout_seed": self.dropout_seed}


class WordEmbedding(tf_keras.layers.Embedding):
    """The token embedding table. Rows named in `apart_rows` are looked up apart from the
    rest: the table with those rows zeroed, plus those rows picked by a one-hot product.
    The values are the same (a zero row, or a one-hot row, adds exactly nothing), but an
    int8 converter that scales the whole table at once (LiteRT's dynamic range) then
    scales it to the usual rows, instead of to a few rows of large weights that would
    leave the others a handful of levels.

    Args:
        input_dim: the vocabulary's size.
        output_dim: the hidden size.
        apart_rows: token ids whose rows are looked up apart (none: a plain lookup).
        **kwargs: as `tf_keras.layers.Embedding` takes them.
    """

    def __init__(self, input_dim: int, output_dim: int, apart_rows=(), **kwargs):
        super().__init__(input_dim, output_dim, **kwargs)
        self.apart_rows = tuple(int(row) for row in apart_rows)

    @staticmethod
    def outlier_rows(table: np.ndarray) -> tuple[int, ...]:
        """The rows of `table` [vocab, hidden] whose largest absolute weight is over
        APART_ROW_RATIO times the median row's."""
        largest = np.abs(table).max(axis=1)
        return tuple(np.flatnonzero(largest > APART_ROW_RATIO * np.median(largest)).tolist())

    def call(self, inputs):
        if not self.apart_rows:
            return super().call(inputs)
        rows = np.array(self.apart_rows, np.int32)
        kept = np.ones((self.input_dim, 1), np.float32)
        kept[rows] = 0.0
        table = self.embeddings
        usual = tf.gather(table * kept.astype(table.dtype.as_numpy_dtype), inputs)
        picked = tf.cast(tf.equal(tf.expand_dims(inputs, -1), rows), table.dtype)  # [b, s, k]
        found = usual + tf.einsum("bsk,kh->bsh", picked, tf.gather(table, rows))
        return tf.cast(found, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "apart_rows": self.apart_rows}


class PositionEmbedding(tf_keras.layers.Layer):
    """Learned absolute position embeddings, sliced to the input's length."""

    def __init__(self, max_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.initializer = tf_keras.initializers.get(initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            "embeddings", shape=[self.max_length, input_shape[-1]], initializer=self.initializer
        )
        super().build(input_shape)

    def call(self, word_embeddings):
        # word_embeddings: [batch, seq, hidden] -> [1, seq, hidden], added by broadcasting.
        seq_length = tf.shape(word_embeddings)[1]
        return self.embeddings[tf.newaxis, :seq_length, :]

    def get_config(self):
        return {
            **super().get_config(),
            "max_length": self.max_length,
            "initializer": tf_keras.initializers.serialize(self.initializer),
        }


class TransformerBlock(tf_keras.layers.Layer):
    """One post-layer-norm BERT block: self-attention, then the feed-forward net."""

    def __init__(
        self,
        num_heads,
        intermediate_size,
        approximate_gelu=False,
        dropout=0.1,
        attention_dropout=0.1,
        epsilon=1e-12,
        initializer="glorot_uniform",
        seed=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.seed = seed
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.approximate_gelu = approximate_gelu
        self.dropout_rate = dropout
        self.attention_dropout = attention_dropout
        self.epsilon = epsilon
        self.initializer = tf_keras.initializers.get(initializer)

    def build(self, input_shape):
        hidden_size = input_shape[0][-1]
        # A fresh initializer per sub-layer: a shared unseeded one gives them all the same values.
        initializer = lambda: self.initializer.from_config(self.initializer.get_config())  # noqa: E731
        self.self_attention = SelfAttention(
            self.num_heads,
            key_dim=hidden_size // self.num_heads,
            dropout=self.attention_dropout,
            dropout_seed=self.seed,
            kernel_initializer=initializer(),
            name="self_attention",
        )
        self.self_attention_layer_norm = tf_keras.layers.LayerNormalization(
            epsilon=self.epsilon, name="self_attention_layer_norm"
        )
        self.intermediate = tf_keras.layers.Dense(
            self.intermediate_size, kernel_initializer=initializer(), name="intermediate"
        )
        self.output_dense = tf_keras.layers.Dense(
            hidden_size, kernel_initializer=initializer(), name="output"
        )
        self.output_layer_norm = tf_keras.layers.LayerNormalization(
            epsilon=self.epsilon, name="output_layer_norm"
        )
        self.dropout = CountedDropout(self.dropout_rate, seed=self.seed + 1)
        super().build(input_shape)

    def call(self, inputs, training=None, first_token_only=False):
        """inputs: [batch, seq, hidden] and the attention mask [batch, 1, seq] (bool).
        first_token_only: compute the output at the [CLS] position alone, [batch, 1, hidden]:
        all a pooler needs from the last block. Only the [CLS] query attends (over every
        key), and the feed-forward net runs on one position: the block costs a fraction."""
        hidden, attention_mask = inputs
        query = hidden[:, :1, :] if first_token_only else hidden  # [batch, queries, hidden]
        attended = self.self_attention(
            query, hidden, attention_mask=attention_mask, training=training
        )
        hidden = self.self_attention_layer_norm(query + self.dropout(attended, training=training))
        inner = self.intermediate(hidden)  # [batch, queries, intermediate]
        # Under mixed_bfloat16, GELU still runs in float32: bfloat16's erf is coarse and,
        # on CPUs, three times slower. (Under float32 both casts are no-ops.)
        inner = tf.cast(
            tf_keras.activations.gelu(
                tf.cast(inner, tf.float32), approximate=self.approximate_gelu
            ),
            inner.dtype,
        )
        # [batch, queries, hidden]
        output = self.dropout(self.output_dense(inner), training=training)
        return self.output_layer_norm(hidden + output)

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_size": self.intermediate_size,
            "approximate_gelu": self.approximate_gelu,
            "dropout": self.dropout_rate,
            "attention_dropout": self.attention_dropout,
            "epsilon": self.epsilon,
            "seed": self.seed,
            "initializer": tf_keras.initializers.serialize(self.initializer),
        }
