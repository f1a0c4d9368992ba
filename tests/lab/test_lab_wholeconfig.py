"""Every file of an frr switch reaches it, and what a change meant is in effect (issue 10, items 2-3).

Through the real CLI on a lab of its own (cluster ``labwhole``, always torn down): the first deploy
pushes frr.conf, links.sh and qos.sh and names, per device, each setting the lab's kernel cannot hold
(veth has no DCB: "Operation not supported"; a kernel without the ets/red qdiscs: "qdisc kind is
unknown"); a second deploy sees nothing to change; a BGP timer change resets the drained devices'
sessions so the new hold time is negotiated (asserted from vtysh); an ECN threshold change is a
change, applied where the kernel can (read back with tc) and reported where it cannot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from napalm import get_network_driver

from aifab.design.model import Design
from aifab.lab import Lab, up
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labwhole"


@dataclass
class Whole:
    intent: Path
    build: Path
    design: Design
    lab: Lab

    def deploy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "250"}
        return subprocess.run([sys.executable, "-m", "aifab", "deploy", str(self.intent), "-o", str(self.build),
                               "--lab", "--verify-timeout", "60", *extra], capture_output=True, text=True, timeout=600, env=env)

    def last_run(self) -> list[dict]:
        records = [json.loads(line) for line in (self.build / "audit.jsonl").read_text().splitlines()]
        return [r for r in records if r["run"] == records[-1]["run"]]

    def set_knob(self, old: str, new: str) -> None:
        text = self.intent.read_text()
        assert old in text
        self.intent.write_text(text.replace(old, new, 1))

    def qdiscs(self, device: str) -> list[dict]:
        ns = self.lab.topology.switch(device).netns
        res = subprocess.run(["ip", "netns", "exec", ns, "tc", "-j", "qdisc", "show"], capture_output=True, text=True,
                             timeout=10, check=True)
        return json.loads(res.stdout or "[]")


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Whole]:
    require_lab()
    work = tmp_path_factory.mktemp("whole")
    intent = work / "lab.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {CLUSTER}"))
    _, design = design_for(intent)
    with lab_torn_down(design, intent):
        res = subprocess.run([sys.executable, "-m", "aifab", "lab", "up", str(intent)], capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stdout + res.stderr
        yield Whole(intent, work / "build", design, up(design))


def _not_applied(run: list[dict]) -> dict[tuple[str, str], str]:
    """(device, "file: command") -> why, from the audit log (the console groups them)."""
    return {(r["device"], r["setting"]): r["reason"] for r in run if r["event"] == "not-applied"}


def _red(qdiscs: list[dict], dev: str) -> dict | None:
    return next((q for q in qdiscs if q.get("dev") == dev and q.get("kind") == "red"), None)


@pytest.fixture(scope="module")
def first(whole: Whole) -> subprocess.CompletedProcess[str]:
    res = whole.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def test_first_deploy_pushes_every_file_and_names_what_the_kernel_cannot_hold(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    assert "10 of 10 devices differ from their build; committed" in first.stdout
    reported = _not_applied(whole.last_run())
    for dev in whole.design.devices():
        qos = (whole.build / "configs" / f"{dev.name}.qos.sh").read_text().splitlines()
        qdiscs = whole.qdiscs(dev.name)
        for cmd in (c for c in qos if c.startswith(("dcb ", "tc "))):
            port = cmd.split(" dev ")[1].split()[0]
            why = reported.get((dev.name, f"qos.sh: {cmd}"))
            if cmd.startswith("dcb "):  # veth has no DCB: always reported, with the kernel's reason
                assert why and "not supported" in why, f"{dev.name}: {cmd} neither applied nor reported"
            elif " red " in cmd:  # the kernel holds RED (read back) or the report says why not
                assert _red(qdiscs, port) or why, f"{dev.name}: {cmd} neither applied nor reported"
        assert f"{dev.name}: not applied: qos.sh: dcb app, dcb ets, dcb pfc" in first.stdout
    for dev in whole.design.devices():  # links.sh: the MTU is the designed one on every port
        ns = whole.lab.topology.switch(dev.name).netns
        links = json.loads(subprocess.run(["ip", "-n", ns, "-j", "link", "show"], capture_output=True, text=True,
                                          timeout=10, check=True).stdout)
        mtu = {link["ifname"]: link["mtu"] for link in links}
        assert all(mtu[p.name] == p.mtu for p in dev.ports if p.role in ("uplink", "server")), dev.name


def test_second_deploy_sees_no_change(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    res = whole.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 of 10 devices differ from their build; nothing committed" in res.stdout
    assert _not_applied(whole.last_run()) and ": not applied: " in res.stdout, "what the kernel cannot hold is said again"


def test_snapshot_candidate_is_what_runs(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    """get_candidate_snapshot: running frr.conf plus the applied kernel settings; loading it changes nothing."""
    with get_network_driver("frr")(**whole.lab.napalm_args("be-spine1")) as dev:
        snapshot = json.loads(dev.get_candidate_snapshot())
        assert "router bgp" in snapshot["frr.conf"] and "ip link set dev swp1 mtu 9216" in snapshot["links.sh"]
        dev.load_replace_candidate(config=json.dumps(snapshot))
        assert dev.compare_config() == ""
        dev.discard_config()


def test_a_restored_snapshot_keeps_what_the_kernel_cannot_hold(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    """A deploy's rollback commits each switch's snapshot. The settings its kernel cannot hold stay
    recorded as such, so the build compares equal afterwards: before, they read as settings to apply
    (a QoS change) and the next deploy of a hitless BGP timer change drained and cordoned for them."""
    name = "be-spine1"
    files = {s: (whole.build / "configs" / f"{name}.{s}").read_text() for s in ("frr.conf", "links.sh", "qos.sh")}
    changed = files["frr.conf"].replace(" bgp graceful-restart\n", " bgp graceful-restart\n timers bgp 5 15\n", 1)
    assert changed != files["frr.conf"]
    with get_network_driver("frr")(**whole.lab.napalm_args(name)) as dev:
        dev.load_replace_candidate(config=json.dumps(files))
        cannot = set(dev.kernel_not_applicable())
        assert cannot and dev.compare_config() == "", "deployed: nothing to do, what the kernel cannot hold is known"
        snapshot = dev.get_candidate_snapshot()
        dev.load_replace_candidate(config=json.dumps({**files, "frr.conf": changed}))
        dev.commit_config()
        assert "timers bgp 5 15" in whole.lab.vtysh(name, "show running-config")
        dev.load_replace_candidate(config=snapshot)  # the rollback, as aifab.deploy.snapshot.restore runs it
        dev.commit_config()
        assert "timers bgp 5 15" not in whole.lab.vtysh(name, "show running-config")
        dev.load_replace_candidate(config=json.dumps(files))
        assert dev.compare_config() == "", "after the rollback the build is what runs"
        assert set(dev.kernel_not_applicable()) == cannot
        dev.discard_config()


def test_timer_change_is_negotiated_on_every_changed_session(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    whole.set_knob("  oversubscription: \"1:3\"\n", "  oversubscription: \"1:3\"\n  bgp: {keepalive_s: 5, hold_s: 15}\n")
    whole.set_knob("upgrade:\n", "upgrade:\n  bgp_timers: reset-now  # the timers in effect now: drained, sessions reset\n")
    res = whole.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    changed = {r["device"] for r in whole.last_run() if r["event"] == "commit"}
    assert changed == {d.name for d in whole.design.frontend.devices}
    assert all(r["drained"] for r in whole.last_run() if r["event"] == "commit")
    for dev in whole.design.frontend.devices:
        peers = json.loads(whole.lab.vtysh(dev.name, "show bgp neighbors json"))
        for n in dev.neighbors:
            p = peers[n.peer_address]
            assert p["bgpState"] == "Established", f"{dev.name} -> {n.peer}"
            assert (p["bgpTimerConfiguredHoldTimeMsecs"], p["bgpTimerHoldTimeMsecs"]) == (15000, 15000), f"{dev.name} -> {n.peer}"
            assert p["bgpTimerKeepAliveIntervalMsecs"] == 5000, f"{dev.name} -> {n.peer}"


def test_ecn_change_is_seen_applied_where_possible_and_reported_where_not(first: subprocess.CompletedProcess[str], whole: Whole) -> None:
    whole.set_knob("  servers_per_su: 2\n", "  servers_per_su: 2\n  qos: {ecn: {min_kb: 200}}\n")
    dry = whole.deploy()
    assert dry.returncode == 0, dry.stdout + dry.stderr
    changed = {r["device"] for r in whole.last_run() if r["event"] == "diff" and r["changed"]}
    assert changed == {d.name for d in whole.design.backend.devices}, "an ECN-only change is a change"
    diffs = {r["device"]: r["diff"] for r in whole.last_run() if r["event"] == "diff" and r["changed"]}
    assert all("Kernel Settings To Apply" in d and " min 200000 " in d for d in diffs.values())
    res = whole.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    reported = _not_applied(whole.last_run())
    for dev in whole.design.backend.devices:
        qdiscs = whole.qdiscs(dev.name)
        for port in (p.name for p in dev.ports if p.role in ("uplink", "server")):
            red = _red(qdiscs, port)
            if red is not None:  # the kernel holds RED: the new threshold is the one read back
                assert red["options"]["min"] == 200000, f"{dev.name} {port}: {red}"
            else:
                why = next((w for (d, what), w in reported.items()
                            if d == dev.name and f" dev {port} parent " in what and " min 200000 " in what), "")
                assert "unknown" in why or "not supported" in why or "not applied" in why, f"{dev.name} {port}: {why!r}"
