"""Test fixtures built once per test run, whatever the number of pytest-xdist workers.

Each is a directory under the run's shared temporary folder (the base temp's parent
under xdist, where every worker's base temp lies), built by the first worker that
needs it while the others wait on its lock (`bert_keras.files.atomic.lock_file`), in a
staging folder renamed into place whole: a worker never sees half of one, even after a
crash. (Not `atomic_directory`: its staging folder is locked while written, and what is
built inside it, a conversion or an export, locks its own parent folder.)
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

from bert_keras.files.atomic import lock_file


def shared_root(tmp_path_factory) -> Path:
    """The folder every worker of this run sees: one per run, never another run's."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory, name: str, build) -> Path:
    """`root/name`, made by `build(directory)` (which fills a new, empty directory) the
    first time any worker asks for it."""
    root = shared_root(tmp_path_factory)
    destination = root / name
    with lock_file(root / f".{name}.lock"):
        if not destination.exists():
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=root))
            try:
                build(staging)
                os.rename(staging, destination)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return destination


def save_json(directory: Path, name: str, value):
    """Saves `value` (JSON) with the paths under `directory` written relative to it:
    the directory is a staging one, renamed into place once built."""
    text = json.dumps(value).replace(json.dumps(str(directory))[1:-1], "{here}")
    (directory / name).write_text(text)


def load_json(directory: Path, name: str):
    """What `save_json` saved, its paths under the directory's final name."""
    text = (directory / name).read_text()
    return json.loads(text.replace("{here}", json.dumps(str(directory))[1:-1]))
