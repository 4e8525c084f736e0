"""Layer-wise learning-rate decay: what each variable's update is scaled by, and nothing else."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from runs import run_config

from bert_keras.config import OptimizerSpec, RunRecord, TrainConfig
from bert_keras.errors import UserInputError
from bert_keras.training.classifier import ENCODER_LAYER
from bert_keras.training.compiled import build_compiled_classifier
from bert_keras.training.layer_rates import LayerwiseAdamW, rate_multiplier
from bert_keras.training.optimizer import make_optimizer

DEPTH = 3
NAMES = {  # variable -> its expected multiplier at D = 0.5, depth 3
    "word_embeddings/embeddings": 0.5**4,
    "transformer/layer_0/self_attention/query/kernel": 0.5**3,
    "transformer/layer_1/intermediate/kernel": 0.5**2,
    "transformer/layer_2/output/kernel": 0.5,
    "transformer/layer_2/output/bias": 0.5,  # excluded from weight decay, scaled all the same
    "pooler_transform/kernel": 1.0,
    "classifier/kernel": 1.0,
    "classifier/bias": 1.0,
}


def test_the_multipliers_count_down_from_the_head():
    assert [rate_multiplier(f"transformer/layer_{i}", 6, 0.8) for i in range(6)] == [
        0.8 ** (6 - i) for i in range(6)
    ]
    assert rate_multiplier("embeddings", 6, 0.8) == 0.8**7
    assert rate_multiplier("pooler", 6, 0.8) == rate_multiplier("head", 6, 0.8) == 1.0


def test_one_step_moves_each_variable_by_its_multiplier_relative_to_the_head():
    """Same value, same gradient, warm-up on and weight decay on: each variable moves by its
    multiplier times what the head moves (Adam's step and the decoupled decay alike)."""
    settings = OptimizerSpec(
        learning_rate=0.01,
        weight_decay=0.1,
        warmup_fraction=0.5,
        clip_norm=100.0,
        layer_lr_decay=0.5,
    )
    optimizer = make_optimizer(settings, "float32", total_steps=10, depth=DEPTH)
    # float64, so that 3.0 minus a small step keeps the step's digits
    variables = {
        name: tf.Variable(tf.fill([4], tf.constant(3.0, tf.float64)), name=name) for name in NAMES
    }
    optimizer.apply_gradients(
        [(tf.fill([4], tf.constant(0.2, tf.float64)), v) for v in variables.values()]
    )
    moved = {name: 3.0 - v.numpy() for name, v in variables.items()}
    head, head_bias, rate = (
        moved["classifier/kernel"],
        moved["classifier/bias"],
        0.01 / 5,
    )  # warm-up: lr / 5
    # Keras: eps on sqrt(v)
    adam = 0.1 * 0.2 * np.sqrt(1 - 0.999) / (1 - 0.9) / (np.sqrt(0.001 * 0.2**2) + 1e-6)
    # Keras keeps beta_2 in float32
    assert head[0] == pytest.approx(rate * (0.1 * 3.0 + adam), rel=1e-4)
    assert head_bias[0] == pytest.approx(rate * adam, rel=1e-4)  # no weight decay on biases
    for name, multiplier in NAMES.items():
        # a bias moves by Adam's step alone (no weight decay), a kernel by both
        expected = (head_bias if name.endswith("bias") else head) * multiplier
        np.testing.assert_allclose(moved[name], expected, rtol=1e-9, err_msg=name)


def test_a_decay_of_one_is_plain_adamw_bit_for_bit():
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=[3]).astype(np.float32) for _ in NAMES] for _ in range(3)]
    finals = []
    for optimizer in (
        LayerwiseAdamW(DEPTH, 1.0, learning_rate=0.01, weight_decay=0.1, global_clipnorm=1.0),
        tf_keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1, global_clipnorm=1.0),
    ):
        optimizer.exclude_from_weight_decay(var_names=["bias"])
        variables = [tf.Variable(tf.ones([3]), name=name) for name in NAMES]
        for step in grads:
            optimizer.apply_gradients(zip(map(tf.constant, step), variables, strict=True))
        finals.append([v.numpy() for v in variables])
    for layerwise, plain in zip(*finals, strict=True):
        np.testing.assert_array_equal(layerwise, plain)


def test_the_compiled_model_scales_its_own_encoder_variables(tiny_encoder_dir):
    config = TrainConfig.from_settings(out="unused", layer_lr_decay=0.5)
    model = build_compiled_classifier(
        config, RunRecord("float32"), str(tiny_encoder_dir / "encoder"), total_steps=10
    )
    encoder_ids = {id(v) for v in model.get_layer(ENCODER_LAYER).trainable_weights}
    for variable in model.trainable_weights:
        name = variable.name
        block = next((i for i in range(2) if f"transformer/layer_{i}/" in name), None)
        expected = 0.5 ** (2 - block) if block is not None else 1.0  # the tiny encoder has 2 blocks
        assert model.optimizer.multiplier(variable) == expected, name
    assert any(id(v) not in encoder_ids for v in model.trainable_weights)  # the head is among them


def test_an_encoder_without_numbered_blocks_is_refused():
    settings = OptimizerSpec(layer_lr_decay=0.9)
    with pytest.raises(
        UserInputError, match="layer_lr_decay=0.9: the encoder some/encoder has no blocks"
    ):
        make_optimizer(settings, "float32", total_steps=10, depth=0, encoder="some/encoder")


@pytest.mark.extended
def test_a_cached_run_trains_with_the_decay_and_records_it(tiny_encoder_dir, tmp_path):
    """Through the CLI, on the frozen-prefix cache: the decay reaches the optimizer that fit
    runs (block 0 ends elsewhere than without it) and config.json records it."""
    from commands import train_argv
    from runs import best_weights
    from tiny_bert import write_synthetic_reviews

    from bert_keras.cli import main

    data = write_synthetic_reviews(tmp_path / "reviews", n_train=64, n_test=8)
    ends = {}
    for decay in ("1", "0.5"):
        out = tmp_path / f"run-{decay}"
        flags = "--epochs 2 --frozen-prefix cache --precision float32 --train-last 2".split()
        flags += ["--layer-lr-decay", decay]
        assert main(train_argv(tiny_encoder_dir, data, out, *flags)) == 0
        assert run_config(out)[0]["layer_lr_decay"] == float(decay)
        ends[decay] = best_weights(out)
    block_0 = [
        name for name in ends["1"] if "layer_0" in name and "kernel" in name and "/m/" not in name
    ]
    assert block_0 and all(
        not np.array_equal(ends["1"][name], ends["0.5"][name]) for name in block_0
    )
