"""The tf.data pipeline: review text -> tokenized, length-grouped batches for model.fit.

Tokenizing runs in the graph with the encoder's own preprocessor. Examples are
padded only to their batch's bucket length: a window of batches is sorted by
length, cut into batches, and each batch is trimmed to the smallest bucket
boundary that holds its longest example. Few distinct shapes keep XLA and TPUs
happy, and every epoch has a number of batches known in advance, which
distributed training needs.
"""

import tensorflow as tf

TOKENIZE_BATCH = 256  # texts per preprocessor call: amortises the call overhead
BATCHES_PER_WINDOW = 16  # how many batches are sorted by length together
SHUFFLE_BUFFER = 100_000  # examples; the sample fits whole, the 3.6M release does not
BUCKETS = (16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 448, 512)


def review_text(example, text_fields: str):
    """Title and content joined as one text ("Great CD. My lovely Pat..."), or content only."""
    title, content = example["title"], example["content"]
    if text_fields == "content":
        return content
    separator = tf.where(tf.strings.regex_full_match(title, r".*[.!?]\s*"), " ", ". ")
    return tf.where(
        tf.strings.length(title) > 0, tf.strings.join([title, separator, content]), content
    )


def label_targets(labels: tf.Tensor) -> tf.Tensor:
    """Labels as the loss takes them, float32: an index [n] -> [n, 1] (binary, or sparse
    categorical); a multi-label example's 0/1 per label [n, N] stays [n, N]."""
    labels = tf.cast(labels, tf.float32)
    return labels[:, tf.newaxis] if labels.shape.rank == 1 else labels


def bucket_boundaries(max_seq_length: int) -> tf.Tensor:
    return tf.constant(sorted({min(b, max_seq_length) for b in BUCKETS}), tf.int32)


def bucket_length(boundaries: tf.Tensor, longest: tf.Tensor) -> tf.Tensor:
    """The smallest bucket boundary that holds `longest` tokens."""
    return tf.gather(boundaries, tf.searchsorted(boundaries, [longest])[0])


def bucketed_batches(elements, length_of, batch_size: int, finish, drop_remainder: bool):
    """Unbatched elements -> batches of similar length: each window of
    BATCHES_PER_WINDOW batches is sorted by `length_of(element)`, cut into batches,
    and `finish(batch)` pads or trims each one to its bucket. The same lengths in the
    same order give the same batches, whatever the elements hold (token ids here,
    cached hidden states in `frozen_prefix.pipeline`)."""

    def sort_window(*window):
        order = tf.argsort(length_of(*window))
        return tf.nest.map_structure(lambda t: tf.gather(t, order), window)

    return (
        elements.batch(batch_size * BATCHES_PER_WINDOW)
        .map(sort_window, num_parallel_calls=tf.data.AUTOTUNE)
        .unbatch()
        .batch(batch_size, drop_remainder=drop_remainder)
        .map(finish, num_parallel_calls=tf.data.AUTOTUNE)
    )


def encode_batches(
    examples, preprocessor, batch_size, max_seq_length, text_fields, drop_remainder=False
):
    """Unbatched {"label", "title", "content"} -> (inputs dict, float labels [batch, 1], or
    [batch, N] for multi-label)."""
    boundaries = bucket_boundaries(max_seq_length)

    def tokenize(batch):
        texts = review_text(batch, text_fields)  # [n] string
        inputs = preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(texts)], seq_length=max_seq_length
        )
        return inputs, label_targets(batch["label"])  # [n, 1] or [n, N]

    def trim_to_bucket(inputs, labels):
        length = bucket_length(
            boundaries, tf.reduce_max(tf.reduce_sum(inputs["input_mask"], axis=1))
        )
        return {name: t[:, :length] for name, t in inputs.items()}, labels  # [batch, bucket]

    tokenized = (
        examples.batch(TOKENIZE_BATCH).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    )
    return bucketed_batches(
        tokenized,
        lambda inputs, labels: tf.reduce_sum(inputs["input_mask"], axis=-1),
        batch_size,
        trim_to_bucket,
        drop_remainder,
    )


def evaluation_dataset(split, preprocessor, batch_size, max_seq_length, text_fields):
    """Every example once, in a fixed order."""
    return encode_batches(
        split.examples, preprocessor, batch_size, max_seq_length, text_fields
    ).prefetch(tf.data.AUTOTUNE)


def epoch_stream(examples, size, epoch_batches, *, seed, first_epoch, epochs, batches_per_epoch):
    """Epochs `first_epoch`..`epochs - 1` back to back, each exactly `batches_per_epoch`
    batches of `epoch_batches(shuffled examples)`, each shuffled by (seed, epoch) alone:
    a run resumed at epoch e sees the very batches an uninterrupted run would have
    seen from epoch e on. The shuffle depends on the number of examples, not on what
    they hold: examples and their cached hidden states come out in the same order."""

    def one_epoch(epoch: int):
        # Seeds are Python ints: a tensor seed makes tf.data compare it with 0 in
        # Python when the global seed is 0 (`seed=0` crashed inside model.fit).
        shuffled = examples.shuffle(
            min(size, SHUFFLE_BUFFER), seed=seed * 1_000_003 + epoch, reshuffle_each_iteration=False
        )
        return (
            epoch_batches(shuffled)
            .shuffle(BATCHES_PER_WINDOW, seed=seed + epoch)
            .take(batches_per_epoch)
        )

    stream = one_epoch(first_epoch)
    for epoch in range(first_epoch + 1, epochs):
        stream = stream.concatenate(one_epoch(epoch))
    return stream.prefetch(tf.data.AUTOTUNE)


def training_stream(
    examples,
    size,
    preprocessor,
    *,
    batch_size,
    max_seq_length,
    text_fields,
    seed,
    first_epoch,
    epochs,
    batches_per_epoch,
):
    """The training batches of every epoch still to run, tokenized from the examples."""
    return epoch_stream(
        examples,
        size,
        lambda shuffled: encode_batches(
            shuffled, preprocessor, batch_size, max_seq_length, text_fields, drop_remainder=True
        ),
        seed=seed,
        first_epoch=first_epoch,
        epochs=epochs,
        batches_per_epoch=batches_per_epoch,
    )
