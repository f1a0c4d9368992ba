"""Faults during ``aifab deploy --commit --lab``, judged from the routers themselves (issue 10).

One lab (cluster ``labfault``) rebuilt before each test and given the old intent's build as a
first ``aifab deploy --commit`` leaves it (booted with its frr.conf, then the whole build committed
by the FRR NAPALM driver, so each switch also holds the record of its kernel settings); the change
is a frontend BGP timer knob with ``upgrade.bgp_timers: reset-now`` (a session reset under drain):
four frontend devices in two drained waves, as the planner packs them
(fe-leaf1a with fe-spine1, then fe-leaf1b with fe-spine2). For each fault the test reads every
router's running config through its namespaces afterwards: each is exactly its old config or the
old one plus the knob's line, as the audit log says; ``bgp graceful-shutdown`` is left only where
the deploy's report says so; the saved frr.conf still has its ``router bgp``; the exit code is the
documented one (1 stopped by a failure, 130 interrupted).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from napalm import get_network_driver

from aifab.deploy.inputs import rendered_from
from aifab.deploy.journal import journal_path
from aifab.deploy.tasks.expect import expectations
from aifab.lab import down, up
from aifab.lab.switch import node_dir
from aifab.lab.system import netns_pids
from aifab.pipeline import design_for
from tests.lab.helpers import LabRun, config_state, lab_intent, lab_torn_down, require_lab

pytestmark = pytest.mark.lab
CLUSTER = "labfault"
WAIT = ("drain_wait_s: 1", "drain_wait_s: 2")  # a window to act in while a device is drained
RESET_NOW = ("  soak_s: 2\n", "  soak_s: 2\n  bgp_timers: reset-now\n")  # timers in effect now: drained, sessions reset
TIMERS = ('  oversubscription: "1:3"\n', '  oversubscription: "1:3"\n  bgp: {keepalive_s: 5, hold_s: 15}\n')
MTU_9000 = ('  oversubscription: "1:3"\n', '  oversubscription: "1:3"\n  mtu: 9000\n')
NEW = " timers bgp 5 15"
GSHUT = " bgp graceful-shutdown"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRun]:
    require_lab()
    work = tmp_path_factory.mktemp("faults")
    base = lab_intent(work / "base.yaml", CLUSTER, (WAIT, RESET_NOW))
    _, design = design_for(base)
    run = LabRun(lab_intent(work / "lab.yaml", CLUSTER, (WAIT, RESET_NOW, TIMERS)), work / "build", design, None)  # type: ignore[arg-type]
    res = run.cli("build", str(base), "-o", str(work / "old"))
    assert res.returncode == 0, res.stdout + res.stderr
    with lab_torn_down(design):
        run.lab = up(design)
        yield run


@pytest.fixture
def before(world: LabRun) -> dict[str, str]:
    """The lab rebuilt, each switch booted with the old build's frr.conf and then given the whole
    old build by the FRR NAPALM driver's commit, as a first deploy leaves it (its kernel settings
    applied and recorded; a third of a first deploy's time, which waits on BGP's connect retry);
    converged. Every router's running config."""
    down(world.design)
    journal_path(world.build).unlink(missing_ok=True)  # a test that failed mid-rollout leaves no halted plan to the next
    old = world.build.parent / "old"
    world.lab = up(world.design, configs=old / "configs")
    rendered = rendered_from(world.design, old)

    def commit(device: str) -> None:
        with get_network_driver("frr")(**world.lab.napalm_args(device)) as dev:
            dev.load_replace_candidate(config=rendered.configs[device])
            dev.commit_config()

    names = [d.name for d in world.design.devices()]
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(commit, names))
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, TIMERS))
    world.converge()
    return world.configs()


def events(world: LabRun, event: str) -> list[dict]:
    return [r for r in world.last_run() if r["event"] == event]


def judge(world: LabRun, before: dict[str, str], out: str, broken: tuple[str, ...] = ()) -> dict[str, str]:
    """Every router (but ``broken`` ones) runs its old config, or its new one where the audit log
    says verified and not rolled back; graceful-shutdown only where the report says it is left;
    every saved frr.conf has its router bgp. Returns device -> old/new."""
    run = world.last_run()
    end = [r for r in run if r["event"] == "end"][-1]
    still = set(end["still_drained"])
    verified = {r["device"] for r in run if r["event"] == "verified"}
    rolled = {r["device"] for r in run if r["event"] == "rolled-back"}
    states = {}
    for name, old in before.items():
        assert "router bgp" in world.saved(name), f"{name}: saved frr.conf lost its router bgp"
        if name in broken:
            continue
        now = world.running(name)
        if GSHUT in now:
            assert name in still and name in out.split("still drained by this deploy:")[1], f"{name} left drained silently"
            now = now.replace(GSHUT + "\n", "")
        states[name] = config_state(old, now, {NEW})
        want = "new" if name in verified and name not in rolled else "old"
        assert states[name] == want, f"{name}: runs {states[name]} config, the audit log says {want}"
    return states


def test_bgpd_killed_on_the_device_being_changed(world: LabRun, before: dict[str, str]) -> None:
    bg = world.start_deploy("--commit")
    bg.wait_for("for traffic to move off fe-leaf1a, fe-spine1")
    world.kill("fe-spine1", "bgpd")
    code, out, err = bg.finish()
    assert code == 1, out + err
    failed = {r["device"]: r["reason"] for r in events(world, "commit-failed")}
    assert "bgpd is not running" in failed["fe-spine1"], failed
    assert [r["device"] for r in events(world, "rollback-failed")] == ["fe-spine1"], "bgpd's config cannot come back"
    assert [r["device"] for r in events(world, "rolled-back")] == ["fe-leaf1a"], "its wave partner is restored, read back"
    assert {r["device"] for r in events(world, "commit")} <= {"fe-leaf1a"}, "nothing committed beyond wave 1"
    saved = world.saved("fe-spine1")
    assert "router bgp" in saved and NEW not in saved, "no saved config written while bgpd was down"
    assert "fe-spine1: failed, rollback failed" in err
    assert "still drained by this deploy: fe-spine1" in out, "the report says the drain may be left"
    assert judge(world, before, out, broken=("fe-spine1",)) == {n: "old" for n in before if n != "fe-spine1"}


def test_bgpd_killed_on_a_device_of_a_later_wave(world: LabRun, before: dict[str, str]) -> None:
    world.kill("fe-spine2", "bgpd")
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 1, out + err
    assert any(ln.strip().startswith("gate: with ") and "fe-spine2" in ln for ln in out.splitlines()), out
    refused = events(world, "gate-refused")
    assert refused and refused[0]["wave"] == 1
    assert not events(world, "drained") and not events(world, "commit"), "the gate stops before anything is touched"
    assert "bgpd is not running" in {r["device"]: r["reason"] for r in events(world, "unhealthy")}["fe-spine2"]
    assert judge(world, before, out, broken=("fe-spine2",)) == {n: "old" for n in before if n != "fe-spine2"}


