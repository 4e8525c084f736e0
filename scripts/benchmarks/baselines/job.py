"""The job both baselines run, as they share it: its flags, its rows, its F1, and a
stdout that carries the JSON alone. Standard library and numpy only: it is imported
by a PyTorch interpreter and by a Keras 3 one."""

import argparse
import contextlib
import json
import sys

import numpy as np


def parse_job(description: str, precisions: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", required=True, help="a folder with train.jsonl and test.jsonl")
    parser.add_argument("--model", required=True, help="the Hugging Face checkpoint folder")
    parser.add_argument("--precision", choices=precisions, default=precisions[0])
    # The recipe, which benchmark_baselines passes from bert-keras's TrainConfig: one source.
    for flag, kind in (
        ("--epochs", int),
        ("--train-last", int),
        ("--max-seq-length", int),
        ("--batch-size", int),
        ("--learning-rate", float),
        ("--weight-decay", float),
        ("--warmup-fraction", float),
        ("--clip-norm", float),
        ("--seed", int),
    ):
        parser.add_argument(flag, type=kind, required=True)
    return parser.parse_args()


def read_rows(path) -> list[dict]:
    """[{"text", "label"}] of a rows file benchmark_baselines wrote."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def f1_score(labels: np.ndarray, predicted: np.ndarray) -> float:
    true_positives = float(np.sum((predicted == 1) & (labels == 1)))
    return round(
        2 * true_positives / max(float(np.sum(predicted == 1) + np.sum(labels == 1)), 1.0), 6
    )


def report(run, args):
    """Prints run(args)'s dict as the only line on stdout (what the libraries print goes to
    stderr)."""
    with contextlib.redirect_stdout(sys.stderr):
        result = run(args)
    print(json.dumps(result))
