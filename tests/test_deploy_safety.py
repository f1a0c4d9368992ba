"""Deploy safety parts that need no device: snapshot comparison, drain markers, the pre-wave
gate's capacity rule, device selection, the journal, signals, the inventory choice, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from aifab.commands.drain import chosen
from aifab.deploy.connect import SelectionError, select
from aifab.deploy.drain import broken_rules, drain_only, is_drained, marker
from aifab.deploy.guard import LockedError, deploy_lock
from aifab.deploy.health import blockers, down_links, gate_devices
from aifab.deploy.inputs import pick_inventory
from aifab.deploy.inventory_files import InventoryError
from aifab.deploy.journal import Journal, JournalError, journal_path, read_journal
from aifab.deploy.snapshot import difference, normalise
from aifab.deploy.tasks.expect import expectations, without_down
from aifab.design import build_design
from aifab.intent import load_intent
from aifab.plan.waves import Change, Wave
from aifab.render import drain_snippet, undrain_snippet

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
DESIGN = build_design(load_intent(LAB).intent)
DESIGN_DEVICES = {d.name: d for d in DESIGN.devices()}
NAMES = [d.name for d in DESIGN.devices()]


def test_normalise_keeps_what_the_device_means() -> None:
    running = "Building configuration...\n\nCurrent configuration:\n!\nhostname a  \n!\nrouter bgp 1\n bgp graceful-shutdown\nexit\n"
    assert normalise(running) == ["Building configuration...", "Current configuration:", "hostname a", "router bgp 1",
                                  " bgp graceful-shutdown", "exit"]
    assert difference(running, running.replace("!\n", "! a comment\n")) == ""
    diff = difference(running, running.replace(" bgp graceful-shutdown\n", ""))
    assert "- bgp graceful-shutdown" in diff and diff.startswith("--- snapshot")


@pytest.mark.parametrize(("device", "want"), [("fe-spine1", "bgp graceful-shutdown")])
def test_drain_marker_is_read_from_the_snippet(device: str, want: str) -> None:
    dev = next(d for d in DESIGN.devices() if d.name == device)
    m = marker(drain_snippet(DESIGN, dev))
    assert m == want
    assert marker(undrain_snippet(DESIGN, dev)) == f"no {want}"
    assert is_drained("router bgp 1\n bgp graceful-shutdown\nexit\n", m)
    assert not is_drained("router bgp 1\nexit\n", m)
    assert marker("maintenance\n   unit System\n      quiesce\n") == "quiesce"


def _wave(*devices: str, kind: str = "drain") -> Wave:
    return Wave(1, tuple(Change(d, kind, "") for d in devices), ())  # type: ignore[arg-type]


def test_gate_covers_the_wave_and_its_redundancy_group() -> None:
    assert gate_devices(DESIGN, _wave("fe-spine1")) == ["fe-spine1", "fe-spine2"]
    assert gate_devices(DESIGN, _wave("fe-leaf1a")) == ["fe-leaf1a", "fe-leaf1b"]


def test_gate_counts_capacity_from_what_is_up() -> None:
    wave = _wave("fe-spine1")
    assert blockers(DESIGN, wave, {}) == []
    down = blockers(DESIGN, wave, {"fe-spine2": "bgpd is not running"})
    assert down and all(d.startswith("with fe-spine2 down: ") for d in down)  # simulated as the planner does
    assert "fe-leaf1a keeps 0.0 % of its uplink bandwidth" in down[0]
    sick = blockers(DESIGN, wave, {"fe-spine1": "BGP session to 10.1.1.1 not Established"})
    assert sick == ["fe-spine1: not healthy (BGP session to 10.1.1.1 not Established)"]
    assert blockers(DESIGN, _wave("fe-spine1", kind="initial"), {"fe-spine2": "down"}) == [], "no drain, no capacity rule"
    # a rail leaf is cordoned (its servers are out anyway): another SU's broken leaf does not count
    assert blockers(DESIGN, _wave("be-leaf-su1-r1", kind="cordon"), {"be-leaf-su2-r1": "down"}) == []
    held = blockers(DESIGN, wave, {}, frozenset({"fe-spine2"}))  # drained before the deploy: as good as down
    assert held and all(d.startswith("with fe-spine2 down: ") for d in held)


def test_a_link_down_before_the_wave_is_cut_not_a_sick_device() -> None:
    """A session down before the wave (a broken optic) cuts its link in the wave's simulation:
    fe-leaf1a's link to fe-spine2 down leaves fe-leaf1a nothing when fe-spine1 drains (refused);
    fe-leaf1b's spines are both in reach, and with fe-leaf1a drained too its own link does not matter."""
    spine2 = {"fe-leaf1a": {"10.1.1.2": "fe-spine2"}}
    cut = blockers(DESIGN, _wave("fe-spine1"), {}, frozenset(), spine2)
    assert cut and all(c.startswith("with fe-leaf1a-fe-spine2 down: ") for c in cut), cut
    assert any("fe-leaf1a keeps 0.0 % of its uplink bandwidth" in c for c in cut)
    assert blockers(DESIGN, _wave("fe-leaf1a", "fe-spine1"), {}, frozenset(), spine2) == []
    leaf1b = {"fe-leaf1b": {"10.1.1.6": "fe-spine2"}}
    assert blockers(DESIGN, _wave("fe-leaf1a", "fe-spine1"), {}, frozenset(), leaf1b), "fe-leaf1b cut off from both spines"
    # a rule broken already by what is down counts only when the wave makes it worse: fe-leaf1a and
    # fe-leaf1b both cut from fe-spine2 keep 50 % (the lab's floor); at a floor of 75 % that is broken
    # before any wave; a backend wave does not touch it, draining fe-spine2 keeps it as it is
    both = {**spine2, **leaf1b}
    strict = replace(DESIGN, upgrade=replace(DESIGN.upgrade, min_capacity_pct=75))
    assert blockers(strict, _wave("be-leaf-su1-r1", kind="cordon"), {}, frozenset(), both) == []
    assert blockers(strict, _wave("fe-spine2"), {}, frozenset(), both) == []
    assert blockers(strict, _wave("fe-spine1"), {}, frozenset(), both), "the spine they still have"


