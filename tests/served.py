"""What a finished run's model gives, computed in this process from its best weights and
its encoder's preprocessor, apart from any export: the serving tests' expected values."""

import functools
import json

import numpy as np
import tensorflow as tf

from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.checkpoints import best_checkpoint, restore_weights
from bert_keras.training.classifier import build_classifier


@functools.cache
def _model_of(run_dir) -> tuple:
    """(the classifier with the run's best weights, its preprocessor, its config), read
    once per process: the tests only read them."""
    config = json.loads((run_dir / "config.json").read_text())
    paths = resolve_encoder(config["encoder"])
    model = build_classifier(
        paths.encoder,
        FreezeSpec(**config["freeze"]),
        config["dropout"],
        config["seed"],
        classes=len(config.get("labels") or [0, 1]),
        multi_label=config.get("multi_label", False),
    )
    restore_weights(model, best_checkpoint(run_dir), "best")
    return model, load_preprocessor(paths), config


def own_probabilities(run_dir, texts: list[str]) -> np.ndarray:
    """P(positive) [len(texts)] of the run's best weights, its model's own sigmoid (three
    labels or more: its softmax [len(texts), N]), float64."""
    model, preprocessor, config = _model_of(run_dir)
    tokens = preprocessor.tokenize(tf.constant(texts))
    inputs = preprocessor.bert_pack_inputs([tokens], seq_length=config["max_seq_length"])
    outputs = model(inputs, training=False).numpy().astype(np.float64)
    return outputs[:, 0] if outputs.shape[1] == 1 else outputs


def calibrated_probabilities(run_dir, texts: list[str]) -> np.ndarray:
    """P(positive) [len(texts)] as the run's calibration states it: sigmoid(logit / T)."""
    probability = own_probabilities(run_dir, texts)
    logits = np.log(probability) - np.log1p(-probability)  # the tiny model's stay inside (0, 1)
    temperature = json.loads((run_dir / "metrics.json").read_text())["calibration"]["temperature"]
    return 1 / (1 + np.exp(-logits / temperature))


def threshold_of(run_dir) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["calibration"]["threshold"]


def run_test_reviews(run_dir, count: int | None = None) -> tuple[list[str], np.ndarray]:
    """The run's own test reviews (title and content joined, as training joins them) and
    their labels (0 negative, 1 positive), read from its test.csv here."""
    data = json.loads((run_dir / "config.json").read_text())["data"]
    rows = [line.rstrip('"\n').split('","') for line in open(f"{data}/test.csv")][:count]
    texts = [f"{title}. {content}" for _, title, content in rows]
    return texts, np.array([int(label.lstrip('"')) - 1 for label, _, _ in rows])


def run_test_texts(run_dir, count: int = 40) -> list[str]:
    return run_test_reviews(run_dir, count)[0]
