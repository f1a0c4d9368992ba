"""``aifab health --lab`` against real FRR and Linux (cluster ``labhealth``): a healthy lab is exit 0
with every designed session Established and the counters Linux has (drops from
/sys/class/net statistics) read, and what it has not (PFC, the watchdog) said per device; a spine
drained is said drained; bgpd killed on one spine is exit 1 naming that spine and each of its
sessions."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from aifab.lab import up
from aifab.pipeline import design_for
from tests.lab.helpers import LabRun, lab_intent, lab_torn_down, require_lab

pytestmark = pytest.mark.lab
CLUSTER = "labhealth"
THRESHOLDS = ("  min_capacity_pct: 50", "  min_capacity_pct: 50\ntelemetry:\n  thresholds: {drops: 1000000}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRun]:
    require_lab()
    work = tmp_path_factory.mktemp("health")
    intent = lab_intent(work / "lab.yaml", CLUSTER, (THRESHOLDS,))
    _, design = design_for(intent)
    run = LabRun(intent, work / "build", design, None)  # type: ignore[arg-type]
    res = run.cli("build", str(intent), "-o", str(run.build))
    assert res.returncode == 0, res.stdout + res.stderr
    with lab_torn_down(design):
        run.lab = up(design, configs=run.build / "configs")
        run.converge()
        yield run


def health(run: LabRun, *extra: str) -> tuple[int, str, str]:
    res = run.cli("health", str(run.intent), "-o", str(run.build), "--lab", *extra, timeout=180)
    return res.returncode, res.stdout, res.stderr


def test_healthy_lab_is_exit_0_and_says_what_linux_cannot_give(world: LabRun) -> None:
    code, out, err = health(world, "--format", "json")
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["healthy"] is True and doc["thresholds"]["drops"] == 1000000
    devices = {d["device"]: d for d in doc["devices"]}
    assert set(devices) == {d.name for d in world.design.devices()}
    for dev in world.design.devices():
        got = devices[dev.name]
        assert got["problems"] == [] and got["driver"] == "frr"
        assert got["sessions"] == {n.peer_address: True for n in dev.neighbors}  # read from bgpd, every one up
        assert isinstance(got["drops"], int) and got["drops"] >= 0  # the kernel's counters of the designed ports
        assert got["pfc_pause_frames"] is None and got["watchdog_storms"] is None
        assert got["not_readable"].startswith("not readable on frr: PFC counters (")
    code, table, err = health(world)
    assert code == 0, table + err
    assert f"{len(devices)} of {len(devices)} devices healthy" in table
    gaps = next(line for line in table.splitlines() if "not readable on frr: PFC counters" in line)
    assert all(d in gaps.split(": not readable")[0].split(", ") for d in devices)  # every device named


def test_a_spine_drained_for_maintenance_is_said_drained_as_its_running_config_has_it(world: LabRun) -> None:
    """``aifab drain`` on be-spine2 (bgp graceful-shutdown in its running config, as vtysh shows):
    health is exit 0 (its sessions stay up) and says the spine is drained, in its row, the last line
    and the JSON; undrained, nothing is said drained."""
    res = world.cli("drain", str(world.intent), "-o", str(world.build), "--lab", "be-spine2", timeout=120)
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        assert " bgp graceful-shutdown" in world.running("be-spine2").splitlines()  # the router's own state
        code, table, err = health(world)
        assert code == 0, table + err
        rows = {line.split("│")[1].strip(): line.split("│")[-2].strip() for line in table.splitlines()
                if line.startswith("│") and line.split("│")[1].strip()}
        assert rows["be-spine2"] == "drained" and set(rows.values()) == {"healthy", "drained"}, table
        assert table.rstrip().endswith("healthy; drained (carrying no traffic until undrained): be-spine2"), table
        code, out, err = health(world, "--format", "json")
        assert code == 0 and json.loads(out)["drained"] == ["be-spine2"], out + err
    finally:
        res = world.cli("undrain", str(world.intent), "-o", str(world.build), "--lab", "be-spine2", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert " bgp graceful-shutdown" not in world.running("be-spine2").splitlines()
    code, out, err = health(world, "--format", "json")
    assert code == 0 and json.loads(out)["drained"] == [], out + err


def test_bgpd_killed_on_a_spine_is_exit_1_naming_it_and_its_sessions(world: LabRun) -> None:
    world.kill("be-spine1", "bgpd")
    code, out, err = health(world, "--limit", "be-*")
    assert code == 1, out + err
    spine = next(d for d in world.design.devices() if d.name == "be-spine1")
    assert "be-spine1: bgpd is not running" in out
    for n in spine.neighbors:
        assert f"be-spine1: BGP session to {n.peer} ({n.peer_address}) unreadable" in out, out
    assert "UNHEALTHY" in out and "unhealthy: be-spine1" in out
