"""The preprocessor: TF Hub preprocess API, round-robin packing with core ops only."""

import itertools
import json

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.encoders.preprocessor import round_robin_lengths
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.serving.signatures import required_ops


def reference_round_robin(lengths, budget):
    """Take one token from each segment in turn until the budget is spent."""
    kept = [0] * len(lengths)
    while budget > 0 and any(k < n for k, n in zip(kept, lengths, strict=True)):
        for i, n in enumerate(lengths):
            if budget > 0 and kept[i] < n:
                kept[i] += 1
                budget -= 1
    return kept


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_round_robin_lengths_match_taking_turns(segments):
    cases = list(itertools.product(range(0, 9), repeat=segments))
    for budget in (0, 1, 4, 7, 13):
        got = round_robin_lengths(tf.constant(cases, tf.int32), tf.constant(budget)).numpy()
        expected = [reference_round_robin(list(case), budget) for case in cases]
        np.testing.assert_array_equal(got, expected)


@pytest.fixture(scope="module")
def preprocessor(tiny_encoder_dir):
    return load_preprocessor(resolve_encoder(str(tiny_encoder_dir)))


def vocab_ids(tiny_encoder_dir, words):
    vocab = (tiny_encoder_dir / "preprocessor" / "assets" / "vocab.txt").read_text().split("\n")
    return [vocab.index(w) for w in words]


def test_call_packs_one_segment_at_default_length(preprocessor, tiny_encoder_dir):
    out = preprocessor(tf.constant(["This product is GREAT", ""]))
    assert all(out[k].shape == (2, 128) and out[k].dtype == tf.int32 for k in out)
    cls, sep, this, product, is_, great = vocab_ids(
        tiny_encoder_dir, ["[CLS]", "[SEP]", "this", "product", "is", "great"]
    )
    np.testing.assert_array_equal(
        out["input_word_ids"][0, :7], [cls, this, product, is_, great, sep, 0]
    )
    np.testing.assert_array_equal(out["input_mask"][0, :7], [1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(out["input_word_ids"][1, :3], [cls, sep, 0])  # empty text
    assert int(tf.reduce_sum(out["input_type_ids"])) == 0


def test_tokenize_then_pack_two_segments_with_seq_length(preprocessor, tiny_encoder_dir):
    tokens = preprocessor.tokenize(tf.constant(["the good film", "bad"]))
    assert isinstance(tokens, tf.RaggedTensor) and tokens.ragged_rank == 2
    out = preprocessor.bert_pack_inputs([tokens, tokens[::-1]], seq_length=6)
    cls, sep, the, good, bad = vocab_ids(tiny_encoder_dir, ["[CLS]", "[SEP]", "the", "good", "bad"])
    # budget 3: round robin keeps 2 of "the good film" and 1 of "bad"
    np.testing.assert_array_equal(out["input_word_ids"][0], [cls, the, good, sep, bad, sep])
    np.testing.assert_array_equal(out["input_type_ids"][0], [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(out["input_mask"][1], [1, 1, 1, 1, 1, 1])


def test_long_text_is_truncated_to_seq_length(preprocessor):
    out = preprocessor.bert_pack_inputs(
        [preprocessor.tokenize(tf.constant(["good " * 500]))], seq_length=16
    )
    assert out["input_word_ids"].shape == (1, 16)
    assert int(tf.reduce_sum(out["input_mask"])) == 16


def test_packing_uses_core_tensorflow_ops_only(preprocessor):
    spec = tf.RaggedTensorSpec([None, None, None], tf.int32, ragged_rank=2)
    for segments in ([spec], [spec, spec]):
        packing = preprocessor.bert_pack_inputs.get_concrete_function(
            segments, tf.TensorSpec([], tf.int32)
        )
        assert required_ops(packing) == []
    tokenizing = preprocessor.tokenize.get_concrete_function(tf.TensorSpec([None], tf.string))
    assert "RoundRobinTrim" not in required_ops(tokenizing)
    assert required_ops(tokenizing)  # tokenizing does use TF Text, so the check can see it


def tf_text_packing(segments, seq_length, cls, sep, pad):
    """TF Hub's own recipe, from TF Text's ops: RoundRobinTrimmer, combine_segments,
    pad_model_inputs (the ops the preprocessor avoids, for servers that lack them)."""
    import tensorflow_text as tf_text

    trimmed = tf_text.RoundRobinTrimmer(seq_length - len(segments) - 1).trim(segments)
    ids, types = tf_text.combine_segments(trimmed, start_of_sequence_id=cls, end_of_segment_id=sep)
    word_ids, mask = tf_text.pad_model_inputs(ids, max_seq_length=seq_length, pad_value=pad)
    type_ids, _ = tf_text.pad_model_inputs(types, max_seq_length=seq_length, pad_value=0)
    return {"input_word_ids": word_ids, "input_mask": mask, "input_type_ids": type_ids}


def test_packing_equals_tf_texts_round_robin_combine_and_pad(preprocessor, tiny_encoder_dir):
    """Random batches of one to three segments (empty texts and rows included), at lengths
    from the shortest possible to longer than any text: every output equal to TF Text's,
    from the saved preprocessor (one or two segments, as saved) and from the class."""
    from bert_keras.encoders.preprocessor import BertPreprocessor

    built = BertPreprocessor(tiny_encoder_dir / "preprocessor" / "assets" / "vocab.txt")
    cls, sep, pad = vocab_ids(tiny_encoder_dir, ["[CLS]", "[SEP]", "[PAD]"])
    rng = np.random.default_rng(0)
    for trial in range(36):
        count, batch = 1 + trial % 3, int(rng.integers(0, 5))
        segments = []
        for _ in range(count):
            lengths = rng.integers(0, 12, size=batch)
            ids = rng.integers(5, 60, size=int(lengths.sum()))
            segments.append(tf.RaggedTensor.from_row_lengths(tf.constant(ids, tf.int32), lengths))
        seq_length = tf.constant(int(rng.integers(count + 1, 30)))
        expected = tf_text_packing(segments, int(seq_length), cls, sep, pad)
        for packer in (built, preprocessor) if count < 3 else (built,):
            packed = packer.bert_pack_inputs(segments, seq_length)
            for name, value in expected.items():
                np.testing.assert_array_equal(packed[name], value, err_msg=f"{trial} {name}")


@pytest.mark.slow
def test_reproduces_reference_token_ids(minilm_dir, shared_dir):
    reference = json.loads((shared_dir / "fixtures" / "minilm_reference.json").read_text())
    preprocessor = load_preprocessor(resolve_encoder(str(minilm_dir)))
    tokens = preprocessor.tokenize(tf.constant(reference["sentences"]))
    out = preprocessor.bert_pack_inputs([tokens], seq_length=reference["max_seq_length"])
    for key in ("input_word_ids", "input_mask", "input_type_ids"):
        np.testing.assert_array_equal(out[key], reference[key], err_msg=key)
