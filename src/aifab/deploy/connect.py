"""Nornir for a deploy: the inventory opened with the operator's credentials, the devices chosen
by ``--limit``/``--exclude``, and a failed host's reason in one line."""

from __future__ import annotations

import logging
import traceback
from fnmatch import fnmatchcase
from pathlib import Path

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.task import AggregatedResult, MultiResult

from aifab.deploy.inventory_files import InventoryError, check_inventory
from aifab.deploy.secrets import Credentials
from aifab.errors import AifabError


class SelectionError(AifabError):
    """``--limit``/``--exclude`` leave no device to deploy."""


def _quiet_nornir() -> None:
    """Nornir logs a failed task's traceback at ERROR; with its logging disabled nothing handles
    the record, so Python's last-resort handler printed it on stderr. A handler of our own keeps
    stderr clean (an application that configures logging still gets the records); the reason
    and the traceback go to the audit log instead."""
    logger = logging.getLogger("nornir")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def open_nornir(inventory: Path, creds: Credentials, workers: int = 20) -> Nornir:
    """Nornir over a SimpleInventory directory (hosts.yaml, groups.yaml, defaults.yaml)."""
    _quiet_nornir()
    files = {k: inventory / f"{k}.yaml" for k in ("hosts", "groups", "defaults")}
    check_inventory(inventory)
    try:
        nr = InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": workers}},
            inventory={"plugin": "SimpleInventory", "options": {
                "host_file": str(files["hosts"]),
                **({"group_file": str(files["groups"])} if files["groups"].is_file() else {}),
                **({"defaults_file": str(files["defaults"])} if files["defaults"].is_file() else {}),
            }},
            logging={"enabled": False},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # what check_inventory did not foresee
        raise InventoryError(f"{inventory}: Nornir cannot read the inventory ({type(exc).__name__}: {exc})") from None
    if creds.username:
        nr.inventory.defaults.username = creds.username
    if creds.password:
        nr.inventory.defaults.password = creds.password
    return nr


def traceback_of(multi: MultiResult) -> str:
    """The traceback of a host's first failed task ("" when it failed without an exception)."""
    r = next((r for r in multi if r.failed and r.exception is not None), None)
    return "" if r is None else "".join(traceback.format_exception(r.exception)).strip()


def device_errors(result: AggregatedResult) -> dict[str, str]:
    """Failed hosts and a one-line reason each (the exception's type and message, never a traceback)."""
    out = {}
    for host, multi in result.items():
        if multi.failed:
            r = next((r for r in multi if r.failed), multi[0])
            if r.exception is not None:
                out[host] = f"{type(r.exception).__name__}: {str(r.exception).strip().splitlines()[0] if str(r.exception).strip() else ''}"
            else:
                out[host] = "; ".join(r.result) if isinstance(r.result, list) else str(r.result)
    return out


# Exceptions (by name, as device_errors words them) that mean no connection or no answer, and a login refused.
_UNREACHABLE = frozenset({"ConnectionException", "ConnectionClosedException", "CommandTimeoutException", "EOFError",
                          "NetmikoTimeoutException", "NetMikoTimeoutException", "NoValidConnectionsError", "OSError",
                          "SSHException", "TimeoutError", "ConnectionRefusedError", "ConnectionResetError"})
_LOGIN = frozenset({"ConnectAuthError", "NetmikoAuthenticationException", "NetMikoAuthenticationException",
                    "AuthenticationException"})


def failure_status(reason: str) -> str:
    """A device's status from its one-line reason (:func:`device_errors`): ``unreachable`` (no
    connection, or no answer), ``login refused``, ``busy`` (another deploy's commit pending on it),
    or ``refused`` (it answered and refused, e.g. a candidate its own disk cannot take)."""
    kind = reason.partition(":")[0]
    return ("unreachable" if kind in _UNREACHABLE else "login refused" if kind in _LOGIN else "busy" if kind == "busy"
            else "refused")


def matches(name: str, globs: list[str]) -> bool:
    """``name`` matches one of ``globs`` (names or fnmatch globs, case-sensitive)."""
    return any(fnmatchcase(name, g) for g in globs)


def unmatched(names: list[str], globs: list[str]) -> list[str]:
    """The globs that match none of ``names``: a typo, said as an error by every command."""
    return [g for g in globs if not any(fnmatchcase(n, g) for n in names)]


def select(names: list[str], limit: list[str] | None, exclude: list[str] | None) -> list[str]:
    """The devices matching any ``limit`` glob (all when none) and no ``exclude`` glob (fnmatch).
    A glob that matches no device at all is an error: a typo must neither narrow a deploy silently
    nor leave in a switch it was meant to keep out."""
    for option, globs in (("--limit", limit), ("--exclude", exclude)):
        missed = unmatched(names, globs or [])
        if missed:
            raise SelectionError(f"no device matches {option} {' '.join(missed)}")
    chosen = [n for n in names if not limit or matches(n, limit)]
    chosen = [n for n in chosen if not matches(n, exclude or [])]
    if not chosen:
        raise SelectionError(f"no device left: --limit {' '.join(limit or ['*'])}"
                             + (f" --exclude {' '.join(exclude or [])}" if exclude else ""))
    return chosen
