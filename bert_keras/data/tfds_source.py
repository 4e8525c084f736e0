"""TFDS sources: `data="amazon_polarity"` (the builder bert-keras ships) and
`data="tfds:NAME[/CONFIG]"`, any TFDS text classification dataset.

A dataset's label is its ClassLabel feature (the names come from it) and its text its Text
features: the columns' label and text choose among them, else the one of each there is
(or the one with a usual name). Splits take TFDS's slicing (`train_split="train[:10000]"`).
"""

import dataclasses
import urllib.error
import urllib.parse
import urllib.request

import tensorflow as tf
import tensorflow_datasets as tfds

from bert_keras.data.amazon_polarity import load_builder
from bert_keras.data.columns import LABEL_NAMES, TEXT_NAMES
from bert_keras.data.spec import DataSpec
from bert_keras.errors import UserInputError, first_line

PREFIX = "tfds:"


@dataclasses.dataclass(frozen=True)
class TfdsSplits:
    train: tf.data.Dataset  # unbatched {"label", "title", "content"}
    train_size: int
    test: tf.data.Dataset
    test_size: int
    names: tuple[str, ...]  # the ClassLabel's


def _split(builder, split: str, argument: str, name: str) -> tuple[tf.data.Dataset, int]:
    try:
        size = builder.info.splits[split].num_examples
    except (KeyError, ValueError) as error:
        splits = ", ".join(builder.info.splits)
        raise UserInputError(
            f"{argument}={split}: not a split of {name} ({splits}; {error})"
        ) from None
    return builder.as_dataset(split=split, shuffle_files=False), size


def _check_labelled(examples, argument: str, split: str, name: str):
    """GLUE-style hidden labels (-1) are refused, not trained on or scored."""
    first = next(iter(examples.batch(256).take(1)), None)
    if first is not None and bool(tf.reduce_any(first["label"] < 0)):
        raise UserInputError(
            f"{argument}={split}: {name} hides the labels of this split (-1); "
            "use another split (e.g. test_split=validation)"
        )


def _slices(builder, spec: DataSpec, name: str, names, to_review=None) -> TfdsSplits:
    train, train_size = _split(builder, spec.train_split, "train_split", name)
    test, test_size = _split(builder, spec.test_split, "test_split", name)
    if to_review is not None:
        train, test = (d.map(to_review, num_parallel_calls=tf.data.AUTOTUNE) for d in (train, test))
    _check_labelled(train, "train_split", spec.train_split, name)
    _check_labelled(test, "test_split", spec.test_split, name)
    if spec.limit is not None:
        train, train_size = train.take(spec.limit), min(train_size, spec.limit)
    return TfdsSplits(train, train_size, test, test_size, tuple(names))


def amazon_splits(spec: DataSpec, manual_dir: str | None) -> TfdsSplits:
    """amazon_polarity from bert-keras' own builder (downloaded, or from `manual_dir`)."""
    builder = load_builder(spec.tfds_data_dir, manual_dir)
    return _slices(builder, spec, "amazon_polarity", builder.info.features["label"].names)


def _probe(name: str, urls) -> None:
    """Fails at once, with the way out, where TFDS would retry an unreachable host for
    minutes: the first of the dataset's download addresses is the probe."""
    url = next(iter(urls or ()), None)
    if url is None:  # nothing to download
        return
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=15).close()
    except urllib.error.HTTPError:  # the host answered
        return
    except Exception as error:  # noqa: BLE001  (offline: URLError, timeouts, socket errors)
        host = urllib.parse.urlsplit(url).netloc
        raise UserInputError(
            f"data={PREFIX}{name}: not prepared, and {host} is unreachable "
            f"({type(error).__name__}); prepare it where there is a network "
            f"(`tfds build {name} --data_dir DIR`) and give tfds_data_dir=DIR"
        ) from None


def prepared_builder(name: str, data_dir: str | None):
    """TFDS's builder of `name`, prepared in `data_dir` (downloading on first use)."""
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # noqa: BLE001  (DatasetNotFoundError, a bad spec name, ...)
        reason = first_line(error)
        raise UserInputError(f"data={PREFIX}{name}: not a TFDS dataset ({reason})") from None
    if not builder.is_prepared():
        _probe(name, builder.url_infos)
        try:
            builder.download_and_prepare()
        except Exception as error:  # noqa: BLE001
            reason = first_line(error)
            raise UserInputError(
                f"data={PREFIX}{name}: could not prepare it in tfds_data_dir="
                f"{data_dir or 'the default'} ({type(error).__name__}: {reason})"
            ) from None
    return builder


def _choose(features: dict, kind, given, usual, what: str, argument: str) -> list[str]:
    found = [name for name, feature in features.items() if isinstance(feature, kind)]
    if given:
        unknown = [name for name in given if name not in found]
        if unknown:
            raise UserInputError(
                f"{argument}={unknown[0]}: not a {what} feature ({', '.join(found)})"
            )
        return list(given)
    named = [name for name in found if name.lower() in usual]
    chosen = found if len(found) == 1 else named
    if len(chosen) != 1:
        raise UserInputError(
            f"`{argument}`: the dataset's {what} features are {', '.join(found) or 'none'}; "
            "name one"
        )
    return chosen


def named_splits(spec: DataSpec) -> TfdsSplits:
    """`data="tfds:NAME[/CONFIG]"`: its ClassLabel as the label, its Text feature(s) as the
    text (two or more: the first as a title, the rest its content)."""
    name = spec.data[len(PREFIX) :]
    builder = prepared_builder(name, spec.tfds_data_dir)
    features = dict(builder.info.features)
    label = _choose(
        features,
        tfds.features.ClassLabel,
        [spec.columns.label] if spec.columns.label else None,
        LABEL_NAMES,
        "ClassLabel",
        "label_column",
    )[0]
    texts = _choose(
        features, tfds.features.Text, spec.columns.text, TEXT_NAMES, "Text", "text_columns"
    )

    def to_review(example):
        parts = [example[t] for t in texts]
        if len(parts) == 1:
            return {"label": example[label], "title": tf.constant(""), "content": parts[0]}
        content = tf.strings.reduce_join(tf.stack(parts[1:]), separator=" ")
        return {"label": example[label], "title": parts[0], "content": content}

    return _slices(builder, spec, name, features[label].names, to_review)
