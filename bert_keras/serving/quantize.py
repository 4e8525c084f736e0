"""`export(quantize="int8")`: the run's calibrated classifier from token ids converted to
LiteRT with int8 weights (dynamic range: each product's activations quantized as it runs,
on XNNPACK's int8 kernels), scored on the run's validation split beside float32, and
refused when it loses more F1 than allowed; published as MODEL_DIR-int8/<version>, beside
the float32 version (`serving.litert` runs it).

Why LiteRT: side by side on the built-in encoder (docs/benchmarks.md, 2026-12-08), it was
the one int8 route faster than float32 by more than 2x. TensorFlow's own SavedModel
quantizer gave a graph slower than float32 on CPU; ONNX Runtime's dynamic int8 (through
tf2onnx) 1.2-1.3x faster; LiteRT's about 4x at batch 1 and 2.6x at batch 32.
"""

import contextlib
import dataclasses
import json
import math
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from bert_keras.config import QUANTIZATIONS
from bert_keras.data.sources import load_splits
from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.traced_save import save_traced
from bert_keras.errors import UserInputError
from bert_keras.scoring.served import served_f1
from bert_keras.serving.extras import staging_version, write_run_extras
from bert_keras.serving.litert import MODEL_FILE, TOKENIZER_DIR, TextPacker, TokenIdInterpreter
from bert_keras.serving.model_card import int8_model_card
from bert_keras.serving.signatures import TokenIdServing
from bert_keras.training.predictions import split_texts

INT8_SUFFIX = "-int8"  # MODEL_DIR-int8: the int8 model
QUANTIZATION_FILE = "quantization.json"
SCORING_BATCH = 32
LATENCY_REVIEWS = 50  # single requests timed for the model card, each precision


@dataclasses.dataclass(frozen=True)
class Quantized:
    """An int8 model ready to publish.

    Args:
        model: the LiteRT flatbuffer (`model.tflite`).
        packer: the tokenizer it reads reviews through (saved as `tokenizer/`).
        quantization: what quantization.json and the model card record.
    """

    model: bytes
    packer: TextPacker
    quantization: dict


