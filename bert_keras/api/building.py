"""Build it yourself: an encoder, the Keras model on it, and the tf.data pipelines
`model.fit` takes (`bert_keras.api` documents the whole)."""

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf
import tf_keras

from bert_keras.config import ModelSpec, OptimizerSpec, data_spec
from bert_keras.config_checks import seed_check
from bert_keras.data.pipeline import SHUFFLE_BUFFER, encode_batches, evaluation_dataset
from bert_keras.data.sources import load_splits
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import encoder_depth, group_sublayers
from bert_keras.training import classifier


@dataclasses.dataclass(frozen=True)
class Encoder:
    """A loaded TF Hub BERT encoder and its preprocessing.

    Attributes:
        spec: what `load_encoder` was given.
        path: the encoder SavedModel (in the precision asked for).
        preprocessor: `tokenize(texts)` and `bert_pack_inputs([tokens], seq_length)`.
        loaded: `hub.load(path)`: one set of variables for every model built on it.
        blocks: how many transformer blocks it has (what freezing counts).
    """

    spec: str
    path: str
    preprocessor: object
    loaded: object
    blocks: int


def load_encoder(spec: str = "minilm-l6", precision: str = "float32") -> Encoder:
    """Loads an encoder: a built-in name (`minilm-l6`, converted on first use), a TF Hub
    handle or URL (online), or a local directory in TF Hub format. Call it inside your
    `tf.distribute` strategy's scope: its variables are created there.

    Args:
        spec: the encoder.
        precision: `float32`, `mixed_bfloat16` or `mixed_float16` (an encoder bert-keras
            converted is rebuilt once in that precision, beside the float32 one).

    Returns:
        The `Encoder`.

    Raises:
        UserInputError: an unknown name, an unreadable directory, a handle out of reach.

    Example (`encoder_dir`: a converted encoder of two blocks):

    >>> encoder = load_encoder(encoder_dir)
    >>> encoder.blocks
    2
    >>> load_encoder("no-such-encoder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: encoder=no-such-encoder: unknown encoder; expected a ...
    """
    paths = resolve_encoder(spec)
    path = encoder_for(paths, precision)
    loaded = load_saved_model(path, "spec")
    blocks = encoder_depth(group_sublayers(loaded.variables))
    return Encoder(spec, path, load_preprocessor(paths), loaded, blocks)


def build_classifier(
    encoder: Encoder,
    freeze: FreezeSpec | None = None,
    labels: int | Sequence[str] = 2,
    dropout: float = 0.1,
    multi_label: bool = False,
    seed: int | None = None,
    pooling: str = "mean",
) -> tf_keras.Model:
    """The Keras functional model: token ids in (`input_word_ids`, `input_mask`,
    `input_type_ids`, int32 [batch, seq], as `make_datasets` gives them), probabilities
    out: [batch, 1] for two labels (sigmoid), [batch, N] for more (softmax, or one
    sigmoid per label with `multi_label`). For raw strings in, wrap it in
    `text_classifier`.

    Args:
        encoder: from `load_encoder`.
        freeze: which of the encoder's sub-layers train (None: all).
        labels: how many labels, or their names.
        dropout: the rate before the head.
        multi_label: one sigmoid per label.
        seed: of the head's initializer and dropout.
        pooling: what the head reads: "mean", the mean of the token outputs; "cls", the
            encoder's pooled output.

    Returns:
        A `tf_keras.Model`, not compiled: compile and fit it as any Keras model.

    Raises:
        UserInputError: a freeze specification the encoder does not have the blocks for.

    Example (`encoder_dir`: a converted encoder of two blocks):

    >>> encoder = load_encoder(encoder_dir)
    >>> model = build_classifier(encoder, FreezeSpec(train_last=1), labels=("neg", "neu", "pos"))
    >>> sorted(model.input), model.output_shape
    (['input_mask', 'input_type_ids', 'input_word_ids'], (None, 3))
    >>> build_classifier(encoder, FreezeSpec(train_last=7))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: train_last=7: ...
    """
    count = labels if isinstance(labels, int) else len(labels)
    return classifier.build_classifier(
        encoder.path,
        freeze,
        dropout,
        seed,
        loaded=encoder.loaded,
        classes=count,
        multi_label=multi_label,
        pooling=pooling,
    )


