"""Median training-step time against the number of trainable blocks; prints JSON.

    .venv/bin/python scripts/benchmarks/bench_freezing.py --encoder minilm-l6

K trainable blocks means FreezeSpec(train_last=K): the last K blocks, the pooler
and the head train; embeddings and the other blocks are frozen. K equal to the
encoder's depth trains every block (embeddings stay frozen only when K < depth).
The forward-only step is the same model called with training=False, no gradients.
"""

import argparse
import functools
import json
import statistics
import time

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)

# isort: split
import numpy as np
import tensorflow as tf
import tf_keras

from bert_keras.config import COMPUTE_PRECISIONS
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import encoder_metadata, resolve_encoder
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.classifier import build_classifier


def timed(step, warmup, steps) -> float:
    """Median seconds of `step` after `warmup` untimed calls (tracing, allocation)."""
    for _ in range(warmup):
        step()
    durations = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-length", type=int, default=128)
    parser.add_argument("--trainable-blocks", type=int, nargs="+", default=[0, 1, 2, 4, 6])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--precision", default="float32", choices=COMPUTE_PRECISIONS)
    args = parser.parse_args()

    paths = resolve_encoder(args.encoder)
    vocab_size = encoder_metadata(paths).get("config", {}).get("vocab_size", 1000)
    rng = np.random.default_rng(0)
    low = min(1000, vocab_size // 2)  # past the special tokens and unused slots
    ids = rng.integers(low, vocab_size, size=(args.batch_size, args.seq_length)).astype(np.int32)
    inputs = {
        "input_word_ids": tf.constant(ids),
        "input_mask": tf.ones_like(ids),
        "input_type_ids": tf.zeros_like(ids),
    }
    labels = tf.constant(rng.integers(0, 2, size=(args.batch_size, 1)).astype(np.float32))

    results = dict(
        encoder=args.encoder,
        precision=args.precision,
        batch_size=args.batch_size,
        seq_length=args.seq_length,
        timed_steps=args.steps,
        train_step_seconds={},
        trainable_params={},
    )
    for blocks in args.trainable_blocks:
        model = build_classifier(encoder_for(paths, args.precision), FreezeSpec(train_last=blocks))
        model.compile(optimizer=tf_keras.optimizers.AdamW(2e-5), loss="binary_crossentropy")
        results["train_step_seconds"][blocks] = round(
            timed(functools.partial(model.train_on_batch, inputs, labels), args.warmup, args.steps),
            3,
        )
        results["trainable_params"][blocks] = int(
            sum(v.shape.num_elements() for v in model.trainable_weights)
        )
        if blocks == args.trainable_blocks[0]:
            forward = tf.function(functools.partial(model, inputs, training=False))
            results["forward_only_seconds"] = round(timed(forward, args.warmup, args.steps), 3)
        tf_keras.backend.clear_session()
    times = results["train_step_seconds"]
    if 2 in times and max(times) in times:
        results["k2_over_all_trainable"] = round(times[2] / times[max(times)], 3)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
