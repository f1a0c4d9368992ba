"""``aifab health`` without a switch: the platforms' documented commands answered by recorded outputs
(tests/data/health), through test doubles of the NAPALM drivers (names say so), judged against the
Design and the intent's thresholds. The lab test (tests/lab/test_lab_health.py) reads real FRR/Linux."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from aifab.design import build_design
from aifab.design.model import Design, HealthThresholds
from aifab.health import parse
from aifab.health.judge import judge, not_readable, to_json
from aifab.health.read import Reading, read_device
from aifab.health.run import plan
from aifab.intent import load_intent
from napalm_frr.parse import ecn_marked, sysfs_counters

DATA = Path(__file__).parent / "data" / "health"
LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def recorded(name: str) -> str:
    return (DATA / name).read_text()


def design(tmp_path: Path, platform: str, thresholds: str = "") -> Design:
    path = tmp_path / "intent.yaml"
    path.write_text(LAB.read_text().replace("platform: frr", f"platform: {platform}") + thresholds)
    return build_design(load_intent(path).intent)


class RecordedDriverDouble:
    """A NAPALM driver double answering the getters and the CLI from recorded outputs."""

    def __init__(self, outputs: dict[str, Any], peers: dict[str, bool], counters: dict[str, dict[str, int]],
                 running: str = "") -> None:
        self.outputs, self.peers, self.counters, self.running = outputs, peers, counters, running
        self.asked: list[str] = []

    def get_config(self, retrieve: str = "all") -> dict[str, str]:
        return {"running": self.running, "startup": "", "candidate": ""}

    def get_bgp_neighbors(self) -> dict[str, Any]:
        return {"global": {"router_id": "10.0.0.1", "peers": {a: {"is_up": up} for a, up in self.peers.items()}}}

    def get_interfaces_counters(self) -> dict[str, dict[str, int]]:
        return self.counters

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, Any]:
        self.asked += commands
        out = {}
        for c in commands:
            value = self.outputs[c]
            out[c] = json.loads(value) if encoding == "json" else value
        return out


def double_for(d: Design, name: str, outputs: dict[str, Any], down: tuple[str, ...] = (), drops: int = 0) -> RecordedDriverDouble:
    dev = next(x for x in d.devices() if x.name == name)
    peers = {n.peer_address: n.peer not in down for n in dev.neighbors}
    counters = {p.name: {"rx_discards": drops if i == 0 else 0, "tx_discards": 0} for i, p in enumerate(dev.ports)}
    return RecordedDriverDouble(outputs, peers, counters)


EOS = {"show priority-flow-control counters": recorded("eos_pfc_counters.txt"),
       "show priority-flow-control counters watchdog": recorded("eos_pfc_watchdog.json")}
SONIC = {"show pfc counters": recorded("sonic_pfc_counters.txt"), "show pfcwd stats": recorded("sonic_pfcwd_stats.txt"),
         "show queue wredcounters": recorded("sonic_wredcounters.txt")}


def test_eos_double_recorded_counters_are_read(tmp_path: Path) -> None:
    d = design(tmp_path, "eos")
    dev = next(x for x in d.devices() if x.name == "be-spine1")
    double = double_for(d, "be-spine1", EOS, drops=7)
    r = read_device(double, "be-spine1", "eos", plan(d, dev))
    assert r.values == {"pfc_pause_frames": 352, "watchdog_storms": 2, "drops": 7}
    assert set(r.unreadable) == {"ecn_marked"}  # never a zero it did not read
    assert "not readable on eos: ECN-marked packets" in not_readable(r)
    assert double.asked == ["show priority-flow-control counters", "show priority-flow-control counters watchdog"]
    assert r.sessions is not None and all(r.sessions.values())


def test_eos_double_watchdog_storm_is_unhealthy_by_default(tmp_path: Path) -> None:
    d = design(tmp_path, "eos")
    dev = next(x for x in d.devices() if x.name == "be-spine1")
    r = read_device(double_for(d, "be-spine1", EOS), "be-spine1", "eos", plan(d, dev))
    assert r.values["drops"] == 0
    (verdict,) = judge(d, {"be-spine1": r}, d.telemetry.thresholds)
    assert verdict.problems == ("PFC watchdog storms 2 above 0",)


def test_thresholds_from_the_intent(tmp_path: Path) -> None:
    limits = "telemetry:\n  thresholds: {pfc_pause_frames: 100, watchdog_storms: 5, drops: 6}\n"
    d = design(tmp_path, "eos", limits)
    assert d.telemetry.thresholds == HealthThresholds(100, None, 5, 6)
    dev = next(x for x in d.devices() if x.name == "be-spine1")
    r = read_device(double_for(d, "be-spine1", EOS, drops=7), "be-spine1", "eos", plan(d, dev))
    (verdict,) = judge(d, {"be-spine1": r}, d.telemetry.thresholds)
    assert verdict.problems == ("PFC pause frames 352 above 100", "dropped packets 7 above 6")


def test_sonic_double_recorded_counters_are_read(tmp_path: Path) -> None:
    d = design(tmp_path, "sonic")
    dev = next(x for x in d.devices() if x.name == "be-leaf-su1-r1")
    r = read_device(double_for(d, dev.name, SONIC), dev.name, "sonic", plan(d, dev))
    assert r.values == {"pfc_pause_frames": 1234, "watchdog_storms": 4, "ecn_marked": 1032736, "drops": 0}
    assert r.unreadable == {}


def test_sonic_double_ecn_not_counted_is_not_zero(tmp_path: Path) -> None:
    d = design(tmp_path, "sonic")
    dev = next(x for x in d.devices() if x.name == "be-leaf-su1-r1")
    outputs = {**SONIC, "show queue wredcounters": recorded("sonic_wredcounters_na.txt")}
    r = read_device(double_for(d, dev.name, outputs), dev.name, "sonic", plan(d, dev))
    assert "ecn_marked" not in r.values
    assert "N/A" in r.unreadable["ecn_marked"]


def test_session_down_names_the_device_and_its_peer(tmp_path: Path) -> None:
    d = design(tmp_path, "sonic")
    dev = next(x for x in d.devices() if x.name == "be-leaf-su1-r1")
    r = read_device(double_for(d, dev.name, SONIC, down=("be-spine1",)), dev.name, "sonic", plan(d, dev))
    (verdict,) = judge(d, {dev.name: r}, HealthThresholds(watchdog_storms=None))
    spine = next(n for n in dev.neighbors if n.peer == "be-spine1")
    assert verdict.problems == (f"BGP session to be-spine1 ({spine.peer_address}) not Established",)


def test_bgp_unreadable_names_every_designed_session(tmp_path: Path) -> None:
    d = design(tmp_path, "frr")
    dev = next(x for x in d.devices() if x.name == "be-spine1")
    r = Reading("be-spine1", "frr", sessions=None, down_daemons=("bgpd",), unreadable={"bgp": "bgpd is not running"})
    (verdict,) = judge(d, {"be-spine1": r}, HealthThresholds())
    assert verdict.problems[0] == "bgpd is not running"
    assert len(verdict.problems) == 1 + len(dev.neighbors)
    for n in dev.neighbors:
        assert any(n.peer in p and n.peer_address in p and "unreadable" in p for p in verdict.problems)


def test_unreachable_device_is_unhealthy_and_json_says_so(tmp_path: Path) -> None:
    d = design(tmp_path, "eos")
    readings = {"be-spine1": Reading("be-spine1", "eos", error="ConnectionException: refused")}
    verdicts = judge(d, readings, d.telemetry.thresholds)
    doc = json.loads(to_json(d, verdicts, d.telemetry.thresholds))
    assert doc["healthy"] is False
    assert doc["devices"][0]["problems"] == ["unreachable: ConnectionException: refused"]
    assert doc["thresholds"]["watchdog_storms"] == 0


def test_the_table_keeps_every_device_name_whole_at_80_columns(tmp_path: Path) -> None:
    """An 80-column terminal folded names (``be-leaf-`` over ``su1-r1``): one can neither read nor grep them."""
    from rich.console import Console

    from aifab.health.judge import print_table

    d = design(tmp_path, "frr")
    readings = {x.name: Reading(x.name, "frr", error="ConnectionException: refused") for x in d.devices()}
    console = Console(width=80, record=True, color_system=None)
    print_table(d, judge(d, readings, d.telemetry.thresholds), console)
    rows = [line for line in console.export_text().splitlines() if line.startswith("│")]
    for x in d.devices():
        assert any(line.split("│")[1].strip() == x.name and line.split("│")[-2].strip() == "UNHEALTHY" for line in rows), x.name
    assert max(len(line) for line in rows) <= 80


def test_missing_table_is_unreadable_not_zero() -> None:
    with pytest.raises(parse.Unreadable):
        parse.eos_pfc_frames("% Invalid input\n")
    with pytest.raises(parse.Unreadable):
        parse.sonic_pfc_frames("")
    with pytest.raises(parse.Unreadable):
        parse.eos_watchdog_storms({})
    with pytest.raises(parse.Unreadable, match="no counters for swp9"):
        parse.drops({"swp1": {"rx_discards": 0, "tx_discards": 0}}, {"swp1", "swp9"})
    assert parse.sonic_watchdog_storms("") == 0  # SONiC prints no table while no queue has statistics


def test_linux_statistics_of_this_machine_read_as_napalm_counters() -> None:
    text = subprocess.run(["sh", "-c", "grep -r . /sys/class/net/lo/statistics/"], capture_output=True, text=True).stdout
    counters = sysfs_counters(text)
    lo = counters["lo"]
    assert lo["rx_discards"] >= 0 and lo["tx_discards"] >= 0 and lo["rx_octets"] > 0
    assert lo["tx_broadcast_packets"] == -1  # Linux keeps none: NAPALM's "not counted"


def test_frr_recorded_statistics_and_ecn_marks() -> None:
    counters = sysfs_counters(recorded("frr_sysfs.txt"))
    assert counters["swp1"]["rx_discards"] == 3 and counters["swp1"]["rx_multicast_packets"] == 7
    assert parse.drops(counters, {"swp1"}) == 3
    assert ecn_marked(json.loads(recorded("frr_tc_qdisc.json"))) == {"swp1": 41, "swp2": 1}
    assert ecn_marked([{"kind": "noqueue", "dev": "lo"}]) == {}


def test_cli_without_an_inventory_is_exit_2(tmp_path: Path) -> None:
    from aifab.cli import main

    path = tmp_path / "intent.yaml"
    path.write_text(LAB.read_text())
    assert main(["health", str(path), "-o", str(tmp_path / "nothing-built")]) == 2
    assert main(["health", str(path), "--inventory", str(tmp_path / "none")]) == 2


def test_sonic_portstat_recorded_as_napalm_counters() -> None:
    from napalm_sonic.show import portstat

    counters = portstat(recorded("sonic_portstat.json"))
    assert counters["Ethernet0"]["rx_discards"] == 12 and counters["Ethernet0"]["tx_discards"] == 3
    assert counters["Ethernet0"]["rx_unicast_packets"] == 1234
    assert counters["Ethernet8"]["rx_errors"] == -1 and counters["Ethernet0"]["rx_octets"] == -1
    assert parse.drops(counters, {"Ethernet0", "Ethernet8"}) == 15


def test_a_drained_switch_is_said_drained_where_healthy_and_its_drain_read_from_its_running_config(tmp_path: Path) -> None:
    """A spine drained for maintenance keeps its sessions up and carries no traffic: the table says
    ``drained`` (not ``healthy``), the last line and the JSON name it; a switch whose running config
    cannot be read has its drain state unreadable, never "not drained". EOS double: the running
    config is the switch's rendered config with the drain snippet (EOS's documented ``maintenance``
    / ``quiesce`` commands) in it."""
    from rich.console import Console

    from aifab.health.judge import print_table
    from aifab.render import drain_snippet, render_device

    d = design(tmp_path, "eos", "telemetry:\n  thresholds: {pfc_pause_frames: 1000, watchdog_storms: 5}\n")  # the recordings'
    spines = [x for x in d.devices() if x.name in ("be-spine1", "be-spine2")]
    config = {x.name: next(iter(render_device(d, x).values())) for x in spines}
    drained = double_for(d, "be-spine1", EOS)
    drained.running = config["be-spine1"] + drain_snippet(d, spines[0])
    serving = double_for(d, "be-spine2", EOS)
    serving.running = config["be-spine2"]
    readings = {"be-spine1": read_device(drained, "be-spine1", "eos", plan(d, spines[0])),
                "be-spine2": read_device(serving, "be-spine2", "eos", plan(d, spines[1]))}
    assert (readings["be-spine1"].drained, readings["be-spine2"].drained) == (True, False)
    verdicts = judge(d, readings, d.telemetry.thresholds)
    console = Console(width=120, record=True, color_system=None)
    print_table(d, verdicts, console)
    text = console.export_text()
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip() for line in text.splitlines() if line.startswith("│")}
    assert rows == {"be-spine1": "drained", "be-spine2": "healthy"}
    assert text.rstrip().endswith("2 of 2 devices healthy; drained (carrying no traffic until undrained): be-spine1")
    doc = json.loads(to_json(d, verdicts, d.telemetry.thresholds))
    assert doc["drained"] == ["be-spine1"] and [x["drained"] for x in doc["devices"]] == [True, False]

    class Refused(RecordedDriverDouble):
        def get_config(self, retrieve: str = "all") -> dict[str, str]:
            raise ConnectionError("show running-config: permission denied")

    blind = Refused(EOS, drained.peers, drained.counters)
    r = read_device(blind, "be-spine1", "eos", plan(d, spines[0]))
    assert r.drained is None and r.unreadable["drain"] == "ConnectionError: show running-config: permission denied"
    assert "drain state (ConnectionError" in not_readable(r)
