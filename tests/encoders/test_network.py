"""The BERT network: TF Hub BERT v4's outputs against a numpy forward pass written from its
layout, dropout only in training and replayable, padding that changes nothing, and the
built-in encoder against PyTorch reference outputs."""

import json

import numpy as np
import numpy_bert
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from bert_keras.encoders.layers import CountedDropout
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.freezing.sublayers import block_index, sublayer_of, variable_name


@pytest.mark.slow
def test_minilm_matches_the_pytorch_reference(minilm_dir, shared_dir):
    reference = json.loads((shared_dir / "fixtures" / "minilm_reference.json").read_text())
    tolerance = reference["tolerance_abs"]
    preprocessor = load_preprocessor(resolve_encoder(str(minilm_dir)))
    encoder = hub.KerasLayer(str(minilm_dir / "encoder"))
    inputs = preprocessor.bert_pack_inputs(
        [preprocessor.tokenize(tf.constant(reference["sentences"]))],
        seq_length=reference["max_seq_length"],
    )
    outputs = encoder(inputs)
    real = np.array(reference["input_mask"]) == 1  # padded positions are not comparable
    sequence = outputs["sequence_output"].numpy()
    np.testing.assert_allclose(
        sequence[..., :8][real],
        np.array(reference["sequence_output_first8"])[real],
        atol=tolerance,
        rtol=0,
    )
    np.testing.assert_allclose(
        outputs["pooled_output"].numpy()[:, :16],
        reference["pooled_output_first16"],
        atol=tolerance,
        rtol=0,
    )
    mask = real[..., None]
    mean = (sequence * mask).sum(axis=1) / mask.sum(axis=1)
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    np.testing.assert_allclose(
        mean[:, :16], reference["mean_pooled_l2_normalized_first16"], atol=tolerance, rtol=0
    )


def tiny_inputs(batch=2, seq=7):
    ids = tf.constant(np.random.default_rng(1).integers(5, 40, size=(batch, seq)), tf.int32)
    mask = tf.constant([[1] * seq] + [[1] * (seq - 3) + [0] * 3] * (batch - 1), tf.int32)
    return dict(input_word_ids=ids, input_mask=mask, input_type_ids=tf.zeros_like(ids))


def test_encoder_outputs_and_dropout_only_in_training(tiny_encoder_dir):
    encoder = hub.KerasLayer(str(tiny_encoder_dir / "encoder"), trainable=True)
    inputs = tiny_inputs()
    outputs = encoder(inputs, training=False)
    assert set(outputs) == {"sequence_output", "pooled_output", "encoder_outputs", "default"}
    assert outputs["sequence_output"].shape == (2, 7, 32)
    assert outputs["pooled_output"].shape == (2, 32)
    assert len(outputs["encoder_outputs"]) == 2
    np.testing.assert_array_equal(outputs["default"], outputs["pooled_output"])
    np.testing.assert_array_equal(outputs["encoder_outputs"][-1], outputs["sequence_output"])
    np.testing.assert_array_equal(
        encoder(inputs, training=False)["pooled_output"], outputs["pooled_output"]
    )
    trained_1, trained_2 = (encoder(inputs, training=True)["pooled_output"] for _ in range(2))
    assert not np.allclose(trained_1, trained_2)


def test_padding_does_not_change_real_token_outputs(tiny_encoder_dir):
    encoder = hub.KerasLayer(str(tiny_encoder_dir / "encoder"))
    short = tiny_inputs(batch=1, seq=5)
    padded = {k: tf.pad(v, [[0, 0], [0, 4]]) for k, v in short.items()}
    np.testing.assert_allclose(
        encoder(padded)["sequence_output"][:, :5], encoder(short)["sequence_output"], atol=1e-5
    )


def test_counted_dropout_masks_depend_on_seed_and_call_count_only():
    inputs = tf.ones([64, 128])
    first, second = CountedDropout(0.25, seed=7), CountedDropout(0.25, seed=7)
    masks = [first(inputs, training=True).numpy() for _ in range(2)]
    replayed = [second(inputs, training=True).numpy() for _ in range(2)]
    np.testing.assert_array_equal(masks[0], replayed[0])  # same seed, same call count: same mask
    np.testing.assert_array_equal(masks[1], replayed[1])
    assert not np.array_equal(masks[0], masks[1])  # the next call draws anew
    assert abs(np.mean(masks[0] == 0) - 0.25) < 0.01 and np.allclose(
        np.unique(masks[0]), [0.0, 1 / 0.75]
    )
    np.testing.assert_array_equal(first(inputs, training=False), inputs)  # inference: no dropout
    assert int(first.calls.numpy()) == 2


