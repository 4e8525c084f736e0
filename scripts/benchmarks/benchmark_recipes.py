"""Candidate default recipes measured side by side: each on subsets of a local copy of the
original CSV release (200, 700 and all its training reviews, tested on its test reviews)
and on the tests' multi-class and multi-label reviews, for several seeds, each run in a
process of its own. Prints JSON: for each recipe and data, the test F1 (macro-F1 for three
labels or more and for multi-label) of every seed, their mean and spread, the epochs run
and the wall seconds of the whole run (loading, training, evaluating).

    .venv/bin/python scripts/benchmarks/benchmark_recipes.py [--recipes original last2 ...]
        [--sizes 200 700 all] [--seeds 0 1 2] [--topics] [--data FOLDER]
        [--encoder minilm-l6] [--runs runs.jsonl] [--markdown] [--report]

Each finished run is appended to --runs as a JSON line, and a run already there is not run
again: an interrupted benchmark picks up where it stopped; `--report` runs nothing and
prints the table of the runs there (`--markdown`: also as Markdown, on stderr). A recipe
is a row of RECIPES: the settings it gives `bert_keras.train` and, for what no setting
reaches, the constants of `bert_keras.training.rounds` it sets in its own process (the
rule of `epochs="auto"`).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmark_commits import cpu_model
from local_copy import LOCAL_COPY

TESTS = Path(__file__).resolve().parents[2] / "tests"
TOPIC_SIZES = (300, 200)  # training and test reviews of the multi-class and multi-label data
RECIPES = {
    # name: (settings of bert_keras.train, constants of training.rounds)
    "original": ({"epochs": 1, "train_last": 2, "pooling": "cls"}, {}),
    "cls-last2": ({"train_last": 2, "pooling": "cls"}, {}),
    "cls-last3-lr2e-4-p1": (
        {"train_last": 3, "learning_rate": 2e-4, "pooling": "cls"},
        {"PATIENCE": 1},
    ),
    "cls-head-first-4": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4, "pooling": "cls"},
        {},
    ),
    "mean-head": ({"train_last": 0}, {}),
    "mean-last2": ({"train_last": 2}, {}),
    "mean-last2-inline": ({"train_last": 2, "frozen_prefix": "inline"}, {}),
    "mean-last2-p1": ({"train_last": 2}, {"PATIENCE": 1}),
    "mean-last2-lr2e-4": ({"train_last": 2, "learning_rate": 2e-4}, {}),
    "mean-last2-constant": ({"train_last": 2}, {"DECAY": "none"}),
    "mean-last2-min150": ({"train_last": 2}, {"MIN_STEPS": 150}),
    "mean-last3": ({"train_last": 3}, {}),
    "mean-last2-plateau": ({"train_last": 2}, {"DECAY": "plateau"}),
    "mean-last2-lr2e-4-plateau": (
        {"train_last": 2, "learning_rate": 2e-4},
        {"DECAY": "plateau"},
    ),
    "mean-last3-plateau": ({"train_last": 3}, {"DECAY": "plateau"}),
    "mean-head-first-4-plateau": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4},
        {"DECAY": "plateau"},
    ),
    "mean-head-first-4-plateau-min100": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4},
        {"DECAY": "plateau", "MIN_STEPS": 100},
    ),
    "cls-head-first-4-plateau": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4, "pooling": "cls"},
        {"DECAY": "plateau"},
    ),
    "cls-head-first-4-epochs2": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4, "pooling": "cls", "epochs": 2},
        {},
    ),
    "mean-head-first-4-epochs2": (
        {"unfreeze_schedule": "0,4", "learning_rate": 2e-4, "epochs": 2},
        {},
    ),
    "mean-last2-epochs3": ({"epochs": 3, "train_last": 2}, {}),
    "mean-last2-epochs4": ({"epochs": 4, "train_last": 2}, {}),
    "mean-last2-epochs8": ({"epochs": 8, "train_last": 2}, {}),
}


def one_run(recipe: str, data: dict, seed: int, encoder: str) -> dict:
    """In this process: `recipe` on `data` (train settings), its metrics and wall seconds."""
    import contextlib

    import bert_keras as bk
    from bert_keras.training import rounds

    settings, constants = RECIPES[recipe]
    for name, value in constants.items():
        setattr(rounds, name, value)
    settings = dict(settings)
    if "train_last" in settings:
        settings["freeze"] = bk.FreezeSpec(train_last=settings.pop("train_last"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(sys.stderr):
        metrics = bk.train(out, encoder=encoder, seed=seed, verbose=0, **data, **settings).metrics
    return {
        "f1": metrics["f1"],
        "auc": metrics.get("auc"),
        "epochs_run": metrics["epochs_run"],
        "best_epoch": metrics["best_epoch"],
        "stopped": metrics.get("stopped"),
        "train_seconds": metrics["train_seconds"],
        "wall_seconds": round(time.perf_counter() - start, 1),
    }


def datasets(folder: Path, sizes: list[str], topics: bool, scratch: Path) -> dict:
    """{name: the data settings of bert_keras.train}: the local copy's subsets (a size N
    keeps the first N / 0.9 records, so that N train once validation is carved off), and
    the tests' three-topic reviews (one topic each, and any of them)."""
    found = {}
    for size in sizes:
        limit = {} if size == "all" else {"limit": round(int(size) / 0.9)}
        found[f"amazon-{size}"] = {"data": str(folder), **limit}
    if topics:
        sys.path[:0] = [str(TESTS), str(TESTS / "training")]
        from test_multiclass import write_topics
        from test_multilabel import write_tagged

        train, test = TOPIC_SIZES
        write_topics(scratch / "topics_train.csv", train, seed=1, mislabelled=True)
        write_topics(scratch / "topics_test.csv", test, seed=2)
        write_tagged(scratch / "tags_train.jsonl", train, seed=1)
        write_tagged(scratch / "tags_test.jsonl", test, seed=2)
        found["topics"] = {
            "data": str(scratch / "topics_train.csv"),
            "test_data": str(scratch / "topics_test.csv"),
            "label_column": "topic",
        }
        found["tags"] = {
            "data": str(scratch / "tags_train.jsonl"),
            "test_data": str(scratch / "tags_test.jsonl"),
            "label_column": "tags",
            "multi_label": True,
            "allow_no_label": True,
        }
    return found


