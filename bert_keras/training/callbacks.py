"""Callbacks of our own: per-epoch training time, TensorBoard scalars, history.csv
and the best weights, each written so that a SIGKILL at any moment leaves a whole file.

Keras' TensorBoard callback needs the tensorboard package, which TF 2.21 no
longer installs; `tf.summary.write` is core TensorFlow and writes the same
event files, which TensorBoard (installed anywhere) reads.
"""

import csv
import os
import secrets
import shutil
import time
from pathlib import Path

import tensorflow as tf
import tf_keras
from tensorflow.core.framework import summary_pb2

from bert_keras.files.atomic import write_csv_atomic
from bert_keras.training.checkpoints import write_weights
from bert_keras.training.optimizer import rate_schedule
from bert_keras.training.rounds import Rounds, rate_scale, stop_reason

_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")
).SerializeToString()


class EpochTimer(tf_keras.callbacks.Callback):
    """Adds `train_seconds` to each epoch's logs: training batches only, not validation."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._seconds = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        if self._seconds is None:  # the validation that closes a training epoch
            self._seconds = time.perf_counter() - self._start

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["train_seconds"] = self._seconds or time.perf_counter() - self._start


class EpochSummaries(tf_keras.callbacks.Callback):
    """Every epoch's metrics as TensorBoard scalars: log_dir/train and log_dir/validation."""

    def __init__(self, log_dir):
        super().__init__()
        self.writers = {
            "train": tf.summary.create_file_writer(f"{log_dir}/train"),
            "validation": tf.summary.create_file_writer(f"{log_dir}/validation"),
        }

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            writer = self.writers["validation" if name.startswith("val_") else "train"]
            with writer.as_default():
                tf.summary.write(
                    f"epoch_{name.removeprefix('val_')}",
                    tf.constant(float(value)),
                    step=epoch,
                    metadata=_SCALAR,
                )
        for writer in self.writers.values():
            writer.flush()


def read_history(path: Path) -> list[dict]:
    """history.csv's rows, as strings (so that rows kept on a resume are written back unchanged)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class HistoryLog(tf_keras.callbacks.Callback):
    """history.csv: a row per finished epoch, the file replaced whole at each epoch's end
    (Keras' CSVLogger appends, and a kill mid-line leaves a row a resume cannot read).

    `kept_rows`: the rows of earlier epochs, from the process that ran them."""

    def __init__(self, path: Path, kept_rows: list[dict]):
        super().__init__()
        self.path, self.rows = Path(path), list(kept_rows)

    def on_train_begin(self, logs=None):
        self._write()  # drops the rows of epochs that will run again

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append(
            {"epoch": epoch, **{name: float(value) for name, value in sorted((logs or {}).items())}}
        )
        self._write()

    def _write(self):
        if not self.rows:
            self.path.unlink(missing_ok=True)
            return
        write_csv_atomic(self.path, self.rows, list(self.rows[-1]))


class AutoStop(tf_keras.callbacks.Callback):
    """Ends training where `rounds`' rule says (`rounds.stop_reason`), and sets the
    learning rate's plateau factor (`rounds.rate_scale`), from the validation F1 of every
    round so far: `kept_scores` are the earlier rounds' (history.csv's), so a resumed run
    trains and stops as an uninterrupted one would."""

    def __init__(self, rounds: Rounds, kept_scores: list[float]):
        super().__init__()
        self.rounds, self.scores = rounds, list(kept_scores)

    def on_train_begin(self, logs=None):
        self._set_rate_scale()

    def on_epoch_end(self, epoch, logs=None):
        self.scores.append(float(logs["val_f1"]))
        self._set_rate_scale()
        if stop_reason(self.scores, self.rounds) is not None:
            self.model.stop_training = True

    def _set_rate_scale(self):
        rate_schedule(self.model.optimizer).scale.assign(rate_scale(self.scores, self.rounds))


class BestWeights(tf_keras.callbacks.ModelCheckpoint):
    """The weights of the best validation F1 so far, in `directory`, keyed by variable
    name (`checkpoints.write_weights`); Keras' ModelCheckpoint decides when, and which
    worker writes where.

    Saving over one prefix is not atomic: TensorFlow renames the new data file over
    the old and then writes the index, so a kill in between leaves a checkpoint
    that is neither. Each save here takes a new name, TensorFlow's `checkpoint`
    file (replaced atomically) names the newest, and the chief deletes older ones.
    """

    def __init__(self, directory: Path, initial_best: float | None, chief: bool):
        self.directory, self.chief = Path(directory), chief
        super().__init__(
            str(self.directory / f"weights-{{epoch:03d}}-{secrets.token_hex(4)}"),
            monitor="val_f1",
            mode="max",
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=initial_best,
        )

    def _save_handler(self, filepath):  # ModelCheckpoint's own saves the model's object graph
        write_weights(self.model, filepath)
        tf.__internal__.train.update_checkpoint_state(
            save_dir=os.path.dirname(filepath),
            model_checkpoint_path=filepath,
            save_relative_paths=True,
            all_model_checkpoint_paths=[filepath],
        )

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        current = tf.train.latest_checkpoint(str(self.directory))
        if self.chief and current is not None:
            keep = Path(current).name + "."
            # older saves, and a killed save's _temp folder
            for path in self.directory.glob("weights-*"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                elif not path.name.startswith(keep):
                    path.unlink(missing_ok=True)
