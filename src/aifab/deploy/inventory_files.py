"""Read a Nornir SimpleInventory directory (hosts.yaml, groups.yaml, defaults.yaml) before Nornir
does, so a missing or malformed file is one located line instead of a traceback from the plugin.

The files are read with libyaml where PyYAML has it (a 32k-GPU hosts.yaml in ~0.5 s); only a file
found wrong is read again, line-keeping, to say where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from aifab.errors import AifabError
from aifab.intent.yaml_bounds import Refusal, decode

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# SimpleInventory's keys of a host, group or the defaults, and the type of each.
_KEYS: dict[str, type] = {
    "hostname": str, "port": int, "username": str, "password": str, "platform": str,
    "groups": list, "data": dict, "connection_options": dict,
}


class InventoryError(AifabError):
    """The Nornir inventory is missing, unreadable or malformed."""


class _Bad(Exception):
    """A problem at a key path of one file (located by the caller)."""

    def __init__(self, keys: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.keys = keys
        self.message = message


def _kind(value: object) -> str:
    for t, name in ((bool, "a boolean"), (dict, "a mapping"), (list, "a list"), (str, "a string"), (int, "an integer")):
        if isinstance(value, t):
            return name
    return "nothing" if value is None else type(value).__name__


def _load(path: Path) -> Any:
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if isinstance(text, Refusal):
        raise InventoryError(f"{path}:{text.line}: {text.message} at column {text.column} (got {text.got})")
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InventoryError(f"{path}:{mark.line + 1 if mark else 0}: malformed YAML: "
                             f"{exc.problem or exc.context or 'malformed YAML'}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: malformed YAML: {str(exc).splitlines()[0]}") from None


def _line(path: Path, keys: tuple[str, ...]) -> int:
    """1-based line of the deepest of ``keys`` in ``path`` (read again, line-keeping)."""
    node, line = YAML(typ="rt").load(path.read_text(encoding="utf-8")), 1
    for key in keys:
        if not isinstance(node, CommentedMap) or key not in node:
            break
        line = node.lc.key(key)[0] + 1
        node = node[key]
    return line


def _settings(entry: dict[str, Any], where: tuple[str, ...], groups: set[str]) -> None:
    for key, value in entry.items():
        want = _KEYS.get(key)
        at = (*where, str(key))
        if want is None:
            raise _Bad(at, f"unknown key (one of {', '.join(_KEYS)})")
        if value is None:
            continue
        if not isinstance(value, want) or isinstance(value, bool):
            raise _Bad(at, f"expected {_kind(want())}, not {_kind(value)}")
        if key == "connection_options":
            bad = next((c for c, opts in value.items() if opts is not None and not isinstance(opts, dict)), None)
            if bad is not None:
                raise _Bad((*at, str(bad)), f"expected a mapping, not {_kind(value[bad])}")
        if key == "groups":
            unknown = [g for g in value if g not in groups]
            if unknown:
                raise _Bad(at, f"no such group {unknown[0]!r} in groups.yaml")


def _entries(tree: Any, groups: set[str]) -> None:
    """A hosts or groups file: name -> mapping of known keys of the right type."""
    if tree is None:
        return
    if not isinstance(tree, dict):
        raise _Bad((), f"expected a mapping of names to their settings, not {_kind(tree)}")
    for name, entry in tree.items():
        if entry is not None and not isinstance(entry, dict):
            raise _Bad((str(name),), f"expected a mapping, not {_kind(entry)}")
        _settings(entry or {}, (str(name),), groups)


def _defaults(tree: Any) -> None:
    if tree is not None and not isinstance(tree, dict):
        raise _Bad((), f"expected a mapping, not {_kind(tree)}")
    _settings(tree or {}, (), set())


def check_inventory(inventory: Path) -> None:
    """Raise InventoryError unless ``inventory`` is a directory whose files Nornir can read."""
    if not inventory.is_dir():
        what = "no such directory" if not inventory.exists() else "not a directory"
        raise InventoryError(f"{inventory}: not a Nornir inventory ({what})")
    hosts, group_file, defaults = (inventory / f"{k}.yaml" for k in ("hosts", "groups", "defaults"))
    if not hosts.is_file():
        raise InventoryError(f"{inventory}: no hosts.yaml (build the intent, or bring the lab up)")
    groups = _load(group_file) if group_file.is_file() else None
    names = set(groups) if isinstance(groups, dict) else set()
    checks = [(group_file, groups, lambda t: _entries(t, names))] if group_file.is_file() else []
    if defaults.is_file():
        checks.append((defaults, _load(defaults), _defaults))
    tree = _load(hosts)
    if not tree:
        raise InventoryError(f"{hosts}: no hosts (build the intent, or bring the lab up)")
    checks.append((hosts, tree, lambda t: _entries(t, names)))
    for path, data, check in checks:
        try:
            check(data)
        except _Bad as bad:
            key = f" {'.'.join(bad.keys)}:" if bad.keys else ""
            raise InventoryError(f"{path}:{_line(path, bad.keys)}:{key} {bad.message}") from None
