"""The lab's topology derived from the Design (pure: runs without root)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import LabError, topology
from aifab.lab.topology import IFNAMSIZ


def test_one_namespace_per_switch_and_host_plus_management(lab_design: Design) -> None:
    topo = topology(lab_design)
    names = {d.name for d in lab_design.devices()} | {h.name for h in lab_design.hosts}
    assert set(topo.namespaces) == {topo.prefix + n for n in names} | {topo.mgmt_ns}
    assert len(topo.namespaces) == len(set(topo.namespaces)) == len(names) + 1
    assert topo.prefix == "aifab-labtest."


def test_every_cable_once_with_designed_names_and_mtu(lab_design: Design) -> None:
    topo = topology(lab_design)
    ends = [(ln.a_ns, ln.a_if) for ln in topo.links] + [(ln.b_ns, ln.b_if) for ln in topo.links]
    assert len(ends) == len(set(ends)), "an interface used by two cables"
    designed = {(topo.prefix + d.name, p.name): p for d in lab_design.devices() for p in d.ports}
    nics = {(topo.prefix + h.name, n.name) for h in lab_design.hosts for n in h.nics}
    assert set(ends) == set(designed) | nics  # every port and NIC cabled, nothing more
    for ln in topo.links:
        port = designed[(ln.a_ns, ln.a_if)]
        assert (ln.b_ns, ln.b_if) == (topo.prefix + port.peer, port.peer_port)
        assert ln.mtu == port.mtu
    assert all(len(name) <= IFNAMSIZ for _, name in ends)


def test_management_addresses_and_gateway_from_design(lab_design: Design) -> None:
    topo = topology(lab_design)
    assert {s.name: s.management for s in topo.switches} == {d.name: d.management for d in lab_design.devices()}
    assert topo.gateway == f"{lab_design.management_gateway}/24"
    assert len({s.mgmt_port for s in topo.switches}) == len(topo.switches)


def test_hosts_route_rails_singly_and_frontend_over_both_nics(lab_design: Design) -> None:
    topo = topology(lab_design)
    srv = next(h for h in topo.hosts if h.name == "srv-su1-01")
    routes = {r.prefix: r.nexthops for r in srv.routes}
    design_host = next(h for h in lab_design.hosts if h.name == "srv-su1-01")
    rails = [n for n in design_host.nics if n.fabric == "backend"]
    for nic in rails:
        assert routes[nic.reach] == ((nic.gateway, nic.name),)
    front = [n for n in design_host.nics if n.fabric == "frontend"]
    assert len(front) == 2
    assert set(routes[front[0].reach]) == {(n.gateway, n.name) for n in front}  # one ECMP route
    assert dict(srv.addresses) == {n.name: n.address for n in design_host.nics}


def test_reserved_and_overlong_names_are_refused(lab_design: Design) -> None:
    host = dataclasses.replace(lab_design.hosts[0], name="mgmt")
    with pytest.raises(LabError, match="mgmt"):
        topology(dataclasses.replace(lab_design, hosts=(host, *lab_design.hosts[1:])))
    nic = dataclasses.replace(lab_design.hosts[0].nics[0], name="a-very-long-nic-name")
    host = dataclasses.replace(lab_design.hosts[0], nics=(nic, *lab_design.hosts[0].nics[1:]))
    with pytest.raises(LabError, match="srv-su1-01: NIC name 'a-very-long-nic-name'"):
        topology(dataclasses.replace(lab_design, hosts=(host, *lab_design.hosts[1:])))


def test_the_state_record_gives_back_the_topology_and_growth_is_told_from_change(lab_design: Design) -> None:
    """``lab up`` keeps the topology in its state record and grows a running lab only by additions:
    a storage node within ``frontend.growth`` adds a host and its cables; new addresses change hosts."""
    import json

    from aifab.intent import load_intent
    from aifab.lab.topology import changed_nodes, from_record, mgmt_port
    from tests.test_plan_changes import edited

    topo = topology(lab_design)
    assert from_record(json.loads(json.dumps(dataclasses.asdict(topo)))) == topo
    assert all(s.mgmt_port == mgmt_port(s.management) and len(s.mgmt_port) <= IFNAMSIZ for s in topo.switches)
    lab = load_intent(Path(__file__).parents[2] / "intent" / "lab.yaml").intent
    room = {"storage_nodes": 2}
    before = topology(edited(lab, frontend__growth=room))
    after = topology(edited(lab, frontend__storage_nodes=2, frontend__growth=room))
    assert changed_nodes(before, after) == []
    assert [h.name for h in after.hosts if h not in before.hosts] == ["stor02"] and len(set(after.links) - set(before.links)) == 2
    assert changed_nodes(before, topology(edited(lab, frontend__pools__servers="10.1.9.0/24", frontend__growth=room))) == \
        ["srv-su1-01", "srv-su1-02", "srv-su2-01", "srv-su2-02", "stor01"]


def test_an_su_added_within_backend_growth_grows_the_lab_in_place() -> None:
    """intent/lab.yaml laid out for 3 SUs (three tiers: its 4-port spines hold 2 SUs): the third SU
    adds its pod's spines, its leaves and servers and their cables, and changes nothing that runs,
    so ``lab up`` grows the lab in place; laid out for today, every server's rail route changes."""
    from aifab.intent import load_intent
    from aifab.lab.topology import changed_nodes
    from tests.test_plan_changes import edited

    lab = load_intent(Path(__file__).parents[2] / "intent" / "lab.yaml").intent
    room = {"servers": 6}
    before, after = topology(edited(lab, backend__growth=room)), topology(edited(lab, backend__servers=6, backend__growth=room))
    assert changed_nodes(before, after) == []
    assert [s.name for s in after.switches if s not in before.switches] == \
        ["be-spine-p3-1", "be-spine-p3-2", "be-leaf-su3-r1", "be-leaf-su3-r2"]
    assert [h.name for h in after.hosts if h not in before.hosts] == ["srv-su3-01", "srv-su3-02"]
    assert "srv-su1-01" in changed_nodes(topology(edited(lab)), topology(edited(lab, backend__servers=6)))