def reference_inputs(batch=4, seq=11):
    """Ids of the tiny vocab, a second segment (type 1) in two rows, padding of 0 to 6."""
    rng = np.random.default_rng(7)
    ids = rng.integers(5, 60, size=(batch, seq))
    mask = (np.arange(seq)[None] < seq - np.array([0, 2, 6, 3])[:batch, None]).astype(np.int32)
    types = ((np.arange(seq)[None] >= 5) & (np.arange(batch)[:, None] % 2 == 1)).astype(np.int32)
    return {
        "input_word_ids": tf.constant(ids * mask, tf.int32),
        "input_mask": tf.constant(mask),
        "input_type_ids": tf.constant(types * mask),
    }


def numpy_forward(encoder, inputs) -> dict:
    arrays = {name: t.numpy() for name, t in inputs.items()}
    return numpy_bert.forward(
        numpy_bert.weights_of(encoder),
        arrays["input_word_ids"],
        arrays["input_mask"],
        arrays["input_type_ids"],
    )


def test_the_converted_encoder_computes_what_tf_hubs_bert_layout_defines(tiny_encoder_dir):
    """TF Hub's call against a numpy forward pass written from the layout: every block's
    output on the real tokens, the sequence and pooled outputs, within 1e-5."""
    encoder = hub.load(str(tiny_encoder_dir / "encoder"))
    inputs = reference_inputs()
    outputs = encoder(inputs, training=False)
    expected = numpy_forward(encoder, inputs)
    real = inputs["input_mask"].numpy() == 1  # padded positions are not defined
    for got, want in zip(outputs["encoder_outputs"], expected["encoder_outputs"], strict=True):
        np.testing.assert_allclose(got.numpy()[real], want[real], atol=1e-5, rtol=0)
    np.testing.assert_allclose(
        outputs["sequence_output"].numpy()[real], expected["sequence_output"][real], atol=1e-5
    )
    np.testing.assert_allclose(outputs["pooled_output"], expected["pooled_output"], atol=1e-5)


@pytest.mark.parametrize("boundary", [0, 1, 2])
def test_the_split_functions_compute_what_the_layout_defines(tiny_encoder_dir, boundary):
    """hidden_state_at gives the states entering block `boundary`, and from_hidden (its
    last block at the [CLS] position alone) the pooled output, as the numpy forward pass."""
    encoder = hub.load(str(tiny_encoder_dir / "encoder"))
    inputs = reference_inputs()
    expected = numpy_forward(encoder, inputs)
    real = inputs["input_mask"].numpy() == 1
    hidden = encoder.hidden_state_at(inputs, boundary)
    np.testing.assert_allclose(
        hidden.numpy()[real], expected["hidden"][boundary][real], atol=1e-5, rtol=0
    )
    split = encoder.from_hidden(hidden, inputs["input_mask"], boundary, False)
    assert set(split) == {"pooled_output", "default"}
    np.testing.assert_allclose(split["pooled_output"], expected["pooled_output"], atol=1e-5)
    trained = encoder.from_hidden(hidden, inputs["input_mask"], boundary, True)["pooled_output"]
    if boundary < 2:  # training: dropout in the blocks that run
        assert not np.allclose(trained, expected["pooled_output"], atol=1e-3)
    else:  # no block runs after the last one, and the pooler has no dropout
        np.testing.assert_allclose(trained, expected["pooled_output"], atol=1e-5)


@pytest.mark.parametrize("boundary", [0, 1, 2])
def test_each_boundary_is_its_own_graph_holding_only_its_own_blocks(tiny_encoder_dir, boundary):
    """No `tf.cond` over the boundary: differentiating `from_hidden` reads the blocks after
    the boundary alone (a cond's graph captured, and differentiated, every block), and
    `hidden_state_at` the blocks before it."""
    encoder = hub.load(str(tiny_encoder_dir / "encoder"))
    inputs = tiny_inputs(batch=2, seq=5)

    def blocks_read(run) -> set:
        with tf.GradientTape() as tape:
            run()
        names = {variable_name(v) for v in tape.watched_variables()}
        return {block_index(sublayer_of(name)) for name in names} - {None}

    assert blocks_read(lambda: encoder.hidden_state_at(inputs, boundary)) == set(range(boundary))
    hidden = encoder.hidden_state_at(inputs, boundary)
    assert blocks_read(
        lambda: encoder.from_hidden(hidden, inputs["input_mask"], boundary, True)
    ) == set(range(boundary, 2))
