"""Cleanup without a running lab: leftovers after a crash, and a failed ``up`` (root; no FRR started)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import LabError, down, missing_requirements, up
from aifab.lab.system import alive, namespaces, netns_pids

pytestmark = pytest.mark.lab


@pytest.fixture
def can_run() -> None:
    missing = missing_requirements()
    if missing:
        pytest.skip("lab needs: " + "; ".join(missing))


def test_down_finds_leftovers_by_prefix_without_state(can_run: None, lab_design: Design, tmp_path: Path) -> None:
    design = dataclasses.replace(lab_design, cluster="labcrash")
    stray = "aifab-labcrash.stray"  # not in the Design, no state record: only the name prefix finds it
    subprocess.run(["ip", "netns", "add", stray], check=True)
    proc = subprocess.Popen(["ip", "netns", "exec", stray, "sleep", "60"])
    try:
        deadline = time.monotonic() + 5
        while not (pids := netns_pids(stray)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids
        removed = down(design, tmp_path / "state")
        assert removed == [stray]
        assert stray not in namespaces()
        proc.wait(timeout=10)
        assert not [p for p in pids if alive(p)]
    finally:
        proc.kill()
        if stray in namespaces():
            subprocess.run(["ip", "netns", "delete", stray], check=False)


def test_failed_up_removes_what_it_made(can_run: None, lab_design: Design, tmp_path: Path) -> None:
    design = dataclasses.replace(lab_design, cluster="labfail")
    state_dir = tmp_path / "state"
    with pytest.raises(LabError, match=r"be-spine1: cannot read rendered config .*be-spine1\.frr\.conf"):
        up(design, state_dir, configs=tmp_path / "no-configs")
    assert not [ns for ns in namespaces() if ns.startswith("aifab-labfail.")]
    assert not state_dir.exists()


def test_a_full_state_disk_fails_up_in_one_error_and_leaves_nothing(can_run: None, lab_design: Design,
                                                                    tmp_path: Path) -> None:
    """The lab's state on a file system with no room (a 300 kB tmpfs, half of what it needs, as a
    full /run): ``up`` fails with one LabError naming the file system's error, every namespace it
    made removed. A write or an ssh-keygen that failed used to raise out of ``aifab lab up``: a
    traceback. Each size the lab stops at, from the first file to its last, gives one LabError."""
    design = dataclasses.replace(lab_design, cluster="labfull")
    small = tmp_path / "small"
    small.mkdir()
    for size in ("40k", "200k", "400k"):  # it needs over 500k
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(small)], check=True, timeout=30)
        try:
            with pytest.raises(LabError, match=r"No space left on device") as err:
                up(design, small / "state")
            assert "\n" not in str(err.value), str(err.value)
            assert not [ns for ns in namespaces() if ns.startswith("aifab-labfull.")]
        finally:
            down(design, small / "state")  # a lab that came up after all
            subprocess.run(["umount", "--lazy", str(small)], check=False, timeout=30)


def test_a_failed_growth_removes_what_it_added_and_leaves_the_lab_running(can_run: None, lab_design: Design,
                                                                          tmp_path: Path) -> None:
    """A leaf pair added (``frontend.growth``) whose new switches cannot boot (no rendered config):
    ``up`` fails naming the switch, and the lab that ran is as it was, whole, its record unchanged."""
    from aifab.intent import load_intent
    from aifab.lab import Lab, problems, state
    from aifab.lab.topology import topology
    from tests.test_plan_changes import edited

    design = dataclasses.replace(lab_design, cluster="labgrow")
    state_dir = tmp_path / "state"
    running = up(design, state_dir)
    try:
        record = state.read(state_dir)
        intent = load_intent(Path(__file__).parents[2] / "intent" / "lab.yaml").intent
        grown = dataclasses.replace(edited(intent, frontend__growth={"storage_nodes": 3}), cluster="labgrow")
        with pytest.raises(LabError, match=r"fe-leaf2a: cannot read rendered config"):
            up(grown, state_dir, configs=tmp_path / "no-configs")
        assert not [ns for ns in namespaces() if ns.startswith("aifab-labgrow.fe-leaf2")]
        assert state.read(state_dir) == record and problems(Lab(running.topology, state_dir)) == []
        new_ports = {ln.b_if for ln in topology(grown).links if ln.a_ns.endswith("fe-leaf2a")}
        spine = json.loads(subprocess.run(["ip", "-n", "aifab-labgrow.fe-spine1", "-j", "link", "show"],
                                          capture_output=True, text=True, check=True).stdout)
        assert not new_ports & {i["ifname"] for i in spine}, "the new cables' spine ends are gone too"
    finally:
        down(design, state_dir)
