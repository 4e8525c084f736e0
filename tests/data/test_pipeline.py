"""The tf.data pipeline: text joining, length buckets, epochs that replay exactly."""

import numpy as np
import pytest
import tensorflow as tf
from tiny_bert import write_synthetic_reviews

from bert_keras.data.pipeline import encode_batches, review_text, training_stream
from bert_keras.data.sources import load_splits
from bert_keras.data.spec import DataSpec
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder


@pytest.mark.parametrize(
    "title, content, fields, expected",
    [
        ("Great CD", "My lovely Pat", "title_content", "Great CD. My lovely Pat"),
        ("Wow!", "so good", "title_content", "Wow! so good"),
        ("", "only content", "title_content", "only content"),
        ("Great CD", "My lovely Pat", "content", "My lovely Pat"),
    ],
)
def test_review_text(title, content, fields, expected):
    assert (
        review_text({"title": tf.constant(title), "content": tf.constant(content)}, fields)
        .numpy()
        .decode()
        == expected
    )


@pytest.fixture(scope="module")
def tiny_parts(tiny_encoder_dir, tmp_path_factory):
    data = write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=300, n_test=40)
    splits = load_splits(DataSpec(str(data)))
    return splits, load_preprocessor(resolve_encoder(str(tiny_encoder_dir)))


def test_batches_are_padded_only_to_their_bucket(tiny_parts):
    splits, preprocessor = tiny_parts
    shapes = set()
    for inputs, labels in encode_batches(
        splits.train.examples, preprocessor, 8, 48, "title_content"
    ):
        lengths = tf.reduce_sum(inputs["input_mask"], axis=1).numpy()
        width = inputs["input_word_ids"].shape[1]
        shapes.add(width)
        assert width in (16, 32, 48) and lengths.max() <= width
        assert width == 16 or lengths.max() > {32: 16, 48: 32}[width]  # no smaller bucket would do
        assert labels.shape == (inputs["input_word_ids"].shape[0], 1) and labels.dtype == tf.float32
    assert len(shapes) > 1


def stream(splits, preprocessor, first_epoch, epochs, seed=3):
    batches = training_stream(
        splits.train.examples,
        splits.train.size,
        preprocessor,
        batch_size=16,
        max_seq_length=48,
        text_fields="title_content",
        seed=seed,
        first_epoch=first_epoch,
        epochs=epochs,
        batches_per_epoch=splits.train.size // 16,
    )
    return [inputs["input_word_ids"].numpy() for inputs, _ in batches]


def test_each_epoch_has_exactly_its_batches_and_its_own_order(tiny_parts):
    splits, preprocessor = tiny_parts
    per_epoch = splits.train.size // 16
    two_epochs = stream(splits, preprocessor, 0, 2)
    assert len(two_epochs) == 2 * per_epoch
    first, second = two_epochs[:per_epoch], two_epochs[per_epoch:]
    assert any(
        a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(first, second, strict=True)
    )


def test_a_resumed_stream_replays_the_uninterrupted_one(tiny_parts):
    splits, preprocessor = tiny_parts
    per_epoch = splits.train.size // 16
    uninterrupted = stream(splits, preprocessor, 0, 3)
    resumed = stream(splits, preprocessor, 1, 3)
    assert len(resumed) == 2 * per_epoch
    for expected, got in zip(uninterrupted[per_epoch:], resumed, strict=True):
        np.testing.assert_array_equal(got, expected)
    other_seed = stream(splits, preprocessor, 0, 1, seed=4)
    assert any(
        a.shape != b.shape or not np.array_equal(a, b)
        for a, b in zip(other_seed, uninterrupted, strict=True)
    )
