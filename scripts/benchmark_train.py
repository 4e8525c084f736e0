"""The seed recipe on the shared Amazon Polarity sample; prints JSON.

    .venv/bin/python scripts/benchmark_train.py [--batch-size 32] [--precision mixed_bfloat16]

minilm-l6, the last 2 blocks + pooler + head trainable, 1 epoch; trains on
../shared/.../train.csv (less the validation carve-out) and reports the metrics
on test.csv. Targets on a 2-core CPU: test F1 >= 0.88, >= 30 training examples/s.
"""
import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
from bert_keras.config import PRECISIONS
from bert_keras.config import TrainConfig
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.train import train

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon_review_polarity_csv"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=TrainConfig(out="").learning_rate)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as run_dir, contextlib.redirect_stdout(sys.stderr):  # stdout: JSON only
        config = TrainConfig(out=run_dir, encoder="minilm-l6", data=args.data, freeze=FreezeSpec(train_last=2),
                             epochs=args.epochs, batch_size=args.batch_size,
                             learning_rate=args.learning_rate, seed=args.seed, precision=args.precision)
        metrics = train(config)
    print(json.dumps({"config": {k: v for k, v in config.to_dict().items() if k != "out"},
                      "metrics": metrics,
                      "targets": {"test_f1>=0.88": metrics["f1"] >= 0.88,
                                  "train_examples_per_second>=30": metrics["train_examples_per_second"] >= 30}},
                     indent=2))


if __name__ == "__main__":
    main()
