"""What a run works out when it starts, apart from what it was asked: the precision it
computes in and whether its step compiles with XLA (`placement.resolved`). Written beside
the settings in config.json; a resumed run keeps its precision."""

import dataclasses

from bert_keras.config.choices import COMPUTE_PRECISIONS
from bert_keras.config_checks import raise_first_failed


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """What a run computes with, worked out when it starts.

    Args:
        precision: str. The Keras dtype policy it computes in (`auto` resolved): float32,
            mixed_bfloat16 or mixed_float16.
        jit_compile: bool | None. Whether its training step compiles with XLA; None: not
            recorded (a run written before it was). Worked out anew where a run resumes:
            it says how the run computes, not what.

    Example:

    >>> RunRecord("mixed_bfloat16", jit_compile=False).precision
    'mixed_bfloat16'
    >>> RunRecord("auto")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    bert_keras.errors.UserInputError: precision=auto: must be one of float32, ...
    """

    precision: str
    jit_compile: bool | None = None

    def __post_init__(self):
        raise_first_failed(
            self, [("precision", self.precision in COMPUTE_PRECISIONS, COMPUTE_PRECISIONS)]
        )
