"""AdamW with decoupled weight decay, linear warm-up then linear decay, global-norm clipping,
and layer-wise learning-rate decay (`training.layer_rates`)."""

import tensorflow as tf
import tf_keras

from bert_keras.config import OptimizerSpec
from bert_keras.errors import UserInputError
from bert_keras.training.layer_rates import LayerwiseAdamW

# LayerNorm scales/offsets and biases are not decayed (as in BERT's own recipe).
NO_DECAY = ["layer_norm", "bias"]


@tf_keras.utils.register_keras_serializable(package="bert_keras")
class WarmupLinearDecay(tf_keras.optimizers.schedules.LearningRateSchedule):
    """0 -> `peak` over `warmup_steps`, then linearly down to 0 at `total_steps`, all of it
    times `scale` (a variable: 1 unless `epochs="auto"` lowers it on a plateau).

    >>> schedule = WarmupLinearDecay(1e-3, warmup_steps=10, total_steps=110)
    >>> [round(float(schedule(s)), 6) for s in (0, 9, 60, 110)]
    [0.0001, 0.001, 0.0005, 0.0]
    >>> _ = schedule.scale.assign(0.5)
    >>> round(float(schedule(60)), 6)
    0.00025
    """

    def __init__(self, peak, warmup_steps, total_steps):
        self.peak, self.warmup_steps, self.total_steps = peak, warmup_steps, total_steps
        self.scale = tf.Variable(1.0, trainable=False, name="rate_scale")

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = self.peak * tf.minimum(1.0, (step + 1) / max(1, self.warmup_steps))
        remaining = (self.total_steps - step) / max(1, self.total_steps - self.warmup_steps)
        decay = self.peak * tf.clip_by_value(remaining, 0.0, 1.0)
        return tf.where(step < self.warmup_steps, warmup, decay) * self.scale

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
        }


def rate_schedule(optimizer) -> WarmupLinearDecay:
    """The learning-rate schedule of an optimizer `make_optimizer` made."""
    return getattr(optimizer, "inner_optimizer", optimizer)._learning_rate


def make_optimizer(
    settings: OptimizerSpec,
    precision: str,
    total_steps: int,
    depth: int = 0,
    warmup_steps: int | None = None,
    encoder: str = "the encoder",
):
    """The run's optimizer.

    Args:
        settings: the rates, decay, clipping and warm-up.
        precision: the Keras dtype policy the run computes in (mixed_float16 scales the loss).
        total_steps: where the rate reaches 0.
        depth: the encoder's blocks, which `layer_lr_decay` counts down from.
        warmup_steps: the warm-up's steps; None: `warmup_fraction` of all.
        encoder: the encoder's name, for the error that it has no blocks to decay.
    """
    if settings.layer_lr_decay != 1.0 and depth == 0:
        raise UserInputError(
            f"layer_lr_decay={settings.layer_lr_decay}: the encoder {encoder} has no blocks "
            f"named transformer/layer_<i>/ to decay by depth"
        )
    if warmup_steps is None:
        warmup_steps = int(total_steps * settings.warmup_fraction)
    schedule = WarmupLinearDecay(settings.learning_rate, warmup_steps, total_steps)
    optimizer = LayerwiseAdamW(
        depth,
        settings.layer_lr_decay,
        learning_rate=schedule,
        weight_decay=settings.weight_decay,
        global_clipnorm=settings.clip_norm,
        epsilon=1e-6,
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY)
    if precision == "mixed_float16":
        # float16 gradients underflow below 6e-8: the loss is scaled up before the backward
        # pass and the gradients down after it; a step whose gradients overflow is skipped
        # and the scale halved. The scale is a variable of the optimizer, so checkpoints
        # (and a resume) keep it.
        optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
    return optimizer
