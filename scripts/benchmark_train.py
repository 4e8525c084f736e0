"""Training on the shared Amazon Polarity sample, side by side in one run; prints JSON:
the seed recipe with the frozen prefix cached and inline, in one or more precisions,
or (--recipes) fine-tuning recipes against one another.

    .venv/bin/python scripts/benchmark_train.py [--epochs 3] [--train-last 2] [--frozen-prefix cache inline]
                                                [--precision auto float32]
    .venv/bin/python scripts/benchmark_train.py --recipes 2 1,2,4 4@0.8 6@0.8 [--epochs 3]

A recipe is K[@D]: train the last K blocks (with the pooler and head), at layer-wise
learning-rate decay D (default 1: off); K1,K2,... is an unfreeze schedule (epoch e
trains the last K_e blocks). Recipes run with `--precision auto` and `--frozen-prefix
auto`, as `bert-keras train` defaults them, and report the best epoch's validation F1
(the one to choose a recipe by), test F1 and AUC, training
seconds (the cache's build included) and examples per second.

minilm-l6, the last K blocks + pooler + head trainable; trains on
../shared/.../train.csv (less the validation carve-out) and reports the metrics on
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

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "amazon_review_polarity_csv"


def parse_recipe(text: str) -> tuple[tuple[int, ...], float]:
    """("1,2,4@0.8") -> ((1, 2, 4), 0.8): the blocks each epoch trains, the decay."""
    blocks, _, decay = text.partition("@")
    return tuple(int(k) for k in blocks.split(",")), float(decay or 1.0)


def run_one(args) -> dict:
    """One training in this process (a mode and precision, or a recipe): its metrics and peak memory."""
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import TrainConfig
    from bert_keras.freezing.spec import FreezeSpec
    from bert_keras.training.callbacks import read_history
    from bert_keras.training.run_dir import HISTORY_FILE
    from bert_keras.training.train import train
    blocks, decay = parse_recipe(args.one_recipe or str(args.train_last))
    with tempfile.TemporaryDirectory() as run_dir, contextlib.redirect_stdout(sys.stderr):  # stdout: JSON only
        config = TrainConfig(out=run_dir, encoder="minilm-l6", data=args.data, freeze=FreezeSpec(train_last=blocks[0]),
                             unfreeze_schedule=blocks if len(blocks) > 1 else None, layer_lr_decay=decay,
                             epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                             seed=args.seed, precision=args.one_precision, frozen_prefix=args.one)
        metrics = train(config)
        rows = read_history(Path(run_dir) / HISTORY_FILE)  # recipes are chosen on validation
    metrics["validation_f1"] = round(float(rows[metrics["best_epoch"] - 1]["val_f1"]), 6)
    return {"metrics": metrics, "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def _in_own_process(one: str, precision: str, recipe: str = "") -> dict:
    argv = [sys.executable, __file__, "--one", one, "--one-precision", precision, "--one-recipe", recipe, *sys.argv[1:]]
    return json.loads(subprocess.run(argv, check=True, stdout=subprocess.PIPE, text=True).stdout)


def compare_recipes(args) -> dict:
    runs = {}
    for recipe in args.recipes:
        metrics = _in_own_process("auto", "auto", recipe)["metrics"]
        blocks, decay = parse_recipe(recipe)
        runs[recipe] = {"trainable_blocks": list(blocks), "layer_lr_decay": decay,
                        "validation_f1": metrics["validation_f1"], "test_f1": metrics["f1"],
                        "test_auc": metrics["auc"], "train_seconds": metrics["train_seconds"],
                        "epoch_seconds": metrics["epoch_seconds"],
                        "train_examples_per_second": metrics["train_examples_per_second"],
                        "dtype_policy": metrics["dtype_policy"], "frozen_prefix": metrics["frozen_prefix"]["mode"]}
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-last", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--precision", nargs="+", default=["float32"], choices=["auto", "float32", "mixed_bfloat16",
                                                                                "mixed_float16"])
    parser.add_argument("--frozen-prefix", nargs="+", default=["cache", "inline"], choices=["cache", "inline"])
    parser.add_argument("--recipes", nargs="+", metavar="K[@D]", help="compare fine-tuning recipes instead")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one training in this process
    parser.add_argument("--one-precision", help=argparse.SUPPRESS)
    parser.add_argument("--one-recipe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for recipe in args.recipes or []:  # a malformed one fails before any training
        try:
            parse_recipe(recipe)
        except ValueError:
            parser.error(f"--recipes {recipe}: must be K, K1,K2,... or either @D (blocks trained, layer-wise decay)")
    if args.one:
        print(json.dumps(run_one(args)))
        return
    summary = {"settings": {k: v for k, v in vars(args).items() if not k.startswith("one")}, "runs": {}}
    if args.recipes:
        summary["runs"] = compare_recipes(args)
        print(json.dumps(summary, indent=2))
        return
    for precision in args.precision:
        for mode in args.frozen_prefix:
            result = _in_own_process(mode, precision)
            metrics = result["metrics"]
            summary["runs"][f"{precision} {mode}"] = {
                "dtype_policy": metrics["dtype_policy"], "epoch_seconds": metrics["epoch_seconds"],
                "cache": metrics["frozen_prefix"], "train_seconds": metrics["train_seconds"],
                "train_examples_per_second": metrics["train_examples_per_second"], "test_f1": metrics["f1"],
                "test_auc": metrics["auc"], "peak_rss_mib": result["peak_rss_mib"]}
    summary["ratios"] = _cache_ratios(summary["runs"], args.precision)
    summary["speedups"] = _precision_speedups(summary["runs"], args.precision, args.frozen_prefix)
    print(json.dumps(summary, indent=2))


def _cache_ratios(runs: dict, precisions) -> dict:
    ratios = {}
    for precision in precisions:
        cached, inline = runs.get(f"{precision} cache"), runs.get(f"{precision} inline")
        if cached and inline:
            ratios[precision] = {
                "epochs_after_the_first": [round(c / i, 3) for c, i in zip(cached["epoch_seconds"][1:],
                                                                           inline["epoch_seconds"][1:])],
                "whole_run": round(cached["train_seconds"] / inline["train_seconds"], 3),
                "test_f1_difference": round(cached["test_f1"] - inline["test_f1"], 4)}
    return ratios


def _precision_speedups(runs: dict, precisions, modes) -> dict:
    speedups = {}
    for mode in modes:
        float32 = runs.get(f"float32 {mode}")
        for precision in (p for p in precisions if p != "float32" and float32):
            run = runs[f"{precision} {mode}"]
            speedups[f"{precision} {mode}"] = {
                "examples_per_second_over_float32": round(
                    run["train_examples_per_second"] / float32["train_examples_per_second"], 3),
                "test_f1_difference": round(run["test_f1"] - float32["test_f1"], 4)}
    return speedups


if __name__ == "__main__":
    main()