def cpu_model() -> str:
    """This machine's CPU, as the kernel names it (where the latencies were measured)."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def check_quantize(quantize: str | None, int8_max_f1_drop: float):
    """Refuses an unknown quantization, or a drop allowance that is negative or not finite."""
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise UserInputError(f"quantize={quantize}: expected {', '.join(QUANTIZATIONS)}")
    if not (math.isfinite(int8_max_f1_drop) and int8_max_f1_drop >= 0):
        raise UserInputError(
            f"int8_max_f1_drop={int8_max_f1_drop}: must be a finite number of F1 points, 0 or more"
        )


def convert_int8(module: TokenIdServing) -> bytes:
    """`module`'s calibrated probabilities from token ids as a LiteRT flatbuffer with int8
    weights."""
    spec = [tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES]

    @tf.function(input_signature=spec)
    def probabilities(input_word_ids, input_mask, input_type_ids):
        inputs = dict(zip(INPUT_NAMES, (input_word_ids, input_mask, input_type_ids), strict=True))
        return {"probabilities": module.probabilities(inputs)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [probabilities.get_concrete_function()], module
    )
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        return converter.convert()
    except Exception as error:  # noqa: BLE001  (the converter raises several kinds)
        errors = [
            line.split("error: ", 1)[1] for line in str(error).splitlines() if "error: " in line
        ]
        reason = (errors or [type(error).__name__])[0][:200]
        raise UserInputError(
            f"quantize=int8: LiteRT cannot convert this encoder's graph ({reason})"
        ) from None


def _batches(packer: TextPacker, texts: list, size: int):
    """The three inputs of `texts` in batches of `size`, longest first (little padding),
    with the positions they hold in `texts`."""
    order = np.argsort([-len(text) for text in texts], kind="stable")
    for start in range(0, len(order), size):
        indices = order[start : start + size]
        packed = packer.pack(tf.constant([texts[i] for i in indices], tf.string))
        yield indices, {name: t.numpy() for name, t in packed.items()}


def _probabilities(call, packer: TextPacker, texts: list, size: int) -> np.ndarray:
    rows = {}
    for indices, inputs in _batches(packer, texts, size):
        rows.update(zip(indices.tolist(), np.asarray(call(inputs)), strict=True))
    return np.stack([rows[i] for i in range(len(texts))])


def _p50_ms(call, packer: TextPacker, texts: list) -> float:
    """The median milliseconds of one request of one review, its token ids ready."""
    singles = [inputs for _, inputs in _batches(packer, texts, 1)]
    call(singles[0])  # traced, or its tensors allocated, outside the timing
    seconds = []
    for inputs in singles:
        start = time.perf_counter()
        call(inputs)
        seconds.append(time.perf_counter() - start)
    return round(1000 * statistics.median(seconds), 2)


def quantize_int8(
    module: TokenIdServing, packer: TextPacker, config, calibration: dict, max_f1_drop: float
) -> Quantized:
    """The int8 model of `module` (float32), with both F1s on the run's validation split
    and both batch-1 latencies; refused when int8 scores more than `max_f1_drop` points
    of F1 below float32.

    Args:
        module: the run's calibrated classifier from token ids, computing in float32.
        packer: the run's tokenizer, as the export packs reviews.
        config: the run's settings (its data, for the validation split; its labels).
        calibration: the run's calibration (the thresholds F1 is scored at).
        max_f1_drop: F1 points the int8 model may lose.

    Returns:
        A `Quantized`.
    """
    model = convert_int8(module)
    interpreter = TokenIdInterpreter(model)
    texts, labels = split_texts(load_splits(config.data).validation, config.data.text_fields)
    texts = [text.decode("utf-8") for text in texts]

    spec = {name: tf.TensorSpec([None, None], tf.int32) for name in INPUT_NAMES}
    float32 = tf.function(module.probabilities, input_signature=[spec])
    f1, kind, names = {}, config.label_set.kind, config.label_set.names
    for name, call in (("float32", float32), ("int8", interpreter)):
        scored = _probabilities(call, packer, texts, SCORING_BATCH)
        f1[name] = served_f1(kind, scored, labels, names, calibration)
    drop = round(100 * (f1["float32"] - f1["int8"]), 2)
    if drop > max_f1_drop:
        raise UserInputError(
            f"quantize=int8: the int8 model's validation F1 {f1['int8']:.4f} is {drop:.2f} "
            f"points below float32's {f1['float32']:.4f}, more than "
            f"int8_max_f1_drop={max_f1_drop}; nothing was published"
        )
    timed = texts[:LATENCY_REVIEWS]
    quantization = {
        "format": "LiteRT, int8 weights, dynamic-range activations",
        "validation_examples": len(texts),
        "validation_f1": f1,
        "f1_drop_points": drop,
        "int8_max_f1_drop": max_f1_drop,
        "batch_1_p50_ms": {
            "float32": _p50_ms(float32, packer, timed),
            "int8": _p50_ms(interpreter, packer, timed),
        },
        "latency_cpu": cpu_model(),
        "size_bytes": len(model),
    }
    return Quantized(model, packer, quantization)


def int8_dir(model_dir: Path) -> Path:
    """Where the int8 model goes: beside MODEL_DIR, as MODEL_DIR-int8."""
    return model_dir.with_name(model_dir.name + INT8_SUFFIX)


def stage_int8(stack: contextlib.ExitStack, model_dir: Path, int8: Quantized, extras: dict) -> Path:
    """Writes the int8 model (the bytes `quantize_int8` scored), its tokenizer and the
    run's files under a hidden name in MODEL_DIR-int8 (removed when `stack` closes,
    unless renamed into place); returns the staging directory."""
    staging = staging_version(stack, int8_dir(model_dir))
    (staging / MODEL_FILE).write_bytes(int8.model)
    save_traced(int8.packer, staging / TOKENIZER_DIR, lambda: _packer_signatures(int8.packer))
    write_run_extras(staging / "assets.extra", extras)
    extra = staging / "assets.extra"
    (extra / QUANTIZATION_FILE).write_text(json.dumps(int8.quantization, indent=2) + "\n")
    card = int8_model_card(extras["config"], int8.quantization, extras["calibration"])
    (extra / "model_card.md").write_text(card)
    return staging


def _packer_signatures(packer: TextPacker) -> dict:
    return {"pack": packer.pack.get_concrete_function()}