def test_down_links_name_the_peer_and_verify_does_not_require_them() -> None:
    leaf = next(d for d in DESIGN.devices() if d.name == "fe-leaf1a")
    to_spine2 = next(n for n in leaf.neighbors if n.peer == "fe-spine2")
    down = down_links(DESIGN, {"fe-leaf1a": [to_spine2.peer_address, "192.0.2.9"], "fe-leaf1b": []})
    assert down == {"fe-leaf1a": {to_spine2.peer_address: "fe-spine2", "192.0.2.9": "192.0.2.9"}}
    expect = expectations(DESIGN)
    relaxed = without_down(expect["fe-leaf1a"], down)
    assert to_spine2.peer_address not in relaxed.peers and "fe-spine2" not in relaxed.peer_names
    assert len(relaxed.peers) == len(expect["fe-leaf1a"].peers) - 1
    assert relaxed.routes == expect["fe-leaf1a"].routes, "the routes lost are expectations' cut, not this"
    assert without_down(expect["fe-leaf1b"], down) == expect["fe-leaf1b"]


def _widths(expect: dict, leaf: str) -> dict[str, tuple[int, bool]]:
    return {r.prefix: (r.width, r.at_least) for r in expect[leaf].routes}


def test_with_links_down_each_leaf_needs_the_paths_left_to_it_and_no_more() -> None:
    """The lab's two-tier fabrics (spines share an ASN): a leaf cut from a spine has one path less to
    every leaf, and every leaf has one path less to it; a leaf pair with no spine in common has none."""
    full = expectations(DESIGN)
    assert {w for leaf in ("fe-leaf1a", "be-leaf-su1-r1") for w in _widths(full, leaf).values()} == {(2, False)}
    block = {leaf: DESIGN_DEVICES[leaf].server_subnets[0] for leaf in ("fe-leaf1a", "fe-leaf1b", "be-leaf-su1-r1",
                                                                       "be-leaf-su1-r2", "be-leaf-su2-r2")}
    cut = expectations(DESIGN, frozenset({frozenset(("fe-leaf1a", "fe-spine2"))}))
    assert _widths(cut, "fe-leaf1a")[block["fe-leaf1b"]] == (1, True)
    assert _widths(cut, "fe-leaf1b")[block["fe-leaf1a"]] == (1, True), "fe-spine2 has no route to fe-leaf1a"
    assert cut["be-leaf-su1-r1"] == full["be-leaf-su1-r1"], "the other fabric keeps its exact widths"
    two = expectations(DESIGN, frozenset({frozenset(("be-leaf-su1-r1", "be-spine1")), frozenset(("be-leaf-su2-r2", "be-spine2"))}))
    assert _widths(two, "be-leaf-su1-r1")[block["be-leaf-su2-r2"]] == (0, True), "no spine in common"
    assert _widths(two, "be-leaf-su1-r1")[block["be-leaf-su1-r2"]] == (1, True)
    assert _widths(two, "be-leaf-su1-r2")[block["be-leaf-su1-r1"]] == (1, True)
    assert _widths(two, "be-leaf-su1-r2")[block["be-leaf-su2-r2"]] == (1, True)
    others = [b for leaf, b in block.items() if leaf.startswith("be-") and leaf not in ("be-leaf-su1-r1", "be-leaf-su2-r2")]
    assert {_widths(two, "be-leaf-su2-r1")[b] for b in others} == {(2, True)}, "untouched pairs keep the full width"


