"""Deploy safety parts that need no device: the lock, the audit log, credentials, expectations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aifab.deploy.guard import AuditLog, deploy_lock, deploy_running
from aifab.deploy.secrets import SecretsError, load_credentials
from aifab.deploy.tasks.expect import expectations
from aifab.design import build_design
from aifab.intent import load_intent

ROOT = Path(__file__).parents[1]


def test_lock_refuses_a_second_deploy_from_another_process(tmp_path: Path) -> None:
    with deploy_lock(tmp_path):
        code = ("import sys; from pathlib import Path; from aifab.deploy.guard import deploy_lock, LockedError\n"
                "try:\n    deploy_lock(Path(sys.argv[1])).__enter__()\nexcept LockedError as e:\n    print(e); sys.exit(3)\n")
        res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=30)
        assert res.returncode == 3
        assert f"pid {os.getpid()}" in res.stdout
    with deploy_lock(tmp_path):  # released after the first
        pass


def test_a_reader_sees_who_holds_the_lock_without_taking_it(tmp_path: Path) -> None:
    """``aifab drain --status`` reads during a deploy: it names the holder and never blocks the
    lock; a holder line left by a process that died (SIGKILL: no release ran) names no one."""
    assert deploy_running(tmp_path) is None  # no lock file
    with deploy_lock(tmp_path):
        assert deploy_running(tmp_path) == (tmp_path / ".aifab-deploy.lock").read_text().strip()
        assert deploy_running(tmp_path).startswith(f"pid {os.getpid()} user ")  # type: ignore[union-attr]
    assert deploy_running(tmp_path) is None  # released: the file is emptied
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, timeout=30)
    (tmp_path / ".aifab-deploy.lock").write_text(f"pid {dead.stdout.strip()} user ops since 2026-12-04T10:00:00+0000\n")
    assert deploy_running(tmp_path) is None
    with deploy_lock(tmp_path):  # and the lock is free to take
        pass


def test_the_lock_is_taken_on_a_full_disk_without_its_holder_line(tmp_path: Path) -> None:
    """Who holds the lock is a line for readers; the lock is the flock. With no byte writable (the
    file size limit, as a full disk) the lock is still taken and released (it used to raise)."""
    code = textwrap.dedent(f"""
        import resource
        from pathlib import Path
        from aifab.deploy.guard import deploy_lock, deploy_running
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        with deploy_lock(Path({str(tmp_path)!r})):
            print("held", deploy_running(Path({str(tmp_path)!r})))
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0 and res.stdout == "held None\n", res.stdout + res.stderr
    with deploy_lock(tmp_path):  # released
        pass


