"""Freeze specifications: validation when made, index selectors, refusals that name what was
seen."""

import pytest

from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec

TINY_SUBLAYERS = ["embeddings", "transformer/layer_0", "transformer/layer_1", "pooler"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(train_last=-1), "train_last=-1: must be a whole number"),
        (dict(freeze_first=-2), "freeze_first=-2"),
        (dict(train_last=1, freeze_first=1), "contradict"),
        (dict(freeze_regex="layer_0", train_regex="pooler"), "contradict"),
        (dict(freeze_regex="  "), "`freeze_regex`: the pattern is empty"),
        (dict(train_regex="layer_[0-"), "not a valid regular expression"),
        (
            dict(train_embeddings=True),
            "`train_embeddings`: only means something with `train_last` or `freeze_first`",
        ),
    ],
)
def test_bad_specifications_are_refused_when_built(kwargs, message):
    with pytest.raises(UserInputError, match=message):
        FreezeSpec(**kwargs)


@pytest.mark.parametrize(
    "spec, frozen",
    [
        (FreezeSpec(), set()),
        (
            FreezeSpec(train_last=2),
            {"embeddings"},
        ),  # every block trains; embeddings only with the flag
        (FreezeSpec(train_last=2, train_embeddings=True), set()),
        (FreezeSpec(freeze_first=0), {"embeddings"}),
        (FreezeSpec(train_last=1), {"embeddings", "transformer/layer_0"}),
        (FreezeSpec(train_last=0), {"embeddings", "transformer/layer_0", "transformer/layer_1"}),
        (FreezeSpec(train_last=1, train_embeddings=True), {"transformer/layer_0"}),
        (FreezeSpec(freeze_first=1), {"embeddings", "transformer/layer_0"}),
    ],
)
def test_index_selectors(spec, frozen):
    assert spec.frozen_sublayers(TINY_SUBLAYERS) == frozen


@pytest.mark.parametrize("spec", [FreezeSpec(train_last=3), FreezeSpec(freeze_first=5)])
def test_index_beyond_depth_lists_valid_sublayers(spec):
    with pytest.raises(
        UserInputError,
        match="only 2 blocks .*embeddings, transformer/layer_0, transformer/layer_1, pooler",
    ):
        spec.frozen_sublayers(TINY_SUBLAYERS)


@pytest.mark.parametrize(
    "names", [["embeddings", "pooler", "other"], ["transformer/layer_0", "other"]]
)
def test_index_selectors_refuse_encoders_whose_blocks_they_cannot_tell(names):
    with pytest.raises(
        UserInputError,
        match=f"cannot tell this encoder's blocks .*sub-layers seen: {', '.join(names)}",
    ):
        FreezeSpec(train_last=0).frozen_sublayers(names)
