"""Weights kept by variable name, loaded with proof that every variable of the model found its
value."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from bert_keras.errors import UserInputError
from bert_keras.training.checkpoints import check_backup_fits, restore_weights, write_weights


def model(layers=1, width=4):
    inputs = tf_keras.Input(shape=(3,))
    hidden = inputs
    for index in range(layers):
        hidden = tf_keras.layers.Dense(width, name=f"dense_{index}")(hidden)
    return tf_keras.Model(inputs, hidden)


def test_a_matching_checkpoint_restores_every_value(tmp_path):
    saved = model()
    write_weights(saved, str(tmp_path / "weights"))
    loaded = model()
    restore_weights(loaded, str(tmp_path / "weights"), "best")
    for a, b in zip(saved.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_checkpoint_missing_variables_is_one_line_naming_them(tmp_path):
    write_weights(model(layers=1), str(tmp_path / "weights"))
    with pytest.raises(
        UserInputError,
        match=r"RUN/best: does not match the model: 2 of its variables have no "
        r"value there \(dense_1/bias, dense_1/kernel\)",
    ) as raised:
        restore_weights(model(layers=2), str(tmp_path / "weights"), "RUN/best")
    assert "\n" not in str(raised.value)


def test_a_checkpoint_of_other_shapes_is_one_line(tmp_path):
    write_weights(model(width=4), str(tmp_path / "weights"))
    with pytest.raises(UserInputError, match="RUN/best: cannot be restored into the model"):
        restore_weights(model(width=5), str(tmp_path / "weights"), "RUN/best")


def test_a_backup_is_checked_the_same_way(tmp_path):
    prefix = tf.train.Checkpoint(model=model(layers=1)).save(str(tmp_path / "ckpt"))
    check_backup_fits(model(layers=1), prefix, "backup")
    with pytest.raises(UserInputError, match="backup: does not match the model"):
        check_backup_fits(model(layers=2), prefix, "backup")
