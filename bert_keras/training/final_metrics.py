"""A run's final metrics: the best weights evaluated (on the test split; a tuning trial's
from its validation history), with throughput, sizes and what the frozen prefix did."""

import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from bert_keras.config import TrainConfig
from bert_keras.data.pipeline import evaluation_dataset, label_targets
from bert_keras.training.callbacks import read_history
from bert_keras.training.checkpoints import best_checkpoint, restore_weights
from bert_keras.training.classifier import PROBABILITY_LAYER
from bert_keras.training.job import Job
from bert_keras.training.rounds import stop_reason
from bert_keras.training.run_dir import HISTORY_FILE


def evaluate_batches(model, dataset, examples: int) -> dict:
    start = time.perf_counter()
    results = model.evaluate(dataset, return_dict=True, verbose=0)
    seconds = time.perf_counter() - start
    return {
        **{name: round(float(value), 6) for name, value in results.items()},
        "evaluated_examples": examples,
        "eval_examples_per_second": round(examples / seconds, 2),
    }


def metrics_of_logits(model, logits: np.ndarray, labels: np.ndarray) -> dict:
    """The compiled loss and metrics of `model` (what `model.evaluate` reports) for
    outputs computed from its head's `logits` ([n] or [n, N], `predictions.text_logits`)
    and the label indices [n] (multi-label: 0/1 [n, N]): an evaluation that has the
    logits needs no second pass over the data."""
    logits = logits[:, np.newaxis] if logits.ndim == 1 else logits  # [n, units]
    outputs = model.get_layer(PROBABILITY_LAYER)(tf.constant(logits))  # as the model's output
    targets = label_targets(tf.constant(labels))  # [n, 1] or [n, N], as training's
    model.reset_metrics()
    results = model.compute_metrics(None, targets, outputs, None)
    loss = model.compiled_loss(targets, outputs)  # the mean over every example
    return {"loss": round(float(loss), 6)} | {
        name: round(float(value), 6) for name, value in results.items() if name != "loss"
    }


def evaluate_model(model, split, preprocessor, config) -> dict:
    return evaluate_batches(
        model,
        evaluation_dataset(
            split,
            preprocessor,
            config.optimizer.batch_size,
            config.model.max_seq_length,
            config.data.text_fields,
        ),
        split.size,
    )


def best_epoch(rows: list[dict]) -> int:
    """The index of the history row of the best validation F1 (the first, on a tie)."""
    return max(range(len(rows)), key=lambda i: float(rows[i]["val_f1"]))


def _validation_of(row: dict, examples: int) -> dict:
    """A trial's final metrics: its best epoch's validation `row`, as that epoch's end
    measured it. Those are the weights BestWeights kept, read on the same batches:
    evaluating them again gives the same numbers for another pass over the split
    (through the whole encoder, when the trial trains inline)."""
    return {
        **{
            name[len("val_") :]: round(float(value), 6)
            for name, value in row.items()
            if name.startswith("val_")
        },
        "evaluated_examples": examples,
    }


def final_metrics(
    job: Job, config: TrainConfig, run_dir: Path, evaluate_on_test: bool, chief: bool
) -> dict:
    """The best weights on the test split, read by the model from token ids (a tuning
    trial: on the validation split, from its history), with throughput, sizes and what
    the frozen prefix did."""
    # a non-chief worker writes no history
    rows = read_history(run_dir / HISTORY_FILE) if chief else []
    final_split = job.splits.test if evaluate_on_test else job.splits.validation
    if rows and not evaluate_on_test:
        metrics = _validation_of(rows[best_epoch(rows)], final_split.size)
    else:
        best = best_checkpoint(run_dir)
        if best is not None:  # a non-chief worker keeps none
            restore_weights(job.eval_model, best, f"out={run_dir}: its best weights {best}")
        metrics = evaluate_model(job.eval_model, final_split, job.preprocessor, config)
    if not chief:
        return metrics
    cache_seconds = job.cache.info.get("seconds", 0.0)  # building the cache is training time too
    train_seconds = sum(float(row["train_seconds"]) for row in rows) + cache_seconds
    train_examples = len(rows) * job.rounds.steps * config.optimizer.batch_size
    if job.rounds.auto:  # how many rounds ran, and why no more did
        metrics["stopped"] = stop_reason([float(row["val_f1"]) for row in rows], job.rounds)
    metrics.update(
        epochs_run=len(rows),
        evaluated_on=final_split.name,
        train_examples=train_examples,
        train_seconds=round(train_seconds, 2),
        train_examples_per_second=round(train_examples / train_seconds, 2),
        epoch_seconds=[round(float(row["train_seconds"]), 2) for row in rows],
        best_epoch=1 + best_epoch(rows),
        trainable_params=int(sum(v.shape.num_elements() for v in job.model.trainable_weights)),
        total_params=int(
            sum(v.shape.num_elements() for v in job.eval_model.weights if v.dtype.is_floating)
        ),
        skipped_records=len(job.splits.skipped),
        frozen_prefix={**job.cache.plan.to_dict(), **job.cache.info},
        dtype_policy=job.record.precision,
    )
    return metrics
