"""Rendered configs pushed with Nornir + the frr NAPALM driver: BGP converges, traffic crosses the fabric."""

from __future__ import annotations

import subprocess
import time

import pytest
from napalm import get_network_driver
from netaddr import IPNetwork
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.task import AggregatedResult
from nornir_napalm.plugins.tasks import napalm_configure, napalm_get

from aifab.design.model import Design
from aifab.lab import Lab, status

pytestmark = pytest.mark.lab


def _nornir(lab: Lab) -> Nornir:
    return InitNornir(inventory=lab.nornir_inventory(), runner={"plugin": "threaded", "options": {"num_workers": 10}},
                      logging={"enabled": False})


def test_push_changed_every_switch_and_saved_it(deployed: AggregatedResult, lab: Lab, lab_design: Design, rendered: dict[str, str]) -> None:
    for dev in lab_design.devices():
        assert deployed[dev.name][1].changed, dev.name
        assert "router bgp" in deployed[dev.name][1].diff
        running = lab.vtysh(dev.name, "show running-config")
        assert f"router bgp {dev.asn}" in running
    # frr-reload.py saved frr.conf: the startup config is the rendered one
    with (lab.state_dir / "nodes" / "be-spine1" / "frr" / "frr.conf").open() as fh:
        assert f"router bgp {lab_design.devices()[0].asn}" in fh.read()


def _bgp_and_facts(lab: Lab) -> AggregatedResult:
    nr = _nornir(lab)
    try:
        return nr.run(task=napalm_get, getters=["bgp_neighbors", "facts"])
    finally:
        nr.close_connections()


def _without_prefixes(result: AggregatedResult, design: Design) -> list[str]:
    return [f"{dev.name} <- {n.peer}" for dev in design.devices() for n in dev.neighbors
            if result[dev.name][0].result["bgp_neighbors"]["global"]["peers"][n.peer_address]
            ["address_family"]["ipv4"]["received_prefixes"] <= 0]


def test_every_designed_session_established_as_napalm_sees_it(deployed: AggregatedResult, lab: Lab, lab_design: Design) -> None:
    # A session is Established (what the fixture waits for) a moment before its first UPDATE
    # arrives: ask again, at most 20 times over ~10 s, until every session has received prefixes.
    for _ in range(20):
        result = _bgp_and_facts(lab)
        assert not result.failed
        if not _without_prefixes(result, lab_design):
            break
        time.sleep(0.5)
    for dev in lab_design.devices():
        got = result[dev.name][0].result
        assert got["facts"]["hostname"] == dev.name
        peers = got["bgp_neighbors"]["global"]["peers"]
        assert got["bgp_neighbors"]["global"]["router_id"] == dev.loopback
        for n in dev.neighbors:
            assert peers[n.peer_address]["is_up"], f"{dev.name} -> {n.peer}"
            assert peers[n.peer_address]["remote_as"] == n.peer_asn
    assert _without_prefixes(result, lab_design) == []


def test_leaves_reach_other_leaves_server_blocks_over_every_uplink(deployed: AggregatedResult, lab: Lab, lab_design: Design) -> None:
    leaf = next(d for d in lab_design.backend.devices if d.name == "be-leaf-su1-r1")
    other = next(d for d in lab_design.backend.devices if d.name == "be-leaf-su2-r1")
    uplinks = {p.name for p in leaf.ports if p.role == "uplink"}
    probe = str(IPNetwork(other.server_subnets[0]).network + 1)
    with get_network_driver("frr")(**lab.napalm_args(leaf.name)) as dev:
        routes = dev.get_route_to(destination=probe, protocol="bgp")
    paths = [r for entries in routes.values() for r in entries if r["current_active"]]
    assert {r["outgoing_interface"] for r in paths} == uplinks  # ECMP over both spines


@pytest.mark.parametrize(("src", "dst_host", "nic"), [
    ("srv-su1-01", "srv-su2-01", "rail1"),  # rail 1 across SUs: leaf -> spine -> leaf
    ("srv-su1-02", "srv-su2-02", "rail2"),
    ("srv-su1-01", "stor01", "fe1"),  # frontend to storage
])
def test_ping_between_hosts_across_the_fabric(deployed: AggregatedResult, lab: Lab, lab_design: Design, src: str, dst_host: str, nic: str) -> None:
    host = next(h for h in lab_design.hosts if h.name == dst_host)
    target = next(n.address for n in host.nics if n.name == nic).split("/")[0]
    res = subprocess.run(["ip", "netns", "exec", lab.netns(src), "ping", "-c", "3", "-W", "1", "-i", "0.2", target],
                         capture_output=True, text=True, timeout=15)
    assert res.returncode == 0, res.stdout + res.stderr


def test_status_counts_established_sessions(deployed: AggregatedResult, lab_design: Design) -> None:
    st = status(lab_design)
    for s, dev in zip(st.switches, lab_design.devices(), strict=True):
        assert s.established == len(dev.neighbors) == len(s.sessions), s.name
        assert s.routes > len(dev.ports)


def test_second_push_has_nothing_to_change(deployed: AggregatedResult, lab: Lab, rendered: dict[str, str]) -> None:
    nr = _nornir(lab).filter(filter_func=lambda h: h.data["role"] == "spine")
    try:
        result = nr.run(task=lambda task: task.run(task=napalm_configure, configuration=rendered[task.host.name],
                                                   replace=True, dry_run=True))
    finally:
        nr.close_connections()
    assert not result.failed
    assert {h: r[1].diff for h, r in result.items()} == {h: "" for h in result}
