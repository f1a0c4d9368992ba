"""Property tests over random valid intents (hypothesis)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from netaddr import IPNetwork

from aifab.design import build_design, design_json
from aifab.design.sizing import drain_floor
from aifab.design.validate import intent_problems
from aifab.intent.schema import Intent
from tests.helpers import make_intent


@st.composite
def intents(draw: st.DrawFn) -> Intent:
    rails = draw(st.integers(1, 8))
    per_su = draw(st.integers(1, 8))
    sus = draw(st.integers(1, 6))
    ratio = draw(st.sampled_from([1, 1.5, 2, 3]))
    leaf_speed = draw(st.sampled_from([100, 400, 800]))
    nic = draw(st.sampled_from([s for s in (100, 200, 400, 800) if s <= leaf_speed]))
    up = math.ceil(per_su * nic / (ratio * leaf_speed) - 1e-9)
    leaf_ports = per_su + up + draw(st.integers(0, 4))
    spine_ports = draw(st.integers(2, 48))
    hosts = sus * per_su + draw(st.integers(0, 4))
    backend = {
        "servers": sus * per_su, "gpus_per_server": rails, "servers_per_su": per_su, "nic_speed": f"{nic}G",
        "oversubscription": ratio,
        "switches": {"leaf": {"ports": leaf_ports, "speed": leaf_speed}, "spine": {"ports": spine_ports, "speed": leaf_speed},
                     "core": {"ports": draw(st.integers(2, 64)), "speed": leaf_speed}},
    }
    frontend = {
        "storage_nodes": hosts - sus * per_su, "oversubscription": draw(st.sampled_from([1, 2, 3])),
        "switches": {"leaf": {"ports": draw(st.integers(4, 32))}, "spine": {"ports": draw(st.integers(4, 64))}},
    }
    intent = make_intent(backend=backend, frontend=frontend)
    assume(not intent_problems(intent))
    return intent


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@PROPS
@given(intents())
def test_addresses_unique_and_p2p_ends_pair_up(intent: Intent) -> None:
    design = build_design(intent)
    seen: Counter[str] = Counter()
    ends: dict[tuple[str, str], str] = {}
    for dev in design.devices():
        seen[dev.loopback] += 1
        seen[dev.management.split("/")[0]] += 1
        for p in dev.ports:
            seen[p.address.split("/")[0]] += 1
            ends[(dev.name, p.name)] = p.address
    for host in design.hosts:
        for nic in host.nics:
            seen[nic.address.split("/")[0]] += 1
    assert max(seen.values()) == 1, [a for a, n in seen.items() if n > 1][:5]
    for dev in design.devices():
        for p in dev.ports:
            if p.role == "server":
                continue
            other = ends[(p.peer, p.peer_port)]
            assert IPNetwork(other).cidr == IPNetwork(p.address).cidr
            assert IPNetwork(other).prefixlen == 31 and other != p.address


@PROPS
@given(intents())
def test_every_session_has_its_other_end(intent: Intent) -> None:
    design = build_design(intent)
    by_name = {d.name: d for d in design.devices()}
    for dev in design.devices():
        for n in dev.neighbors:
            peer = by_name[n.peer]
            assert peer.asn == n.peer_asn
            back = [m for m in peer.neighbors if m.peer_address == n.local_address]
            assert len(back) == 1 and back[0].peer_asn == dev.asn and back[0].local_address == n.peer_address
            assert peer.fabric == dev.fabric


@PROPS
@given(intents())
def test_bandwidth_ratio_per_tier_as_asked(intent: Intent) -> None:
    design = build_design(intent)
    asked = {"backend": intent.backend.oversubscription, "frontend": intent.frontend.oversubscription}
    for fab in design.fabrics:
        for dev in fab.devices:
            down = sum(p.speed for p in dev.ports if p.role in ("server", "downlink"))
            up = sum(p.speed for p in dev.ports if p.role == "uplink")
            if dev.role == "leaf":
                assert down <= asked[fab.name] * up + 1e-6, dev.name
            elif dev.role == "spine" and up:
                assert down <= up, dev.name  # non-blocking above the leaves
        assert fab.tiers[0].ratio is not None and fab.tiers[0].ratio <= asked[fab.name] + 1e-9


@PROPS
@given(intents())
def test_deterministic_and_isolated(intent: Intent) -> None:
    a, b = build_design(intent), build_design(intent)
    assert design_json(a) == design_json(b)
    be = {d.name for d in a.backend.devices}
    fe = {d.name for d in a.frontend.devices}
    assert not be & fe
    for dev in a.backend.devices:
        assert all(p.peer not in fe for p in dev.ports)
    for dev in a.frontend.devices:
        assert all(p.peer not in be for p in dev.ports)


def _switch_ports(intent: Intent, fabric: str, role: str) -> int:
    return int(getattr(getattr(intent, fabric).switches, role).ports)


@PROPS
@given(intents())
def test_tier_figures_are_the_switches_own(intent: Intent) -> None:
    """The summary's ratio per tier is its worst switch's down:up bandwidth, and its unused ports are
    the front-panel ports its switches leave free."""
    design = build_design(intent)
    for fab in design.fabrics:
        for tier in fab.tiers:
            devs = [d for d in fab.devices if d.role == tier.role]
            assert len(devs) == tier.count
            free = sum(_switch_ports(intent, fab.name, tier.role) - len({p.index for p in d.ports}) for d in devs)
            assert free == tier.unused_ports, (fab.name, tier.role)
            if tier.ratio is not None:
                worst = max(sum(p.speed for p in d.ports if p.role != "uplink") / sum(p.speed for p in d.ports if p.role == "uplink")
                            for d in devs)
                assert tier.ratio == pytest.approx(worst), (fab.name, tier.role)


@PROPS
@given(intents())
def test_every_leaf_spreads_its_uplinks_over_every_spine_within_one_link(intent: Intent) -> None:
    """Every leaf reaches every spine of its pod, no leaf-spine pair more than one link from another
    pair of that leaf, and a pod's spines fill their ports within one of each other."""
    design = build_design(intent)
    for fab in design.fabrics:
        spines = [d for d in fab.devices if d.role == "spine"]
        for leaf in (d for d in fab.devices if d.role == "leaf"):
            mine = [s for s in spines if s.pod == leaf.pod]
            counts = Counter(p.peer for p in leaf.ports if p.role == "uplink")
            per_spine = [counts.get(s.name, 0) for s in mine]
            assert min(per_spine) >= 1 and max(per_spine) - min(per_spine) <= 1, leaf.name
        for pod in {s.pod for s in spines}:
            loads = [sum(1 for p in s.ports if p.role == "downlink") for s in spines if s.pod == pod]
            assert max(loads) - min(loads) <= 1


@PROPS
@given(intents())
def test_two_tier_backends_have_the_fewest_spines(intent: Intent) -> None:
    """One spine fewer would leave an uplink without a port, fall below two (or below what a drain
    needs, upgrade.min_capacity_pct), or leave a leaf unable to reach every spine."""
    design = build_design(intent)
    if len(design.backend.tiers) != 2:
        return
    leaves = [d for d in design.backend.devices if d.role == "leaf"]
    up = sum(1 for p in leaves[0].ports if p.role == "uplink")
    spines = design.backend.tiers[1].count
    fewer = spines - 1
    assert (fewer * _switch_ports(intent, "backend", "spine") < len(leaves) * up
            or fewer < drain_floor(up, intent.upgrade.min_capacity_pct) or fewer > up)
