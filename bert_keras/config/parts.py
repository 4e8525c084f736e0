"""The parts of a run's settings besides the data (`data.spec.DataSpec`) and the freezing
(`freezing.spec.FreezeSpec`): the task model, the optimizer and its schedule, where and
how it computes, the frozen-prefix cache, and the threshold rule. Each checks itself where
it is made; a bad value is a UserInputError naming the setting and the value."""

import dataclasses
import math

from bert_keras.config.choices import (
    AUTO_EPOCHS,
    FROZEN_PREFIX_MODES,
    JIT_COMPILE_MODES,
    POOLINGS,
    PRECISIONS,
    STRATEGIES,
)
from bert_keras.config_checks import number_in, parse_schedule, raise_first_failed, whole_in

WHOLE, IN_0_1, IN_0_1_CLOSED = "must be a whole number", "must be in [0, 1)", "must be in (0, 1]"


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """The task model around the encoder.

    Args:
        max_seq_length: int. Tokens per text, [CLS] and [SEP] included.
        dropout: float. Dropout before the classifier head.
        pooling: str. What the head reads: `mean` (the mean of the token outputs) or `cls`
            (the pooled [CLS] output).

    Example:

    >>> ModelSpec(pooling="cls").max_seq_length
    128
    >>> ModelSpec(max_seq_length=4)
    Traceback (most recent call last):
    bert_keras.errors.UserInputError: max_seq_length=4: must be a whole number from 8 to 512
    """

    max_seq_length: int = 128
    dropout: float = 0.1
    pooling: str = "mean"

    def __post_init__(self):
        raise_first_failed(
            self,
            [
                (
                    "max_seq_length",
                    whole_in(self.max_seq_length, 8, 512),
                    f"{WHOLE} from 8 to 512",
                ),
                ("dropout", number_in(self.dropout, 0, 1, closed_low=True), IN_0_1),
                ("pooling", self.pooling in POOLINGS, POOLINGS),
            ],
        )


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """The optimizer (AdamW) and its schedule.

    Args:
        epochs: int | str. A whole number, or `auto`: while the validation score improves
            (`training.rounds`).
        batch_size: int. The global batch, split across replicas.
        learning_rate: float. The peak rate.
        weight_decay: float. Decoupled weight decay, not on LayerNorm or biases.
        warmup_fraction: float. The share of all steps with a linear warm-up.
        clip_norm: float. The global gradient norm clipped to.
        layer_lr_decay: float. Block i trains at the rate times this to the power of the
            blocks above it, the embeddings lowest; 1: off.
        unfreeze_schedule: tuple[int, ...] | None. How many last blocks each epoch trains
            (`"1,2,4"` is taken too); None: the freezing holds all along.

    Example:

    >>> OptimizerSpec(epochs=3, unfreeze_schedule="0,2").unfreeze_schedule
    (0, 2)
    >>> OptimizerSpec(epochs="many")
    Traceback (most recent call last):
    bert_keras.errors.UserInputError: epochs=many: must be a whole number, 1 or more, or auto
    """

    epochs: int | str = AUTO_EPOCHS
    batch_size: int = 32
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    clip_norm: float = 1.0
    layer_lr_decay: float = 1.0
    unfreeze_schedule: tuple[int, ...] | None = None

    def __post_init__(self):
        whole_1, closed_low = f"{WHOLE}, 1 or more", {"closed_low": True}
        raise_first_failed(
            self,
            [
                (
                    "epochs",
                    self.epochs == AUTO_EPOCHS or whole_in(self.epochs, 1),
                    f"{whole_1}, or {AUTO_EPOCHS}",
                ),
                ("batch_size", whole_in(self.batch_size, 1), whole_1),
                ("learning_rate", number_in(self.learning_rate, 0, 1), "must be between 0 and 1"),
                ("weight_decay", number_in(self.weight_decay, 0, 1, **closed_low), IN_0_1),
                ("warmup_fraction", number_in(self.warmup_fraction, 0, 1, **closed_low), IN_0_1),
                (
                    "clip_norm",
                    number_in(self.clip_norm, 0, math.inf),
                    "must be a positive finite number",
                ),
                (
                    "layer_lr_decay",
                    number_in(self.layer_lr_decay, 0, 1, False, True),
                    IN_0_1_CLOSED,
                ),
            ],
        )
        schedule = parse_schedule(self.unfreeze_schedule, self.fixed_epochs, None)
        object.__setattr__(self, "unfreeze_schedule", schedule)

    @property
    def fixed_epochs(self) -> int | None:
        """The number of epochs; None for `auto`."""
        return self.epochs if isinstance(self.epochs, int) else None


@dataclasses.dataclass(frozen=True)
class PlacementSpec:
    """Where and how a run computes (what `auto` becomes is worked out when the run starts,
    `placement.resolved`, and kept in its `RunRecord`).

    Args:
        strategy: str. The tf.distribute strategy: auto, one_device, mirrored,
            multi_worker or tpu.
        precision: str. The Keras dtype policy: auto (what fits the hardware), float32,
            mixed_bfloat16 or mixed_float16.
        jit_compile: str. Whether the training step compiles with XLA: auto (on for TPUs
            and GPUs), on or off.
    """

    strategy: str = "auto"
    precision: str = "auto"
    jit_compile: str = "auto"

    def __post_init__(self):
        raise_first_failed(
            self,
            [
                ("strategy", self.strategy in STRATEGIES, STRATEGIES),
                ("precision", self.precision in PRECISIONS, PRECISIONS),
                ("jit_compile", self.jit_compile in JIT_COMPILE_MODES, JIT_COMPILE_MODES),
            ],
        )


@dataclasses.dataclass(frozen=True)
class CacheSpec:
    """Whether and where the frozen prefix's outputs are cached (`frozen_prefix`).

    Args:
        frozen_prefix: str. auto (cache where a run reads its data twice or more: two
            epochs or more, a search), cache, or inline.
        cache_memory_gb: float | None. The cache's memory budget in GiB; None: a quarter of
            the RAM.
        cache_dir: str | None. Where caches too big for memory go; None:
            BERT_KERAS_HOME/cache.
    """

    frozen_prefix: str = "auto"
    cache_memory_gb: float | None = None
    cache_dir: str | None = None

    def __post_init__(self):
        budget = self.cache_memory_gb
        raise_first_failed(
            self,
            [
                ("frozen_prefix", self.frozen_prefix in FROZEN_PREFIX_MODES, FROZEN_PREFIX_MODES),
                (
                    "cache_memory_gb",
                    budget is None or number_in(budget, 0, math.inf, True),
                    "must be a finite number of GiB, 0 or more",
                ),
            ],
        )


@dataclasses.dataclass(frozen=True)
class ThresholdSpec:
    """How a binary run chooses its decision threshold on the validation split.

    Args:
        target_precision: float | None. The threshold with the most recall at this
            precision.
        target_recall: float | None. Or the one with the most precision at this recall;
            neither: the F1-best.
    """

    target_precision: float | None = None
    target_recall: float | None = None

    def __post_init__(self):
        precision, recall = self.target_precision, self.target_recall
        raise_first_failed(
            self,
            [
                (
                    "target_precision",
                    precision is None or number_in(precision, 0, 1, False, True),
                    IN_0_1_CLOSED,
                ),
                (
                    "target_recall",
                    recall is None or number_in(recall, 0, 1, False, True),
                    IN_0_1_CLOSED,
                ),
                (
                    "target_recall",
                    recall is None or precision is None,
                    "chooses the threshold; it cannot go with `target_precision`",
                ),
            ],
        )
