"""The intent reference (every key, type, default, description) generated from the schema.

The README embeds this table between markers; a test keeps the two equal.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from aifab.intent import schema
from aifab.intent.schema import Intent
from aifab.platforms import names as platform_names

START, END = "<!-- intent-reference:start -->", "<!-- intent-reference:end -->"
_KINDS = {schema._speed: "speed", schema._prefix: "IPv4 prefix", schema._ratio: "ratio",
          schema._address: "IPv4 address", schema._text: "text", schema._command: "command",
          schema._version: "version"}


def _item(ann: Any) -> str:
    """A list item's type: an annotated kind (IPv4 address), a name pattern, a choice or a plain type."""
    if typing.get_origin(ann) is typing.Literal:
        return " / ".join(str(a) for a in typing.get_args(ann))
    for meta in getattr(ann, "__metadata__", ()):
        if getattr(meta, "func", None) in _KINDS:
            return _KINDS[meta.func]
    return "name" if getattr(ann, "__metadata__", None) else getattr(ann, "__name__", str(ann))


def _section_list(field: FieldInfo) -> type[BaseModel] | None:
    """The model of a list-of-sections field (``management.users``), else None."""
    if typing.get_origin(field.annotation) is list:
        (item,) = typing.get_args(field.annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _type(field: FieldInfo) -> str:
    if typing.get_origin(field.annotation) is list:
        return "list of " + _item(typing.get_args(field.annotation)[0])
    for meta in field.metadata:
        if getattr(meta, "func", None) is schema._platform:
            return " / ".join(platform_names())
        if getattr(meta, "func", None) in _KINDS:
            return _KINDS[meta.func]
    ann = field.annotation
    if typing.get_origin(ann) is typing.Literal:
        return " / ".join(str(a) for a in typing.get_args(ann))
    args = [a for a in typing.get_args(ann) if a is not type(None)]
    if args:
        return " or ".join(_item(a) for a in args) + " (optional)"
    return getattr(ann, "__name__", str(ann))


def _show(field: FieldInfo, value: Any) -> str:
    if value is None or (isinstance(value, list) and value and isinstance(value[0], BaseModel)):
        return "(see meaning)"
    if _type(field) == "speed":
        return f"`{value}G`"
    if _type(field) == "ratio":
        return f"`1:{value:g}`"
    return f"`{value}`"


def _rows(model: type[BaseModel], prefix: str, instance: BaseModel | None) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        value = getattr(instance, name) if instance is not None else (
            None if field.is_required() else field.get_default(call_default_factory=True))
        required = field.is_required() and instance is None
        if (item := _section_list(field)) is not None:
            rows.append(f"| `{key}` | list of sections | {_show(field, value)} | {field.description or ''} |")
            rows += _rows(item, key + "[].", None)
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            rows.append(f"| `{key}` | section | {'**required**' if required else ''} | {field.description or ''} |")
            rows += _rows(field.annotation, key + ".", value)
        else:
            default = "**required**" if required else _show(field, value)
            rows.append(f"| `{key}` | {_type(field)} | {default} | {field.description or ''} |")
    return rows


def reference_markdown() -> str:
    """Markdown table of every intent key with its type, default and meaning."""
    head = ["| key | type | default | meaning |", "|---|---|---|---|"]
    return "\n".join(head + _rows(Intent, "", None)) + "\n"
