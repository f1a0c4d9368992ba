"""Section rendering (aifab.render.sections): the same text as a whole render, each shared section
rendered once per distinct input."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from aifab.design import build_design
from aifab.intent import load_intent
from aifab.intent.schema import Intent
from aifab.platforms import platform
from aifab.render.env import environment, template
from aifab.render.sections import Section, _parts, reads, renderer
from aifab.render.view import device_view
from tests.test_render_helpers import PLATFORMS, ROOT, lab_design, with_platform


def _variants() -> list[Intent]:
    """The example cluster as it is, with other QoS numbers and no watchdog, with its frontend
    lossless and ECMP hashing on the RoCE queue pair with dynamic load balancing."""
    intent = load_intent(ROOT / "intent" / "cluster.yaml").intent
    data = intent.model_dump(exclude_unset=True)
    out = [intent]
    for backend, frontend in (({"qos": {"ecn": {"max_kb": 2000}, "watchdog": {"enabled": False}}}, {}),
                              ({"load_balancing": {"roce_qp": True, "dynamic": True}}, {"qos": {"lossless": True}})):
        out.append(Intent.model_validate({**data, "backend": {**data["backend"], **backend},
                                          "frontend": {**data["frontend"], **frontend}}))
    return out


@pytest.mark.parametrize("name", PLATFORMS)
def test_every_file_is_the_whole_render_across_designs(name: str) -> None:
    """Designs rendered one after another through the shared section caches: every template file of
    every device equals the root template rendered whole."""
    designs = [lab_design(name), *(build_design(with_platform(i, name)) for i in _variants())]
    compared = 0
    for design in designs:
        for dev in design.devices():
            record = platform(dev.platform)
            view = device_view(design, dev)
            for ref in record.outputs.values():
                if ":" in ref:
                    continue
                assert renderer(ref, record.template_root)(view) == template(ref, record.template_root).render(d=view), \
                    f"{dev.name}: {ref}"
                compared += 1
    assert compared > 100


def _env(files: dict[str, str]) -> Environment:
    return Environment(loader=DictLoader(files), trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def test_reads_names_the_paths_and_refuses_d_whole() -> None:
    env = _env({
        "a.j2": "{{ d.x.y }}{% for i in d.z %}{{ i }}{% endfor %}{% if d.x.w %}!{% endif %}",
        "inc.j2": "{% include 'a.j2' %}{{ d.v }}",
        "whole.j2": "{% set m = d %}{{ m.x }}",
        "item.j2": "{{ d['x'] }}",
        "computed.j2": "{% include d.x %}",
        "via.j2": "{% include 'whole.j2' %}",
    })
    assert reads(env, "a.j2") == {("x", "y"), ("z",), ("x", "w")}
    assert reads(env, "inc.j2") == {("x", "y"), ("z",), ("x", "w"), ("v",)}
    for name in ("whole.j2", "item.j2", "computed.j2", "via.j2"):
        assert reads(env, name) is None, name


@dataclass(frozen=True)
class _Mgmt:
    vrf: str
    address: str


@dataclass(frozen=True)
class _View:
    hostname: str
    management: _Mgmt


def _write(root: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (root / name).write_text(text)
    return str(root)


def test_a_shared_section_renders_once_per_distinct_input(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "root.j2": "{% include 'vrf.j2' %}{% include 'host.j2' %}{% include 'mgmt.j2' %}end\n",
        "vrf.j2": "vrf {{ d.management.vrf }}\n",
        "host.j2": "hostname {{ d.hostname }}\n",
        "mgmt.j2": "ip {{ d.management.address }}\n",
    })
    views = [_View("a", _Mgmt("MGMT", "1.1.1.1")), _View("b", _Mgmt("MGMT", "1.1.1.2")), _View("c", _Mgmt("OOB", "1.1.1.3"))]
    texts = [renderer("root.j2", root)(v) for v in views]
    assert texts[1] == "vrf MGMT\nhostname b\nip 1.1.1.2\nend\n"
    assert texts[2] == "vrf OOB\nhostname c\nip 1.1.1.3\nend\n"
    parts = _parts(environment(root), "root.j2", root)
    assert parts is not None
    vrf, host, mgmt = [p for p in parts if isinstance(p, Section)]
    assert vrf.paths == [("management", "vrf")]
    assert host.paths is None and mgmt.paths is None  # unique to each device: rendered each time
    for v in views:
        vrf.render(v)
    assert len(vrf.cache) == 2


def test_a_root_with_logic_renders_whole(tmp_path: Path) -> None:
    root = _write(tmp_path, {"root.j2": "{% if d.hostname %}{% include 'host.j2' %}{% endif %}end\n",
                             "host.j2": "hostname {{ d.hostname }}\n"})
    assert _parts(environment(root), "root.j2", root) is None
    assert renderer("root.j2", root)(_View("x", _Mgmt("M", "1.1.1.1"))) == "hostname x\nend\n"
