"""The one Jinja2 environment: package templates, StrictUndefined, compiled once and cached."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template


@cache
def environment() -> Environment:
    """Templates from ``aifab/templates``; an undefined value is an error, never an empty string."""
    return Environment(
        loader=PackageLoader("aifab", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,
    )


@cache
def template(name: str) -> Template:
    """A compiled template (each is compiled once per process)."""
    return environment().get_template(name)
