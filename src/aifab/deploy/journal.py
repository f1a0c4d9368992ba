"""The rollout journal (``OUT/deploy-journal.json``): the plan, where the snapshots are, each
device's state; rewritten atomically after every step, read by ``aifab deploy --resume``."""

from __future__ import annotations

import hashlib
import json
import os
from contextlib import suppress
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from aifab.errors import AifabError

NAME = "deploy-journal.json"


class JournalError(AifabError):
    """No journal to resume from, or one that does not fit this deploy."""


@dataclass
class Journal:
    """A rollout's plan and progress. ``waves``: device names per wave in order; ``kinds``: each
    device's change kind; ``states``: each device's last known state; ``status``: running,
    done, halted or interrupted; ``timers_pending``: BGP timers configured but negotiated only at
    each session's next reset (``upgrade.bgp_timers: next-reset``); ``builds``: the digest of each
    planned device's config (:func:`build_digest`), which a resume must find unchanged."""

    path: Path
    run: str
    cluster: str
    inventory: str
    snapshots: str
    waves: list[list[str]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    drained: list[str] = field(default_factory=list)
    status: str = "running"
    timers_pending: dict[str, list[str]] = field(default_factory=dict)  # device -> timers in effect at the next session reset
    builds: dict[str, str] = field(default_factory=dict)  # device -> build_digest of the config the plan rolls out

    lost: str = ""  # why a write failed ("" none did): the file holds the last one written whole

    def record(self) -> dict[str, Any]:
        """What the file holds: every field but where it is and whether it could be written."""
        return {k: v for k, v in asdict(self).items() if k not in ("path", "lost")}

    def write(self) -> None:
        """Replace the journal file atomically. A write that fails (a full disk) never raises out of
        the deploy step that made it: the file keeps the last journal written whole, :attr:`lost`
        says why (the deploy stops safely), and each later write tries again."""
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(self.record(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.lost = exc.strerror or str(exc)
            with suppress(OSError):
                tmp.unlink()

    def state(self, device: str, state: str) -> None:
        self.states[device] = state
        self.write()


def build_digest(config: str) -> str:
    """The SHA-256 of a device's config as built. Give it with its secrets masked (placeholders):
    a digest of a known config holding a weak secret would let that secret be guessed offline."""
    return hashlib.sha256(config.encode()).hexdigest()


def changed_builds(journal: Journal, builds: dict[str, str]) -> list[str]:
    """The devices of ``journal``'s plan whose config as built now (``builds``: device -> digest)
    is not the one the plan rolls out: the intent, a template or aifab changed since it halted (a
    journal that recorded no builds, of an older aifab, cannot tell: every device)."""
    planned = [n for wave in journal.waves for n in wave]
    return [n for n in planned if not journal.builds or journal.builds.get(n) != builds.get(n)]


def journal_path(out: Path) -> Path:
    return out / NAME


def read_journal(out: Path) -> Journal:
    """The journal of a halted rollout in ``out``; JournalError when there is none to resume."""
    path = journal_path(out)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JournalError(f"{path}: no rollout journal to resume (run aifab deploy --commit first)") from None
    except (OSError, ValueError) as exc:
        raise JournalError(f"{path}: unreadable rollout journal ({exc})") from None
    if not isinstance(data, dict):
        raise JournalError(f"{path}: not a rollout journal (not a JSON object)")
    unknown = sorted(set(data) - {f.name for f in fields(Journal)} | ({"path", "lost"} & set(data)))
    if unknown:
        raise JournalError(f"{path}: not a rollout journal (unknown key {unknown[0]!r})")
    try:
        journal = TypeAdapter(Journal).validate_python({**data, "path": path})  # each field of its type
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise JournalError(f"{path}: not a rollout journal ({'.'.join(map(str, err['loc']))}: {err['msg']})") from None
    if journal.status == "done":
        raise JournalError(f"{path}: the rollout {journal.run} finished; nothing to resume")
    return journal


def unfinished(out: Path, inventory: Path, halted: Journal | None = None) -> Journal | None:
    """The last rollout of ``out`` on ``inventory`` that did not finish (``halted``, or its journal
    read from ``out``), or None."""
    if halted is None:
        try:
            halted = read_journal(out)
        except JournalError:
            return None
    return halted if Path(halted.inventory) == inventory else None


def own_pending(out: Path, inventory: Path, halted: Journal | None = None) -> frozenset[str]:
    """The devices on which a commit pending confirmation is ``out``'s: those of its last rollout on
    ``inventory`` that did not finish, interrupted or killed under their device timers. A pending
    commit elsewhere is another deploy's, perhaps one running now."""
    last = unfinished(out, inventory, halted)
    return frozenset(n for wave in last.waves for n in wave) if last else frozenset()
