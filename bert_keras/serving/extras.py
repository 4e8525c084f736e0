"""What every published version holds besides its model, and how versions are numbered
and staged: the run's files in assets.extra, the numbers TF Serving polls, and the hidden
names a version is written under before it is renamed to its number."""

import contextlib
import json
import re
from pathlib import Path

from bert_keras.config import write_run_file
from bert_keras.files.atomic import staging_directory
from bert_keras.scoring.calibration import CALIBRATION_FILE
from bert_keras.training.run_dir import CONFIG_FILE, METRICS_FILE

STALE_STAGING = r"\.\d+\.partial-.+"  # a version being written, or left by a killed export


def versions(model_dir: Path) -> list[int]:
    """The version numbers published in `model_dir`, in order."""
    return (
        sorted(
            int(p.name) for p in model_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d+", p.name)
        )
        if model_dir.is_dir()
        else []
    )


def staging_version(stack: contextlib.ExitStack, model_dir: Path) -> Path:
    """A new hidden directory in `model_dir` to write a version into, removed when `stack`
    closes unless renamed into place by then."""
    next_version = (versions(model_dir) or [0])[-1] + 1
    return stack.enter_context(
        staging_directory(model_dir, f".{next_version}.partial-", STALE_STAGING)
    )


def write_run_extras(extra: Path, extras: dict):
    """The run's settings, metrics, calibration and label names, into a version's
    assets.extra (made here).

    Args:
        extra: the version's assets.extra, not yet made.
        extras: `config` (the run's TrainConfig), `record`, `metrics` and `calibration`.
    """
    extra.mkdir()
    config = extras["config"]
    write_run_file(extra / CONFIG_FILE, config, extras["record"])
    (extra / METRICS_FILE).write_text(json.dumps(extras["metrics"], indent=2) + "\n")
    (extra / CALIBRATION_FILE).write_text(json.dumps(extras["calibration"], indent=2) + "\n")
    (extra / "labels.txt").write_text("".join(f"{name}\n" for name in config.label_set.names))
