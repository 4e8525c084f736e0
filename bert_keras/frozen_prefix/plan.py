"""Whether a run trains on the frozen-prefix cache, and why, in one line.

`frozen_prefix="auto"` (the default) caches where it pays and the encoder allows
it: two or more epochs, or any search (each example's frozen prefix is then read
more than once), an encoder bert-keras converted (it can run its prefix apart),
and frozen embeddings (else nothing before block 0 is fixed). `cache` asks for it
whenever the encoder allows; `inline` never. Whatever runs inline says why.
"""

import dataclasses

from bert_keras.freezing.sublayers import block_range


@dataclasses.dataclass(frozen=True)
class Plan:
    mode: str  # "cache" or "inline"
    boundary: int | None  # the blocks in the frozen prefix (0: the embeddings alone)
    reason: str  # one line: what is cached, or why nothing is

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def choose(
    asked: str,
    *,
    epochs: int | None,
    searching: bool,
    boundary: int | None,
    splits_apart: bool,
    encoder: str,
) -> Plan:
    """The plan for `frozen_prefix=asked`. epochs: the passes over the training data at
    the most (None: a search's, which caches whatever its trials' passes); boundary: the
    frozen prefix's depth, None when the embeddings train; splits_apart: the encoder
    carries `from_hidden`."""
    if asked == "inline":
        return Plan("inline", boundary, "frozen_prefix=inline")
    if not splits_apart:
        return Plan(
            "inline",
            None,
            f"the encoder {encoder} was not converted by bert-keras, so it cannot run "
            f"its frozen blocks apart; training inline",
        )
    if boundary is None:
        return Plan(
            "inline",
            None,
            "nothing before the first trainable block is frozen (the embeddings train); "
            "training inline",
        )
    if asked == "auto" and not searching and epochs < 2:
        return Plan(
            "inline",
            boundary,
            "one epoch reads each frozen prefix once: computing it inline costs the "
            "same (frozen_prefix=cache to cache anyway)",
        )
    return cached(boundary)


def cached(boundary: int) -> Plan:
    """The plan of training on the states entering block `boundary`."""
    return Plan("cache", boundary, f"caching the output of the frozen {block_range(boundary)}")
