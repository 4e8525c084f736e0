"""The int8 routes a TensorFlow classifier can take, side by side in one run on a finished
run's calibrated classifier from token ids; prints JSON. What `export --quantize int8` chose
(LiteRT) was chosen by this.

    .venv/bin/python scripts/benchmarks/benchmark_int8_formats.py --run saved_models/runs/NAME \\
        [--threads 2] [--requests 200] [--reviews 320] [--data FOLDER/test.csv]

Each route, float32 and int8 where it has both: TensorFlow itself (the SavedModel TF Serving
runs) and TensorFlow's SavedModel quantizer (dynamic-range int8, a SavedModel TF Serving would
load); LiteRT (`tf.lite` converter, dynamic-range int8 weights, the `ai-edge-litert`
interpreter); ONNX Runtime through tf2onnx (dynamic int8 by `onnxruntime.quantization`),
measured only where `pip install tf2onnx onnxruntime` has put both beside the package. For
each: batch-1 latency over --requests single held-out reviews (p50, p90, in ms), reviews/s in
batches of 32, and how far its probabilities are from TensorFlow float32's on those batches.
Token ids are packed outside the timing, each batch to its longest review.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)

# isort: split
import tensorflow as tf
from benchmark_commits import cpu_model
from benchmark_serving import batch_1_percentiles, held_out_reviews
from local_copy import LOCAL_COPY

from bert_keras.encoders.network import INPUT_NAMES
from bert_keras.encoders.precision import rebuilt_encoder
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.scoring.calibration import read_calibration
from bert_keras.serving.export import trained_model
from bert_keras.serving.litert import TextPacker, TokenIdInterpreter
from bert_keras.serving.quantize import convert_int8
from bert_keras.serving.signatures import TokenIdServing
from bert_keras.training.run_dir import METRICS_FILE, read_finished_run

SPEC = {name: tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUT_NAMES}


def run_module(run_dir: Path) -> tuple[TokenIdServing, TextPacker]:
    """The run's calibrated classifier from token ids (float32), and its tokenizer."""
    config, _, best = read_finished_run(run_dir)
    paths = resolve_encoder(config.encoder)
    model = trained_model(run_dir, config, best, rebuilt_encoder(paths))
    calibration = read_calibration(run_dir / METRICS_FILE, "calibration")
    module = TokenIdServing(model, calibration, config.label_set)
    packer = TextPacker(load_preprocessor(paths), config.model.max_seq_length)
    return module, packer


def tensorflow_routes(module: TokenIdServing, scratch: Path) -> dict:
    """TensorFlow float32, and its SavedModel quantizer's dynamic-range int8."""
    from tensorflow.compiler.mlir.quantization.tensorflow import quantization_options_pb2 as qo
    from tensorflow.compiler.mlir.quantization.tensorflow.python import quantize_model

    serve = tf.function(lambda **inputs: {"p": module.probabilities(inputs)})
    function = serve.get_concrete_function(**SPEC)
    tf.saved_model.save(module, str(scratch / "f32"), signatures={"serving_default": function})
    method = qo.QuantizationMethod.PresetMethod.METHOD_DYNAMIC_RANGE_INT8
    options = qo.QuantizationOptions(
        quantization_method=qo.QuantizationMethod(preset_method=method)
    )
    quantize_model.quantize(str(scratch / "f32"), str(scratch / "int8"), options)
    routes = {}
    for name, folder in (("tensorflow_float32", "f32"), ("tensorflow_quantizer_int8", "int8")):
        signature = tf.saved_model.load(str(scratch / folder)).signatures["serving_default"]
        routes[name] = lambda x, s=signature: next(iter(s(**x).values())).numpy()
    return routes


def litert_routes(module: TokenIdServing, threads: int) -> dict:
    """LiteRT float32 and int8 (the export's own conversion)."""
    function = tf.function(module.probabilities, input_signature=[SPEC]).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    return {
        "litert_float32": TokenIdInterpreter(converter.convert(), threads),
        "litert_int8": TokenIdInterpreter(convert_int8(module), threads),
    }


