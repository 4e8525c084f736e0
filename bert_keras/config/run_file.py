"""config.json: a run's settings and its record, with bert-keras' format marker, in every
run directory and every export; the files of runs written before still read.

Format 2 holds `settings` (every setting by its flat name) and `record` (`RunRecord`, or
null before the run starts). Format 1 held the settings alone, flat, with what the run
worked out among them (`resolved_precision`, `resolved_jit_compile`).
"""

import json
from pathlib import Path
from typing import Any

from bert_keras.config.choices import COMPUTE_PRECISIONS
from bert_keras.config.record import RunRecord
from bert_keras.config.train_config import TrainConfig
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.freezing.spec import FreezeSpec

RUN_FORMAT = "bert-keras-run/2"
# config.json starts with one of these: it tells a run directory bert-keras wrote (which
# `overwrite` may replace and `evaluate`/`export` may read) from anyone else's.
RUN_FORMATS = (RUN_FORMAT, "bert-keras-run/1")


def run_file_text(config: TrainConfig, record: RunRecord | None) -> str:
    """config.json's text for `config` and `record`."""
    record_values = None if record is None else vars(record).copy()
    values = {"format": RUN_FORMAT, "settings": config.flat(), "record": record_values}
    return json.dumps(values, indent=2) + "\n"


def write_run_file(path: Path, config: TrainConfig, record: RunRecord | None):
    """Writes config.json at `path` (whole, or not at all)."""
    write_text_atomic(Path(path), run_file_text(config, record))


def read_run_file(path: Path) -> tuple[TrainConfig, RunRecord | None]:
    """(settings, record) of a config.json bert-keras wrote; anything else is a
    UserInputError naming the file."""
    path = Path(path)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserInputError(f"{path}: not a readable run configuration ({error})") from None
    found = values.pop("format", None) if isinstance(values, dict) else None
    if found not in RUN_FORMATS:
        raise UserInputError(
            f'{path}: not a run configuration written by bert-keras (no "format": "{RUN_FORMAT}")'
        )
    try:
        if found == RUN_FORMAT:
            record = values.get("record")
            return from_flat(values["settings"]), None if record is None else RunRecord(**record)
        return from_format_1(values)
    except (TypeError, KeyError) as error:  # missing or mistyped settings
        raise UserInputError(f"{path}: not a valid run configuration ({error!r})") from None
    except UserInputError as error:  # a setting out of range, or none of a run's
        raise UserInputError(f"{path}: {error}") from None


def from_flat(values: dict[str, Any]) -> TrainConfig:
    """The configuration whose flat settings (as `TrainConfig.flat` gives them, read back
    from JSON) are `values`."""
    values = dict(values)
    freeze = FreezeSpec.from_dict(values.pop("freeze", None))
    return TrainConfig.from_settings(values.pop("out"), freeze=freeze, **values)


def from_format_1(values: dict[str, Any]) -> tuple[TrainConfig, RunRecord | None]:
    """(settings, record) of a format-1 config.json's values."""
    values = dict(values)
    precision = values.pop("resolved_precision", None)
    jit_compile = values.pop("resolved_jit_compile", None)
    if precision is None and values.get("precision") in COMPUTE_PRECISIONS:
        # written before `auto` existed: the precision asked for is the one it computed in
        precision = values["precision"]
    values.setdefault("pooling", "cls")  # written before the head could average tokens
    record = None if precision is None else RunRecord(precision, jit_compile)
    return from_flat(values), record
