"""Directories that appear whole or not at all.

Everything long to write (a converted encoder, an export) is written under a
hidden temporary name beside its destination and renamed into place when done:
a rename within one file system is atomic, so a reader, a later run or TF
Serving never sees a half-written directory, even after a SIGKILL.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_directory(destination: Path):
    """Yields a fresh temporary directory that becomes `destination` on success.

    On any exception (KeyboardInterrupt included) the temporary directory is
    removed and `destination` is left as it was. `destination` must not exist
    (or be an empty directory, which the rename replaces).
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    try:
        yield staging
        os.rename(staging, destination)  # fails, rather than merges, if destination appeared
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_text_atomic(path: Path, text: str):
    """Writes a small file whole: a reader sees the old file or the new one, never half."""
    path = Path(path)
    staging = path.with_name(f".{path.name}.partial")
    staging.write_text(text, encoding="utf-8")
    os.replace(staging, path)