def _shut(world: LabRun, device: str, peer: str) -> None:
    """``neighbor ... shutdown`` on ``device`` towards ``peer``: their session down, as a broken
    optic leaves it (the device's own commit later replaces it with its build: up again)."""
    dev = next(d for d in world.design.devices() if d.name == device)
    addr = next(n.peer_address for n in dev.neighbors if n.peer == peer)
    switch = world.lab.topology.switch(device)
    zebra = world.pid(device, "zebra")
    subprocess.run(["nsenter", "-t", str(zebra), "-n", "-m", "-u", "vtysh", "-c", "configure terminal", "-c",
                    f"router bgp {dev.asn}", "-c", f"neighbor {addr} shutdown"], check=True, timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "Idle (Admin)" not in world.lab.vtysh(device, "show bgp summary"):
        time.sleep(0.2)
    assert "Idle (Admin)" in world.lab.vtysh(device, "show bgp summary"), switch.name


def test_a_link_down_before_the_deploy_is_cut_and_the_wave_goes_on(world: LabRun, before: dict[str, str]) -> None:
    """fe-leaf1a's session to fe-spine2 down before the deploy: wave 1 (fe-leaf1a, fe-spine1) keeps
    the rules with that link out (fe-leaf1b still has fe-spine2), so it runs; the session is not
    required by its verify, and fe-leaf1a's routes need one path, not two. Every router ends on its
    new config (fe-spine2's commit in wave 2 takes the shutdown away: the session up again)."""
    _shut(world, "fe-spine2", "fe-leaf1a")
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 0, out + err
    assert "wave 1: fe-leaf1a: BGP session to fe-spine2 (" in out and "down before this wave" in out, out
    assert {r["device"] for r in events(world, "down-before") if r["wave"] == 1} == {"fe-leaf1a", "fe-spine2"}
    assert not events(world, "gate-refused") and not events(world, "unhealthy")
    states = judge(world, before, out)
    assert {n for n, s in states.items() if s == "new"} == {"fe-spine1", "fe-spine2", "fe-leaf1a", "fe-leaf1b"}, states
    world.converge()  # every designed session Established again, read from the routers


def _paths(world: LabRun, leaf: str, prefix: str) -> int:
    """The active BGP next hops of ``prefix`` in ``leaf``'s zebra (0: no route)."""
    routes = json.loads(world.lab.vtysh(leaf, f"show ip route {prefix} json") or "{}").get(prefix, [])
    return sum(1 for r in routes if r.get("protocol") == "bgp" and r.get("selected")
               for nh in r.get("nexthops", []) if nh.get("active"))


def test_the_paths_each_leaf_keeps_with_links_down_are_those_the_verify_requires(world: LabRun,
                                                                                 before: dict[str, str]) -> None:
    """be-leaf-su1-r1's session to be-spine1 and be-leaf-su2-r2's to be-spine2 shut: each backend
    leaf's BGP next hops to every other leaf's block, read from its zebra, are exactly the widths
    the deploy's verify then requires (``expectations`` with those links cut): one path where a
    spine is lost, none between su1-r1 and su2-r2 (no spine in common), two elsewhere."""
    _shut(world, "be-spine1", "be-leaf-su1-r1")
    _shut(world, "be-spine2", "be-leaf-su2-r2")
    cut = frozenset({frozenset(("be-spine1", "be-leaf-su1-r1")), frozenset(("be-spine2", "be-leaf-su2-r2"))})
    want = {(leaf.name, r.prefix): r.width for leaf in world.design.backend.devices if leaf.role == "leaf"
            for r in expectations(world.design, cut)[leaf.name].routes}
    assert sorted(set(want.values())) == [0, 1, 2]
    deadline = time.monotonic() + 30
    while True:
        have = {(leaf, prefix): _paths(world, leaf, prefix) for leaf, prefix in want}
        if have == want or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert have == want


def test_a_link_down_that_would_cut_off_a_leaf_refuses_the_wave(world: LabRun, before: dict[str, str]) -> None:
    """fe-leaf1b's session to fe-spine2 down: draining fe-spine1 in wave 1 would leave fe-leaf1b no
    spine; the gate refuses before anything is touched (it refused for any session down before)."""
    _shut(world, "fe-spine2", "fe-leaf1b")
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 1, out + err
    refused = events(world, "gate-refused")
    assert refused and refused[0]["wave"] == 1
    assert any("fe-leaf1b-fe-spine2 down" in r and "fe-leaf1b" in r for r in refused[0]["reasons"]), refused
    assert not events(world, "unhealthy"), "a link down is not a sick switch"
    assert not events(world, "drained") and not events(world, "commit"), "the gate stops before anything is touched"
    assert judge(world, before, out, broken=("fe-spine2",)) == {n: "old" for n in before if n != "fe-spine2"}


def test_sshd_stopped_on_a_device_of_a_later_wave(world: LabRun, before: dict[str, str]) -> None:
    bg = world.start_deploy("--commit")
    bg.wait_for("wave 1: commit fe-leaf1a, fe-spine1")
    world.kill("fe-leaf1b", "sshd")
    code, out, err = bg.finish()
    assert code == 1, out + err
    assert [r["wave"] for r in events(world, "gate-refused")] == [2], "wave 1 done, wave 2 refused"
    assert "fe-leaf1b" in {r["device"] for r in events(world, "unhealthy")}
    states = judge(world, before, out)
    assert states["fe-spine1"] == states["fe-leaf1a"] == "new"
    assert states["fe-spine2"] == states["fe-leaf1b"] == "old"
    res = world.deploy("--commit")  # fe-leaf1b still without sshd: nothing committed, and how to go on said
    assert res.returncode == 1, res.stdout + res.stderr
    hint = "stopped: load failed on fe-leaf1b, nothing committed; to go on without it: --exclude fe-leaf1b "
    assert hint in res.stdout and not events(world, "commit"), res.stdout
    assert "fe-leaf1b: unreachable: ConnectionException: " in res.stderr, res.stderr
    res = world.deploy("--commit", "--exclude", "fe-leaf1b")  # as said
    assert res.returncode == 0, res.stdout + res.stderr
    assert "fe-leaf1b: its drain state cannot be read" in res.stdout and "out of service for the rollout rules" in res.stdout
    assert config_state(before["fe-spine2"], world.running("fe-spine2"), {NEW}) == "new"


def test_a_commit_the_daemon_refuses_is_rolled_back_and_read_back(world: LabRun, before: dict[str, str]) -> None:
    # The new frontend p2p pool gives fe-leaf1a 10.1.9.1: an address fe-spine1 already holds on
    # lo, so its bgpd refuses the neighbor ("local system") although vtysh -C accepts the candidate.
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, ("p2p: 10.1.1.0/24", "p2p: 10.1.9.0/24")))
    world.ip("fe-spine1", "addr", "add", "10.1.9.1/32", "dev", "lo")
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 1, out + err
    assert "fe-spine1" in {r["device"] for r in events(world, "commit-failed")}, out + err
    assert {r["device"] for r in events(world, "rolled-back")} == {"fe-leaf1a", "fe-spine1"}, "wave 1, restored"
    assert all(r["read_back"] for r in events(world, "rolled-back"))
    assert not events(world, "verified")
    assert "10.1.9." not in world.saved("fe-spine1")
    for name, old in before.items():
        assert world.running(name) == old, f"{name} does not run its old config"



