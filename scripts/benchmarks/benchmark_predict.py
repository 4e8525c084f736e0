"""Reviews per second through an export: raw text (serving_default) and tf.Example
(from_examples), side by side in one run; prints JSON.

    .venv/bin/python scripts/benchmarks/benchmark_predict.py --model saved_models/sentiment

Reads the test reviews of a local copy of the release and scores them all in batches of
--batch-size (sorted
by length, as `bert-keras predict` does) after one untimed pass per signature (a
server warmed up by the export's warm-up requests is in that state): raw
text as the model saw it in training (title and content joined), tf.Example with the
title and content as separate `title` and `text` features, joined in the graph.
"""

import argparse
import json
import time

import numpy as np

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)

# isort: split
import tensorflow as tf
from local_copy import LOCAL_COPY

from bert_keras.data.pipeline import review_text
from bert_keras.data.records import read_records
from bert_keras.serving.client import examples_request
from bert_keras.serving.predict import Predictor


def _timed(call, batches) -> tuple[float, np.ndarray]:
    # warm-up, as TF Serving's warm-up file does: tracing, and each shape's first run
    for batch in batches:
        call(batch)
    start = time.perf_counter()
    probabilities = np.concatenate([call(batch) for batch in batches])
    return time.perf_counter() - start, probabilities


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export version or model directory")
    parser.add_argument("--data", default=str(LOCAL_COPY / "test.csv"))
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    records = read_records(args.data).records
    joined = review_text(
        {
            "title": tf.constant([r.title for r in records]),
            "content": tf.constant([r.content for r in records]),
        },
        "title_content",
    ).numpy()
    order = np.argsort([len(text) for text in joined], kind="stable")
    chunks = [order[i : i + args.batch_size] for i in range(0, len(order), args.batch_size)]
    predictor = Predictor(args.model)
    examples = tf.make_ndarray(
        examples_request("", [r.content for r in records], [r.title for r in records]).inputs[
            "examples"
        ]
    )
    serve_examples = predictor.signatures["from_examples"]
    text_seconds, by_text = _timed(
        lambda c: predictor.signature(text=tf.constant(joined[c]))["probability"].numpy(), chunks
    )
    example_seconds, by_example = _timed(
        lambda c: serve_examples(examples=tf.constant(examples[c]))["probability"].numpy(), chunks
    )
    n = len(records)
    print(
        json.dumps(
            {
                "model": str(predictor.version_dir),
                "reviews": n,
                "batch_size": args.batch_size,
                "text_seconds": round(text_seconds, 2),
                "reviews_per_second": round(n / text_seconds, 1),
                "examples_seconds": round(example_seconds, 2),
                "examples_reviews_per_second": round(n / example_seconds, 1),
                "max_abs_difference_text_vs_examples": float(np.max(np.abs(by_text - by_example))),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
