"""Computing the hidden states at one or more boundaries, in one pass over a run's splits.

The splits (training and validation) stream one after the other. Reviews are tokenized
once, as the training pipeline tokenizes them (their token ids kept: a few bytes a token
beside the states' hundreds), sorted by length within windows (short ones batch with
short ones, so little is padded; a window may hold the end of one split and the start of
the next), run through the encoder's frozen prefix in inference mode, and written in
place, a whole batch at a time, into one array per split and boundary, allocated once its
size is known (in memory, or a file mapped from disk): no state is held twice.
"""

import dataclasses
import functools

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
    splits: np.ndarray  # [reviews] which split each review is from (its index in `splits`)


def _stream(splits: dict[str, tf.data.Dataset]) -> tf.data.Dataset:
    """The splits one after the other, each review tagged with its split's index."""
    tagged = [
        examples.map(lambda example, i=i: {**example, "split": tf.constant(i)})
        for i, examples in enumerate(splits.values())
    ]
    return functools.reduce(tf.data.Dataset.concatenate, tagged)


def _windows(preprocessor, stream, max_seq_length: int, text_fields: str) -> list[_Window]:
    """Every review tokenized once, a window at a time."""
    windows = []
    for window in stream.batch(WINDOW):
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(review_text(window, text_fields))], seq_length=max_seq_length
        )
        lengths = tf.reduce_sum(inputs["input_mask"], axis=1).numpy()
        longest = int(lengths.max())
        word_ids, type_ids = (
            inputs[n][:, :longest].numpy() for n in ("input_word_ids", "input_type_ids")
        )
        labels, splits = window["label"].numpy(), window["split"].numpy()
        windows.append(_Window(word_ids, type_ids, lengths, labels, splits))
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


def _write(values: dict, states: dict, rows: np.ndarray, split: np.ndarray, row_starts):
    """A batch's states, [tokens, hidden] per boundary, into each split's arrays at `rows`
    (rows of the whole stream; `split`: each token's split; its rows start at row_starts[i])."""
    present = np.unique(split)  # one split, but in the batches of the window where one ends
    for i in present:
        here = slice(None) if len(present) == 1 else split == i  # one split: no copy
        for boundary, flat in states.items():
            if i in values[boundary]:
                values[boundary][i][rows[here] - row_starts[i]] = flat[here]


def compute_states(
    encoder,
    preprocessor,
    splits: dict[str, tf.data.Dataset],
    *,
    max_seq_length: int,
    text_fields: str,
    slots: list[tuple[str, int]],
    dtype=np.float32,
    allocate=None,
) -> dict[tuple[str, int], HiddenStates]:
    """The hidden states entering each boundary for every example of each split, in order:
    one pass over the splits one after the other (a split's last reviews batch with the
    next one's first), each example's states written to its own split's arrays.

    encoder: the loaded encoder SavedModel (`hidden_state_at`, TF Hub's call).
    splits: {name: an unbatched {"label", "title", "content"} dataset}.
    slots: the (split name, boundary) pairs wanted, each its own `HiddenStates`.
    dtype: what the states are kept in: the encoder's compute dtype holds them exactly (its
      float32 outputs are cast up from it), so a bfloat16 encoder's take half the bytes.
    allocate(slot, shape, dtype): the array to fill (default: in memory).
    """
    allocate = allocate or (lambda slot, shape, dtype: np.empty(shape, dtype))
    windows = _windows(preprocessor, _stream(splits), max_seq_length, text_fields)
    lengths = np.concatenate([w.lengths for w in windows])
    row_splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    # split i: examples bounds[i]:bounds[i + 1], their states rows row_starts[i]:row_starts[i + 1]
    bounds = np.searchsorted(np.concatenate([w.splits for w in windows]), range(len(splits) + 1))
    row_starts = row_splits[bounds]
    index = {name: i for i, name in enumerate(splits)}
    values = {}  # {boundary: {split's index: [split's tokens, hidden]}}
    for name, boundary in slots:
        i = index[name]
        shape = (int(row_starts[i + 1] - row_starts[i]), hidden_size(encoder.variables))
        values.setdefault(boundary, {})[i] = allocate((name, boundary), shape, dtype)
    buckets, first = bucket_boundaries(max_seq_length), 0  # first: the window's first example
    for window in windows:
        order = np.argsort(window.lengths, kind="stable")
        for start in range(0, len(order), BATCH):
            picked = order[start : start + BATCH]
            # Padded to a length bucket: few distinct shapes, so oneDNN reuses its kernels
            # (a width per batch made a second pass over the sample 2x slower: 83 s vs 42 s).
            width = int(bucket_length(buckets, int(window.lengths[picked].max())))
            batch = _batch(window, picked, width)
            tokens = batch["input_mask"].astype(bool)  # [batch, width]
            states = _states_at(encoder, batch, sorted(values))
            _write(
                values,
                {b: s[tokens] for b, s in states.items()},  # [tokens, hidden]
                _rows(row_splits, first + picked, window.lengths[picked]),
                np.repeat(window.splits[picked], window.lengths[picked]),
                row_starts,
            )
        first += len(window.lengths)
    labels = np.concatenate([w.labels for w in windows]).astype(np.float32)
    return {
        (name, b): HiddenStates(
            values[b][i],
            row_splits[bounds[i] : bounds[i + 1] + 1] - row_starts[i],
            labels[bounds[i] : bounds[i + 1]],
        )
        for name, b in slots
        for i in [index[name]]
    }
