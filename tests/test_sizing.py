"""Fabric sizing against the NVIDIA DGX SuperPOD published switch counts (docs/sources.md#superpod)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.design import build_design
from aifab.design.model import Device
from aifab.design.sizing import backend_shape, drain_floor, smallest_divisor_at_least, spread, uplinks_for
from aifab.intent import load_intent
from tests.helpers import make_intent

SUPERPOD = {"gpus_per_server": 8, "servers_per_su": 32, "nic_speed": "400G",
            "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
            "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}}
ROOT = Path(__file__).parents[1]
BIG_FRONTEND = {"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}}


@pytest.mark.parametrize(("sus", "leaves", "spines", "cores"), [(2, 16, 8, 0), (4, 32, 16, 0), (16, 128, 128, 64)])
def test_superpod_table(sus: int, leaves: int, spines: int, cores: int) -> None:
    """Facts section 2: 2 SUs 16/8, 4 SUs 32/16, 16 SUs 128/128/64 (64-port switches)."""
    intent = make_intent(backend={**SUPERPOD, "servers": 32 * sus}, frontend=BIG_FRONTEND)
    shape, problems = backend_shape(intent.backend)
    assert not problems and shape is not None
    assert (shape.leaves, shape.spines, shape.cores) == (leaves, spines, cores)
    assert shape.tiers == (3 if cores else 2)
    design = build_design(intent)
    roles = [d.role for d in design.backend.devices]
    assert (roles.count("leaf"), roles.count("spine"), roles.count("core")) == (leaves, spines, cores)
    assert sum(1 for h in design.hosts for n in h.nics if n.fabric == "backend") == 256 * sus


def test_three_tier_is_non_blocking_and_every_port_fits() -> None:
    design = build_design(make_intent(backend={**SUPERPOD, "servers": 512}, frontend=BIG_FRONTEND))
    for dev in design.backend.devices:
        assert len(dev.ports) <= 64
        assert len({p.index for p in dev.ports}) == len(dev.ports)
        if dev.role in ("leaf", "spine"):
            down = sum(p.speed for p in dev.ports if p.role in ("server", "downlink"))
            up = sum(p.speed for p in dev.ports if p.role == "uplink")
            assert down == up, dev.name


def test_helpers() -> None:
    assert smallest_divisor_at_least(32, 5) == 8
    assert smallest_divisor_at_least(7, 2) == 7
    assert uplinks_for(32 * 400, 1.0, 400) == 32
    assert uplinks_for(24 * 100, 3.0, 100) == 8
    assert spread(2, 4, 4) == 2  # two spines at least, for redundancy
    assert spread(32, 16, 64) == 8


def test_oversubscribed_backend_uses_fewer_uplinks() -> None:
    intent = make_intent(backend={**SUPERPOD, "servers": 64, "oversubscription": "1:2"}, frontend=BIG_FRONTEND)
    shape, _ = backend_shape(intent.backend)
    assert shape is not None and shape.leaf_uplinks == 16
    design = build_design(intent)
    assert design.backend.tiers[0].ratio == pytest.approx(2.0)


def _wiring(devices: list[Device]) -> dict[tuple[str, str], int]:
    """(leaf, spine) -> links between them."""
    links: dict[tuple[str, str], int] = {}
    for dev in devices:
        for p in dev.ports:
            if p.role == "uplink":
                links[dev.name, p.peer] = links.get((dev.name, p.peer), 0) + 1
    return links


def test_a_prime_uplink_count_gets_the_fewest_spines_with_balanced_links() -> None:
    """1:3 with 64-port leaves: 32 servers per SU need 11 uplinks. 40 leaves x 11 = 440 links fit 7
    spines of 64 ports (not 11, the only divisor); each leaf has 1 or 2 links to every spine, and the
    spines' ports fill within one of each other."""
    intent = make_intent(backend={**SUPERPOD, "servers": 160, "oversubscription": "1:3"}, frontend=BIG_FRONTEND)
    shape, _ = backend_shape(intent.backend)
    assert shape is not None and (shape.leaf_uplinks, shape.leaves, shape.spines) == (11, 40, 7)
    design = build_design(intent)
    spines = [d for d in design.backend.devices if d.role == "spine"]
    assert len(spines) == 7
    links = _wiring([d for d in design.backend.devices if d.role == "leaf"])
    leaves = {leaf for leaf, _ in links}
    for leaf in leaves:
        per_spine = [links.get((leaf, s.name), 0) for s in spines]
        assert min(per_spine) >= 1 and max(per_spine) - min(per_spine) <= 1 and sum(per_spine) == 11, leaf
    loads = [len(s.ports) for s in spines]
    assert max(loads) - min(loads) <= 1 and max(loads) <= 64
    assert all(len({p.index for p in s.ports}) == len(s.ports) for s in spines)
    assert {d.max_paths for d in design.backend.devices if d.role == "leaf"} == {11}


