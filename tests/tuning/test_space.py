"""The search space: it only reads `hp`, into the TrainConfig a trial trains with."""

from bert_keras.config import TrainConfig
from bert_keras.tuning.space import SearchSpace, trial_config


def test_search_space_reads_hp_into_a_train_config():
    hp = SearchSpace(depth=6).declare()
    assert hp.space[0].name == "trainable_blocks" and (
        hp.space[0].min_value,
        hp.space[0].max_value,
    ) == (0, 6)
    full = SearchSpace(
        depth=6,
        blocks=(0, 2, 6),
        tune_learning_rate=True,
        tune_dropout=True,
        tune_layer_lr_decay=True,
        tune_schedule=True,
        tune_embeddings=True,
    ).declare()
    assert [p.name for p in full.space] == [
        "trainable_blocks",
        "learning_rate",
        "dropout",
        "layer_lr_decay",
        "schedule",
        "train_embeddings",
    ]
    assert full.space[3].values == [1.0, 0.9, 0.8, 0.65]
    full.values.update(
        trainable_blocks=2,
        learning_rate=3e-4,
        dropout=0.2,
        layer_lr_decay=0.8,
        schedule="gradual",
        train_embeddings=True,
    )
    config = trial_config(full, TrainConfig.from_settings(out="base", epochs=3), "trials/7")
    assert config.optimizer.unfreeze_schedule == (
        0,
        1,
        2,
    )  # one more block each epoch, reaching 2 in the last
    assert (config.out, config.freeze.train_last, config.freeze.train_embeddings) == (
        "trials/7",
        2,
        True,
    )
    assert (
        config.optimizer.learning_rate,
        config.model.dropout,
        config.optimizer.layer_lr_decay,
    ) == (3e-4, 0.2, 0.8)
    assert (
        trial_config(
            SearchSpace(depth=2).declare(), TrainConfig.from_settings(out="b"), "t"
        ).freeze.train_last
        == 0
    )