def text_classifier(
    model: tf_keras.Model, encoder: Encoder, max_seq_length: int = 128
) -> tf_keras.Model:
    """`model` (token ids in) with the encoder's preprocessing in front: strings
    [batch] in, the same probabilities out. The weights are `model`'s own.

    Args:
        model: from `build_classifier`.
        encoder: the `Encoder` it was built on.
        max_seq_length: tokens per text at most, `[CLS]` and `[SEP]` included.

    Returns:
        A `tf_keras.Model` from strings [batch] to `model`'s probabilities.

    Example (`encoder_dir`: a converted encoder):

    >>> encoder = load_encoder(encoder_dir)
    >>> model = text_classifier(build_classifier(encoder), encoder, max_seq_length=32)
    >>> model(tf.constant(["Great product.", "Broke in a day."])).shape
    TensorShape([2, 1])
    """
    texts = tf_keras.Input(shape=(), dtype=tf.string, name="text")
    preprocessor = encoder.preprocessor

    def token_ids(texts):  # [batch] -> dict of [batch, max_seq_length]
        return preprocessor.bert_pack_inputs(
            [preprocessor.tokenize(texts)], seq_length=max_seq_length
        )

    inputs = tf_keras.layers.Lambda(token_ids, name="preprocessing")(texts)
    return tf_keras.Model(texts, model(inputs), name="bert_text_classifier")


@dataclasses.dataclass(frozen=True)
class Datasets:
    """What `model.fit` and `model.evaluate` take: batches of (token ids, labels).

    `train` is reshuffled every epoch; `validation` and `test` are in a fixed order.
    `labels`: the label names, in the order of the head's outputs.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    labels: tuple[str, ...]


def make_datasets(
    data: str | Path,
    encoder: Encoder,
    batch_size: int = 32,
    max_seq_length: int = 128,
    seed: int = 0,
    **source: Any,
) -> Datasets:
    """The tf.data pipelines of a data source, tokenized on the host by the encoder's
    preprocessor and padded per batch to the shortest length bucket that fits.

    Args:
        data: what `DataSpec.data` takes: a folder of train.csv/test.csv, a
            CSV/TSV/JSON-lines file, or `tfds:NAME`.
        encoder: from `load_encoder`.
        batch_size: examples per batch.
        max_seq_length: tokens per example at most, `[CLS]` and `[SEP]` included.
        seed: of the training split's shuffle (and the validation split carved off).
        **source: any other data setting of `TrainConfig` (`test_data`, `text_columns`,
            `label_column`, `labels`, `multi_label`, `validation_split`, `limit`, ...).

    Returns:
        `Datasets`: train, validation and test batches of (token ids, labels), and the
        label names in the order of the head's outputs.

    Raises:
        UserInputError: data that cannot be read, naming the file and line, or a setting
            out of range, naming the argument.

    Example (`encoder_dir`: a converted encoder; `reviews`: a folder with train.csv and
    test.csv, 200 reviews and 80):

    >>> data = make_datasets(reviews, load_encoder(encoder_dir), batch_size=8, max_seq_length=32)
    >>> token_ids, labels = next(iter(data.train))
    >>> token_ids["input_word_ids"].shape[0], labels.shape, data.labels
    (8, TensorShape([8, 1]), ('negative', 'positive'))
    >>> make_datasets(reviews, load_encoder(encoder_dir), validation_split=1.5)
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: validation_split=1.5: must be between 0 and 1
    """
    OptimizerSpec(batch_size=batch_size)  # each checks its own value where it is made
    ModelSpec(max_seq_length=max_seq_length)
    _, seed_ok, seed_rule = seed_check(seed)
    if not seed_ok:
        raise UserInputError(f"seed={seed}: {seed_rule}")
    spec = data_spec(str(data), **source)
    splits = load_splits(spec)
    train_examples = splits.train.examples.shuffle(
        min(splits.train.size, SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True
    )
    pipeline = (encoder.preprocessor, batch_size, max_seq_length, spec.text_fields)
    return Datasets(
        encode_batches(train_examples, *pipeline).prefetch(tf.data.AUTOTUNE),
        evaluation_dataset(splits.validation, *pipeline),
        evaluation_dataset(splits.test, *pipeline),
        splits.labels.names,
    )