def test_three_tiers_a_spine_reaches_its_own_pod_only_directly_and_other_pods_through_a_core(tmp_path: Path) -> None:
    """Pods of spines under two cores per plane (spines of a pod share an ASN, so do the cores): a
    spine cut from a leaf of its pod has no route to it (the way round through a core comes back to
    its own ASN); a spine cut from one core still reaches every pod through the other; a spine
    cut from both reaches only its pod; a far spine cut from both cores is lost to every other pod."""
    from tests.test_deadlock import THREE_TIERS

    (tmp_path / "intent.yaml").write_text(THREE_TIERS)
    design = build_design(load_intent(tmp_path / "intent.yaml").intent)
    block = {d.name: d.server_subnets[0] for d in design.backend.devices if d.tier == 1}
    mate, spine = "be-leaf-su1-r2", "be-spine-p1-1"

    def widths(*pairs: tuple[str, str]) -> dict[str, int]:
        routes = expectations(design, frozenset(frozenset(p) for p in pairs))[mate].routes
        return {leaf: next(r.width for r in routes if r.prefix == b) for leaf, b in block.items() if leaf != mate}

    assert set(widths(("be-leaf-su1-r1", spine)).items()) == {("be-leaf-su1-r1", 1)} | {
        (leaf, 2) for leaf in block if leaf not in (mate, "be-leaf-su1-r1")}
    assert set(widths((spine, "be-core1-1")).values()) == {2}
    cut_off = widths((spine, "be-core1-1"), (spine, "be-core1-2"))
    assert cut_off["be-leaf-su1-r1"] == 2 and {w for leaf, w in cut_off.items() if not leaf.startswith("be-leaf-su1-")} == {1}
    far = widths(("be-spine-p2-1", "be-core1-1"), ("be-spine-p2-1", "be-core1-2"))
    assert far["be-leaf-su2-r1"] == far["be-leaf-su2-r2"] == 1
    assert {w for leaf, w in far.items() if not leaf.startswith("be-leaf-su2-")} == {2}


