"""Files and directories that appear whole or not at all.

Everything long to write (a converted encoder, an export) is written in a hidden
staging directory beside its destination and renamed into place when done: a
rename within one file system is atomic, so a reader, a later run or TF Serving
never sees a half-written directory, even after a SIGKILL.

A SIGKILL leaves its staging directory behind. Each staging directory is held
under an exclusive `flock` for as long as its writer lives (the kernel drops the
lock when the process dies, however it dies), so the next writer can tell a
stale one, which it removes, from one that another live process is writing.
"""

import contextlib
import csv
import fcntl
import io
import os
import re
import secrets
import shutil
from pathlib import Path


@contextlib.contextmanager
def _flocked(path: Path, blocking: bool = True):
    """Holds an exclusive flock on `path` (a file or a directory); yields False if
    `blocking` is off and another process holds it, or if `path` is gone."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


@contextlib.contextmanager
def lock_file(path: Path, on_wait=None):
    """Holds an exclusive flock on the file `path` (created if missing) while the
    block runs: another process asking for it waits (calling `on_wait()` first, to
    say so), and the kernel drops it when the holder dies, however it dies."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def remove_stale_staging(parent: Path, pattern: str) -> list[str]:
    """Removes staging directories in `parent` whose name matches `pattern` and
    whose writer is dead (nobody holds their lock). Returns their names."""
    removed = []
    for candidate in sorted(Path(parent).glob(".*")):
        if not (candidate.is_dir() and re.fullmatch(pattern, candidate.name)):
            continue
        with _flocked(candidate, blocking=False) as stale:
            if stale:
                shutil.rmtree(candidate, ignore_errors=True)
                removed.append(candidate.name)
    return removed


@contextlib.contextmanager
def staging_directory(parent: Path, prefix: str, stale_pattern: str):
    """Yields a new locked directory `parent/<prefix><random>`, after removing stale
    ones matching `stale_pattern`. The caller renames it into place; whatever is
    still there on exit (an exception, KeyboardInterrupt) is removed."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    # Cleaning and creating under the parent's lock: a cleaner never sees a new
    # staging directory in the instant before its writer locks it.
    with _flocked(parent):
        remove_stale_staging(parent, stale_pattern)
        staging = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()  # not mkdtemp, whose mode 0700 would hide an export from TF Serving's user
        descriptor = os.open(staging, os.O_RDONLY)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # a no-op once renamed into place
        os.close(descriptor)


def staging_prefix(name: str) -> str:
    return f".{name}.partial-"


@contextlib.contextmanager
def atomic_directory(destination: Path):
    """Yields a fresh staging directory that becomes `destination` on success.

    On any exception the staging directory is removed and `destination` is left
    as it was. `destination` must not exist (or be an empty directory, which the
    rename replaces); if it appeared meanwhile the rename fails with OSError.
    """
    destination = Path(destination)
    prefix = staging_prefix(destination.name)
    with staging_directory(destination.parent, prefix, re.escape(prefix) + r".+") as staging:
        yield staging
        os.rename(staging, destination)  # fails, rather than merges, if destination appeared


def staging_file(path: Path) -> Path:
    """A hidden name beside `path`, unique to this writer, for writing `path` whole."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")


def write_text_atomic(path: Path, text: str):
    """Writes a small file whole: a reader sees the old file or the new one, never half."""
    staging = staging_file(path)
    try:
        # "x": created new, with the umask's mode
        with open(staging, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise


def write_csv_atomic(path: Path, rows: list[dict], columns: list[str]):
    """A CSV file (header, then one row per dict), written whole."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, text.getvalue())
