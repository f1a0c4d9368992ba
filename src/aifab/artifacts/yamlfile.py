"""YAML files of the artifacts: written block style in insertion order, read safely; libyaml's C
parts when present."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_text(data: Any) -> str:
    """Block-style YAML in insertion order, with libyaml's C emitter when present (ruamel's pure
    Python emitter takes ~40 s for the 32k-GPU cluster's topology, this ~5 s).

    A mapping of plain scalars, mappings and lists of plain scalars (the Nornir hosts: 0.6 s
    through libyaml at 32k GPUs) is written directly, as the emitter writes it (tests/test_yamlfile.py)."""
    lines: list[str] = []
    if isinstance(data, dict) and data and _mapping(data, "", lines, {id(data)}):
        return "\n".join(lines) + "\n"
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, default_flow_style=False)


_SIMPLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,126}")  # no indicator, space or quote: plain unless it reads as another type
_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=4096)
def _plain(text: str) -> bool:
    """True when the emitter writes ``text`` unquoted: simple characters and read back as a string."""
    return (_SIMPLE.fullmatch(text) is not None
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str")


def _scalar(value: Any) -> str | None:
    """``value`` as the emitter writes it in block style, or None when that takes the emitter."""
    kind = type(value)
    if kind is str:
        return value if _plain(value) else None
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return None


def _mapping(data: dict[Any, Any], indent: str, lines: list[str], seen: set[int]) -> bool:
    """Append ``data``'s lines at ``indent`` to ``lines``; False when some part needs the emitter
    (``seen``: the mappings and lists met so far; one met twice the emitter writes as an alias)."""
    for key, value in data.items():
        name = _scalar(key) if type(key) is str else None
        if name is None:
            return False
        kind = type(value)
        if kind is dict or kind is list:
            if id(value) in seen:
                return False
            seen.add(id(value))
        if kind is dict:
            if not value:
                lines.append(f"{indent}{name}: {{}}")
                continue
            lines.append(f"{indent}{name}:")
            if not _mapping(value, indent + "  ", lines, seen):
                return False
        elif kind is list:
            if not value:
                lines.append(f"{indent}{name}: []")
                continue
            lines.append(f"{indent}{name}:")
            for item in value:
                text = _scalar(item)
                if text is None:
                    return False
                lines.append(f"{indent}- {text}")
        else:
            text = _scalar(value)
            if text is None:
                return False
            lines.append(f"{indent}{name}: {text}")
    return True


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in ``path``; empty when the file is missing or empty."""
    if not path.is_file():
        return {}
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
