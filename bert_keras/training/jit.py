"""`jit_compile`: whether the training step compiles with XLA, the compiler every TPU step
goes through and the usual speed-up on a GPU. `auto`: on where the strategy is a TPU's or
the machine has a GPU, off on CPU (TensorFlow's own oneDNN kernels there); resolved where
the run starts, resumed runs included (it says how a run computes, not what).

Strings never reach the compiled step: the text is tokenized in tf.data, on the host, and
the step sees token ids (or cached hidden states) padded to a few fixed bucket widths, so
XLA compiles one program per width.
"""

import dataclasses

import tensorflow as tf

from bert_keras.training.distribution import resolve_strategy_name


def resolve_jit(config) -> tuple:
    """(config, note): `config` with `resolved_jit_compile` set (kept when already set: a
    search's trial); the note, for `auto` only, says what and why.

    >>> from bert_keras.config import TrainConfig
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