def test_audit_log_appends(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a" / "audit.jsonl", "run1")
    log.write("start", None, commit=True)
    log.write("commit", "be-spine1", wave=1)
    AuditLog(tmp_path / "a" / "audit.jsonl", "run2").write("start", None)
    records = [json.loads(line) for line in (tmp_path / "a" / "audit.jsonl").read_text().splitlines()]
    assert [(r["run"], r["event"], r["device"]) for r in records] == [
        ("run1", "start", None), ("run1", "commit", "be-spine1"), ("run2", "start", None)]
    assert records[1]["wave"] == 1


def test_a_full_disk_never_raises_out_of_an_audit_write_and_leaves_no_line_cut(tmp_path: Path) -> None:
    """A file size limit (RLIMIT_FSIZE: writes past it fail with EFBIG, as a full disk's with ENOSPC)
    cuts the third event mid-line: the write is taken back whole, ``lost`` says why, that event and
    every later one are kept in ``unwritten`` (never written after a hole), and no write raises."""
    path = tmp_path / "audit.jsonl"
    code = textwrap.dedent(f"""
        import json, resource
        from pathlib import Path
        from aifab.deploy.guard import AuditLog
        log = AuditLog(Path({str(path)!r}), "run1")
        log.write("start", None)
        size = Path({str(path)!r}).stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size * 2 + 40, resource.RLIM_INFINITY))
        log.write("commit", "be-spine1", wave=1)
        log.write("verified", "be-spine1", wave=1, note="x" * 200)  # past the limit
        log.write("undrained", "be-spine1", wave=1)  # would fit, but after a hole
        print(json.dumps({{"lost": log.lost, "unwritten": [json.loads(x)["event"] for x in log.unwritten]}}))
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"lost": "File too large", "unwritten": ["verified", "undrained"]}
    assert [json.loads(line)["event"] for line in path.read_text().splitlines()] == ["start", "commit"]
    assert path.read_text().endswith("\n")


def test_a_journal_that_cannot_be_written_keeps_the_last_one_whole(tmp_path: Path) -> None:
    """A journal write that fails (the file size limit) raises nothing: the file is the last journal
    written, no temporary file is left, ``lost`` says why; a later write that fits replaces it."""
    code = textwrap.dedent(f"""
        import resource
        from pathlib import Path
        from aifab.deploy.journal import Journal, read_journal
        out = Path({str(tmp_path)!r})
        j = Journal(out / "deploy-journal.json", "run1", "lab", "inv", "snaps", [["be-spine1"]], states={{"be-spine1": "pending"}})
        j.write()
        resource.setrlimit(resource.RLIMIT_FSIZE, (j.path.stat().st_size + 20, resource.RLIM_INFINITY))
        j.states["be-spine1"] = "drained" + "x" * 100
        j.write()
        print(j.lost, read_journal(out).states, sorted(p.name for p in out.iterdir()))
        j.states["be-spine1"] = "drained"
        j.write()
        print(read_journal(out).states)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["File too large {'be-spine1': 'pending'} ['deploy-journal.json']",
                                       "{'be-spine1': 'drained'}"]


def test_pending_commits_are_an_outputs_own_only_while_its_rollout_on_that_inventory_is_unfinished(tmp_path: Path) -> None:
    """A commit pending on a device is this output's (an undrain or a deploy rolls it back) only where
    the output's last rollout on the same inventory did not finish and planned that device; a
    finished rollout, another inventory, another output or no journal own none."""
    from aifab.deploy.journal import Journal, own_pending

    out, inv = tmp_path / "build", tmp_path / "inventory"
    out.mkdir()
    assert own_pending(out, inv) == frozenset()  # no journal
    j = Journal(out / "deploy-journal.json", "run1", "lab", str(inv), "snaps", [["fe-leaf1a", "fe-spine1"], ["fe-spine2"]],
                status="interrupted")
    j.write()
    assert own_pending(out, inv) == {"fe-leaf1a", "fe-spine1", "fe-spine2"}
    assert own_pending(out, tmp_path / "other-inventory") == frozenset()
    assert own_pending(tmp_path, inv) == frozenset()  # another output
    j.status = "done"
    j.write()
    assert own_pending(out, inv) == frozenset()


def test_credentials_from_env_and_file(tmp_path: Path) -> None:
    assert load_credentials({"AIFAB_USERNAME": "ops", "AIFAB_PASSWORD": "s3cret"}).username == "ops"
    assert "s3cret" not in repr(load_credentials({"AIFAB_USERNAME": "ops", "AIFAB_PASSWORD": "s3cret"}))
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("username: ops\npassword: pw\n")
    secrets.chmod(0o644)
    with pytest.raises(SecretsError, match="readable by others"):
        load_credentials({"AIFAB_SECRETS": str(secrets)})
    secrets.chmod(0o600)
    assert load_credentials({"AIFAB_SECRETS": str(secrets)}).password == "pw"
    inside = ROOT / ".pytest-secrets.yaml"
    try:
        inside.write_text("username: a\n")
        inside.chmod(0o600)
        with pytest.raises(SecretsError, match="inside a git work tree"):
            load_credentials({"AIFAB_SECRETS": str(inside)})
    finally:
        inside.unlink()
    secrets.write_text("user: ops\n")
    with pytest.raises(SecretsError, match="expected a mapping"):
        load_credentials({"AIFAB_SECRETS": str(secrets)})


def test_expectations_on_the_lab() -> None:
    design = build_design(load_intent(ROOT / "intent" / "lab.yaml").intent)
    exp = expectations(design)
    leaf = exp["be-leaf-su1-r1"]
    assert len(leaf.peers) == 2
    # every other backend leaf's server block, each over both uplinks (one per spine)
    assert len(leaf.routes) == 3 and {r.width for r in leaf.routes} == {2}
    assert exp["be-spine1"].routes == () and len(exp["be-spine1"].peers) == 4
    assert all(r.prefix.startswith("10.1.2.") for r in exp["fe-leaf1a"].routes)


@pytest.mark.parametrize(("args", "said"), [
    (["--revert-timer", "30"], "--revert-timer 30: must be longer than --verify-timeout (60s)"),
    (["--revert-timer", "60", "--verify-timeout", "60"], "--revert-timer 60: must be longer than --verify-timeout (60s)"),
    (["--verify-timeout", "0"], "--verify-timeout 0: must be more than 0 seconds"),
])
def test_deploy_timers_that_cannot_confirm_a_wave_exit_2_with_nothing_written(tmp_path: Path, args: list[str],
                                                                                said: str) -> None:
    # A revert timer no longer than the verify lets the switch restore its snapshot mid-verify (seen
    # in the lab: the wave then fails on "hold time 9s configured", the old config's, after the timeout).
    res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(ROOT / "intent" / "lab.yaml"), "--commit",
                          "-o", str(tmp_path / "build"), "--inventory", str(tmp_path / "nowhere"), *args],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 2, res.stdout + res.stderr
    assert said in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "build").exists(), "refused before the build is written"


@pytest.mark.parametrize(("args", "said"), [
    (["--lab"], "no running lab inventory (aifab lab up INTENT first)"),
    (["--resume"], "deploy-journal.json: no rollout journal to resume"),
])
def test_deploy_to_no_lab_or_resuming_nothing_exits_2_with_nothing_written(tmp_path: Path, args: list[str],
                                                                             said: str) -> None:
    intent = tmp_path / "nolab.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", "cluster: nolabhere"))
    res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(intent), "-o", str(tmp_path / "build"), *args],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert res.returncode == 2, res.stdout + res.stderr
    assert said in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "build").exists(), "refused before the build is written"
