"""Render a device file section by section, each section once per distinct input.

A platform's file template (EOS ``running-config.j2``, FRR ``frr.conf.j2``) is, as AVD's
eos_cli_config_gen is, a list of section templates, each deciding for itself whether it applies.
Where a root template is only text and ``{% include %}`` of such sections, it is rendered here
part by part, with the same text as a whole render: each section reads a few values of the
:class:`~aifab.render.view.DeviceView` (paths such as ``d.management.vrf``, found in its syntax
tree, its own includes with it), and a section that reads no value unique to one device (the QoS
maps, the MMU profile, AAA, users, management API...) is rendered once per distinct tuple of those
values (compared by equality: the view's fields are typed) and reused by every device with the
same. Most of a switch's sections are such sections; only the ports and BGP are rendered per
device. A template that uses ``d`` in any other way, or a root with anything but text and
includes, is rendered whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from functools import cache
from typing import Any

from jinja2 import Environment, Template, nodes

from aifab.render.env import environment, template

# Where a device's view holds values of that device alone (its name, ports, sessions, addresses): a
# section reading one, or a whole value holding one, is rendered for each device.
UNIQUE = frozenset({("hostname",), ("loopback",), ("interfaces",), ("zebra_interfaces",), ("bgp",),
                    ("management", "address")})
CACHE_LIMIT = 4096  # distinct section inputs kept per process before the cache starts again
AttrPath = tuple[str, ...]  # d.management.vrf -> ("management", "vrf")


def _path(node: nodes.Node) -> AttrPath | None:
    """The attribute path of ``node`` from ``d`` (``()`` for ``d`` itself), None where it is not one."""
    if isinstance(node, nodes.Name):
        return () if node.name == "d" else None
    if isinstance(node, nodes.Getattr):
        inner = _path(node.node)
        return None if inner is None else (*inner, node.attr)
    return None


def _collect(node: nodes.Node, out: set[AttrPath]) -> bool:
    """Add the longest ``d.a.b`` paths under ``node`` to ``out``; False where ``d`` is used whole."""
    path = _path(node)
    if path is not None:
        out.add(path)
        return bool(path)
    return all(_collect(child, out) for child in node.iter_child_nodes())


def reads(env: Environment, name: str) -> frozenset[AttrPath] | None:
    """The paths of ``d`` that template ``name`` reads (with its includes'), or None where it uses
    ``d`` whole (passed, assigned, subscripted) or includes a template by a computed name."""
    tree = env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]
    paths: set[AttrPath] = set()
    if not _collect(tree, paths) or any(True for _ in tree.find_all((nodes.Extends, nodes.Import, nodes.FromImport))):
        return None
    for inc in tree.find_all(nodes.Include):
        inner = reads(env, inc.template.value) if isinstance(inc.template, nodes.Const) else None
        if inner is None:
            return None
        paths |= inner
    return frozenset(paths)


def unique(path: AttrPath) -> bool:
    """The value at ``path`` holds (or is part of) one of :data:`UNIQUE`."""
    return any(path[:len(u)] == u[:len(path)] for u in UNIQUE)


_MISSING = object()


def _value(view: Any, path: AttrPath) -> Any:
    """The value at ``path``; :data:`_MISSING` past a value without the attribute (``d.native.mmu``
    where ``native`` is None, which the template does not read either)."""
    for name in path:
        view = getattr(view, name, _MISSING)
        if view is _MISSING:
            break
    return view


class Section:
    """One included template, cached by the values of the paths it reads unless one is :func:`unique`."""

    def __init__(self, tpl: Template, paths: frozenset[AttrPath] | None) -> None:
        self.tpl = tpl
        if paths is not None:  # d.native covers d.native.mmu
            paths = frozenset(p for p in paths if not any(p[:i] in paths for i in range(1, len(p))))
        self.reads = None if paths is None else sorted(paths)  # every path it reads; None: it uses d whole
        self.fields = frozenset(p[0] for p in self.reads) if self.reads else frozenset()  # the view's fields it reads
        self.paths = None if paths is None or any(map(unique, paths)) else self.reads
        self.cache: dict[tuple[Any, ...], str] = {}
        self.seen: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}  # the same objects read before

    def same(self, view: Any, other: Any, differs: frozenset[str] | None = None) -> bool:
        """The section renders the same text for both views: it reads equal values from them.
        ``differs``: the views' fields whose values differ (:func:`differing`); a path into another
        field reads equal values."""
        if self.reads is None:
            return False
        if differs is None:
            paths = self.reads
        elif self.fields.isdisjoint(differs):  # most sections, under a one-knob change
            return True
        else:
            paths = [p for p in self.reads if p[0] in differs]
        return all(_value(view, p) == _value(other, p) for p in paths)

    def render(self, view: Any) -> str:
        if self.paths is None:
            return self.tpl.render(d=view)
        key = tuple([_value(view, p) for p in self.paths])
        ids = tuple(map(id, key))  # switches sharing their policy objects read the same objects:
        hit = self.seen.get(ids)  # found without hashing the values (the entry keeps them alive)
        if hit is not None:
            return hit[1]
        text = self.cache.get(key)
        if text is None:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
                self.seen.clear()
            text = self.cache[key] = self.tpl.render(d=view)
        if len(self.seen) >= CACHE_LIMIT:
            self.seen.clear()
        self.seen[ids] = (key, text)
        return text


def _parts(env: Environment, name: str, root: str | None) -> list[str | Section] | None:
    """The root template ``name`` as text and sections, or None where it holds anything else."""
    tree = env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]
    parts: list[str | Section] = []
    for node in tree.body:
        if isinstance(node, nodes.Output) and all(isinstance(n, nodes.TemplateData) for n in node.nodes):
            parts.append("".join(n.data for n in node.nodes))  # type: ignore[attr-defined]
        elif (isinstance(node, nodes.Include) and isinstance(node.template, nodes.Const)
              and node.with_context and not node.ignore_missing):
            parts.append(Section(template(node.template.value, root), reads(env, node.template.value)))
        else:
            return None
    return parts


@cache
def _sections(name: str, root: str | None) -> list[str | Section] | None:
    return _parts(environment(root), name, root)


@cache
def renderer(name: str, root: str | None = None) -> Callable[[Any], str]:
    """A function of a device's view that renders template ``name`` (under ``root``) to its text."""
    parts = parts_renderer(name, root)
    return lambda view: "".join(parts(view))


@cache
def parts_renderer(name: str, root: str | None = None) -> Callable[[Any], list[str]]:
    """A function of a device's view that renders template ``name`` (under ``root``) to its text in
    parts: one per section of a root of sections (see :func:`rebased`), else the whole text."""
    parts = _sections(name, root)
    if parts is None:
        tpl = template(name, root)
        return lambda view: [tpl.render(d=view)]

    def render(view: Any) -> list[str]:
        return [p if isinstance(p, str) else p.render(view) for p in parts]
    return render


def differing(view: Any, other: Any) -> frozenset[str]:
    """The fields of two views (dataclasses of one type) whose values differ."""
    return frozenset(f.name for f in fields(view) if (a := getattr(view, f.name)) is not (b := getattr(other, f.name))
                     and a != b)


def rebased(name: str, root: str | None, view: Any, rendered: list[str], other: Any) -> str:
    """Template ``name``'s text for the view ``other``, given its parts ``rendered`` for ``view``
    (by :func:`parts_renderer`): each section that reads equal values from both views keeps its
    text, only the others are rendered again (a review renders a changed switch's base side so)."""
    parts = _sections(name, root)
    if parts is None or len(parts) != len(rendered):
        return renderer(name, root)(other)
    differs = differing(view, other)
    return "".join([text if isinstance(p, str) or p.same(view, other, differs) else p.render(other)
                    for p, text in zip(parts, rendered, strict=True)])
