"""The lab as built: namespaces, cables, management network, FRR and sshd per switch."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from nornir import InitNornir

from aifab.design.model import Design
from aifab.lab import Lab, problems, status, up
from aifab.lab.switch import PROCESSES, running
from aifab.lab.system import namespaces

pytestmark = pytest.mark.lab


def _ip_json(netns: str | None, *args: str) -> list[dict]:
    cmd = ["ip", *(["-n", netns] if netns else []), "-j", *args]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout or "[]")


def test_namespaces_processes_and_hostnames(lab: Lab, lab_design: Design) -> None:
    assert set(lab.topology.namespaces) <= namespaces()
    assert problems(lab) == []
    for sw in lab.topology.switches:
        assert set(running(sw)) == set(PROCESSES), sw.name
        uts = subprocess.run(["nsenter", "-t", str(running(sw)["zebra"]), "-u", "hostname"],
                             capture_output=True, text=True, check=True).stdout.strip()
        assert uts == sw.name
        assert f"hostname {sw.name}" in lab.vtysh(sw.name, "show running-config")


def test_cables_carry_designed_names_mtu_and_peers(lab: Lab, lab_design: Design) -> None:
    links = {ns: {i["ifname"]: i for i in _ip_json(ns, "link", "show")} for ns in lab.topology.namespaces}
    for dev in lab_design.devices():
        ns = lab.netns(dev.name)
        for port in dev.ports:
            link = links[ns][port.name]
            assert link["mtu"] == port.mtu, f"{dev.name} {port.name}"
            assert "UP" in link["flags"]
            peer = links[lab.netns(port.peer)][port.peer_port]
            assert peer["ifindex"] == link["link_index"], f"{dev.name} {port.name} is not cabled to {port.peer} {port.peer_port}"


def test_hosts_have_design_addresses_and_ecmp_frontend_route(lab: Lab, lab_design: Design) -> None:
    for host in lab_design.hosts:
        ns = lab.netns(host.name)
        addrs = {(i["ifname"], f"{a['local']}/{a['prefixlen']}") for i in _ip_json(ns, "addr", "show")
                 for a in i.get("addr_info", []) if a["family"] == "inet"}
        assert {(n.name, n.address) for n in host.nics} <= addrs
        routes = {r["dst"]: r for r in _ip_json(ns, "route", "show")}
        front = [n for n in host.nics if n.fabric == "frontend"]
        hops = {(h["gateway"], h["dev"]) for h in routes[front[0].reach]["nexthops"]}
        assert hops == {(n.gateway, n.name) for n in front}


def test_management_only_inside_the_lab(lab: Lab, lab_design: Design) -> None:
    bridge = {f"{a['local']}/{a['prefixlen']}" for i in _ip_json(lab.topology.mgmt_ns, "addr", "show", "dev", "br0")
              for a in i["addr_info"] if a["family"] == "inet"}
    assert bridge == {lab.topology.gateway}
    root = {a["local"] for i in _ip_json(None, "addr", "show") for a in i.get("addr_info", [])}
    lab_addrs = {d.management.split("/")[0] for d in lab_design.devices()} | {lab_design.management_gateway}
    assert not root & lab_addrs, "a lab management address in the root namespace"
    for dev in lab_design.devices():
        eth0 = _ip_json(lab.netns(dev.name), "addr", "show", "dev", "eth0")[0]
        assert dev.management in {f"{a['local']}/{a['prefixlen']}" for a in eth0["addr_info"]}


def test_ping_switch_management_from_management_namespace(lab: Lab, lab_design: Design) -> None:
    dev = lab_design.devices()[-1]
    res = subprocess.run(["ip", "netns", "exec", lab.topology.mgmt_ns, "ping", "-c", "3", "-W", "1", "-i", "0.2",
                          dev.management.split("/")[0]], capture_output=True, text=True, timeout=10)
    assert res.returncode == 0, res.stdout


def test_known_hosts_key_file_and_inventory(lab: Lab, lab_design: Design) -> None:
    entries = dict(line.split(" ", 1) for line in lab.known_hosts.read_text().splitlines())
    assert set(entries) == {d.management.split("/")[0] for d in lab_design.devices()}
    assert len(set(entries.values())) == len(entries), "host keys must differ per switch"
    assert lab.key_file.stat().st_mode & 0o077 == 0
    nr = InitNornir(inventory=lab.nornir_inventory(), logging={"enabled": False})
    assert set(nr.inventory.hosts) == {d.name for d in lab_design.devices()}
    host = nr.inventory.hosts["be-spine1"]
    assert host.hostname == lab.topology.switch("be-spine1").address
    assert host.platform == "frr"
    opts = host.get_connection_parameters("napalm").extras["optional_args"]
    assert opts["netns"] == lab.topology.mgmt_ns


def test_up_again_is_a_quick_no_op(lab: Lab, lab_design: Design) -> None:
    before = {sw.name: running(sw)["zebra"] for sw in lab.topology.switches}
    t0 = time.monotonic()
    again = up(lab_design)
    assert time.monotonic() - t0 < 5
    assert again.topology == lab.topology
    assert {sw.name: running(sw)["zebra"] for sw in lab.topology.switches} == before  # nothing restarted


def test_status_reports_every_switch_running(lab: Lab, lab_design: Design) -> None:
    st = status(lab_design)
    assert st.up
    assert [s.name for s in st.switches] == [d.name for d in lab_design.devices()]
    assert all(s.processes == PROCESSES for s in st.switches)
    assert all(h.present for h in st.hosts)