def test_a_diff_that_only_takes_the_drain_away_is_no_change() -> None:
    frr = next(d for d in DESIGN.devices() if d.name == "fe-spine1")
    snippet = drain_snippet(DESIGN, frr)
    undrained = "Lines To Delete\n===============\nrouter bgp 4200000100\n no bgp graceful-shutdown\n"
    assert drain_only(undrained, snippet)
    assert not drain_only(undrained + "\nLines To Add\n============\nrouter bgp 4200000100\n timers bgp 5 15\n", snippet)
    assert not drain_only("", snippet) and not drain_only("Lines To Add\n============\nrouter bgp 1\n bgp graceful-shutdown\n", snippet)
    eos = "maintenance\n   unit System\n      quiesce\n"  # EOS's drain, as napalm's eos driver diffs it away
    assert drain_only("@@ -40,5 +40,3 @@\n maintenance\n-   unit System\n-      quiesce\n    profile bgp AIFAB-DRAIN\n", eos)
    assert not drain_only("@@ -40,4 +40,3 @@\n maintenance\n-   unit System\n-      quiesce\n+   mtu 9000\n", eos)


def test_drains_that_break_a_rollout_rule() -> None:
    """``aifab drain`` refuses what a deploy's wave may not do (lab: min_capacity_pct 50, two spines)."""
    assert broken_rules(DESIGN, {"be-spine1"}) == [] and broken_rules(DESIGN, {"be-leaf-su1-r1", "fe-spine2"}) == []
    both = broken_rules(DESIGN, {"be-spine1", "be-spine2"})
    assert "be-leaf-su1-r1 keeps 0.0 % of its uplink bandwidth (< 50 %)" in both
    assert any(p.startswith("no path left between") for p in both)
    assert broken_rules(DESIGN, {"fe-leaf1a", "fe-leaf1b"}) == ["both leaves of frontend pair 1 (fe-leaf1a, fe-leaf1b) at once"]


def test_select_by_globs() -> None:
    assert select(NAMES, ["fe-*"], None) == [n for n in NAMES if n.startswith("fe-")]
    assert select(NAMES, None, ["be-*", "fe-leaf*"]) == ["fe-spine1", "fe-spine2"]
    with pytest.raises(SelectionError, match="no device matches --limit nope") as err:
        select(NAMES, ["nope*"], None)
    assert err.value.exit_code == 2
    # one glob of several matching nothing (a typo) is an error too, for --limit and for --exclude
    with pytest.raises(SelectionError, match=r"no device matches --limit fe-spine9$"):
        select(NAMES, ["fe-spine1", "fe-spine9"], None)
    with pytest.raises(SelectionError, match=r"no device matches --exclude be-spine01$"):
        select(NAMES, ["be-*"], ["be-spine01"])
    with pytest.raises(SelectionError, match="no device left: --limit fe-spine1 --exclude fe-"):
        select(NAMES, ["fe-spine1"], ["fe-*"])


def test_resume_refuses_a_build_that_is_not_the_halted_plans(tmp_path: Path) -> None:
    """An intent edited between the interrupt and ``--resume`` would be rolled out in waves planned
    for another change (a hitless plan's one wave draining every spine at once): refused, exit 2,
    before any device is reached; the same build goes on to the devices (here unreachable: exit 1)."""
    from aifab.deploy.inputs import inventory_drivers, rendered_from
    from aifab.deploy.journal import build_digest, changed_builds

    inv = _inventory(tmp_path)
    first = _deploy(tmp_path, "--inventory", str(inv))  # writes the build; no device answers
    assert first.returncode == 1, first.stdout + first.stderr
    rendered = rendered_from(DESIGN, tmp_path / "build", inventory_drivers(inv))
    builds = {n: rendered.digest(n) for n in rendered.configs}
    plan = [["fe-leaf1a", "fe-spine1"], ["fe-leaf1b", "fe-spine2"]]

    def halted(recorded: dict[str, str]) -> Journal:
        j = Journal(journal_path(tmp_path / "build"), "run1", "lab", str(inv), "", plan, status="interrupted", builds=recorded)
        j.write()
        return j

    def resumed() -> tuple[subprocess.CompletedProcess[str], list[str]]:
        audit = tmp_path / "build" / "audit.jsonl"
        seen = len(audit.read_text().splitlines())
        res = _deploy(tmp_path, "--inventory", str(inv), "--resume")
        return res, [json.loads(x)["event"] for x in audit.read_text().splitlines()[seen:]]

    stale = {n: builds[n] for n in ("fe-leaf1a", "fe-leaf1b", "fe-spine2")} | {"fe-spine1": build_digest("mtu 9100")}
    assert changed_builds(halted(stale), builds) == ["fe-spine1"]
    res, events = resumed()
    assert res.returncode == 2, res.stdout + res.stderr
    assert "the build of fe-spine1 is not the one the halted rollout run1 planned" in res.stderr
    assert "deploy without --resume to plan this one" in res.stderr and events == [], "refused before the audit's start"
    assert changed_builds(halted({}), builds) == [n for wave in plan for n in wave], "an older journal cannot tell"
    assert resumed()[0].returncode == 2
    halted({n: builds[n] for wave in plan for n in wave})
    res, events = resumed()  # the build it planned: resumed, then the devices do not answer
    assert res.returncode == 1 and events[0] == "start", res.stdout + res.stderr


