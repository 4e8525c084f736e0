"""Training on a local copy of the Amazon Polarity release, side by side in one run; prints JSON:
the original recipe with the frozen prefix cached and inline, in one or more precisions,
or (--recipes) fine-tuning recipes against one another.

    .venv/bin/python scripts/benchmarks/benchmark_train.py [--epochs 3] [--train-last 2] \
        [--frozen-prefix cache inline] [--precision auto float32]
    .venv/bin/python scripts/benchmarks/benchmark_train.py --recipes 2 1,2,4 4@0.8 6@0.8 \
        [--epochs 3]
    .venv/bin/python scripts/benchmarks/benchmark_train.py --recipes 2 0,1,4:lr=3e-4:len=256

A recipe is K[@D][:lr=R][:len=L][:epochs=E]: train the last K blocks (with the pooler
and head), at layer-wise learning-rate decay D (default 1: off); K1,K2,... is an
unfreeze schedule (epoch e trains the last K_e blocks); R, L and E, where given,
replace --learning-rate, the max sequence length (128) and --epochs for that recipe
alone, so that recipes differing in them still run side by side. Recipes run with
`--precision auto` and `--frozen-prefix auto`, as `bert-keras train` defaults them, and
report the best epoch's validation F1 (the one to choose a recipe by), test F1 and AUC,
training seconds (the cache's build included) and examples per second.

minilm-l6, the last K blocks + pooler + head trainable; trains on
FOLDER/train.csv (less the validation carve-out) and reports the metrics on
test.csv. Each (precision, mode) runs in its own process (so its peak RSS is its
own) and reports every epoch's training seconds and the cache's build seconds.
`ratios` gives, per precision, each cached epoch after the first over the inline
epoch and the whole run's seconds cached over inline; `speedups` gives, per mode,
each precision's training examples/s over float32's, and its test F1 difference.
"""

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from local_copy import LOCAL_COPY

RECIPE_OPTIONS = {
    "lr": ("learning_rate", float),
    "len": ("max_seq_length", int),
    "epochs": ("epochs", int),
}


def parse_recipe(text: str) -> tuple[tuple[int, ...], float, dict]:
    """("1,2,4@0.8:len=256") -> ((1, 2, 4), 0.8, {"max_seq_length": 256}): the blocks each
    epoch trains, the decay, and the TrainConfig fields the recipe sets for itself."""
    recipe, *options = text.split(":")
    blocks, _, decay = recipe.partition("@")
    fields = {}
    for option in options:
        name, _, value = option.partition("=")
        field, kind = RECIPE_OPTIONS[name]  # KeyError: an unknown option
        fields[field] = kind(value)
    return tuple(int(k) for k in blocks.split(",")), float(decay or 1.0), fields


def recipe_config(recipe: str, **settings):
    """The TrainConfig of `recipe` over `settings` (the script's flags): the recipe's own win."""
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import TrainConfig
    from bert_keras.freezing.spec import FreezeSpec

    blocks, decay, fields = parse_recipe(recipe)
    return TrainConfig.from_settings(
        freeze=FreezeSpec(train_last=blocks[0]),
        unfreeze_schedule=blocks if len(blocks) > 1 else None,
        layer_lr_decay=decay,
        **(settings | fields),
    )


def recipe_error(recipe: str, epochs: int) -> str | None:
    """Why `bert-keras train` would refuse the recipe, in one line; None: it would not."""
    from bert_keras.errors import UserInputError

    try:
        recipe_config(recipe, out="recipe", epochs=epochs)
    except (ValueError, KeyError):
        return (
            "must be K or K1,K2,... (blocks trained), then optionally @D (layer-wise decay) "
            "and :lr=R, :len=L, :epochs=E"
        )
    except UserInputError as error:
        return str(error)
    return None


def run_one(args) -> dict:
    """One training in this process (a mode and precision, or a recipe): its metrics and peak
    memory."""
    from bert_keras.training.callbacks import read_history  # bert_keras first: it selects tf_keras
    from bert_keras.training.run_dir import HISTORY_FILE
    from bert_keras.training.train import train

    with (
        tempfile.TemporaryDirectory() as run_dir,
        contextlib.redirect_stdout(sys.stderr),
    ):  # stdout: JSON only
        config = recipe_config(
            args.one_recipe or str(args.train_last),
            out=run_dir,
            encoder=args.encoder,
            data=args.data,
            epochs=args.epochs,
            learning_rate=args.learning_rate,
            batch_size=args.batch_size,
            seed=args.seed,
            precision=args.one_precision,
            frozen_prefix=args.one,
        )
        metrics = train(config)
        rows = read_history(Path(run_dir) / HISTORY_FILE)  # recipes are chosen on validation
    metrics["validation_f1"] = round(float(rows[metrics["best_epoch"] - 1]["val_f1"]), 6)
    return {
        "metrics": metrics,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "settings": {
            name: config.flat()[name] for name in ("epochs", "learning_rate", "max_seq_length")
        },
    }


