"""The tuner: keras-tuner's BaseTuner, each trial trained as a `bert-keras train` run
under TUNE_DIR/trials/<trial id>. keras-tuner's Keras `Tuner` refuses tf_keras
models (keras-tuner issue 1039); BaseTuner with our own `run_trial` does not care.
"""

import json
from pathlib import Path

import keras_tuner
import tensorflow as tf
from keras_tuner.engine import base_tuner

from bert_keras.config import RunRecord, TrainConfig
from bert_keras.encoders.shared_loads import SharedLoads
from bert_keras.errors import TrainingDiverged, UserInputError
from bert_keras.files.atomic import write_text_atomic
from bert_keras.training.train import train
from bert_keras.tuning.space import trial_config


class FreezeDepthTuner(base_tuner.BaseTuner):
    """Runs each trial as a `bert-keras train` run under TUNE_DIR/trials/<trial id>."""

    def __init__(
        self,
        oracle,
        base: TrainConfig,
        record: RunRecord,
        tune_dir: Path,
        shared: SharedLoads,
        overwrite: bool,
    ):
        self.base, self.record, self.tune_dir, self.shared = base, record, Path(tune_dir), shared
        self.trials_run: list[str] = []  # by this process, in order
        super().__init__(
            oracle=oracle, directory=str(tune_dir), project_name="search", overwrite=overwrite
        )

    def trial_dir(self, trial_id: str) -> Path:
        return self.tune_dir / "trials" / trial_id

    def save(self):  # as BaseTuner.save, each file written whole
        if not self._is_worker():
            self.oracle.save()
        write_text_atomic(Path(self._get_tuner_fname()), json.dumps(self.get_state()))

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        config = trial_config(hp, self.base, str(self.trial_dir(trial.trial_id)))
        self.trials_run.append(trial.trial_id)
        try:
            metrics = train(
                config,
                evaluate_on_test=False,
                searching=True,
                shared=self.shared,
                verbose=kwargs.get("verbose"),  # what search(verbose=...) was given
                record=self.record,  # what every trial computes with: the search's
            )
        except TrainingDiverged as error:  # the same hyperparameters would diverge again
            raise keras_tuner.errors.FailedTrialError(f"not retried: {error}") from None
        except tf.errors.ResourceExhaustedError as error:
            raise keras_tuner.errors.FailedTrialError(
                f"not retried: out of memory ({str(error).splitlines()[0]})"
            ) from None
        except UserInputError as error:
            raise keras_tuner.errors.FailedTrialError(f"not retried: {error}") from None
        return {"val_f1": metrics["f1"]}
