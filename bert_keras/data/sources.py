"""`data`: where the reviews come from, as train / validation / test splits.

Every split is an unbatched tf.data.Dataset of {"label": int64 index into the label set,
"title", "content": string} and its size. Sources: the TFDS builder (`amazon_polarity`,
or a path to the original .tgz), a folder with train.csv and test.csv, or one
file (the release's CSV, fastText, JSON lines, a delimited file with a header) with
`test_data` for the test split. What to load is a `DataSpec` (`data.spec`).
"""

import dataclasses
import math
from pathlib import Path
from typing import Callable

import tensorflow as tf

from bert_keras.data.labels import LabelSet, check_seen, resolve_labels
from bert_keras.data.records import read_records
from bert_keras.data.spec import DataSpec
from bert_keras.data.tfds_source import PREFIX, amazon_splits, named_splits
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
    labels: LabelSet
    skipped: tuple = ()  # "file:line: problem" of every skipped bad record
    notes: tuple = ()  # the columns chosen without being told, by file


def carve_validation(examples, size: int, fraction: float):
    """Splits off every k-th example, spread evenly and identically on every run:
    example i is held out when floor((i + 1) * fraction) > floor(i * fraction)."""
    held_out = int(size * fraction)
    if held_out == 0 or held_out == size:
        raise UserInputError(
            f"validation_split={fraction}: leaves an empty split of {size} examples"
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


def is_validation(index: int, fraction: float) -> bool:
    """`carve_validation`'s rule in Python, for labels read before the datasets exist."""
    return math.floor((index + 1) * fraction) > math.floor(index * fraction)


def _from_records(records: list, labels: LabelSet) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(
        {
            "label": tf.constant(labels.indices([r.label for r in records]), tf.int64),
            "title": tf.constant([r.title for r in records], tf.string),
            "content": tf.constant([r.content for r in records], tf.string),
        }
    )


def _first_lines(records) -> dict[str, int]:
    """{label name: the line it is first on}, in order of appearance."""
    found = {}
    for record in records:
        for name in record.label if isinstance(record.label, tuple) else (record.label,):
            found.setdefault(name, record.line)
    return found


def _read(path: Path, spec: DataSpec, limit=None):
    return read_records(path, spec.text_fields, spec.on_bad_record, limit, spec.columns)


def _training_labels(records, spec: DataSpec, known=None) -> LabelSet:
    """The label set of the training part of `records` (validation carved off as
    `carve_validation` will); validation labels it never saw are refused."""
    fraction = spec.validation_split
    parts = ([], [])
    for index, record in enumerate(records.records):
        parts[is_validation(index, fraction)].append(record)
    within = f" (the first {spec.limit} records, `limit`)" if spec.limit is not None else ""
    labels = resolve_labels(
        _first_lines(parts[0]),
        f"{records.path}{within}",
        spec.labels,
        known,
        spec.multi_label,
    )
    check_seen(_first_lines(parts[1]), set(_first_lines(parts[0])), records.path, "validation")
    return labels


def _test_split(path: Path, spec: DataSpec, labels: LabelSet, seen) -> tuple:
    records = _read(path, spec)
    check_seen(_first_lines(records.records), set(seen), records.path, "test")
    return _from_records(records.records, labels), len(records.records), records


@dataclasses.dataclass(frozen=True)
class Loaded:
    """What a source loads: the training examples (validation not yet carved off), the test
    split, the label set, and what reading the files skipped and chose."""

    train: tf.data.Dataset
    train_size: int
    test: tf.data.Dataset
    test_size: int
    labels: LabelSet
    skipped: tuple = ()
    notes: tuple = ()  # "file: text from ..., labels from ...": columns chosen untold


def _is_tfds(spec: DataSpec) -> bool:
    return (
        spec.data == "amazon_polarity" or spec.data.endswith(".tgz") or spec.data.startswith(PREFIX)
    )


def _tfds_splits(spec: DataSpec) -> Loaded:
    data = Path(spec.data)
    if spec.multi_label:
        raise UserInputError(
            f"`multi_label`: data={spec.data} gives one label per example (a ClassLabel)"
        )
    if spec.data.startswith(PREFIX):
        loaded = named_splits(spec)
    else:
        if data.name.endswith(".tgz") and not data.is_file():
            raise UserInputError(f"data={data}: no such file")
        manual_dir = spec.tfds_manual_dir or (
            str(data.parent) if data.name.endswith(".tgz") else None
        )
        loaded = amazon_splits(spec, manual_dir)
    labels = LabelSet(loaded.names)
    if spec.labels is not None and spec.labels != labels.names:
        raise UserInputError(
            f"labels={','.join(spec.labels)}: the dataset's labels are "
            f"{','.join(labels.names)}, in that order"
        )
    train = (loaded.train, loaded.train_size)
    if spec.test_data is not None:  # the user's own test file replaces the dataset's test split
        test, test_size, records = _test_split(Path(spec.test_data), spec, labels, labels.names)
        return Loaded(*train, test, test_size, labels, tuple(records.skipped))
    return Loaded(*train, loaded.test, loaded.test_size, labels)


def _local_splits(spec: DataSpec, train_file: Path, test_file: Path) -> Loaded:
    records = _read(train_file, spec, spec.limit)
    labels = _training_labels(records, spec, known=records.names)
    seen = _first_lines(records.records)
    test, test_size, test_records = _test_split(test_file, spec, labels, seen)
    return Loaded(
        _from_records(records.records, labels),
        len(records.records),
        test,
        test_size,
        labels,
        tuple(records.skipped + test_records.skipped),
        tuple(f"{r.path}: {r.note}" for r in (records, test_records) if r.note),
    )


def _folder_splits(spec: DataSpec) -> Loaded:
    data = Path(spec.data)
    if not (data / "train.csv").is_file():
        raise UserInputError(
            f"data={data}: a folder must hold train.csv and test.csv (the original layout)"
        )
    # `test_data` replaces it
    test = Path(spec.test_data) if spec.test_data is not None else data / "test.csv"
    return _local_splits(spec, data / "train.csv", test)


def _file_splits(spec: DataSpec) -> Loaded:
    if spec.test_data is None:
        raise UserInputError(
            f"data={spec.data}: a single file needs `test_data` for the final evaluation"
        )
    return _local_splits(spec, Path(spec.data), Path(spec.test_data))


@dataclasses.dataclass(frozen=True)
class Source:
    """A kind of `data`: how to tell it, and how it loads: ((train, size), (test, size),
    skipped)."""

    kind: str
    matches: Callable
    load: Callable


# The first source that matches `data` loads it; a new source is one entry here and its loader.
SOURCES = (
    Source(
        "TFDS: amazon_polarity, the original .tgz, or tfds:NAME[/CONFIG]", _is_tfds, _tfds_splits
    ),
    Source(
        "a folder with train.csv and test.csv",
        lambda spec: Path(spec.data).is_dir(),
        _folder_splits,
    ),
    Source(
        "one file (CSV, fastText or JSON lines), with `test_data`",
        lambda spec: Path(spec.data).is_file(),
        _file_splits,
    ),
)


def load_splits(spec: DataSpec) -> Splits:
    """The train, validation and test splits `spec.data` stands for.

    Args:
        spec: the source and how to read it (`TrainConfig.data` gives a run's).

    Returns:
        Splits of unbatched {"label", "title", "content"} datasets with their sizes;
        validation is every k-th training example, the same on every run.

    Example:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for name in ("train.csv", "test.csv"):
    ...     rows = '"2","Great","works well"\\n"1","Bad","broke"\\n' * 10
    ...     _ = open(os.path.join(folder, name), "w").write(rows)
    >>> splits = load_splits(DataSpec(folder))
    >>> splits.train.size, splits.validation.size, splits.test.size
    (18, 2, 20)
    """
    source = next((s for s in SOURCES if s.matches(spec)), None)
    if source is None:
        raise UserInputError(
            f"data={spec.data}: no such file or folder "
            "(or use amazon_polarity, or tfds:NAME for a TFDS dataset)"
        )
    loaded = source.load(spec)
    (train, train_size), (validation, validation_size) = carve_validation(
        loaded.train, loaded.train_size, spec.validation_split
    )
    return Splits(
        Split("train", train, train_size),
        Split("validation", validation, validation_size),
        Split("test", loaded.test, loaded.test_size),
        loaded.labels,
        loaded.skipped,
        loaded.notes,
    )


def load_evaluation_split(spec: DataSpec) -> tuple[Split, tuple]:
    """What `evaluate` scores of `spec.data`: the test split of a dataset or
    folder, or every record of a single file; and the bad records it skipped."""
    data = Path(spec.data)
    if data.is_file() and not _is_tfds(spec):
        if spec.labels is None:  # a run from before label sets: its data's own
            records = _read(data, spec)
            names = _first_lines(records.records)
            labels = resolve_labels(names, str(data), None, records.names, spec.multi_label)
        else:
            labels = spec.label_set
        examples, size, records = _test_split(data, spec, labels, labels.names)
        return Split("evaluation", examples, size), tuple(records.skipped)
    splits = load_splits(spec)
    return splits.test, splits.skipped
