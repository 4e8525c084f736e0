"""Raw-text reviews per second through an export's serving_default; prints JSON.

    .venv/bin/python scripts/benchmark_predict.py --model saved_models/sentiment

Reads the shared test reviews (title and content joined, as in training) and
scores them all in batches of --batch-size after one warm-up batch.
"""
import argparse
import json
import time
from pathlib import Path

from bert_keras.prediction import Predictor
from bert_keras.records import read_records

SHARED_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon_review_polarity_csv" / "test.csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an export version or model directory")
    parser.add_argument("--data", default=str(SHARED_TEST))
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    reviews = [f"{r.title}. {r.content}" if r.title else r.content for r in read_records(args.data).records]
    predictor = Predictor(args.model)
    list(predictor(reviews[:args.batch_size], args.batch_size))  # warm-up: first-call tracing
    start = time.perf_counter()
    rows = list(predictor(reviews, args.batch_size))
    seconds = time.perf_counter() - start
    print(json.dumps({"model": str(predictor.version_dir), "reviews": len(rows), "batch_size": args.batch_size,
                      "seconds": round(seconds, 2), "reviews_per_second": round(len(rows) / seconds, 1)}, indent=2))


if __name__ == "__main__":
    main()
