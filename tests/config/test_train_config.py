"""A run's settings: parts that check themselves, composed; the flat names that route to
them; the stretches of an unfreeze schedule."""

import pytest

from bert_keras.config import SETTINGS, ModelSpec, OptimizerSpec, TrainConfig
from bert_keras.data.spec import DataSpec
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec


def test_the_location_is_normalised_and_is_no_setting():
    moved = TrainConfig.from_settings(out="runs/demo/", epochs=2)
    assert moved.out == "runs/demo"
    assert (
        moved.settings() == TrainConfig.from_settings(out="elsewhere", epochs=2).settings()
        and "out" not in moved.settings()
    )


def test_flat_settings_reach_their_parts_and_come_back_by_the_same_names():
    """Every setting by its flat name goes to one part, and `flat` gives it back: the
    names of the flags, of `bert_keras.train`'s arguments and of config.json."""
    values = {
        "encoder": "enc",
        "data": "reviews.tsv",
        "test_data": "test.tsv",
        "text_columns": ("title", "body"),
        "label_column": "stars",
        "multi_label": True,
        "limit": 300,
        "max_seq_length": 64,
        "pooling": "cls",
        "epochs": 4,
        "learning_rate": 3e-4,
        "unfreeze_schedule": (1, 2),
        "strategy": "one_device",
        "jit_compile": "off",
        "cache_dir": "/tmp/c",
        "target_recall": 0.9,
        "seed": 7,
    }
    config = TrainConfig.from_settings("run", **values)
    assert (config.data.columns.text, config.data.columns.label) == (("title", "body"), "stars")
    assert (config.model.pooling, config.optimizer.epochs, config.cache.cache_dir) == (
        "cls",
        4,
        "/tmp/c",
    )
    assert (config.placement.strategy, config.threshold.target_recall) == ("one_device", 0.9)
    flat = config.flat()
    assert {name: flat[name] for name in values} == values
    assert set(flat) == set(SETTINGS)


def test_whole_parts_compose_with_flat_settings_over_them():
    optimizer = OptimizerSpec(epochs=3, learning_rate=2e-4)
    config = TrainConfig.from_settings(
        "run", optimizer=optimizer, batch_size=8, data=DataSpec("r.csv"), limit=50
    )
    assert config.optimizer == OptimizerSpec(epochs=3, learning_rate=2e-4, batch_size=8)
    assert (config.data.data, config.data.limit) == ("r.csv", 50)
    assert config.replace(model=ModelSpec(dropout=0.0)).model.dropout == 0.0


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"learning_rat": 0.1},
            "^learning_rat=0.1: not a setting of a run .did you mean learning_rate",
        ),
        ({"colour": "red"}, "^colour=red: not a setting of a run$"),
        ({"optimizer": 3}, "^optimizer=3: not a setting"),
        (
            {"unfreeze_schedule": "1,2", "epochs": 2, "freeze": FreezeSpec(freeze_first=1)},
            "^unfreeze_schedule=1,2: counts the last blocks",
        ),
    ],
)
def test_what_is_no_setting_or_does_not_compose_is_one_line_naming_it(settings, message):
    with pytest.raises(UserInputError, match=message):
        TrainConfig.from_settings("run", **settings)


@pytest.mark.parametrize(
    "field, value",
    [
        ("epochs", True),
        ("batch_size", 2.5),
        ("learning_rate", float("inf")),
        ("dropout", float("nan")),
        ("seed", 2**31),
        ("limit", 0),
    ],
)
def test_types_and_bounds(field, value):
    with pytest.raises(UserInputError, match=f"^{field}={value}: must be"):
        TrainConfig.from_settings(out="x", **{field: value})


def _last(k: int) -> FreezeSpec:
    return FreezeSpec(train_last=k)


@pytest.mark.parametrize(
    "epochs, schedule, first_epoch, expected",
    [
        (3, None, 0, [(0, 3, None)]),  # no schedule: one stretch of the fixed freezing
        (3, None, 2, [(2, 3, None)]),  # resumed before its last epoch
        (3, None, 3, []),  # finished
        (3, "0,1,2", 0, [(0, 1, _last(0)), (1, 2, _last(1)), (2, 3, _last(2))]),
        (4, "0,2,2", 0, [(0, 1, _last(0)), (1, 4, _last(2))]),  # equal counts: one stretch
        (5, "1,3", 0, [(0, 1, _last(1)), (1, 5, _last(3))]),  # the last count holds on
        (5, "1,3", 3, [(3, 5, _last(3))]),  # resumed inside the last stretch
        (4, "0,1,2", 1, [(1, 2, _last(1)), (2, 4, _last(2))]),  # resumed at a stretch's start
        (4, "0,0,2,2", 1, [(1, 2, _last(0)), (2, 4, _last(2))]),  # inside the first stretch
    ],
)
def test_the_stretches_of_a_schedule(epochs, schedule, first_epoch, expected):
    config = TrainConfig.from_settings(out="run", epochs=epochs, unfreeze_schedule=schedule)
    assert config.phases(first_epoch) == expected
