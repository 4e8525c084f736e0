"""The int8 export at work: `model.tflite` (the calibrated classifier from token ids, int8
weights) run by the LiteRT interpreter, on token ids from the encoder's own tokenizer
(`preprocessor/`, a SavedModel beside it), and the labels its calibration decides.

MODEL_DIR-int8/<version>/    beside MODEL_DIR/<version>, under the same number
    model.tflite             token ids in (input_word_ids, input_mask, input_type_ids,
                             int32 [batch, seq]), `probabilities` (float32 [batch, N]) out
    tokenizer/               a SavedModel: `pack`, review text in, the three inputs out,
                             as the float32 export's serving_default packs them
    assets.extra/            config.json, calibration.json, labels.txt, quantization.json
                             (both F1s and both latencies), model_card.md
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the tokenizer's ops)
from ai_edge_litert.interpreter import Interpreter

from bert_keras.config import read_run_file
from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.resolve import load_saved_model
from bert_keras.scoring.calibration import CALIBRATION_FILE, read_calibration
from bert_keras.serving.signatures import pack_texts

MODEL_FILE = "model.tflite"
TOKENIZER_DIR = "tokenizer"


class TextPacker(tf.Module):
    """The encoder's tokenizer and packer as a SavedModel of its own: `pack` takes review
    text (string [batch]) and gives the three BERT inputs, padded to the longest review.

    Args:
        preprocessor: the encoder's (`tokenize` and `bert_pack_inputs`).
        max_seq_length: tokens per review at most, as the run trained.
    """

    def __init__(self, preprocessor, max_seq_length: int):
        super().__init__(name="bert_keras_tokenizer")
        self.preprocessor, self.max_seq_length = preprocessor, max_seq_length

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def pack(self, text):
        return pack_texts(self.preprocessor, text, self.max_seq_length)


def decide_labels(kind: str, probabilities: np.ndarray, names, calibration: dict) -> list:
    """The label of each row of calibrated `probabilities` [n, N], as the exported graph
    decides it: two labels, the second at or over the threshold; more, the most probable;
    multi-label, the tuple of names at or over their own thresholds.

    Args:
        kind: `binary`, `multi_class` or `multi_label`.
        probabilities: float32 [n, N], in the order of `names`.
        names: the label names.
        calibration: calibration.json's record (`threshold`, or `thresholds`).

    >>> decide_labels("binary", np.array([[0.4, 0.6], [0.9, 0.1]], np.float32),
    ...               ("negative", "positive"), {"threshold": 0.55})
    ['positive', 'negative']
    """
    if kind == "multi_label":
        thresholds = np.float32(calibration.get("thresholds") or [0.5] * len(names))
        return [
            tuple(n for n, on in zip(names, row, strict=True) if on)
            for row in (probabilities >= thresholds)
        ]
    if kind == "binary":
        threshold = np.float32(calibration.get("threshold") or 0.5)
        return [names[int(p >= threshold)] for p in probabilities[:, 1]]
    return [names[i] for i in np.argmax(probabilities, axis=1)]


def default_threads() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


class TokenIdInterpreter:
    """A `model.tflite` of the classifier from token ids, called with numpy arrays.

    Args:
        model: the flatbuffer's path, or its bytes.
        threads: the interpreter's threads (default: the cores this process may use).
    """

    def __init__(self, model: str | Path | bytes, threads: int | None = None):
        where = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
        self.interpreter = Interpreter(**where, num_threads=threads or default_threads())
        details = self.interpreter.get_input_details()
        self.inputs = {
            name: next(d["index"] for d in details if name in d["name"]) for name in INPUT_NAMES
        }
        self.output = self.interpreter.get_output_details()[0]["index"]
        self.shape = None  # the shape the tensors are allocated for

    def __call__(self, inputs: dict) -> np.ndarray:
        """Probabilities [batch, N] for the three BERT inputs (int32 [batch, seq] each)."""
        shape = tuple(np.shape(inputs["input_word_ids"]))
        if shape != self.shape:  # a new shape: the tensors are allocated again
            for index in self.inputs.values():
                self.interpreter.resize_tensor_input(index, shape)
            self.interpreter.allocate_tensors()
            self.shape = shape
        for name, index in self.inputs.items():
            self.interpreter.set_tensor(index, np.asarray(inputs[name], np.int32))
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output).copy()


class Int8Model:
    """An int8 export version: reviews in, calibrated probabilities and labels out.

    Args:
        version_dir: MODEL_DIR-int8/<version>.
        threads: the interpreter's threads (default: the cores this process may use).
    """

    def __init__(self, version_dir: str | Path, threads: int | None = None):
        version_dir = Path(version_dir)
        settings, _ = read_run_file(version_dir / "assets.extra" / "config.json")
        self.names, self.kind = settings.label_set.names, settings.label_set.kind
        self.calibration = read_calibration(version_dir / "assets.extra" / CALIBRATION_FILE)
        self.model = TokenIdInterpreter(version_dir / MODEL_FILE, threads)
        self.pack = load_saved_model(str(version_dir / TOKENIZER_DIR), "model_dir").pack

    def outputs(self, reviews: list[str]) -> tuple[np.ndarray, list]:
        """(probabilities [n, N], the label of each review) for one batch of reviews."""
        inputs = {k: v.numpy() for k, v in self.pack(tf.constant(reviews, tf.string)).items()}
        probabilities = self.model(inputs)
        return probabilities, decide_labels(self.kind, probabilities, self.names, self.calibration)
