"""The checks of single settings' values that the settings' parts run where they are made
(`data.spec.DataSpec`, `data.columns.Columns`, `config.TrainConfig`): whole numbers and
numbers in a range, the first failed check raised, and the unfreeze schedule's block counts."""

import math

from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec


def whole_in(value, low, high=math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def number_in(value, low, high, closed_low=False, closed_high=False) -> bool:
    """A finite number in (low, high); closed_low and closed_high include the ends."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return (low <= value if closed_low else low < value) and (
        value <= high if closed_high else value < high
    )


Check = tuple[str, bool, "str | tuple"]  # (argument, whether valid, what it must be or its choices)
MAX_SEED = 2**31 - 1


def seed_check(seed) -> Check:
    """The check of a `seed`: a whole number TensorFlow's and NumPy's generators take."""
    return ("seed", whole_in(seed, 0, MAX_SEED), f"must be a whole number from 0 to {MAX_SEED}")


def raise_first_failed(owner, checks: list[Check]):
    """Raises UserInputError naming the first argument of `owner` whose check failed,
    its value and what it must be (a tuple of choices reads "must be one of ...")."""
    for name, ok, requirement in checks:
        if not ok:
            if isinstance(requirement, tuple):
                requirement = f"must be one of {', '.join(requirement)}"
            raise UserInputError(f"{name}={getattr(owner, name)}: {requirement}")


def parse_schedule(value, epochs, freeze) -> tuple[int, ...] | None:
    """`unfreeze_schedule` as a tuple ("1,2,4", a list from config.json, or a tuple)."""
    if value is None:
        return None
    try:
        schedule = tuple(int(k) for k in (value.split(",") if isinstance(value, str) else value))
    except (TypeError, ValueError):
        schedule = ()
    given = f"unfreeze_schedule={value if isinstance(value, str) else ','.join(map(str, value))}"
    if not schedule or min(schedule) < 0 or list(schedule) != sorted(schedule):
        raise UserInputError(
            f"{given}: must be block counts, one per epoch, that never decrease (e.g. 1,2,4)"
        )
    if epochs is not None and len(schedule) > epochs:  # None: auto, as many as it takes
        raise UserInputError(f"{given}: {len(schedule)} epochs' counts for epochs={epochs}")
    if isinstance(freeze, FreezeSpec) and freeze.freeze_first is not None:
        raise UserInputError(
            f"{given}: counts the last blocks, as `train_last` does; "
            "it cannot go with `freeze_first`"
        )
    return schedule
