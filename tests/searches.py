"""Freeze-depth searches in tests: their command lines on synthetic reviews, and their
trials as trials.csv records them."""

import csv


def tune_argv(encoder, data, out, *extra) -> list[str]:
    """`bert-keras tune`'s argv: one epoch per trial over 0, 1 and 2 blocks, 3 trials."""
    tune = f"tune --encoder {encoder} --data {data} --out {out} --batch-size 8"
    options = "--epochs 1 --learning-rate 5e-3 --max-seq-length 32 --blocks 0 1 2 --max-trials 3"
    return [*tune.split(), *options.split(), *extra]


def few_argv(encoder, data, out, *extra) -> list[str]:
    """A search whose trials need not learn: 57 reviews to train on, 7 steps an epoch."""
    return tune_argv(encoder, data, out, "--limit", "64", *extra)


def read_trials(tune_dir) -> list[dict]:
    """trials.csv's rows, as strings."""
    with open(tune_dir / "trials.csv") as handle:
        return list(csv.DictReader(handle))
