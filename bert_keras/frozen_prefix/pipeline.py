"""tf.data from cached hidden states, batch for batch what the token pipeline gives.

The examples are (index, length, label); `data.pipeline` shuffles, sorts and cuts
them exactly as it does the reviews (its order depends only on their number and
lengths), and each batch then gathers its rows of hidden states, padded to its
length bucket: {"hidden_states": [batch, bucket, hidden], "input_mask": [batch, bucket]}.
"""

import numpy as np
import tensorflow as tf

from bert_keras.data.pipeline import (
    bucket_boundaries,
    bucket_length,
    bucketed_batches,
    epoch_stream,
    label_targets,
)
from bert_keras.frozen_prefix.states import HiddenStates


def _examples(states: HiddenStates) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(
        (np.arange(states.size, dtype=np.int64), states.lengths, states.labels)
    )


def _gather(states: HiddenStates):
    """(indices, bucket) -> [batch, bucket, hidden] float32: rows read and zero-padded (and,
    if kept in a narrower dtype, cast up: exactly the float32 the encoder gave). From numpy,
    in memory or mapped from disk: reading one batch's rows costs as little as a TensorFlow
    gather (0.25 s an epoch of 97 batches either way), and nothing is copied whole."""
    hidden = states.values.shape[1]

    def read(indices, bucket):
        out = np.zeros((len(indices), bucket, hidden), np.float32)
        for row, index in enumerate(indices):
            start, stop = states.row_splits[index], states.row_splits[index + 1]
            out[row, : stop - start] = states.values[start:stop]
        return out

    def gather(indices, bucket):
        rows = tf.numpy_function(read, [indices, bucket], tf.float32, stateful=False)
        return tf.ensure_shape(rows, [None, None, hidden])

    return gather


def _batches(
    states: HiddenStates, examples, batch_size: int, max_seq_length: int, drop_remainder: bool
):
    boundaries, gather = bucket_boundaries(max_seq_length), _gather(states)

    def finish(indices, lengths, labels):
        bucket = bucket_length(boundaries, tf.reduce_max(lengths))
        inputs = {
            "hidden_states": gather(indices, bucket),
            "input_mask": tf.sequence_mask(lengths, bucket, dtype=tf.int32),
        }
        return inputs, label_targets(labels)  # labels [batch, 1] or [batch, N]

    return bucketed_batches(
        examples, lambda indices, lengths, labels: lengths, batch_size, finish, drop_remainder
    )


def cached_training_stream(
    states: HiddenStates,
    size: int,
    *,
    batch_size,
    max_seq_length,
    seed,
    first_epoch,
    epochs,
    batches_per_epoch,
):
    """`data.pipeline.training_stream`'s batches, from the cache; `size` as the token
    pipeline is given it (it sizes the shuffle buffer, hence the order)."""
    return epoch_stream(
        _examples(states),
        size,
        lambda shuffled: _batches(states, shuffled, batch_size, max_seq_length, True),
        seed=seed,
        first_epoch=first_epoch,
        epochs=epochs,
        batches_per_epoch=batches_per_epoch,
    )


def cached_evaluation_dataset(states: HiddenStates, batch_size: int, max_seq_length: int):
    """`data.pipeline.evaluation_dataset`'s batches, from the cache."""
    return _batches(states, _examples(states), batch_size, max_seq_length, False).prefetch(
        tf.data.AUTOTUNE
    )
