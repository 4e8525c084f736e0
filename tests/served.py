"""What a finished run's model gives, computed in this process from its best weights and
its encoder's preprocessor, apart from any export: the serving tests' expected values."""

import functools
import json

import numpy as np
import tensorflow as tf
import tf_keras

from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.checkpoints import best_checkpoint, restore_weights
from bert_keras.training.classifier import build_classifier

# The same review scored in batches of 1, 2, 3, 5 and 64 (so padded to other widths and
# multiplied in other blockings) came out up to 3.0e-7 apart in float32, and up to 1.8e-7
# from the in-process model's: measured on the three runs the tests train, on an AMD EPYC
# with AVX512-BF16, on it with oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, the kernels
# of an AVX2-only CPU) and with oneDNN off. Rounded to 6 places, as predict writes them,
# one rounding step (1e-6) more.
ROUNDED_ATOL = 2e-6


@functools.cache
def _model_of(run_dir) -> tuple:
    """(the classifier with the run's best weights, its preprocessor, its config), read
    once per process: the tests only read them."""
    config = json.loads((run_dir / "config.json").read_text())["settings"]
    paths = resolve_encoder(config["encoder"])
    model = build_classifier(
        paths.encoder,
        FreezeSpec(**config["freeze"]),
        config["dropout"],
        config["seed"],
        classes=len(config.get("labels") or [0, 1]),
        multi_label=config.get("multi_label", False),
        pooling=config.get("pooling", "cls"),
    )
    restore_weights(model, best_checkpoint(run_dir), "best")
    return model, load_preprocessor(paths), config


def own_probabilities(run_dir, texts: list[str]) -> np.ndarray:
    """P(positive) [len(texts)] of the run's best weights, its model's own sigmoid (three
    labels or more: its softmax [len(texts), N]), float64."""
    return _outputs(run_dir, texts, logits=False)


def own_logits(run_dir, texts: list[str]) -> np.ndarray:
    """The head's logits [len(texts), N] (the Dense layer's, before its softmax or
    sigmoid) of the run's best weights, float64."""
    return _outputs(run_dir, texts, logits=True)


def _outputs(run_dir, texts: list[str], logits: bool) -> np.ndarray:
    model, preprocessor, config = _model_of(run_dir)
    if logits:
        model = tf_keras.Model(model.input, model.get_layer("classifier").output)
    tokens = preprocessor.tokenize(tf.constant(texts))
    inputs = preprocessor.bert_pack_inputs([tokens], seq_length=config["max_seq_length"])
    outputs = model(inputs, training=False).numpy().astype(np.float64)
    return outputs[:, 0] if outputs.shape[1] == 1 and not logits else outputs


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
    data = json.loads((run_dir / "config.json").read_text())["settings"]["data"]
    rows = [line.rstrip('"\n').split('","') for line in open(f"{data}/test.csv")][:count]
    texts = [f"{title}. {content}" for _, title, content in rows]
    return texts, np.array([int(label.lstrip('"')) - 1 for label, _, _ in rows])


def run_test_texts(run_dir, count: int = 40) -> list[str]:
    return run_test_reviews(run_dir, count)[0]


def assert_same_row(got: dict, expected: dict):
    """Two of predict's rows for one review, scored in batches of other shapes: the same
    text and decision, the probabilities within ROUNDED_ATOL."""
    assert got.keys() == expected.keys()
    for key in got.keys() - {"probability", "probabilities"}:
        assert got[key] == expected[key], key
    key = "probability" if "probability" in got else "probabilities"
    got, expected = got[key], expected[key]
    if isinstance(got, dict):
        assert got.keys() == expected.keys()
        got, expected = list(got.values()), [expected[name] for name in got]
    np.testing.assert_allclose(got, expected, atol=ROUNDED_ATOL, rtol=0)