def _in_own_process(one: str, precision: str, recipe: str = "") -> dict:
    argv = [
        sys.executable,
        __file__,
        "--one",
        one,
        "--one-precision",
        precision,
        "--one-recipe",
        recipe,
        *sys.argv[1:],
    ]
    child = subprocess.run(argv, stdout=subprocess.PIPE, text=True)
    if child.returncode:  # it said why on stderr
        sys.exit(child.returncode)
    return json.loads(child.stdout)


def compare_recipes(args) -> dict:
    runs = {}
    for recipe in args.recipes:
        result = _in_own_process("auto", "auto", recipe)
        metrics = result["metrics"]
        blocks, decay, _ = parse_recipe(recipe)
        runs[recipe] = {
            "trainable_blocks": list(blocks),
            "layer_lr_decay": decay,
            **result["settings"],
            "validation_f1": metrics["validation_f1"],
            "test_f1": metrics["f1"],
            "test_auc": metrics["auc"],
            "train_seconds": metrics["train_seconds"],
            "epoch_seconds": metrics["epoch_seconds"],
            "train_examples_per_second": metrics["train_examples_per_second"],
            "dtype_policy": metrics["dtype_policy"],
            "frozen_prefix": metrics["frozen_prefix"]["mode"],
        }
    return runs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="minilm-l6")
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-last", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--precision",
        nargs="+",
        default=["float32"],
        choices=["auto", "float32", "mixed_bfloat16", "mixed_float16"],
    )
    parser.add_argument(
        "--frozen-prefix", nargs="+", default=["cache", "inline"], choices=["cache", "inline"]
    )
    parser.add_argument(
        "--recipes",
        nargs="+",
        metavar="K[@D][:lr=R][:len=L][:epochs=E]",
        help="compare fine-tuning recipes instead",
    )
    # internal: run one training in this process
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--one-precision", help=argparse.SUPPRESS)
    parser.add_argument("--one-recipe", help=argparse.SUPPRESS)
    return parser


def main():
    parser = _parser()
    args = parser.parse_args()
    for recipe in args.recipes or []:  # a malformed one fails before any training
        if error := recipe_error(recipe, args.epochs):
            parser.error(f"--recipes {recipe}: {error}")
    if args.one:
        from bert_keras.errors import UserInputError

        try:
            print(json.dumps(run_one(args)))
        except UserInputError as error:  # e.g. --data: one line, no traceback
            parser.exit(2, f"{parser.prog}: {error}\n")
        return
    summary = {
        "settings": {k: v for k, v in vars(args).items() if not k.startswith("one")},
        "runs": {},
    }
    if args.recipes:
        summary["runs"] = compare_recipes(args)
        print(json.dumps(summary, indent=2))
        return
    for precision in args.precision:
        for mode in args.frozen_prefix:
            result = _in_own_process(mode, precision)
            metrics = result["metrics"]
            summary["runs"][f"{precision} {mode}"] = {
                "dtype_policy": metrics["dtype_policy"],
                "epoch_seconds": metrics["epoch_seconds"],
                "cache": metrics["frozen_prefix"],
                "train_seconds": metrics["train_seconds"],
                "train_examples_per_second": metrics["train_examples_per_second"],
                "test_f1": metrics["f1"],
                "test_auc": metrics["auc"],
                "peak_rss_mib": result["peak_rss_mib"],
            }
    summary["ratios"] = _cache_ratios(summary["runs"], args.precision)
    summary["speedups"] = _precision_speedups(summary["runs"], args.precision, args.frozen_prefix)
    print(json.dumps(summary, indent=2))


def _cache_ratios(runs: dict, precisions) -> dict:
    ratios = {}
    for precision in precisions:
        cached, inline = runs.get(f"{precision} cache"), runs.get(f"{precision} inline")
        if cached and inline:
            ratios[precision] = {
                "epochs_after_the_first": [
                    round(c / i, 3)
                    for c, i in zip(
                        cached["epoch_seconds"][1:], inline["epoch_seconds"][1:], strict=True
                    )
                ],
                "whole_run": round(cached["train_seconds"] / inline["train_seconds"], 3),
                "test_f1_difference": round(cached["test_f1"] - inline["test_f1"], 4),
            }
    return ratios


def _precision_speedups(runs: dict, precisions, modes) -> dict:
    speedups = {}
    for mode in modes:
        float32 = runs.get(f"float32 {mode}")
        for precision in (p for p in precisions if p != "float32" and float32):
            run = runs[f"{precision} {mode}"]
            speedups[f"{precision} {mode}"] = {
                "examples_per_second_over_float32": round(
                    run["train_examples_per_second"] / float32["train_examples_per_second"], 3
                ),
                "test_f1_difference": round(run["test_f1"] - float32["test_f1"], 4),
            }
    return speedups


if __name__ == "__main__":
    main()
