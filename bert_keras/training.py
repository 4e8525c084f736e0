"""`bert-keras train`: reviews -> tf.data -> model.fit under a freeze specification.

RUN_DIR/config.json        every resolved setting (a re-run must match it to resume)
RUN_DIR/history.csv        per-epoch metrics, training and validation
RUN_DIR/best/              weights of the epoch with the best validation F1
RUN_DIR/backup/            BackupAndRestore state while the run is unfinished
RUN_DIR/logs/              TensorBoard event files
RUN_DIR/metrics.json       test-split metrics and throughput, written last
RUN_DIR/training_curves.png
"""
import csv
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras

from bert_keras.atomic import write_text_atomic
from bert_keras.callbacks import EpochSummaries, EpochTimer
from bert_keras.classifier import build_classifier
from bert_keras.config import TrainConfig
from bert_keras.data_sources import load_splits
from bert_keras.distribution import cluster_size, is_chief, make_strategy, task
from bert_keras.encoders import load_preprocessor, resolve_encoder
from bert_keras.errors import TrainingDiverged, UserInputError
from bert_keras.optimization import make_optimizer
from bert_keras.pipeline import evaluation_dataset, training_stream
from bert_keras.precision import encoder_for

CONFIG_FILE, METRICS_FILE, HISTORY_FILE = "config.json", "metrics.json", "history.csv"
BEST_WEIGHTS, BACKUP_DIR, LOG_DIR, CURVES_FILE = "best/weights", "backup", "logs", "training_curves.png"


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


def _check_run_dir(run_dir: Path, config: TrainConfig, overwrite: bool, chief: bool) -> dict | None:
    """Checks RUN_DIR against this config; returns the metrics if the run already finished.
    RUN_DIR itself is created only once encoder and data have loaded (`_claim_run_dir`)."""
    if overwrite and chief and run_dir.exists():
        shutil.rmtree(run_dir)
    if (run_dir / CONFIG_FILE).exists():
        previous = TrainConfig.read(run_dir / CONFIG_FILE).to_dict()  # settings added since take their defaults
        changed = sorted(key for key, value in config.to_dict().items() if previous[key] != value)
        if changed:
            raise UserInputError(f"--out {run_dir}: holds a run with other settings "
                                 f"({', '.join(changed)}); re-run its command, or pass --overwrite")
        if (run_dir / METRICS_FILE).exists():
            return json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    return None


def _claim_run_dir(run_dir: Path, config: TrainConfig, chief: bool):
    """Creates RUN_DIR with its config.json: after everything that bad input can fail has loaded."""
    if chief and not (run_dir / CONFIG_FILE).exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        config.write(run_dir / CONFIG_FILE)


def _resumed_epoch(backup_dir: Path) -> int:
    """The first epoch still to run: one past the last epoch BackupAndRestore saved."""
    latest = tf.train.latest_checkpoint(str(backup_dir / "chief"))
    if latest is None:
        return 0
    saved = tf.train.load_checkpoint(latest).get_tensor("ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE")
    return int(saved) + 1


def _history_rows(history_csv: Path) -> list[dict]:
    if not history_csv.is_file():
        return []
    with open(history_csv, newline="") as handle:
        return list(csv.DictReader(handle))


