"""Callbacks of our own: per-epoch training time, and TensorBoard scalars.

Keras' TensorBoard callback needs the tensorboard package, which TF 2.21 no
longer installs; `tf.summary.write` is core TensorFlow and writes the same
event files, which TensorBoard (installed anywhere) reads.
"""
import time

import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow as tf
import tf_keras
from tensorflow.core.framework import summary_pb2

_SCALAR = summary_pb2.SummaryMetadata(
    plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")).SerializeToString()


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
        self.writers = {"train": tf.summary.create_file_writer(f"{log_dir}/train"),
                        "validation": tf.summary.create_file_writer(f"{log_dir}/validation")}

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            writer = self.writers["validation" if name.startswith("val_") else "train"]
            with writer.as_default():
                tf.summary.write(f"epoch_{name.removeprefix('val_')}", tf.constant(float(value)),
                                 step=epoch, metadata=_SCALAR)
        for writer in self.writers.values():
            writer.flush()
