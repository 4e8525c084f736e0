"""The freeze-depth search on a local copy of the release, with the frozen prefix cached and inline
side by side in one run; prints JSON.

    .venv/bin/python scripts/benchmarks/benchmark_tune.py [--blocks 0 1 2 4 6] [--epochs 1] \
        [--precision auto] [--rounds 1]

A grid over the trainable-block counts, one trial each, minilm-l6. Each mode runs
in its own process and reports the search's wall-clock seconds (the cache's one
pass over the data included), each trial's training seconds and validation F1,
and the best depth. With --rounds 2 or more, the modes alternate (cache, inline,
inline, cache, ...), so that a machine whose speed drifts over the run slows both
alike: `ratio_search_seconds` is then the ratio of the two modes' summed seconds,
and `ratio_by_round` each round's own.
"""

import argparse
import contextlib
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local_copy import LOCAL_COPY


def run_one(args) -> dict:
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import TrainConfig
    from bert_keras.tuning.search import run_search

    with tempfile.TemporaryDirectory() as tune_dir, contextlib.redirect_stdout(sys.stderr):
        base = TrainConfig.from_settings(
            "",
            encoder=args.encoder,
            data=args.data,
            epochs=args.epochs,
            seed=args.seed,
            precision=args.precision,
            frozen_prefix=args.one,
        )
        start = time.perf_counter()
        summary = run_search(
            base,
            Path(tune_dir) / "search",
            blocks=args.blocks,
            oracle_name="grid",
            max_trials=len(args.blocks),
        )
        seconds = time.perf_counter() - start
        with open(summary["trials"]) as handle:
            trials = [
                {
                    "trainable_blocks": int(r["trainable_blocks"]),
                    "val_f1": float(r["val_f1"]),
                    "train_seconds": float(r["train_seconds"]),
                }
                for r in csv.DictReader(handle)
            ]
    return {
        "search_seconds": round(seconds, 1),
        "best_blocks": summary["best"]["hyperparameters"]["trainable_blocks"],
        "trials": sorted(trials, key=lambda t: t["trainable_blocks"]),
    }


def run_mode(mode: str) -> dict:
    """One search in `mode`, in a process of its own (so that nothing carries over)."""
    argv = [sys.executable, __file__, "--one", mode, *sys.argv[1:]]
    return json.loads(subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--blocks", type=int, nargs="+", default=[0, 1, 2, 4, 6])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"],
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each mode, alternating their order"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one mode in this process
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: must be 1 or more")
    if args.one:
        print(json.dumps(run_one(args)))
        return
    rounds = []
    for round_index in range(args.rounds):
        modes = ("cache", "inline") if round_index % 2 == 0 else ("inline", "cache")
        rounds.append({mode: run_mode(mode) for mode in modes})
    results = {
        mode: rounds[0][mode] if args.rounds == 1 else [r[mode] for r in rounds]
        for mode in ("cache", "inline")
    }
    seconds = {mode: sum(r[mode]["search_seconds"] for r in rounds) for mode in ("cache", "inline")}
    results["ratio_search_seconds"] = round(seconds["cache"] / seconds["inline"], 3)
    if args.rounds > 1:
        results["ratio_by_round"] = [
            round(r["cache"]["search_seconds"] / r["inline"]["search_seconds"], 3) for r in rounds
        ]
    results["same_best_depth"] = len({r[mode]["best_blocks"] for r in rounds for mode in r}) == 1
    print(
        json.dumps(
            {"settings": {k: v for k, v in vars(args).items() if k != "one"}, **results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
