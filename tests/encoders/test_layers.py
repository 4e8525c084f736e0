"""The encoder's word embeddings: rows of outlying weights found, and looked up apart to
the same vectors as a plain lookup."""

import numpy as np
import tensorflow as tf

from bert_keras.encoders.layers import WordEmbedding


def test_rows_looked_up_apart_give_exactly_the_tables_rows():
    table = np.random.default_rng(0).normal(0, 0.05, (40, 64)).astype(np.float32)
    table[[3, 17]] *= 20  # two rows of large weights, as [CLS] and [SEP] have
    assert WordEmbedding.outlier_rows(table) == (3, 17)
    ids = np.array([[3, 5, 17, 0], [1, 17, 39, 3]], np.int32)
    for apart_rows in ((), (3, 17)):
        layer = WordEmbedding(40, 64, apart_rows=apart_rows)
        layer.build((None, None))
        layer.set_weights([table])
        np.testing.assert_array_equal(layer(tf.constant(ids)).numpy(), table[ids])
