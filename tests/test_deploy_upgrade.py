"""The software-upgrade step of each driver and the drain's evidence, against recorded-output doubles.

No EOS or SONiC switch runs here: each double answers the exact commands the step sends from
outputs written in the platforms' documented formats (docs/sources.md#upgrade-eos,
#upgrade-sonic) and fails on any other, so these tests pin the commands and the read-back. The frr
step runs for real against the FRR lab in tests/lab/test_lab_upgrade.py; here its driver side is
pinned against a recorded session too. What they do not cover: that a real switch reloads.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from napalm.base.exceptions import CommandErrorException

from aifab.deploy import evidence
from aifab.deploy.tasks.upgrade import SSU_READY, eos_upgrade
from napalm_frr import FRRDriver
from napalm_frr.software import RESTART, VERSION_FILE
from napalm_frr.ssh import Output
from napalm_sonic import SONiCDriver
from tests.test_napalm_sonic_driver import RecordedSession, ok

EOS_VERSION = {"modelName": "DCS-7050DX4-32S", "version": "4.32.2F", "serialNumber": "JPE0000", "isIntlVersion": False}


class RecordedEapi:
    """Stands in for pyeapi's node under NAPALM's eos driver: answers recorded commands, fails on others."""

    def __init__(self, recordings: dict[str, Any], reload_drops: bool = True) -> None:
        self.recordings = recordings
        self.calls: list[list[str]] = []
        self.reload_drops = reload_drops

    def run_commands(self, commands: list[str], encoding: str = "json") -> list[Any]:
        self.calls.append(list(commands))
        if commands[0].startswith("reload") and self.reload_drops:
            raise ConnectionResetError("eAPI connection closed by the reload")
        out = []
        for c in commands:
            if c not in self.recordings:
                raise AssertionError(f"sent a command with no recording: {c}")
            out.append(self.recordings[c])
        return out


class RecordedEosDriver:
    """NAPALM's eos driver as the step uses it: ``device`` (eAPI), ``open``/``close``; the switch
    answers again after ``down`` failed opens, with ``after`` as its eAPI."""

    def __init__(self, before: RecordedEapi, after: RecordedEapi, down: int = 2) -> None:
        self.device, self.after, self.down, self.opens = before, after, down, 0

    def close(self) -> None:
        self.device = None  # type: ignore[assignment]

    def open(self) -> None:
        self.opens += 1
        if self.opens <= self.down:
            raise ConnectionRefusedError("eAPI not up yet")
        self.device = self.after


def _eos(ssu_check: str = SSU_READY + "\n") -> tuple[RecordedEosDriver, RecordedEapi]:
    before = RecordedEapi({"dir flash:EOS-4.32.2F.swi": {"output": "-rwx 1051 EOS-4.32.2F.swi\n"},
                           "show reload fast-boot": {"output": ssu_check},
                           "configure": {}, "boot system flash:EOS-4.32.2F.swi": {}, "end": {}, "write memory": {}})
    return RecordedEosDriver(before, RecordedEapi({"show version": EOS_VERSION})), before


def test_eos_ssu_double_sends_the_documented_commands_and_reads_the_version_back() -> None:
    dev, eapi = _eos()
    got = eos_upgrade(dev, "4.32.2F", "ssu", wait_s=5, poll_s=0)
    assert got == {"version": "4.32.2F", "method": "ssu"}
    assert eapi.calls == [["dir flash:EOS-4.32.2F.swi"], ["show reload fast-boot"],
                          ["configure", "boot system flash:EOS-4.32.2F.swi", "end", "write memory"],
                          ["reload fast-boot now"]]
    assert dev.opens == 3, "reconnected once eAPI answered again"


def test_eos_reload_double_skips_the_ssu_check_and_reloads_plainly() -> None:
    dev, eapi = _eos()
    eos_upgrade(dev, "4.32.2F", "reload", wait_s=5, poll_s=0)
    assert ["show reload fast-boot"] not in eapi.calls and eapi.calls[-1] == ["reload now"]


def test_eos_ssu_double_refuses_when_the_switch_reports_a_warning() -> None:
    dev, eapi = _eos("Warnings: VRRP is configured\n")
    with pytest.raises(CommandErrorException, match="SSU not possible: Warnings: VRRP"):
        eos_upgrade(dev, "4.32.2F", "ssu", wait_s=5, poll_s=0)
    assert not [c for c in eapi.calls if c[0].startswith(("configure", "reload"))], "nothing changed on a refusal"


def test_eos_double_that_never_comes_back_is_an_error() -> None:
    dev, _ = _eos()
    dev.down = 10**6
    with pytest.raises(CommandErrorException, match="not back 0 s after the reload"):
        eos_upgrade(dev, "4.32.2F", "reload", wait_s=0, poll_s=0)


# -- SONiC: napalm_sonic's upgrade_software against a recorded session ------------------------------

SONIC_VERSION = "SONiC Software Version: SONiC.202311.2\nDistribution: Debian 11.9\nHwSKU: ACS-MSN4700\n"


@pytest.mark.parametrize("method", ["warm-reboot", "fast-reboot"])
def test_sonic_upgrade_double_installs_reboots_and_reads_the_version(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = RecordedSession({"sonic-installer install -y /host/aifab/sonic-202311.2.bin": ok("Done\n"), method: ok()})
    after = RecordedSession({"show version": ok(SONIC_VERSION)})
    dev = SONiCDriver("sw1", "admin", "")
    dev._session = before  # type: ignore[assignment]
    opens = []

    def reopen() -> None:
        opens.append(1)
        if len(opens) < 2:
            raise ConnectionRefusedError("not up yet")
        dev._session = after  # type: ignore[assignment]
    monkeypatch.setattr(dev, "open", reopen)
    got = dev.upgrade_software("202311.2", method=method, poll_s=0)  # type: ignore[arg-type]
    assert got == {"version": "202311.2", "method": method}
    assert before.calls == ["sonic-installer install -y /host/aifab/sonic-202311.2.bin", method]
    assert after.calls == ["show version"] and len(opens) == 2


def test_sonic_upgrade_double_refuses_an_unknown_method() -> None:
    dev = SONiCDriver("sw1", "admin", "")
    dev._session = RecordedSession({})  # type: ignore[assignment]
    with pytest.raises(CommandErrorException, match="unknown SONiC upgrade method 'cold'"):
        dev.upgrade_software("1", method="cold")  # type: ignore[arg-type]


# -- frr: napalm_frr's upgrade_software against a recorded session ---------------------------------

class FrrSession:
    """The frr driver's session double: records every command and its stdin."""

    alive = True

    def __init__(self, restart: Output, version: str) -> None:
        self.restart, self.version, self.calls = restart, version, []  # type: list[tuple[str, str | None]]

    def run(self, argv: list[str], stdin: str | None = None) -> Output:
        self.calls.append((" ".join(argv), stdin))
        if argv[:2] == ["python3", "-"]:
            return self.restart
        if argv == ["cat", VERSION_FILE]:
            return ok(self.version + "\n")
        if argv[0] == "sh":
            return ok()
        raise AssertionError(f"no recording: {argv}")


