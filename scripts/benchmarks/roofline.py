"""How close a recipe's training runs to this CPU's matrix-product speed; prints JSON.

    .venv/bin/python scripts/benchmarks/roofline.py [--data FOLDER] [--train-last 2] \
        [--batch-size 32] [--run RUN_DIR ...]      (from the checkout: its saved_models/)

FLOPs per review. A BERT block over L tokens (hidden H, intermediate I) multiplies
    4 [L, H] x [H, H] (query, key, value, output) + [L, H] x [H, I] + [L, I] x [I, H]
    + 2 [L, H] x [H, L]-sized products per head summed (scores, context):
    forward = 2 L (4 H^2 + 2 H I) + 4 L^2 H,
and a trained block's backward twice that (the gradients of its inputs and of its weights).
Inline, the original recipe runs all blocks forward and the trained ones backward; from the cache,
only the trained ones, forward and back; evaluation, all blocks forward (the pooler and head:
under 0.1%, left out). L is the mean width of training's batches (their length buckets'),
measured on the data. The formula is checked against a count of the matrix products (MatMul,
BatchMatMulV2, Einsum) in the graph of the encoder's own forward at that width.

The ceiling: each product shape timed with `tf.linalg.matmul` at the batch's rows (B x L) in
float32 and bfloat16; a review's products at those speeds give the reviews/s no run can pass.
With `--run`, each run's measured examples/s (metrics.json: training inline or cached, as its
frozen_prefix.json says, and evaluation) over the ceiling of its precision.
"""

import argparse
import json
import time
from pathlib import Path

import bert_keras  # noqa: F401  (tf_keras before TensorFlow)

# isort: split
import numpy as np
import tensorflow as tf
from benchmark_commits import cpu_model
from local_copy import LOCAL_COPY

from bert_keras.config import data_spec
from bert_keras.data.pipeline import encode_batches
from bert_keras.data.sources import load_splits
from bert_keras.encoders.bert_config import BertConfig
from bert_keras.encoders.network import build_encoder
from bert_keras.encoders.resolve import encoder_metadata, load_preprocessor, resolve_encoder

PRODUCTS = ("MatMul", "BatchMatMulV2", "Einsum")


def block_flops(hidden: int, intermediate: int, length: float) -> float:
    """A block's forward over one review of `length` tokens (the docstring's formula)."""
    return 2 * length * (4 * hidden**2 + 2 * hidden * intermediate) + 4 * length**2 * hidden


def counted_flops(architecture: BertConfig, length: int, blocks: int) -> int:
    """The matrix products' FLOPs in the graph of `blocks` blocks' forward over [1, length]."""
    encoder = build_encoder(architecture)
    spec = {n: tf.TensorSpec([1, length], tf.int32) for n in encoder.input}
    graph = encoder.hidden_state_at.get_concrete_function(spec, blocks).graph
    total = 0
    for op in graph.get_operations():
        if op.type not in PRODUCTS:
            continue
        a, b = (t.shape.as_list() for t in op.inputs[:2])
        if op.type == "Einsum":  # 2 x every index's size, each counted once
            inputs = op.get_attr("equation").decode().split("->")[0].split(",")
            sizes = {
                c: n
                for name, shape in zip(inputs, (a, b), strict=True)
                for c, n in zip(name, shape, strict=True)
            }
            total += 2 * int(np.prod(list(sizes.values())))
        else:
            if op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x"):
                a = a[:-2] + a[-2:][::-1]
            if op.get_attr("transpose_b" if op.type == "MatMul" else "adj_y"):
                b = b[:-2] + b[-2:][::-1]
            total += 2 * int(np.prod(a)) * b[-1]
    return total


def mean_width(encoder: str, data: str, batch_size: int, max_seq_length: int) -> float:
    """Tokens a training review takes in its batch: the bucket width, padding included."""
    preprocessor = load_preprocessor(resolve_encoder(encoder))
    train = load_splits(data_spec(data)).train
    pipeline = encode_batches(
        train.examples, preprocessor, batch_size, max_seq_length, "title_content"
    )
    widths = [(int(i["input_mask"].shape[1]), int(i["input_mask"].shape[0])) for i, _ in pipeline]
    return sum(w * n for w, n in widths) / sum(n for _, n in widths)


