"""`bert-keras train`: reviews -> tf.data -> model.fit under a freeze specification,
writing a run directory (see `training.run_dir`) that a re-run resumes.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import tf_keras

from bert_keras.config import RunRecord, TrainConfig
from bert_keras.encoders.shared_loads import SharedLoads
from bert_keras.errors import TrainingDiverged
from bert_keras.files.atomic import write_text_atomic
from bert_keras.frozen_prefix.plan import record_plan, recorded_plan
from bert_keras.frozen_prefix.states import forget_all
from bert_keras.notices import say
from bert_keras.placement.resolved import resolve_placement
from bert_keras.placement.strategy import cluster_size, is_chief, task
from bert_keras.scoring import multiclass, multilabel
from bert_keras.scoring.calibration import calibrate
from bert_keras.training.callbacks import (
    AutoStop,
    BestWeights,
    EpochSummaries,
    EpochTimer,
    HistoryLog,
    read_history,
)
from bert_keras.training.checkpoints import (
    BACKUP_DIR,
    BEST_DIR,
    backup_checkpoint,
    check_backup_fits,
    saved_epoch,
)
from bert_keras.training.final_metrics import final_metrics
from bert_keras.training.job import Job, load_job
from bert_keras.training.plots import plot_training_curves
from bert_keras.training.predictions import split_logits
from bert_keras.training.rounds import stop_reason
from bert_keras.training.run_dir import (
    CURVES_FILE,
    HISTORY_FILE,
    LOG_DIR,
    METRICS_FILE,
    claim_run_dir,
    finished_metrics,
    read_run,
)


def _write_replica_checksum(run_dir: Path, model):
    """In a cluster, each worker records a digest of its weights: replicas must agree."""
    task_type, index = task()
    digest = {
        variable.name: float(np.sum(np.abs(variable.numpy()), dtype=np.float64))
        for variable in model.trainable_weights
    }
    path = run_dir / "workers" / f"{task_type}-{index}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(digest, indent=1, sort_keys=True))


def _first_epoch(run_dir: Path, job: Job) -> int:
    """The first epoch still to run: one past the last one BackupAndRestore saved,
    after checking that its checkpoint restores every variable of the model, trained
    (under an unfreeze schedule) as it was in that epoch."""
    prefix = backup_checkpoint(run_dir)
    if prefix is None:
        return 0
    saved = saved_epoch(prefix)
    # the slots the backup holds, made in the order it made them
    for first, _, freeze in job.config.phases(epochs=job.rounds.count):
        if first <= saved:
            job.enter(freeze)
    check_backup_fits(job.model, prefix, f"out={run_dir}: its backup {prefix}")
    return saved + 1


def _scores(rows: list[dict]) -> list[float]:
    return [float(row["val_f1"]) for row in rows]


def _fit(job: Job, config: TrainConfig, run_dir: Path, chief: bool, first_epoch: int, verbose):
    """Trains the rounds from `first_epoch` on, unless the rule of `epochs=auto` already
    stopped the run (killed after its last round, before its metrics)."""
    kept_rows = [
        row for row in read_history(run_dir / HISTORY_FILE) if int(row["epoch"]) < first_epoch
    ]
    if stop_reason(_scores(kept_rows), job.rounds) is not None:
        return
    best_f1 = max(_scores(kept_rows), default=None)

    # Order matters at each epoch's end: the history row and best weights are
    # written before the backup that marks the epoch done (a resume trims rows).
    callbacks = [EpochTimer(), tf_keras.callbacks.TerminateOnNaN()]
    if chief:
        callbacks += [
            EpochSummaries(run_dir / LOG_DIR),
            HistoryLog(run_dir / HISTORY_FILE, kept_rows),
        ]
    callbacks += [BestWeights(run_dir / BEST_DIR, best_f1, chief)]
    stopper = AutoStop(job.rounds, _scores(kept_rows))
    if job.rounds.auto:
        callbacks.append(stopper)
    callbacks.append(
        tf_keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR), delete_checkpoint=False)
    )
    if verbose is None:  # a progress bar on a terminal, a line per epoch in a log
        verbose = 1 if sys.stdout.isatty() else 2
    # one stretch without a schedule
    for first, end, freeze in config.phases(first_epoch, job.rounds.count):
        job.enter(freeze)

        def batches(context, first=first, end=end):
            return job.training_batches(context, first, end)

        history = job.model.fit(
            tf_keras.utils.experimental.DatasetCreator(batches),
            initial_epoch=first,
            epochs=end,
            steps_per_epoch=job.rounds.steps,
            callbacks=callbacks,
            verbose=verbose,
            validation_data=job.validation_batches(),
        )
        losses = history.history.get("loss", [])
        stopped = stop_reason(stopper.scores, job.rounds) is not None and job.rounds.auto
        if (len(losses) < end - first and not stopped) or not np.all(np.isfinite(losses)):
            raise TrainingDiverged(
                f"training diverged: the loss became NaN in epoch {first + len(losses)}; "
                f"try a lower `learning_rate` (was {config.optimizer.learning_rate})"
            )
        if stopped:
            return


def _calibration(job: Job, config: TrainConfig) -> dict:
    """Temperature and threshold of the best weights (restored by final_metrics), fitted
    on the validation split; a target precision no threshold reaches is said on stderr."""
    _, labels, logits = split_logits(
        job.eval_model, job.splits.validation, job.preprocessor, config
    )
    kinds = {"multi_class": multiclass.calibrate, "multi_label": multilabel.calibrate}
    if job.splits.labels.kind in kinds:
        return kinds[job.splits.labels.kind](logits, labels, job.splits.labels.names)
    threshold = config.threshold
    calibration = calibrate(logits, labels, threshold.target_precision, threshold.target_recall)
    if threshold.target_precision is not None and not calibration["target_met"]:
        say(
            f"target_precision={threshold.target_precision}: no threshold reaches it "
            "on the validation split; the most precise one "
            f"({calibration['validation']['precision']}) is used"
        )
    return calibration


def train(
    config: TrainConfig,
    overwrite: bool = False,
    evaluate_on_test: bool = True,
    searching: bool = False,
    shared: SharedLoads | None = None,
    verbose: int | None = None,
    record: RunRecord | None = None,
) -> dict:
    """Trains (or resumes, or repeats a finished run's metrics) and writes RUN_DIR.

    Args:
        config: the run's settings; `config.out` is RUN_DIR.
        overwrite: replace the run bert-keras wrote in RUN_DIR (only once the new
            run's encoder, data and model have loaded; never anyone else's files).
        evaluate_on_test: False for a tuning trial: the final metrics are those of
            the best weights on the validation split, and the test split stays untouched.
        searching: a trial of a search: `frozen_prefix="auto"` caches even for one epoch
            (the search computes each boundary's states once, for all its trials).
        shared: a search's encoder and preprocessor, loaded once for all its trials.
        verbose: Keras' progress on stdout: 0 none, 1 a bar, 2 a line per epoch
            (None: a bar on a terminal, else lines).
        record: what a search worked out for its trials (precision, XLA); None: worked
            out here.

    Returns:
        The metrics written to RUN_DIR/metrics.json: loss, accuracy, precision,
        recall, F1 and AUC of the best weights, throughput and parameter counts.

    `bert_keras.train` is this call, documented with an example.
    """
    try:
        return _train(config, record, overwrite, evaluate_on_test, searching, shared, verbose)
    finally:
        if not searching:  # a search's trials share its caches; the search releases them
            forget_all()


def _train(
    config: TrainConfig,
    record: RunRecord | None,
    overwrite: bool,
    evaluate_on_test: bool,
    searching: bool,
    shared,
    verbose,
) -> dict:
    run_dir, chief = Path(config.out), is_chief()
    previous = read_run(run_dir, "out")
    resumed = previous if not overwrite else None  # a run there to resume or to report
    config, record, notes = _resolve_settings(config, record, resumed)
    if resumed is not None:
        finished = finished_metrics(run_dir, config, resumed[0])
        if finished is not None:
            say(f"{run_dir} already finished; its metrics follow (`overwrite` to train again)")
            return finished
    recorded = recorded_plan(run_dir) if resumed is not None else None
    job = load_job(config, record, searching, recorded, shared)
    config = job.config  # its label names found
    claim_run_dir(run_dir, config, record, replace=chief and overwrite and previous is not None)
    for note in notes:
        say(note)
    if recorded is None:
        record_plan(run_dir, job.cache.plan)
    first_epoch = _first_epoch(run_dir, job)
    if first_epoch < job.rounds.count:
        _fit(job, config, run_dir, chief, first_epoch, verbose)
    if cluster_size() > 1:
        _write_replica_checksum(run_dir, job.model)
    metrics = final_metrics(job, config, run_dir, evaluate_on_test, chief)
    if not chief:
        return metrics
    if job.rounds.auto:
        ran = job.rounds.describe(metrics["epochs_run"])
        say(f"epochs={config.optimizer.epochs}: trained {ran}, then stopped: {metrics['stopped']}")
    # a run to serve, not a trial: its probability calibrated, its threshold chosen
    if evaluate_on_test:
        metrics["calibration"] = _calibration(job, config)

    plot_training_curves(run_dir / HISTORY_FILE, run_dir / CURVES_FILE)
    write_text_atomic(run_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    shutil.rmtree(run_dir / BACKUP_DIR, ignore_errors=True)
    return metrics


def _resolve_settings(
    config: TrainConfig, given: RunRecord | None, resumed: tuple | None
) -> tuple[TrainConfig, RunRecord, list[str]]:
    """(config, record, notes): the run's settings, what it computes with, and the notes
    that say why (said once the run is claimed).

    Args:
        config: the run's settings.
        given: a record worked out already (a search's, for its trials), or None.
        resumed: the settings and record of the run being resumed, or None. Its label
            order is kept when `config` names none.
    """
    placement = None if resumed is None else (resumed[0].placement, resumed[1])
    record, notes = resolve_placement(config.placement, config.encoder, placement, given)
    if resumed is not None and config.data.labels is None:
        config = config.replace(labels=resumed[0].data.labels)  # the order it trained in
    return config, record, notes
