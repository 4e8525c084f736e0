"""Whether a run trains on the frozen-prefix cache, and why, in one line.

`frozen_prefix="auto"` (the default) caches where it pays and the encoder allows
it: two or more epochs, or any search (each example's frozen prefix is then read
more than once), an encoder bert-keras converted (it can run its prefix apart),
and frozen embeddings (else nothing before block 0 is fixed). `cache` asks for it
whenever the encoder allows; `inline` never. Whatever runs inline says why. A resumed run
keeps the plan it started with (RUN_DIR/frozen_prefix.json): its backup fits only the
model of that plan.
"""

import dataclasses
import json
from pathlib import Path

from bert_keras.files.atomic import write_text_atomic
from bert_keras.freezing.sublayers import block_range

PLAN_FILE = "frozen_prefix.json"


@dataclasses.dataclass(frozen=True)
class Plan:
    mode: str  # "cache" or "inline"
    boundary: int | None  # the blocks in the frozen prefix (0: the embeddings alone)
    reason: str  # one line: what is cached, or why nothing is

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def choose(
    mode: str,
    *,
    epochs: int | None,
    searching: bool,
    boundary: int | None,
    splits_apart: bool,
    encoder: str,
) -> Plan:
    """The plan for `frozen_prefix=mode`.

    Args:
        mode: "auto", "cache" or "inline", as the run asks.
        epochs: the passes over the training data at the most; None: a search's, which
            caches whatever its trials' passes.
        searching: the run is a search's trial.
        boundary: the frozen prefix's depth; None when the embeddings train.
        splits_apart: the encoder carries `from_hidden`.
        encoder: the encoder's name, for the reason.
    """
    if mode == "inline":
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
    if mode == "auto" and not searching and epochs < 2:
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


def recorded_plan(run_dir: Path) -> Plan | None:
    """The plan the run in `run_dir` started with; None before it recorded one."""
    path = Path(run_dir) / PLAN_FILE
    return Plan(**json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def record_plan(run_dir: Path, plan: Plan):
    """Records `plan` as the one the run in `run_dir` trains with, resumed or not."""
    write_text_atomic(Path(run_dir) / PLAN_FILE, json.dumps(plan.to_dict(), indent=2) + "\n")
