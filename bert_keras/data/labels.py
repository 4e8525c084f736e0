"""The label set of a run: its names in order, and what kind of head they need.

Names come from `labels` (their order fixed by the user), else from the source (the
original release's negative/positive, a TFDS ClassLabel's names), else from the training
data: whole numbers in numeric order, strings sorted. Two names: one sigmoid (P of the
second name); more: a softmax over all of them. The names are written to config.json,
so evaluation, export and prediction use the same order.
"""

import dataclasses
import re

from bert_keras.errors import UserInputError

RELEASE_NAMES = ("negative", "positive")  # Amazon Polarity: the release's 1 and 2
_WHOLE = re.compile(r"-?\d+")


@dataclasses.dataclass(frozen=True)
class LabelSet:
    """Label names in the order the head's outputs follow.

    Args:
        names: two or more distinct names.
        multi_label: each example holds any number of them (one sigmoid per label).

    Example:

    >>> LabelSet(("negative", "positive")).kind, LabelSet(("a", "b", "c")).units
    ('binary', 3)
    >>> LabelSet(("a", "b", "c"), multi_label=True).indices([("c", "a"), ()])
    [[1, 0, 1], [0, 0, 0]]
    """

    names: tuple[str, ...]
    multi_label: bool = False

    @property
    def kind(self) -> str:
        if self.multi_label:
            return "multi_label"
        return "binary" if len(self.names) == 2 else "multi_class"

    @property
    def units(self) -> int:
        """The head's outputs: one logit for two labels, one per label otherwise."""
        return 1 if self.kind == "binary" else len(self.names)

    def indices(self, labels: list) -> list:
        """Each label's index; multi-label: each tuple of names as 0/1 per label."""
        position = {name: i for i, name in enumerate(self.names)}
        if self.multi_label:
            return [[int(name in set(names)) for name in self.names] for names in labels]
        return [position[label] for label in labels]


def check_names(names, argument: str = "labels") -> tuple[str, ...]:
    """`labels` as a tuple of distinct, non-empty names ("a,b,c" or a sequence)."""
    given = names.split(",") if isinstance(names, str) else list(names)
    cleaned = tuple(str(name).strip() for name in given)
    shown = ",".join(cleaned)
    if len(cleaned) < 2 or not all(cleaned):
        raise UserInputError(f"{argument}={shown}: must be two or more non-empty names")
    repeated = next((name for name in cleaned if cleaned.count(name) > 1), None)
    if repeated is not None:
        raise UserInputError(f"{argument}={shown}: names {repeated!r} more than once")
    return cleaned


def _data_order(found: set[str]) -> tuple[str, ...]:
    if all(_WHOLE.fullmatch(name) for name in found):
        return tuple(sorted(found, key=int))
    return tuple(sorted(found))


def resolve_labels(
    found: dict[str, int],
    where: str,
    given: tuple[str, ...] | None,
    known: tuple | None,
    multi_label: bool = False,
) -> LabelSet:
    """The label set of training labels `found` ({name: first line}) in `where`.

    Args:
        given: `labels` (or the names a resumed run recorded): must hold every label found.
        known: the source's own names (the release, a TFDS ClassLabel), if any.
    """
    if len(found) < 2:
        only = next(iter(found), "none")
        raise UserInputError(
            f"{where}: every training record is labelled {only!r}: "
            "a classifier needs examples of two labels or more"
        )
    if given is not None:
        unknown = [name for name in found if name not in given]
        if unknown:
            first = unknown[0]
            raise UserInputError(
                f"{where}:{found[first]}: label {first!r} is not one of "
                f"labels={','.join(given)} ({len(unknown)} label(s) missing from it)"
            )
        return LabelSet(given, multi_label)
    names = known if known is not None and set(found) <= set(known) else _data_order(set(found))
    return LabelSet(tuple(names), multi_label)


def check_seen(labels: dict[str, int], seen: set[str], where: str, split: str):
    """Refuses labels of a validation or test split that training never saw."""
    unseen = [name for name in labels if name not in seen]
    if unseen:
        shown = ", ".join(f"{name!r} (line {labels[name]})" for name in unseen[:5])
        raise UserInputError(
            f"{where}: {split} label(s) never seen in training: {shown}; "
            f"training saw {', '.join(sorted(seen))}"
        )
