"""An encoder's sub-layers, read from its variable names.

`hub.KerasLayer` restores variables, not the Keras layers that made them, so the
only structure left is in the names. TF Hub BERT v4 names them
`word_embeddings/...`, `transformer/layer_{i}/...`, `pooler_transform/...`;
this module groups them back into `embeddings`, `transformer/layer_{i}` and
`pooler`, which is what freeze specifications and the layer table speak of.
"""

import dataclasses
import re

import numpy as np

from bert_keras.encoders.layout import variable_name

EMBEDDINGS = "embeddings"
POOLER = "pooler"
HEAD = "head"
OTHER = "other"
_BLOCK = re.compile(r"(?:^|/)transformer/layer_(\d+)/")
_EMBEDDINGS = re.compile(
    r"(?:^|/)(?:word_embeddings|position_embedding|type_embeddings|embeddings)/"
)
_POOLER = re.compile(r"(?:^|/)pooler_transform/")


def sublayer_of(name: str) -> str:
    """The sub-layer a variable name belongs to: embeddings, transformer/layer_i, pooler, other."""
    block = _BLOCK.search(name)
    if block:
        return f"transformer/layer_{int(block.group(1))}"
    if _POOLER.search(name):
        return POOLER
    if _EMBEDDINGS.search(name):
        return EMBEDDINGS
    return OTHER


def block_index(sublayer: str) -> int | None:
    match = re.fullmatch(r"transformer/layer_(\d+)", sublayer)
    return int(match.group(1)) if match else None


@dataclasses.dataclass(frozen=True)
class SubLayer:
    name: str  # embeddings, transformer/layer_3, pooler, head, other
    variables: tuple[str, ...]  # full variable names, in the encoder's order
    parameters: int

    @property
    def block(self) -> int | None:
        return block_index(self.name)


def _order(name: str) -> tuple:
    block = block_index(name)
    rank = {EMBEDDINGS: 0, POOLER: 2, HEAD: 3, OTHER: 4}.get(name, 1)
    return (rank, block if block is not None else 0)


def group_sublayers(variables, head_variables=()) -> list[SubLayer]:
    """Groups variables into sub-layers in forward order: embeddings, blocks by index,
    pooler, head, then anything unrecognised. Non-float variables (TF Hub's
    `do_lower_case` flag) hold no parameters and are left out."""
    groups: dict[str, list] = {}
    for is_head, collection in ((False, variables), (True, head_variables)):
        for variable in collection:
            if not variable.dtype.is_floating:
                continue
            name = HEAD if is_head else sublayer_of(variable_name(variable))
            groups.setdefault(name, []).append(variable)
    return [
        SubLayer(
            name,
            tuple(variable_name(v) for v in members),
            int(sum(np.prod(v.shape.as_list(), dtype=np.int64) for v in members)),
        )
        for name, members in sorted(groups.items(), key=lambda item: _order(item[0]))
    ]


def position_table_length(variables) -> int | None:
    """How many positions the encoder's position embeddings cover, if it has a table."""
    for variable in variables:
        if variable_name(variable).endswith("position_embedding/embeddings"):
            return int(variable.shape[0])
    return None


def hidden_size(variables) -> int:
    """The width of the encoder's hidden states: the pooler's input."""
    for variable in variables:
        if sublayer_of(variable_name(variable)) == POOLER and variable.shape.rank == 2:
            return int(variable.shape[0])
    raise ValueError("the encoder has no pooler_transform kernel")


def frozen_prefix_depth(sublayers, frozen: set[str]) -> int | None:
    """How many leading blocks are wholly frozen, with the embeddings before them: the
    part whose output never changes while the model trains. None when the embeddings
    train (then nothing before block 0 is fixed)."""
    by_name = {sublayer.name: sublayer for sublayer in sublayers}

    def wholly_frozen(name: str) -> bool:
        return name in by_name and all(variable in frozen for variable in by_name[name].variables)

    if not wholly_frozen(EMBEDDINGS):
        return None
    depth = 0
    while wholly_frozen(f"transformer/layer_{depth}"):
        depth += 1
    return depth


def block_range(boundary: int) -> str:
    """The sub-layers before block `boundary`, in words: 'embeddings and blocks 0-3'."""
    if boundary == 0:
        return "embeddings"
    return "embeddings and block 0" if boundary == 1 else f"embeddings and blocks 0-{boundary - 1}"


def encoder_depth(sublayers) -> int:
    return sum(1 for sublayer in sublayers if sublayer.block is not None)
