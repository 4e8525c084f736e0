"""A run directory: what `bert-keras train` writes, and reading it back.

RUN_DIR/config.json        every setting and what the run worked out (`config.run_file`),
                           with bert-keras' format marker (a re-run must match it to resume)
RUN_DIR/history.csv        per-epoch metrics, training and validation
RUN_DIR/best/              weights of the epoch with the best validation F1
RUN_DIR/backup/            BackupAndRestore state while the run is unfinished
RUN_DIR/logs/              TensorBoard event files
RUN_DIR/metrics.json       test-split metrics and throughput, written last
RUN_DIR/training_curves.png
"""

import json
from pathlib import Path

from bert_keras.config import RUN_FORMATS, RunRecord, TrainConfig, read_run_file, write_run_file
from bert_keras.errors import UserInputError
from bert_keras.files.output_dirs import (
    check_same_settings,
    create_directory,
    discard_directory,
    owned_directory,
)
from bert_keras.training.checkpoints import best_checkpoint

CONFIG_FILE, METRICS_FILE, HISTORY_FILE = "config.json", "metrics.json", "history.csv"
LOG_DIR, CURVES_FILE = "logs", "training_curves.png"


def read_run(run_dir: Path, argument: str) -> tuple[TrainConfig, RunRecord | None] | None:
    """(settings, record) of the run in RUN_DIR; None if RUN_DIR is absent or empty.
    A file, or a directory bert-keras did not write, is refused (UserInputError)."""
    if not owned_directory(run_dir, CONFIG_FILE, RUN_FORMATS, argument):
        return None
    return read_run_file(Path(run_dir) / CONFIG_FILE)


def finished_metrics(run_dir: Path, config: TrainConfig, previous: TrainConfig) -> dict | None:
    """Checks that re-running RUN_DIR means the same run; returns its metrics if it finished."""
    check_same_settings(run_dir, "run", previous.settings(), config.settings())
    if (run_dir / METRICS_FILE).exists():
        return json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8"))
    return None


def claim_run_dir(run_dir: Path, config: TrainConfig, record: RunRecord, replace: bool):
    """Creates RUN_DIR with its config.json, once everything bad input can fail has
    loaded; `replace` (`overwrite` of a run of bert-keras') discards the old run first."""
    if replace:
        discard_directory(run_dir)
    create_directory(run_dir, "out")
    if not (run_dir / CONFIG_FILE).exists():
        write_run_file(run_dir / CONFIG_FILE, config, record)


def read_trained_run(run_dir: Path, argument: str) -> tuple[TrainConfig, RunRecord, str]:
    """(settings, record, best weights prefix) of a run that has trained at least one epoch."""
    found = read_run(run_dir, argument)
    if found is None:
        raise UserInputError(f"{argument}={run_dir}: not a run directory (no config.json)")
    best = best_checkpoint(run_dir)
    if best is None or found[1] is None:
        raise UserInputError(f"{argument}={run_dir}: has no trained weights yet (nothing in best/)")
    return *found, best


def read_finished_run(run_dir: Path) -> tuple[TrainConfig, RunRecord, str]:
    """(settings, record, best weights prefix) of a run that finished training."""
    found = read_trained_run(run_dir, "run_dir")
    if not (run_dir / METRICS_FILE).is_file():
        raise UserInputError(
            f"RUN_DIR {run_dir}: the run has not finished (no {METRICS_FILE}); "
            f"re-run its train command"
        )
    return found