def _mtus(world: LabRun, device: str) -> dict[str, int]:
    """The MTU of each fabric port of ``device``, read from its namespace's kernel."""
    ports = {p.name for d in world.design.devices() if d.name == device for p in d.ports}
    out = subprocess.run(["ip", "-n", world.lab.topology.switch(device).netns, "-j", "link", "show"],
                         capture_output=True, text=True, check=True, timeout=10).stdout
    return {link["ifname"]: link["mtu"] for link in json.loads(out) if link["ifname"] in ports}


def _pending(world: LabRun, device: str) -> bool:
    """Whether ``device`` has a commit pending confirmation, read from the switch by its NAPALM driver."""
    with get_network_driver("frr")(**world.lab.napalm_args(device)) as dev:
        return bool(dev.has_pending_commit())


def _refused_mtu_change(world: LabRun, before: dict[str, str]) -> None:
    """A frontend MTU of 9000 (links.sh) with the p2p pool fe-spine1's bgpd refuses (the test above):
    fe-leaf1a commits (its links at 9000) and wave 1 is rolled back; every router runs its old config."""
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, ("p2p: 10.1.1.0/24", "p2p: 10.1.9.0/24"),
                                       MTU_9000))
    world.ip("fe-spine1", "addr", "add", "10.1.9.1/32", "dev", "lo")
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 1, out + err
    assert "fe-leaf1a" in {r["device"] for r in events(world, "commit")}, "its commit (and its MTU) went through"
    assert {r["device"] for r in events(world, "rolled-back")} == {"fe-leaf1a", "fe-spine1"}, out + err
    for name, config in before.items():
        assert world.running(name) == config, f"{name} does not run its old config"


def test_a_rollback_restores_the_kernel_settings_too(world: LabRun, before: dict[str, str]) -> None:
    """A frontend MTU rides links.sh, a kernel setting outside frr.conf: only when fe-leaf1a's links
    carry their old MTU again, read from its kernel, may the report say it was rolled back."""
    old = _mtus(world, "fe-leaf1a")
    assert old and set(old.values()) == {9216}
    _refused_mtu_change(world, before)
    assert _mtus(world, "fe-leaf1a") == old, "rolled back, its links carry the old MTU again"


@pytest.fixture
def unrecorded(world: LabRun, before: dict[str, str]) -> dict[str, int]:
    """fe-leaf1a as a switch aifab never committed to: its record of kernel settings deleted, its
    fabric ports set by hand to an MTU aifab never wrote. Those MTUs."""
    for device in ("fe-leaf1a", "fe-spine1"):
        for name in ("kernel.json", "rollback.kernel.json"):
            (node_dir(world.lab.state_dir, device) / "frr" / "napalm" / name).unlink(missing_ok=True)
    for port in _mtus(world, "fe-leaf1a"):
        world.ip("fe-leaf1a", "link", "set", "dev", port, "mtu", "9100")
    return _mtus(world, "fe-leaf1a")


def test_a_first_deploy_rolled_back_takes_its_kernel_settings_back(world: LabRun, before: dict[str, str],
                                                                   unrecorded: dict[str, int]) -> None:
    """As above on a switch aifab never committed to: the MTU fe-leaf1a had before the commit is
    read from its kernel at that commit, and put back by the rollback (read back again)."""
    assert unrecorded and set(unrecorded.values()) == {9100}
    _refused_mtu_change(world, before)
    assert _mtus(world, "fe-leaf1a") == unrecorded, "rolled back, its links carry the MTU they had before again"


def test_the_output_reader_gone_at_drain_is_a_hang_up_the_deploy_stops_safely_from(world: LabRun,
                                                                                    before: dict[str, str]) -> None:
    """``aifab deploy --commit | head``, the reader gone while wave 1 drains (as an SSH session that
    drops): the next write fails, which used to raise out of the wave (rich's SystemExit on a broken
    pipe) with both switches left drained and ``ok`` in the audit log. It is taken as SIGHUP: the
    safe stop rolls the wave back and undrains, exit 130, the audit log says interrupted and not ok;
    every router runs its old config, none drained. (SIGINT at the drain: the nox test below.)"""
    read, write = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "aifab", *world.deploy_args("--commit")], stdout=write,
                            stderr=subprocess.PIPE, text=True, env=world.env)
    os.close(write)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while b"wave 1: drain fe-leaf1a, fe-spine1" not in seen and time.monotonic() < deadline:
            if select.select([read], [], [], 1)[0]:
                chunk = os.read(read, 65536)
                if not chunk:
                    break
                seen += chunk
    finally:
        os.close(read)  # the reader goes away: the deploy's next write fails
    assert b"wave 1: drain fe-leaf1a, fe-spine1" in seen, seen.decode()
    try:
        code = proc.wait(timeout=180)
    finally:
        proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    assert code == 130, err
    assert "SIGHUP" in err and "stopping safely" in err and "aborted at once" not in err, err
    assert {r["device"] for r in events(world, "rolled-back")} == {"fe-leaf1a", "fe-spine1"}
    end = events(world, "end")[-1]
    assert end["interrupted"] is True and end["ok"] is False and end["still_drained"] == []
    assert set(judge(world, before, "").values()) == {"old"}, "a router left drained fails judge: nothing printed it"


@pytest.fixture
def small_disk(world: LabRun) -> Iterator[Path]:
    """A 4 MB tmpfs of its own for the deploy's output, unmounted after."""
    mount = world.build.parent / "small-disk"
    mount.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True, timeout=30)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False, timeout=30)


