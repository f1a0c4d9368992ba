"""Breakouts: a NIC slower than the leaf port rides a breakout child of its catalog model's mode,
named per platform, configured as the vendors document, and checked by BRK001."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from aifab.catalog import lookup
from aifab.check import run_checks
from aifab.design import build_design
from aifab.design.model import Design, Device
from aifab.design.models import resolve_switches
from aifab.design.sizing import backend_shape
from aifab.intent.schema import Intent
from aifab.pipeline import build
from aifab.platforms import platform
from aifab.render import render_device
from tests.helpers import make_intent

FRONTEND = {"switches": {"leaf": {"ports": 64, "speed": "100G"}, "spine": {"ports": 64, "speed": "100G"}}}


def _intent(leaf_platform: str, model: str = "SN5600", per_su: int = 64, nic: str = "400G") -> Intent:
    """Two SUs of ``per_su`` 8-GPU servers at ``nic`` on ``model`` leaves and spines."""
    sw = {"model": model, "platform": leaf_platform}
    return make_intent(backend={"servers": 2 * per_su, "gpus_per_server": 8, "servers_per_su": per_su, "nic_speed": nic,
                                "switches": {"leaf": sw, "spine": sw},
                                "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}},
                       frontend=FRONTEND)


def _leaf(design: Design) -> Device:
    return next(d for d in design.backend.devices if d.role == "leaf")


def test_a_64x800g_leaf_serves_64_servers_at_400g_and_32_uplinks_non_blocking() -> None:
    intent = _intent("frr")
    shape, problems = backend_shape(resolve_switches(intent)[0].backend)
    assert not problems and shape is not None and shape.leaf_uplinks == 32
    design = build_design(intent)
    leaf = _leaf(design)
    servers = [p for p in leaf.ports if p.role == "server"]
    uplinks = [p for p in leaf.ports if p.role == "uplink"]
    assert (len(servers), len(uplinks)) == (64, 32)
    assert {p.index for p in servers} == set(range(1, 33)) and {p.index for p in uplinks} == set(range(33, 65))
    assert {(p.breakout, p.speed) for p in servers} == {("2x400G", 400)} and {p.sub for p in servers} == {0, 1}
    assert {(p.breakout, p.speed) for p in uplinks} == {("", 800)}
    assert sum(p.speed for p in servers) == sum(p.speed for p in uplinks)
    assert [p.name for p in servers[:3]] == ["swp1s0", "swp1s1", "swp2s0"]  # Cumulus breakout names
    assert design.backend.tiers[0].ratio == pytest.approx(1.0)


def test_without_a_breakout_mode_for_the_nic_each_nic_takes_a_whole_port() -> None:
    """7060X5-64PE (400G ports) lists 2x200G, not 2x400G: 400G NICs take whole ports, named /1."""
    design = build_design(_intent("eos", "7060X5-64PE", per_su=32))
    servers = [p for p in _leaf(design).ports if p.role == "server"]
    assert len({p.index for p in servers}) == 32 and {p.breakout for p in servers} == {""}
    assert all(re.fullmatch(r"Ethernet\d+/1", p.name) for p in servers)


def test_eos_names_children_by_their_first_lane_and_sets_their_speed() -> None:
    """A 200G NIC on a 400G OSFP port of a 7060X5-64PE: 2x200G children Ethernet1/1 and Ethernet1/5 at
    ``speed 200g-4`` (Arista: an OSFP port exposes Ethernet1/1..1/8; docs/sources.md#breakouts)."""
    design = build_design(_intent("eos", "7060X5-64PE", per_su=32, nic="200G"))
    leaf = _leaf(design)
    servers = [p for p in leaf.ports if p.role == "server"]
    assert [p.name for p in servers[:4]] == ["Ethernet1/1", "Ethernet1/5", "Ethernet2/1", "Ethernet2/5"]
    text = render_device(design, leaf)[f"{leaf.name}.cfg"]
    assert re.search(r"^interface Ethernet1/5\n(?:   .*\n)*?   speed 200g-4\n", text, re.M)
    up = next(p for p in leaf.ports if p.role == "uplink")
    assert re.search(rf"^interface {up.name}\n(?:   .*\n)*?   speed 400g-8\n", text, re.M)


def test_sonic_children_take_their_lanes_and_the_port_its_breakout_mode() -> None:
    intent = _intent("sonic")
    intent = intent.model_copy(update={"backend": intent.backend.model_copy(update={
        "switches": intent.backend.switches.model_copy(update={
            "leaf": intent.backend.switches.leaf.model_copy(update={"platform": "frr"}),
            "spine": intent.backend.switches.spine.model_copy(update={"platform": "frr"})})})})
    front = {"switches": {"leaf": {"model": "SN5600", "platform": "sonic"}, "spine": {"model": "SN5600", "platform": "sonic"}},
             "nic_speed": "200G", "storage_speed": "400G", "storage_nodes": 4}
    intent = make_intent(backend=intent.backend.model_dump(mode="json", exclude_unset=True), frontend=front)
    design = build_design(intent)
    leaf = next(d for d in design.frontend.devices if d.role == "leaf")
    db = json.loads(render_device(design, leaf)[f"{leaf.name}.config_db.json"])
    assert db["PORT"]["Ethernet0"]["lanes"] == "0,1" and db["PORT"]["Ethernet2"]["lanes"] == "2,3"
    assert (db["PORT"]["Ethernet2"]["alias"], db["PORT"]["Ethernet2"]["speed"]) == ("etp1b", "200000")
    assert db["BREAKOUT_CFG"]["Ethernet0"] == {"brkout_mode": "4x200G"}
    storage = [p for p in leaf.ports if p.peer.startswith("stor")]
    assert {p.breakout for p in storage} == {"2x400G"}
    root = db["BREAKOUT_CFG"][storage[0].name]["brkout_mode"]
    assert root == "2x400G" and db["PORT"][storage[1].name]["lanes"].split(",")[0] == str(int(storage[0].name[8:]) + 4)
    assert set(db["BREAKOUT_CFG"]) == {p.name for p in leaf.ports if p.breakout and p.sub == 0}
    model = lookup("SN5600")
    assert model is not None and all(m["brkout_mode"] in model.breakouts[800] for m in db["BREAKOUT_CFG"].values())


def test_platform_child_names() -> None:
    assert platform("eos").child_port(3, 800, 1, 2, 8) == "Ethernet3/5"
    assert platform("sonic").child_port(2, 800, 1, 2, 8) == "Ethernet12"
    assert platform("frr").child_port(7, 800, 3, 4, 8) == "swp7s3"


def _built(tmp_path: Path) -> tuple[Design, Path]:
    intent = tmp_path / "brk.yaml"
    text = (Path(__file__).parents[1] / "intent" / "cluster.yaml").read_text()
    intent.write_text(text)
    return build(intent, tmp_path / "build", check=False).design, tmp_path / "build"


def test_brk001_fires_on_a_child_no_mode_offers(tmp_path: Path) -> None:
    """intent/cluster.yaml's frontend puts 200G NICs on 2x200G children of 7050DX4-32S ports; moved
    to lane 3 (Ethernet1/3) or set to 4 lanes of 100G, the child is no 2x200G child: BRK001 names it."""
    design, out = _built(tmp_path)
    assert run_checks(design, out) == []
    leaf = next(d for d in design.frontend.devices if d.role == "leaf")
    child = next(p for p in leaf.ports if p.breakout and p.sub == 1)
    assert child.name.endswith("/5")
    cfg = out / "configs" / f"{leaf.name}.cfg"
    clean = cfg.read_text()
    for old, new in ((f"interface {child.name}\n", f"interface {child.name[:-1]}3\n"),
                     ("   speed 200g-4\n", "   speed 200g-2\n")):
        cfg.write_text(clean.replace(old, new, 1))
        findings = run_checks(design, out)
        assert "BRK001" in {f.rule for f in findings}, new
        assert any(f.rule == "BRK001" and f.device == leaf.name for f in findings)
        cfg.write_text(clean)


@pytest.mark.parametrize(("model", "leaf_platform", "nic"), [
    ("7060X5-64PE", "eos", "200G"), ("7060X5-64PE", "eos", "100G"), ("7050DX4-32S", "eos", "100G"),
    ("SN5600", "frr", "400G"), ("SN5600", "frr", "200G"), ("DS5000", "sonic", "400G"), ("DS5000", "sonic", "100G"),
])
def test_broken_out_builds_name_each_child_once_and_pass_every_check(tmp_path: Path, model: str, leaf_platform: str,
                                                                     nic: str) -> None:
    """Every catalog model with breakouts, per platform and NIC speed: children fill their ports in mode
    order, names are unique per switch, and the rendered build passes every check (BRK001 included)."""
    intent = _intent(leaf_platform, model, per_su=12, nic=nic)
    path = tmp_path / "intent.yaml"
    path.write_text(yaml.safe_dump(intent.model_dump(mode="json", exclude_unset=True)))
    result = build(path, tmp_path / "out")
    assert result.findings == []
    entry = lookup(model)
    assert entry is not None
    for dev in result.design.backend.devices:
        names = [p.name for p in dev.ports]
        assert len(names) == len(set(names)), dev.name
        children: dict[int, list[int]] = {}
        for p in dev.ports:
            if p.breakout:
                children.setdefault(p.index, []).append(p.sub)
                assert p.breakout in entry.breakouts[entry.speeds[0]] and p.breakout.endswith(f"x{p.speed}G")
        assert all(subs == list(range(len(subs))) for subs in children.values()), dev.name
