"""Computing the hidden states at one or more boundaries, in one pass over a split.

Reviews are tokenized once, as the training pipeline tokenizes them (their token ids
kept: a few bytes a token beside the states' hundreds), sorted by length within windows
(short ones batch with short ones, so little is padded), run through the encoder's frozen
prefix in inference mode, and written in place, a whole batch at a time, into one array
per boundary, allocated once its size is known (in memory, or a file mapped from disk):
no state is held twice.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from bert_keras.data.pipeline import bucket_boundaries, bucket_length, review_text
from bert_keras.freezing.sublayers import hidden_size
from bert_keras.frozen_prefix.states import HiddenStates

WINDOW = 1024  # reviews tokenized and sorted together
BATCH = 64  # reviews per forward pass


def _states_at(encoder, inputs: dict, boundaries: list[int]) -> dict:
    """{boundary: [batch, seq, hidden] numpy}: one call, whatever the boundaries."""
    if len(boundaries) == 1:
        return {boundaries[0]: encoder.hidden_state_at(inputs, boundaries[0]).numpy()}
    states = {}
    if max(boundaries) > 0:  # the outputs of every block, in inference mode
        outputs = encoder(inputs, training=False)["encoder_outputs"]
        states = {b: outputs[b - 1].numpy() for b in boundaries if b > 0}
    if 0 in boundaries:  # the embeddings' output, which TF Hub's call does not give
        states[0] = encoder.hidden_state_at(inputs, 0).numpy()
    return states


@dataclasses.dataclass(frozen=True)
class _Window:
    """Reviews tokenized together, as the training pipeline tokenizes them."""

    word_ids: np.ndarray  # [reviews, longest] int32, 0 past each review's tokens
    type_ids: np.ndarray  # [reviews, longest] int32
    lengths: np.ndarray  # [reviews] tokens of each, [CLS] and [SEP] included
    labels: np.ndarray  # [reviews] or [reviews, labels]


def _windows(preprocessor, examples, max_seq_length: int, text_fields: str) -> list[_Window]:
    """Every review tokenized once, a window at a time."""
    windows = []
    for window in examples.batch(WINDOW):
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(review_text(window, text_fields))], seq_length=max_seq_length
        )
        lengths = tf.reduce_sum(inputs["input_mask"], axis=1).numpy()
        longest = int(lengths.max())
        word_ids, type_ids = (
            inputs[n][:, :longest].numpy() for n in ("input_word_ids", "input_type_ids")
        )
        windows.append(_Window(word_ids, type_ids, lengths, window["label"].numpy()))
    return windows


def _batch(window: _Window, picked: np.ndarray, width: int) -> dict[str, np.ndarray]:
    """The picked reviews' inputs, [batch, width] int32, as `bert_pack_inputs` pads them."""
    kept = min(width, window.word_ids.shape[1])
    padded = {}
    for name, ids in (("input_word_ids", window.word_ids), ("input_type_ids", window.type_ids)):
        padded[name] = np.zeros((len(picked), width), np.int32)
        padded[name][:, :kept] = ids[picked, :kept]
    padded["input_mask"] = (np.arange(width) < window.lengths[picked, None]).astype(np.int32)
    return padded


def _rows(row_splits: np.ndarray, examples: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Where the examples' states go, example after example: [sum(lengths)] row indices."""
    offsets = np.cumsum(lengths) - lengths  # where each example starts in the batch's tokens
    return np.repeat(row_splits[examples] - offsets, lengths) + np.arange(lengths.sum())


def compute_states(
    encoder,
    preprocessor,
    examples,
    *,
    max_seq_length: int,
    text_fields: str,
    boundaries: list[int],
    dtype=np.float32,
    allocate=None,
) -> dict[int, HiddenStates]:
    """The hidden states entering each of `boundaries` for every example, in order.

    encoder: the loaded encoder SavedModel (`hidden_state_at`, TF Hub's call).
    examples: an unbatched {"label", "title", "content"} dataset.
    dtype: what the states are kept in: the encoder's compute dtype holds them exactly (its
      float32 outputs are cast up from it), so a bfloat16 encoder's take half the bytes.
    allocate(boundary, shape, dtype): the array to fill (default: in memory).
    """
    allocate = allocate or (lambda boundary, shape, dtype: np.empty(shape, dtype))
    windows = _windows(preprocessor, examples, max_seq_length, text_fields)
    lengths = np.concatenate([w.lengths for w in windows])
    row_splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = {
        b: allocate(b, (int(row_splits[-1]), hidden_size(encoder.variables)), dtype)
        for b in boundaries
    }
    buckets, first = bucket_boundaries(max_seq_length), 0  # first: the window's first example
    for window in windows:
        order = np.argsort(window.lengths, kind="stable")
        for start in range(0, len(order), BATCH):
            picked = order[start : start + BATCH]
            # Padded to a length bucket: few distinct shapes, so oneDNN reuses its kernels
            # (a width per batch made a second pass over the sample 2x slower: 83 s vs 42 s).
            width = int(bucket_length(buckets, int(window.lengths[picked].max())))
            batch = _batch(window, picked, width)
            rows = _rows(row_splits, first + picked, window.lengths[picked])
            tokens = batch["input_mask"].astype(bool)  # [batch, width]
            for boundary, states in _states_at(encoder, batch, boundaries).items():
                values[boundary][rows] = states[tokens]  # [tokens, hidden], whole-batch
        first += len(window.lengths)
    labels = np.concatenate([w.labels for w in windows]).astype(np.float32)
    return {b: HiddenStates(values[b], row_splits, labels) for b in boundaries}