def test_frr_upgrade_double_records_the_version_restarts_and_reads_it_back() -> None:
    dev = FRRDriver("sw1", "root", "", optional_args={"install": "record"})
    session = FrrSession(ok(json.dumps({"daemons": ["bgpd", "zebra"], "stop_s": 3.9, "start_s": 0.3}) + "\n"), "10.2")
    dev._session = session  # type: ignore[assignment]
    got = dev.upgrade_software("10.2", down_s=2.0, timeout=60.0)
    assert got["version"] == "10.2" and got["daemons"] == ["bgpd", "zebra"]
    commands = [c for c, _ in session.calls]
    assert commands[0].endswith(f"sh 10.2 {VERSION_FILE}"), "the version is recorded before the restart"
    assert commands[1] == "python3 - 2.0 60.0" and session.calls[1][1] == RESTART
    assert commands[2] == f"cat {VERSION_FILE}", "the version is read back from the switch after the restart"


def test_frr_upgrade_double_without_an_install_method_is_refused() -> None:
    dev = FRRDriver("sw1", "root", "")
    dev._session = FrrSession(ok(), "")  # type: ignore[assignment]
    with pytest.raises(CommandErrorException, match="no install method"):
        dev.upgrade_software("10.2")


def test_frr_upgrade_double_reports_a_failed_restart() -> None:
    dev = FRRDriver("sw1", "root", "", optional_args={"install": "apt-get install -y frr={version}"})
    session = FrrSession(Output(1, "", "zebra is not running: nothing to restart\n"), "")
    dev._session = session  # type: ignore[assignment]
    with pytest.raises(CommandErrorException, match="restarting FRR failed: zebra is not running"):
        dev.upgrade_software("10.2")
    assert session.calls[0][0] == "sh -c apt-get install -y frr=10.2", "the install command with the version"


# -- the drain's evidence: the neighbours' BGP tables -------------------------------------------------

