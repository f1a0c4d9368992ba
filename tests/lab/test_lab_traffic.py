"""Traffic through the lab while a spine's FRR restarts: the probe sees the loss a plain restart
causes and none in a quiet fabric, after a drain, or with graceful restart.

The lab of intent/lab.yaml runs as cluster ``labtraffic``, deployed with ``aifab deploy --commit``
through the real CLI, and is always torn down. Each test prints its packet counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import Lab, up, wait_established
from aifab.lab.drain import drain, paths_via, undrain, wait_moved_back, wait_moved_off
from aifab.lab.traffic import Probe, Report
from aifab.lab.upgrade import upgrade_frr
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labtraffic"
SPINE = "be-spine1"
RATE = 100.0  # packets per second per flow: a gap of 10 ms is one lost packet
BOUND_S = 60.0  # no probe runs longer; each test stops its probe well before


@dataclass
class Fabric:
    design: Design
    lab: Lab

    def probe(self) -> Probe:
        return Probe(self.lab, self.design, seconds=BOUND_S, rate=RATE, flows_per_pair=4)


@pytest.fixture(scope="module")
def fabric(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fabric]:
    require_lab()
    work = tmp_path_factory.mktemp("traffic")
    intent = work / "lab.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {CLUSTER}"))
    _, design = design_for(intent)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "COLUMNS": "200"})
    with lab_torn_down(design, intent):
        res = cli("lab", "up", str(intent))
        assert res.returncode == 0, res.stdout + res.stderr
        lab = up(design)  # up() on a healthy lab only returns it
        res = cli("deploy", str(intent), "-o", str(work / "build"), "--inventory", str(lab.inventory),
                  "--verify-timeout", "45", "--commit")
        assert res.returncode == 0, res.stdout + res.stderr
        wait_established(lab, design, timeout=60)
        yield Fabric(design, lab)


def _show(what: str, report: Report) -> None:
    print(f"\n{what}: {report.summary()}")


def test_quiet_fabric_loses_nothing_on_any_rail_or_the_frontend(fabric: Fabric) -> None:
    report = Probe(fabric.lab, fabric.design, seconds=4, rate=RATE).run()
    _show("quiet fabric", report)
    groups = report.by_group()
    assert set(groups) == {"rail1", "rail2", "frontend"}
    assert {"be-spine1", "be-spine2"} <= set(report.by_path()), "ECMP spreads the flows over both spines"
    assert report.totals().sent >= 0.9 * RATE * 4 * len(report.results)
    assert report.totals().lost == 0 and report.totals().reordered == 0


def test_spine_restart_without_drain_loses_packets_only_through_that_spine(fabric: Fabric) -> None:
    probe = fabric.probe().start()
    try:
        time.sleep(1)
        timings = upgrade_frr(fabric.lab, fabric.design, SPINE, graceful=False)
        wait_moved_back(fabric.lab, fabric.design, SPINE, timeout=30)
        time.sleep(1)
    finally:
        report = probe.stop()
    _show(f"{SPINE} restarted without drain ({timings})", report)
    paths = report.by_path()
    assert paths[SPINE].lost > 0 and paths[SPINE].flows_with_loss == paths[SPINE].flows
    others = {p: c.lost for p, c in paths.items() if p != SPINE}
    assert others and not any(others.values()), f"flows not through {SPINE} lost packets: {others}"


def test_spine_restart_after_drain_loses_nothing(fabric: Fabric) -> None:
    probe = fabric.probe().start()
    try:
        time.sleep(1)
        drain(fabric.lab, fabric.design, SPINE)
        moved = wait_moved_off(fabric.lab, fabric.design, SPINE, timeout=30)
        timings = upgrade_frr(fabric.lab, fabric.design, SPINE, graceful=False)
        undrain(fabric.lab, fabric.design, SPINE)  # the boot config is not drained: a no-op, kept for the shape
        back = wait_moved_back(fabric.lab, fabric.design, SPINE, timeout=30)
        time.sleep(1)
    finally:
        report = probe.stop()
    _show(f"{SPINE} drained (paths moved off in {moved:.1f} s), restarted ({timings}), back in {back:.1f} s", report)
    assert report.by_path()[SPINE].sent > 0
    assert report.totals().lost == 0


def test_spine_graceful_restart_without_drain_loses_nothing(fabric: Fabric) -> None:
    probe = fabric.probe().start()
    try:
        time.sleep(1)
        timings = upgrade_frr(fabric.lab, fabric.design, SPINE, graceful=True)
        back = wait_moved_back(fabric.lab, fabric.design, SPINE, timeout=30)  # the restarted bgpd re-learns its paths
        time.sleep(1)
    finally:
        report = probe.stop()
    _show(f"{SPINE} restarted gracefully ({timings}), its paths back in {back:.1f} s", report)
    assert all(paths_via(fabric.lab, fabric.design, SPINE).values()), "the neighbours use the spine again"
    assert report.by_path()[SPINE].sent > 0
    assert report.totals().lost == 0
