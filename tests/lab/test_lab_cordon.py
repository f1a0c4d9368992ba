"""A rolling software upgrade of the lab's rail leaves, SU by SU, run by ``aifab deploy`` under
continuous traffic, with the traffic probe playing the job scheduler through the cordon hook
(issue 11 item 5, issue 12 item 4).

The lab of intent/lab.yaml runs as cluster ``labcord``, deployed once. Each test names a new FRR
version for the two rail leaves of one SU (``upgrade.os_version.devices``): the plan makes them one
wave that drains them, restarts every FRR daemon of each (the upgrade step) and cordons the SU's
two servers, whose GPU NICs hang off those leaves alone. ``upgrade.cordon_command`` is a small
script: it writes the servers to the probe's stop file, as a scheduler drains their jobs, and waits
until every sender has stopped their flows; ``uncordon_command`` records that it ran. Each test
prints its packet counts.

- SU 1, the hook stops the flows: every flow of a cordoned server stopped before its leaves were
  touched and lost nothing; every other flow ran throughout and lost nothing.
- a hook that fails (exit 1, its message on stderr): the deploy stops before any device of the
  wave is touched, exit 1, saying why.
- SU 2, a hook that stops nothing (a scheduler that did not drain the jobs): the flows of SU 2's
  servers across the spines lose packets while their leaves restart, every other flow nothing, so
  the cordon is what protected SU 1's.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifab.lab import wait_established
from aifab.lab.switch import node_dir
from aifab.lab.traffic import FlowResult, Probe, Report
from aifab.pipeline import design_for
from tests.lab.helpers import LabRun, lab_intent, lab_torn_down, require_lab

pytestmark = pytest.mark.lab
CLUSTER = "labcord"
RATE = 50.0  # packets per second per flow
FLOWS = 2  # per ordered pair of servers and rail
BOUND_S = 300.0  # no probe runs longer; each test stops its probe when its deploy is done
SU = {1: ("srv-su1-01", "srv-su1-02"), 2: ("srv-su2-01", "srv-su2-02")}
LEAVES = {1: ("be-leaf-su1-r1", "be-leaf-su1-r2"), 2: ("be-leaf-su2-r1", "be-leaf-su2-r2")}

# The scheduler: ``stop`` writes the servers to the probe's stop file and waits until every sender
# acknowledged them (their flows ended); ``record`` stops nothing; ``fail`` refuses; ``hang`` takes
# a minute. All log their
# call; ``stop`` also what ``aifab drain --status`` reads of the rail leaves while the deploy runs.
SCHEDULER = '''#!{python}
import json, pathlib, subprocess, sys, time
mode, hosts, wave = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
stop = pathlib.Path({stop!r})
call = {{"mode": mode, "hosts": hosts, "wave": wave, "t": time.time()}}
if mode == "stop":
    status = subprocess.run({status!r}, capture_output=True, text=True, timeout=60)
    call["status"] = [status.returncode, status.stdout + status.stderr]
with open({log!r}, "a") as fh:
    fh.write(json.dumps(call) + "\\n")
if mode == "fail":
    sys.exit("scontrol: error: Invalid node name specified")
if mode == "hang":  # a scheduler that takes long to drain the jobs
    time.sleep(60)
if mode == "stop":
    with stop.open("a") as fh:
        fh.write("".join(h + "\\n" for h in hosts))
    lines = len(stop.read_text().splitlines())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        acks = [p.read_text() for p in stop.parent.glob(stop.name + ".*.ack")]
        if acks and all(a.isdigit() and int(a) >= lines for a in acks):
            sys.exit(0)
        time.sleep(0.02)
    sys.exit("the probe's senders did not stop the flows of " + ",".join(hosts))
'''


class World(LabRun):
    stop: Path
    log: Path
    script: Path

    def edit(self, su_versions: dict[str, str], mode: str) -> None:
        """The intent: the versions of ``su_versions``, the hook in ``mode`` (stop / record)."""
        hook = ("  soak_s: 2\n"
                f"  cordon_command: '{self.script} {mode} {{hosts}} {{wave}}'\n"
                f"  uncordon_command: '{self.script} uncordoned {{hosts}} {{wave}}'\n"
                f"  os_version: {{devices: {json.dumps(su_versions)}}}\n")
        lab_intent(self.intent, CLUSTER, (("  soak_s: 2\n", hook),))

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_lab()
    work = tmp_path_factory.mktemp("cordon")
    intent = lab_intent(work / "lab.yaml", CLUSTER)
    _, design = design_for(intent)
    run = World(intent, work / "build", design, None)  # type: ignore[arg-type]
    run.stop, run.log, run.script = work / "stop", work / "scheduler.jsonl", work / "scheduler"
    status = [sys.executable, "-m", "aifab", "drain", str(intent), "--lab", "--status", "be-leaf-*"]
    run.script.write_text(SCHEDULER.format(python=sys.executable, stop=str(run.stop), log=str(run.log), status=status))
    run.script.chmod(0o755)
    with lab_torn_down(design, intent):
        run.up_deployed()
        yield run


def installed(world: World, device: str) -> str:
    path = node_dir(world.lab.state_dir, device) / "frr" / "aifab-version"
    return path.read_text().strip() if path.exists() else ""


def of(report: Report, hosts: tuple[str, ...]) -> tuple[list[FlowResult], list[FlowResult]]:
    """The flows from or to ``hosts``, and the others."""
    mine = [r for r in report.results if r.flow.src_host in hosts or r.flow.dst_host in hosts]
    return mine, [r for r in report.results if r not in mine]


def show(what: str, report: Report, hosts: tuple[str, ...], out: str) -> None:
    mine, others = of(report, hosts)
    print(f"\n{what}: {report.summary()}")
    for label, rs in ((f"flows of {', '.join(hosts)}", mine), ("every other flow", others)):
        print(f"  {label:32} flows {len(rs):3}  sent {sum(r.sent for r in rs):6}  received {sum(r.received for r in rs):6}"
              f"  lost {sum(r.lost for r in rs):5}  longest gap {max((r.max_gap for r in rs), default=0) / RATE:.2f} s")
    print("\n".join(line for line in out.splitlines() if "cordon" in line))


def rollout(world: World, su: int, versions: dict[str, str], mode: str) -> tuple[Report, str, list[dict]]:
    """Deploy the versions under traffic, the hook in ``mode``; the probe's report, stdout, the audit."""
    world.edit(versions, mode)
    probe = Probe(world.lab, world.design, seconds=BOUND_S, rate=RATE, flows_per_pair=FLOWS, stop_file=world.stop).start()
    try:
        time.sleep(1)
        res = world.deploy("--commit")
        wait_established(world.lab, world.design, timeout=60)
        time.sleep(1)
    finally:
        report = probe.stop()
    show(f"rail leaves of SU {su} upgraded, cordon hook {mode}", report, SU[su], res.stdout)
    assert res.returncode == 0, res.stdout + res.stderr
    return report, res.stdout, world.last_run()