def test_drain_names_every_pattern_and_sorts_naturally() -> None:
    names = ["be-spine10", "be-spine2", "be-spine1", "fe-leaf1a"]
    assert chosen(names, ["be-spine*"]) == ["be-spine1", "be-spine2", "be-spine10"]
    with pytest.raises(SelectionError, match="no switch of the intent matches be-spine3: nothing done") as err:
        chosen(names, ["be-spine1", "be-spine3"])  # a typo: be-spine1 is not drained alone
    assert err.value.exit_code == 2


def test_journal_round_trip_and_refusals(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="no rollout journal"):
        read_journal(tmp_path)
    j = Journal(journal_path(tmp_path), "run1", "lab", "/inv", str(tmp_path / "snapshots" / "run1"),
                [["fe-spine1"], ["fe-spine2"]], {"fe-spine1": "drain"}, {"fe-spine1": "pending"})
    j.write()
    j.state("fe-spine1", "committed")
    j.status = "halted"
    j.write()
    back = read_journal(tmp_path)
    assert back.states == {"fe-spine1": "committed"} and back.waves == [["fe-spine1"], ["fe-spine2"]]
    j.status = "done"
    j.write()
    with pytest.raises(JournalError, match="finished"):
        read_journal(tmp_path)
    journal_path(tmp_path).write_text("{not json")
    with pytest.raises(JournalError, match="unreadable") as err:
        read_journal(tmp_path)
    assert err.value.exit_code == 2
    # a journal edited or cut by hand: each field of its type, no key it does not have (tracebacks before)
    good = j.record() | {"status": "halted"}
    for edit, said in (({"waves": [[1]]}, "waves.0.0: Input should be a valid string"),
                       ({"states": []}, "states: Input should be a valid dictionary"),
                       ({"extra": 1}, "unknown key 'extra'"), ({"path": "/x"}, "unknown key 'path'")):
        journal_path(tmp_path).write_text(json.dumps(good | edit))
        with pytest.raises(JournalError, match=re.escape(f"not a rollout journal ({said})")):
            read_journal(tmp_path)
    journal_path(tmp_path).write_text("[]")
    with pytest.raises(JournalError, match=re.escape("not a rollout journal (not a JSON object)")):
        read_journal(tmp_path)


def test_inventory_is_chosen_explicitly(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "hosts.yaml").write_text("{}\n")
    out = tmp_path / "build"
    assert pick_inventory(out, None) == out / "inventory", "never the lab's unless asked"
    assert pick_inventory(out, None, lab) == lab
    assert pick_inventory(out, tmp_path / "given", lab) == tmp_path / "given"
    with pytest.raises(InventoryError, match="no running lab"):
        pick_inventory(out, None, tmp_path / "no-lab")


