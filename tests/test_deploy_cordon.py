"""The scheduler hand-off (issue 11, item 5): cordon commands built without a shell, run for real
(small scripts that record their argv, one that fails, one that hangs), the operator's pause on a
real pseudo-terminal, and the intent's templates checked where they are written."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aifab.deploy.cordon import GRACE_S, CordonUsageError, Scheduler, kill_running, run_hook
from aifab.design import build_design
from aifab.design.model import Design
from aifab.errors import IntentError
from aifab.intent import load_intent
from aifab.plan.handoff import HandoffError, argvs, commands, compress, cordon_wave
from aifab.plan.waves import Wave, classify
from tests.test_plan_changes import edited

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
RECORD = """#!{python}
import json, sys
with open({out!r}, "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
"""
FAIL = "#!/bin/sh\necho 'scontrol: error: Invalid node name specified' >&2\nexit 3\n"


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(0o755)
    return path


class Audit:
    """The audit log's interface, kept in memory."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str | None, dict]] = []

    def write(self, event: str, device: str | None = None, **fields: object) -> None:
        self.events.append((event, device, fields))


def lab_with(**upgrade: object) -> Design:
    intent = load_intent(LAB).intent
    return edited(intent, **{f"upgrade__{k}": v for k, v in upgrade.items()})


def leaf_wave(design: Design, index: int = 2) -> Wave:
    """The rail leaves of SU 1 reloading: both of its servers cordoned."""
    by = {d.name: d for d in design.devices()}
    changes = tuple(classify(by[n], "+boot system flash:/EOS.swi\n") for n in ("be-leaf-su1-r1", "be-leaf-su1-r2"))
    return Wave(index, changes, (), tuple(sorted({s for c in changes for s in c.cordon})))


def test_compress_names_into_ranges() -> None:
    assert compress([f"srv-su1-{i:02d}" for i in range(1, 33)]) == ["srv-su1-[01-32]"]
    assert compress(["srv-su1-07", "srv-su1-01", "srv-su1-02", "srv-su10-01"]) == ["srv-su1-[01-02,07]", "srv-su10-01"]


def test_argv_split_once_each_value_one_word() -> None:
    design = lab_with(cordon_command="scontrol update nodename={hosts} state=drain 'reason={reason}'")
    cw = cordon_wave(design, leaf_wave(design))
    assert cw is not None and cw.servers == ("srv-su1-01", "srv-su1-02") and cw.gpus == 4
    (argv,) = argvs(design.upgrade.cordon_command, cw)
    assert argv == ["scontrol", "update", "nodename=srv-su1-01,srv-su1-02", "state=drain",
                    "reason=aifab lab wave 2: be-leaf-su1-r[1-2]"]
    per_host = argvs("kubectl cordon {host}", cw)
    assert per_host == [["kubectl", "cordon", "srv-su1-01"], ["kubectl", "cordon", "srv-su1-02"]]
    assert argvs("echo {hosts_range} {count} {gpus} {wave} {cluster}", cw) == [["echo", "srv-su1-[01-02]", "2", "4", "2", "lab"]]
    assert commands(design, cw)["cordon"] == [
        "scontrol update nodename=srv-su1-01,srv-su1-02 state=drain 'reason=aifab lab wave 2: be-leaf-su1-r[1-2]'"]
    assert commands(design, cw)["uncordon"] == []


def test_a_server_name_that_is_not_a_host_name_is_refused() -> None:
    design = lab_with()
    cw = cordon_wave(design, leaf_wave(design))
    assert cw is not None
    for bad in ("-rf", "srv;reboot", "srv $(id)", "a/b"):
        evil = type(cw)(cw.wave, (bad,), 0, cw.devices, cw.cluster)
        with pytest.raises(HandoffError, match="is not a host name"):
            argvs("scontrol update nodename={hosts}", evil)


@pytest.mark.parametrize(("template", "message"), [
    ("scontrol update nodename={nodes}", "unknown placeholder {nodes}"),
    ("{hosts} drain", "the program (first word) cannot be a placeholder"),
    ("scontrol 'unterminated", "cannot split the command"),
])
def test_bad_templates_are_located_intent_errors(tmp_path: Path, template: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(LAB.read_text() + f"  cordon_command: \"{template}\"\n")
    with pytest.raises(IntentError) as err:
        load_intent(path)
    line = len(LAB.read_text().splitlines()) + 1
    assert f"bad.yaml:{line}: upgrade.cordon_command: " in str(err.value) and message in str(err.value)


def test_run_hook_waits_and_reports_exit_status(tmp_path: Path) -> None:
    out = tmp_path / "argv.jsonl"
    rec = script(tmp_path, "record", RECORD.format(python=sys.executable, out=str(out)))
    assert run_hook([str(rec), "nodename=srv-su1-01", "reason=a b; rm -rf /"], 10) == ""
    assert json.loads(out.read_text()) == ["nodename=srv-su1-01", "reason=a b; rm -rf /"], "one word each, no shell"
    fail = script(tmp_path, "fail", FAIL)
    assert run_hook([str(fail), "x"], 10) == f"{fail} x: exit 3: scontrol: error: Invalid node name specified"
    hang = script(tmp_path, "hang", "#!/bin/sh\nexec sleep 30\n")
    started = time.monotonic()
    assert run_hook([str(hang)], 0.5) == f"{hang}: no exit after 0.5s (killed)"
    assert time.monotonic() - started < 5
    assert run_hook([str(tmp_path / "missing")], 1).endswith("cannot run (No such file or directory)")


def test_run_hook_stops_the_command_at_an_interrupt(tmp_path: Path) -> None:
    """The wait on a cordon command ends when the deploy is interrupted: the command gets SIGTERM
    (its own clean-up may run), SIGKILL if it ignores that; a wait without ``stopping`` goes on."""
    done = tmp_path / "done"
    polite = script(tmp_path, "polite", f"#!/bin/sh\ntrap 'echo term > {done}; exit 143' TERM\nsleep 30 & wait\n")
    deaf = script(tmp_path, "deaf", "#!/bin/sh\ntrap '' TERM\nsleep 30 & wait\nsleep 30\n")
    for cmd, bound in ((polite, 3.0), (deaf, GRACE_S + 3.0)):
        started = time.monotonic()
        assert run_hook([str(cmd)], 60, lambda t=started + 0.5: time.monotonic() > t) == \
            f"{cmd}: interrupted while waiting for it (stopped)"
        assert time.monotonic() - started < bound
    assert done.read_text() == "term\n", "SIGTERM first: the command's own clean-up ran"
    assert run_hook([str(polite)], 0.5, None) == f"{polite}: no exit after 0.5s (killed)"


def test_an_abort_at_once_kills_the_command_being_waited_on(tmp_path: Path) -> None:
    """A second signal ends the deploy at once (``os._exit``): the command it waits on, and what
    that command started, are killed first rather than left running on their own."""
    child = tmp_path / "child.pid"
    hang = script(tmp_path, "hang", f"#!/bin/sh\nsleep 60 &\necho $! > {child}\nwait\n")
    answer: list[str] = []
    waiting = threading.Thread(target=lambda: answer.append(run_hook([str(hang), "srv-su1-01"], 60)))
    waiting.start()
    deadline = time.monotonic() + 10
    while not (child.exists() and child.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kill_running() == [f"{hang} srv-su1-01"]
    waiting.join(10)
    assert answer == [f"{hang} srv-su1-01: exit -9"]
    pid = int(child.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z", "its sleep killed too"
    assert kill_running() == [], "nothing left to kill"


def test_scheduler_runs_cordon_then_uncordon_and_audits(tmp_path: Path) -> None:
    out = tmp_path / "argv.jsonl"
    rec = script(tmp_path, "record", RECORD.format(python=sys.executable, out=str(out)))
    design = lab_with(cordon_command=f"{rec} cordon {{hosts}} {{reason}}", uncordon_command=f"{rec} uncordon {{host}}")
    audit, said = Audit(), []
    sched = Scheduler(design, False, said.append, audit)
    wave = leaf_wave(design)
    assert sched.cordon(wave) == ""
    assert sched.servers == ["srv-su1-01", "srv-su1-02"]
    assert sched.uncordon(wave, []) == ""
    assert sched.servers == []
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    assert runs == [["cordon", "srv-su1-01,srv-su1-02", "aifab lab wave 2: be-leaf-su1-r[1-2]"],
                    ["uncordon", "srv-su1-01"], ["uncordon", "srv-su1-02"]]
    events = [e for e, _, _ in audit.events]
    assert events == ["cordon", "cordon", "cordon-command", "cordoned", "uncordon-command", "uncordon-command", "uncordoned"]
    assert any("wave 2: cordon srv-su1-[01-02] (2 servers, 4 GPUs)" in s for s in said)
    assert sched.cordon(Wave(3, (), ())) == "", "a wave without a cordon runs nothing"
    assert len(out.read_text().splitlines()) == 3


def test_a_failing_cordon_stops_and_is_undone(tmp_path: Path) -> None:
    out = tmp_path / "argv.jsonl"
    rec = script(tmp_path, "record", RECORD.format(python=sys.executable, out=str(out)))
    fail = script(tmp_path, "fail", FAIL)
    design = lab_with(cordon_command=f"{fail} {{hosts}}", uncordon_command=f"{rec} undo {{hosts}}")
    audit = Audit()
    sched = Scheduler(design, False, lambda _: None, audit)
    why = sched.cordon(leaf_wave(design))
    assert why == f"{fail} srv-su1-01,srv-su1-02: exit 3: scontrol: error: Invalid node name specified"
    assert json.loads(out.read_text()) == ["undo", "srv-su1-01,srv-su1-02"] and sched.servers == []
    assert ("cordon-failed", None) in [(e, d) for e, d, _ in audit.events]
    kept = Scheduler(lab_with(cordon_command=f"{fail} {{hosts}}"), False, lambda _: None, Audit())
    assert kept.cordon(leaf_wave(design)) and kept.servers == ["srv-su1-01", "srv-su1-02"], "nothing to undo it with"


def test_uncordon_keeps_the_servers_of_a_device_not_in_a_safe_state(tmp_path: Path) -> None:
    out = tmp_path / "argv.jsonl"
    rec = script(tmp_path, "record", RECORD.format(python=sys.executable, out=str(out)))
    design = lab_with(cordon_command=f"{rec} cordon {{hosts}}", uncordon_command=f"{rec} uncordon {{hosts}}")
    audit = Audit()
    sched = Scheduler(design, False, lambda _: None, audit)
    wave = leaf_wave(design)
    assert sched.cordon(wave) == "" and sched.uncordon(wave, ["be-leaf-su1-r1"]) == ""
    assert len(out.read_text().splitlines()) == 1 and sched.servers == ["srv-su1-01", "srv-su1-02"]
    assert audit.events[-1][0] == "cordon-kept"


def test_confirm_without_a_terminal_or_a_command_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "in").open("w+") as stdin, pytest.raises(CordonUsageError, match="--confirm-cordon needs a terminal"):
        Scheduler(lab_with(), True, lambda _: None, Audit(), stdin=stdin)
    rec = script(tmp_path, "record", RECORD.format(python=sys.executable, out=str(tmp_path / "o")))
    with (tmp_path / "in").open("w+") as stdin:  # a command to wait on: no terminal needed
        assert Scheduler(lab_with(cordon_command=f"{rec} {{hosts}}"), True, lambda _: None, Audit(), stdin=stdin).cordon(
            leaf_wave(lab_with())) == ""


@pytest.mark.parametrize(("answer", "ok"), [("yes\n", True), ("no\n", False)])
def test_confirm_pauses_for_the_operator_on_a_terminal(answer: str, ok: bool) -> None:
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "r", closefd=False) as tty:
            sched = Scheduler(lab_with(), True, lambda _: None, Audit(), stdin=tty)
            os.write(master, answer.encode())
            why = sched.cordon(leaf_wave(lab_with()))
        assert (why == "") is ok and (ok or "did not confirm" in why)
        assert sched.servers == (["srv-su1-01", "srv-su1-02"] if ok else [])
    finally:
        os.close(master)
        os.close(slave)


def test_confirm_wait_ends_on_an_interrupt() -> None:
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "r", closefd=False) as tty:
            sched = Scheduler(lab_with(), True, lambda _: None, Audit(), stopping=lambda: True, stdin=tty)
            assert sched.cordon(leaf_wave(lab_with())) == "interrupted while waiting for the operator"
    finally:
        os.close(master)
        os.close(slave)


def test_deploy_confirm_cordon_without_a_terminal_exits_2_before_touching_anything(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(LAB), "-o", str(tmp_path / "b"), "--commit",
                          "--confirm-cordon"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--confirm-cordon needs a terminal" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "b" / "audit.jsonl").exists() or "commit" not in (tmp_path / "b" / "audit.jsonl").read_text()


def test_review_shows_the_commands_the_deploy_will_run() -> None:
    design = lab_with(cordon_command="scontrol update nodename={hosts_range} state=drain reason={reason}",
                      uncordon_command="scontrol update nodename={hosts_range} state=resume")
    cw = cordon_wave(design, leaf_wave(design, 1))
    assert cw is not None
    assert commands(design, cw) == {
        "cordon": ["scontrol update 'nodename=srv-su1-[01-02]' state=drain 'reason=aifab lab wave 1: be-leaf-su1-r[1-2]'"],
        "uncordon": ["scontrol update 'nodename=srv-su1-[01-02]' state=resume"]}
    assert build_design(load_intent(LAB).intent).upgrade.cordon_command is None
