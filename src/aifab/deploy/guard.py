"""Safety around a deploy: an exclusive lock per inventory and an append-only audit log."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from aifab.errors import AifabError


class LockedError(AifabError):
    """Another deploy of the same inventory is running (exit 3: busy, not bad input)."""

    exit_code = 3


class GuardPathError(AifabError):
    """The deploy lock or the audit log cannot be written."""


_HELD: set[Path] = set()  # the lock files this process holds


@contextmanager
def deploy_lock(inventory_dir: Path) -> Iterator[Path]:
    """Hold ``<inventory>/.aifab-deploy.lock`` for the whole deploy (released even on a crash).
    Re-entrant in one process: ``aifab deploy`` takes it before its build, the rollout again."""
    path = inventory_dir / ".aifab-deploy.lock"
    key = path.resolve()
    if key in _HELD:  # held by an outer block of this process, which releases it
        yield path
        return
    try:
        fh = path.open("a+")
    except OSError as exc:
        raise GuardPathError(f"{path}: cannot create the deploy lock ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise LockedError(f"{inventory_dir}: another deploy of this inventory is running ({holder})") from None
    _HELD.add(key)
    try:
        fh.seek(0)
        fh.truncate()
        with suppress(OSError):  # who holds it, for readers; the lock is the flock: a full disk must not stop what it guards
            os.write(fh.fileno(), f"pid {os.getpid()} user {getpass.getuser()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n".encode())
        yield path
    finally:
        _HELD.discard(key)
        fh.truncate(0)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def deploy_running(inventory_dir: Path) -> str | None:
    """Who holds the deploy lock of ``inventory_dir`` (``pid N user U since T``), read without taking
    it (a deploy starting now is never refused for a reader); None when no live process of this
    machine holds it."""
    try:
        holder = (inventory_dir / ".aifab-deploy.lock").read_text().strip()
    except OSError:
        return None
    words = holder.split()
    if len(words) < 2 or words[0] != "pid" or not words[1].isdigit():
        return None
    try:
        os.kill(int(words[1]), 0)
    except ProcessLookupError:
        return None  # left by a process that died
    except PermissionError:
        pass  # alive, another user's
    return holder


class AuditLog:
    """JSON lines, one per event, appended and flushed as they happen (never rewritten).

    A write that fails (a full disk, a file system gone read-only) never raises out of the deploy
    step that made the event: the file keeps every event up to it, whole (a line cut short is taken
    back), :attr:`lost` says why, and that event and every later one go to :attr:`unwritten`
    instead (the deploy stops safely and prints them: the record is never silently less)."""

    def __init__(self, path: Path, run_id: str, mask: Callable[[str], str] | None = None) -> None:
        self.path = path
        self.run_id = run_id
        self.mask = mask  # applied to every line: a secret a device echoes back is written as its placeholder
        self.lost = ""  # why events could not be written ("" every event so far is in the file)
        self.unwritten: list[str] = []  # the events from the first that could not be written on (JSON lines)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.open("a", encoding="utf-8").close()
        except OSError as exc:
            raise GuardPathError(f"{path}: cannot write the audit log ({exc.strerror or exc})") from None

    def write(self, event: str, device: str | None = None, **fields: Any) -> None:
        """Append one event (or, once one could not be, keep it in :attr:`unwritten`)."""
        record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "run": self.run_id, "user": getpass.getuser(),
                  "event": event, "device": device, **fields}
        line = json.dumps(record, sort_keys=True)
        line = self.mask(line) if self.mask else line
        if not self.lost:
            try:
                _append(self.path, (line + "\n").encode())
                return
            except OSError as exc:
                self.lost = exc.strerror or str(exc)
        self.unwritten.append(line)


def _append(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` whole or not at all (what a failed write left is cut off again)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            done = 0
            while done < len(data):
                done += os.write(fd, data[done:])
        except OSError:
            with suppress(OSError):
                os.ftruncate(fd, end)
            raise
    finally:
        os.close(fd)
