"""The settings of a training run: a composition of typed parts, each checked where it is
made, and the flat names (`bert-keras train`'s flags, `bert_keras.train`'s keyword
arguments, config.json's and best.json's keys) that route to them."""

import dataclasses
import difflib
import os
from typing import Any

from bert_keras.config.parts import (
    CacheSpec,
    ModelSpec,
    OptimizerSpec,
    PlacementSpec,
    ThresholdSpec,
)
from bert_keras.config_checks import parse_schedule, raise_first_failed, seed_check
from bert_keras.data.columns import Columns
from bert_keras.data.labels import LabelSet
from bert_keras.data.spec import DataSpec
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec

# the parts whose fields are settings of their own names (the data's columns aside)
PARTS = {
    "data": DataSpec,
    "model": ModelSpec,
    "optimizer": OptimizerSpec,
    "placement": PlacementSpec,
    "cache": CacheSpec,
    "threshold": ThresholdSpec,
}
# a run's setting -> the field of the data's `Columns` it sets
COLUMN_SETTINGS = {
    "text_columns": "text",
    "label_column": "label",
    "delimiter": "delimiter",
    "multi_label": "multi_label",
    "label_delimiter": "label_delimiter",
    "allow_no_label": "allow_no_label",
}
OWN_SETTINGS = ("out", "encoder", "freeze", "seed")  # TrainConfig's own fields
# Settings that say where a run is, where it keeps its cache and how it compiles, not what it
# computes: a run moved elsewhere (another machine), or given another cache budget, still resumes.
LOCATION_SETTINGS = ("out", "cache_memory_gb", "cache_dir", "jit_compile")


def _routes() -> dict[str, tuple[str, str]]:
    """{setting: (the part, its field)}; the columns' fields under the data's "columns"."""
    routes = {}
    for part, kind in PARTS.items():
        for field in dataclasses.fields(kind):
            if field.name != "columns":
                routes[field.name] = (part, field.name)
    routes.update((name, ("columns", field)) for name, field in COLUMN_SETTINGS.items())
    return routes