def _python(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``code`` run by a Python process of its own (signals sent to it end only it), with aifab importable."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


def test_first_signal_asks_to_stop_second_aborts_with_130() -> None:
    code = textwrap.dedent("""
        import os, signal, sys
        from aifab.deploy.signals import Interrupts
        i = Interrupts(lambda s: print("abort", s, flush=True), lambda s: print("notice", s, flush=True))
        with i:
            os.kill(os.getpid(), signal.SIGTERM)
            assert i.requested and i.sleep(5) is False
            print("still running", flush=True)
            os.kill(os.getpid(), signal.SIGINT)
            print("not reached", flush=True)
    """)
    res = _python(code)
    assert res.returncode == 130, res.stdout + res.stderr
    assert res.stdout.splitlines() == ["notice SIGTERM", "still running", "abort SIGINT"]


def test_a_hang_up_asks_to_stop_and_a_second_one_never_aborts() -> None:
    """SIGHUP (the terminal went away) is a first signal like SIGTERM; another SIGHUP during the safe
    stop changes nothing (nobody is there to ask for an abort); SIGINT still aborts at once."""
    code = textwrap.dedent("""
        import os, signal
        from aifab.deploy.signals import Interrupts
        i = Interrupts(lambda s: print("abort", s, flush=True), lambda s: print("notice", s, flush=True))
        with i:
            os.kill(os.getpid(), signal.SIGHUP)
            assert i.requested and i.signal_name == "SIGHUP"
            os.kill(os.getpid(), signal.SIGHUP)
            print("still running", flush=True)
            os.kill(os.getpid(), signal.SIGINT)
            print("not reached", flush=True)
    """)
    res = _python(code)
    assert res.returncode == 130, res.stdout + res.stderr
    assert res.stdout.splitlines() == ["notice SIGHUP", "still running", "abort SIGINT"]


def test_output_whose_reader_went_away_never_raises_and_hangs_up_once() -> None:
    """Within kept_output, a write to a pipe nobody reads (EPIPE) is swallowed, as is every later
    one, and the process gets SIGHUP once; outside it, the streams are the real ones again."""
    code = textwrap.dedent("""
        import os, signal, sys
        from aifab.deploy.output import kept_output
        hups = []
        signal.signal(signal.SIGHUP, lambda n, f: hups.append(n))
        read, write = os.pipe()
        os.close(read)
        real = sys.stdout
        sys.stdout = os.fdopen(write, "w", buffering=1)
        with kept_output():
            for n in range(3):
                print("line", n)
                sys.stdout.flush()
        sys.stdout = real
        os.write(2, f"hups={len(hups)} restored={sys.stderr is sys.__stderr__}".encode())
    """)
    res = _python(code)
    assert res.returncode == 0, res.stderr
    assert res.stderr.endswith("hups=1 restored=True"), res.stderr


def test_an_interrupt_during_a_drain_touches_no_other_device_and_reports_each(tmp_path: Path) -> None:
    """``aifab drain``'s guard on a real Nornir run (one worker: the devices go one by one): SIGINT
    while the first device's drain is in hand lets it finish; the others are not started (their
    task never runs), each device gets its line, exit 130. (The lab test drains real switches.)"""
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n" for n in ("sw1", "sw2", "sw3")))
    code = textwrap.dedent(f"""
        import io, os, signal, time
        from nornir import InitNornir
        from nornir.core.task import Result
        from rich.console import Console
        from aifab.commands.drain import _Progress, _report
        from aifab.deploy.signals import Interrupts
        nr = InitNornir(runner={{"plugin": "threaded", "options": {{"num_workers": 1}}}}, logging={{"enabled": False}},
                        inventory={{"plugin": "SimpleInventory", "options": {{"host_file": {str(hosts)!r}}}}})
        progress, ran = _Progress(), []
        def drain(t):
            ran.append(t.host.name)
            os.kill(os.getpid(), signal.SIGINT)  # while the first drain is in hand
            while not progress.stop.requested:
                time.sleep(0.01)
            return Result(host=t.host, result="drained")
        with Interrupts(lambda s: print("abort"), lambda s: None) as progress.stop:
            res = nr.run(task=progress.guard(drain), on_failed=True)
        out = io.StringIO()
        code = _report(Console(file=out, width=200), ["sw1", "sw2", "sw3"], res, "drain", progress.signal)
        print(code, ran, sorted(progress.started), sorted(progress.done))
        print(out.getvalue(), end="")
    """)
    res = _python(code)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines() == [
        "130 ['sw1'] ['sw1'] ['sw1']",
        "sw1: drained (read back)",
        "sw2: not started (drain interrupted by SIGINT: not touched)",
        "sw3: not started (drain interrupted by SIGINT: not touched)",
        "interrupted: 2 of 3 devices not drained: sw2 sw3",
    ]


def test_a_signal_while_a_wait_checks_its_flag_never_hangs_the_deploy() -> None:
    """SIGINT lands at any instruction of a wait, also where the wait holds a lock (the handler used
    to set a threading.Event there and waited forever on the lock its own wait held: a deploy hung
    at its soak). 300 signals into zero-length waits; the process ends within the timeout."""
    code = textwrap.dedent("""
        import os, random, signal, threading
        from aifab.deploy.signals import Interrupts
        for n in range(300):
            i = Interrupts(lambda s: None, lambda s: None)
            with i:
                t = threading.Timer(random.random() * 0.0005, os.kill, (os.getpid(), signal.SIGINT))
                t.start()
                while i.sleep(0):
                    pass
                t.join()
        print("done", n + 1, flush=True)
    """)
    res = _python(code, timeout=60)
    assert res.returncode == 0 and res.stdout.split() == ["done", "300"], res.stdout + res.stderr


def _inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "hosts.yaml").write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n  port: 1\n  platform: frr\n" for n in NAMES))
    return inv


