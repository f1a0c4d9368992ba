"""Read a Nornir SimpleInventory directory (hosts.yaml, groups.yaml, defaults.yaml) before Nornir
does, so a missing or malformed file is one located line instead of a traceback from the plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from aifab.errors import AifabError

# SimpleInventory's keys of a host or group, and the type each must have (defaults: no groups).
_KEYS: dict[str, type] = {
    "hostname": str, "port": int, "username": str, "password": str, "platform": str,
    "groups": list, "data": dict, "connection_options": dict,
}


class InventoryError(AifabError):
    """The Nornir inventory is missing, unreadable or malformed."""


def _load(path: Path) -> Any:
    try:
        return YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InventoryError(f"{path}:{mark.line + 1 if mark else 0}: malformed YAML: "
                             f"{exc.problem or exc.context or 'malformed YAML'}") from None
    except YAMLError as exc:
        raise InventoryError(f"{path}: malformed YAML: {str(exc).splitlines()[0]}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer"}.get(
        next((t for t in (bool, dict, list, str, int) if isinstance(value, t)), type(None)), type(value).__name__)


def _line(node: CommentedMap, key: str) -> int:
    return node.lc.key(key)[0] + 1 if key in (node.lc.data or {}) else node.lc.line + 1


def _entries(path: Path, tree: Any, groups: set[str]) -> None:
    """Check a hosts or groups mapping: name -> mapping of known keys of the right type."""
    if tree is None:
        return
    if not isinstance(tree, CommentedMap):
        raise InventoryError(f"{path}:1: expected a mapping of names to their settings, not {_kind(tree)}")
    for name, entry in tree.items():
        if entry is None:
            continue
        if not isinstance(entry, CommentedMap):
            raise InventoryError(f"{path}:{_line(tree, name)}: {name}: expected a mapping, not {_kind(entry)}")
        _settings(path, entry, f"{name}.", groups)


def _settings(path: Path, entry: CommentedMap, prefix: str, groups: set[str]) -> None:
    for key, value in entry.items():
        want = _KEYS.get(key)
        where = f"{path}:{_line(entry, key)}: {prefix}{key}"
        if want is None:
            raise InventoryError(f"{where}: unknown key (one of {', '.join(_KEYS)})")
        if value is not None and (not isinstance(value, want) or isinstance(value, bool)):
            raise InventoryError(f"{where}: expected {_kind(want())}, not {_kind(value)}")
        if key == "connection_options" and value:
            bad = next((c for c, opts in value.items() if opts is not None and not isinstance(opts, dict)), None)
            if bad is not None:
                raise InventoryError(f"{where}.{bad}: expected a mapping, not {_kind(value[bad])}")
        if key == "groups" and value:
            unknown = [g for g in value if g not in groups]
            if unknown:
                raise InventoryError(f"{where}: no such group {unknown[0]!r} in groups.yaml")


def check_inventory(inventory: Path) -> None:
    """Raise InventoryError unless ``inventory`` is a directory whose files Nornir can read."""
    if not inventory.is_dir():
        what = "no such directory" if not inventory.exists() else "not a directory"
        raise InventoryError(f"{inventory}: not a Nornir inventory ({what})")
    hosts = inventory / "hosts.yaml"
    if not hosts.is_file():
        raise InventoryError(f"{inventory}: no hosts.yaml (build the intent, or bring the lab up)")
    group_file, defaults_file = inventory / "groups.yaml", inventory / "defaults.yaml"
    groups = _load(group_file) if group_file.is_file() else None
    _entries(group_file, groups, set(groups or ()))
    if defaults_file.is_file():
        defaults = _load(defaults_file)
        if defaults is not None and not isinstance(defaults, CommentedMap):
            raise InventoryError(f"{defaults_file}:1: expected a mapping, not {_kind(defaults)}")
        if defaults:
            _settings(defaults_file, defaults, "", set())
    tree = _load(hosts)
    if not tree:
        raise InventoryError(f"{hosts}: no hosts (build the intent, or bring the lab up)")
    _entries(hosts, tree, set(groups or ()))
