"""The original recipe (`make train`'s: minilm-l6, the last 2 blocks, 1 epoch, a local copy of the
Amazon Polarity release) trained by two commits side by side, alternating, in one run; prints JSON:
each run's test F1, AUC and training examples/s, each commit's median, and the head's
examples/s over the base's. A change that should not move the default recipe shows it here.

    .venv/bin/python scripts/benchmarks/benchmark_commits.py BASE [HEAD] [--runs 2] [--epochs 1] \
        [--encoder minilm-l6] [--data FOLDER] [-- FLAGS]

FLAGS after `--` go to every `bert-keras train` as they are (e.g. `-- --batch-size 8`).

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

from local_copy import LOCAL_COPY

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "saved_models"
TRAIN = "from bert_keras.cli import main; import sys; sys.exit(main(sys.argv[1:]))"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def train_once(tree: Path, out: Path, args) -> dict:
    argv = (
        f"train --encoder {args.encoder} --data {args.data} --train-last 2 --epochs {args.epochs}"
    )
    done = subprocess.run(
        [sys.executable, "-c", TRAIN, *argv.split(), "--out", str(out), *args.flags],
        cwd=tree,
        # one converted built-in encoder for both: this checkout's
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin", "BERT_KERAS_HOME": str(HOME)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"benchmark_commits: training {tree.name} failed: {done.stderr.strip()[-2000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {k: metrics[k] for k in ("f1", "auc", "train_examples_per_second", "dtype_policy")}


def main():
    argv, flags = sys.argv[1:], []
    if "--" in argv:  # what follows goes to every train as it is
        argv, flags = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    args = parser.parse_args(argv)
    args.flags = flags
    commits = {"base": args.base, "head": args.head}
    runs = {"base": [], "head": []}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {side: Path(scratch) / side for side in commits}
        try:
            for side, tree in trees.items():
                add = ["git", "worktree", "add", "--detach", str(tree), commits[side]]
                subprocess.run(add, cwd=ROOT, check=True, capture_output=True)
            for run in range(args.runs):
                for side in runs:  # alternating: drift in the machine falls on both
                    out = Path(scratch) / f"{side}-run-{run}"
                    runs[side].append(train_once(trees[side], out, args))
                    print(side, commits[side], runs[side][-1], file=sys.stderr, flush=True)
        finally:
            for tree in trees.values():
                remove = ["git", "worktree", "remove", "--force", str(tree)]
                subprocess.run(remove, cwd=ROOT, check=False, capture_output=True)
    keys = ("f1", "auc", "train_examples_per_second")
    medians = {
        side: {k: statistics.median(r[k] for r in rs) for k in keys} for side, rs in runs.items()
    }
    speed = (
        medians["head"]["train_examples_per_second"] / medians["base"]["train_examples_per_second"]
    )
    result = {
        "cpu": cpu_model(),
        "commits": commits,
        "runs": runs,
        "medians": medians,
        "head_over_base_examples_per_second": round(speed, 3),
        "f1_difference": round(medians["head"]["f1"] - medians["base"]["f1"], 6),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
