"""The frozen prefix of one data set and one encoder: the hidden states a cached run trains
and validates on, computed once (for one boundary, or for every boundary a search or an
unfreeze schedule will read, in one pass) and found again by their key.

With the cache, a second model trains: the same variables (the encoder's, shared through
one `hub.load`, and the head's, by name), whose inputs are the hidden states entering the
first trainable block. The model from token ids evaluates the test split and is what
`export` serves.
"""

import dataclasses

from bert_keras.config import CacheSpec
from bert_keras.data.sources import Splits
from bert_keras.data.spec import DataSpec
from bert_keras.errors import UserInputError
from bert_keras.freezing.sublayers import hidden_size
from bert_keras.frozen_prefix.cache import (
    CacheOptions,
    Placement,
    cache_directory,
    computer,
    describe_placement,
    describe_states,
    estimate_bytes,
    get_states,
    memory_budget,
    place,
    storage_dtype,
)
from bert_keras.frozen_prefix.plan import Plan
from bert_keras.frozen_prefix.states import HiddenStates
from bert_keras.notices import say


@dataclasses.dataclass
class RunCache:
    """What a run's current stretch of epochs trains and validates on.

    Args:
        plan: cached or inline, the boundary, and why.
        train: this worker's shard of the training split's states; None inline.
        validation: the validation split's states; None inline.
        info: where the states are and their size, for metrics.json.
    """

    plan: Plan
    train: HiddenStates | None = None
    validation: HiddenStates | None = None
    info: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class PrefixSource:
    """What a frozen prefix's states are computed from, and what keys them.

    Args:
        data: the data's settings (every one of them is part of the states' key).
        options: how the states are computed, and where they may be kept.
        encoder_path: the encoder SavedModel (part of the key).
        encoder: that encoder, loaded (`hub.load`): the variables training shares.
        preprocessor: the encoder's preprocessor.
        splits: the training and validation examples.
    """

    data: DataSpec
    options: CacheOptions
    encoder_path: str
    encoder: object
    preprocessor: object
    splits: Splits

    def run_cache(self, plan: Plan, shard=(0, 1), resumed_run: str | None = None) -> RunCache:
        """The states `plan` trains on, built or found (this worker's `shard` of the
        training split: (index, count)); an inline plan gets none, and so does a cache too
        big for both memory and disk, which trains inline instead, unless the run
        `resumed_run` (its directory) started on the cache, which it must then keep."""
        train = self.splits.train.examples.shard(shard[1], shard[0])
        if plan.mode == "cache":
            count = self.splits.train.size // shard[1] + self.splits.validation.size
            placement = self._placement(train, count)
            if placement.location is None:
                too_big = (
                    f"the cache ({describe_placement(placement)}) fits neither the memory "
                    "budget nor the free disk"
                )
                if resumed_run is not None:
                    raise UserInputError(
                        f"out={resumed_run}: trained on a frozen-prefix cache, but {too_big}; "
                        f"free space or pass `cache_dir`, or start afresh with `overwrite`"
                    )
                plan = Plan("inline", plan.boundary, f"{too_big}; training inline")
        if plan.mode == "inline":
            say(f"frozen prefix: {plan.reason}")
            return RunCache(plan)
        say(f"frozen prefix: {plan.reason} ({describe_placement(placement)})")
        examples = {"train": train, "validation": self.splits.validation.examples}
        shards = {"train": shard, "validation": (0, 1)}
        found = self._states(examples, [plan.boundary], placement, shards)
        states = {name: found[name, plan.boundary] for name in examples}
        info = {
            "location": placement.location,
            "estimated_mib": round(placement.estimated_bytes / 2**20, 1),
            "mib": round(sum(s.nbytes for s in states.values()) / 2**20, 1),
        }
        return RunCache(plan, states["train"], states["validation"], info)

    def precompute(self, boundaries: list[int], purpose: str = "for every trial"):
        """Computes the states at every one of `boundaries` (a search's trials', an
        unfreeze schedule's epochs') in one pass over both splits, and keeps them where
        `run_cache` finds them; where they fit nowhere, each run decides for itself."""
        count = len(boundaries) * (self.splits.train.size + self.splits.validation.size)
        placement = self._placement(self.splits.train.examples, count)
        if placement.location is None:
            say(
                f"frozen prefix: the cache {purpose} ({describe_placement(placement)}) "
                "fits neither memory nor disk; each run decides for itself"
            )
            return
        say(
            "frozen prefix: caching the outputs at blocks "
            f"{', '.join(map(str, boundaries))} {purpose} ({describe_placement(placement)})"
        )
        examples = {
            "train": self.splits.train.examples,
            "validation": self.splits.validation.examples,
        }
        self._states(examples, boundaries, placement, {"train": (0, 1), "validation": (0, 1)})

    def _placement(self, examples, count: int) -> Placement:
        hidden = hidden_size(self.encoder.variables)
        size = estimate_bytes(self.preprocessor, examples, count, self.options, hidden=hidden)
        return place(size, self.options)

    def _states(self, examples: dict, boundaries, placement: Placement, shards: dict) -> dict:
        """{(split, boundary): HiddenStates} of `examples` ({split: examples}), found or
        computed in one pass; `shards`: the part of each split they are."""
        keys = {
            (name, b): describe_states(
                self.data, self.options, self.encoder_path, (name, b), shards[name]
            )
            for name in examples
            for b in boundaries
        }
        compute = computer(self.encoder, self.preprocessor, examples, self.options)
        return get_states(keys, placement, compute)


def run_prefix_source(
    data: DataSpec,
    max_seq_length: int,
    cache: CacheSpec,
    precision: str,
    encoder_path: str,
    encoder,
    preprocessor,
    splits: Splits,
) -> PrefixSource:
    """The frozen prefix of a run's (or a search's) data and encoder.

    Args:
        data: the data's settings.
        max_seq_length: tokens per example, as the run tokenizes.
        cache: where the states may be kept (the memory budget, the folder).
        precision: the Keras dtype policy the run computes in; the states are kept in its
            compute dtype.
        encoder_path: the encoder SavedModel in that precision.
        encoder: that encoder, loaded (`hub.load`).
        preprocessor: the encoder's preprocessor.
        splits: the training and validation examples.
    """
    options = CacheOptions(
        max_seq_length,
        data.text_fields,
        storage_dtype(precision),
        memory_budget(cache.cache_memory_gb),
        cache_directory(cache.cache_dir),
    )
    return PrefixSource(data, options, encoder_path, encoder, preprocessor, splits)