def test_rolling_upgrade_of_su1_leaves_the_cordon_hook_stops_their_flows_first(world: World) -> None:
    versions = dict.fromkeys(LEAVES[1], "10.2")
    report, out, run = rollout(world, 1, versions, "stop")
    assert {d: installed(world, d) for d in LEAVES[1]} == versions
    events = [r["event"] for r in run]
    assert "cordon-plan" in events and "cordons srv-su1-[01-02] (2 servers, 4 GPUs)" in out
    first = events.index("cordoned")
    assert events.index("drained") > first and events.index("upgraded") > first, "the cordon waited on before any device"
    assert events.index("uncordoned") > max(i for i, e in enumerate(events) if e == "undrained")
    assert [(c["mode"], c["hosts"]) for c in world.calls()] == [("stop", list(SU[1])), ("uncordoned", list(SU[1]))]
    code, said = world.calls()[0]["status"]  # asked from the hook, the deploy holding its lock: read, not refused
    assert code == 0 and "a deploy of this inventory is running (pid " in said, said
    assert all(f"{leaf}: not drained" in said for su in LEAVES for leaf in LEAVES[su]), "cordoned before any drain"
    mine, others = of(report, SU[1])
    full = min(r.sent for r in others)
    assert mine and all(r.sent < full for r in mine), "every flow of a cordoned server was stopped by the hook"
    assert sum(r.lost for r in mine) == 0, "stopped before its leaves were drained and restarted: nothing lost"
    assert others and full >= RATE * 10, "the other flows ran throughout the rollout"
    assert sum(r.lost for r in others) == 0, f"lost: { {r.flow.id: r.lost for r in others if r.lost} }"
    assert "still cordoned by this deploy" not in out


