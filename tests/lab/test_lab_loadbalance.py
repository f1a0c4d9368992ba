"""RoCE load balancing in the FRR lab: the ECMP hash aifab renders decides how UDP flows between two
GPUs spread over the spines.

The lab of intent/lab.yaml runs as cluster ``lablb``, deployed with ``aifab deploy --lab --commit``
(the hash is links.sh's ``sysctl -w net.ipv4.fib_multipath_hash_policy=1``, applied by napalm_frr).
N UDP flows to port 4791 with N source ports go from srv-su1-01 to srv-su2-01 on rail 1 (different
SUs: they cross the spines). What each spine carried is read from the spines' own interface
counters (``ip -s link`` in their namespaces): with the L4 hash every spine carries some; with the
L3-only hash of an intent that leaves the UDP source port out (its rendered sysctl line set on the
switches by hand: the checks refuse to ship it) one spine carries them all; a new deploy puts the
L4 hash back. The lab is always torn down; each step prints its counts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import Lab, flowgen, missing_requirements, up, wait_established
from aifab.lab.system import alive, namespaces, netns_pids
from aifab.pipeline import build, design_for
from tests.lab.helpers import lab_intent

pytestmark = pytest.mark.lab
CLUSTER = "lablb"
SRC, DST, RAIL = "srv-su1-01", "srv-su2-01", 1
FLOWS = 16  # source ports; all on one of 2 spines by chance under an L4 hash: 2 * 2**-16
RATE = 200.0  # packets per second per flow
SECONDS = 1.0  # each flow sends at most RATE * SECONDS packets (fewer when the machine is slow)
FIRST_SPORT = 50000


@dataclass
class Fabric:
    intent: Path
    work: Path
    design: Design
    lab: Lab

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=300)

    def deploy(self) -> subprocess.CompletedProcess[str]:
        return self.cli("deploy", str(self.intent), "-o", str(self.work / "build"), "--lab", "--verify-timeout", "45",
                        "--commit")

    @property
    def switches(self) -> list[str]:
        return [d.name for d in self.design.backend.devices]

    @property
    def spines(self) -> list[str]:
        return [d.name for d in self.design.backend.devices if d.role == "spine"]

    def policy(self, device: str) -> str:
        res = self.lab.run(device, ["sysctl", "-n", "net.ipv4.fib_multipath_hash_policy"])
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()


@pytest.fixture(scope="module")
def fabric(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fabric]:
    missing = missing_requirements()
    if missing:
        pytest.skip("lab needs: " + "; ".join(missing))
    work = tmp_path_factory.mktemp("lb")
    intent = lab_intent(work / "lab.yaml", CLUSTER)
    _, design = design_for(intent)
    prefix = f"aifab-{CLUSTER}."
    assert not [ns for ns in namespaces() if ns.startswith(prefix)], f"a lab of {CLUSTER} is already up"
    fab = None
    try:
        res = subprocess.run([sys.executable, "-m", "aifab", "lab", "up", str(intent)], capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stdout + res.stderr
        fab = Fabric(intent, work, design, up(design))
        res = fab.deploy()
        assert res.returncode == 0, res.stdout + res.stderr
        wait_established(fab.lab, design, timeout=60)
        yield fab
    finally:
        pids = [p for ns in namespaces() if ns.startswith(prefix) for p in netns_pids(ns)]
        subprocess.run([sys.executable, "-m", "aifab", "lab", "down", str(intent)], capture_output=True, timeout=120)
        assert not [ns for ns in namespaces() if ns.startswith(prefix)], "lab namespaces left after down"
        assert not [p for p in pids if alive(p)], "lab processes left after down"


def _rail_nic(design: Design, host: str) -> tuple[str, str]:
    """(address, leaf) of the host's rail NIC."""
    nic = next(n for h in design.hosts if h.name == host for n in h.nics if n.fabric == "backend" and n.rail == RAIL)
    return nic.address.split("/")[0], nic.leaf


