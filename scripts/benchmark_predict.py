"""Raw-text reviews per second through an export's serving_default; prints JSON.

    .venv/bin/python scripts/benchmark_predict.py --model saved_models/sentiment

Reads the shared test reviews (title and content joined, as in training) and
scores them all in batches of --batch-size after one warm-up batch.
"""
import argparse
import json
import time
from pathlib import Path

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
import tensorflow as tf

from bert_keras.data.pipeline import review_text
from bert_keras.data.records import read_records
from bert_keras.serving.predict import Predictor

SHARED_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon_review_polarity_csv" / "test.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export version or model directory")
    parser.add_argument("--data", default=str(SHARED_TEST))
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    records = read_records(args.data).records
    joined = review_text({"title": tf.constant([r.title for r in records]),
                          "content": tf.constant([r.content for r in records])}, "title_content")
    reviews = [text.decode("utf-8") for text in joined.numpy()]  # as the model saw them in training
    predictor = Predictor(args.model)
    predictor(reviews[:args.batch_size], args.batch_size)  # warm-up: first-call tracing
    start = time.perf_counter()
    rows = predictor(reviews, args.batch_size)
    seconds = time.perf_counter() - start
    print(json.dumps({"model": str(predictor.version_dir), "reviews": len(rows), "batch_size": args.batch_size,
                      "seconds": round(seconds, 2), "reviews_per_second": round(len(rows) / seconds, 1)}, indent=2))


if __name__ == "__main__":
    main()
