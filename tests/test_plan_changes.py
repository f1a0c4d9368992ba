"""The semantic change set between two Designs (plan.changes): facts with counts, natural order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aifab.design import build_design
from aifab.design.model import Design
from aifab.intent import load_intent
from aifab.intent.schema import Intent
from aifab.plan.changes import change_set, natural_sorted
from tests.helpers import make_intent

ROOT = Path(__file__).parents[1]
CLUSTER = load_intent(ROOT / "intent" / "cluster.yaml").intent


def edited(intent: Intent, **paths: Any) -> Design:
    """The Design of ``intent`` with dotted keys (``backend__qos__ecn__max_kb=2000``) replaced."""
    data = intent.model_dump(exclude_unset=True)  # defaults that depend on what is set stay so
    for dotted, value in paths.items():
        *keys, last = dotted.split("__")
        node = data
        for k in keys:
            node = node.setdefault(k, {})
        node[last] = value
    return build_design(Intent.model_validate(data))


@pytest.fixture(scope="module")
def cluster() -> Design:
    return build_design(CLUSTER)


def test_ecn_threshold_is_one_line_with_counts(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, backend__qos__ecn__max_kb=2000))
    lossless = sum(1 for d in cluster.backend.devices for p in d.ports if p.buffer is not None)
    assert cs.lines() == [f"ECN max threshold 1,500 -> 2,000 KB on {lossless:,} ports of 32 leaves and 16 spines"]
    assert set(cs.devices) == {d.name for d in cluster.backend.devices}
    assert {k for d in cs.devices.values() for k in d.kinds} == {"ecn"}
    assert not cs.recabling and cs.added == () and cs.removed == ()


def test_bgp_hold_time_counts_sessions_once(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, backend__bgp__hold_s=15))
    sessions = sum(len(d.neighbors) for d in cluster.backend.devices) // 2
    assert cs.lines() == [f"BGP hold time 9 -> 15 s on {sessions:,} sessions of 32 leaves and 16 spines"]
    both = change_set(cluster, edited(CLUSTER, backend__bgp__hold_s=15, frontend__bgp__hold_s=15))
    everywhere = sum(len(d.neighbors) for d in cluster.devices()) // 2
    assert both.lines() == [f"BGP hold time 9 -> 15 s on {everywhere:,} sessions of 40 leaves and 20 spines"]
    assert len(both.devices) == len(cluster.devices())


def test_watchdog_and_nothing_else(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, backend__qos__watchdog__detection_ms=300,
                                    backend__qos__watchdog__restoration_ms=400))
    assert [f.kind for f in cs.facts] == ["pfc-watchdog"]
    assert cs.facts[0].text.startswith("PFC watchdog detection 200 -> 300 ms on ")


def test_class_dscps_traffic_classes_and_weights_are_stated_with_their_values(cluster: Design) -> None:
    """A class's DSCP or traffic class, or a DWRR weight, is said with its values, as the issue's
    facts are ("RoCE DSCP 26 -> 24 on ..."), not as the derived maps that change with it."""
    cs = change_set(cluster, edited(CLUSTER, backend__qos__roce_dscp=24))
    assert cs.lines() == ["RoCE DSCP 26 -> 24 on 32 leaves and 16 spines"]
    assert {k for d in cs.devices.values() for k in d.kinds} == {"dscp-map"}
    cs = change_set(cluster, edited(CLUSTER, backend__qos__lossless_weight=60))
    assert cs.lines() == ["DWRR weights TC0 50 %, TC3 50 % -> TC0 40 %, TC3 60 % on 32 leaves and 16 spines"]
    cs = change_set(cluster, edited(CLUSTER, backend__qos__cnp_tc=5, frontend__qos__storage_dscp=20))
    assert cs.lines() == ["CNP traffic class 6 -> 5 on 32 leaves and 16 spines", "storage DSCP 18 -> 20 on 8 leaves and 4 spines"]
    assert {k for d in cs.devices.values() for k in d.kinds} == {"dscp-map", "qos-scheduling"}


def test_unchanged_design_has_no_facts(cluster: Design) -> None:
    cs = change_set(cluster, build_design(CLUSTER))
    assert cs.facts == () and cs.devices == {}


def test_devices_in_natural_order(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, backend__mtu=9000))
    mtu = next(f for f in cs.facts if f.kind == "mtu")
    spines = [n for n in mtu.devices if "spine" in n]
    assert spines[:3] == ["be-spine1", "be-spine2", "be-spine3"] and spines[-1] == "be-spine16"
    assert natural_sorted(["be-spine10", "be-spine2", "be-leaf-su10-r1", "be-leaf-su2-r1"]) == \
        ["be-leaf-su2-r1", "be-leaf-su10-r1", "be-spine2", "be-spine10"]
    leaf = cs.devices["be-leaf-su1-r1"].kinds["mtu"]
    assert leaf == {p.name for p in next(d for d in cluster.devices() if d.name == "be-leaf-su1-r1").ports}


def test_su_added_without_a_new_tier() -> None:
    """At 1:4 the 8 uplinks of a leaf need 4 spines (to drain one within upgrade.min_capacity_pct) from
    3 SUs to 4: the new SU's leaves are cabled to free spine ports, nothing moves."""
    old = edited(CLUSTER, backend__servers=96, backend__oversubscription="1:4", frontend__storage_nodes=0)
    new = edited(CLUSTER, backend__servers=128, backend__oversubscription="1:4", frontend__storage_nodes=0)
    assert [t.count for t in old.backend.tiers] == [24, 4] and [t.count for t in new.backend.tiers] == [32, 4]
    cs = change_set(old, new)
    assert not cs.recabling and cs.links == () and cs.sus_added == 1 and change_set(new, old).sus_added == 0
    assert cs.facts[0].text.startswith("+1 SU: 8 backend leaves, 2 frontend leaves, 32 servers")
    assert "+16 BGP sessions on each of 4 spines" in cs.lines()
    assert cs.added[:2] == ("be-leaf-su4-r1", "be-leaf-su4-r2")
    spine_kinds = {k for n, d in cs.devices.items() if n.startswith("be-spine") for k in d.kinds}
    assert spine_kinds <= {"neighbor-added", "port-added", "buffer-pools"}
    # the frontend's management addresses count down from the top of the pool: the backend's growth moves none
    assert not any("management" in d.kinds for d in cs.devices.values())


