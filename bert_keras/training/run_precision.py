"""The precision a run computes in: the one it started with when it resumes, else what
`precision` asks for, `auto` resolved on this machine (`encoders.precision_choice`)."""

import dataclasses

from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import resolve_encoder
from bert_keras.training.distribution import resolve_strategy_name


def resolve_run(config, kept: dict | None = None) -> tuple:
    """(config, note): `config` with `resolved_precision` set, to the one `kept` (the
    settings of the run or search being resumed, asked for alike) started with, whatever
    this machine is; else the config's own (a search's trial); else resolved here. The
    note, for `auto` only, says what and why: the caller prints it once its inputs have
    loaded (bad input gets its one line alone).

    >>> from bert_keras.config import TrainConfig
    >>> config, note = resolve_run(TrainConfig(out="run", encoder=encoder_dir, precision="float32"))
    >>> config.resolved_precision, note
    ('float32', None)
    """
    if kept and kept.get("precision") == config.precision and kept.get("resolved_precision"):
        resolved, why = (
            kept["resolved_precision"],
            "as the run started: a resumed run keeps its precision",
        )
    elif config.resolved_precision:
        return config, None
    else:
        resolved, why = resolve_here(
            config.precision,
            resolve_encoder(config.encoder),
            tpu=resolve_strategy_name(config.strategy) == "tpu",
        )
    note = auto_note(resolved, why) if config.precision == "auto" else None
    return dataclasses.replace(config, resolved_precision=resolved), note