def test_a_disk_that_fills_mid_wave_stops_the_deploy_safely(world: LabRun, before: dict[str, str], small_disk: Path) -> None:
    """The output's file system full once wave 1 drains (filled as the drain is printed): the audit log
    and journal cannot be written, which used to raise out of the wave (a traceback, exit 1, both
    switches left drained). The deploy stops safely as on an interrupt: the wave restored to its
    snapshots, exit 1, ``stopped:`` naming the file and the error, the events the audit log could not
    take on stderr, every line of the file whole; judged on the routers: each runs its old config,
    none drained. Before that, snapshots that cannot be written stop the deploy, nothing touched."""
    args = [sys.executable, "-m", "aifab", "deploy", str(world.intent), "-o", str(small_disk), "--lab",
            "--verify-timeout", "30", "--commit"]
    (small_disk / "snapshots").write_text("")  # not a directory: no snapshot can be written
    res = subprocess.run(args, capture_output=True, text=True, timeout=300, env=world.env)
    assert res.returncode == 1 and f"{small_disk}/snapshots/" in res.stderr and "cannot write the snapshots" in res.stderr
    assert "nothing touched" in res.stderr and "Traceback" not in res.stderr, res.stdout + res.stderr
    assert world.configs() == before
    (small_disk / "snapshots").unlink()
    err = small_disk.parent / "small-disk.err"
    with err.open("w") as stderr:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True, env=world.env)
        out = ""
        try:
            for line in proc.stdout or ():
                out += line
                if "wave 1: drain fe-leaf1a, fe-spine1" in line:
                    subprocess.run(["dd", "if=/dev/zero", f"of={small_disk / 'filler'}", "bs=64k"], capture_output=True, timeout=30)
            code = proc.wait(timeout=300)
        finally:
            proc.kill()
    said = err.read_text()
    assert code == 1 and "Traceback" not in said, out + said
    assert re.search(r"stopped: wave 1: the (journal|audit log) \S+ cannot be written \(No space left on device\)", out), out
    unwritten = [json.loads(line) for line in said.splitlines() if line.startswith("{")]
    assert "cannot be written (No space left on device)" in said and unwritten[-1]["event"] == "end", said
    assert unwritten[-1]["still_drained"] == [] and unwritten[-1]["ok"] is False
    for line in (small_disk / "audit.jsonl").read_text().splitlines():
        json.loads(line)  # whole
    for name, old in before.items():
        now = world.running(name)
        assert GSHUT not in now and config_state(old, now, {NEW}) == "old", f"{name} does not run its old config"


def test_ctrl_c_in_nox_s_deploy_stops_safely(world: LabRun, before: dict[str, str]) -> None:
    """``nox -s deploy -- ... --commit``, Ctrl-C at the drain: the terminal signals nox and the deploy
    together; nox waits for the deploy's safe stop (by default it sends SIGTERM 0.3 s later, which the
    deploy took as a second signal: aborted at once, both switches left drained)."""
    bg = world.start_nox_deploy("--commit")
    bg.wait_for("wave 1: drain fe-leaf1a, fe-spine1")
    bg.signal(signal.SIGINT)
    code, out, err = bg.finish()
    assert code == 130, out + err
    said = out + err  # nox sends the deploy's stderr to its stdout
    assert "stopping safely" in said and "aborted at once" not in said, said
    assert {r["device"] for r in events(world, "rolled-back")} == {"fe-leaf1a", "fe-spine1"}
    assert "still drained by this deploy: none" in out
    assert set(judge(world, before, out).values()) == {"old"}


# Ctrl-C at the steps of a wave the tests above do not stop at, one deploy after another on the
# same lab (no rebuild between them): the line the deploy prints as the step starts, and the config
# each router must run afterwards: a wave's old one while its change is not verified (the wave
# restored), its new one once confirmed (undrained). Run 3 finishes wave 1, so run 4's only wave
# is the old wave 2.
WAVE1, WAVE2 = ("fe-leaf1a", "fe-spine1"), ("fe-leaf1b", "fe-spine2")
STEPS = [
    ("wave 1: waiting for traffic to move off fe-leaf1a, fe-spine1", ()),
    ("wave 1: reset the BGP sessions of fe-leaf1a, fe-spine1", ()),
    ("wave 1: verified; soaking", WAVE1),
    ("wave 1: waiting for traffic to come back to fe-leaf1b, fe-spine2", WAVE1 + WAVE2),
]


def test_sigint_at_each_further_step_leaves_every_router_old_or_new_and_nothing_drained(
        world: LabRun, before: dict[str, str]) -> None:
    for step, new in STEPS:
        bg = world.start_deploy("--commit")
        bg.wait_for(step)
        bg.signal(signal.SIGINT)
        code, out, err = bg.finish()
        assert code == 130, f"{step}: {out + err}"
        assert "stopping safely" in err and events(world, "end")[-1]["interrupted"] is True, step
        assert "still drained by this deploy: none" in out, f"{step}: {out}"
        for name, old in before.items():
            now = world.running(name)
            assert GSHUT not in now, f"{step}: {name} left drained"
            assert config_state(old, now, {NEW}) == ("new" if name in new else "old"), f"{step}: {name}"


