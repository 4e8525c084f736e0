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

import tensorflow as tf

from bert_keras.config import PlacementSpec, RunRecord
from bert_keras.encoders.precision_choice import auto_note, resolve_here
from bert_keras.encoders.resolve import resolve_encoder
from bert_keras.placement.strategy import resolve_strategy_name


def resolve_placement(
    placement: PlacementSpec,
    encoder: str,
    resumed: tuple[PlacementSpec, RunRecord | None] | None = None,
    given: RunRecord | None = None,
) -> tuple[RunRecord, list[str]]:
    """(record, notes): what a run computes with, and the notes that say why (for `auto`
    only), for the caller to print once its inputs have loaded (bad input gets its one
    line alone).

    Args:
        placement: the run's strategy, precision and XLA settings.
        encoder: the run's encoder (`auto` precision asks what it was saved in).
        resumed: the placement and record of the run or search being resumed, if any. Its
            precision is kept when the same precision setting is given again, whatever
            this machine is.
        given: a record worked out already (a search's, for its trials): kept as it is.

    Example (`encoder_dir`: a converted encoder, saved in float32):

    >>> record, notes = resolve_placement(PlacementSpec(jit_compile="on"), encoder_dir)
    >>> record.precision in ("float32", "mixed_bfloat16"), record.jit_compile, len(notes)
    (True, True, 1)
    """
    if given is not None and given.jit_compile is not None:
        return given, []
    precision, precision_note = _precision(placement, encoder, resumed)
    jit_compile, jit_note = _jit_compile(placement)
    notes = [note for note in (precision_note, jit_note) if note]
    return RunRecord(precision, jit_compile), notes


def _precision(placement: PlacementSpec, encoder: str, resumed) -> tuple[str, str | None]:
    """(the precision the run computes in, the note that says why, for `auto` only)."""
    resumed_placement, resumed_record = resumed or (None, None)
    if resumed_record is not None and resumed_placement.precision == placement.precision:
        resolved, why = (
            resumed_record.precision,
            "as the run started: a resumed run keeps its precision",
        )
    elif placement.precision != "auto":
        return placement.precision, None
    else:
        resolved, why = resolve_here(
            placement.precision,
            resolve_encoder(encoder),
            tpu=resolve_strategy_name(placement.strategy) == "tpu",
        )
    return resolved, auto_note(resolved, why) if placement.precision == "auto" else None


def _jit_compile(placement: PlacementSpec) -> tuple[bool, str | None]:
    """(whether the training step compiles with XLA, the note that says why, for `auto`)."""
    if placement.jit_compile != "auto":
        return placement.jit_compile == "on", None
    if resolve_strategy_name(placement.strategy) == "tpu":
        on, why = True, "a TPU strategy: every step goes through XLA"
    elif tf.config.list_physical_devices("GPU"):
        on, why = True, "a GPU: XLA fuses the step's element-wise work"
    else:
        on, why = False, "CPU: TensorFlow's own oneDNN kernels"
    return on, f"jit_compile=auto: {'on' if on else 'off'} ({why})"
