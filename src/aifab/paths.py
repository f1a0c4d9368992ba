"""Up-front checks that an output path can be written, so a bad path fails before anything is.

Each check looks at the nearest existing ancestor (it must be a directory the user may write);
writing can still fail later (a full disk), and the writers turn that into the same error.
"""

from __future__ import annotations

import os
from pathlib import Path

from aifab.errors import AifabError


class PathError(AifabError):
    """An output file or directory cannot be written."""


def _ancestor(path: Path) -> Path:
    """``path``'s nearest ancestor that exists (``path`` itself excluded)."""
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _creatable(path: Path, what: str) -> None:
    parent = _ancestor(path)
    if not parent.is_dir():
        raise PathError(f"{path}: cannot write {what}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PathError(f"{path}: cannot write {what}: {parent} is not writable")


def writable_dir(path: Path, what: str) -> None:
    """Raise PathError unless ``path`` is, or can be created as, a writable directory."""
    if path.exists():
        if not path.is_dir():
            raise PathError(f"{path}: cannot write {what}: not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise PathError(f"{path}: cannot write {what}: permission denied")
        return
    _creatable(path, what)


def writable_file(path: Path, what: str) -> None:
    """Raise PathError unless ``path`` is, or can be created as, a writable file."""
    if path.exists():
        if path.is_dir():
            raise PathError(f"{path}: cannot write {what}: is a directory")
        if not os.access(path, os.W_OK):
            raise PathError(f"{path}: cannot write {what}: permission denied")
        return
    _creatable(path, what)