def _deploy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIFAB_USERNAME": "nobody", "AIFAB_PASSWORD": "nothing", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "aifab", "deploy", str(LAB), "-o", str(tmp_path / "build"), *args],
                          capture_output=True, text=True, timeout=180, env=env)


def test_a_locked_inventory_exits_3(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)
    with deploy_lock(inv):
        res = _deploy(tmp_path, "--inventory", str(inv))
    assert res.returncode == 3 == LockedError.exit_code, res.stdout + res.stderr
    assert "another deploy of this inventory is running" in res.stderr
    assert not (tmp_path / "build").exists(), "refused, yet the build was written"


def _locked_elsewhere(inventory: Path) -> bool:
    """Another process is refused the deploy lock of ``inventory`` now."""
    probe = ("import sys; from pathlib import Path; from aifab.deploy.guard import LockedError, deploy_lock\n"
             "try:\n    with deploy_lock(Path(sys.argv[1])): pass\nexcept LockedError: sys.exit(3)")
    res = subprocess.run([sys.executable, "-c", probe, str(inventory)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode in (0, 3), res.stderr
    return res.returncode == 3


def test_the_lock_is_reentrant_in_one_process_and_released_by_the_outer_block(tmp_path: Path) -> None:
    with deploy_lock(tmp_path):
        with deploy_lock(tmp_path):
            assert _locked_elsewhere(tmp_path)
        assert _locked_elsewhere(tmp_path), "the inner block does not release the outer one's lock"
    assert not _locked_elsewhere(tmp_path)


def test_the_inventory_is_locked_while_the_build_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock is taken before the build (not only probed): a deploy that starts while another
    one builds is refused, it cannot rewrite that build. Seen from another process during the build."""
    import aifab.pipeline
    from aifab.cli import main

    inv = _inventory(tmp_path)
    seen: list[bool] = []
    real = aifab.pipeline.build

    def build(*args: object, **kwargs: object) -> aifab.pipeline.BuildResult:
        seen.append(_locked_elsewhere(inv))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aifab.pipeline, "build", build)
    monkeypatch.setenv("AIFAB_USERNAME", "nobody")
    monkeypatch.setenv("AIFAB_PASSWORD", "nothing")
    code = main(["deploy", str(LAB), "-o", str(tmp_path / "build"), "--inventory", str(inv), "--limit", "fe-spine1"])
    assert code == 1, "built, then nothing answers on port 1"
    assert seen == [True]
    assert not _locked_elsewhere(inv), "released at the end"


def test_a_first_builds_inventory_is_locked_before_anything_is_written(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No build yet, so no inventory to lock before it: the deploy makes and locks the build's own
    inventory once the Design is built, before the first file is written (a second deploy into the
    same new directory is refused before it rewrites anything). Seen from another process."""
    import aifab.pipeline
    from aifab.cli import main

    inv = tmp_path / "build" / "inventory"
    seen: list[tuple[bool, list[str]]] = []
    real = aifab.pipeline.write_tables

    def write_tables(*args: object, **kwargs: object) -> list[Path]:
        seen.append((_locked_elsewhere(inv), sorted(p.name for p in (tmp_path / "build").rglob("*"))))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aifab.pipeline, "write_tables", write_tables)
    monkeypatch.setenv("AIFAB_USERNAME", "nobody")
    monkeypatch.setenv("AIFAB_PASSWORD", "nothing")
    code = main(["deploy", str(LAB), "-o", str(tmp_path / "build"), "--limit", "fe-spine1"])
    assert code == 1, "built, then its management address does not answer"
    assert seen == [(True, [".aifab-deploy.lock", "inventory"])], "locked, and nothing else written yet"
    assert (inv / "hosts.yaml").is_file()
    assert not _locked_elsewhere(inv), "released at the end"


def test_a_deploy_refused_by_the_lock_leaves_the_running_deploys_build_alone(tmp_path: Path) -> None:
    """The build's own inventory locked by a deploy in progress: a second deploy (another intent)
    exits 3 before its build would rewrite the first one's configs and inventory."""
    first = _deploy(tmp_path)  # builds, then cannot connect (port 1): its build stays
    assert first.returncode == 1 and (tmp_path / "build" / "inventory" / "hosts.yaml").is_file(), first.stderr
    configs = {p.name: p.read_text() for p in (tmp_path / "build" / "configs").iterdir()}
    other = tmp_path / "other.yaml"
    other.write_text(LAB.read_text().replace('oversubscription: "1:3"\n', 'oversubscription: "1:3"\n  mtu: 9000\n', 1))
    with deploy_lock(tmp_path / "build" / "inventory"):
        env = {**os.environ, "AIFAB_USERNAME": "nobody", "AIFAB_PASSWORD": "nothing", "PYTHONPATH": str(ROOT / "src")}
        res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(other), "-o", str(tmp_path / "build")],
                             capture_output=True, text=True, timeout=180, env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert {p.name: p.read_text() for p in (tmp_path / "build" / "configs").iterdir()} == configs


