"""`bert-keras train`: reviews -> tf.data -> model.fit under a freeze specification,
writing a run directory (see `training.run_dir`) that a re-run resumes.
"""
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.config import TrainConfig
from bert_keras.data.pipeline import evaluation_dataset, training_stream
from bert_keras.data.sources import Splits, load_splits
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import load_preprocessor, resolve_encoder
from bert_keras.errors import TrainingDiverged, UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.freezing.sublayers import position_table_length
from bert_keras.training.callbacks import BestWeights, EpochSummaries, EpochTimer, HistoryLog, read_history
from bert_keras.training.checkpoints import BACKUP_DIR, BEST_DIR, backup_checkpoint, best_checkpoint, check_backup_fits, restore_weights, saved_epoch
from bert_keras.training.classifier import ENCODER_LAYER, build_classifier
from bert_keras.training.distribution import cluster_size, is_chief, make_strategy, task
from bert_keras.training.optimizer import make_optimizer
from bert_keras.training.run_dir import (CURVES_FILE, HISTORY_FILE, LOG_DIR, METRICS_FILE, claim_run_dir,
                                         finished_metrics, read_run)



def classification_metrics():
    return [tf_keras.metrics.BinaryAccuracy(name="accuracy"),
            tf_keras.metrics.Precision(name="precision"),
            tf_keras.metrics.Recall(name="recall"),
            tf_keras.metrics.F1Score(average="micro", threshold=0.5, name="f1"),
            tf_keras.metrics.AUC(name="auc")]


def build_compiled_classifier(config: TrainConfig, encoder_path: str, total_steps: int):
    """`encoder_path`: the encoder SavedModel in the run's precision (`precision.encoder_for`)."""
    model = build_classifier(encoder_path, config.freeze, config.dropout, config.seed)
    model.compile(optimizer=make_optimizer(config, total_steps),
                  loss=tf_keras.losses.BinaryCrossentropy(), metrics=classification_metrics())
    return model


