"""The oracles that propose each trial's hyperparameters: keras-tuner's own, with their
state files written whole, and a grid search that survives a reload.

keras-tuner 1.4.8's oracles are framework-neutral (they never see a model), so
they drive our tf_keras trainings although its Keras `Tuner` refuses them.
"""

import json
from pathlib import Path

import keras_tuner

from bert_keras.config import AUTO_EPOCHS, ORACLES
from bert_keras.files.atomic import write_text_atomic
from bert_keras.tuning.space import SearchSpace

OBJECTIVE = keras_tuner.Objective("val_f1", direction="max")
HYPERBAND_AUTO_EPOCHS = 6  # Hyperband's largest bracket when `epochs` is auto


class AtomicSaves:
    """keras-tuner writes its state files in place (open, write): a kill mid-write
    leaves JSON that the resumed search cannot read. These write them whole."""

    def save(self):
        write_text_atomic(Path(self._get_oracle_fname()), json.dumps(self.get_state()))

    def _save_trial(self, trial):
        write_text_atomic(
            Path(self._get_trial_dir(trial.trial_id)) / "trial.json", json.dumps(trial.get_state())
        )


class RandomSearchOracle(AtomicSaves, keras_tuner.oracles.RandomSearchOracle):
    pass


class BayesianOptimizationOracle(AtomicSaves, keras_tuner.oracles.BayesianOptimizationOracle):
    pass


class HyperbandOracle(AtomicSaves, keras_tuner.oracles.HyperbandOracle):
    pass


class ResumableGridSearchOracle(AtomicSaves, keras_tuner.oracles.GridSearchOracle):
    """keras-tuner's grid oracle, with the grid's order kept in its saved state.

    GridSearchOracle holds which trial's combination comes after which (a linked
    list of trial ids) and the trials waiting to propose a successor in memory
    only, so a reloaded search dies with a KeyError after its first finished
    trial (keras-tuner issue 1055, 1.4.8). State saved without them (one tuner
    creates trials one after another) is rebuilt from the start order.
    """

    def get_state(self):
        ordered, index = [], self._ordered_ids._next_index[None]  # the head hangs off None
        while index is not None:
            ordered.append(self._ordered_ids._memory[index])
            index = self._ordered_ids._next_index[index]
        return {
            **super().get_state(),
            "ordered_ids": ordered,
            "populate_next": list(self._populate_next),
        }

    def set_state(self, state):
        super().set_state(state)
        ordered = state.get("ordered_ids", self.start_order)
        self._ordered_ids = type(self._ordered_ids)()
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id)  # appends at the rear
        self._populate_next = list(state.get("populate_next", ordered[-1:]))


ORACLE_CLASSES = {
    "random": RandomSearchOracle,
    "bayesian": BayesianOptimizationOracle,
    "grid": ResumableGridSearchOracle,
    "hyperband": HyperbandOracle,
}
assert tuple(ORACLE_CLASSES) == ORACLES, "config.ORACLES names the oracles the CLI offers"


def make_oracle(name: str, space: SearchSpace, max_trials: int, seed: int, epochs: int):
    common = dict(
        objective=OBJECTIVE,
        hyperparameters=space.declare(),
        seed=seed,
        tune_new_entries=False,
        allow_new_entries=False,
        max_consecutive_failed_trials=max_trials + 1,
    )  # failures never end a search early
    if name == "hyperband":  # its brackets set each trial's epochs, auto's included
        most = HYPERBAND_AUTO_EPOCHS if epochs == AUTO_EPOCHS else max(2, epochs)
        return ORACLE_CLASSES[name](max_epochs=most, **common)
    if name == "bayesian":  # keras-tuner starts with 3 random trials per hyperparameter: a
        # search of 5 trials over 3 would never reach its Gaussian process. Half the budget
        # explores at random, the rest follows the process.
        dimensions = len(common["hyperparameters"].space)
        common["num_initial_points"] = max(1, min(3 * dimensions, max_trials // 2))
    return ORACLE_CLASSES[name](max_trials=max_trials, **common)
