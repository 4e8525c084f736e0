"""Output directories: bert-keras' own are told by their marker; nothing else is ever taken."""

import json

import pytest

from bert_keras.errors import UserInputError
from bert_keras.files.output_dirs import (
    check_same_settings,
    create_directory,
    discard_directory,
    owned_directory,
)

MARKER = {"format": "bert-keras-run/1"}


def test_absent_and_empty_directories_are_new(tmp_path):
    formats = ("bert-keras-run/1",)
    assert owned_directory(tmp_path / "absent", "config.json", formats, "out") is False
    (tmp_path / "empty").mkdir()
    assert owned_directory(tmp_path / "empty", "config.json", formats, "out") is False


def test_a_directory_with_the_marker_is_ours(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({**MARKER, "epochs": 1}))
    assert owned_directory(tmp_path, "config.json", ("bert-keras-run/1",), "out") is True


@pytest.mark.parametrize(
    "files, message",
    [
        ({"notes.txt": "mine"}, "holds files that bert-keras did not write"),
        (
            {"config.json": '{"epochs": 1}'},
            'its config.json was not written by bert-keras .no "format"',
        ),
        ({"config.json": "{not json"}, "its config.json was not written by bert-keras"),
        (
            {"config.json": json.dumps({"format": "bert-keras-search/1"})},
            "its config.json was not written by",
        ),
    ],
)
def test_anything_else_is_refused_and_left_alone(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(UserInputError, match=message):
        owned_directory(tmp_path, "config.json", ("bert-keras-run/1",), "out")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == files


def test_a_file_or_a_path_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserInputError, match="out=.*file: is a file, not a directory"):
        owned_directory(tmp_path / "file", "config.json", ("bert-keras-run/1",), "out")
    with pytest.raises(UserInputError, match="is a file, not a directory"):
        owned_directory(tmp_path / "file" / "run", "config.json", ("bert-keras-run/1",), "out")


def test_discard_leaves_nothing_and_create_makes_parents(tmp_path):
    run = tmp_path / "runs" / "demo"
    create_directory(run, "out")
    (run / "config.json").write_text(json.dumps(MARKER))
    discard_directory(run)
    assert list((tmp_path / "runs").iterdir()) == []


def test_resuming_with_other_settings_names_each_one(tmp_path):
    check_same_settings(tmp_path, "run", {"epochs": 1, "seed": 0}, {"epochs": 1, "seed": 0})
    with pytest.raises(
        UserInputError,
        match=r"holds a search with other settings \(epochs, seed\); re-run its "
        r"command, or pass `overwrite`",
    ):
        check_same_settings(
            tmp_path, "search", {"epochs": 1, "seed": 0, "format": "x"}, {"epochs": 2, "seed": 1}
        )
