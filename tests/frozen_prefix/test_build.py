"""The cache's hidden states are the encoder's own, in inference mode, at every boundary."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
from tiny_bert import write_synthetic_reviews

from bert_keras.data.pipeline import review_text
from bert_keras.data.sources import load_splits
from bert_keras.data.spec import DataSpec
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.frozen_prefix import build
from bert_keras.frozen_prefix.build import compute_states


@pytest.fixture(scope="module")
def parts(tiny_encoder_dir, tmp_path_factory):
    data = write_synthetic_reviews(tmp_path_factory.mktemp("reviews"), n_train=150, n_test=10)
    splits = load_splits(DataSpec(str(data)))
    assert splits.train.size % 16 and splits.validation.size > 1, "windows across the splits"
    return (
        hub.load(str(tiny_encoder_dir / "encoder")),
        load_preprocessor(resolve_encoder(str(tiny_encoder_dir))),
        {"train": splits.train, "validation": splits.validation},
    )


def states_of(parts, slots):
    """The build's states of both splits, one pass, 24 tokens at most."""
    encoder, preprocessor, splits = parts
    return compute_states(
        encoder,
        preprocessor,
        {name: split.examples for name, split in splits.items()},
        max_seq_length=24,
        text_fields="title_content",
        slots=slots,
    )


def check_against_the_encoder(states, encoder, preprocessor, examples, boundaries, lengths):
    """Each example's states are the encoder's own outputs for it, tokenized alone."""
    for index, example in enumerate(examples.batch(1)):
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(review_text(example, "title_content"))], seq_length=24
        )
        length = int(tf.reduce_sum(inputs["input_mask"]))
        lengths.add(length)
        reference = encoder(inputs, training=False)["encoder_outputs"]
        for boundary in boundaries:
            rows = states[boundary]
            got = rows.values[rows.row_splits[index] : rows.row_splits[index + 1]]
            want = (
                encoder.hidden_state_at(inputs, 0) if boundary == 0 else reference[boundary - 1]
            )[0, :length]
            assert got.shape == (length, 32)
            np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
            assert rows.labels[index] == float(example["label"][0])
    assert all(states[b].size == index + 1 for b in boundaries), "every example, no more"


@pytest.mark.parametrize(
    "boundaries, window",
    [([0], 1024), ([1], 1024), ([2], 1024), ([0, 1, 2], 1024), ([1], 16), ([0, 2], 16)],
)
def test_states_equal_the_encoders_inference_outputs_at_each_boundary_of_each_split(
    parts, boundaries, window, monkeypatch
):
    monkeypatch.setattr(build, "WINDOW", window)  # 16: 9 windows, one across the two splits
    encoder, preprocessor, splits = parts
    slots = [(name, b) for name in splits for b in boundaries]
    states = states_of(parts, slots)
    assert sorted(states) == sorted(slots)
    lengths = set()
    for name, split in splits.items():
        by_boundary = {b: states[name, b] for b in boundaries}
        check_against_the_encoder(
            by_boundary, encoder, preprocessor, split.examples, boundaries, lengths
        )
    assert len(lengths) > 5, "several lengths, padded in batches with others"


def test_a_split_can_be_computed_at_boundaries_of_its_own(parts):
    encoder, preprocessor, splits = parts
    states = states_of(parts, [("train", 1), ("validation", 2)])
    assert sorted(states) == [("train", 1), ("validation", 2)]
    check_against_the_encoder(
        {2: states["validation", 2]},
        encoder,
        preprocessor,
        splits["validation"].examples,
        [2],
        set(),
    )