def summary(runs: list[dict]) -> dict:
    """Per recipe and data: the seeds' F1, their mean and spread, epochs and seconds."""
    table = {}
    for run in runs:
        table.setdefault(run["recipe"], {}).setdefault(run["data"], []).append(run)
    return {
        recipe: {
            data: {
                "f1": [r["f1"] for r in rows],
                "f1_mean": round(statistics.mean(r["f1"] for r in rows), 4),
                "f1_spread": round(max(r["f1"] for r in rows) - min(r["f1"] for r in rows), 4),
                "epochs_run": [r["epochs_run"] for r in rows],
                "wall_seconds_mean": round(statistics.mean(r["wall_seconds"] for r in rows), 1),
            }
            for data, rows in by_data.items()
        }
        for recipe, by_data in table.items()
    }


def markdown(table: dict) -> str:
    """`summary`'s table as Markdown: a row per recipe, a column per data; each cell the
    F1 mean, the seeds' spread, how many seeds, the epochs run and the mean wall seconds."""
    columns = sorted({data for by_data in table.values() for data in by_data}, key=_data_order)
    lines = [
        "| recipe | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for recipe, by_data in table.items():
        cells = []
        for data in columns:
            cell = by_data.get(data)
            cells.append(
                ""
                if cell is None
                else f"{cell['f1_mean']:.3f} (spread {cell['f1_spread']:.3f}, "
                f"{len(cell['f1'])} seed{'s' * (len(cell['f1']) > 1)}); epochs "
                f"{'/'.join(map(str, cell['epochs_run']))}; {cell['wall_seconds_mean']:.0f} s"
            )
        lines.append(f"| {recipe} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _data_order(name: str):
    size = name.removeprefix("amazon-")
    return (0, int(size)) if size.isdigit() else (1 if size == "all" else 2, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--sizes", nargs="+", default=["200", "700", "all"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--topics", action="store_true", help="the multi-class and multi-label")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--runs", default="recipe_runs.jsonl", help="finished runs, one a line")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown, too")
    parser.add_argument("--report", action="store_true", help="run nothing: --runs' table")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: a run, as JSON
    args = parser.parse_args()
    if args.one:
        one = json.loads(args.one)
        print(json.dumps(one_run(one["recipe"], one["data"], one["seed"], args.encoder)))
        return
    path = Path(args.runs)
    done = [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []
    sizes = [] if args.report else args.sizes
    with tempfile.TemporaryDirectory() as scratch:
        data_sets = datasets(Path(args.data), sizes, args.topics and not args.report, Path(scratch))
        for name, data in data_sets.items():
            for seed in args.seeds:
                for recipe in args.recipes:
                    key = {"recipe": recipe, "data": name, "seed": seed}
                    if any(all(run[k] == v for k, v in key.items()) for run in done):
                        continue
                    one = json.dumps({"recipe": recipe, "data": data, "seed": seed})
                    argv = [sys.executable, __file__, "--one", one, "--encoder", args.encoder]
                    child = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
                    run = {**key, **json.loads(child.stdout.splitlines()[-1])}
                    done.append(run)
                    with open(path, "a") as handle:
                        handle.write(json.dumps(run) + "\n")
    chosen = [run for run in done if run["recipe"] in args.recipes]
    chosen.sort(key=lambda run: args.recipes.index(run["recipe"]))
    table = summary(chosen)
    print(json.dumps({"cpu": cpu_model(), "recipes": table}, indent=2))
    if args.markdown:
        print(markdown(table), file=sys.stderr)


if __name__ == "__main__":
    main()
