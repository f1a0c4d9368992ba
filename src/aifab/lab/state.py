"""The lab's state directory: a record of what was made, and a lock so one lab changes at a time."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aifab.lab.topology import LabError

STATE_ROOT = Path("/run/aifab-lab")
RECORD = "state.json"


def default_state_dir(cluster: str) -> Path:
    """``/run/aifab-lab/<cluster>`` (where /run is a tmpfs, a reboot clears it together with the namespaces)."""
    return STATE_ROOT / cluster


@contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the state root so one lab up/down runs at a time (waits up to 60 s)."""
    state_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    fd = os.open(state_dir.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"{state_dir.parent}: another aifab lab up/down holds the lock") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock


def read(state_dir: Path) -> dict[str, Any]:
    """The record of a lab, ``{}`` when there is none, or it is unreadable (after a crash, or edited
    by hand: not an object, or without its cluster, prefix and namespaces as :func:`write` gives them)."""
    try:
        record = json.loads((state_dir / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    whole = (isinstance(record, dict) and isinstance(record.get("cluster"), str) and isinstance(record.get("prefix"), str)
             and isinstance(record.get("namespaces"), list) and all(isinstance(n, str) for n in record["namespaces"]))
    return record if whole else {}


def write(state_dir: Path, record: dict[str, Any]) -> None:
    """Replace the record atomically."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = state_dir / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(state_dir / RECORD)