def test_a_pod_added_to_three_tiers_renumbers_no_switch() -> None:
    """12 -> 13 SuperPOD SUs (64-port switches, pods of 4 SUs): a fourth pod, its spines on free core
    ports. Every switch that stays keeps its ASN, router ID, management address and every link
    address (the spine-core /31s are laid out by spine and port from the top of the pool, the leaves'
    ASNs after one kept per core port, loopbacks and management addresses counted pod by pod)."""
    backend = {"gpus_per_server": 8, "servers_per_su": 32, "nic_speed": "400G",
               "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
               "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}}
    frontend = {"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}}
    old = build_design(make_intent(backend={**backend, "servers": 384}, frontend=frontend))
    new = build_design(make_intent(backend={**backend, "servers": 416}, frontend=frontend))
    assert [t.count for t in old.backend.tiers] == [96, 96, 64] and [t.count for t in new.backend.tiers] == [104, 104, 64]
    before = {d.name: d for d in old.backend.devices}
    for dev in new.backend.devices:
        was = before.get(dev.name)
        if was is None:
            continue
        assert (dev.asn, dev.loopback, dev.management) == (was.asn, was.loopback, was.management), dev.name
        ports = {(p.name, p.peer, p.peer_port): p.address for p in was.ports}
        assert all(ports.get((p.name, p.peer, p.peer_port), p.address) == p.address for p in dev.ports), dev.name
    kinds = {k for n, d in change_set(old, new).devices.items() if n in before for k in d.kinds}
    assert not kinds & {"asn", "router-id", "address", "peer-asn", "link-moved", "link-removed", "management"}, kinds
    added = [d for d in new.backend.devices if d.name not in before]
    assert {d.role for d in added} == {"spine", "leaf"} and len({d.asn for d in added if d.role == "spine"}) == 1


def test_tier_change_is_recabling_with_the_links(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, backend__servers=160))  # 5 SUs: 16 -> 20 spines
    assert cs.recabling
    fact = cs.facts[0]
    assert fact.text.startswith("backend leaves 32 -> 40, spines 16 -> 20: ") and fact.text.endswith(" links re-cabled")
    moved = int(fact.text.split(": ")[1].split(" ")[0].replace(",", ""))
    assert moved > 0 and cs.cables_moved >= moved
    assert all(" -> " in link for link in cs.links)
    assert cs.links == tuple(natural_sorted(cs.links))


def test_one_knob_on_32k_gpus_is_one_fact_over_every_backend_device() -> None:
    """Speed is measured by ``nox -s bench`` (the review row), not here."""
    intent = load_intent(ROOT / "bench" / "cluster-32k.yaml").intent
    old = build_design(intent)
    cs = change_set(old, edited(intent, backend__qos__ecn__max_kb=2000))
    assert len(cs.facts) == 1 and len(cs.devices) == len(old.backend.devices)


def test_a_value_per_device_is_one_line_and_removed_switches_are_named_by_role(cluster: Design) -> None:
    """A new ASN base renumbers every leaf (each its own ASN): one line with the count, not 33; an SU
    taken away says which switches go, per role."""
    lines = change_set(cluster, edited(CLUSTER, backend__asn__base=4250000000)).lines()
    asn = [ln for ln in lines if ln.startswith("ASN ")]
    assert asn == ["ASN changed on 32 leaves and 16 spines, 33 different values "
                   "(4200000000 -> 4250000000, 4200000001 -> 4250000001, ...)"]
    watchdog = change_set(cluster, edited(CLUSTER, backend__qos__watchdog__detection_ms=300)).lines()
    assert watchdog[0].startswith("PFC watchdog detection 200 -> 300 ms on "), "one value: said as before"
    removed = change_set(cluster, edited(CLUSTER, backend__servers=96)).lines()
    assert "backend switches removed: 8 leaves and 4 spines" in removed
    assert not any(" changed on " in ln and "removed" in ln for ln in removed)


def test_a_cable_length_states_headroom_on_lossless_ports_and_the_length_on_lossy_ones(cluster: Design) -> None:
    """The backend's ports are lossless: a longer cable is more PFC headroom. The frontend's are lossy:
    the same change has no headroom to state (it said "PFC headroom" there too), only the length."""
    cs = change_set(cluster, edited(CLUSTER, backend__cables__server_leaf=10, frontend__cables__leaf_spine=50))
    servers = sum(1 for d in cluster.backend.devices for p in d.ports if p.role == "server")
    fe_uplinks = sum(1 for d in cluster.frontend.devices for p in d.ports if p.peer.startswith("fe-"))
    assert [ln for ln in cs.lines() if "headroom" in ln] == [
        f"PFC headroom: {servers:,} ports of 32 leaves",
        f"cable length (lossy: no PFC headroom) 30 -> 50 m on {fe_uplinks:,} ports of 8 leaves and 4 spines"]
    assert {k for d in cs.devices.values() for k in d.kinds} == {"headroom", "buffer-pools"}


def test_the_way_in_and_telemetry_are_facts_on_every_switch(cluster: Design) -> None:
    cs = change_set(cluster, edited(CLUSTER, management__ntp=["10.250.0.1"], management__syslog=[],
                                    telemetry__sflow__collectors=["10.250.0.20"]))
    assert sorted(cs.lines()) == ["NTP servers 10.250.0.1, 10.250.0.2 -> 10.250.0.1 on 40 leaves and 20 spines",
                                  "sFlow collectors none -> 10.250.0.20 on 40 leaves and 20 spines",
                                  "syslog servers 10.250.0.5 -> none on 40 leaves and 20 spines"]
    assert {k for d in cs.devices.values() for k in d.kinds} == {"access", "telemetry"}
    assert len(cs.devices) == len(cluster.devices())


def test_a_new_management_gateway_is_a_fact(cluster: Design) -> None:
    """Before, no fact said it: only the backend's management addresses, which move with it (the
    first host that is not the gateway is the first backend switch's), said something changed."""
    cs = change_set(cluster, edited(CLUSTER, management__gateway="192.168.2.1"))
    assert cs.lines() == ["management address changed on 32 leaves and 16 spines",
                          "management gateway 192.168.0.1 -> 192.168.2.1 on 40 leaves and 20 spines"]
    assert {k for d in cs.devices.values() for k in d.kinds} == {"management"} and len(cs.devices) == 60