def _spawn(fab: Fabric, host: str, mode: str, spec: dict) -> subprocess.Popen[str]:
    return subprocess.Popen(["ip", "netns", "exec", fab.lab.netns(host), sys.executable, "-I", flowgen.__file__, mode,
                             json.dumps(spec)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _counters(fab: Fabric, leaf: str) -> dict[str, int]:
    """Packets each spine has received from ``leaf``: rx_packets of its ports cabled to the leaf, read
    with ``ip -s link`` in the spine's own network namespace."""
    out = {}
    for spine in fab.spines:
        ports = {p.name for d in fab.design.backend.devices if d.name == spine for p in d.ports if p.peer == leaf}
        res = subprocess.run(["ip", "-n", fab.lab.netns(spine), "-s", "-j", "link", "show"], capture_output=True,
                             text=True, timeout=10, check=True)
        out[spine] = sum(link["stats64"]["rx"]["packets"] for link in json.loads(res.stdout) if link["ifname"] in ports)
    return out


def _send_flows(fab: Fabric) -> tuple[dict[str, int], int]:
    """N UDP flows SRC -> DST on the rail, each its own source port: the packets each spine carried,
    and how many each flow sent (all flows send in one loop, so the same number)."""
    src, leaf = _rail_nic(fab.design, SRC)
    dst, _ = _rail_nic(fab.design, DST)
    receiver = _spawn(fab, DST, "recv", {"bind": [dst], "seconds": 60})
    try:
        assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
        before = _counters(fab, leaf)
        sender = _spawn(fab, SRC, "send", {"flows": [[i, src, FIRST_SPORT + i, dst] for i in range(FLOWS)],
                                           "rate": RATE, "seconds": SECONDS})
        out, err = sender.communicate(timeout=60)
        assert sender.returncode == 0, err
        per_flow = json.loads(out.splitlines()[-1])
        sent = sum(per_flow.values())
        after = _counters(fab, leaf)
    finally:
        receiver.terminate()
        got, _ = receiver.communicate(timeout=20)
    received = sum(v[0] for v in json.loads(got.splitlines()[-1]).values())
    carried = {s: after[s] - before[s] for s in fab.spines}
    print(f"\n{FLOWS} flows {SRC} -> {DST} (rail {RAIL}), {sent} packets sent, {received} received; per spine: {carried}")
    assert len(per_flow) == FLOWS and received == sent, "no packet lost"
    packets = min(per_flow.values())
    assert packets >= 50 and max(per_flow.values()) == packets
    return carried, packets


def test_l4_hash_is_deployed_and_spreads_the_flows_over_every_spine(fabric: Fabric) -> None:
    assert {d: fabric.policy(d) for d in fabric.switches} == dict.fromkeys(fabric.switches, "1")
    carried, packets = _send_flows(fabric)
    # every spine carried at least one whole flow (control traffic adds a few packets at most)
    assert all(n >= packets for n in carried.values()), carried
    assert sum(carried.values()) >= FLOWS * packets


def test_l3_only_hash_puts_every_flow_on_one_spine_until_a_deploy_restores_l4(fabric: Fabric, tmp_path: Path) -> None:
    l3 = lab_intent(tmp_path / "l3.yaml", CLUSTER, (("backend:\n", "backend:\n  load_balancing: {fields: [src_ip, dst_ip]}\n"),))
    build(l3, tmp_path / "build", check=False)  # the checks refuse it (LB001); only its lines are used
    for device in fabric.switches:
        links = (tmp_path / "build" / "configs" / f"{device}.links.sh").read_text()
        line = re.search(r"^sysctl -w net\.ipv4\.fib_multipath_hash_policy=\d$", links, re.M)
        assert line is not None and line.group().endswith("=0")
        res = fabric.lab.run(device, line.group().split())
        assert res.returncode == 0, res.stderr
    assert {d: fabric.policy(d) for d in fabric.switches} == dict.fromkeys(fabric.switches, "0")
    carried, packets = _send_flows(fabric)
    busy = [s for s, n in carried.items() if n >= packets]
    assert len(busy) == 1 and carried[busy[0]] >= FLOWS * packets, carried
    assert all(n < packets for s, n in carried.items() if s not in busy), carried

    res = fabric.deploy()  # the kernel setting differs from the candidate's: the deploy applies it again
    assert res.returncode == 0, res.stdout + res.stderr
    assert "fib_multipath_hash_policy=1" in res.stdout
    assert {d: fabric.policy(d) for d in fabric.switches} == dict.fromkeys(fabric.switches, "1")
    carried, packets = _send_flows(fabric)
    assert all(n >= packets for n in carried.values()), carried