def test_a_failing_cordon_hook_stops_the_rollout_before_any_device_is_touched(world: World) -> None:
    world.edit(dict.fromkeys(LEAVES[1], "10.3"), "fail")
    before = {d: world.running(d) for d in LEAVES[1]}
    res = world.deploy("--commit")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "stopped: wave 1: cordon failed (" in res.stdout and "exit 1: scontrol: error: Invalid node name specified" in res.stdout
    run = world.last_run()
    assert "cordon-failed" in [r["event"] for r in run]
    assert not [r for r in run if r["event"] in ("drained", "upgraded", "commit")], "nothing touched"
    assert {d: installed(world, d) for d in LEAVES[1]} == dict.fromkeys(LEAVES[1], "10.2")
    assert {d: world.running(d) for d in LEAVES[1]} == before
    assert world.calls()[-1]["mode"] == "uncordoned", "the uncordon command undid the partial cordon"
    for d in LEAVES[1]:
        row = next(line for line in res.stdout.splitlines() if f"│ {d} " in line)
        assert "not started" in row


def test_an_interrupt_while_the_cordon_command_runs_stops_it_and_touches_no_device(world: World) -> None:
    """SIGINT to the deploy alone (``kill -INT``, a job runner; a terminal's Ctrl-C reaches the command
    too) while the cordon command waits on the scheduler: the command is stopped, no device of the
    wave is drained or upgraded, the partial cordon is undone, exit 130 within seconds (it waited the
    command out, up to cordon_timeout_s, then drained the wave)."""
    world.edit(dict.fromkeys(LEAVES[1], "10.4"), "hang")
    before = {d: world.running(d) for d in LEAVES[1]}
    bg = world.start_deploy("--commit")
    bg.wait_for("wave 1: cordon: ")
    time.sleep(1)  # the command is running
    asked = time.monotonic()
    bg.signal(signal.SIGINT)
    code, out, err = bg.finish(timeout=90)
    assert code == 130, out + err
    assert time.monotonic() - asked < 20, "the wait on the command ended with the interrupt"
    assert "interrupted while waiting for it (stopped)" in out, out
    run = world.last_run()
    assert not [r for r in run if r["event"] in ("drained", "upgraded", "commit")], "nothing touched"
    assert {d: installed(world, d) for d in LEAVES[1]} == dict.fromkeys(LEAVES[1], "10.2")
    assert {d: world.running(d) for d in LEAVES[1]} == before
    assert [c["mode"] for c in world.calls()][-2:] == ["hang", "uncordoned"], "the partial cordon undone"


def test_the_same_upgrade_of_su2_with_a_hook_that_stops_nothing_loses_their_packets(world: World) -> None:
    versions = dict.fromkeys(LEAVES[1] + LEAVES[2], "10.2")
    report, _, run = rollout(world, 2, versions, "record")
    assert {d: installed(world, d) for d in LEAVES[2]} == dict.fromkeys(LEAVES[2], "10.2")
    assert [(c["mode"], c["hosts"]) for c in world.calls()][-2:] == [("record", list(SU[2])), ("uncordoned", list(SU[2]))]
    mine, others = of(report, SU[2])
    across = [r for r in mine if r.flow.path.startswith("be-spine")]
    assert across and sum(r.lost for r in across) > 0, "flows across the spines to restarting leaves lose packets"
    assert others and sum(r.lost for r in others) == 0, f"lost: { {r.flow.id: r.lost for r in others if r.lost} }"
    assert [r["event"] for r in run].count("upgraded") == 2
