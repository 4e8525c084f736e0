"""Fine-tuning recipes side by side on the shared Amazon Polarity sample; prints JSON.

    .venv/bin/python scripts/benchmark_recipes.py [--recipes 2 1,2,4 4@0.8 6@0.8] [--epochs 3]

A recipe is K[@D]: train the last K blocks (with the pooler and head), at layer-wise
learning-rate decay D (default 1: off); K1,K2,... is an unfreeze schedule (epoch e
trains the last K_e blocks). Each runs in its own process, minilm-l6,
`--precision auto` and `--frozen-prefix auto` as `bert-keras train` defaults them,
and reports its test F1 and AUC, training seconds (the frozen-prefix cache's build
included) and training examples per second.
"""
import argparse
import contextlib
import json
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
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import TrainConfig
    from bert_keras.freezing.spec import FreezeSpec
    from bert_keras.training.train import train
    blocks, decay = parse_recipe(args.one)
    with tempfile.TemporaryDirectory() as run_dir, contextlib.redirect_stdout(sys.stderr):  # stdout: JSON only
        metrics = train(TrainConfig(out=run_dir, encoder="minilm-l6", data=args.data, epochs=args.epochs,
                                    freeze=FreezeSpec(train_last=blocks[0]), layer_lr_decay=decay, seed=args.seed,
                                    unfreeze_schedule=blocks if len(blocks) > 1 else None))
    return {"trainable_blocks": list(blocks), "layer_lr_decay": decay, "test_f1": metrics["f1"], "test_auc": metrics["auc"],
            "train_seconds": metrics["train_seconds"], "epoch_seconds": metrics["epoch_seconds"],
            "train_examples_per_second": metrics["train_examples_per_second"],
            "dtype_policy": metrics["dtype_policy"], "frozen_prefix": metrics["frozen_prefix"]["mode"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_DATA))
    parser.add_argument("--recipes", nargs="+", default=["2", "1,2,4", "4@0.8", "6@0.8"],
                        metavar="K[@D]")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one recipe in this process
    args = parser.parse_args()
    for recipe in args.recipes:  # a malformed one fails before any training
        try:
            parse_recipe(recipe)
        except ValueError:
            parser.error(f"--recipes {recipe}: must be K, K1,K2,... or either @D (blocks trained, layer-wise decay)")
    if args.one:
        print(json.dumps(run_one(args)))
        return
    runs = {recipe: json.loads(subprocess.run([sys.executable, __file__, "--one", recipe, *sys.argv[1:]],
                                              check=True, stdout=subprocess.PIPE, text=True).stdout)
            for recipe in args.recipes}
    print(json.dumps({"settings": {k: v for k, v in vars(args).items() if k != "one"}, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
