"""What a run works out about how it computes, where it starts: the precision it computes
in (the one it started with when it resumes, else what `precision` asks for, `auto`
resolved on this machine: `encoders.precision_choice`), and `jit_compile`, whether the
training step compiles with XLA.

XLA is the compiler every TPU step goes through and the usual speed-up on a GPU. `auto`:
on where the strategy is a TPU's or the machine has a GPU, off on CPU (TensorFlow's own
oneDNN kernels there); resolved where the run starts, resumed runs included (it says how
a run computes, not what). Strings never reach the compiled step: the text is tokenized
in tf.data, on the host, and the step sees token ids (or cached hidden states) padded to
a few fixed bucket widths, so XLA compiles one program per width.
"""

import dataclasses

import tensorflow as tf

from bert_keras.config import TrainConfig
from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import resolve_encoder
from bert_keras.placement.strategy import resolve_strategy_name


def resolve_placement(
    config: TrainConfig, kept: dict | None = None
) -> tuple[TrainConfig, list[str]]:
    """(config, notes): `config` with its precision and XLA choices worked out, and the
    notes that say why (for `auto` only), for the caller to print once its inputs have
    loaded (bad input gets its one line alone).

    Args:
        config: the run's settings.
        kept: the settings of the run or search being resumed (as config.json holds
            them), or None.
    """
    config, precision_note = resolve_precision(config, kept)
    config, jit_note = resolve_jit(config)
    return config, [note for note in (precision_note, jit_note) if note]


def resolve_precision(config: TrainConfig, kept: dict | None = None) -> tuple:
    """(config, note): `config` with `resolved_precision` set, to the one `kept` (the
    settings of the run or search being resumed, asked for alike) started with, whatever
    this machine is; else the config's own (a search's trial); else resolved here. The
    note, for `auto` only, says what and why: the caller prints it once its inputs have
    loaded (bad input gets its one line alone).

    >>> config = TrainConfig(out="run", encoder=encoder_dir, precision="float32")
    >>> config, note = resolve_precision(config)
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


def resolve_jit(config: TrainConfig) -> tuple:
    """(config, note): `config` with `resolved_jit_compile` set (kept when already set: a
    search's trial); the note, for `auto` only, says what and why.

    >>> resolve_jit(TrainConfig(out="run", jit_compile="on"))[0].resolved_jit_compile
    True
    """
    if config.resolved_jit_compile is not None:
        return config, None
    if config.jit_compile != "auto":
        return dataclasses.replace(config, resolved_jit_compile=config.jit_compile == "on"), None
    if resolve_strategy_name(config.strategy) == "tpu":
        on, why = True, "a TPU strategy: every step goes through XLA"
    elif tf.config.list_physical_devices("GPU"):
        on, why = True, "a GPU: XLA fuses the step's element-wise work"
    else:
        on, why = False, "CPU: TensorFlow's own oneDNN kernels"
    note = f"jit_compile=auto: {'on' if on else 'off'} ({why})"
    return dataclasses.replace(config, resolved_jit_compile=on), note
