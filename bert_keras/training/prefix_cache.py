"""A run's frozen-prefix plan and cache (see `frozen_prefix`): which model trains, on what.

With the cache, a second model trains: the same variables (the encoder's, shared
through one `hub.load`, and the head's, by name), whose inputs are the hidden
states entering the first trainable block. The model from token ids evaluates
the test split and is what `export` serves. A resumed run keeps the plan it
started with (RUN_DIR/frozen_prefix.json): its backup fits only that model.
"""

import dataclasses
import json
from pathlib import Path

from bert_keras.errors import UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.freezing.hub_layer import splits
from bert_keras.freezing.sublayers import hidden_size
from bert_keras.frozen_prefix.cache import (
    CacheOptions,
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
from bert_keras.frozen_prefix.plan import Plan, choose
from bert_keras.frozen_prefix.states import HiddenStates
from bert_keras.notices import say

PLAN_FILE = "frozen_prefix.json"


@dataclasses.dataclass
class RunCache:
    plan: Plan
    train: HiddenStates | None = None  # this worker's shard of the training split
    validation: HiddenStates | None = None
    info: dict = dataclasses.field(default_factory=dict)  # for metrics.json


def recorded_plan(run_dir: Path) -> Plan | None:
    path = Path(run_dir) / PLAN_FILE
    return Plan(**json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def record_plan(run_dir: Path, plan: Plan):
    write_text_atomic(Path(run_dir) / PLAN_FILE, json.dumps(plan.to_dict(), indent=2) + "\n")


def plan_run(
    config,
    *,
    epochs: int,
    loaded,
    frozen_prefix: int | None,
    searching: bool,
    recorded: Plan | None,
) -> Plan:
    """The run's plan: the one it started with, or chosen for `epochs` (auto: its cap)."""
    if recorded is not None:
        return recorded
    return choose(
        config.frozen_prefix,
        epochs=epochs,
        searching=searching,
        boundary=frozen_prefix,
        splits_apart=splits(loaded, sequence=config.pooling == "mean"),
        encoder=config.encoder,
    )


def cache_options(config) -> CacheOptions:
    """The run's settings its frozen-prefix cache is made with, and kept by."""
    return CacheOptions(
        config.max_seq_length,
        config.text_fields,
        storage_dtype(config.compute_precision),
        memory_budget(config.cache_memory_gb),
        cache_directory(config.cache_dir),
    )


def prepare(
    config, plan: Plan, *, encoder_path: str, loaded, preprocessor, splits_, shard, forced: bool
) -> RunCache:
    """The states a cached run trains and validates on, built or found; an inline plan
    (whatever its reason, a cache too big for memory and disk included) gets none."""
    if plan.mode == "inline":
        say(f"frozen prefix: {plan.reason}")
        return RunCache(plan)
    train_examples = splits_.train.examples.shard(shard[1], shard[0])
    count = splits_.train.size // shard[1] + splits_.validation.size
    options = cache_options(config)
    placement = place(
        estimate_bytes(
            preprocessor, train_examples, count, options, hidden=hidden_size(loaded.variables)
        ),
        options,
    )
    if placement.location is None:
        too_big = (
            f"the cache ({describe_placement(placement)}) fits neither the memory budget "
            "nor the free disk"
        )
        if forced:
            raise UserInputError(
                f"out={config.out}: trained on a frozen-prefix cache, but {too_big}; "
                f"free space or pass `cache_dir`, or start afresh with `overwrite`"
            )
        return prepare(
            config,
            Plan("inline", plan.boundary, f"{too_big}; training inline"),
            encoder_path=encoder_path,
            loaded=loaded,
            preprocessor=preprocessor,
            splits_=splits_,
            shard=shard,
            forced=forced,
        )
    say(f"frozen prefix: {plan.reason} ({describe_placement(placement)})")
    splits = {"train": train_examples, "validation": splits_.validation.examples}
    keys = {
        (name, plan.boundary): describe_states(
            config.data_spec, options, encoder_path, (name, plan.boundary), part
        )
        for name, part in (("train", shard), ("validation", (0, 1)))
    }
    found = get_states(keys, placement, computer(loaded, preprocessor, splits, options))
    states = {name: found[name, plan.boundary] for name in splits}
    size = sum(s.nbytes for s in states.values())
    info = {
        "location": placement.location,
        "estimated_mib": round(placement.estimated_bytes / 2**20, 1),
        "mib": round(size / 2**20, 1),
    }
    return RunCache(plan, states["train"], states["validation"], info)


def precompute(
    config,
    boundaries: list[int],
    *,
    encoder_path: str,
    loaded,
    preprocessor,
    splits_,
    purpose: str = "for every trial",
):
    """A search's cache (or an unfreeze schedule's): the states of every boundary its
    trials (its epochs) will read, computed in one pass over both splits (the encoder's
    outputs after each block, kept where needed), and kept where `prepare` finds them."""
    count = len(boundaries) * (splits_.train.size + splits_.validation.size)
    options = cache_options(config)
    placement = place(
        estimate_bytes(
            preprocessor,
            splits_.train.examples,
            count,
            options,
            hidden=hidden_size(loaded.variables),
        ),
        options,
    )
    if placement.location is None:
        say(
            f"frozen prefix: the search's cache ({describe_placement(placement)}) "
            "fits neither memory nor disk; each trial decides for itself"
        )
        return
    say(
        "frozen prefix: caching the outputs at blocks "
        f"{', '.join(map(str, boundaries))} {purpose} ({describe_placement(placement)})"
    )
    splits = {"train": splits_.train.examples, "validation": splits_.validation.examples}
    keys = {
        (name, b): describe_states(config.data_spec, options, encoder_path, (name, b), (0, 1))
        for name in splits
        for b in boundaries
    }
    get_states(keys, placement, computer(loaded, preprocessor, splits, options))
