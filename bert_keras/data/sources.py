"""`--data`: where the reviews come from, as train / validation / test splits.

Every split is an unbatched tf.data.Dataset of {"label": int64 0/1, "title",
"content": string} and its size. Sources: the TFDS builder (`amazon_polarity`,
or a path to the original .tgz), a folder with train.csv and test.csv, or one
file (CSV, fastText or JSON lines) with `--test-data` for the test split.
"""

import dataclasses
from pathlib import Path
from typing import Callable

import tensorflow as tf

from bert_keras.data.records import read_records
from bert_keras.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class Split:
    name: str
    examples: tf.data.Dataset  # {"label", "title", "content"}
    size: int


@dataclasses.dataclass(frozen=True)
class Splits:
    train: Split
    validation: Split
    test: Split
    skipped: tuple = ()  # "file:line: problem" of every skipped bad record


def carve_validation(examples, size: int, fraction: float):
    """Splits off every k-th example, spread evenly and identically on every run:
    example i is held out when floor((i + 1) * fraction) > floor(i * fraction)."""
    held_out = int(size * fraction)
    if held_out == 0 or held_out == size:
        raise UserInputError(
            f"--validation-split {fraction}: leaves an empty split of {size} examples"
        )

    def is_validation(index, _):
        index = tf.cast(index, tf.float64)
        return tf.floor((index + 1) * fraction) > tf.floor(index * fraction)

    def is_train(index, example):
        return tf.logical_not(is_validation(index, example))

    def drop_index(_, example):
        return example

    indexed = examples.enumerate()
    train = indexed.filter(is_train).map(drop_index)
    validation = indexed.filter(is_validation).map(drop_index)
    return (train, size - held_out), (validation, held_out)


def _from_records(records) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(
        {
            "label": tf.constant([r.label for r in records.records], tf.int64),
            "title": tf.constant([r.title for r in records.records], tf.string),
            "content": tf.constant([r.content for r in records.records], tf.string),
        }
    )


def _check_both_labels(records, limit: int | None):
    """A training set of one label teaches nothing: refused, not trained on."""
    labels = {record.label for record in records.records}
    if len(labels) == 1:
        within = f" (the first {limit} records, --limit)" if limit is not None else ""
        name = "positive (1)" if labels == {1} else "negative (0)"
        raise UserInputError(
            f"{records.path}: every training record{within} is {name}: "
            "a classifier needs examples of both labels"
        )


def _local_file(path, config, limit=None, training=False):
    records = read_records(path, config.text_fields, config.on_bad_record, limit)
    if training:
        _check_both_labels(records, limit)
    return _from_records(records), len(records.records), tuple(records.skipped)


def _is_tfds(config) -> bool:
    return config.data == "amazon_polarity" or config.data.endswith(".tgz")


def _tfds_splits(config):
    from bert_keras.data.amazon_polarity import load_builder

    data = Path(config.data)
    if data.name.endswith(".tgz") and not data.is_file():
        raise UserInputError(f"--data {data}: no such file")
    manual_dir = config.tfds_manual_dir or (
        str(data.parent) if data.name.endswith(".tgz") else None
    )
    builder = load_builder(config.tfds_data_dir, manual_dir)
    try:
        train_size = builder.info.splits[config.train_split].num_examples
    except (KeyError, ValueError) as error:
        raise UserInputError(
            f"--train-split {config.train_split}: not a split of amazon_polarity ({error})"
        ) from None
    train = builder.as_dataset(split=config.train_split, shuffle_files=False)
    if config.limit is not None:
        train, train_size = train.take(config.limit), min(train_size, config.limit)
    if config.test_data is not None:  # the user's own test file replaces the builder's test split
        test, test_size, skipped = _local_file(Path(config.test_data), config)
        return (train, train_size), (test, test_size), skipped
    test = builder.as_dataset(split="test", shuffle_files=False)
    return (train, train_size), (test, builder.info.splits["test"].num_examples), ()


def _local_splits(config, train_file: Path, test_file: Path):
    train, train_size, skipped = _local_file(train_file, config, config.limit, training=True)
    test, test_size, test_skipped = _local_file(test_file, config)
    return (train, train_size), (test, test_size), skipped + test_skipped


def _folder_splits(config):
    data = Path(config.data)
    if not (data / "train.csv").is_file():
        raise UserInputError(
            f"--data {data}: a folder must hold train.csv and test.csv (the original layout)"
        )
    # --test-data replaces it
    test = Path(config.test_data) if config.test_data is not None else data / "test.csv"
    return _local_splits(config, data / "train.csv", test)


def _file_splits(config):
    if config.test_data is None:
        raise UserInputError(
            f"--data {config.data}: a single file needs --test-data for the final evaluation"
        )
    return _local_splits(config, Path(config.data), Path(config.test_data))


@dataclasses.dataclass(frozen=True)
class Source:
    """A kind of `--data`: how to tell it, and how it loads: ((train, size), (test, size),
    skipped)."""

    kind: str
    matches: Callable
    load: Callable


# The first source that matches `--data` loads it; a new source is one entry here and its loader.
SOURCES = (
    Source("the TFDS builder: amazon_polarity, or the original .tgz", _is_tfds, _tfds_splits),
    Source(
        "a folder with train.csv and test.csv",
        lambda config: Path(config.data).is_dir(),
        _folder_splits,
    ),
    Source(
        "one file (CSV, fastText or JSON lines), with --test-data",
        lambda config: Path(config.data).is_file(),
        _file_splits,
    ),
)


def load_splits(config) -> Splits:
    """The train, validation and test splits `--data` stands for.

    Args:
        config: a TrainConfig; reads `data`, `test_data`, `limit`, `train_split`,
            `validation_split`, `text_fields`, `on_bad_record` and the TFDS folders.

    Returns:
        Splits of unbatched {"label", "title", "content"} datasets with their sizes;
        validation is every k-th training example, the same on every run.

    Example:

    >>> import os, tempfile
    >>> from bert_keras.config import TrainConfig
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("train.csv", "test.csv"):
    ...     rows = '"2","Great","works well"\\n"1","Bad","broke"\\n' * 10
    ...     _ = open(os.path.join(folder, name), "w").write(rows)
    >>> splits = load_splits(TrainConfig(out="unused", data=folder))
    >>> splits.train.size, splits.validation.size, splits.test.size
    (18, 2, 20)
    """
    source = next((s for s in SOURCES if s.matches(config)), None)
    if source is None:
        raise UserInputError(
            f"--data {config.data}: no such file or folder (or use amazon_polarity)"
        )
    (train, train_size), (test, test_size), skipped = source.load(config)
    (train, train_size), (validation, validation_size) = carve_validation(
        train, train_size, config.validation_split
    )
    return Splits(
        Split("train", train, train_size),
        Split("validation", validation, validation_size),
        Split("test", test, test_size),
        skipped,
    )


def load_evaluation_split(config) -> tuple[Split, tuple]:
    """What `bert-keras evaluate --data` scores: the test split of a dataset or
    folder, or every record of a single file; and the bad records it skipped."""
    data = Path(config.data)
    if data.is_file() and not _is_tfds(config):
        examples, size, skipped = _local_file(data, config)
        return Split("evaluation", examples, size), skipped
    splits = load_splits(config)
    return splits.test, splits.skipped
