"""Scoring reviews with an export from Python: a predictor to keep and call, or one call
for a list or a file of reviews (what `bert-keras predict` prints, a row a review)."""

from collections.abc import Sequence
from pathlib import Path

from bert_keras.config import PREDICT_BATCH_SIZE
from bert_keras.errors import UserInputError
from bert_keras.serving.predict import Predictor, read_reviews


def load_predictor(model_dir: str | Path) -> Predictor:
    """An export to call on texts: `.predict(texts)` gives a row per text, with its
    label's name and probability (or probabilities).

    Args:
        model_dir: an export version (float32 or int8), or a model directory (its newest
            version).

    Returns:
        A `Predictor`.

    Raises:
        UserInputError: `model_dir` holds no export.

    Example (`model_dir`: an export):

    >>> rows = load_predictor(model_dir).predict(["Great product.", "Broke in a day."])
    >>> [sorted(row) for row in rows] == [["label", "probability", "text"]] * 2
    True
    """
    return Predictor(Path(model_dir))


def predict(
    model_dir: str | Path,
    texts: Sequence[str] = (),
    file: str | Path | None = None,
    batch_size: int = PREDICT_BATCH_SIZE,
    on_bad_record: str = "error",
) -> list[dict]:
    """Scores reviews through an export: a row per review, in the order given, with its
    label's name and probability (three labels or more: every label's probability, by
    name; multi-label: `labels`, its names).

    Args:
        model_dir: an export version (float32 or int8), or its model directory (then the
            newest version).
        texts: reviews to score, when `file` is None.
        file: a UTF-8 text file of reviews, one a line (a byte-order mark and CRLF line
            ends allowed).
        batch_size: reviews per call (sorted by length, so batches pad little).
        on_bad_record: "skip": leave empty reviews out (counted in a notice) instead of
            refusing them.

    Returns:
        A list of rows (dictionaries), one per review scored.

    Raises:
        UserInputError: no export at `model_dir`, an unreadable `file`, an empty review,
            or `batch_size` below 1, naming the argument.

    Example (`model_dir`: an export's model directory): labelled positive where the
    probability reaches the export's threshold.

    >>> import json
    >>> rows = predict(model_dir, ["Great product.", "Broke in a day."])
    >>> [row["text"] for row in rows]
    ['Great product.', 'Broke in a day.']
    >>> extra = Path(load_predictor(model_dir).version_dir) / "assets.extra"
    >>> threshold = json.loads((extra / "calibration.json").read_text())["threshold"]
    >>> [row["label"] == ("positive" if row["probability"] >= threshold else "negative")
    ...  for row in rows]
    [True, True]
    """
    if batch_size < 1:
        raise UserInputError(f"batch_size={batch_size}: must be 1 or more")
    reviews = read_reviews(texts, file, on_bad_record)  # refused before the export loads
    return load_predictor(model_dir).predict(reviews, batch_size)
