"""Freezing through hub.KerasLayer: specifications, what fit() changes, optimizer slots, the
table."""

import numpy as np
import pytest
import tensorflow_hub as hub

from bert_keras.config import OptimizerSpec
from bert_keras.errors import SelfCheckFailed, UserInputError
from bert_keras.freezing.hub_layer import verify_trainable
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import variable_name
from bert_keras.training.classifier import build_classifier
from bert_keras.training.layers_table import layer_rows
from bert_keras.training.optimizer import make_optimizer


def frozen_names(model):
    trainable = {variable_name(v) for v in model.trainable_weights}
    return {
        variable_name(v)
        for v in model.get_layer("encoder").weights
        if v.dtype.is_floating and variable_name(v) not in trainable
    }


def test_regex_selectors_on_variable_and_sublayer_names(tiny_handle):
    by_norm = frozen_names(
        build_classifier(tiny_handle, FreezeSpec(freeze_regex=r"layer_norm/"), pooling="cls")
    )
    assert by_norm and all("layer_norm/" in name for name in by_norm)
    only_pooler = frozen_names(
        build_classifier(tiny_handle, FreezeSpec(train_regex="^pooler$"), pooling="cls")
    )
    assert not any(name.startswith("pooler_transform/") for name in only_pooler)
    assert any(name.startswith("transformer/layer_1/") for name in only_pooler)
    # An index and --train-regex compose: last block trains, and so do all layer norms.
    mixed = frozen_names(
        build_classifier(
            tiny_handle, FreezeSpec(train_last=1, train_regex="layer_norm"), pooling="cls"
        )
    )
    assert "transformer/layer_0/output/kernel" in mixed
    assert "transformer/layer_0/output_layer_norm/gamma" not in mixed


def test_regex_that_matches_nothing_lists_valid_sublayers(tiny_handle):
    with pytest.raises(UserInputError, match="matches no sub-layer .*transformer/layer_1, pooler"):
        build_classifier(tiny_handle, FreezeSpec(freeze_regex="decoder"))


def fit_briefly(model, steps=3, seed=0):
    """A few steps with the production optimizer: AdamW with its warm-up schedule,
    weight decay (not on layer norms and biases) and clipping."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 60, size=(8 * steps, 12)).astype(np.int32)
    inputs = dict(
        input_word_ids=ids, input_mask=np.ones_like(ids), input_type_ids=np.zeros_like(ids)
    )
    labels = rng.integers(0, 2, size=(8 * steps, 1)).astype(np.float32)
    settings = OptimizerSpec(learning_rate=1e-2, warmup_fraction=0.5)
    optimizer = make_optimizer(settings, "float32", total_steps=steps)
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    model.fit(inputs, labels, batch_size=8, epochs=1, verbose=0)


def check_freezing_after_fit(model):
    before = {variable_name(v): v.numpy().copy() for v in model.weights if v.dtype.is_floating}
    frozen = frozen_names(model)
    fit_briefly(model)
    for variable in model.weights:
        name = variable_name(variable)
        if name in frozen:
            np.testing.assert_array_equal(variable.numpy(), before[name], err_msg=name)
        elif variable.dtype.is_floating:
            assert not np.array_equal(variable.numpy(), before[name]), f"{name} did not train"
    # AdamW keeps two slots (m, v) per trainable variable, and none for frozen ones.
    slotted = sorted(
        variable_name(v).split("/", 2)[2] for v in model.optimizer.variables() if v.shape.rank
    )
    assert slotted == sorted(2 * [variable_name(v) for v in model.trainable_weights])
    assert frozen.isdisjoint(slotted)
    rows = layer_rows(model)
    assert sum(r.trainable_parameters for r in rows) == sum(
        v.shape.num_elements() for v in model.trainable_weights
    )
    return rows


@pytest.mark.parametrize(
    "spec",
    [
        FreezeSpec(train_last=1),
        FreezeSpec(train_last=0),
        FreezeSpec(freeze_regex="attention"),
        FreezeSpec(),
    ],
)
def test_fit_changes_exactly_the_trainable_variables(tiny_handle, spec):
    rows = check_freezing_after_fit(build_classifier(tiny_handle, spec, seed=1, pooling="cls"))
    status = {row.name: row.status for row in rows}
    assert status["head"] == "trainable"
    if spec.train_last == 1:
        assert status == {
            "embeddings": "frozen",
            "transformer/layer_0": "frozen",
            "transformer/layer_1": "trainable",
            "pooler": "trainable",
            "head": "trainable",
        }


def test_the_build_check_fails_where_tf_hub_would_train_everything(tiny_handle):
    loaded = hub.load(tiny_handle)
    trains_everything = hub.KerasLayer(loaded, trainable=True)  # as if the freeze list were ignored
    with pytest.raises(
        SelfCheckFailed,
        match="freezing did not take: the encoder layer trains 39 variables, "
        "the freeze specification 18 .trained but frozen: embeddings",
    ):
        verify_trainable(
            trains_everything, loaded, FreezeSpec(train_last=1).frozen_variables(loaded.variables)
        )
    verify_trainable(trains_everything, loaded, frozen=set())  # nothing frozen: it agrees


@pytest.mark.slow
def test_minilm_original_recipe_freezes_for_real(minilm_dir):
    model = build_classifier(
        str(minilm_dir / "encoder"), FreezeSpec(train_last=2), seed=1, pooling="cls"
    )
    rows = check_freezing_after_fit(model)
    assert [r.status for r in rows] == ["frozen"] * 5 + ["trainable"] * 4
    assert sum(r.trainable_parameters for r in rows) == 2 * 1_774_464 + 147_840 + 385