def onnx_routes(module: TokenIdServing, scratch: Path, threads: int) -> dict:
    """ONNX Runtime float32 and dynamic int8, through tf2onnx, for a run of two labels; {}
    where not installed."""
    try:
        import onnxruntime
        import tf2onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from tf2onnx import utils
        from tf2onnx.handler import tf_op
    except ImportError:
        return {}

    @tf_op("Erfc")  # TensorFlow's exact GELU; tf2onnx maps Erf only: erfc(x) = 1 - erf(x)
    class Erfc:
        @classmethod
        def version_9(cls, ctx, node, **kwargs):
            node.type = "Erf"
            one = ctx.make_const(utils.make_name("one"), np.array(1, np.float32))
            ctx.insert_new_node_on_output(
                "Sub", node.output[0], inputs=[one.output[0], node.output[0]]
            )

    # logits out (the calibration's constants would be left as graph inputs), calibrated here
    serve = tf.function(
        lambda input_word_ids, input_mask, input_type_ids: tf.cast(
            module._logit(
                dict(
                    input_word_ids=input_word_ids,
                    input_mask=input_mask,
                    input_type_ids=input_type_ids,
                )
            ),
            tf.float32,
        )
    )
    f32, int8 = str(scratch / "f32.onnx"), str(scratch / "int8.onnx")
    tf2onnx.convert.from_function(serve, list(SPEC.values()), opset=17, output_path=f32)
    quantize_dynamic(f32, int8, weight_type=QuantType.QInt8)
    temperature = float(module.temperature.numpy())

    def calibrated(logits):  # two labels: [1 - p, p], p = sigmoid(logit / T)
        p = 1 / (1 + np.exp(-logits[:, 0] / temperature))
        return np.stack([1 - p, p], axis=1).astype(np.float32)

    routes = {}
    for name, file in (("onnxruntime_float32", f32), ("onnxruntime_int8", int8)):
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = onnxruntime.InferenceSession(file, options)
        names = [i.name for i in session.get_inputs()]  # the function's arguments, in order
        routes[name] = lambda x, s=session, n=names: calibrated(
            s.run(None, {k: x[v] for k, v in zip(n, INPUT_NAMES, strict=True)})[0]
        )
    return routes


def measure(call, singles: list, batches: list, reference: list) -> dict:
    """Batch-1 latency (p50, p90), reviews/s in `batches`, and the largest difference of the
    batches' probabilities from `reference`."""
    latency = batch_1_percentiles(call, singles, (50, 90))
    start, outputs = time.perf_counter(), [call(batch) for batch in batches]
    rate = sum(len(b["input_word_ids"]) for b in batches) / (time.perf_counter() - start)
    return {
        **latency,
        "batch_32_reviews_per_second": round(rate, 1),
        "max_abs_difference": float(
            max(np.abs(np.asarray(o) - r).max() for o, r in zip(outputs, reference, strict=True))
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a finished run directory")
    parser.add_argument("--data", default=str(LOCAL_COPY / "test.csv"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reviews", type=int, default=320)
    args = parser.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    module, packer = run_module(Path(args.run))
    texts, _, _ = held_out_reviews(Path(args.data))

    def pack(chunk):
        return {k: v.numpy() for k, v in packer.pack(tf.constant(chunk)).items()}

    singles = [pack(texts[i : i + 1]) for i in range(args.requests)]
    batches = [
        pack(texts[i : i + 32]) for i in range(args.requests, args.requests + args.reviews, 32)
    ]
    with tempfile.TemporaryDirectory() as scratch:
        routes = {**tensorflow_routes(module, Path(scratch)), **litert_routes(module, args.threads)}
        routes.update(onnx_routes(module, Path(scratch), args.threads))
        reference = [routes["tensorflow_float32"](b) for b in batches]
        found = {}
        for name, call in routes.items():
            found[name] = measure(call, singles, batches, reference)
            print(name, found[name], file=sys.stderr, flush=True)
    print(
        json.dumps(
            {"cpu": cpu_model(), "run": args.run, "threads": args.threads, "routes": found},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
