"""`bert-keras tune`: a Keras Tuner search over how many blocks to train.

keras-tuner 1.4.8 builds on Keras 3 and refuses tf_keras models (keras-tuner
issue 1039), so its Keras `Tuner` is not used. Its framework-neutral pieces are:
an Oracle proposes hyperparameters, and `FreezeDepthTuner.run_trial` trains
through `bert_keras.training.train` and returns the validation F1. The oracle's
state lives in TUNE_DIR/search; each trial trains in TUNE_DIR/trials/<id>, so a
search killed at any moment and run again with the same command keeps every
finished trial and resumes the one that was running.
"""
import dataclasses
import json
import shutil
from pathlib import Path

import keras_tuner
from keras_tuner.engine import base_tuner

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf

from bert_keras.config import TrainConfig
from bert_keras.errors import SearchFailed, TrainingDiverged, UserInputError
from bert_keras.search_space import SearchSpace, trial_config

OBJECTIVE = keras_tuner.Objective("val_f1", direction="max")


class ResumableGridSearchOracle(keras_tuner.oracles.GridSearchOracle):
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
        return {**super().get_state(), "ordered_ids": ordered, "populate_next": list(self._populate_next)}

    def set_state(self, state):
        super().set_state(state)
        ordered = state.get("ordered_ids", self.start_order)
        self._ordered_ids = type(self._ordered_ids)()
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id)  # appends at the rear
        self._populate_next = list(state.get("populate_next", ordered[-1:]))


ORACLES = {"random": keras_tuner.oracles.RandomSearchOracle,
           "bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
           "grid": ResumableGridSearchOracle,
           "hyperband": keras_tuner.oracles.HyperbandOracle}


class FreezeDepthTuner(base_tuner.BaseTuner):
    """Runs each trial as a `bert-keras train` run under TUNE_DIR/trials/<trial id>."""

    def __init__(self, oracle, base: TrainConfig, tune_dir: Path, overwrite: bool):
        self.base, self.tune_dir = base, Path(tune_dir)
        super().__init__(oracle=oracle, directory=str(tune_dir), project_name="search", overwrite=overwrite)

    def trial_dir(self, trial_id: str) -> Path:
        return self.tune_dir / "trials" / trial_id

    def run_trial(self, trial, *args, **kwargs):
        from bert_keras.training import train
        hp = trial.hyperparameters
        config = trial_config(hp, self.base, str(self.trial_dir(trial.trial_id)))
        if "tuner/epochs" in hp.values:  # Hyperband sets each bracket's budget
            config = dataclasses.replace(config, epochs=hp.values["tuner/epochs"])
        try:
            metrics = train(config, evaluate_on_test=False)
        except TrainingDiverged as error:  # the same hyperparameters would diverge again
            raise keras_tuner.errors.FailedTrialError(f"not retried: {error}") from None
        except tf.errors.ResourceExhaustedError as error:
            raise keras_tuner.errors.FailedTrialError(
                f"not retried: out of memory ({str(error).splitlines()[0]})") from None
        except UserInputError as error:
            raise keras_tuner.errors.FailedTrialError(f"not retried: {error}") from None
        return {"val_f1": metrics["f1"]}


def make_oracle(name: str, space: SearchSpace, max_trials: int, seed: int, epochs: int):
    if name not in ORACLES:
        raise UserInputError(f"--oracle {name}: must be one of {', '.join(ORACLES)}")
    common = dict(objective=OBJECTIVE, hyperparameters=space.declare(), seed=seed,
                  tune_new_entries=False, allow_new_entries=False,
                  max_consecutive_failed_trials=max_trials + 1)  # failures never end a search early
    if name == "hyperband":
        return ORACLES[name](max_epochs=max(2, epochs), **common)
    return ORACLES[name](max_trials=max_trials, **common)


def encoder_blocks(encoder: str) -> int:
    import tensorflow_hub as hub
    from bert_keras.encoders import resolve_encoder
    from bert_keras.layer_view import encoder_depth, group_sublayers
    return encoder_depth(group_sublayers(hub.load(resolve_encoder(encoder).encoder).variables))


def _check_settings(tune_dir: Path, settings: dict, overwrite: bool):
    """TUNE_DIR remembers what it searches; resuming needs the same command."""
    path = tune_dir / "tune_config.json"
    if overwrite and tune_dir.exists():
        shutil.rmtree(tune_dir)
    if path.is_file():
        previous = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(key for key in settings if previous.get(key) != settings[key])
        if changed:
            raise UserInputError(f"--out {tune_dir}: holds a search with other settings "
                                 f"({', '.join(changed)}); re-run its command, or pass --overwrite")
    else:
        tune_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")


def run_search(base: TrainConfig, tune_dir, blocks=None, oracle_name="random", max_trials=5,
               overwrite=False, space_flags=None, export_best=None) -> dict:
    tune_dir = Path(tune_dir)
    depth = encoder_blocks(base.encoder)
    space = SearchSpace(depth=depth, blocks=tuple(blocks) if blocks else None, **(space_flags or {}))
    bad = [k for k in space.blocks or () if not 0 <= k <= depth]
    if bad:
        raise UserInputError(f"--blocks {bad[0]}: the encoder has {depth} blocks; choose from 0 to {depth}")
    settings = {"base": base.to_dict(), "space": dataclasses.asdict(space), "oracle": oracle_name,
                "max_trials": max_trials}
    _check_settings(tune_dir, json.loads(json.dumps(settings)), overwrite)
    tuner = FreezeDepthTuner(make_oracle(oracle_name, space, max_trials, base.seed, base.epochs),
                             base, tune_dir, overwrite=False)
    tuner.search()
    from bert_keras.tune_results import write_results
    best = write_results(tuner, tune_dir)
    if best is None:
        raise SearchFailed(f"no trial succeeded; see {tune_dir / 'trials.csv'} for the reasons")
    summary = {"trials": str(tune_dir / "trials.csv"), "best": best}
    if export_best:
        from bert_keras.encoders import bert_keras_home
        from bert_keras.exporting import export
        from bert_keras.training import train
        best_config = TrainConfig.from_dict({**base.to_dict(), "out": str(tune_dir / "best_run"), "limit": None,
                                             **_best_overrides(tuner)})
        summary["best_run_metrics"] = train(best_config)
        summary["export"] = export(best_config.out, bert_keras_home() / export_best)["export"]
    return summary


def _best_overrides(tuner) -> dict:
    config = trial_config(tuner.oracle.get_best_trials(1)[0].hyperparameters, tuner.base, "")
    return {"freeze": config.freeze.to_dict(), "learning_rate": config.learning_rate, "dropout": config.dropout}
