"""A `hub.KerasLayer` that honours a freeze specification.

Why not `layer.trainable = False` on the encoder's sub-layers: `hub.KerasLayer`
restores variables, not layers, so `model.layers[0].layers` does not exist and
setting `trainable` on a restored variable raises. What hub.KerasLayer does
honour is the Reusable SavedModel interface: it makes trainable exactly the
variables its object lists in `trainable_variables`. `FreezableEncoder` hands
it a view of the loaded encoder whose list leaves the frozen ones out, so they
are non-trainable weights of the model: no gradients, no optimizer slots.
"""
import bert_keras  # noqa: F401  (selects tf_keras before TensorFlow loads)
import tensorflow_hub as hub
import tf_keras

from bert_keras.encoders.resolve import load_saved_model
from bert_keras.errors import SelfCheckFailed
from bert_keras.freezing.spec import FreezeSpec
from bert_keras.freezing.sublayers import variable_name


class _FrozenView:
    """A loaded encoder as hub.KerasLayer sees it, with frozen variables left out
    of `trainable_variables` (TF Hub's Reusable SavedModel interface)."""

    def __init__(self, loaded, frozen: set[str]):
        self.loaded = loaded
        self.variables = list(loaded.variables)
        self.trainable_variables = [v for v in loaded.trainable_variables
                                    if variable_name(v) not in frozen]
        self.regularization_losses = list(getattr(loaded, "regularization_losses", []))

    def __call__(self, inputs, training=False):
        return self.loaded(inputs, training=training)


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
            f"frozen but meant to train: {', '.join(missing[:3]) or 'none'})")


class FreezableEncoder(hub.KerasLayer):
    """A TF Hub BERT encoder as a Keras layer, frozen as `freeze` says.

    Within one call every block follows the same `training` flag, so frozen
    blocks still apply dropout while the model trains: frozen means "not
    updated", not "in inference mode".

    >>> encoder = FreezableEncoder("saved_models/encoders/minilm-l6/encoder",
    ...                            freeze=FreezeSpec(train_last=2))  # doctest: +SKIP
    """

    def __init__(self, handle, freeze=None, **kwargs):
        kwargs.pop("trainable", None)  # trainability is what `freeze` says
        self.encoder_handle = handle
        self.freeze = freeze if isinstance(freeze, FreezeSpec) else FreezeSpec.from_dict(freeze)
        loaded = load_saved_model(handle, "--encoder")
        self.frozen_names = frozenset(self.freeze.frozen_variables(loaded.variables))
        super().__init__(_FrozenView(loaded, self.frozen_names), trainable=True, **kwargs)
        verify_trainable(self, loaded, self.frozen_names)

    def get_config(self):
        config = tf_keras.layers.Layer.get_config(self)
        config.pop("trainable", None)
        return {**config, "handle": self.encoder_handle, "freeze": self.freeze.to_dict()}
