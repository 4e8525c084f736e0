"""Scoring reviews with an export: reading them (arguments, or a file of one a line), and
the `Predictor` that calls a version (float32 through serving_default, or int8) in batches."""

import codecs
import functools
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the serving graph's tokenizer ops)

from bert_keras.config import PREDICT_BATCH_SIZE, read_run_file
from bert_keras.encoders.resolve import load_saved_model
from bert_keras.errors import UserInputError
from bert_keras.notices import say
from bert_keras.serving.extras import versions
from bert_keras.serving.litert import MODEL_FILE, Int8Model
from bert_keras.training.run_dir import CONFIG_FILE


def is_version(directory: Path) -> bool:
    """Whether `directory` is an export version: a SavedModel, or an int8 model."""
    return (directory / "saved_model.pb").is_file() or (directory / MODEL_FILE).is_file()


def resolve_version(model_dir) -> Path:
    """A version directory as given, or the newest version of a model directory."""
    model_dir = Path(model_dir)
    if is_version(model_dir):
        return model_dir
    numbers = versions(model_dir)
    if not numbers:
        hint = (
            "; it is a training run: `bert-keras export` it first"
            if (model_dir / CONFIG_FILE).is_file()
            else ""
        )
        raise UserInputError(
            f"model_dir={model_dir}: neither an export version nor a directory of versions{hint}"
        )
    return model_dir / str(numbers[-1])


def read_reviews(texts, file, on_bad_record: str = "error") -> list[str]:
    """Reviews from the arguments, or one a line from `file` (UTF-8, a byte-order mark
    and CRLF line ends allowed). An empty review (or only whitespace) is never scored:
    refused, or with on_bad_record="skip" left out and counted on stderr."""
    if file is None:
        if not texts:
            raise UserInputError("`texts`: none given, and no `file` (one review a line)")
        return _without_empty(
            list(texts), [f"review {i + 1}" for i in range(len(texts))], on_bad_record
        )
    try:
        data = Path(file).read_bytes()
    except FileNotFoundError:
        raise UserInputError(f"file={file}: no such file") from None
    except (IsADirectoryError, PermissionError) as error:
        raise UserInputError(f"file={file}: cannot be read ({error.strerror})") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        # Lines end at \n only: str.splitlines would also cut at U+2028 and friends inside a review.
        reviews = [line.removesuffix("\r") for line in data.decode("utf-8").split("\n")]
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - data.rfind(b"\n", 0, error.start)
        raise UserInputError(
            f"file={file}:{line}: bytes that are not UTF-8 at column {column}"
        ) from None
    if reviews[-1] == "":
        reviews.pop()  # the newline that ends the last line starts no review
    if not reviews:
        raise UserInputError(f"file={file}: holds no review (one review a line)")
    return _without_empty(
        reviews, [f"file={file}:{i + 1}" for i in range(len(reviews))], on_bad_record
    )


def _without_empty(reviews: list[str], places: list[str], on_bad_record: str) -> list[str]:
    empty = [place for review, place in zip(reviews, places, strict=True) if not review.strip()]
    if empty and on_bad_record != "skip":
        raise UserInputError(
            f"{empty[0]}: empty (or only whitespace): nothing to score "
            "(use on_bad_record=skip to skip such reviews)"
        )
    if empty:
        say(f"skipped {len(empty)} empty review(s): {', '.join(empty[:5])}")
    kept = [review for review in reviews if review.strip()]
    if not kept:
        raise UserInputError(f"{empty[0]}: every review is empty: nothing to score")
    return kept


class Predictor:
    """An export's serving_default (or an int8 version's model), called in batches.

    Args:
        model_dir: an export version (float32 or int8), or its model directory (then
            the newest version).
    """

    def __init__(self, model_dir):
        self.version_dir = resolve_version(model_dir)
        if (self.version_dir / MODEL_FILE).is_file():
            self._batch = Int8Model(self.version_dir).outputs
            return
        self.signatures = load_saved_model(str(self.version_dir), "model").signatures
        if "serving_default" not in self.signatures:
            raise UserInputError(
                f"model_dir={self.version_dir}: has no serving_default signature "
                f"(not an export of bert-keras, or its token-id model)"
            )
        self.signature = self.signatures["serving_default"]
        self._batch = self._served

    def _served(self, reviews: list[str]) -> tuple[np.ndarray, list]:
        """(probabilities [n, N], the label of each review) of one batch, as served."""
        outputs = self.signature(text=tf.constant(reviews, dtype=tf.string))
        probabilities = outputs["probabilities"].numpy()  # [batch, N]
        if "label_indicator" in outputs:  # multi-label
            names = self.names
            return probabilities, [
                tuple(name for name, one in zip(names, on, strict=True) if one)
                for on in outputs["label_indicator"].numpy()
            ]
        return probabilities, [name.decode("utf-8") for name in outputs["label"].numpy()]

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        """The label names in the order of `probabilities`' columns (the export's config)."""
        settings, _ = read_run_file(self.version_dir / "assets.extra" / "config.json")
        return settings.label_set.names

    def outputs(
        self, reviews: list, batch_size: int = PREDICT_BATCH_SIZE
    ) -> tuple[np.ndarray, list]:
        """(probabilities [n, N] of the labels, the label name of each review, or for
        multi-label the tuple of its names), in the order given."""
        empty = next((i for i, review in enumerate(reviews) if not review.strip()), None)
        if empty is not None:
            raise UserInputError(f"reviews[{empty}]: empty (or only whitespace): nothing to score")
        # Batches of similar length pad less (the export pads to each batch's longest).
        order = np.argsort([len(review) for review in reviews], kind="stable")
        probabilities, labels = None, [None] * len(reviews)
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            batch, decided = self._batch([reviews[i] for i in indices])
            if probabilities is None:
                probabilities = np.zeros((len(reviews), batch.shape[1]), np.float32)
            probabilities[indices] = batch
            for i, label in zip(indices, decided, strict=True):
                labels[i] = label
        return probabilities, labels

    def __call__(self, reviews: list[str], batch_size: int = PREDICT_BATCH_SIZE) -> list[dict]:
        """A row for each review: its label's name (multi-label: `labels`, its names) and
        the probabilities (two labels: the second's, as `probability`; more: every
        label's, by name)."""
        probabilities, labels = self.outputs(reviews, batch_size)
        names = self.names
        rows = []
        for review, row, label in zip(reviews, probabilities, labels, strict=True):
            if isinstance(label, tuple):
                decided = {"labels": list(label)}
            else:
                decided = {"label": label}
            if len(names) == 2 and not isinstance(label, tuple):
                scores = {"probability": round(float(row[1]), 6)}
            else:
                rounded = [round(float(p), 6) for p in row]
                scores = {"probabilities": dict(zip(names, rounded, strict=True))}
            rows.append({"text": review, **scores, **decided})
        return rows

    def predict(self, texts: list[str], batch_size: int = PREDICT_BATCH_SIZE) -> list[dict]:
        """The rows `__call__` gives: the Python API's name for it."""
        return self(texts, batch_size)
