"""The run configuration: validated once, normalised, and read back only from bert-keras' own
config.json."""

import json

import pytest

from bert_keras.config import RUN_FORMAT, TrainConfig
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec


def test_written_with_its_marker_and_read_back_equal(tmp_path):
    config = TrainConfig(
        out=str(tmp_path / "run"), freeze=FreezeSpec(train_last=1), epochs=3, seed=0
    )
    config.write(tmp_path / "config.json")
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["format"] == RUN_FORMAT and written["freeze"]["train_last"] == 1
    assert TrainConfig.read(tmp_path / "config.json") == config


def test_the_location_is_normalised_and_is_no_setting():
    moved = TrainConfig(out="runs/demo/", epochs=2)
    assert moved.out == "runs/demo"
    assert (
        moved.settings() == TrainConfig(out="elsewhere", epochs=2).settings()
        and "out" not in moved.settings()
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a readable run configuration"),
        (
            json.dumps({"epochs": 1}),
            f'not a run configuration written by bert-keras .no "format": "{RUN_FORMAT}"',
        ),
        (
            json.dumps({"format": RUN_FORMAT, "out": "x", "colour": "red"}),
            "not a valid run configuration",
        ),
        (
            json.dumps({"format": RUN_FORMAT, "out": "x", "epochs": "3"}),
            "epochs=3: must be a whole number",
        ),
    ],
)
def test_anything_bert_keras_did_not_write_is_one_line_naming_the_file(tmp_path, content, message):
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(UserInputError, match=message) as raised:
        TrainConfig.read(tmp_path / "config.json")
    assert "\n" not in str(raised.value)


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
        TrainConfig(out="x", **{field: value})


def test_a_config_written_before_auto_existed_computes_in_the_precision_it_names(tmp_path):
    path = tmp_path / "config.json"
    TrainConfig(out="runs/old", precision="mixed_bfloat16").write(path)
    values = json.loads(path.read_text())
    del values["resolved_precision"]  # as config.json was before `--precision auto`
    path.write_text(json.dumps(values))
    old = TrainConfig.read(path)
    assert (old.precision, old.resolved_precision, old.compute_precision) == ("mixed_bfloat16",) * 3
    del values["layer_lr_decay"]  # and before --layer-lr-decay: every variable at one rate
    path.write_text(json.dumps(values))
    assert TrainConfig.read(path).layer_lr_decay == 1.0


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
    config = TrainConfig(out="run", epochs=epochs, unfreeze_schedule=schedule)
    assert config.phases(first_epoch) == expected
