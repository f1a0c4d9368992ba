"""An SU added to a running fabric laid out for it (``backend.growth``), as a user runs it: ``aifab
lab up`` grows the lab in place, ``aifab deploy --commit`` configures the new leaf first and the
spines that gain it as a neighbour after, nothing drained or cordoned, and the routers say so.

The lab (cluster ``labgrow``): one rail, 2 servers per SU, 2 SUs laid out for 4: 2 leaves and the
layout's 2 spines, each with ports free for the leaves of SUs 3 and 4. Before, the deploy waited in
the new leaf's wave for its sessions to the spines, whose config for them comes in the next wave (or
with a later deploy, when the new SU is deployed alone first), and the spines deployed first waited
for theirs to the new leaf: the wave failed its verify and was rolled back (both seen in the lab).
Always torn down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netaddr import IPNetwork

from aifab.lab import Lab, up
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labgrow"


def aifab(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def intent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lab of 2 SUs laid out for 4, up and deployed; torn down at the end."""
    require_lab()
    path = tmp_path_factory.mktemp("growth") / "lab.yaml"
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {CLUSTER}")
    for old, new in (("  gpus_per_server: 2\n", "  gpus_per_server: 1\n  growth: {servers: 8}\n"),):
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    _, design = design_for(path)
    with lab_torn_down(design, path):
        for args in (("lab", "up", str(path)), ("deploy", str(path), "--lab", "-o", str(path.parent / "build"), "--commit")):
            res = aifab(*args)
            assert res.returncode == 0, res.stdout + res.stderr
        yield path


def test_an_su_added_within_the_layout_is_grown_and_deployed_without_a_drain(intent: Path) -> None:
    intent.write_text(intent.read_text().replace("  servers: 4\n", "  servers: 6\n", 1))
    _, design = design_for(intent)
    grown = aifab("lab", "up", str(intent))
    assert grown.returncode == 0 and "grown in place" in grown.stdout, grown.stdout + grown.stderr
    build = intent.parent / "build"
    lab: Lab = up(design)  # the running lab, as it is (healthy: up() changes nothing)
    leaf = next(d for d in design.devices() if d.name == "be-leaf-su3-r1")
    # a route left on an old leaf (a workaround by hand) takes the new SU's block: that leaf does not reach it
    hijack = ["ip", "netns", "exec", lab.netns("be-leaf-su1-r1"), "ip", "route", "add", "blackhole", leaf.server_subnets[0]]
    subprocess.run(hijack, check=True, capture_output=True, timeout=30)
    try:
        res = aifab("deploy", str(intent), "--lab", "-o", str(build), "--commit", "--verify-timeout", "10")
    finally:
        subprocess.run(["ip", "netns", "exec", lab.netns("be-leaf-su1-r1"), "ip", "route", "del", "blackhole",
                        leaf.server_subnets[0]], check=True, capture_output=True, timeout=30)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "be-leaf-su3-r1: BGP sessions to be-spine1, be-spine2 required once those switches are committed" in res.stdout, res.stdout
    records = [json.loads(line) for line in (build / "audit.jsonl").read_text().splitlines()]
    run = [r for r in records if r["run"] == records[-1]["run"]]
    waves = {r["device"]: r["wave"] for r in run if r["event"] == "commit"}
    assert waves["be-leaf-su3-r1"] == 1 and waves["be-spine1"] == waves["be-spine2"] == 2, waves
    assert {r["device"] for r in run if r["event"] == "rolled-back"} == {n for n, w in waves.items() if w == 2}
    assert (f"be-leaf-su3-r1: not reached from be-leaf-su1-r1 (read on them), be-leaf-su1-r1: {leaf.server_subnets[0]}: "
            "0 BGP paths, expected at least 1") in res.stdout, res.stdout
    assert "stopped: wave 2: failed on be-leaf-su3-r1" in res.stdout, res.stdout  # the spines' wave rolled back
    res = aifab("deploy", str(intent), "--lab", "-o", str(build), "--commit", "--verify-timeout", "20")
    assert res.returncode == 0, res.stdout + res.stderr
    records = [json.loads(line) for line in (build / "audit.jsonl").read_text().splitlines()]
    run = [r for r in records if r["run"] == records[-1]["run"]]
    assert {r["device"]: r["from_leaves"] for r in run if r["event"] == "reached"} == {"be-leaf-su3-r1": 2}
    assert {r["device"] for r in run if r["event"] == "commit"} == {n for n, w in waves.items() if w == 2}, "the leaf kept its config"
    assert not [r for r in run if r["event"] in ("drained", "cordon", "rolled-back")]

    for dev in [leaf, *(d for d in design.devices() if d.role == "spine" and d.fabric == "backend")]:
        peers = json.loads(lab.vtysh(dev.name, "show bgp ipv4 unicast summary json"))["peers"]
        for n in dev.neighbors:
            assert peers[n.peer_address]["state"] == "Established", f"{dev.name} -> {n.peer}"
    hosts = {h.name: h for h in design.hosts}
    new, old = (next(n for n in hosts[h].nics if n.fabric == "backend") for h in ("srv-su3-01", "srv-su1-01"))
    ping = subprocess.run(["ip", "netns", "exec", lab.netns("srv-su3-01"), "ping", "-c", "3", "-i", "0.2", "-W", "2",
                           "-I", str(IPNetwork(new.address).ip), str(IPNetwork(old.address).ip)],
                          capture_output=True, text=True, timeout=30)
    assert ping.returncode == 0, ping.stdout + ping.stderr


