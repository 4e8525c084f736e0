"""The directories bert-keras writes (runs, searches): knowing its own from anyone else's.

A run directory holds `config.json`, a search directory `tune_config.json`, each
beginning with a format marker. Only a directory carrying its marker is ever
resumed, replaced (`overwrite`) or read back; an empty or absent one is new;
anything else (a file, a folder of someone's files, a config.json bert-keras
did not write) is refused with one line and left untouched.
"""

import json
import os
import shutil
from pathlib import Path

from bert_keras.errors import UserInputError


def marker_format(path: Path):
    """The `format` a JSON file bert-keras wrote begins with; None for any other file."""
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return values.get("format") if isinstance(values, dict) else None


def _check_creatable(directory: Path, argument: str):
    """Fails before any work when `directory` could not be created later."""
    ancestor = directory.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserInputError(f"{argument}={directory}: {ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserInputError(f"{argument}={directory}: {ancestor} is not writable")


def owned_directory(
    directory: Path, marker_file: str, format_markers: tuple[str, ...], argument: str
) -> bool:
    """True if `directory` is one bert-keras wrote (its marker file carries one of
    `format_markers`, the newest first); False if it is absent or empty; otherwise
    UserInputError."""
    directory = Path(directory)
    if not directory.exists():
        _check_creatable(directory, argument)
        return False
    if not directory.is_dir():
        raise UserInputError(f"{argument}={directory}: is a file, not a directory")
    marker = directory / marker_file
    if marker.is_file():
        if marker_format(marker) in format_markers:
            return True
        raise UserInputError(
            f"{argument}={directory}: its {marker_file} was not written by bert-keras "
            f'(no "format": "{format_markers[0]}"); choose another `{argument}`'
        )
    if any(directory.iterdir()):
        raise UserInputError(
            f"{argument}={directory}: holds files that bert-keras did not write; "
            f"choose a new or empty directory"
        )
    return False


def check_same_settings(directory: Path, kind: str, previous: dict, current: dict):
    """Resuming a run or search means the same command: refuses, naming each setting
    that differs, when `current` is not what `directory` recorded."""
    changed = sorted(key for key in current if previous.get(key) != current[key])
    if changed:
        raise UserInputError(
            f"out={directory}: holds a {kind} with other settings "
            f"({', '.join(changed)}); re-run its command, or pass `overwrite`"
        )


def discard_directory(directory: Path):
    """Removes a directory bert-keras wrote: renamed out of the way at once (a kill
    mid-delete never leaves half a run under its name), then deleted."""
    directory = Path(directory)
    aside = directory.with_name(f".{directory.name}.discarded-{os.getpid()}")
    os.rename(directory, aside)
    shutil.rmtree(aside, ignore_errors=True)


def create_directory(directory: Path, argument: str):
    """mkdir -p, with one line when the file system refuses."""
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserInputError(
            f"{argument}={directory}: cannot be created ({error.strerror})"
        ) from None
