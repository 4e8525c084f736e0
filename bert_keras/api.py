"""The Python API: what a training script is written against.

Build it yourself (`load_encoder`, `build_classifier`, `make_datasets`, then your own
`model.fit`, `export_model`), or run the whole job the command line runs (`train`,
`evaluate`, `export`, `load_predictor`, `tune`): checkpoints and resume, the frozen-prefix
cache, schedules, precision and calibration included. Every name here is also
`bert_keras.NAME`.

The README's script (run as a test) goes from an encoder to predictions. In short
(`encoder_dir`: a converted encoder of two blocks; `reviews`: a folder with train.csv and
test.csv in the Amazon Polarity release's layout):

>>> encoder = load_encoder(encoder_dir)
>>> encoder.blocks
2
>>> model = build_classifier(encoder, freeze=FreezeSpec(train_last=1))
>>> sorted({w.name.split("/")[1] for w in model.trainable_weights if "transformer/" in w.name})
['layer_1']
>>> data = make_datasets(reviews, encoder, batch_size=8, max_seq_length=32)
>>> token_ids, labels = next(iter(data.train))
>>> sorted(token_ids), model(token_ids).shape == labels.shape, data.labels
(['input_mask', 'input_type_ids', 'input_word_ids'], True, ('negative', 'positive'))
"""

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf
import tf_keras

from bert_keras.config import TrainConfig
from bert_keras.data.pipeline import SHUFFLE_BUFFER, encode_batches, evaluation_dataset
from bert_keras.data.sources import load_splits
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, load_saved_model, resolve_encoder
from bert_keras.errors import BertKerasError
from bert_keras.evaluation.evaluate import evaluate
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import encoder_depth, group_sublayers
from bert_keras.serving import export as exports
from bert_keras.serving.export import export
from bert_keras.serving.predict import Predictor
from bert_keras.training import classifier
from bert_keras.training.train import train as _train_job
from bert_keras.tuning.search import run_search

__all__ = [
    "BertKerasError",
    "Datasets",
    "Encoder",
    "FreezeSpec",
    "build_classifier",
    "evaluate",
    "export",
    "export_model",
    "load_encoder",
    "load_predictor",
    "make_datasets",
    "text_classifier",
    "train",
    "tune",
]


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
    )


def text_classifier(model: tf_keras.Model, encoder: Encoder, max_seq_length: int = 128):
    """`model` (token ids in) with the encoder's preprocessing in front: strings
    [batch] in, the same probabilities out. The weights are `model`'s own."""
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
        data: what `bert-keras train --data` takes: a folder of train.csv/test.csv, a
            CSV/TSV/JSON-lines file, or `tfds:NAME`.
        encoder: from `load_encoder`.
        batch_size: examples per batch.
        max_seq_length: tokens per example at most, `[CLS]` and `[SEP]` included.
        seed: of the training split's shuffle (and the validation split carved off).
        **source: any other data setting of `TrainConfig` (`test_data`, `text_columns`,
            `label_column`, `labels`, `multi_label`, `validation_fraction`, `limit`, ...).
    """
    config = TrainConfig(
        out="",
        data=str(data),
        encoder=encoder.spec,
        batch_size=batch_size,
        max_seq_length=max_seq_length,
        seed=seed,
        **source,
    )
    splits = load_splits(config)
    train_examples = splits.train.examples.shuffle(
        min(splits.train.size, SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True
    )
    pipeline = (encoder.preprocessor, batch_size, max_seq_length, config.text_fields)
    return Datasets(
        encode_batches(train_examples, *pipeline).prefetch(tf.data.AUTOTUNE),
        evaluation_dataset(splits.validation, *pipeline),
        evaluation_dataset(splits.test, *pipeline),
        splits.labels.names,
    )


def train(
    out: str | Path,
    data: str | Path,
    encoder: str = "minilm-l6",
    overwrite: bool = False,
    **settings: Any,
) -> dict:
    """The whole job `bert-keras train` runs: trains (or resumes) into the run directory
    `out` and returns its metrics (`training.train.train` documents them).

    Args:
        out: the run directory.
        data: as `make_datasets` takes it.
        encoder: as `load_encoder` takes it.
        overwrite: replace a run bert-keras wrote in `out`.
        **settings: any field of `TrainConfig` (`freeze=FreezeSpec(...)`, `epochs`,
            `batch_size`, `learning_rate`, `precision`, `strategy`, ...); `verbose` too.
    """
    verbose = settings.pop("verbose", None)
    config = TrainConfig(out=str(out), data=str(data), encoder=encoder, **settings)
    return _train_job(config, overwrite=overwrite, verbose=verbose)


def export_model(
    model: tf_keras.Model,
    encoder: Encoder,
    model_dir: str | Path,
    labels: Sequence[str] = ("negative", "positive"),
    multi_label: bool = False,
    max_seq_length: int = 128,
    fresh_check: bool = True,
) -> dict:
    """Writes a classifier you trained with your own `model.fit` as the next version of
    `model_dir` for TF Serving: the signatures, token-id twin and checks of `export`,
    serving the head as trained (no calibration: temperature 1, threshold 0.5).

    Args:
        model: from `build_classifier`, trained.
        encoder: the `Encoder` it was built on.
        model_dir: the model directory TF Serving polls (versions 1, 2, ...).
        labels: the names of the head's outputs, in order (`Datasets.labels`).
        multi_label: the head is one sigmoid per label.
        max_seq_length: tokens per text at most, as trained.
        fresh_check: load each version back in a fresh process before publishing it.

    Returns:
        The version's path (`export`) and number, its token-id twin's, and the check's
        figures.
    """
    return exports.export_model(
        model,
        model_dir,
        encoder.spec,
        encoder.preprocessor,
        labels,
        multi_label,
        max_seq_length,
        fresh_check,
    )


def load_predictor(model_dir: str | Path) -> Predictor:
    """An export (a version, or a model directory: its newest) to call on texts:
    `.predict(texts)` gives a row per text, its label's name and probabilities."""
    return Predictor(Path(model_dir))


def tune(
    out: str | Path,
    data: str | Path,
    encoder: str = "minilm-l6",
    blocks: Sequence[int] | None = None,
    **settings: Any,
) -> dict:
    """The search `bert-keras tune` runs over how many blocks train.

    Args:
        out: the search directory (the same call again resumes it).
        data: as `train` takes it.
        encoder: as `train` takes it.
        blocks: the trainable-block counts to try (default: 0 to the encoder's depth).
        **settings: `oracle`, `max_trials`, `overwrite`, `export_best`, `verbose`, the
            search-space switches (`tune_learning_rate`, ...), and `TrainConfig` fields.
    """
    search = {
        key: settings.pop(key)
        for key in ("oracle", "max_trials", "overwrite", "export_best", "verbose")
        if key in settings
    }
    space = {key: settings.pop(key) for key in list(settings) if key.startswith("tune_")}
    base = TrainConfig(out=str(out), data=str(data), encoder=encoder, **settings)
    oracle = search.pop("oracle", None)
    if oracle is not None:
        search["oracle_name"] = oracle
    return run_search(base, str(out), blocks=blocks, space_flags=space, **search)
