"""A fourth platform is a record, a template folder and a parser: register a toy one and build and
check an intent on it with the real pipeline (nothing else in aifab knows it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from aifab.check import run_checks
from aifab.check.parse.facts import Bgp, DeviceFacts, Ecn, Headroom, Interface, Neighbor
from aifab.check.parse.text import ParseError
from aifab.pipeline import build
from aifab.platforms import KB, Platform, QosDefaults, names, platform, register, unregister
from aifab.render import drain_snippet
from tests.test_render_helpers import LAB

TEMPLATES = Path(__file__).parent / "data" / "toy-platform"

TOY = Platform(
    name="toy",
    outputs={"conf": "toy/config.j2"},
    pushed="conf",
    templates="toy",
    template_root=str(TEMPLATES),
    parser=f"{__name__}:parse_toy",
    qos=QosDefaults("ieee", 200 * KB, 1000 * KB, 50, "tomahawk-3", "a toy: any numbers the checks accept"),
    loopback="lo0",
    management="mgmt0",
    port_name="p{index}",
)


def _ints(text: str) -> list[int]:
    return [] if text == "none" else [int(v) for v in text.split(",")]


def parse_toy(items: Iterable[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """The toy config back into facts: one fact per line, and any other line is a parse error."""
    out = []
    for device, files, texts in items:
        facts = DeviceFacts(device, "toy", files)
        for n, line in enumerate(texts["conf"].splitlines(), start=1):
            w = line.split()
            if w[0] == "hostname":
                facts.hostname = w[1]
            elif w[0] == "loopback":
                facts.loopback = w[1].partition("/")[0]
            elif w[0] == "port":
                facts.interfaces[w[1]] = Interface(w[1], address=w[2], mtu=int(w[4]), speed=int(w[6]))
            elif w[0] == "qos":
                i = facts.interfaces[w[1]]
                if w[2] == "dscp":
                    i.dscp_to_tc = dict(enumerate(_ints(w[3])))
                elif w[2] == "pfc":
                    i.pfc = frozenset(_ints(w[3]))
                elif w[2] == "strict":
                    i.strict |= {int(w[3])}
                elif w[2] == "ecn":
                    i.ecn[int(w[3])] = Ecn(int(w[4]), int(w[5]), int(w[6]))
                elif w[2] == "watchdog":
                    i.watchdog = True
                elif w[2] == "headroom":
                    i.headroom[int(w[3])] = Headroom(int(w[4]), int(w[5]), int(w[6]))
            elif w[0] == "prefix-list":
                facts.prefix_lists.setdefault(w[1], []).append(w[2])
            elif w[0] == "route-map":
                facts.route_maps.setdefault(w[1], []).append(w[2])
            elif w[0] == "bgp":
                facts.bgp = Bgp(int(w[1]), router_id=w[3], maximum_paths=int(w[5]))
            elif w[0] == "neighbor" and facts.bgp:
                facts.bgp.neighbors[w[1]] = Neighbor(w[1], int(w[3]))
            elif w[0] == "aggregate" and facts.bgp:
                facts.bgp.networks.append(w[1])
            elif w[0] == "redistribute" and facts.bgp:
                facts.bgp.redistribute.append(w[2])
            else:
                raise ParseError(f"{files[0]}:{n}: not a toy line: {line}")
        out.append(facts)
    return out


@pytest.fixture
def toy() -> Iterator[Platform]:
    register(TOY)
    try:
        yield TOY
    finally:
        unregister(TOY.name)


def test_an_intent_builds_and_checks_on_a_registered_platform(toy: Platform, tmp_path: Path) -> None:
    intent = tmp_path / "toy.yaml"
    intent.write_text(LAB.read_text().replace("platform: frr}", "platform: toy}"))
    result = build(intent, tmp_path / "build")  # the checks run on what was written: an error finding raises
    devices = result.design.devices()
    assert devices and {d.platform for d in devices} == {"toy"}
    assert sorted(p.name for p in (tmp_path / "build" / "configs").iterdir()) == sorted(f"{d.name}.conf" for d in devices)
    leaf = next(d for d in devices if d.fabric == "backend" and d.role == "leaf")
    text = (tmp_path / "build" / "configs" / f"{leaf.name}.conf").read_text()
    assert f"port p1 {leaf.ports[0].address} mtu 9216 speed 400\n" in text
    assert f"qos p1 ecn 3 {200 * KB} {1000 * KB} 50\n" in text  # the record's QoS defaults
    assert "lo0" in (tmp_path / "build" / "ipplan.csv").read_text()
    assert drain_snippet(result.design, leaf) == f"bgp {leaf.asn} shutdown graceful\n"
    assert run_checks(result.design, tmp_path / "build") == []


def test_the_checks_read_the_toy_files(toy: Platform, tmp_path: Path) -> None:
    """A wrong remote-as or a lost PFC priority in a toy file is found by the ordinary rules."""
    intent = tmp_path / "toy.yaml"
    intent.write_text(LAB.read_text().replace("platform: frr}", "platform: toy}"))
    design = build(intent, tmp_path / "build").design
    leaf = next(d for d in design.devices() if d.fabric == "backend" and d.role == "leaf")
    path = tmp_path / "build" / "configs" / f"{leaf.name}.conf"
    text = re.sub(r"^(neighbor \S+ remote-as )\d+$", r"\g<1>64999", path.read_text(), count=1, flags=re.M)
    path.write_text(text.replace("qos p1 pfc 3\n", "qos p1 pfc none\n"))
    found = {f.rule for f in run_checks(design, tmp_path / "build")}
    assert {"BGP002", "QOS001"} <= found


def test_an_unknown_platform_names_the_known_ones_and_register_refuses_a_taken_name(toy: Platform) -> None:
    assert names()[-1] == "toy" and platform("toy") is TOY
    with pytest.raises(KeyError, match="known: eos, frr, sonic, toy"):
        platform("junos")
    with pytest.raises(ValueError, match="already registered"):
        register(TOY)


def test_sonic_builds_on_frr() -> None:
    frr, sonic = platform("frr"), platform("sonic")
    assert sonic.parser != frr.parser and sonic.port(2, 400) == "Ethernet8" and frr.port(2, 400) == "swp2"
    assert (sonic.templates, sonic.pushed, sonic.napalm_driver, sonic.lab_boots) == ("frr", "frr.conf", "sonic", True)
    assert sonic.deploys and frr.deploys
    assert sonic.pushed_files == ("config_db.json", "frr.conf") and frr.pushed_files == ("frr.conf", "links.sh", "qos.sh")
