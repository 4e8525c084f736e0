"""The freeze-depth search on the shared sample, with the frozen prefix cached and inline
side by side in one run; prints JSON.

    .venv/bin/python scripts/benchmark_tune.py [--blocks 0 1 2 4 6] [--epochs 1] [--precision auto]

A grid over the trainable-block counts, one trial each, minilm-l6. Each mode runs
in its own process and reports the search's wall-clock seconds (the cache's one
pass over the data included), each trial's training seconds and validation F1,
and the best depth.
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

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon_review_polarity_csv"


def run_one(args) -> dict:
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import TrainConfig
    from bert_keras.tuning.search import run_search
    with tempfile.TemporaryDirectory() as tune_dir, contextlib.redirect_stdout(sys.stderr):
        base = TrainConfig(out="", encoder="minilm-l6", data=args.data, epochs=args.epochs, seed=args.seed,
                           precision=args.precision, frozen_prefix=args.one)
        start = time.perf_counter()
        summary = run_search(base, Path(tune_dir) / "search", blocks=args.blocks, oracle_name="grid",
                             max_trials=len(args.blocks))
        seconds = time.perf_counter() - start
        with open(summary["trials"]) as handle:
            trials = [{"trainable_blocks": int(r["trainable_blocks"]), "val_f1": float(r["val_f1"]),
                       "train_seconds": float(r["train_seconds"])} for r in csv.DictReader(handle)]
    return {"search_seconds": round(seconds, 1), "best_blocks": summary["best"]["hyperparameters"]["trainable_blocks"],
            "trials": sorted(trials, key=lambda t: t["trainable_blocks"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA))
    parser.add_argument("--blocks", type=int, nargs="+", default=[0, 1, 2, 4, 6])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one mode in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return
    results = {mode: json.loads(subprocess.run([sys.executable, __file__, "--one", mode, *sys.argv[1:]], check=True,
                                               stdout=subprocess.PIPE, text=True).stdout)
               for mode in ("cache", "inline")}
    results["ratio_search_seconds"] = round(results["cache"]["search_seconds"] / results["inline"]["search_seconds"], 3)
    results["same_best_depth"] = results["cache"]["best_blocks"] == results["inline"]["best_blocks"]
    print(json.dumps({"settings": {k: v for k, v in vars(args).items() if k != "one"}, **results}, indent=2))


if __name__ == "__main__":
    main()
