"""bert-keras's original recipe as a Hugging Face Trainer job: one side of
scripts/benchmarks/benchmark_baselines.py, which runs it with a Python that has torch and
transformers (never the project's venv: the package has no PyTorch in it).

    python scripts/benchmarks/baselines/hf_trainer.py --rows DIR --model DIR \
        [--precision float32|bf16] RECIPE FLAGS

The same job as `bert-keras train`: the same weights (the built-in encoder's
checkpoint), the same texts and labels (DIR/{train,test}.jsonl, written by the
benchmark from bert-keras's own splits), the last 2 blocks + pooler + a 1-unit
sigmoid head trainable, AdamW at 1e-4 with weight decay 0.01 (not on biases or
LayerNorm), 10% linear warm-up then linear decay, gradient norm clipped at 1,
batch 32, 128 tokens, each batch padded to its longest review (Trainer's usual
DataCollatorWithPadding); the recipe's numbers come as flags from bert-keras's
TrainConfig defaults. Prints JSON: the training loop's seconds (Trainer's
`train_runtime`, no evaluation inside it), examples/s and test F1.
"""

import tempfile
import time

import numpy as np
import torch
from job import f1_score, parse_job, read_rows, report
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
)


def encode(tokenizer, rows: list[dict], max_seq_length: int) -> list[dict]:
    tokens = tokenizer([row["text"] for row in rows], truncation=True, max_length=max_seq_length)
    return [
        {
            "input_ids": ids,
            "token_type_ids": types,
            "attention_mask": mask,
            "labels": [float(row["label"])],
        }
        for ids, types, mask, row in zip(
            tokens["input_ids"],
            tokens["token_type_ids"],
            tokens["attention_mask"],
            rows,
            strict=True,
        )
    ]


def freeze_all_but_last(model, train_last: int):
    """Embeddings and every block before the last `train_last` stop training (the pooler and
    the head keep training)."""
    blocks = model.bert.encoder.layer
    for module in [model.bert.embeddings, *blocks[: len(blocks) - train_last]]:
        for parameter in module.parameters():
            parameter.requires_grad = False


def run(args) -> dict:
    torch.manual_seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    # One sigmoid unit with binary cross-entropy, as bert-keras's head.
    model = AutoModelForSequenceClassification.from_pretrained(
        args.model, num_labels=1, problem_type="multi_label_classification"
    )
    freeze_all_but_last(model, args.train_last)
    train = encode(tokenizer, read_rows(f"{args.rows}/train.jsonl"), args.max_seq_length)
    test_rows = read_rows(f"{args.rows}/test.jsonl")
    with tempfile.TemporaryDirectory() as out:
        settings = TrainingArguments(
            output_dir=out,
            num_train_epochs=args.epochs,
            per_device_train_batch_size=args.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=args.learning_rate,
            weight_decay=args.weight_decay,
            warmup_steps=args.warmup_fraction,
            lr_scheduler_type="linear",
            max_grad_norm=args.clip_norm,
            bf16=args.precision == "bf16",
            use_cpu=True,
            seed=args.seed,
            eval_strategy="no",
            save_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=model,
            args=settings,
            train_dataset=train,
            data_collator=DataCollatorWithPadding(tokenizer),
        )
        start = time.perf_counter()
        runtime = trainer.train().metrics["train_runtime"]
        wall = time.perf_counter() - start
        logits = trainer.predict(
            encode(tokenizer, test_rows, args.max_seq_length)
        ).predictions.reshape(-1)
    labels = np.array([row["label"] for row in test_rows])
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "precision": args.precision,
        "train_examples": len(train) * args.epochs,
        "train_seconds": round(runtime, 2),
        "train_wall_seconds": round(wall, 2),
        "train_examples_per_second": round(len(train) * args.epochs / runtime, 2),
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "test_f1": f1_score(labels, (logits > 0).astype(int)),
    }


def main():
    report(run, parse_job(__doc__.splitlines()[0], ["float32", "bf16"]))


if __name__ == "__main__":
    main()