ROUTES = _routes()
SETTINGS = (*OWN_SETTINGS, *ROUTES)  # every setting a run takes, by its flat name


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The settings of a training run, in typed parts; config.json of every run directory
    and of every export. Made from the flat settings by `from_settings`.

    Args:
        out: str. The run directory.
        encoder: str. A built-in encoder's name, a TF Hub-format directory or a handle.
        data: DataSpec. The data and how to read it.
        freeze: FreezeSpec. Which encoder variables train (default: the last 2 blocks).
        model: ModelSpec. Tokens per text, dropout and what the head reads.
        optimizer: OptimizerSpec. Epochs, batch, rates and the unfreeze schedule.
        placement: PlacementSpec. The strategy, precision and XLA.
        cache: CacheSpec. The frozen-prefix cache.
        threshold: ThresholdSpec. How a binary run chooses its threshold.
        seed: int. Data order, validation carve-out, head initialization, dropout.

    Example:

    >>> config = TrainConfig.from_settings("runs/demo/", epochs=3, learning_rate=2e-4,
    ...                                    freeze=FreezeSpec(train_last=2))
    >>> config.out, config.optimizer.epochs, config.optimizer.batch_size
    ('runs/demo', 3, 32)
    >>> config.replace(epochs="auto", limit=200).data.limit
    200
    >>> TrainConfig.from_settings("runs/demo", epochs="many")
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: epochs=many: must be a whole number, 1 or more, or auto
    >>> TrainConfig.from_settings("runs/demo", learning_rat=0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: learning_rat=0.1: ... (did you mean learning_rate?)
    """

    out: str
    encoder: str = "minilm-l6"
    data: DataSpec = DataSpec("amazon_polarity")
    freeze: FreezeSpec = FreezeSpec(train_last=2)
    model: ModelSpec = ModelSpec()
    optimizer: OptimizerSpec = OptimizerSpec()
    placement: PlacementSpec = PlacementSpec()
    cache: CacheSpec = CacheSpec()
    threshold: ThresholdSpec = ThresholdSpec()
    seed: int = 42

    def __post_init__(self):
        if self.out:  # "runs/demo/" and "runs/demo" are one run directory
            object.__setattr__(self, "out", os.path.normpath(self.out))
        checks = [
            (part, isinstance(getattr(self, part), kind), f"must be a {kind.__name__}")
            for part, kind in {**PARTS, "freeze": FreezeSpec}.items()
        ]
        raise_first_failed(self, [*checks, seed_check(self.seed)])
        optimizer = self.optimizer  # its schedule counts the last blocks: `freeze` must too
        parse_schedule(optimizer.unfreeze_schedule, optimizer.fixed_epochs, self.freeze)

    @classmethod
    def from_settings(cls, out: str, **settings: Any) -> "TrainConfig":
        """The configuration of `out` with `settings`: flat settings (`learning_rate=2e-4`,
        `limit=200`) or whole parts (`optimizer=OptimizerSpec(...)`), the flat ones set on
        the parts given."""
        return cls(out=out).replace(**settings)

    def replace(self, **settings: Any) -> "TrainConfig":
        """This configuration with `settings` changed, as `from_settings` takes them."""
        own, parts = {}, {name: getattr(self, name) for name in PARTS}
        changes: dict[str, dict] = {name: {} for name in (*PARTS, "columns")}
        for name, value in settings.items():
            if name in OWN_SETTINGS:
                own[name] = value
            elif name in PARTS and isinstance(value, PARTS[name]):
                parts[name] = value  # a whole part; flat settings go on top of it
            elif name in ROUTES:
                part, field = ROUTES[name]
                changes[part][field] = value
            else:
                raise UserInputError(f"{name}={value}: not a setting of a run{_near(name)}")
        columns = changes.pop("columns")
        if columns:
            changes["data"]["columns"] = dataclasses.replace(parts["data"].columns, **columns)
        parts = {
            name: dataclasses.replace(part, **changes[name]) if changes[name] else part
            for name, part in parts.items()
        }
        return dataclasses.replace(self, **own, **parts)

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name, as JSON holds it (`freeze` as its dictionary)."""
        values = {
            "out": self.out,
            "encoder": self.encoder,
            "freeze": dataclasses.asdict(self.freeze),
            "seed": self.seed,
        }
        for name, (part, field) in ROUTES.items():
            owner = self.data.columns if part == "columns" else getattr(self, part)
            values[name] = getattr(owner, field)
        return values

    def settings(self) -> dict[str, Any]:
        """What the run computes: every setting but where it is (a moved run is the same run)."""
        return {key: value for key, value in self.flat().items() if key not in LOCATION_SETTINGS}

    def phases(
        self, first_epoch: int = 0, epochs: int | None = None
    ) -> list[tuple[int, int, FreezeSpec | None]]:
        """(first epoch, end epoch, freezing) of each stretch of epochs still to run that
        trains one set of blocks; freezing None: `freeze` all along (no schedule).
        The schedule's last count holds for the epochs it does not name.
        epochs: how many in all (auto: the cap the run worked out; None: `epochs`, or
        for auto the schedule's own)."""
        schedule = self.optimizer.unfreeze_schedule
        epochs = epochs or self.optimizer.fixed_epochs or len(schedule or (0,))
        if schedule is None:
            return [(first_epoch, epochs, None)] if first_epoch < epochs else []
        counts = [schedule[min(e, len(schedule) - 1)] for e in range(epochs)]
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
    def label_set(self) -> LabelSet:
        """The run's labels (a run from before label sets: the release's two)."""
        return self.data.label_set


def data_spec(data: str, **settings: Any) -> DataSpec:
    """The data part of flat data settings (`test_data`, `text_columns`, `limit`, ...).

    >>> data_spec("reviews.tsv", label_column="stars", limit=100).columns.label
    'stars'
    """
    columns = {COLUMN_SETTINGS[n]: settings.pop(n) for n in list(settings) if n in COLUMN_SETTINGS}
    for name, value in settings.items():
        if ROUTES.get(name, ("",))[0] != "data":
            raise UserInputError(f"{name}={value}: not a setting of the data{_near(name)}")
    return DataSpec(data, columns=Columns(**columns), **settings)


def _near(name: str) -> str:
    """ " (did you mean X?)" for the setting closest to a misspelt `name`; else ""."""
    near = difflib.get_close_matches(name, SETTINGS, n=1)
    return f" (did you mean {near[0]}?)" if near else ""
