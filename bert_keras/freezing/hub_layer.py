"""A `hub.KerasLayer` that honours a freeze specification.

Why not `layer.trainable = False` on the encoder's sub-layers: `hub.KerasLayer`
restores variables, not layers, so `model.layers[0].layers` does not exist and
setting `trainable` on a restored variable raises. What hub.KerasLayer does
honour is the Reusable SavedModel interface: it makes trainable exactly the
variables its object lists in `trainable_variables`. `FreezableEncoder` hands
it a view of the loaded encoder whose list leaves the frozen ones out, so they
are non-trainable weights of the model: no gradients, no optimizer slots.

Frozen blocks run in inference mode. An encoder bert-keras converted carries
`hidden_state_at` and `from_hidden` (see `encoders.network`): while training, the
view runs the frozen prefix (the embeddings and the wholly frozen blocks that
follow them) in inference mode, then the rest in training mode. A frozen block
is then what it will be when serving, no dropout, and its output is the same
at every epoch: the frozen-prefix cache keeps it instead (`from_cache=True`,
whose inputs are those hidden states). An encoder without the two functions
is one call: every block follows the same training flag, frozen ones included.
"""

import tensorflow_hub as hub
import tf_keras

from bert_keras.encoders.resolve import load_saved_model
from bert_keras.errors import SelfCheckFailed
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import (
    POOLER,
    frozen_prefix_depth,
    group_sublayers,
    sublayer_of,
    variable_name,
)

SPLIT_OUTPUTS = ("pooled_output", "default")  # what from_hidden gives
SEQUENCE_OUTPUTS = ("sequence_output",)  # what from_hidden gives with sequence=True


def splits(loaded, sequence: bool = False) -> bool:
    """Whether an encoder can run its frozen prefix apart (bert-keras converted it);
    `sequence`: and give every token's output from there (converted since format 8)."""
    if not (hasattr(loaded, "hidden_state_at") and hasattr(loaded, "from_hidden")):
        return False
    arguments = (
        len(f.structured_input_signature[0]) for f in loaded.from_hidden.concrete_functions
    )
    return not sequence or max(arguments, default=0) >= 5


class _FrozenView:
    """A loaded encoder as hub.KerasLayer sees it, with frozen variables left out
    of `trainable_variables` (TF Hub's Reusable SavedModel interface). `call`
    decides which of the encoder's functions run."""

    def __init__(self, loaded, frozen: set[str], call):
        self.loaded, self._call = loaded, call
        self.variables = list(loaded.variables)
        self.trainable_variables = [
            v for v in loaded.trainable_variables if variable_name(v) not in frozen
        ]
        self.regularization_losses = list(getattr(loaded, "regularization_losses", []))

    def __call__(self, inputs, training=False):
        return self._call(inputs, training)


def frozen_prefix_of(loaded, frozen: set[str], sequence: bool = False) -> int | None:
    """How many leading blocks run apart as a fixed prefix when `frozen` (variable names)
    are frozen; None when the embeddings train or the encoder cannot split (`sequence`:
    and give every token's output)."""
    if not splits(loaded, sequence):
        return None
    return frozen_prefix_depth(group_sublayers(loaded.variables), frozen)


def _encoder_call(loaded, boundary: int | None, from_cache: bool, sequence: bool):
    if from_cache:  # inputs: {"hidden_states": [batch, seq, hidden], "input_mask": [batch, seq]}
        return lambda inputs, training: loaded.from_hidden(
            inputs["hidden_states"], inputs["input_mask"], boundary, training, sequence
        )
    if boundary is None:
        return lambda inputs, training: loaded(inputs, training=training)
    keys = SEQUENCE_OUTPUTS if sequence else SPLIT_OUTPUTS

    def call(inputs, training):
        if not training:  # serving and evaluation: TF Hub's own call, as exported
            outputs = loaded(inputs, training=False)  # both branches give from_hidden's outputs
            return {key: outputs[key] for key in keys}
        hidden = loaded.hidden_state_at(inputs, boundary)  # [batch, seq, hidden], inference mode
        return loaded.from_hidden(hidden, inputs["input_mask"], boundary, True, sequence)

    return call