def test_spines_enough_to_drain_one_within_the_upgrade_capacity() -> None:
    """Fewest spines, but at least as many as let a leaf keep upgrade.min_capacity_pct of its uplinks
    while one spine is drained: 75 % needs 4 spines for 16 uplinks, 50 % needs 2."""
    assert drain_floor(16, 75) == 4 and drain_floor(16, 50) == 2 and drain_floor(11, 75) == 6
    assert drain_floor(1, 75) == 1  # one uplink: nothing to spread
    small = {**SUPERPOD, "servers": 32, "gpus_per_server": 2, "oversubscription": "1:2"}
    for keep, spines in ((75, 4), (50, 2)):
        shape, _ = backend_shape(make_intent(backend=small, frontend=BIG_FRONTEND).backend, keep)
        assert shape is not None and (shape.leaf_uplinks, shape.spines) == (16, spines)


def test_a_partial_last_pod_is_trimmed_to_what_it_needs() -> None:
    """10 SUs of the SuperPOD: pods of 4 SUs, the last has 2. It gets 16 spines (80 in all, not 96), each
    with as many core uplinks as downlinks: non-blocking, and no spine-core link beyond."""
    intent = make_intent(backend={**SUPERPOD, "servers": 320}, frontend=BIG_FRONTEND)
    shape, _ = backend_shape(intent.backend)
    assert shape is not None and (shape.tiers, shape.pods, shape.spines) == (3, 3, 80)
    assert (shape.last_pod_spines, shape.last_spine_uplinks) == (16, 32)
    design = build_design(intent)
    spines = [d for d in design.backend.devices if d.role == "spine"]
    assert len(spines) == 80 and sum(1 for d in spines if d.pod == 3) == 16
    for dev in spines:
        down = sum(p.speed for p in dev.ports if p.role == "downlink")
        up = sum(p.speed for p in dev.ports if p.role == "uplink")
        assert down == up, dev.name
    assert design.backend.tiers[1].ratio == pytest.approx(1.0)
    cores = [d for d in design.backend.devices if d.role == "core"]
    assert sum(len(d.ports) for d in cores) == 2 * 32 * 32 + 16 * 32


def test_frontend_uplinks_follow_the_hosts_each_leaf_carries() -> None:
    """intent/cluster.yaml's frontend: 128 servers at 200G, then 16 storage nodes at 400G, 1:3. Each
    pair's uplinks are sized from its own hosts, so no leaf runs far below the asked ratio, and the
    summary's ratio is the worst leaf's."""
    design = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    ratios = []
    for dev in design.frontend.devices:
        if dev.role != "leaf":
            continue
        down = sum(p.speed for p in dev.ports if p.role == "server")
        up = sum(p.speed for p in dev.ports if p.role == "uplink")
        assert up == uplinks_for(down, 3.0, 400) * 400 or up // 400 == len([d for d in design.frontend.devices
                                                                              if d.role == "spine"]), dev.name
        ratios.append(down / up)
    assert max(ratios) == pytest.approx(design.frontend.tiers[0].ratio)
    assert max(ratios) <= 3.0 and min(ratios) > 2.0


def test_summary_prints_the_worst_ratio_and_the_unused_ports_per_tier() -> None:
    from rich.console import Console

    from aifab.summary import print_summary

    design = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    console = Console(record=True, width=120)
    print_summary(design, console)
    text = console.export_text()
    assert "worst down:up" in text and "unused ports" in text
    fe_leaf = design.frontend.tiers[0]
    row = next(line for line in text.splitlines() if "frontend" in line and "leaf" in line)
    assert f"{fe_leaf.ratio:.2f}:1" in row and f"{fe_leaf.unused_ports:,}" in row.split("│")[-2]


def test_a_frontend_one_spine_tier_cannot_hold_gets_a_second() -> None:
    """600 storage nodes on 32-port leaves under 16-port spines: one spine tier cannot reach every
    leaf, so leaf pairs form pods under their own spines (half down, half up: non-blocking) and cores
    in planes. Every leaf reaches every spine of its pod, every spine every core of its plane (a light
    pod's spine takes one uplink per core even where it has fewer downlinks)."""
    intent = make_intent(frontend={"storage_nodes": 600, "switches": {"leaf": {"ports": 32}, "spine": {"ports": 16}},
                                   "pools": {"loopbacks": "10.100.0.0/16", "p2p": "10.101.0.0/16", "servers": "10.104.0.0/14"}})
    design = build_design(intent)
    fe = design.frontend
    assert [t.role for t in fe.tiers] == ["leaf", "spine", "core"]
    by_name = {d.name: d for d in fe.devices}
    spines = [d for d in fe.devices if d.role == "spine"]
    cores = [d for d in fe.devices if d.role == "core"]
    assert len({d.pod for d in spines}) > 1 and cores
    for spine in spines:
        down = [p for p in spine.ports if p.role == "downlink"]
        up = [p for p in spine.ports if p.role == "uplink"]
        plane = [c for c in cores if c.plane == spine.plane]
        assert len(up) == max(len(down), len(plane)) and len(spine.ports) <= 16, spine.name  # non-blocking
        assert {by_name[p.peer].pod for p in down} == {spine.pod}
        assert {p.peer for p in up} == {c.name for c in cores if c.plane == spine.plane}, spine.name
    assert fe.tiers[1].ratio == pytest.approx(1.0)
    assert all(len(c.ports) <= 16 for c in cores)
    assert len({d.asn for d in fe.devices if d.role == "leaf"}) == fe.tiers[0].count
