"""A directory's files and their digests: what a test compares to show that a command
wrote nothing, or only what it should."""

import hashlib
from pathlib import Path


def tree_digest(directory: Path) -> dict[str, str]:
    """Each file under `directory` (its path inside it) and its SHA-256."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