# A leaf's table in FRR 8.4's `show bgp ipv4 unicast json` shape while spine 10.0.1.0 is drained (GSHUT:
# LOCAL_PREF 0 on its paths); trimmed to the fields read.
FRR_DRAINED = {"routes": {
    "10.0.0.1/32": [{"peerId": "10.0.1.0", "bestpath": True, "locPrf": 0}],
    "10.0.0.4/32": [{"peerId": "10.0.1.0", "locPrf": 0}, {"peerId": "10.0.1.2", "bestpath": True}],
    "10.0.2.4/30": [{"peerId": "10.0.1.2", "bestpath": True}, {"peerId": "10.0.1.0", "locPrf": 0}],
    "10.0.2.0/31": [{"peerId": "(unspec)", "bestpath": True}],
}}
FRR_BACK = {"routes": {
    "10.0.0.1/32": [{"peerId": "10.0.1.0", "bestpath": True}],
    "10.0.0.4/32": [{"peerId": "10.0.1.0", "multipath": True}, {"peerId": "10.0.1.2", "bestpath": True}],
    "10.0.2.4/30": [{"peerId": "10.0.1.2", "bestpath": True}, {"peerId": "10.0.1.0", "multipath": True}],
}}
FRR_DRAINING = {"routes": {**FRR_BACK["routes"], "10.0.0.1/32": [{"peerId": "10.0.1.0", "bestpath": True, "locPrf": 0}]}}


def test_frr_tables_say_when_traffic_moved_off_and_back() -> None:
    drained, back, draining = (evidence.paths(json.dumps(t), "frr") for t in (FRR_DRAINED, FRR_BACK, FRR_DRAINING))
    assert evidence.via(drained, {"10.0.1.0"}) == [], "moved off: only its own loopback still goes to it"
    assert evidence.via(back, {"10.0.1.0"}) == ["10.0.0.4/32", "10.0.2.4/30"], "in use: multipath through it"
    assert evidence.back(back, {"10.0.1.0"}) and not evidence.back(drained, {"10.0.1.0"})
    assert not evidence.back(draining, {"10.0.1.0"}), "a path still at LOCAL_PREF 0 is not back"
    assert not evidence.back(back, {"10.0.1.0", "10.0.1.8"}), "every address of the device must be seen"


def test_a_prefix_of_a_device_drained_in_the_same_wave_does_not_hold_the_wait() -> None:
    """fe-leaf1a and fe-spine1 drained together: fe-leaf1b reaches fe-leaf1a's prefixes through both
    spines, every path at LOCAL_PREF 0 (GSHUT from fe-leaf1a), so any of them may carry them."""
    table = evidence.paths(json.dumps({"routes": {
        "10.1.0.3/32": [{"peerId": "10.1.1.0", "multipath": True, "locPrf": 0}, {"peerId": "10.1.1.4", "bestpath": True, "locPrf": 0}],
        "10.1.0.1/32": [{"peerId": "10.1.1.0", "bestpath": True, "locPrf": 0}],
    }}), "frr")
    assert evidence.via(table, {"10.1.1.0"}) == []
    assert not evidence.back(table, {"10.1.1.0"}), "fe-spine1's own loopback is still at LOCAL_PREF 0"
    del table["10.1.0.1/32"]
    assert evidence.back(table, {"10.1.1.0"}), "de-preferred on every path: drained further away, not by fe-spine1"


# EOS's `show ip bgp` JSON shape (vrfs -> default -> bgpRouteEntries -> bgpRoutePaths), trimmed.
EOS_TABLE = {"vrfs": {"default": {"bgpRouteEntries": {
    "10.0.0.4/32": {"bgpRoutePaths": [
        {"peerEntry": {"peerAddr": "10.0.1.0"}, "routeType": {"active": False, "ecmpContributor": False}, "localPreference": 0},
        {"peerEntry": {"peerAddr": "10.0.1.2"}, "routeType": {"active": True}, "localPreference": 100}]},
    "10.0.2.4/30": {"bgpRoutePaths": [
        {"peerEntry": {"peerAddr": "10.0.1.2"}, "routeType": {"active": True}, "localPreference": 100},
        {"peerEntry": {"peerAddr": "10.0.1.0"}, "routeType": {"ecmpContributor": True}, "localPreference": 100}]},
}}}}


class _EapiNode:
    """An EOS eAPI node double (no switch runs here) answering ``show ip bgp`` in JSON with EOS_TABLE."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def run_commands(self, commands: list[str], encoding: str = "json", **_: object) -> list[dict[str, object]]:
        self.sent += [(c, encoding) for c in commands]
        return [EOS_TABLE if c == "show ip bgp" and encoding == "json" else {} for c in commands]


def test_eos_table_double_is_read_the_same_way() -> None:
    """Through NAPALM's eos driver (real) over an eAPI double: ``show ip bgp`` in eAPI's JSON encoding."""
    from napalm.eos.eos import EOSDriver

    dev = EOSDriver("be-leaf-su1-r1", "nobody", "nothing")
    dev.device = _EapiNode()
    table = evidence.table_of(dev, "eos")
    assert dev.device.sent == [("show ip bgp", "json")]
    assert evidence.via(table, {"10.0.1.0"}) == ["10.0.2.4/30"], "an ECMP contributor carries traffic"
    assert not evidence.back(table, {"10.0.1.0"}), "LOCAL_PREF 0 on one of its paths"
