"""Template rules: templates only loop and place values (no arithmetic, no math filters), undefined
values are errors, and every template is reached from a platform's ordering template."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from jinja2 import StrictUndefined, UndefinedError, nodes

from aifab.render.env import environment, template
from aifab.render.view import device_view
from tests.test_render_helpers import lab_design

ROOT = Path(__file__).parents[1] / "src" / "aifab" / "templates"
ARITHMETIC = (nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Neg)
MATH_FILTERS = {"sum", "round", "int", "float", "abs", "max", "min", "length", "count", "batch", "slice"}
ENTRY = {"eos/running-config.j2", "eos/drain.j2", "eos/undrain.j2", "frr/frr.conf.j2", "frr/links.sh.j2",
         "frr/qos.sh.j2", "frr/drain.j2", "frr/undrain.j2", "sonic/frr.conf.j2", "host/setup.sh.j2", "host/collect.sh.j2"}


def _templates() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.j2"))


@pytest.mark.parametrize("name", _templates())
def test_template_has_no_arithmetic(name: str) -> None:
    env = environment()
    ast = env.parse(env.loader.get_source(env, name)[0])  # type: ignore[union-attr]
    assert not list(ast.find_all(ARITHMETIC)), f"{name}: arithmetic belongs in the view (render/view.py, render/<platform>.py)"
    filters = {f.name for f in ast.find_all(nodes.Filter)}
    assert not filters & MATH_FILTERS, f"{name}: math filters {filters & MATH_FILTERS}"


def test_every_template_is_an_entry_or_included() -> None:
    env = environment()
    included = {inc.template.value for name in _templates()
                for inc in env.parse(env.loader.get_source(env, name)[0]).find_all(nodes.Include)}  # type: ignore[union-attr]
    assert set(_templates()) == ENTRY | included, "a template nobody renders is dead code"


def test_undefined_values_are_errors() -> None:
    assert environment().undefined is StrictUndefined
    design = lab_design("eos")
    view = device_view(design, design.devices()[0])
    broken = dataclasses.replace(view, bgp=object())  # no .asn, .router_id ...
    with pytest.raises(UndefinedError):
        template("eos/running-config.j2").render(d=broken)


def test_templates_are_compiled_once() -> None:
    assert template("frr/frr.conf.j2") is template("frr/frr.conf.j2")