def verify_trainable(layer, loaded, frozen: set[str]):
    """Checks that `layer` trains exactly the variables the specification leaves
    trainable: should tensorflow_hub stop honouring `trainable_variables`, the run
    fails here instead of training everything."""
    expected = {variable_name(v) for v in loaded.trainable_variables} - set(frozen)
    actual = {variable_name(v) for v in layer.trainable_weights}
    if actual != expected:
        extra, missing = sorted(actual - expected), sorted(expected - actual)
        raise SelfCheckFailed(
            f"freezing did not take: the encoder layer trains {len(actual)} variables, the freeze "
            f"specification {len(expected)} (trained but frozen: {', '.join(extra[:3]) or 'none'}; "
            f"frozen but meant to train: {', '.join(missing[:3]) or 'none'})"
        )


class FreezableEncoder(hub.KerasLayer):
    """A TF Hub BERT encoder as a Keras layer, frozen as `freeze` says.

    Args:
        handle: the encoder SavedModel.
        freeze: which variables train (a FreezeSpec or its dict).
        from_cache: take the hidden states entering the first trainable block
            (and the input mask) instead of token ids; needs `frozen_prefix` set.
        loaded: the encoder already loaded with `hub.load(handle)`, so that two
            layers (one from token ids, one from the cache) share its variables.
        pooler: whether the head reads `pooled_output`; False: the pooler is unused,
            so it is frozen whatever `freeze` says.

    Attributes:
        frozen_prefix: how many leading blocks run as a fixed prefix (with the
            embeddings), None when there is none or the encoder cannot split.

    >>> encoder = FreezableEncoder(encoder_dir + "/encoder", freeze=FreezeSpec(train_last=1))
    >>> encoder.frozen_prefix  # the embeddings and block 0 of the two
    1
    """

    def __init__(self, handle, freeze=None, from_cache=False, loaded=None, pooler=True, **kwargs):
        kwargs.pop("trainable", None)  # trainability is what `freeze` says
        self.encoder_handle, self.from_cache, self.pooler = handle, from_cache, pooler
        self.freeze = freeze if isinstance(freeze, FreezeSpec) else FreezeSpec.from_dict(freeze)
        loaded = loaded if loaded is not None else load_saved_model(handle, "encoder")
        view = self._view(loaded)
        super().__init__(view, trainable=True, **kwargs)
        verify_trainable(self, loaded, self.frozen_names)

    def _view(self, loaded) -> _FrozenView:
        """The encoder as `self.freeze` leaves it; sets `frozen_names` and `frozen_prefix`."""
        self.frozen_names = self.frozen_under(self.freeze, loaded.variables)
        sequence = not self.pooler  # the head reads every token's output
        self.frozen_prefix = frozen_prefix_of(loaded, self.frozen_names, sequence)
        if self.from_cache and self.frozen_prefix is None:
            raise ValueError(f"{self.encoder_handle}: no frozen prefix to take from a cache")
        call = _encoder_call(loaded, self.frozen_prefix, self.from_cache, sequence)
        return _FrozenView(loaded, self.frozen_names, call)

    def frozen_under(self, freeze: FreezeSpec, variables) -> frozenset[str]:
        """Names of the encoder `variables` that stay frozen under `freeze`: what it says,
        and the pooler when the head does not read it."""
        frozen = freeze.frozen_variables(variables)
        if not self.pooler:
            names = (variable_name(v) for v in variables)
            frozen |= {name for name in names if sublayer_of(name) == POOLER}
        return frozenset(frozen)

    def refreeze(self, freeze: FreezeSpec):
        """Trains what `freeze` says from now on, over the same loaded encoder (an unfreeze
        schedule's next epoch): the weights move between the trainable and non-trainable
        lists (the checkpoint names them alike), and the next traced call runs the new split.
        A model holding this layer must retrace its train function (`train_function = None`)."""
        self.freeze = freeze
        self._func = self._view(self._func.loaded)
        self._callable = self._get_callable()  # hub.KerasLayer calls what it got at construction
        trainable = {id(v) for v in self._func.trainable_variables}
        weights = list(self._trainable_weights) + list(self._non_trainable_weights)
        for kept, into_trainable in (
            (self._trainable_weights, True),
            (self._non_trainable_weights, False),
        ):
            del kept[:]  # in place: the lists are Keras' own
            kept.extend(w for w in weights if (id(w) in trainable) == into_trainable)
        verify_trainable(self, self._func.loaded, self.frozen_names)

    def get_config(self):
        config = tf_keras.layers.Layer.get_config(self)
        config.pop("trainable", None)
        return {
            **config,
            "handle": self.encoder_handle,
            "freeze": self.freeze.to_dict(),
            "from_cache": self.from_cache,
            "pooler": self.pooler,
        }
