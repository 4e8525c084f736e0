"""Computing the hidden states at one or more boundaries, in one pass over a split.

Reviews are tokenized as the training pipeline tokenizes them, sorted by length
within windows (short ones batch with short ones, so little is padded), run
through the encoder's frozen prefix in inference mode, and written in place into
one array per boundary, allocated once its size is known (in memory, or a file
mapped from disk): no state is held twice.
"""

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


def _windows(preprocessor, examples, max_seq_length: int, text_fields: str):
    """(inputs, lengths, labels) of each window of reviews, tokenized."""
    for window in examples.batch(WINDOW):
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(review_text(window, text_fields))], seq_length=max_seq_length
        )
        yield inputs, tf.reduce_sum(inputs["input_mask"], axis=1).numpy(), window["label"].numpy()


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
    lengths, labels = [], []
    for _, window_lengths, window_labels in _windows(
        preprocessor, examples, max_seq_length, text_fields
    ):
        lengths.append(window_lengths)
        labels.append(window_labels.astype(np.float32))
    row_splits = np.concatenate([[0], np.cumsum(np.concatenate(lengths))]).astype(np.int64)
    values = {
        b: allocate(b, (int(row_splits[-1]), hidden_size(encoder.variables)), dtype)
        for b in boundaries
    }
    buckets, first = bucket_boundaries(max_seq_length), 0  # first: the window's first example
    for inputs, window_lengths, _ in _windows(preprocessor, examples, max_seq_length, text_fields):
        order = np.argsort(window_lengths, kind="stable")
        for start in range(0, len(order), BATCH):
            picked = order[start : start + BATCH]
            # Padded to a length bucket: few distinct shapes, so oneDNN reuses its kernels
            # (a width per batch made a second pass over the sample 2x slower: 83 s vs 42 s).
            width = int(bucket_length(buckets, int(window_lengths[picked].max())))
            batch = {name: tf.gather(t, picked)[:, :width] for name, t in inputs.items()}
            for boundary, states in _states_at(encoder, batch, boundaries).items():
                for row, index in enumerate(picked):
                    begin, end = row_splits[first + index], row_splits[first + index + 1]
                    values[boundary][begin:end] = states[row, : end - begin]
        first += len(window_lengths)
    return {b: HiddenStates(values[b], row_splits, np.concatenate(labels)) for b in boundaries}
