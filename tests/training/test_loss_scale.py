"""mixed_float16 training: a dynamic loss scale that skips an overflowing step, halves
itself and survives a checkpoint; and both mixed policies agree with float32 after
a few identical steps."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from bert_keras.config import RunRecord, TrainConfig
from bert_keras.encoders.precision import encoder_for
from bert_keras.encoders.resolve import resolve_encoder
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.training.checkpoints import check_backup_fits
from bert_keras.training.compiled import build_compiled_classifier

CONFIG = TrainConfig.from_settings(
    out="unused",
    freeze=FreezeSpec(train_last=1),
    learning_rate=1e-3,
    warmup_fraction=0.0,
    dropout=0.0,
    seed=3,
)

pytestmark = pytest.mark.extended  # mixed-precision mechanics, float16's loss scale


def cached_model(tiny_encoder_dir, precision: str):
    """The model that trains on the frozen prefix's output: its float32 input can be made
    to overflow float16 on purpose (an attack no token id can make)."""
    path = encoder_for(resolve_encoder(str(tiny_encoder_dir)), precision)
    return build_compiled_classifier(
        CONFIG, RunRecord(precision), path, total_steps=100, from_cache=True
    )


def batch(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    # [batch, seq, hidden] of the tiny encoder
    hidden = rng.standard_normal((4, 6, 32)).astype(np.float32) * scale
    return {"hidden_states": hidden, "input_mask": np.ones((4, 6), np.int32)}, np.array(
        [[1.0], [0.0], [1.0], [0.0]]
    )


def step(model, data) -> float:
    return model.train_on_batch(*data, return_dict=True)["loss"]


def weights(model):
    return [v.numpy() for v in model.trainable_weights]


def test_an_overflowing_step_is_skipped_and_halves_the_loss_scale(tiny_encoder_dir):
    model = cached_model(tiny_encoder_dir, "mixed_float16")
    assert isinstance(model.optimizer, tf_keras.mixed_precision.LossScaleOptimizer)
    assert np.isfinite(step(model, batch()))
    scale, before = float(model.optimizer.loss_scale), weights(model)
    assert scale == 2.0**15  # tf_keras' initial dynamic scale
    model.train_on_batch(*batch(scale=1e6))  # float16 tops out at 65504: inf, then NaN gradients
    assert float(model.optimizer.loss_scale) == scale / 2
    for old, new in zip(before, weights(model), strict=True):
        np.testing.assert_array_equal(old, new)  # the step was skipped, not applied
    assert np.isfinite(step(model, batch(seed=1)))
    # training goes on
    assert any(
        not np.array_equal(old, new) for old, new in zip(before, weights(model), strict=True)
    )
    slots = {v.name for v in model.optimizer.variables} - {"iteration:0"}
    assert slots == {
        f"{kind}/{v.name}" for v in model.trainable_weights for kind in ("m", "v")
    }  # none for frozen ones


def test_the_loss_scale_survives_a_checkpoint_round_trip(tiny_encoder_dir, tmp_path):
    model = cached_model(tiny_encoder_dir, "mixed_float16")
    model.train_on_batch(*batch())
    model.train_on_batch(*batch(scale=1e6))
    halved = float(model.optimizer.loss_scale)
    # as BackupAndRestore keeps it
    prefix = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
    fresh = cached_model(tiny_encoder_dir, "mixed_float16")
    fresh.optimizer.build(fresh.trainable_weights)
    check_backup_fits(fresh, prefix, "the checkpoint")
    assert halved == 2.0**14 and float(fresh.optimizer.loss_scale) == halved


@pytest.mark.parametrize(
    "precision, tolerance", [("mixed_bfloat16", 0.05), ("mixed_float16", 0.01)]
)
def test_mixed_policies_agree_with_float32_after_a_few_steps(
    tiny_encoder_dir, precision, tolerance
):
    """bfloat16 keeps 8 significant bits, float16 11: probabilities after five identical
    steps from identical weights stay within 0.05 and 0.01 of float32's."""
    models = {p: cached_model(tiny_encoder_dir, p) for p in ("float32", precision)}
    for step in range(5):
        for model in models.values():
            model.train_on_batch(*batch(seed=step))
    inputs, _ = batch(seed=99)
    reference, candidate = (models[p].predict_on_batch(inputs) for p in ("float32", precision))
    difference = float(np.max(np.abs(reference - candidate)))
    assert 0 < difference <= tolerance, difference
