"""How a run's training is cut into rounds, each ended by a look at the validation split.

`epochs=N` is N rounds of one pass over the training data each. `epochs="auto"` goes on
while the validation score (F1; macro-F1 for three labels or more and for multi-label)
improves: rounds of one pass, or of ROUND_STEPS optimizer steps where a pass is longer
(a large data set is then validated within its first pass), at least MIN_STEPS steps,
at most MAX_STEPS steps and MAX_EPOCHS passes, and it stops once PATIENCE rounds in a
row have not beaten the best. The rule reads the history's scores only, so a resumed run
stops where an uninterrupted one would. Why these numbers: docs/benchmarks.md.
"""

import dataclasses
import math

from bert_keras.config import AUTO_EPOCHS

MIN_STEPS = 300  # 200 reviews train for 33 passes at the least, 3 million for a tenth of one
MAX_STEPS = 6000
MAX_EPOCHS = 30
ROUND_STEPS = 1000  # at most, between two looks at the validation split
PATIENCE = 2
# After warm-up, auto's rate: "plateau": constant, halved (PLATEAU_FACTOR) after each
# round that does not beat the best; "cap": linear decay to 0 at the cap; "none": constant.
DECAY = "cap"
PLATEAU_FACTOR = 0.5


@dataclasses.dataclass(frozen=True)
class Rounds:
    """The rounds of one run.

    Args:
        steps: optimizer steps per round.
        count: rounds at the most.
        minimum: rounds trained whatever the validation score does.
        patience: rounds without a better validation score that end training; None:
            never (a fixed number of epochs).
        steps_per_epoch: optimizer steps of one pass over the training data.
    """

    steps: int
    count: int
    minimum: int
    patience: int | None
    steps_per_epoch: int

    @property
    def auto(self) -> bool:
        return self.patience is not None

    @property
    def total_steps(self) -> int:
        return self.steps * self.count

    @property
    def passes(self) -> int:
        """Passes over the training data at the most, the last one perhaps in part."""
        return -(-self.total_steps // self.steps_per_epoch)

    def describe(self, done: int) -> str:
        """`done` rounds in the words a user reads: epochs, or rounds of steps."""
        if self.steps == self.steps_per_epoch:
            return f"{done} epoch{'s' * (done != 1)}"
        epochs = done * self.steps / self.steps_per_epoch
        return f"{done} rounds of {self.steps} steps ({epochs:.2f} epochs)"


def plan_rounds(epochs, steps_per_epoch: int) -> Rounds:
    """The rounds of `epochs` (a whole number, or "auto") over data of `steps_per_epoch`.

    >>> plan_rounds(3, 20)
    Rounds(steps=20, count=3, minimum=3, patience=None, steps_per_epoch=20)
    >>> plan_rounds("auto", 20)  # 700 reviews: at least 15 passes, at most 30
    Rounds(steps=20, count=30, minimum=15, patience=2, steps_per_epoch=20)
    >>> plan_rounds("auto", 90_000).count  # 3 million reviews: 6 rounds of 1,000 steps
    6
    """
    if epochs != AUTO_EPOCHS:
        return Rounds(steps_per_epoch, epochs, epochs, None, steps_per_epoch)
    steps = min(steps_per_epoch, ROUND_STEPS)
    count = max(1, min(MAX_STEPS, MAX_EPOCHS * steps_per_epoch) // steps)
    return Rounds(steps, count, min(count, math.ceil(MIN_STEPS / steps)), PATIENCE, steps_per_epoch)


def stop_reason(scores: list[float], rounds: Rounds) -> str | None:
    """Why training ends after rounds whose validation scores are `scores`, in order;
    None while it goes on. The best is the first of the highest, as the best weights are
    kept.

    >>> rounds = plan_rounds("auto", 100)  # at least 3 rounds
    >>> stop_reason([0.80, 0.85], rounds) is None  # below the minimum
    True
    >>> stop_reason([0.80, 0.85, 0.85, 0.84], rounds)
    'the validation score has not improved for 2 epochs (the best: epoch 2)'
    """
    done = len(scores)
    if done >= rounds.count:
        return f"the cap of {rounds.describe(rounds.count)} is reached"
    if rounds.patience is None or done < rounds.minimum:
        return None
    best = max(range(done), key=scores.__getitem__)
    since = done - 1 - best
    if since < rounds.patience:
        return None
    unit = "epoch" if rounds.steps == rounds.steps_per_epoch else "round"
    return (
        f"the validation score has not improved for {since} {unit}{'s' * (since != 1)} "
        f"(the best: {unit} {best + 1})"
    )


def schedule_steps(rounds: Rounds, warmup_fraction: float) -> tuple[int, int]:
    """(warm-up steps, the step the learning rate decays to 0 at): a fixed run's over all
    its steps; an auto run's warm-up over its minimum and decay over its cap."""
    if not rounds.auto:
        return int(rounds.total_steps * warmup_fraction), rounds.total_steps
    warmup = int(rounds.minimum * rounds.steps * warmup_fraction)
    return warmup, rounds.total_steps if DECAY == "cap" else 2**62


def rate_scale(scores: list[float], rounds: Rounds, decay: str | None = None) -> float:
    """The factor on the learning rate after rounds scoring `scores`: PLATEAU_FACTOR for
    each round that did not beat the best before it, where auto's `decay` (None: DECAY)
    is "plateau".

    >>> rate_scale([0.80, 0.85, 0.84, 0.86, 0.86], plan_rounds("auto", 100), "plateau")
    0.25
    >>> rate_scale([0.80, 0.85, 0.84], plan_rounds(3, 100), "plateau")  # a fixed run's
    1.0
    """
    if not rounds.auto or (decay or DECAY) != "plateau":
        return 1.0
    misses = sum(score <= max(scores[:i]) for i, score in enumerate(scores) if i)
    return PLATEAU_FACTOR**misses
