"""Layer-wise learning-rate decay (ELECTRA, Clark et al. 2020): lower blocks train slower;
and an AdamW whose slots grow as an unfreeze schedule starts more blocks.

With `layer_lr_decay=D`, an encoder of `depth` blocks trains
    block i (0 = nearest the embeddings)   at lr x D^(depth - i)
    the embeddings                         at lr x D^(depth + 1)  (the lowest)
    the pooler and the head                at lr x 1
so the last block runs at lr x D, and D = 1 is plain AdamW.

The multiplier scales what the optimizer does to a variable, not its gradient:
Adam divides each gradient by its own running magnitude, so a scaled gradient
would move the variable just as far. Warm-up and decay (the schedule), decoupled
weight decay (itself proportional to the learning rate) and global-norm clipping
(of the gradients, before any of this) compose with it unchanged.
"""

import contextlib

import tf_keras

from bert_keras.freezing.sublayers import EMBEDDINGS, block_index, sublayer_of, variable_name


def rate_multiplier(sublayer: str, depth: int, decay: float) -> float:
    """The learning-rate multiplier of a sub-layer (`freezing.sublayers` names it)."""
    block = block_index(sublayer)
    if block is not None:
        return decay ** (depth - block)
    return decay ** (depth + 1) if sublayer == EMBEDDINGS else 1.0


@tf_keras.utils.register_keras_serializable(package="bert_keras")
class LayerwiseAdamW(tf_keras.optimizers.AdamW):
    """AdamW whose updates of each encoder variable are scaled by its depth's multiplier.

    Args:
        depth: how many blocks the encoder has.
        layer_lr_decay: D in (0, 1]; 1 leaves AdamW exactly as it is.
        **kwargs: AdamW's own arguments.

    >>> import tensorflow as tf
    >>> optimizer = LayerwiseAdamW(depth=2, layer_lr_decay=0.5, learning_rate=0.1, weight_decay=0.0)
    >>> block = tf.Variable([1.0], name="transformer/layer_0/output/kernel")
    >>> head = tf.Variable([1.0], name="head")
    >>> _ = optimizer.apply_gradients([(tf.ones([1]), block), (tf.ones([1]), head)])
    >>> round(float(1 - block.numpy()[0]) / float(1 - head.numpy()[0]), 4)  # 0.5 ** (2 - 0)
    0.25
    """

    def __init__(self, depth: int, layer_lr_decay: float = 1.0, **kwargs):
        self.depth, self.layer_lr_decay, self._scale = depth, layer_lr_decay, 1.0
        super().__init__(**kwargs)

    def multiplier(self, variable) -> float:
        return rate_multiplier(
            sublayer_of(variable_name(variable)), self.depth, self.layer_lr_decay
        )

    @contextlib.contextmanager
    def _scaled_by(self, scale: float):
        """While tracing one variable's update, `learning_rate` reads as the scaled rate."""
        self._scale = scale
        try:
            yield
        finally:
            self._scale = 1.0

    @property
    def learning_rate(self):
        rate = tf_keras.optimizers.AdamW.learning_rate.fget(self)
        return rate if self._scale == 1.0 else rate * self._scale

    @learning_rate.setter
    def learning_rate(self, value):
        tf_keras.optimizers.AdamW.learning_rate.fset(self, value)

    def build(self, var_list):
        """AdamW builds its slots once, for the variables of its first step. Here they also
        grow for variables that start training later (`unfreeze_schedule`), in the order
        they start: a variable has slots only from the step it first trains."""
        if not getattr(self, "_built", False):
            return super().build(var_list)
        for variable in var_list:
            if self._var_key(variable) not in self._index_dict:
                self._index_dict[self._var_key(variable)] = len(self._momentums)
                self._momentums.append(self.add_variable_from_reference(variable, "m"))
                self._velocities.append(self.add_variable_from_reference(variable, "v"))

    def update_step(self, gradient, variable):
        with self._scaled_by(self.multiplier(variable)):
            super().update_step(gradient, variable)

    def _apply_weight_decay(self, variables):
        # AdamW reads one learning rate for all: decay each multiplier's variables apart.
        by_scale: dict[float, list] = {}
        for variable in variables:
            by_scale.setdefault(self.multiplier(variable), []).append(variable)
        for scale, group in by_scale.items():
            with self._scaled_by(scale):
                super()._apply_weight_decay(group)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth, "layer_lr_decay": self.layer_lr_decay}
