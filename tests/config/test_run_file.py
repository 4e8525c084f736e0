"""config.json: written with its marker, its settings and its record apart; read back only
from bert-keras' own files; the files of runs written before (stored here as the releases
of their day wrote them) still read."""

import json
from pathlib import Path

import pytest

from bert_keras.config import (
    RUN_FORMAT,
    RunRecord,
    TrainConfig,
    read_run_file,
    write_run_file,
)
from bert_keras.errors import UserInputError
from bert_keras.freezing.spec import FreezeSpec

STORED = Path(__file__).parent / "stored"


def test_written_with_its_marker_and_read_back_equal(tmp_path):
    config = TrainConfig.from_settings(
        str(tmp_path / "run"), freeze=FreezeSpec(train_last=1), epochs=3, seed=0
    )
    record = RunRecord("mixed_bfloat16", jit_compile=False)
    write_run_file(tmp_path / "config.json", config, record)
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["format"] == RUN_FORMAT and written["settings"]["freeze"]["train_last"] == 1
    assert written["record"] == {"precision": "mixed_bfloat16", "jit_compile": False}
    assert read_run_file(tmp_path / "config.json") == (config, record)


def test_the_last_format_1_file_reads_as_the_run_it_was(tmp_path):
    """Written by the release before settings had parts (every setting away from its
    default, what the run worked out among them)."""
    config, record = read_run_file(STORED / "config-format-1-2026-12-07.json")
    assert record == RunRecord("float32", jit_compile=False)
    assert config.out == "saved_models/runs/reviews-minilm"
    assert (config.data.data, config.data.test_data, config.data.limit) == (
        "reviews.tsv",
        "reviews-test.tsv",
        700,
    )
    assert config.data.columns.text == ("title", "body") and config.data.labels == ("bad", "good")
    assert (config.optimizer.unfreeze_schedule, config.optimizer.learning_rate) == ((0, 4), 2e-4)
    assert (config.placement.precision, config.cache.cache_memory_gb, config.seed) == (
        "auto",
        0.5,
        1,
    )
    write_run_file(tmp_path / "config.json", config, record)  # and in the new format, the same
    assert read_run_file(tmp_path / "config.json") == (config, record)


def test_the_first_release_s_file_reads_with_the_settings_added_since_at_their_old_values():
    """The first config.json (2026-11-23): no `auto` precision (the one it names is the one
    it computed in), no pooling choice (it read [CLS]), no layer-wise rates."""
    config, record = read_run_file(STORED / "config-2026-11-23.json")
    assert record == RunRecord("mixed_bfloat16", jit_compile=None)
    assert (config.model.pooling, config.optimizer.layer_lr_decay) == ("cls", 1.0)
    assert (config.optimizer.epochs, config.data.train_split) == (1, "train[:10000]")
    assert config.freeze == FreezeSpec(train_last=2)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not a readable run configuration"),
        (
            json.dumps({"epochs": 1}),
            f'not a run configuration written by bert-keras .no "format": "{RUN_FORMAT}"',
        ),
        (
            json.dumps({"format": RUN_FORMAT, "record": None}),
            "not a valid run configuration",
        ),
        (
            json.dumps({"format": RUN_FORMAT, "settings": {"out": "x", "colour": "red"}}),
            "colour=red: not a setting of a run",
        ),
        (
            json.dumps(
                {"format": RUN_FORMAT, "settings": {"out": "x", "epochs": "3"}, "record": None}
            ),
            "epochs=3: must be a whole number",
        ),
        (
            json.dumps({"format": "bert-keras-run/1", "out": "x", "epochs": "3"}),
            "epochs=3: must be a whole number",
        ),
    ],
)
def test_anything_bert_keras_did_not_write_is_one_line_naming_the_file(tmp_path, content, message):
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(UserInputError, match=message) as raised:
        read_run_file(tmp_path / "config.json")
    assert "\n" not in str(raised.value)
