"""Sub-layers read off TF Hub BERT variable names: grouping, order, sizes, and what is left over."""

import pytest
import tensorflow as tf

from bert_keras.freezing.sublayers import (
    block_index,
    encoder_depth,
    group_sublayers,
    position_table_length,
    sublayer_of,
    variable_name,
)


@pytest.mark.parametrize(
    "name, sublayer",
    [
        ("word_embeddings/embeddings", "embeddings"),
        ("position_embedding/embeddings", "embeddings"),
        ("embeddings/layer_norm/gamma", "embeddings"),
        ("transformer/layer_0/self_attention/query/kernel", "transformer/layer_0"),
        ("transformer/layer_11/output_layer_norm/beta", "transformer/layer_11"),
        (
            "bert_encoder/transformer/layer_3/intermediate/bias",
            "transformer/layer_3",
        ),  # a prefix scope
        ("pooler_transform/kernel", "pooler"),
        ("tok/embeddings", "other"),  # "embeddings" alone is not the embeddings sub-layer
        ("mlm/layer_norm/gamma", "other"),
    ],
)
def test_sublayer_of(name, sublayer):
    assert sublayer_of(name) == sublayer


def test_group_sublayers_orders_forward_counts_parameters_and_skips_non_floats():
    variables = [
        tf.Variable(tf.zeros([4, 2]), name="pooler_transform/kernel"),
        tf.Variable(tf.zeros([3]), name="transformer/layer_1/output/bias"),
        tf.Variable(tf.zeros([10, 2]), name="word_embeddings/embeddings"),
        tf.Variable(tf.zeros([2, 2]), name="transformer/layer_0/output/kernel"),
        tf.Variable(True, name="do_lower_case"),
        tf.Variable(tf.zeros([5]), name="mystery/scale"),
    ]
    head = [tf.Variable(tf.zeros([2, 1]), name="classifier/kernel")]
    groups = group_sublayers(variables, head)
    assert [(g.name, g.parameters) for g in groups] == [
        ("embeddings", 20),
        ("transformer/layer_0", 4),
        ("transformer/layer_1", 3),
        ("pooler", 8),
        ("head", 2),
        ("other", 5),
    ]
    assert groups[1].variables == ("transformer/layer_0/output/kernel",) and groups[1].block == 0
    assert encoder_depth(groups) == 2 and block_index("pooler") is None
    assert variable_name(variables[0]) == "pooler_transform/kernel"


def test_position_table_length():
    assert (
        position_table_length(
            [tf.Variable(tf.zeros([128, 4]), name="position_embedding/embeddings")]
        )
        == 128
    )
    assert (
        position_table_length([tf.Variable(tf.zeros([3]), name="word_embeddings/embeddings")])
        is None
    )
