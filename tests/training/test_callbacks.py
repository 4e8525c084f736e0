"""history.csv rewritten whole, and best weights saved under new names with the old ones pruned."""

import numpy as np
import tensorflow as tf
import tf_keras

from bert_keras.training.callbacks import BestWeights, HistoryLog, read_history


def fit(callbacks, epochs=3, val_f1=(0.5, 0.7, 0.6)):
    """A one-weight model; `val_f1` is set per epoch by a callback ahead of the others."""
    model = tf_keras.Sequential([tf_keras.layers.Dense(1, input_shape=(2,), name="dense")])
    model.compile(optimizer="sgd", loss="mse")

    class FakeValidationF1(tf_keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["val_f1"] = val_f1[epoch]

    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model.fit(x, y, epochs=epochs, verbose=0, callbacks=[FakeValidationF1(), *callbacks])
    return model


def test_history_keeps_earlier_rows_verbatim_and_adds_one_per_epoch(tmp_path):
    path = tmp_path / "history.csv"
    kept = [{"epoch": "0", "loss": "0.123456789", "val_f1": "0.5"}]  # as a killed process wrote it
    fit([HistoryLog(path, kept)], epochs=2, val_f1=(0.6, 0.7))
    rows = read_history(path)
    assert rows[0]["loss"] == "0.123456789" and [row["epoch"] for row in rows] == ["0", "0", "1"]
    assert list(tmp_path.iterdir()) == [path], "no staging file left"


def test_best_weights_keep_only_the_best_save_and_drop_a_killed_saves_folder(tmp_path):
    best = tmp_path / "best"
    best.mkdir()
    (best / "weights-002-dead_temp").mkdir()  # what a kill mid-save leaves
    fit([BestWeights(best, initial_best=None, chief=True)])
    current = tf.train.latest_checkpoint(str(best))
    assert current.startswith(str(best / "weights-002-"))  # epoch 2 had the best F1, 0.7
    assert (
        sorted(p.name.split(".")[0] for p in best.iterdir() if p.name != "checkpoint")
        == [current.rsplit("/", 1)[1]] * 2
    )  # its .index and .data, nothing else
    reader = tf.train.load_checkpoint(current)
    # by name
    assert "weights/dense.Skernel/.ATTRIBUTES/VARIABLE_VALUE" in reader.get_variable_to_shape_map()
