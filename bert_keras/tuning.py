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
from pathlib import Path

import keras_tuner
from keras_tuner.engine import base_tuner

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf

from bert_keras.atomic import write_text_atomic
from bert_keras.config import TrainConfig
from bert_keras.errors import SearchFailed, TrainingDiverged, UserInputError
from bert_keras.output_dirs import create_directory, discard_directory, owned_directory
from bert_keras.search_space import SearchSpace, trial_config

OBJECTIVE = keras_tuner.Objective("val_f1", direction="max")
SETTINGS_FILE = "tune_config.json"
SEARCH_FORMAT = "bert-keras-search/1"  # the marker of a search directory bert-keras wrote


class AtomicSaves:
    """keras-tuner writes its state files in place (open, write): a kill mid-write
    leaves JSON that the resumed search cannot read. These write them whole."""

    def save(self):
        write_text_atomic(Path(self._get_oracle_fname()), json.dumps(self.get_state()))

    def _save_trial(self, trial):
        write_text_atomic(Path(self._get_trial_dir(trial.trial_id)) / "trial.json", json.dumps(trial.get_state()))


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
        return {**super().get_state(), "ordered_ids": ordered, "populate_next": list(self._populate_next)}

    def set_state(self, state):
        super().set_state(state)
        ordered = state.get("ordered_ids", self.start_order)
        self._ordered_ids = type(self._ordered_ids)()
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id)  # appends at the rear
        self._populate_next = list(state.get("populate_next", ordered[-1:]))


ORACLES = {"random": RandomSearchOracle, "bayesian": BayesianOptimizationOracle,
           "grid": ResumableGridSearchOracle, "hyperband": HyperbandOracle}


class FreezeDepthTuner(base_tuner.BaseTuner):
    """Runs each trial as a `bert-keras train` run under TUNE_DIR/trials/<trial id>."""

    def __init__(self, oracle, base: TrainConfig, tune_dir: Path, overwrite: bool):
        self.base, self.tune_dir = base, Path(tune_dir)
        super().__init__(oracle=oracle, directory=str(tune_dir), project_name="search", overwrite=overwrite)

    def trial_dir(self, trial_id: str) -> Path:
        return self.tune_dir / "trials" / trial_id

    def save(self):  # as BaseTuner.save, each file written whole
        if not self._is_worker():
            self.oracle.save()
        write_text_atomic(Path(self._get_tuner_fname()), json.dumps(self.get_state()))

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
    common = dict(objective=OBJECTIVE, hyperparameters=space.declare(), seed=seed,
                  tune_new_entries=False, allow_new_entries=False,
                  max_consecutive_failed_trials=max_trials + 1)  # failures never end a search early
    if name == "hyperband":
        return ORACLES[name](max_epochs=max(2, epochs), **common)
    return ORACLES[name](max_trials=max_trials, **common)


def encoder_blocks(encoder: str) -> int:
    """The encoder's depth; one whose blocks cannot be told from its variable names is refused."""
    from bert_keras.encoders import load_saved_model, resolve_encoder
    from bert_keras.freezing import FreezeSpec
    from bert_keras.layer_view import encoder_depth, group_sublayers
    sublayers = group_sublayers(load_saved_model(resolve_encoder(encoder).encoder, "--encoder").variables)
    FreezeSpec(train_last=0).frozen_sublayers(s.name for s in sublayers)  # refuses unmappable names
    return encoder_depth(sublayers)


def read_search(tune_dir: Path) -> dict | None:
    """The settings of the search in TUNE_DIR; None if TUNE_DIR is absent or empty.
    A file, or a directory bert-keras did not write, is refused."""
    if not owned_directory(tune_dir, SETTINGS_FILE, SEARCH_FORMAT, "--out"):
        return None
    return json.loads((tune_dir / SETTINGS_FILE).read_text(encoding="utf-8"))