def _wait_audit(world: LabRun, since: int, event: str, device: str, timeout: float = 60) -> None:
    """Wait for ``event`` of ``device`` among the audit records after the first ``since`` (the
    deploy just started: an earlier run's records must not count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(r["event"] == event and r["device"] == device for r in world.audit()[since:]):
            return
        time.sleep(0.05)
    raise AssertionError(f"no {event} of {device} in the audit log within {timeout}s")


def test_sigint_after_commit_ends_in_a_safe_state(world: LabRun, before: dict[str, str]) -> None:
    seen = len(world.audit())
    bg = world.start_deploy("--commit")
    _wait_audit(world, seen, "commit", "fe-spine1")
    bg.signal(signal.SIGINT)
    code, out, err = bg.finish()
    assert code == 130, out + err
    states = judge(world, before, out)
    assert "still drained by this deploy: none" in out
    assert all(states[n] == "old" for n in ("fe-spine2", "fe-leaf1b")), states
    for n in ("fe-spine2", "fe-leaf1b"):  # the summary names the wave a --resume runs them in
        row = next(line for line in out.splitlines() if f"│ {n} " in line)
        assert [c.strip() for c in row.split("│")[3:5]] == ["2", "not started"], row


def test_sigterm_during_verify_of_a_later_wave_then_resume(world: LabRun, before: dict[str, str]) -> None:
    bg = world.start_deploy("--commit")
    bg.wait_for("waiting for the designed sessions and routes of fe-leaf1b, fe-spine2")
    bg.signal(signal.SIGTERM)
    code, out, err = bg.finish()
    assert code == 130, out + err
    states = judge(world, before, out)
    assert states["fe-spine1"] == states["fe-leaf1a"] == "new", "wave 1 was done before the interrupt"
    assert states["fe-spine2"] == states["fe-leaf1b"] == "old"
    assert "still drained by this deploy: none" in out
    now = {name: world.running(name) for name in before}
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, (TIMERS[0], TIMERS[1].replace("hold_s: 15", "hold_s: 18"))))
    res = world.cli(*world.deploy_args("--resume"))  # another change than the halted plan's: refused
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, TIMERS))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "the build of fe-leaf1a, fe-leaf1b, fe-spine[1-2] is not the one the halted rollout" in res.stderr, res.stderr
    assert {name: world.running(name) for name in before} == now, "refused before any device was touched"
    res = world.cli(*world.deploy_args("--resume"))  # continues the halted plan from its journal
    assert res.returncode == 0, res.stdout + res.stderr
    assert "fe-spine1" not in {r["device"] for r in events(world, "commit")}, "wave 1 is not redone"
    assert {r["wave"] for r in events(world, "commit")} <= {2}
    for name in ("fe-spine1", "fe-spine2", "fe-leaf1a", "fe-leaf1b"):
        assert config_state(before[name], world.running(name), {NEW}) == "new", name


def test_second_sigint_aborts_at_once_and_says_what_it_leaves(world: LabRun, before: dict[str, str]) -> None:
    bg = world.start_deploy("--commit")
    bg.wait_for("for traffic to move off fe-leaf1a, fe-spine1")
    bg.signal(signal.SIGINT)
    time.sleep(0.05)
    bg.signal(signal.SIGINT)
    code, out, err = bg.finish(timeout=30)
    assert code == 130, out + err
    assert "aborted at once" in err and "fe-spine1" in err.split("aborted at once")[1]
    assert events(world, "aborted")[-1]["may_be_drained"] == ["fe-leaf1a", "fe-spine1"]
    check = err.split("Check with: ")[1].split(";")[0].split()  # the command it prints, run as printed
    assert check[:4] == ["aifab", "drain", "INTENT", "--status"], check  # the devices it may leave (and those in hand)
    assert {"fe-leaf1a", "fe-spine1"} <= set(check[4:]) <= {"fe-leaf1a", "fe-leaf1b", "fe-spine1", "fe-spine2"}, check
    status = world.cli(*[str(world.intent) if a == "INTENT" else a for a in check[1:]], "--lab")
    assert status.returncode == 0, status.stdout + status.stderr
    drained = GSHUT in world.running("fe-spine1")
    assert f"fe-spine1: {'drained' if drained else 'not drained'}" in status.stdout
    # the first signal's restore may have settled a switch's pending drain before the second came: read the switches
    pending = {name: _pending(world, name) for name in ("fe-spine1", "fe-leaf1a")}
    printed = err.split("undrain now with: ")[1].split()  # run as printed: with this deploy's output, whose journal
    assert printed[:3] == ["aifab", "undrain", "INTENT"] and "fe-spine1" in printed, printed  # lists its pending commits
    # drained by hand first (kept out for a look): the pending drain rolled back, as its timer would (which
    # would also undo a drain made on top of it), then drained; before, refused busy "that no deploy into
    # this output left", which this output's journal says it did
    args = [str(world.intent) if a == "INTENT" else a for a in printed[2:] if a != "fe-leaf1a"]
    drain = world.cli("drain", *args)
    assert drain.returncode == 0, drain.stdout + drain.stderr
    first = "a pending commit rolled back first, as its device timer would; " if pending["fe-spine1"] else ""
    assert f"fe-spine1: {first}drained (read back)" in drain.stdout, drain.stdout
    assert not _pending(world, "fe-spine1") and GSHUT in world.running("fe-spine1")
    undrain = world.cli("undrain", *args)
    assert undrain.returncode == 0, undrain.stdout + undrain.stderr
    assert "fe-spine1: undrained (read back)" in undrain.stdout, undrain.stdout
    assert not _pending(world, "fe-spine1")
    assert world.running("fe-spine1") == before["fe-spine1"], "the drain under the device timer undone, nothing else"
    # the next deploy, not resumed: fe-leaf1a's pending drain rolled back while loading; what the
    # aborted deploy left drained is aifab's, not drained by hand: the change made, nothing left drained
    res = world.deploy("--commit")
    assert res.returncode == 0, res.stdout + res.stderr
    rolled = "fe-leaf1a: a commit pending confirmation" in res.stdout and bool(events(world, "pending-rolled-back"))
    assert rolled == pending["fe-leaf1a"], res.stdout
    assert "drained before this deploy" not in res.stdout and not events(world, "held")
    for dev in world.design.frontend.devices:
        now = world.running(dev.name)
        assert GSHUT not in now and NEW in now, f"{dev.name}: drained, or without the change"


def test_a_switch_drained_by_hand_is_changed_but_never_undrained_nor_counted_in_service(world: LabRun,
                                                                                        before: dict[str, str]) -> None:
    """fe-spine1 drained by hand (``aifab drain``) before the deploy of a change to every frontend
    switch: it stays out of service for the rollout rules, so draining fe-spine2 too would leave the
    frontend leaves no uplink: no wave is planned (exit 2), nothing touched, no candidate left
    loaded. Deployed alone (``--limit``; an MTU change, which it can verify alone: a timer is only
    negotiated once its peers change too), it gets its change committed with its drain kept: no
    drain step, no undrain. Read from the routers: fe-spine1's ports run the new MTU and it is still
    drained, running and saved; every other router runs its old config and MTUs."""
    res = world.cli("drain", str(world.intent), "--lab", "fe-spine1")
    assert res.returncode == 0, res.stdout + res.stderr
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 2, out + err
    assert "fe-spine1: drained before this deploy, not by it" in out
    assert "fe-spine2" in err and "keeps 0.0 % of its uplink bandwidth" in err, out + err
    assert not events(world, "commit") and not events(world, "drained")
    left = [n for n in before if (node_dir(world.lab.state_dir, n) / "frr" / "napalm" / "candidate.conf").exists()]
    assert not left, f"candidates left loaded on {left}"
    old_mtus = {n: _mtus(world, n) for n in ("fe-spine1", "fe-leaf1a")}
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, MTU_9000))
    code, out, err = world.start_deploy("--commit", "--limit", "fe-spine1").finish()
    assert code == 0, out + err
    assert "fe-spine1: drained before this deploy and changed: its build is committed with the drain kept" in out
    assert [r["device"] for r in events(world, "commit")] == ["fe-spine1"]
    assert not events(world, "drained") and not events(world, "undrained"), "no drain step, no undrain"
    assert set(_mtus(world, "fe-spine1").values()) == {9000} != set(old_mtus["fe-spine1"].values())
    assert _mtus(world, "fe-leaf1a") == old_mtus["fe-leaf1a"]
    now = world.running("fe-spine1")
    assert GSHUT in now and GSHUT in world.saved("fe-spine1"), "still drained, running and saved"
    assert now.replace(GSHUT + "\n", "") == before["fe-spine1"]
    for name, old in before.items():
        if name != "fe-spine1":
            assert world.running(name) == old, f"{name} does not run its old config"


def test_a_spine_drained_by_hand_during_the_deploy_is_counted_out_and_its_partners_wave_refused(
        world: LabRun, before: dict[str, str]) -> None:
    """fe-spine1 drained by hand (vtysh: ``aifab drain`` is refused while the deploy holds its lock)
    while wave 1, which undrained it and saw its traffic back, soaks: wave 2's gate reads it drained,
    not by this deploy, and counts it out of service, so draining fe-spine2 too would leave the
    frontend leaves no uplink: the wave is refused, exit 1, fe-spine2 and fe-leaf1b never drained and
    on their old config, fe-spine1 left drained (before: the gate knew only the switches drained when
    the deploy started; wave 2 drained both spines)."""
    bg = world.start_deploy("--commit")
    bg.wait_for("wave 1: traffic back on fe-leaf1a, fe-spine1")  # then a soak of 2 s before wave 2's gate
    spine = next(d for d in world.design.frontend.devices if d.name == "fe-spine1")
    zebra = world.pid("fe-spine1", "zebra")
    subprocess.run(["nsenter", "-t", str(zebra), "-n", "-m", "-u", "vtysh", "-c", "configure terminal", "-c",
                    f"router bgp {spine.asn}", "-c", "bgp graceful-shutdown"], check=True, timeout=30)
    code, out, err = bg.finish()
    assert code == 1, out + err
    assert "wave 2: fe-spine1: drained since this deploy started, not by it: left drained" in out, out
    assert [r["wave"] for r in events(world, "gate-refused")] == [2], out
    assert {r["device"] for r in events(world, "held")} == {"fe-spine1"}
    assert {r["device"] for r in events(world, "drained")} == {"fe-leaf1a", "fe-spine1"}, "wave 2 never drained"
    now = world.running("fe-spine1")
    assert GSHUT in now and config_state(before["fe-spine1"], now.replace(GSHUT + "\n", ""), {NEW}) == "new"
    for name in ("fe-spine2", "fe-leaf1b"):
        assert world.running(name) == before[name], f"{name}: not on its old config, or drained"


def test_a_partner_drained_at_the_same_instant_backs_the_wave_off(world: LabRun, before: dict[str, str]) -> None:
    """fe-spine2 drained (vtysh, as another deploy or an operator would) while wave 1 drains fe-spine1:
    wave 1's gate read fe-spine2 in service. Once its own drain is done, before anything is
    committed, the deploy reads the wave's partners again: fe-spine2 drained, not by it, would leave
    the frontend leaves no uplink in service, so it backs off: fe-leaf1a and fe-spine1 restored
    (undrained) and nothing committed, exit 1, the reason said (before: "traffic did not move off it",
    or, had the other drain come after that wait, both spines drained and changed at once).
    Read from the routers: every one on its old config, fe-spine2 alone drained (not this deploy's)."""
    bg = world.start_deploy("--commit")
    bg.wait_for("wave 1: drain fe-leaf1a, fe-spine1")
    spine = next(d for d in world.design.frontend.devices if d.name == "fe-spine2")
    subprocess.run(["nsenter", "-t", str(world.pid("fe-spine2", "zebra")), "-n", "-m", "-u", "vtysh", "-c",
                    "configure terminal", "-c", f"router bgp {spine.asn}", "-c", "bgp graceful-shutdown"], check=True, timeout=30)
    code, out, err = bg.finish()
    assert code == 1, out + err
    assert "wave 1: fe-spine2: drained meanwhile, not by this deploy: out of service for the rollout rules" in out, out
    assert "stopped: wave 1: backed off (fe-spine2 is out of service since the gate" in " ".join(out.split()), out
    assert [r["wave"] for r in events(world, "backed-off")] == [1] and not events(world, "commit"), out
    assert {r["device"] for r in events(world, "rolled-back")} == {"fe-leaf1a", "fe-spine1"}
    for name, old in before.items():
        now = world.running(name)
        if name == "fe-spine2":
            assert GSHUT in now and now.replace(GSHUT + "\n", "") == old, "drained by another: left as it is"
        else:
            assert now == old, f"{name}: not on its old config, or drained"


def test_a_hitless_change_with_a_spine_drained_by_hand_verifies_the_paths_left(world: LabRun,
                                                                                before: dict[str, str]) -> None:
    """fe-spine1 drained by hand, then a hitless change to every frontend switch (the timer knob at
    ``next-reset``: one wave, no drain step): the leaves' routes now go through fe-spine2 alone (a
    drained spine's paths are the least preferred), and the verify requires the paths left, not the
    designed two: it used to fail every leaf ("1 BGP paths, expected 2") and roll the wave back.
    Read from the routers: each frontend router runs the new timers, fe-spine1 still drained."""
    res = world.cli("drain", str(world.intent), "--lab", "fe-spine1")
    assert res.returncode == 0, res.stdout + res.stderr
    lab_intent(world.intent, CLUSTER, (WAIT, TIMERS))  # bgp_timers next-reset: hitless
    code, out, err = world.start_deploy("--commit").finish()
    assert code == 0, out + err
    assert "fe-spine1: drained before this deploy and changed" in out
    assert {r["device"] for r in events(world, "verified")} == {"fe-spine1", "fe-spine2", "fe-leaf1a", "fe-leaf1b"}
    assert not events(world, "drained") and not events(world, "rolled-back")
    assert GSHUT in world.running("fe-spine1"), "left drained as found"
    for name, old in before.items():
        now = world.running(name).replace(GSHUT + "\n", "")
        assert config_state(old, now, {NEW}) == ("new" if name.startswith("fe-") else "old"), name


def test_a_timer_change_limited_to_one_switch_is_pending_with_its_peers_left_out(world: LabRun,
                                                                                  before: dict[str, str]) -> None:
    """The timer knob (reset-now) deployed to fe-spine1 alone (``--limit``): its peers, left out,
    still hold 9 s, so the reset sessions negotiate 9 s, not 15: reported pending until they are
    deployed too, not a failure rolled back after the verify timeout. Read from the routers:
    fe-spine1 runs the new timers, undrained; its peers their old config."""
    code, out, err = world.start_deploy("--commit", "--limit", "fe-spine1").finish()
    assert code == 0, out + err
    assert "fe-spine1: pending: hold time configured 15 s, negotiated 9 s on 2 sessions with switches left out" in out, out
    assert [r["device"] for r in events(world, "timers-pending")] == ["fe-spine1"]
    assert config_state(before["fe-spine1"], world.running("fe-spine1"), {NEW}) == "new"
    assert GSHUT not in world.running("fe-spine1"), "undrained"
    for name, old in before.items():
        if name != "fe-spine1":
            assert world.running(name) == old, f"{name} does not run its old config"


def test_drain_and_undrain_commands_read_back(world: LabRun) -> None:
    """``aifab drain`` reads back; it refuses, touching nothing, a drain that breaks a rollout rule
    with what is drained now (read from the switches): both backend spines at once, or the second
    while the first is drained, unless ``--force``."""
    res = world.cli("drain", str(world.intent), "--lab", "be-spine1", "be-spine2")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "be-leaf-su1-r1 keeps 0.0 % of its uplink bandwidth" in res.stderr and "nothing drained" in res.stderr
    assert GSHUT not in world.running("be-spine1") and GSHUT not in world.running("be-spine2")
    res = world.cli("drain", str(world.intent), "--lab", "be-spine1")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "be-spine1: drained (read back)" in res.stdout
    assert GSHUT in world.running("be-spine1") and GSHUT in world.saved("be-spine1")
    res = world.cli("drain", str(world.intent), "--lab", "be-spine2")
    assert res.returncode == 2 and "(drained now, or unreadable: be-spine1)" in res.stderr, res.stdout + res.stderr
    assert GSHUT not in world.running("be-spine2")
    res = world.cli("drain", str(world.intent), "--lab", "be-spine2", "--force")
    assert res.returncode == 0 and GSHUT in world.running("be-spine2"), res.stdout + res.stderr
    res = world.cli("undrain", str(world.intent), "--lab", "be-spine2")
    assert res.returncode == 0 and GSHUT not in world.running("be-spine2"), res.stdout + res.stderr
    status = world.cli("drain", str(world.intent), "--lab", "--status")  # every device when none is named
    assert "be-spine1: drained" in status.stdout and "be-spine2: not drained" in status.stdout
    assert len(re.findall(r"^\S+: (?:not )?drained$", status.stdout, re.MULTILINE)) == len(world.design.devices())
    res = world.cli("undrain", str(world.intent), "--lab")
    assert res.returncode == 2 and "name the devices" in res.stderr and GSHUT in world.running("be-spine1"), res.stderr
    res = world.cli("undrain", str(world.intent), "--lab", "be-spine1")
    assert res.returncode == 0, res.stdout + res.stderr
    assert GSHUT not in world.running("be-spine1")
    assert Path(world.lab.inventory, "hosts.yaml").is_file()


def _vtysh_running(world: LabRun, device: str) -> bool:
    return any(Path(f"/proc/{p}/comm").read_text().strip() == "vtysh"
               for p in netns_pids(world.lab.topology.switch(device).netns) if Path(f"/proc/{p}").exists())


def test_a_drain_at_the_same_instant_as_another_backs_off(world: LabRun, before: dict[str, str]) -> None:
    """``aifab drain fe-spine1`` while fe-spine2 is drained at the same instant (vtysh, as another
    drain from another machine would, after this one read it in service): once fe-spine1 is drained,
    the command reads the other switches again, finds both frontend spines drained (the leaves left no
    uplink) and backs off: fe-spine1 undrained again (read back), exit 1 (before: exit 0, both spines
    drained). Read from the routers: fe-spine1 on its config, not drained; fe-spine2 still drained."""
    bg = world.start("drain", str(world.intent), "--lab", "fe-spine1")
    bg.wait_for("drain fe-spine1")  # the rules were read with fe-spine2 in service: now the drain itself
    spine = next(d for d in world.design.frontend.devices if d.name == "fe-spine2")
    subprocess.run(["nsenter", "-t", str(world.pid("fe-spine2", "zebra")), "-n", "-m", "-u", "vtysh", "-c",
                    "configure terminal", "-c", f"router bgp {spine.asn}", "-c", "bgp graceful-shutdown"], check=True, timeout=30)
    code, out, err = bg.finish()
    assert code == 1, out + err
    said = " ".join(out.split())
    assert "backed off: fe-spine2 drained meanwhile (or unreadable): with fe-spine1 drained too it breaks a rollout rule: " in said
    assert "fe-leaf1a keeps 0.0 % of its uplink bandwidth" in said and "fe-spine1: undrained (read back)" in said, out
    assert world.running("fe-spine1") == before["fe-spine1"], "undrained again, on its config"
    other = world.running("fe-spine2")
    assert GSHUT in other and other.replace(GSHUT + "\n", "") == before["fe-spine2"], "the other's drain: left as it is"


def test_ctrl_c_during_a_drain_reports_every_device_as_its_router_says(world: LabRun) -> None:
    """SIGINT while ``aifab drain 'fe-*'`` has three switches drained and fe-spine2's in hand (its bgpd
    stopped, so the merge waits): the drain in hand finishes once bgpd goes on, is read back, and every
    device gets its line, each what its router runs, exit 0 (nothing left undone). It used to print
    "aifab: interrupted" alone, exit 130, while its threads finished the drains unsaid. A second SIGINT
    aborts at once, bgpd still stopped, naming the switch it may leave mid-drain."""
    fe = [d.name for d in world.design.devices() if d.fabric == "frontend"]
    drain = [sys.executable, "-m", "aifab", "drain", str(world.intent), "--lab", "--force"]
    bgpd = world.pid("fe-spine2", "bgpd")
    os.kill(bgpd, signal.SIGSTOP)
    try:
        proc = subprocess.Popen([*drain, "fe-*"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=world.env)
        deadline = time.monotonic() + 60
        while not all(GSHUT in world.running(n) for n in fe if n != "fe-spine2"):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        time.sleep(1)
        assert proc.poll() is None, "it waits for the drain in hand"
        os.kill(bgpd, signal.SIGCONT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "SIGINT: stopping" in err, out + err
        for name in fe:
            assert GSHUT in world.running(name) and f"\n{name}: drained (read back)\n" in out, out
        res = world.cli("undrain", str(world.intent), "--lab", "fe-spine2")
        assert res.returncode == 0 and GSHUT not in world.running("fe-spine2"), res.stdout + res.stderr
        os.kill(bgpd, signal.SIGSTOP)
        proc = subprocess.Popen([*drain, "fe-spine2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=world.env)
        deadline = time.monotonic() + 60
        while not _vtysh_running(world, "fe-spine2"):  # its merge, waiting on bgpd
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130 and "SIGINT again: aborted at once. May be left mid-drain: fe-spine2" in err, out + err
    finally:
        os.kill(bgpd, signal.SIGCONT)
        proc.kill()
    res = world.cli("undrain", str(world.intent), "--lab", "fe-*")
    assert res.returncode == 0 and not any(GSHUT in world.running(n) for n in fe), res.stdout + res.stderr


def test_the_device_timer_restores_the_snapshot_when_aifab_dies(world: LabRun, before: dict[str, str]) -> None:
    # SIGKILL: no handler runs; the device's own revert timer must bring back the config from
    # before the drain (not the drained one, which would keep graceful-shutdown).
    seen = len(world.audit())
    bg = world.start_deploy("--commit", "--revert-timer", "4", "--verify-timeout", "3")
    _wait_audit(world, seen, "commit", "fe-spine1")
    bg.signal(signal.SIGKILL)
    code, _, _ = bg.finish(timeout=30)
    assert code == -signal.SIGKILL
    deadline = time.monotonic() + 30  # frr-reload.py restores the running config, then writes it (vtysh write)

    def restored() -> bool:
        return world.running("fe-spine1") == before["fe-spine1"] and GSHUT not in world.saved("fe-spine1")

    while not restored() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.running("fe-spine1") == before["fe-spine1"], "the revert timer restored the pre-drain snapshot"
    assert GSHUT not in world.saved("fe-spine1") and NEW not in world.saved("fe-spine1")
    deadline = time.monotonic() + 15  # its wave partner: restored by its own 4 s timer if it had committed,
    while world.running("fe-leaf1a") != before["fe-leaf1a"] and time.monotonic() < deadline:
        time.sleep(0.5)               # else left drained by the kill (no handler ran), which --status shows
    for name, old in before.items():
        now = world.running(name)
        if name == "fe-leaf1a" and GSHUT in now:
            status = world.cli("drain", str(world.intent), "--lab", "--status", "fe-leaf1a")
            assert "fe-leaf1a: drained" in status.stdout, status.stdout + status.stderr
            now = now.replace(GSHUT + "\n", "")
        assert now == old, name


def test_the_device_timer_puts_back_the_kernel_settings_and_their_record(world: LabRun, before: dict[str, str]) -> None:
    """SIGKILL after fe-spine1 committed a new MTU (links.sh) under its timer: the timer puts back the
    old frr.conf and MTU (read from its kernel), and the record of its kernel settings, so the next
    snapshot (what the next deploy would restore) states the old MTU, not the reverted one."""
    old = _mtus(world, "fe-spine1")
    lab_intent(world.intent, CLUSTER, (WAIT, RESET_NOW, MTU_9000))
    seen = len(world.audit())
    bg = world.start_deploy("--commit", "--revert-timer", "4", "--verify-timeout", "3")
    _wait_audit(world, seen, "commit", "fe-spine1")
    bg.signal(signal.SIGKILL)
    assert bg.finish(timeout=30)[0] == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while (world.running("fe-spine1") != before["fe-spine1"] or _mtus(world, "fe-spine1") != old) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.running("fe-spine1") == before["fe-spine1"] and _mtus(world, "fe-spine1") == old
    with get_network_driver("frr")(**world.lab.napalm_args("fe-spine1")) as dev:
        links = json.loads(dev.get_candidate_snapshot())["links.sh"]
        states = dev.get_kernel_settings()
    assert f"mtu {next(iter(old.values()))}" in links and "mtu 9000" not in links, links
    assert not [label for label, s in states.items() if s["state"] == "differs"], states


def test_the_device_timer_undoes_a_drain_when_aifab_dies_before_the_commit(world: LabRun, before: dict[str, str]) -> None:
    """SIGKILL while wave 1 waits for traffic to move off: no handler runs and nothing was committed
    yet; each drained switch's own timer (drain_wait_s + --revert-timer) restores its snapshot."""
    bg = world.start_deploy("--commit", "--revert-timer", "4", "--verify-timeout", "3")
    bg.wait_for("for traffic to move off fe-leaf1a, fe-spine1")
    bg.signal(signal.SIGKILL)
    code, out, _ = bg.finish(timeout=30)
    assert code == -signal.SIGKILL
    assert "device revert timer 24s on fe-leaf1a, fe-spine1" in out, out  # drain_wait_s 20 here, + 4
    assert not events(world, "commit"), "killed before any commit"
    deadline = time.monotonic() + 60
    while any(world.running(n) != before[n] for n in ("fe-leaf1a", "fe-spine1")) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name, old in before.items():
        assert world.running(name) == old, f"{name}: the drain was not undone"
        assert GSHUT not in world.saved(name), f"{name}: a drained frr.conf is saved"



def test_a_commit_another_deploy_left_pending_is_never_rolled_back(world: LabRun, before: dict[str, str]) -> None:
    """A commit pending confirmation on fe-spine1 that no deploy into this output left (made with the
    FRR NAPALM driver, as another deploy, from another output or machine, holds one between its
    commit and its confirm): the deploy rolls nothing back and commits nothing, exit 3, the switch
    said busy, its pending commit kept for its owner (before: rolled back while loading, under the
    other deploy)."""
    mark = "ip prefix-list AIFAB-ELSEWHERE seq 5 permit 10.99.0.0/16"
    with get_network_driver("frr")(**world.lab.napalm_args("fe-spine1")) as dev:
        dev.load_replace_candidate(config=world.saved("fe-spine1") + mark + "\n")
        dev.commit_config(revert_in=120)
    try:
        res = world.cli("deploy", str(world.intent), "-o", str(world.build.parent / "elsewhere"), "--lab", "--commit")
        assert res.returncode == 3, res.stdout + res.stderr
        assert "fe-spine1: busy: a commit pending confirmation that no deploy into this output left" in res.stderr, res.stderr
        assert "stopped: another deploy's commit is pending on fe-spine1, nothing committed" in res.stdout, res.stdout
        assert _pending(world, "fe-spine1") and mark in world.running("fe-spine1"), "kept for the deploy that made it"
        run = [json.loads(line) for line in (world.build.parent / "elsewhere" / "audit.jsonl").read_text().splitlines()]
        assert not [r for r in run if r["event"] in ("commit", "snapshot", "drained", "pending-rolled-back")]
        for verb in ("undrain", "drain"):  # neither rolls back nor commits over another deploy's pending commit
            res = world.cli(verb, str(world.intent), "-o", str(world.build.parent / "elsewhere"), "--lab", "fe-spine1")
            assert res.returncode == 3, res.stdout + res.stderr
            assert "fe-spine1: failed: busy: a commit pending confirmation" in res.stdout, res.stdout
            assert _pending(world, "fe-spine1") and mark in world.running("fe-spine1"), f"{verb}: kept for its owner"
            assert GSHUT not in world.running("fe-spine1"), f"{verb}: nothing committed"
    finally:
        with get_network_driver("frr")(**world.lab.napalm_args("fe-spine1")) as dev:
            dev.rollback()
    assert world.running("fe-spine1") == before["fe-spine1"]
