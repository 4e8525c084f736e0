"""Staging directories: whole or nothing, stale ones removed, live ones (another process's) kept."""

import os
import signal
import subprocess
import sys

import pytest

from bert_keras.files.atomic import (
    atomic_directory,
    remove_stale_staging,
    staging_directory,
    write_text_atomic,
)

HOLDER = """
import sys, time
from pathlib import Path
from bert_keras.files.atomic import staging_directory
with staging_directory(Path(sys.argv[1]), ".7.partial-", r"\\.\\d+\\.partial-.+") as staging:
    (staging / "half.pb").write_text("writing")
    print(staging.name, flush=True)
    time.sleep(600)
"""


def start_holder(parent):
    """A live writer in another process, holding a staging directory until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(parent)], stdout=subprocess.PIPE, text=True
    )
    name = process.stdout.readline().strip()
    assert name.startswith(".7.partial-"), name
    return process, parent / name


def test_atomic_directory_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_directory(tmp_path / "encoder") as staging:
            (staging / "half.pb").write_text("partial")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with atomic_directory(tmp_path / "encoder") as staging:
        (staging / "whole.pb").write_text("done")
    assert [p.name for p in tmp_path.iterdir()] == ["encoder"]
    # not mkdtemp's 0700
    assert (tmp_path / "encoder").stat().st_mode & 0o077 == 0o777 & ~current_umask() & 0o077


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_live_writers_staging_is_kept_and_a_killed_ones_removed(tmp_path):
    process, live = start_holder(tmp_path)
    try:
        assert remove_stale_staging(tmp_path, r"\.\d+\.partial-.+") == []
        assert live.is_dir(), "another process is writing it"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert live.is_dir(), "SIGKILL leaves the staging directory behind"
    unrelated = tmp_path / ".notes.partial-mine"  # not of the pattern: never touched
    unrelated.mkdir()
    with staging_directory(tmp_path, ".8.partial-", r"\.\d+\.partial-.+") as staging:
        assert not live.exists(), "the next writer removes the dead writer's directory"
        assert staging.is_dir()
    assert not staging.exists() and unrelated.is_dir()


def test_write_text_atomic_replaces_whole_and_leaves_no_staging(tmp_path):
    path = tmp_path / "config.json"
    write_text_atomic(path, "old")
    write_text_atomic(path, "new")
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_a_write_that_fails_midway_leaves_the_old_file_whole_and_nothing_else(tmp_path):
    path = tmp_path / "metrics.json"
    write_text_atomic(path, "old")
    # a lone surrogate cannot be encoded: the write fails once the file is open
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(path, "new" * 30_000 + "\ud800")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_staging_names_are_unique_per_writer(tmp_path):
    with (
        staging_directory(tmp_path, ".1.partial-", r"\.\d+\.partial-.+") as first,
        staging_directory(tmp_path, ".1.partial-", r"\.\d+\.partial-.+") as second,
    ):
        assert first != second and first.is_dir() and second.is_dir()
    assert list(tmp_path.iterdir()) == []