def _check_same_search(tune_dir: Path, previous: dict, settings: dict):
    """TUNE_DIR remembers what it searches; resuming needs the same command."""
    changed = sorted(key for key in settings if previous.get(key) != settings[key])
    if changed:
        raise UserInputError(f"--out {tune_dir}: holds a search with other settings "
                             f"({', '.join(changed)}); re-run its command, or pass --overwrite")


def _check_inputs_load(base: TrainConfig, blocks):
    """Loads what every trial will load (data, a model on the encoder) before TUNE_DIR
    is touched, so that bad input fails here and not as failed trials."""
    from bert_keras.classifier import build_classifier
    from bert_keras.data_sources import load_splits
    from bert_keras.encoders import resolve_encoder
    from bert_keras.freezing import FreezeSpec
    from bert_keras.precision import encoder_for
    load_splits(base)
    build_classifier(encoder_for(resolve_encoder(base.encoder), base.precision), FreezeSpec(train_last=min(blocks)))


def _search_settings(base: TrainConfig, blocks, oracle_name: str, max_trials: int, space_flags) -> tuple:
    """(space, settings): the search space, checked against the encoder, and what TUNE_DIR records."""
    if max_trials < 1:
        raise UserInputError(f"--max-trials {max_trials}: must be 1 or more")
    if oracle_name not in ORACLES:
        raise UserInputError(f"--oracle {oracle_name}: must be one of {', '.join(ORACLES)}")
    depth = encoder_blocks(base.encoder)
    bad = [k for k in blocks or () if not 0 <= k <= depth]
    if bad:
        raise UserInputError(f"--blocks {bad[0]}: the encoder has {depth} blocks; choose from 0 to {depth}")
    space = SearchSpace(depth=depth, blocks=tuple(blocks) if blocks else None, **(space_flags or {}))
    base_settings = {k: v for k, v in base.to_dict().items() if k != "out"}  # where it is is no setting
    settings = {"base": base_settings, "space": dataclasses.asdict(space), "oracle": oracle_name,
                "max_trials": max_trials}
    return space, json.loads(json.dumps(settings))  # as JSON reads it back: tuples become lists


def run_search(base: TrainConfig, tune_dir, blocks=None, oracle_name="random", max_trials=5,
               overwrite=False, space_flags=None, export_best=None) -> dict:
    """Runs (or resumes) the search in TUNE_DIR; returns where its results are and the best trial."""
    tune_dir = Path(tune_dir)
    previous = read_search(tune_dir)
    space, settings = _search_settings(base, blocks, oracle_name, max_trials, space_flags)
    if previous is not None and not overwrite:
        _check_same_search(tune_dir, previous, settings)
    else:
        _check_inputs_load(base, space.blocks or range(space.depth + 1))
        if previous is not None:
            discard_directory(tune_dir)
        create_directory(tune_dir, "--out")
        write_text_atomic(tune_dir / SETTINGS_FILE, json.dumps({"format": SEARCH_FORMAT, **settings}, indent=2) + "\n")
    tuner = FreezeDepthTuner(make_oracle(oracle_name, space, max_trials, base.seed, base.epochs),
                             base, tune_dir, overwrite=False)
    tuner.search()
    from bert_keras.tune_results import write_results
    best = write_results(tuner, tune_dir)
    if best is None:
        raise SearchFailed(f"no trial succeeded; see {tune_dir / 'trials.csv'} for the reasons")
    summary = {"trials": str(tune_dir / "trials.csv"), "best": best}
    if export_best:
        summary.update(_train_and_export_best(tuner, tune_dir, export_best))
    return summary


def _train_and_export_best(tuner, tune_dir: Path, name: str) -> dict:
    from bert_keras.encoders import bert_keras_home
    from bert_keras.exporting import export
    from bert_keras.training import train
    from bert_keras.tune_results import best_trial_config
    best_config = best_trial_config(tuner, tune_dir / "best_run")
    metrics = train(best_config)
    return {"best_run_metrics": metrics, "export": export(best_config.out, bert_keras_home() / name)["export"]}
