"""``aifab lab up`` + ``aifab deploy --commit`` through the real CLI, on a lab of its own.

Covers issue 5's lab list: every designed session Established, ECMP over every spine, rail pings,
a second deploy that changes nothing, one knob that changes only its fabric's devices (BGP timers:
with ``upgrade.bgp_timers: reset-now`` rolled out in drained waves with the sessions reset; by
default in one hitless wave that resets nothing and reports the timers pending), and a device whose bgpd is down: the health gate stops the rollout before
anything is touched and every other device keeps its config (tests/lab/test_lab_faults.py has the
faults during a wave). The lab runs as cluster ``labroll`` and is always torn down.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netaddr import IPNetwork

from aifab.design.model import Design
from aifab.lab import Lab, up
from aifab.lab.system import netns_pids
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labroll"


@dataclass
class Rollout:
    intent: Path
    build: Path
    design: Design
    lab: Lab

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "200"}  # the summary table on one line per device
        return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=timeout, env=env)

    def deploy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.cli("deploy", str(self.intent), "-o", str(self.build), "--lab", "--verify-timeout", "45", *extra)

    def audit(self) -> list[dict]:
        return [json.loads(line) for line in (self.build / "audit.jsonl").read_text().splitlines()]

    def last_run(self) -> list[dict]:
        records = self.audit()
        return [r for r in records if r["run"] == records[-1]["run"]]

    def running(self, skip: str = "") -> dict[str, str]:
        return {d.name: self.lab.vtysh(d.name, "show running-config") for d in self.design.devices() if d.name != skip}

    def set_knob(self, old: str, new: str) -> None:
        text = self.intent.read_text()
        assert old in text
        self.intent.write_text(text.replace(old, new))

    def refused_with(self, old: str, new: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """``deploy --commit`` (or ``deploy EXTRA``) of the intent with ``old`` replaced by ``new`` (put
        back after), asserting that nothing was snapshotted, drained or committed and every router
        kept its config."""
        before = self.running()
        self.set_knob(old, new)
        try:
            res = self.deploy(*(extra or ("--commit",)))
        finally:
            self.set_knob(new, old)
        assert not [r for r in self.last_run() if r["event"] in ("drained", "commit", "snapshot")], "nothing touched"
        assert self.running() == before
        return res


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rollout]:
    require_lab()
    work = tmp_path_factory.mktemp("rollout")
    intent = work / "lab.yaml"
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {CLUSTER}")
    intent.write_text(re.sub(r"drain_wait_s: \d+", "drain_wait_s: 15", text))  # the deadline of the drain's evidence wait
    _, design = design_for(intent)
    with lab_torn_down(design, intent):
        res = subprocess.run([sys.executable, "-m", "aifab", "lab", "up", str(intent)], capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stdout + res.stderr
        yield Rollout(intent, work / "build", design, up(design))  # up() on a healthy lab only returns it


@pytest.fixture(scope="module")
def first(rollout: Rollout) -> subprocess.CompletedProcess[str]:
    res = rollout.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_first_deploy_commits_every_switch_in_one_initial_wave(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    assert "10 of 10 devices differ from their build; committed" in first.stdout
    commits = {r["device"] for r in rollout.last_run() if r["event"] == "commit"}
    assert commits == {d.name for d in rollout.design.devices()}
    assert {r["wave"] for r in rollout.last_run() if r["event"] == "commit"} == {1}


def test_every_designed_session_is_established(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    for dev in rollout.design.devices():
        peers = json.loads(rollout.lab.vtysh(dev.name, "show bgp ipv4 unicast summary json"))["peers"]
        for n in dev.neighbors:
            assert peers[n.peer_address]["state"] == "Established", f"{dev.name} -> {n.peer}"


def test_each_leaf_has_ecmp_over_every_spine_to_every_other_leafs_servers(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    for fabric in rollout.design.fabrics:
        leaves = [d for d in fabric.devices if d.role == "leaf"]
        spines = {d.name for d in fabric.devices if d.role == "spine"}
        for leaf in leaves:
            via = {p.peer_address: p.peer for p in leaf.ports if p.role == "uplink"}
            for other in leaves:
                if other is leaf:
                    continue
                for block in other.server_subnets:
                    routes = json.loads(rollout.lab.vtysh(leaf.name, f"show ip route {block} json"))
                    hops = {via[h["ip"]] for r in routes[block] if r.get("selected") for h in r["nexthops"] if h.get("active")}
                    assert hops == spines, f"{leaf.name} -> {block}: {hops}"


def test_every_server_pings_every_other_on_its_rail(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    design = rollout.design
    gpus = [h for h in design.hosts if h.kind == "gpu"]
    for src in gpus:
        for dst in gpus:
            if dst is src:
                continue
            for nic in (n for n in src.nics if n.fabric == "backend"):
                target = next(n for n in dst.nics if n.rail == nic.rail)
                res = subprocess.run(["ip", "netns", "exec", rollout.lab.netns(src.name), "ping", "-c", "1", "-W", "2",
                                      "-I", str(IPNetwork(nic.address).ip), str(IPNetwork(target.address).ip)],
                                     capture_output=True, text=True, timeout=10)
                assert res.returncode == 0, f"{src.name} {nic.name} -> {dst.name}: {res.stdout}{res.stderr}"


def test_second_deploy_shows_no_diff_and_commits_nothing(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    before = rollout.running()
    res = rollout.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 of 10 devices differ from their build; nothing committed" in res.stdout
    assert not [r for r in rollout.last_run() if r["event"] == "commit"]
    assert rollout.running() == before


def test_an_mtu_change_with_a_leaf_left_out_says_each_link_it_makes_one_sided(
        first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """A backend MTU change (a dry run) with be-leaf-su1-r1 left out: each spine's port to it would
    take the new MTU and the leaf's keep the old one; said per spine, before anything is touched
    (before: a commit of it ended 'committed', exit 0, the links' two ends at 9000 and 9216)."""
    res = rollout.refused_with("  servers_per_su: 2\n", "  servers_per_su: 2\n  mtu: 9000\n", "--exclude", "be-leaf-su1-r1")
    assert res.returncode == 0, res.stdout + res.stderr
    for spine in (d for d in rollout.design.backend.devices if d.role == "spine"):
        port = next(p for p in spine.ports if p.peer == "be-leaf-su1-r1")
        runs = rollout.lab.run("be-leaf-su1-r1", ["cat", f"/sys/class/net/{port.peer_port}/mtu"]).stdout.strip()
        assert runs == str(port.mtu) != "9000", runs  # the leaf's end as the first deploy left it
        assert (f"{spine.name}: mtu changed at this end only of {port.name} (to be-leaf-su1-r1 {port.peer_port}: runs mtu "
                f"{runs}, read): the other end is left out of this deploy") in res.stdout, res.stdout


def test_an_mtu_committed_with_a_leaf_left_out_is_read_at_both_ends_and_stays_pending(
        first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """The same change committed: once committed, each spine's port to the leaf left out is read at
    both ends again, and the two run different MTUs (the routers' own, read back): pending, with
    both (the read after the commit drops only a link whose ends run the same). Put back after."""
    old, new = "  servers_per_su: 2\n", "  servers_per_su: 2\n  mtu: 9000\n"
    rollout.set_knob(old, new)
    try:
        res = rollout.deploy("--commit", "--exclude", "be-leaf-su1-r1")
    finally:
        rollout.set_knob(new, old)
    assert res.returncode == 0, res.stdout + res.stderr
    for spine in (d for d in rollout.design.backend.devices if d.role == "spine"):
        port = next(p for p in spine.ports if p.peer == "be-leaf-su1-r1")
        here = rollout.lab.run(spine.name, ["cat", f"/sys/class/net/{port.name}/mtu"]).stdout.strip()
        there = rollout.lab.run("be-leaf-su1-r1", ["cat", f"/sys/class/net/{port.peer_port}/mtu"]).stdout.strip()
        assert (here, there) == ("9000", str(port.mtu)), (here, there)
        assert (f"{spine.name}: pending: mtu changed at this end only of {port.name} (to be-leaf-su1-r1 {port.peer_port}: "
                f"runs mtu {there}, this end 9000, read after the commit)") in res.stdout, res.stdout
    assert any(r["event"] == "links-read-after" for r in rollout.last_run())
    res = rollout.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    for spine in (d for d in rollout.design.backend.devices if d.role == "spine"):
        port = next(p for p in spine.ports if p.peer == "be-leaf-su1-r1")
        assert rollout.lab.run(spine.name, ["cat", f"/sys/class/net/{port.name}/mtu"]).stdout.strip() == str(port.mtu)


def test_a_build_that_moves_the_management_address_the_deploy_runs_over_is_refused(
        first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """A new management gateway moves the backend's management addresses; the lab's inventory still
    reaches each switch at its old one. Committing would take that address away mid-session (it
    cut the session, left the switch drained at the new address and the rollback unreachable): the
    deploy refuses before anything is touched, and every router keeps its config and address."""
    eth0 = {d.name: rollout.lab.run(d.name, ["ip", "-br", "addr", "show", "eth0"]).stdout for d in rollout.design.backend.devices}
    knob = ("  network: 172.31.255.0/24\n", "  network: 172.31.255.0/24\n  gateway: 172.31.255.200\n")
    dry = rollout.refused_with(*knob, "--limit", "be-*")  # a dry run says what a commit would refuse, and fails
    assert dry.returncode == 1 and "stopped: a commit would refuse it: management address moves" in dry.stdout, dry.stdout
    res = rollout.refused_with(*knob)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "management address moves" in res.stdout + res.stderr
    spine = rollout.design.backend.devices[0]
    assert f"the build takes away {spine.management.partition('/')[0]}, the address this deploy reaches it at" in res.stdout
    assert f"{spine.name}: held back: the build takes away " in res.stderr, res.stderr
    for name, shown in eth0.items():
        assert rollout.lab.run(name, ["ip", "-br", "addr", "show", "eth0"]).stdout == shown and shown, name


def test_an_su_taken_away_is_re_cabling_refused_before_anything_is_touched(
        first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """Two servers, one SU: the spines lose their su2 leaves and the storage node moves to another
    frontend leaf port. The deploy reads it from the devices' own diffs (a port's described peer goes):
    re-cabling, refused before anything is touched (it committed the spines and rolled back on a
    verify failure); the leaves the intent no longer has are named, not silently left out."""
    res = rollout.refused_with("  servers: 4\n", "  servers: 2\n")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "the topology changes (re-cabling) on" in res.stderr and "--allow-recabling" in res.stderr
    assert "not in the build, not touched: be-leaf-su2-r[1-2]" in " ".join(res.stdout.split())
    assert [r["devices"] for r in rollout.last_run() if r["event"] == "not-in-build"] == [["be-leaf-su2-r1", "be-leaf-su2-r2"]]


def sessions(rollout: Rollout, device: str) -> dict[str, dict]:
    """The device's BGP neighbours as FRR shows them (negotiated and configured timers, connections)."""
    return json.loads(rollout.lab.vtysh(device, "show bgp neighbors json"))


def test_one_knob_changes_only_its_fabric_in_drained_waves(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """BGP timers wanted in effect now (upgrade.bgp_timers: reset-now): drained waves, sessions reset."""
    before = rollout.running()
    backend_before = {n: t for n, t in before.items() if n.startswith("be-")}
    rollout.set_knob("  oversubscription: \"1:3\"\n", "  oversubscription: \"1:3\"\n  bgp: {keepalive_s: 5, hold_s: 15}\n")
    rollout.set_knob("  soak_s: 2\n", "  soak_s: 2\n  bgp_timers: reset-now\n")
    dry = rollout.deploy()
    assert dry.returncode == 0, dry.stdout + dry.stderr
    changed = {r["device"] for r in rollout.last_run() if r["event"] == "diff" and r["changed"]}
    assert changed == {d.name for d in rollout.design.frontend.devices}
    for name in changed:  # the dry run says what each change takes and why, as the commit will
        assert f"{name}: drain: bgp-timers: session-reset" in dry.stdout, dry.stdout
    assert {n: t for n, t in rollout.running().items() if n.startswith("fe-")} == {
        n: t for n, t in before.items() if n.startswith("fe-")}, "a dry run changes nothing"
    res = rollout.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    planned = re.compile(r"^wave \d+: .*$", re.MULTILINE)
    assert planned.findall(dry.stdout) == planned.findall(res.stdout) != [], "the dry run plans the waves the commit runs"
    run = rollout.last_run()
    waves = [r["wave"] for r in run if r["event"] == "commit"]
    assert sorted(waves) == [1, 1, 2, 2], "a spine and a leaf of the pair per wave, as the planner packs them"
    assert all(r["drained"] for r in run if r["event"] == "commit")
    after = rollout.running()
    for name in changed:
        assert "timers bgp 5 15" in after[name] and "graceful-shutdown" not in after[name], name
        for addr, n in sessions(rollout, name).items():  # reset under drain: negotiated as configured
            assert (n["bgpState"], n["bgpTimerHoldTimeMsecs"], n["bgpTimerKeepAliveIntervalMsecs"]) == ("Established", 15000, 5000), (name, addr)
    assert {n: t for n, t in after.items() if n.startswith("be-")} == backend_before
    assert "pending:" not in res.stdout


def test_bgp_timers_next_reset_are_hitless_and_reported_pending(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    """The default (upgrade.bgp_timers: next-reset): one hitless wave, no drain, no session reset;
    the routers keep every session up with the old negotiated timers and the new ones configured,
    and the deploy says so per device, in the audit log and the journal, without failing."""
    rollout.set_knob("  bgp_timers: reset-now\n", "")
    rollout.set_knob("bgp: {keepalive_s: 5, hold_s: 15}", "bgp: {keepalive_s: 7, hold_s: 21}")
    frontend = [d.name for d in rollout.design.frontend.devices]
    before = {name: sessions(rollout, name) for name in frontend}
    res = rollout.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    run = rollout.last_run()
    assert {r["wave"] for r in run if r["event"] == "commit"} == {1} and not [r for r in run if r["event"] == "drained"]
    assert all(not r["drained"] for r in run if r["event"] == "commit")
    pending = {r["device"]: r["pending"] for r in run if r["event"] == "timers-pending"}
    assert set(pending) == set(frontend)
    journal = json.loads((rollout.build / "deploy-journal.json").read_text())
    assert set(journal["timers_pending"]) == set(frontend) and journal["status"] == "done"
    for name in frontend:
        hold, keepalive = ({n[k] // 1000 for n in before[name].values()}
                           for k in ("bgpTimerHoldTimeMsecs", "bgpTimerKeepAliveIntervalMsecs"))
        assert len(hold) == len(keepalive) == 1, (name, hold, keepalive)
        assert f"{name}: pending: hold time configured 21 s, negotiated {min(hold)} s on" in res.stdout, res.stdout
        assert any(line.startswith(f"keepalive configured 7 s, negotiated {min(keepalive)} s") for line in pending[name])
        now = sessions(rollout, name)
        assert set(now) == set(before[name])
        for addr, n in now.items():  # the routers' own state: not reset, old timers negotiated, new configured
            old = before[name][addr]
            assert n["bgpState"] == "Established", (name, addr)
            assert n["connectionsEstablished"] == old["connectionsEstablished"], (name, addr, "session reset")
            assert n["bgpTimerUpMsec"] > old["bgpTimerUpMsec"], (name, addr, "uptime reset")
            assert abs(n["bgpTimerUpEstablishedEpoch"] - old["bgpTimerUpEstablishedEpoch"]) <= 2, (name, addr)  # now - uptime, in s
            assert (n["bgpTimerHoldTimeMsecs"], n["bgpTimerKeepAliveIntervalMsecs"]) == (
                old["bgpTimerHoldTimeMsecs"], old["bgpTimerKeepAliveIntervalMsecs"]), (name, addr)
            assert (n["bgpTimerConfiguredHoldTimeMsecs"], n["bgpTimerConfiguredKeepAliveIntervalMsecs"]) == (21000, 7000)
    summary = next(line for line in res.stdout.splitlines() if "devices differ from their build" in line)
    assert summary.endswith("committed") and "stopped" not in res.stdout


def test_unhealthy_device_stops_the_rollout_before_anything_is_touched(first: subprocess.CompletedProcess[str], rollout: Rollout) -> None:
    rollout.set_knob("bgp: {keepalive_s: 7, hold_s: 21}", "bgp: {keepalive_s: 5, hold_s: 15}")
    rollout.set_knob("  soak_s: 2\n", "  soak_s: 2\n  bgp_timers: reset-now\n")  # fe-spine1 in wave 1, drained
    before = rollout.running(skip="fe-spine1")
    spine = rollout.lab.topology.switch("fe-spine1")
    bgpd = [p for p in netns_pids(spine.netns) if Path(f"/proc/{p}/comm").read_text().strip() == "bgpd"]
    assert bgpd, "fe-spine1 runs bgpd"
    subprocess.run(["kill", *map(str, bgpd)], check=True, timeout=10)
    res = rollout.deploy("--commit")
    assert res.returncode == 1, res.stdout + res.stderr
    row = next(line for line in res.stdout.splitlines() if "│ fe-spine1 " in line)
    assert "not started" in row and "bgpd is not running" in row
    run = rollout.last_run()
    assert [r["wave"] for r in run if r["event"] == "gate-refused"] == [1], "the health gate refuses wave 1"
    assert not [r for r in run if r["event"] in ("drained", "commit", "verified")], "nothing touched"
    saved = (rollout.lab.state_dir / "nodes" / "fe-spine1" / "frr" / "frr.conf").read_text()
    assert "router bgp" in saved, "fe-spine1's saved config keeps its BGP"
    after = rollout.running(skip="fe-spine1")
    for name, text in after.items():
        assert text == before[name], f"{name} changed although the deploy halted"
