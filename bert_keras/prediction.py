"""`bert-keras predict`: raw reviews through an export's serving_default, as JSON lines."""
import json
import sys
from pathlib import Path

from bert_keras.errors import UserInputError

BATCH_SIZE = 64


def resolve_version(model_dir) -> Path:
    """A version directory as given, or the newest version of a model directory."""
    from bert_keras.exporting import versions
    model_dir = Path(model_dir)
    if (model_dir / "saved_model.pb").is_file():
        return model_dir
    numbers = versions(model_dir)
    if not numbers:
        raise UserInputError(f"--model {model_dir}: neither an export version nor a directory of versions")
    return model_dir / str(numbers[-1])


def read_reviews(texts, file) -> list[str]:
    if file is None:
        if not texts:
            raise UserInputError("predict: give reviews as arguments or --file FILE (one review a line)")
        return list(texts)
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserInputError(f"--file {file}: no such file") from None
    except UnicodeDecodeError as error:
        raise UserInputError(f"--file {file}: not UTF-8 text (byte {error.start})") from None


class Predictor:
    """An export's serving_default, called in batches."""

    def __init__(self, model_dir):
        import bert_keras  # noqa: F401
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (the serving graph's tokenizer ops)
        self.tf = tf
        self.version_dir = resolve_version(model_dir)
        self.signature = tf.saved_model.load(str(self.version_dir)).signatures["serving_default"]

    def __call__(self, reviews: list[str], batch_size: int = BATCH_SIZE) -> list[dict]:
        # Batches of similar length pad less (the export pads to each batch's longest).
        order = sorted(range(len(reviews)), key=lambda i: len(reviews[i]))
        rows = [None] * len(reviews)
        for start in range(0, len(order), batch_size):
            indices = order[start:start + batch_size]
            outputs = self.signature(text=self.tf.constant([reviews[i] for i in indices], dtype=self.tf.string))
            for i, probability, label in zip(indices, outputs["probability"].numpy(), outputs["label"].numpy()):
                rows[i] = {"text": reviews[i], "probability": round(float(probability), 6), "label": int(label)}
        return rows


def predict(model_dir, texts, file, batch_size=BATCH_SIZE, out=None):
    reviews = read_reviews(texts, file)
    out = out or sys.stdout  # looked up per call: a default bound at import outlives a redirected stdout
    for row in Predictor(model_dir)(reviews, batch_size):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
