"""bert-keras's original recipe against the same job in the Hugging Face Trainer and in
KerasHub, side by side in one run; prints JSON.

    .venv/bin/python scripts/benchmarks/benchmark_baselines.py --torch-python HF_VENV/bin/python \\
        --keras-hub-path KERAS_HUB_DIR [--epochs 3] [--precision float32 bfloat16]

The job: minilm-l6's weights, a local copy of the release's training reviews (bert-keras's
own split and texts, written once for all three), the last 2 blocks + pooler +
sigmoid head trainable, AdamW 1e-4, 10% warm-up, batch 32, 128 tokens, then F1 on
test.csv. bert-keras runs through scripts/benchmarks/benchmark_train.py (frozen prefix cached
and inline); the others through scripts/benchmarks/baselines/. Each training runs in its own
process, one after another. Reported per precision: each one's training seconds
(training steps only; bert-keras's cache build included), examples/s and test F1,
and bert-keras's examples/s over each baseline's.

Neither baseline is a dependency of bert-keras; set them up beside it:

    python3 -m venv /tmp/hf && /tmp/hf/bin/pip install torch transformers accelerate
    .venv/bin/pip install --no-deps --target /tmp/keras-hub keras-hub kagglehub kagglesdk regex \\
        sentencepiece tokenizers
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from local_copy import LOCAL_COPY

SCRIPTS = Path(__file__).resolve().parent
# bert-keras's policy, the Trainer's flag and KerasHub's policy for each precision.
PRECISIONS = {
    "float32": ("float32", "float32", "float32"),
    "bfloat16": ("mixed_bfloat16", "bf16", "mixed_bfloat16"),
}


def write_rows(data: str, folder: Path):
    """folder/{train,test}.jsonl: {"text", "label"} of bert-keras's own training and test splits."""
    import bert_keras  # noqa: F401  (before TensorFlow: selects tf_keras)
    from bert_keras.config import data_spec
    from bert_keras.data.pipeline import review_text
    from bert_keras.data.sources import load_splits

    spec = data_spec(data)
    splits = load_splits(spec)
    for split in (splits.train, splits.test):
        with open(folder / f"{split.name}.jsonl", "w", encoding="utf-8") as handle:
            for batch in split.examples.batch(1024):
                texts = review_text(batch, spec.text_fields).numpy()
                for text, label in zip(texts, batch["label"].numpy(), strict=True):
                    handle.write(
                        json.dumps({"text": text.decode("utf-8"), "label": int(label)}) + "\n"
                    )


def run_json(argv: list[str], env: dict | None = None) -> dict:
    """The JSON a child prints on stdout; its stderr passes through."""
    child = subprocess.run(argv, stdout=subprocess.PIPE, text=True, env=env)
    if child.returncode:
        sys.exit(f"{Path(argv[1]).name} failed (exit {child.returncode}); see its stderr above")
    return json.loads(child.stdout)


def bert_keras_runs(args, policy: str) -> dict:
    summary = run_json(
        [
            sys.executable,
            str(SCRIPTS / "benchmark_train.py"),
            "--data",
            args.data,
            "--epochs",
            str(args.epochs),
            "--precision",
            policy,
            "--frozen-prefix",
            "cache",
            "inline",
        ]
    )
    return {
        f"bert-keras {mode}": {
            key: run[key]
            for key in ("train_seconds", "train_examples_per_second", "test_f1", "dtype_policy")
        }
        for mode, run in ((name.split()[-1], run) for name, run in summary["runs"].items())
    }


def recipe_flags(epochs: int) -> list[str]:
    """The original recipe as the baselines' flags, read from bert-keras's own defaults."""
    from bert_keras.config import TrainConfig

    config = TrainConfig.from_settings("unused", epochs=epochs)
    recipe = {
        "epochs": epochs,
        "train-last": config.freeze.train_last,
        "max-seq-length": config.model.max_seq_length,
        "batch-size": config.optimizer.batch_size,
        "learning-rate": config.optimizer.learning_rate,
        "weight-decay": config.optimizer.weight_decay,
        "warmup-fraction": config.optimizer.warmup_fraction,
        "clip-norm": config.optimizer.clip_norm,
        "seed": config.seed,
    }
    return [item for name, value in recipe.items() for item in (f"--{name}", str(value))]


def baseline_runs(args, rows: Path, model: Path, trainer_flag: str, keras_policy: str) -> dict:
    common = ["--rows", str(rows), "--model", str(model), *recipe_flags(args.epochs)]
    keras_env = {key: value for key, value in os.environ.items() if key != "TF_USE_LEGACY_KERAS"}
    keras_env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [args.keras_hub_path, keras_env.get("PYTHONPATH")])
    )
    return {
        "hugging face trainer": run_json(
            [
                args.torch_python,
                str(SCRIPTS / "baselines" / "hf_trainer.py"),
                *common,
                "--precision",
                trainer_flag,
            ]
        ),
        "keras-hub": run_json(
            [
                sys.executable,
                str(SCRIPTS / "baselines" / "keras_hub_fit.py"),
                *common,
                "--precision",
                keras_policy,
            ],
            env=keras_env,
        ),
    }


def speedups(runs: dict) -> dict:
    """bert-keras's examples/s over each baseline's."""
    return {
        f"{ours} over {theirs}": round(
            runs[ours]["train_examples_per_second"] / runs[theirs]["train_examples_per_second"], 2
        )
        for ours in runs
        if ours.startswith("bert-keras")
        for theirs in runs
        if not theirs.startswith("bert-keras")
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(LOCAL_COPY))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--precision", nargs="+", default=["float32", "bfloat16"], choices=sorted(PRECISIONS)
    )
    parser.add_argument(
        "--torch-python", required=True, help="a Python with torch and transformers"
    )
    parser.add_argument(
        "--keras-hub-path", required=True, help="a folder with keras_hub and what it needs"
    )
    args = parser.parse_args()
    if not Path(args.keras_hub_path, "keras_hub").is_dir():
        parser.error(f"--keras-hub-path {args.keras_hub_path}: no keras_hub package in it")
    if not os.access(args.torch_python, os.X_OK):
        parser.error(f"--torch-python {args.torch_python}: not an executable file")
    from bert_keras.encoders.builtin import BUILTIN_ENCODERS, checkpoint_dir
    from bert_keras.errors import UserInputError

    results = {}
    with tempfile.TemporaryDirectory() as rows:
        try:
            model = checkpoint_dir(BUILTIN_ENCODERS["minilm-l6"])
            write_rows(args.data, Path(rows))
        except UserInputError as error:  # e.g. --data: one line, no traceback
            parser.exit(2, f"{parser.prog}: {error}\n")
        for precision in args.precision:
            policy, trainer_flag, keras_policy = PRECISIONS[precision]
            runs = {
                **baseline_runs(args, Path(rows), model, trainer_flag, keras_policy),
                **bert_keras_runs(args, policy),
            }
            results[precision] = {"runs": runs, "speedups": speedups(runs)}
    print(json.dumps({"settings": vars(args), **results}, indent=2))


if __name__ == "__main__":
    main()
