"""A rolling software upgrade of the lab's spines, run by ``aifab deploy`` (the plan) under continuous
traffic (issue 12): zero packets lost with the drain steps, some lost without them, and a failure
mid-rollout that halts, rolls back, undrains and resumes after the repair.

The lab of intent/lab.yaml runs as cluster ``labupg``, deployed once with ``aifab deploy --commit``;
each test names a new FRR version for every spine (``upgrade.os_version``), so each deploy upgrades
the four spines in two waves (one spine per fabric per wave). The lab's driver records the version
it installs in the switch's own ``/etc/frr/aifab-version`` and restarts every FRR daemon of the
switch; the tests read that file through the switch's directory, and the traffic from the probe's
receivers. Each test prints its packet counts and the deploy's measured times per wave.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from aifab.lab import wait_established
from aifab.lab.switch import node_dir, running
from aifab.lab.system import DAEMONS, FRR_DIR
from aifab.lab.traffic import Probe, Report
from aifab.pipeline import design_for
from tests.lab.helpers import LabRun, lab_intent, lab_torn_down, require_lab

pytestmark = pytest.mark.lab
CLUSTER = "labupg"
SPINES = ("be-spine1", "be-spine2", "fe-spine1", "fe-spine2")
RATE = 50.0  # packets per second per flow: a gap of 20 ms is one lost packet
FLOWS = 2  # per ordered pair of servers and rail: 64 flows, both spines of each fabric carry some
BOUND_S = 300.0  # no probe runs longer; each test stops its probe when its deploys are done
SHORT = ("drain_wait_s: 1", "drain_wait_s: 15")  # the deadline of the evidence waits (they take ~1 s)


def versions(version: str) -> tuple[str, str]:
    """The intent edit naming ``version`` for every spine of both fabrics."""
    return ("  min_capacity_pct: 50", "  min_capacity_pct: 50\n  os_version: {roles: {backend: {spine: "
            f'"{version}"}}, frontend: {{spine: "{version}"}}}}}}')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRun]:
    require_lab()
    work = tmp_path_factory.mktemp("upgrade")
    intent = lab_intent(work / "lab.yaml", CLUSTER, (SHORT,))
    _, design = design_for(intent)
    run = LabRun(intent, work / "build", design, None)  # type: ignore[arg-type]
    with lab_torn_down(design, intent):
        run.up_deployed()
        yield run


def installed(world: LabRun, device: str) -> str:
    """The version the switch's driver recorded in its /etc/frr (the switch's own directory)."""
    path = node_dir(world.lab.state_dir, device) / "frr" / "aifab-version"
    return path.read_text().strip() if path.exists() else ""


def wave_times(world: LabRun) -> list[dict]:
    """The last run's measured times per wave, from its audit log."""
    run = world.last_run()
    return [{k: r[k] for k in ("event", "wave", "seconds") if k in r} | {"devices": r.get("devices") or [r.get("device")]}
            for r in run if r["event"] in ("moved-off", "moved-back", "upgraded")]


def show(what: str, report: Report, world: LabRun, out: str) -> None:
    print(f"\n{what}: {report.summary()}")
    for path, c in sorted(report.by_path().items()):
        print(f"  {path:16} flows {c.flows:3}  sent {c.sent:6}  received {c.received:6}  lost {c.lost:5}  longest gap {c.max_gap / RATE:.2f} s")
    table = out[out.find("wave times (measured)"):].split("\n\n")[0] if "wave times (measured)" in out else "(no wave times)"
    print(table)
    print(json.dumps(wave_times(world)))