def test_the_spines_deployed_first_say_the_new_sus_sessions_pending_and_its_leaf_after_verifies_them(intent: Path) -> None:
    """SU 4 in two steps, the spines first (``--limit 'be-spine*'``), then its leaf (``--limit
    'be-leaf-su4-*'``). The spines' sessions to the new leaf, left out and without config for them
    (read from it), are said pending and not verified (before: required, the wave failed and was
    rolled back); the leaf untouched. Its own deploy reads that the spines have its sessions
    configured already and requires them: verified, Established (before: said pending)."""
    text = intent.read_text()
    assert "  servers: 6\n" in text, "runs after the SU 3 test"
    intent.write_text(text.replace("  servers: 6\n", "  servers: 8\n", 1))
    _, design = design_for(intent)
    assert aifab("lab", "up", str(intent)).returncode == 0
    lab: Lab = up(design)
    leaf = next(d for d in design.devices() if d.name == "be-leaf-su4-r1")
    before = lab.vtysh(leaf.name, "show running-config")
    build = intent.parent / "build"
    res = aifab("deploy", str(intent), "--lab", "-o", str(build), "--commit", "--limit", "be-spine*", "--verify-timeout", "20")
    assert res.returncode == 0, res.stdout + res.stderr
    for spine in ("be-spine1", "be-spine2"):
        assert (f"{spine}: pending: BGP sessions to be-leaf-su4-r1 not verified: those switches are left out of this deploy "
                "and have no config for them") in res.stdout, res.stdout
        assert f"neighbor {next(n.local_address for n in leaf.neighbors if n.peer == spine)} " in lab.vtysh(spine, "show running-config")
    assert lab.vtysh(leaf.name, "show running-config") == before, "left out: untouched"

    res = aifab("deploy", str(intent), "--lab", "-o", str(build), "--commit", "--limit", "be-leaf-su4-*", "--verify-timeout", "30")
    assert res.returncode == 0 and "pending" not in res.stdout + res.stderr, res.stdout + res.stderr
    assert ("be-leaf-su4-r1: BGP sessions to be-spine1, be-spine2 required: those switches, left out of this deploy, "
            "have them configured already (read)") in res.stdout, res.stdout
    # its uplinks' speed (400G in its build, which a veth cannot take: not applied) was said one-sided before
    # the commit and read at both ends after it: they run the same, as the kernels say
    assert "be-leaf-su4-r1: speed of its links to switches left out: both ends run the same, read after the commit" in res.stdout
    for port in leaf.ports:
        if port.peer.startswith("be-spine"):
            ends = [lab.run(node, ["ethtool", name]).stdout for node, name in ((leaf.name, port.name), (port.peer, port.peer_port))]
            speeds = [next(line.split()[1] for line in text.splitlines() if "Speed:" in line) for text in ends]
            assert speeds[0] == speeds[1] != "Unknown!", (port.name, speeds)
    peers = json.loads(lab.vtysh(leaf.name, "show bgp ipv4 unicast summary json"))["peers"]
    assert all(peers[n.peer_address]["state"] == "Established" for n in leaf.neighbors), peers