def _trim_history(history_csv: Path, first_epoch: int) -> float | None:
    """Drops rows of epochs that will run again; returns the best validation F1 kept."""
    rows = [row for row in _history_rows(history_csv) if int(row["epoch"]) < first_epoch]
    if history_csv.is_file():
        if rows:
            with open(history_csv, "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        else:
            history_csv.unlink()
    return max((float(row["val_f1"]) for row in rows), default=None)


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


def train(config: TrainConfig, overwrite: bool = False, evaluate_on_test: bool = True) -> dict:
    """Trains (or resumes, or repeats a finished run's metrics) and writes RUN_DIR.

    With evaluate_on_test=False (a tuning trial), the final metrics are those of
    the best weights on the validation split: the test split stays untouched."""
    run_dir, chief = Path(config.out), is_chief()
    finished = _check_run_dir(run_dir, config, overwrite, chief)
    if finished is not None:
        print(f"bert-keras: {run_dir} already finished; its metrics follow (--overwrite to train again)",
              file=sys.stderr)
        return finished
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
    _claim_run_dir(run_dir, config, chief)
    first_epoch = _resumed_epoch(run_dir / BACKUP_DIR)
    best_f1 = _trim_history(run_dir / HISTORY_FILE, first_epoch) if chief else None

    def dataset_fn(context: tf.distribute.InputContext):
        local_replicas = context.num_replicas_in_sync // context.num_input_pipelines
        shard = splits.train.examples.shard(context.num_input_pipelines, context.input_pipeline_id)
        return training_stream(
            shard, splits.train.size // context.num_input_pipelines, preprocessor,
            batch_size=per_replica, max_seq_length=config.max_seq_length, text_fields=config.text_fields,
            seed=config.seed, first_epoch=first_epoch, epochs=config.epochs,
            batches_per_epoch=steps * local_replicas)

    # Order matters at each epoch's end: the history row and best weights are
    # written before the backup that marks the epoch done (a resume trims rows).
    callbacks = [EpochTimer(), tf_keras.callbacks.TerminateOnNaN()]
    if chief:
        callbacks += [EpochSummaries(run_dir / LOG_DIR),
                      tf_keras.callbacks.CSVLogger(str(run_dir / HISTORY_FILE), append=True)]
    callbacks += [
        tf_keras.callbacks.ModelCheckpoint(
            str(run_dir / BEST_WEIGHTS), monitor="val_f1", mode="max", save_best_only=True,
            save_weights_only=True, initial_value_threshold=best_f1),
        tf_keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR), delete_checkpoint=False)]
    if first_epoch < config.epochs:
        history = model.fit(
            tf_keras.utils.experimental.DatasetCreator(dataset_fn), epochs=config.epochs,
            steps_per_epoch=steps, callbacks=callbacks, verbose=1 if sys.stdout.isatty() else 2,
            validation_data=evaluation_dataset(splits.validation, preprocessor, config.batch_size,
                                               config.max_seq_length, config.text_fields))
        losses = history.history.get("loss", [])
        if len(losses) < config.epochs - first_epoch or not np.all(np.isfinite(losses)):
            raise TrainingDiverged(f"training diverged: the loss became NaN in epoch {first_epoch + len(losses)}; "
                                   f"try a lower --learning-rate (was {config.learning_rate})")
    if cluster_size() > 1:
        _write_replica_checksum(run_dir, model)
    if tf.train.latest_checkpoint(str((run_dir / BEST_WEIGHTS).parent)):  # a non-chief may have none
        model.load_weights(str(run_dir / BEST_WEIGHTS)).expect_partial()
    final_split = splits.test if evaluate_on_test else splits.validation
    metrics = evaluate_model(model, final_split, preprocessor, config)
    if not chief:
        return metrics
    rows = _history_rows(run_dir / HISTORY_FILE)
    train_seconds = sum(float(row["train_seconds"]) for row in rows)
    train_examples = steps * config.batch_size * config.epochs
    metrics.update(
        evaluated_on=final_split.name, train_examples=train_examples, train_seconds=round(train_seconds, 2),
        train_examples_per_second=round(train_examples / train_seconds, 2),
        best_epoch=1 + max(range(len(rows)), key=lambda i: float(rows[i]["val_f1"])),
        trainable_params=int(sum(v.shape.num_elements() for v in model.trainable_weights)),
        total_params=int(sum(v.shape.num_elements() for v in model.weights if v.dtype.is_floating)),
        skipped_records=len(splits.skipped))
    from bert_keras.plots import plot_training_curves
    plot_training_curves(run_dir / HISTORY_FILE, run_dir / CURVES_FILE)
    write_text_atomic(run_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    return metrics