def _steps_per_epoch(strategy, train_size: int, batch_size: int) -> tuple[int, int]:
    """(global steps per epoch, per-replica batch), equal on every worker."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise UserInputError(f"--batch-size {batch_size}: must be a multiple of the {replicas} replicas")
    workers = max(1, cluster_size())
    per_replica = batch_size // replicas
    steps = (train_size // workers) // per_replica // (replicas // workers)
    if steps < 1:
        raise UserInputError(f"--batch-size {batch_size}: larger than the {train_size} training examples")
    return steps, per_replica


def _write_replica_checksum(run_dir: Path, model):
    """In a cluster, each worker records a digest of its weights: replicas must agree."""
    task_type, index = task()
    digest = {variable.name: float(np.sum(np.abs(variable.numpy()), dtype=np.float64))
              for variable in model.trainable_weights}
    path = run_dir / "workers" / f"{task_type}-{index}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(digest, indent=1, sort_keys=True))


def evaluate_model(model, split, preprocessor, config) -> dict:
    dataset = evaluation_dataset(split, preprocessor, config.batch_size, config.max_seq_length,
                                 config.text_fields)
    start = time.perf_counter()
    results = model.evaluate(dataset, return_dict=True, verbose=0)
    seconds = time.perf_counter() - start
    return {**{name: round(float(value), 6) for name, value in results.items()},
            "evaluated_examples": split.size, "eval_examples_per_second": round(split.size / seconds, 2)}


@dataclasses.dataclass
class _Job:
    """Everything a run needs, loaded before RUN_DIR is touched."""
    strategy: tf.distribute.Strategy
    preprocessor: object
    splits: Splits
    steps: int          # global steps per epoch
    per_replica: int    # batch per replica
    model: tf_keras.Model


def _load_job(config: TrainConfig) -> _Job:
    """Encoder, data and model: the steps that bad input can fail, in that order."""
    strategy = make_strategy(config.strategy)
    paths = resolve_encoder(config.encoder)
    encoder_path = encoder_for(paths, config.precision)
    preprocessor = load_preprocessor(paths)
    splits = load_splits(config)
    for problem in splits.skipped:
        print(f"bert-keras: skipped {problem}", file=sys.stderr)
    steps, per_replica = _steps_per_epoch(strategy, splits.train.size, config.batch_size)
    tf_keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = build_compiled_classifier(config, encoder_path, steps * config.epochs)
    positions = position_table_length(model.get_layer(ENCODER_LAYER).weights)
    if positions is not None and positions < config.max_seq_length:
        raise UserInputError(f"--max-seq-length {config.max_seq_length}: the encoder {config.encoder} "
                             f"has position embeddings for {positions} tokens only")
    return _Job(strategy, preprocessor, splits, steps, per_replica, model)


def _first_epoch(run_dir: Path, model) -> int:
    """The first epoch still to run: one past the last one BackupAndRestore saved,
    after checking that its checkpoint restores every variable of this model."""
    prefix = backup_checkpoint(run_dir)
    if prefix is None:
        return 0
    check_backup_fits(model, prefix, f"--out {run_dir}: its backup {prefix}")
    return saved_epoch(prefix) + 1


def _fit(job: _Job, config: TrainConfig, run_dir: Path, chief: bool, first_epoch: int):
    kept_rows = [row for row in read_history(run_dir / HISTORY_FILE) if int(row["epoch"]) < first_epoch]
    best_f1 = max((float(row["val_f1"]) for row in kept_rows), default=None)

    def dataset_fn(context: tf.distribute.InputContext):
        local_replicas = context.num_replicas_in_sync // context.num_input_pipelines
        shard = job.splits.train.examples.shard(context.num_input_pipelines, context.input_pipeline_id)
        return training_stream(
            shard, job.splits.train.size // context.num_input_pipelines, job.preprocessor,
            batch_size=job.per_replica, max_seq_length=config.max_seq_length, text_fields=config.text_fields,
            seed=config.seed, first_epoch=first_epoch, epochs=config.epochs,
            batches_per_epoch=job.steps * local_replicas)

    # Order matters at each epoch's end: the history row and best weights are
    # written before the backup that marks the epoch done (a resume trims rows).
    callbacks = [EpochTimer(), tf_keras.callbacks.TerminateOnNaN()]
    if chief:
        callbacks += [EpochSummaries(run_dir / LOG_DIR), HistoryLog(run_dir / HISTORY_FILE, kept_rows)]
    callbacks += [BestWeights(run_dir / BEST_DIR, best_f1, chief),
                  tf_keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR), delete_checkpoint=False)]
    history = job.model.fit(
        tf_keras.utils.experimental.DatasetCreator(dataset_fn), epochs=config.epochs,
        steps_per_epoch=job.steps, callbacks=callbacks, verbose=1 if sys.stdout.isatty() else 2,
        validation_data=evaluation_dataset(job.splits.validation, job.preprocessor, config.batch_size,
                                           config.max_seq_length, config.text_fields))
    losses = history.history.get("loss", [])
    if len(losses) < config.epochs - first_epoch or not np.all(np.isfinite(losses)):
        raise TrainingDiverged(f"training diverged: the loss became NaN in epoch {first_epoch + len(losses)}; "
                               f"try a lower --learning-rate (was {config.learning_rate})")


def _final_metrics(job: _Job, config: TrainConfig, run_dir: Path, evaluate_on_test: bool, chief: bool) -> dict:
    """The best weights on the test split (validation for a tuning trial), with throughput and sizes."""
    best = best_checkpoint(run_dir)
    if best is not None:  # a non-chief worker keeps none
        restore_weights(job.model, best, f"--out {run_dir}: its best weights {best}")
    final_split = job.splits.test if evaluate_on_test else job.splits.validation
    metrics = evaluate_model(job.model, final_split, job.preprocessor, config)
    if not chief:  # a non-chief worker writes no history
        return metrics
    rows = read_history(run_dir / HISTORY_FILE)
    train_seconds = sum(float(row["train_seconds"]) for row in rows)
    train_examples = job.steps * config.batch_size * config.epochs
    metrics.update(
        evaluated_on=final_split.name, train_examples=train_examples, train_seconds=round(train_seconds, 2),
        train_examples_per_second=round(train_examples / train_seconds, 2),
        best_epoch=1 + max(range(len(rows)), key=lambda i: float(rows[i]["val_f1"])),
        trainable_params=int(sum(v.shape.num_elements() for v in job.model.trainable_weights)),
        total_params=int(sum(v.shape.num_elements() for v in job.model.weights if v.dtype.is_floating)),
        skipped_records=len(job.splits.skipped))
    return metrics


def train(config: TrainConfig, overwrite: bool = False, evaluate_on_test: bool = True) -> dict:
    """Trains (or resumes, or repeats a finished run's metrics) and writes RUN_DIR.

    Args:
        config: the run's settings; `config.out` is RUN_DIR.
        overwrite: replace the run bert-keras wrote in RUN_DIR (only once the new
            run's encoder, data and model have loaded; never anyone else's files).
        evaluate_on_test: False for a tuning trial: the final metrics are those of
            the best weights on the validation split, and the test split stays untouched.

    Returns:
        The metrics written to RUN_DIR/metrics.json: loss, accuracy, precision,
        recall, F1 and AUC of the best weights, throughput and parameter counts.

    Example (minutes of training; `bert-keras train` is the same call):

    >>> from bert_keras.freezing.spec import FreezeSpec
    >>> metrics = train(TrainConfig(out="saved_models/runs/demo", data="../shared/data/amazon_review_polarity_csv",
    ...                             freeze=FreezeSpec(train_last=2)))  # doctest: +SKIP
    >>> metrics["f1"]  # doctest: +SKIP
    0.887574
    """
    run_dir, chief = Path(config.out), is_chief()
    previous = read_run(run_dir, "--out")
    if previous is not None and not overwrite:
        finished = finished_metrics(run_dir, config, previous)
        if finished is not None:
            print(f"bert-keras: {run_dir} already finished; its metrics follow (--overwrite to train again)",
                  file=sys.stderr)
            return finished
    job = _load_job(config)
    claim_run_dir(run_dir, config, replace=chief and overwrite and previous is not None)
    first_epoch = _first_epoch(run_dir, job.model)
    if first_epoch < config.epochs:
        _fit(job, config, run_dir, chief, first_epoch)
    if cluster_size() > 1:
        _write_replica_checksum(run_dir, job.model)
    metrics = _final_metrics(job, config, run_dir, evaluate_on_test, chief)
    if not chief:
        return metrics
    from bert_keras.training.plots import plot_training_curves
    plot_training_curves(run_dir / HISTORY_FILE, run_dir / CURVES_FILE)
    write_text_atomic(run_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    return metrics
