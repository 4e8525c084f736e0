"""Freeze specifications: which encoder variables train. TensorFlow-free, so that the
CLI validates freeze flags before anything heavy loads.

Sub-layers are named as `freezing.sublayers` reads them off TF Hub BERT variable
names: `embeddings`, `transformer/layer_{i}`, `pooler`.
"""

import dataclasses
import re

from bert_keras.errors import UserInputError
from bert_keras.freezing.sublayers import EMBEDDINGS, OTHER, block_index, group_sublayers


@dataclasses.dataclass(frozen=True)
class FreezeSpec:
    """Which encoder variables train. The classifier head always trains.

    At most one of `train_last` / `freeze_first`, and at most one of
    `freeze_regex` / `train_regex`. An index and a regex compose: `freeze_regex`
    freezes more, `train_regex` keeps what it matches trainable. `train_regex`
    alone trains only what it matches. With no selector at all, everything trains.
    With an index selector the embeddings are frozen unless `train_embeddings`.
    Contradictions are refused when the specification is made (UserInputError).

    Args:
        train_last: train only the last K blocks, the pooler (where the head reads it)
            and the head.
        freeze_first: freeze blocks 0..N-1.
        freeze_regex: also freeze sub-layers or variables whose name matches.
        train_regex: keep sub-layers or variables whose name matches trainable.
        train_embeddings: with an index selector, train the embeddings too.

    Example:

    >>> spec = FreezeSpec(train_last=2)  # the original recipe: last 2 blocks + pooler + head
    >>> sorted(spec.frozen_sublayers(["embeddings", "transformer/layer_0",
    ...        "transformer/layer_1", "transformer/layer_2", "pooler"]))
    ['embeddings', 'transformer/layer_0']
    >>> FreezeSpec(train_last=2, freeze_first=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bert_keras.errors.UserInputError: `train_last` and `freeze_first` contradict each other; ...
    """

    train_last: int | None = None  # train only the last K blocks (0: pooler and head only)
    freeze_first: int | None = None  # freeze blocks 0..N-1
    freeze_regex: str | None = None  # freeze sub-layers or variables whose name matches
    train_regex: str | None = None  # keep sub-layers or variables whose name matches trainable
    train_embeddings: bool = False  # with an index selector, embeddings train only if asked

    def __post_init__(self):
        for name, value in (
            ("train_last", self.train_last),
            ("freeze_first", self.freeze_first),
        ):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise UserInputError(f"{name}={value}: must be a whole number of blocks, 0 or more")
        if self.train_last is not None and self.freeze_first is not None:
            raise UserInputError("`train_last` and `freeze_first` contradict each other; give one")
        if self.freeze_regex is not None and self.train_regex is not None:
            raise UserInputError("`freeze_regex` and `train_regex` contradict each other; give one")
        if self.train_embeddings and not self.has_index:
            raise UserInputError(
                "`train_embeddings`: only means something with `train_last` or `freeze_first` "
                "(without them the embeddings train anyway, or as the regex says)"
            )
        for name, pattern in (
            ("freeze_regex", self.freeze_regex),
            ("train_regex", self.train_regex),
        ):
            if pattern is None:
                continue
            if not pattern.strip():
                raise UserInputError(f"`{name}`: the pattern is empty")
            try:
                re.compile(pattern)
            except re.error as error:
                raise UserInputError(
                    f"{name}={pattern!r}: not a valid regular expression ({error})"
                ) from None

    @property
    def has_index(self) -> bool:
        return self.train_last is not None or self.freeze_first is not None

    def frozen_sublayers(self, sublayer_names) -> set[str]:
        """The sub-layers an index selector freezes, checked against the encoder's depth.
        With an index selector the embeddings are frozen too, unless `train_embeddings`."""
        names = list(sublayer_names)
        depth = sum(1 for n in names if block_index(n) is not None)
        valid = ", ".join(names)
        if self.has_index and (depth == 0 or OTHER in names):
            raise UserInputError(
                f"{self._index_argument()}: cannot tell this encoder's blocks from its variable "
                f"names (sub-layers seen: {valid}); freeze by `freeze_regex` or `train_regex`"
            )
        for name, value in (
            ("train_last", self.train_last),
            ("freeze_first", self.freeze_first),
        ):
            if value is not None and value > depth:
                raise UserInputError(
                    f"{name}={value}: the encoder has only {depth} blocks (its sub-layers: {valid})"
                )
        if not self.has_index:
            return set()
        first_trained = (
            depth - self.train_last if self.train_last is not None else self.freeze_first
        )
        frozen = {f"transformer/layer_{i}" for i in range(first_trained)}
        if not self.train_embeddings and EMBEDDINGS in names:
            frozen.add(EMBEDDINGS)
        return frozen

    def _index_argument(self) -> str:
        return (
            f"train_last={self.train_last}"
            if self.train_last is not None
            else f"freeze_first={self.freeze_first}"
        )

    def frozen_variables(self, variables) -> set[str]:
        """Names of the encoder variables this specification freezes."""
        sublayers = group_sublayers(variables)
        valid = ", ".join(s.name for s in sublayers)
        frozen_blocks = self.frozen_sublayers(s.name for s in sublayers)
        everything = {name for s in sublayers for name in s.variables}
        if self.train_regex is not None and not self.has_index:
            frozen = set(everything)  # train_regex alone: only what it matches trains
        else:
            frozen = {name for s in sublayers if s.name in frozen_blocks for name in s.variables}
        for name, pattern in (
            ("freeze_regex", self.freeze_regex),
            ("train_regex", self.train_regex),
        ):
            if pattern is None:
                continue
            matched = {
                name
                for s in sublayers
                for name in s.variables
                if re.search(pattern, s.name) or re.search(pattern, name)
            }
            if not matched:
                raise UserInputError(
                    f"{name}={pattern!r}: matches no sub-layer or variable "
                    f"(the sub-layers: {valid})"
                )
            frozen = frozen | matched if name == "freeze_regex" else frozen - matched
        return frozen

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> "FreezeSpec":
        return cls(**(values or {}))
