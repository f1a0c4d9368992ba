"""The Jinja2 environments: package templates (or a platform's own folder), StrictUndefined, compiled once and cached."""

from __future__ import annotations

from functools import cache

from jinja2 import BaseLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, Template


@cache
def environment(root: str | None = None) -> Environment:
    """Templates from ``aifab/templates`` (or the directory ``root``, where a platform record keeps
    its own); an undefined value is an error, never an empty string."""
    loader: BaseLoader = PackageLoader("aifab", "templates") if root is None else FileSystemLoader(root)
    return Environment(
        loader=loader,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,
    )


@cache
def template(name: str, root: str | None = None) -> Template:
    """A compiled template (each is compiled once per process)."""
    return environment(root).get_template(name)