def product_speed(rows: int, inner: int, outer: int, dtype) -> float:
    """GFLOP/s of [rows, inner] x [inner, outer] in `dtype`, timed over at least a second."""
    a = tf.random.normal([rows, inner], dtype=tf.float32)
    b = tf.random.normal([inner, outer], dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(b, dtype)
    tf.linalg.matmul(a, b).numpy()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        product = tf.linalg.matmul(a, b)
        count += 1
    product.numpy()
    return 2 * rows * inner * outer * count / (time.perf_counter() - start) / 1e9


def ceiling(architecture: BertConfig, length: float, batch: int, dtype) -> tuple[dict, float]:
    """({shape: GFLOP/s}, seconds of one block's forward over one review at those speeds)."""
    hidden, inner = architecture.hidden_size, architecture.intermediate_size
    rows = int(round(batch * length))
    shapes = {"HxH": (hidden, hidden), "HxI": (hidden, inner), "IxH": (inner, hidden)}
    speeds = {name: product_speed(rows, *dims, dtype) for name, dims in shapes.items()}
    seconds = 2 * length * (4 * hidden**2 / speeds["HxH"] + hidden * inner / speeds["HxI"])
    seconds += 2 * length * inner * hidden / speeds["IxH"]
    seconds += 4 * length**2 * hidden / speeds["HxH"]  # attention's: at the smallest's speed
    return {k: round(v, 1) for k, v in speeds.items()}, seconds / 1e9


def achieved(run: Path, ceilings: dict) -> dict:
    """A run's measured examples/s against its precision's ceilings: training's over its
    fastest epoch (a cached run's build apart), evaluation's over the test split."""
    metrics = json.loads((run / "metrics.json").read_text())
    mode = json.loads((run / "frozen_prefix.json").read_text())["mode"]
    precision = "bfloat16" if "bfloat16" in metrics["dtype_policy"] else "float32"
    epochs = metrics["epoch_seconds"]
    measured = {
        "inline" if mode == "inline" else "cached": metrics["train_examples"]
        / len(epochs)
        / min(epochs),
        "evaluation": metrics["eval_examples_per_second"],
    }
    return {
        "run": str(run),
        "precision": precision,
        **{
            kind: dict(
                reviews_per_second=round(value, 1),
                of_ceiling=round(value / ceilings[precision][kind], 3),
            )
            for kind, value in measured.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", default="minilm-l6", help="one bert-keras converted")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--train-last", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--run", nargs="*", default=[])
    args = parser.parse_args()
    paths = resolve_encoder(args.encoder)
    architecture = BertConfig(**encoder_metadata(paths)["config"])
    depth, trained = architecture.num_hidden_layers, args.train_last
    length = mean_width(args.encoder, args.data, args.batch_size, args.max_seq_length)
    block = block_flops(architecture.hidden_size, architecture.intermediate_size, length)
    work = {  # block forwards per review: a trained block's backward is two
        "inline": depth + 2 * trained,
        "cached": 3 * trained,
        "evaluation": depth,
    }
    check_length = int(round(length))
    counted = counted_flops(architecture, check_length, depth)
    formula = depth * block_flops(
        architecture.hidden_size, architecture.intermediate_size, check_length
    )
    speeds, ceilings = {}, {}
    for name, dtype in (("float32", tf.float32), ("bfloat16", tf.bfloat16)):
        speeds[name], seconds = ceiling(architecture, length, args.batch_size, dtype)
        ceilings[name] = {kind: round(1 / (n * seconds), 1) for kind, n in work.items()}
    report = dict(
        cpu=cpu_model(),
        recipe=dict(encoder=args.encoder, train_last=trained, batch_size=args.batch_size),
        mean_batch_width=round(length, 1),
        gflop_per_review={kind: float(f"{n * block / 1e9:.4g}") for kind, n in work.items()},
        formula_check=dict(width=check_length, formula=int(formula), counted=counted),
        product_gflops=speeds,
        ceiling_reviews_per_second=ceilings,
        runs=[achieved(Path(run), ceilings) for run in args.run],
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
