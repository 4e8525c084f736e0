"""The one configuration of a training run: every setting, resolved, validated once.

It is written as `config.json` into every run directory (and later into every
export), so a run can be read back, resumed with the same command, or reproduced.
"""

import dataclasses
import json
import math
import os
from pathlib import Path

from bert_keras.config_checks import (
    Check,
    number_in,
    parse_schedule,
    raise_first_failed,
    whole_in,
)
from bert_keras.data.columns import Columns
from bert_keras.data.labels import LabelSet
from bert_keras.data.spec import DataSpec
from bert_keras.errors import UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.freezing.spec import FreezeSpec

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
COMPUTE_PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # Keras dtype policies
# auto: what fits the hardware (encoders/precision_choice.py)
PRECISIONS = ("auto", *COMPUTE_PRECISIONS)
ORACLES = ("random", "bayesian", "grid", "hyperband")  # the Keras Tuner oracles `tune` takes
DEFAULT_ORACLE, DEFAULT_MAX_TRIALS = "random", 5
TUNED_LEARNING_RATES = (3e-5, 1e-4, 3e-4)  # `tune_learning_rate`
TUNED_DROPOUTS = (0.0, 0.1, 0.2)  # `tune_dropout`
# `tune_layer_lr_decay`: off, then ELECTRA's range
TUNED_LAYER_LR_DECAYS = (1.0, 0.9, 0.8, 0.65)
TUNED_SCHEDULES = ("fixed", "gradual", "head_first")  # `tune_schedule`; see tuning/space.py
SERVING_PRECISION = "float32"  # `export`'s default: the serving hardware is unknown at export time
# config.json starts with this marker: it tells a run directory bert-keras wrote (which
# `overwrite` may replace and `evaluate`/`export` may read) from anyone else's.
RUN_FORMAT = "bert-keras-run/1"
MAX_SEED = 2**31 - 1
FROZEN_PREFIX_MODES = ("auto", "cache", "inline")  # `frozen_prefix`; see frozen_prefix/plan.py
JIT_COMPILE_MODES = ("auto", "on", "off")  # XLA for the training step; see placement/resolved.py
AUTO_EPOCHS = "auto"  # `epochs`: while the validation score improves; see training/rounds.py
POOLINGS = ("mean", "cls")  # what the head reads; see training/classifier.py
# Settings that say where a run is, where it keeps its cache and how it compiles, not what it
# computes: a run moved elsewhere (another machine), or given another cache budget, still resumes.
LOCATION_SETTINGS = ("out", "cache_memory_gb", "cache_dir", "jit_compile", "resolved_jit_compile")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run, validated once when made (UserInputError names
    the setting and the value); `config.json` of every run directory, and of every export.

    Args:
        out: the run directory. Every other field has the default shown beside it;
            each is also a `bert-keras train` flag (hyphens for underscores; the freeze
            flags for `freeze`).

    Example:

    >>> config = TrainConfig(out="runs/demo/", freeze=FreezeSpec(train_last=2), epochs=3)
    >>> config.out, config.batch_size, config.precision
    ('runs/demo', 32, 'auto')
    >>> TrainConfig(out="runs/demo").epochs  # while the validation score improves
    'auto'
    >>> TrainConfig(out="runs/demo", epochs="many")
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: epochs=many: must be a whole number, 1 or more, or auto
    >>> TrainConfig(out="runs/demo", seed=-1)
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: seed=-1: must be a whole number from 0 to 2147483647
    """

    out: str  # the run directory
    encoder: str = "minilm-l6"  # built-in name, TF Hub-format directory or handle
    data: str = "amazon_polarity"  # amazon_polarity, tfds:NAME, a folder, or a file
    test_data: str | None = None  # the final evaluation's file (a single-file `data` needs it)
    train_split: str = "train"  # TFDS split string, e.g. "train[:10000]"
    test_split: str = "test"  # TFDS split of the final evaluation, e.g. "validation"
    limit: int | None = None  # use only the first N training records
    text_fields: str = "title_content"  # title and content joined, or content only
    on_bad_record: str = "error"  # stop at the first bad record, or skip and count
    text_columns: tuple[str, ...] | None = None  # joined in order as the text; None: usual names
    label_column: str | None = None  # the label's column; None: the usual names
    delimiter: str | None = None  # of a delimited file; None: tab for .tsv, else comma
    labels: tuple[str, ...] | None = None  # label names in order; None: the data's (recorded)
    multi_label: bool = False  # any number of labels per example: one sigmoid each
    label_delimiter: str = "|"  # between a delimited file's labels, with multi_label
    allow_no_label: bool = False  # with multi_label, examples without any label are kept
    validation_split: float = 0.1  # carved off the training split, deterministically
    max_seq_length: int = 128  # tokens per example, [CLS] and [SEP] included
    freeze: FreezeSpec = FreezeSpec(train_last=2)  # the last 2 blocks and the head
    # epoch e trains the last K_e blocks ("1,2,4"); None: fixed
    unfreeze_schedule: tuple[int, ...] | None = None
    dropout: float = 0.1  # before the classifier head
    pooling: str = "mean"  # the head reads the mean of the token outputs, or "cls" (pooled)
    epochs: int | str = AUTO_EPOCHS  # a whole number, or auto: while validation improves
    batch_size: int = 32  # global batch, split across replicas
    learning_rate: float = 1e-4  # peak; only a few blocks train, so above BERT's 2e-5
    weight_decay: float = 0.01  # decoupled (AdamW), not on LayerNorm or biases
    warmup_fraction: float = 0.1  # of all training steps, linear warm-up
    clip_norm: float = 1.0  # global gradient norm
    layer_lr_decay: float = 1.0  # block i at lr x D^(depth - i), embeddings lowest; 1: off
    seed: int = 42  # data order, validation carve-out, head init, dropout
    target_precision: float | None = None  # the threshold: the most recall at this precision;
    target_recall: float | None = None  # or the most precision at this recall; neither: the F1-best
    strategy: str = "auto"  # tf.distribute strategy
    precision: str = "auto"  # what fits the hardware, or a COMPUTE_PRECISIONS policy
    # what the run computes in, set when it starts; a resume keeps it
    resolved_precision: str | None = None
    tfds_data_dir: str | None = None  # where TFDS prepares amazon_polarity
    tfds_manual_dir: str | None = None  # a local copy of the archive or its folder
    frozen_prefix: str = "auto"  # cache the frozen blocks' output (2+ epochs, searches), or inline
    cache_memory_gb: float | None = None  # the cache's memory budget; None: a quarter of the RAM
    cache_dir: str | None = None  # where caches too big for memory go; None: BERT_KERAS_HOME/cache
    jit_compile: str = "auto"  # the training step through XLA; auto: on for TPUs and GPUs
    resolved_jit_compile: bool | None = None  # what the run compiles with, set when it starts

    def __post_init__(self):
        if self.out:  # "runs/demo/" and "runs/demo" are one run directory
            object.__setattr__(self, "out", os.path.normpath(self.out))
        object.__setattr__(
            self,
            "unfreeze_schedule",
            parse_schedule(self.unfreeze_schedule, self._fixed_epochs, self.freeze),
        )
        spec = self.data_spec  # the data's settings check themselves where they are made
        object.__setattr__(self, "labels", spec.labels)
        object.__setattr__(self, "text_columns", spec.columns.text)
        raise_first_failed(self, self._checks())

    def _checks(self) -> list[Check]:
        """(argument, whether its value is valid, what it must be, or its choices)."""
        whole, in_0_1 = "must be a whole number", "must be in [0, 1)"
        whole_1 = f"{whole}, 1 or more"
        in_0_1_closed, positive = "must be in (0, 1]", "must be a positive finite number"
        target_precision, target_recall = self.target_precision, self.target_recall
        return [
            (
                "epochs",
                self.epochs == AUTO_EPOCHS or whole_in(self.epochs, 1),
                f"{whole_1}, or {AUTO_EPOCHS}",
            ),
            ("batch_size", whole_in(self.batch_size, 1), whole_1),
            ("max_seq_length", whole_in(self.max_seq_length, 8, 512), f"{whole} from 8 to 512"),
            ("learning_rate", number_in(self.learning_rate, 0, 1), "must be between 0 and 1"),
            ("weight_decay", number_in(self.weight_decay, 0, 1, closed_low=True), in_0_1),
            ("warmup_fraction", number_in(self.warmup_fraction, 0, 1, closed_low=True), in_0_1),
            ("clip_norm", number_in(self.clip_norm, 0, math.inf), positive),
            ("layer_lr_decay", number_in(self.layer_lr_decay, 0, 1, False, True), in_0_1_closed),
            ("dropout", number_in(self.dropout, 0, 1, closed_low=True), in_0_1),
            ("seed", whole_in(self.seed, 0, MAX_SEED), f"{whole} from 0 to {MAX_SEED}"),
            *self._choice_checks(),
            ("freeze", isinstance(self.freeze, FreezeSpec), "must be a freeze specification"),
            (
                "target_precision",
                target_precision is None or number_in(target_precision, 0, 1, False, True),
                in_0_1_closed,
            ),
            (
                "target_recall",
                target_recall is None or number_in(target_recall, 0, 1, False, True),
                in_0_1_closed,
            ),
            (
                "target_recall",
                target_recall is None or target_precision is None,
                "chooses the threshold; it cannot go with `target_precision`",
            ),
        ]

    def _choice_checks(self) -> list[Check]:
        """The settings that name one of a few choices."""
        return [
            ("strategy", self.strategy in STRATEGIES, STRATEGIES),
            ("pooling", self.pooling in POOLINGS, POOLINGS),
            ("precision", self.precision in PRECISIONS, PRECISIONS),
            (
                "resolved_precision",
                self.resolved_precision in (None, *COMPUTE_PRECISIONS),
                COMPUTE_PRECISIONS,
            ),
            ("frozen_prefix", self.frozen_prefix in FROZEN_PREFIX_MODES, FROZEN_PREFIX_MODES),
            ("jit_compile", self.jit_compile in JIT_COMPILE_MODES, JIT_COMPILE_MODES),
            (
                "cache_memory_gb",
                self.cache_memory_gb is None or number_in(self.cache_memory_gb, 0, math.inf, True),
                "must be a finite number of GiB, 0 or more",
            ),
        ]

    @property
    def _fixed_epochs(self) -> int | None:
        return self.epochs if isinstance(self.epochs, int) else None

    def phases(
        self, first_epoch: int = 0, epochs: int | None = None
    ) -> list[tuple[int, int, FreezeSpec | None]]:
        """(first epoch, end epoch, freezing) of each stretch of epochs still to run that
        trains one set of blocks; freezing None: `freeze` all along (no schedule).
        The schedule's last count holds for the epochs it does not name.
        epochs: how many in all (auto: the cap the run worked out; None: `epochs`, or
        for auto the schedule's own)."""
        epochs = epochs or self._fixed_epochs or len(self.unfreeze_schedule or (0,))
        if self.unfreeze_schedule is None:
            return [(first_epoch, epochs, None)] if first_epoch < epochs else []
        counts = [
            self.unfreeze_schedule[min(e, len(self.unfreeze_schedule) - 1)] for e in range(epochs)
        ]
        starts = [e for e in range(epochs) if e == 0 or counts[e] != counts[e - 1]]
        ends = starts[1:] + [epochs]
        return [
            (
                max(start, first_epoch),
                end,
                dataclasses.replace(self.freeze, train_last=counts[start]),
            )
            for start, end in zip(starts, ends, strict=True)
            if end > first_epoch
        ]

    @property
    def data_spec(self) -> DataSpec:
        """The run's data source and how to read it: what `data.sources` takes."""
        columns = Columns(
            self.text_columns,
            self.label_column,
            self.delimiter,
            self.multi_label,
            self.label_delimiter,
            self.allow_no_label,
        )
        names = ("test_data", "train_split", "test_split", "limit", "text_fields")
        names += ("on_bad_record", "labels", "validation_split", "tfds_data_dir", "tfds_manual_dir")
        return DataSpec(self.data, columns=columns, **{n: getattr(self, n) for n in names})

    @property
    def label_set(self) -> LabelSet:
        """The run's labels (a run from before label sets: the release's two)."""
        return self.data_spec.label_set

    @property
    def compute_precision(self) -> str:
        """The Keras dtype policy the run computes in: asked for, or what `auto` resolved to."""
        precision = self.resolved_precision or self.precision
        if precision == "auto":
            raise ValueError(
                "precision=auto is resolved when a run starts (encoders.precision_choice)"
            )
        return precision

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = dict(values)
        values["freeze"] = FreezeSpec.from_dict(values.get("freeze"))
        if "resolved_precision" not in values and values.get("precision") in COMPUTE_PRECISIONS:
            # written before `auto` existed: the precision asked for is the one it computed in
            values["resolved_precision"] = values["precision"]
        values.setdefault("pooling", "cls")  # written before the head could average tokens
        return cls(**values)

    def settings(self) -> dict:
        """What the run computes: every field but where it is (a moved run is the same run)."""
        return {key: value for key, value in self.to_dict().items() if key not in LOCATION_SETTINGS}

    def write(self, path: Path):
        write_text_atomic(
            Path(path), json.dumps({"format": RUN_FORMAT, **self.to_dict()}, indent=2) + "\n"
        )

    @classmethod
    def read(cls, path: Path) -> "TrainConfig":
        """A config.json bert-keras wrote; anything else is a UserInputError naming the file."""
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserInputError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserInputError(f"{path}: not a readable run configuration ({error})") from None
        if not isinstance(values, dict) or values.pop("format", None) != RUN_FORMAT:
            raise UserInputError(
                f"{path}: not a run configuration written by bert-keras "
                f'(no "format": "{RUN_FORMAT}")'
            )
        try:
            return cls.from_dict(values)
        except TypeError as error:  # unknown, missing or mistyped settings
            raise UserInputError(f"{path}: not a valid run configuration ({error})") from None