def test_rolling_upgrade_of_every_spine_under_traffic_loses_nothing(world: LabRun) -> None:
    lab_intent(world.intent, CLUSTER, (SHORT, versions("10.2")))
    probe = Probe(world.lab, world.design, seconds=BOUND_S, rate=RATE, flows_per_pair=FLOWS).start()
    try:
        time.sleep(1)
        res = world.deploy("--commit")
        time.sleep(1)
    finally:
        report = probe.stop()
    show("rolling upgrade of every spine, drained", report, world, res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    assert {s: installed(world, s) for s in SPINES} == dict.fromkeys(SPINES, "10.2")
    upgraded = [r for r in world.last_run() if r["event"] == "upgraded"]
    assert sorted(r["device"] for r in upgraded) == sorted(SPINES) and {r["version"] for r in upgraded} == {"10.2"}
    assert [r["wave"] for r in world.last_run() if r["event"] == "moved-off"] == [1, 2], "each wave waited on evidence"
    assert "wave times (measured)" in res.stdout and "traffic moved off be-spine1, fe-spine1 in" in res.stdout
    paths = report.by_path()
    assert all(paths[s].sent > 0 for s in SPINES if s in paths) and {"be-spine1", "be-spine2"} <= set(paths)
    assert report.totals().sent >= 0.9 * RATE * len(report.results), "traffic ran throughout"
    assert report.totals().lost == 0, f"lost packets: { {p: c.lost for p, c in paths.items() if c.lost} }"


def test_the_same_restarts_without_the_drain_lose_packets(world: LabRun) -> None:
    lab_intent(world.intent, CLUSTER, (SHORT, versions("10.3")))
    probe = Probe(world.lab, world.design, seconds=BOUND_S, rate=RATE, flows_per_pair=FLOWS).start()
    try:
        time.sleep(1)
        res = world.deploy("--commit", "--no-drain")
        wait_established(world.lab, world.design, timeout=60)
        time.sleep(2)
    finally:
        report = probe.stop()
    show("the same restarts without the drain (--no-drain)", report, world, res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    assert {s: installed(world, s) for s in SPINES} == dict.fromkeys(SPINES, "10.3")
    assert not [r for r in world.last_run() if r["event"] in ("drained", "moved-off")], "no drain step ran"
    paths = report.by_path()
    assert sum(paths[s].lost for s in SPINES if s in paths) > 0, "restarting a spine that carries traffic loses packets"
    others = {p: c.lost for p, c in paths.items() if p not in SPINES}
    assert others and not any(others.values()), f"flows through no spine lost packets: {others}"


def repair(world: LabRun, device: str) -> None:
    """Start the switch's missing FRR daemons again with its saved config (as its boot does)."""
    missing = [d for d in DAEMONS if d not in running(world.lab.topology.switch(device))]
    for d in missing:
        res = world.lab.run(device, [str(FRR_DIR / d), "-d", "-F", "datacenter", "-P", "0", "-f", "/dev/null", "-u", "frr", "-g", "frr"])
        assert res.returncode == 0, res.stdout + res.stderr
    res = world.lab.run(device, ["vtysh", "-b"])
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_failure_mid_rollout_halts_rolls_back_and_resume_completes(world: LabRun) -> None:
    lab_intent(world.intent, CLUSTER, (SHORT, versions("10.4")))
    probe = Probe(world.lab, world.design, seconds=BOUND_S, rate=RATE, flows_per_pair=FLOWS).start()
    try:
        time.sleep(1)
        bg = world.start_deploy("--commit", "--verify-timeout", "8")
        bg.wait_for("wave 1: be-spine1 runs 10.4", timeout=120)
        world.kill("be-spine1", "bgpd")  # the device in hand fails after its upgrade, while drained
        code, out, err = bg.finish()
        halted = world.last_run()
        partner = installed(world, "fe-spine1")  # read from the switch before the resume
        repair(world, "be-spine1")
        wait_established(world.lab, world.design, timeout=60)
        resumed = world.deploy("--resume")
        time.sleep(1)
    finally:
        report = probe.stop()
    show("bgpd killed on be-spine1 mid-rollout, then --resume", report, world, resumed.stdout)
    assert code == 1, out + err
    failed = {r["device"] for r in halted if r["event"] in ("commit-failed", "verify-failed")}
    assert failed == {"be-spine1"}, halted
    assert {r["device"] for r in halted if r["event"] == "rolled-back"} == {"fe-spine1"}, "its wave partner is restored, read back"
    assert partner == "10.4", "the partner's config is restored, its software is not downgraded"
    assert "fe-spine1: config rolled back, upgrade kept: runs 10.4 (read back)" in err, "the report says the upgrade stays"
    assert {r["device"] for r in halted if r["event"] == "rollback-failed"} == {"be-spine1"}, "bgpd's config cannot come back"
    assert not [r for r in halted if r["event"] == "upgraded" and r["wave"] == 2], "the rollout halted in wave 1"
    assert "still drained by this deploy: be-spine1" in out, "the report says what stays drained"
    assert " bgp graceful-shutdown" not in world.running("fe-spine1"), "the wave partner is undrained"
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "still drained by this deploy: none" in resumed.stdout
    assert {s: installed(world, s) for s in SPINES} == dict.fromkeys(SPINES, "10.4")
    assert all(" bgp graceful-shutdown" not in world.running(s) for s in SPINES), "no spine left drained"
    others = {p: c.lost for p, c in report.by_path().items() if p != "be-spine1"}
    assert others and not any(others.values()), f"flows not through the failed be-spine1 lost packets: {others}"
