"""AdamW as training uses it: the schedule's values, decay only where it belongs, clipping."""

import numpy as np
import pytest
import tensorflow as tf

from bert_keras.config import OptimizerSpec
from bert_keras.training.optimizer import WarmupLinearDecay, make_optimizer


def test_schedule_warms_up_linearly_then_decays_linearly_to_zero():
    schedule = WarmupLinearDecay(1e-3, warmup_steps=4, total_steps=12)
    rates = [float(schedule(step)) for step in range(14)]
    # (step + 1) / warmup
    np.testing.assert_allclose(rates[:4], [2.5e-4, 5e-4, 7.5e-4, 1e-3], rtol=1e-6)
    np.testing.assert_allclose(
        rates[4:],
        [1e-3, 8.75e-4, 7.5e-4, 6.25e-4, 5e-4, 3.75e-4, 2.5e-4, 1.25e-4, 0, 0],
        rtol=1e-6,
        atol=1e-12,
    )
    # no warm-up: the peak at once
    assert float(WarmupLinearDecay(1e-3, 0, 10)(0)) == pytest.approx(1e-3)


def test_weight_decay_skips_layer_norms_and_biases():
    """With a zero gradient Adam's own step is zero, so what moves a variable is the decay alone:
    kernels shrink by lr * wd * value, layer norm scales and biases do not move."""
    settings = OptimizerSpec(learning_rate=0.1, weight_decay=0.5, warmup_fraction=0.0)
    optimizer = make_optimizer(settings, "float32", total_steps=10)
    variables = {
        name: tf.Variable(tf.fill([3], 2.0), name=name)
        for name in (
            "transformer/layer_0/output/kernel",
            "transformer/layer_0/output/bias",
            "transformer/layer_0/output_layer_norm/gamma",
            "classifier/kernel",
        )
    }
    optimizer.apply_gradients([(tf.zeros([3]), v) for v in variables.values()])
    moved = {name: float(v.numpy()[0]) for name, v in variables.items()}
    assert moved["transformer/layer_0/output/kernel"] == pytest.approx(2.0 - 0.1 * 0.5 * 2.0)
    assert moved["classifier/kernel"] == pytest.approx(2.0 - 0.1 * 0.5 * 2.0)
    assert moved["transformer/layer_0/output/bias"] == 2.0
    assert moved["transformer/layer_0/output_layer_norm/gamma"] == 2.0


def test_gradients_are_clipped_to_the_global_norm():
    settings = OptimizerSpec(
        learning_rate=0.5, weight_decay=0.0, clip_norm=1.0, warmup_fraction=0.0
    )
    optimizer = make_optimizer(settings, "float32", total_steps=10)
    assert optimizer.global_clipnorm == 1.0 and optimizer.epsilon == 1e-6
    variable = tf.Variable([0.0, 0.0])
    optimizer.apply_gradients([(tf.constant([300.0, 400.0]), variable)])  # norm 500, clipped to 1
    # Adam's first step moves each coordinate by the learning rate, whatever the
    # gradient's size: what clipping changes is the moments it leaves behind.
    m = optimizer.variables[1].numpy()  # m = (1 - beta_1) * clipped gradient
    np.testing.assert_allclose(m, 0.1 * np.array([0.6, 0.8]), rtol=1e-5)
