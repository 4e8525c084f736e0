"""What `bert-keras tune` searches: how many blocks train, and optionally the
learning rate, the head's dropout, the layer-wise learning-rate decay, the unfreeze
schedule's shape and whether embeddings train.

The search space only reads `hp` and hands a TrainConfig to the same model
builder and training loop as `bert-keras train`.
"""

import dataclasses

import keras_tuner

from bert_keras.config import (
    AUTO_EPOCHS,
    TUNED_DROPOUTS,
    TUNED_LAYER_LR_DECAYS,
    TUNED_LEARNING_RATES,
    TUNED_SCHEDULES,
    TrainConfig,
)
from bert_keras.freezing.spec import FreezeSpec


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    depth: int  # the encoder's number of blocks
    blocks: tuple[int, ...] | None = None  # trainable-block counts to try; None: 0..depth
    tune_learning_rate: bool = False
    tune_dropout: bool = False
    tune_layer_lr_decay: bool = False
    tune_schedule: bool = False
    tune_embeddings: bool = False

    def declare(self) -> keras_tuner.HyperParameters:
        hp = keras_tuner.HyperParameters()
        if self.blocks:
            hp.Choice("trainable_blocks", list(self.blocks), ordered=True)
        else:
            hp.Int("trainable_blocks", 0, self.depth)
        if self.tune_learning_rate:
            hp.Choice("learning_rate", list(TUNED_LEARNING_RATES), ordered=True)
        if self.tune_dropout:
            hp.Choice("dropout", list(TUNED_DROPOUTS), ordered=True)
        if self.tune_layer_lr_decay:
            hp.Choice("layer_lr_decay", list(TUNED_LAYER_LR_DECAYS), ordered=True)
        if self.tune_schedule:
            hp.Choice("schedule", list(TUNED_SCHEDULES))
        if self.tune_embeddings:
            hp.Boolean("train_embeddings")
        return hp


def schedule_shape(shape: str, blocks: int, epochs) -> tuple[int, ...] | None:
    """The unfreeze schedule a named shape gives a trial ending with `blocks` trainable blocks:
    fixed: those blocks all along (no schedule); gradual: one block more each epoch, top down
    (ULMFiT), reaching them in the last (epochs auto: from one block up, then holding);
    head_first: the pooler and head alone for one epoch.

    >>> [schedule_shape(shape, 4, 3) for shape in ("gradual", "head_first", "fixed")]
    [(2, 3, 4), (0, 4), None]
    >>> schedule_shape("gradual", 4, "auto")
    (1, 2, 3, 4)
    """
    if epochs == AUTO_EPOCHS:
        epochs = blocks if shape == "gradual" else 2
    if shape == "gradual":
        return tuple(max(0, blocks - (epochs - 1 - e)) for e in range(epochs)) or None
    return (0, blocks) if shape == "head_first" and epochs > 1 else None


def trial_config(hp: keras_tuner.HyperParameters, base: TrainConfig, out: str) -> TrainConfig:
    """The training configuration one trial's hyperparameters stand for (Hyperband's
    `tuner/epochs` included: a bracket's budget)."""
    freeze = FreezeSpec(
        train_last=hp.get("trainable_blocks"),
        train_embeddings=hp.values.get("train_embeddings", False),
    )
    epochs = hp.values.get("tuner/epochs", base.optimizer.epochs)
    return base.replace(
        out=out,
        freeze=freeze,
        epochs=epochs,
        unfreeze_schedule=schedule_shape(
            hp.values.get("schedule", "fixed"), freeze.train_last, epochs
        ),
        learning_rate=hp.values.get("learning_rate", base.optimizer.learning_rate),
        dropout=hp.values.get("dropout", base.model.dropout),
        layer_lr_decay=hp.values.get("layer_lr_decay", base.optimizer.layer_lr_decay),
    )