def test_limit_matching_nothing_and_resume_without_journal_exit_2(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)
    res = _deploy(tmp_path, "--inventory", str(inv), "--limit", "nope-*")
    assert res.returncode == 2 and "no device matches --limit nope-*" in res.stderr, res.stderr
    res = _deploy(tmp_path, "--inventory", str(inv), "--resume")
    assert res.returncode == 2 and "no rollout journal to resume" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_limit_only_touches_matching_devices(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)
    res = _deploy(tmp_path, "--inventory", str(inv), "--limit", "fe-spine*")
    assert res.returncode == 1, res.stdout + res.stderr  # nothing listens: unreachable, one line each
    assert sorted(line.split(":")[0] for line in res.stderr.splitlines()) == ["fe-spine1", "fe-spine2"]
    start = next(json.loads(x) for x in (tmp_path / "build" / "audit.jsonl").read_text().splitlines())
    assert start["devices"] == ["fe-spine1", "fe-spine2"]


def test_resume_keeps_the_halted_plan_and_refuses_a_new_change(tmp_path: Path) -> None:
    from aifab.deploy.runner import _resumed_waves

    j = Journal(journal_path(tmp_path), "run1", "lab", "/inv", "", [["fe-spine1"], ["fe-spine2"], ["fe-leaf1a", "fe-leaf1b"]])
    left = [Change("fe-leaf1b", "drain", ""), Change("fe-spine2", "drain", "")]  # fe-spine1 done: no diff now
    waves = _resumed_waves(j, left)
    assert [(w.index, w.devices) for w in waves] == [(2, ("fe-spine2",)), (3, ("fe-leaf1b",))]
    with pytest.raises(JournalError, match="be-spine1 differ from the build but are not in the halted plan"):
        _resumed_waves(j, [*left, Change("be-spine1", "drain", "")])
