"""Limits on an intent file before it is parsed into objects: size, UTF-8, nesting depth, alias expansion.

An intent is a few hundred values nested a few levels deep. YAML aliases let 1 KB expand to
billions of values ("billion laughs") and deep flow collections exhaust Python's recursion
limit, so the event stream is scanned first (the parser is iterative and aliases stay
unexpanded there): the scan is linear in the file and refuses what would blow up later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, Event, ScalarEvent

MAX_BYTES = 1_000_000  # an intent file is a few KB
MAX_DEPTH = 32  # nested collections; an intent uses five
MAX_NODES = 100_000  # values after expanding every alias; an intent has a few hundred
MAX_SCALAR = 1000  # characters of one value; the longest an intent needs is a model name


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that locates values Python cannot build (``2024-13-45``)."""

    def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except ValueError as exc:
            raise ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from None


def round_trip() -> YAML:
    """A round-trip (line-keeping) YAML loader whose value errors carry their position."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    return yaml


@dataclass(frozen=True)
class Refusal:
    """Why a file is refused, and where (1-based line and column)."""

    line: int
    column: int
    message: str
    got: str | None = None


def position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` of ``text``."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def decode(data: bytes) -> str | Refusal:
    """The file's text, or where its first byte that is not UTF-8 is."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        byte = data[start:start + 1].hex()
        return Refusal(line, start - line_start + 1, "not UTF-8", f"byte 0x{byte}")


def scan(text: str) -> Refusal | None:
    """The first place where ``text`` nests deeper than MAX_DEPTH or its aliases expand past
    MAX_NODES values; None when neither happens. Malformed YAML raises ruamel's YAMLError."""
    sizes: dict[str, int] = {}  # anchor -> values it expands to
    open_: list[tuple[str | None, int]] = []  # per open collection: its anchor, ``total`` when it opened
    total = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            if len(open_) >= MAX_DEPTH:
                return _at(event, f"nested deeper than {MAX_DEPTH} levels")
            open_.append((event.anchor, total))
            total += 1
        elif isinstance(event, CollectionEndEvent):
            anchor, start = open_.pop()
            if anchor is not None:
                sizes[anchor] = total - start
        elif isinstance(event, AliasEvent):
            total += sizes.get(event.anchor, 1)
        elif isinstance(event, ScalarEvent):
            if len(event.value) > MAX_SCALAR:
                return _at(event, f"value longer than {MAX_SCALAR} characters", f"{len(event.value)} characters")
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        if total > MAX_NODES:
            return _at(event, f"aliases expand to more than {MAX_NODES} values",
                       f"*{event.anchor}" if isinstance(event, AliasEvent) else None)
    return None


def _at(event: Event, message: str, got: str | None = None) -> Refusal:
    mark = event.start_mark
    return Refusal(mark.line + 1, mark.column + 1, message, got)
