"""The seed recipe (`make train`'s: minilm-l6, the last 2 blocks, 1 epoch, the shared Amazon
Polarity sample) trained by two commits side by side, alternating, in one run; prints JSON:
each run's test F1, AUC and training examples/s, each commit's median, and the head's
examples/s over the base's. A change that should not move the default recipe shows it here.

    .venv/bin/python scripts/benchmark_commits.py BASE [HEAD] [--runs 2] [--epochs 1]

Each commit is checked out with `git worktree` into a temporary directory and run with this
virtual environment, its package first on the path; the worktrees are removed at the end.
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / "saved_models"
SHARED_DATA = ROOT.parent / "shared" / "data" / "amazon_review_polarity_csv"
TRAIN = "from bert_keras.cli import main; import sys; sys.exit(main(sys.argv[1:]))"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def train_once(tree: Path, out: Path, epochs: int) -> dict:
    argv = f"train --encoder minilm-l6 --data {SHARED_DATA} --train-last 2 --epochs {epochs}"
    subprocess.run(
        [sys.executable, "-c", TRAIN, *argv.split(), "--out", str(out)],
        cwd=tree,
        # one converted built-in encoder for both: this checkout's
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "BERT_KERAS_HOME": str(HOME)},
        check=True,
        capture_output=True,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    return {k: metrics[k] for k in ("f1", "auc", "train_examples_per_second", "dtype_policy")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    runs = {args.base: [], args.head: []}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {}
        for name in runs:
            trees[name] = Path(scratch) / f"tree-{len(trees)}"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(trees[name]), name],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        try:
            for run in range(args.runs):
                for name in runs:  # alternating: drift in the machine falls on both
                    out = Path(scratch) / f"run-{run}-{len(runs[name])}-{trees[name].name}"
                    runs[name].append(train_once(trees[name], out, args.epochs))
                    print(name, runs[name][-1], file=sys.stderr, flush=True)
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
                )
    medians = {
        name: {
            k: statistics.median(r[k] for r in rs)
            for k in ("f1", "auc", "train_examples_per_second")
        }
        for name, rs in runs.items()
    }
    speed = [medians[n]["train_examples_per_second"] for n in runs]
    print(
        json.dumps(
            {
                "cpu": cpu_model(),
                "runs": runs,
                "medians": medians,
                "head_over_base_examples_per_second": round(speed[1] / speed[0], 3),
                "f1_difference": round(medians[args.head]["f1"] - medians[args.base]["f1"], 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
