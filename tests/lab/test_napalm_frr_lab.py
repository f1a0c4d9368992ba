"""The frr NAPALM driver against a real FRR + sshd of the lab (every method, real SSH)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_origin

import pytest
from napalm import get_network_driver
from napalm.base import models
from napalm.base.exceptions import (
    CommandErrorException,
    CommandTimeoutException,
    CommitConfirmException,
    CommitError,
    ConnectAuthError,
    ConnectionException,
    MergeConfigException,
    ReplaceConfigException,
)
from netaddr import IPNetwork
from nornir.core.task import AggregatedResult

from aifab.design.model import Design, Device
from aifab.lab import Lab
from aifab.lab.system import netns_pids, process_name
from napalm_frr import FRRDriver, parse

pytestmark = pytest.mark.lab

DEVICE = "be-leaf-su1-r1"
STATIC = "ip route 192.0.2.0/24 Null0"  # documentation prefix, blackholed: never leaves the switch


def conforms(model: type, data: dict[str, Any]) -> bool:
    """``data`` has exactly the keys of the NAPALM model and values of their (outer) types."""
    hints = model.__annotations__
    return set(hints) == set(data) and all(isinstance(data[k], get_origin(t) or t) for k, t in hints.items())


@pytest.fixture
def design_dev(lab_design: Design) -> Device:
    return next(d for d in lab_design.devices() if d.name == DEVICE)


@pytest.fixture
def dev(deployed: AggregatedResult, lab: Lab, rendered: dict[str, str]) -> Iterator[FRRDriver]:
    """An open driver on DEVICE; the device is put back to its rendered config afterwards."""
    driver = get_network_driver("frr")(**lab.napalm_args(DEVICE))
    driver.open()
    yield driver
    if driver.has_pending_commit():
        driver.confirm_commit()
    driver.load_replace_candidate(config=rendered[DEVICE])
    if driver.compare_config():
        driver.commit_config()
    else:
        driver.discard_config()
    driver.close()


def test_open_close_is_alive(lab: Lab) -> None:
    driver = get_network_driver("frr")(**lab.napalm_args(DEVICE))
    assert driver.is_alive() == {"is_alive": False}
    driver.open()
    assert driver.is_alive() == {"is_alive": True}
    driver.close()
    assert driver.is_alive() == {"is_alive": False}


def test_facts(dev: FRRDriver, design_dev: Device) -> None:
    facts = dev.get_facts()
    assert conforms(models.FactsDict, facts)
    assert facts["hostname"] == DEVICE  # the switch's own UTS namespace
    assert facts["vendor"] == "FRRouting"
    assert facts["os_version"].startswith("8.")
    assert {p.name for p in design_dev.ports} | {"eth0", "lo"} <= set(facts["interface_list"])


def test_interfaces_and_their_addresses(dev: FRRDriver, design_dev: Device) -> None:
    ifaces = dev.get_interfaces()
    ips = dev.get_interfaces_ip()
    for port in design_dev.ports:
        assert conforms(models.InterfaceDict, ifaces[port.name])
        assert ifaces[port.name]["is_up"] and ifaces[port.name]["mtu"] == port.mtu
        addr, plen = port.address.split("/")
        assert ips[port.name]["ipv4"][addr] == {"prefix_length": int(plen)}
    assert ips["lo"]["ipv4"][design_dev.loopback] == {"prefix_length": 32}
    assert ips["eth0"]["ipv4"][design_dev.management.split("/")[0]] == {"prefix_length": 24}


def test_a_port_whose_speed_zebra_has_not_read_yet_has_the_kernels(dev: FRRDriver, lab: Lab) -> None:
    """zebra reads a port's speed 15 s after the port appears and says 0 until then (a new SU's port,
    a breakout): get_interfaces gives the kernel's speed (a veth: 10,000 Mb/s), where it said 0 and
    a deploy read the far end of a new leaf's uplink as running no known speed."""
    ns = lab.netns(DEVICE)
    subprocess.run(["ip", "-n", ns, "link", "add", "name", "aifabt0", "type", "veth", "peer", "name", "aifabt1"],
                   check=True, timeout=10)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "aifabt0", "up"], check=True, timeout=10)
        zebra = json.loads(lab.vtysh(DEVICE, "show interface aifabt0 json"))["aifabt0"]
        assert int(zebra.get("speed", 0)) <= 0, "zebra has read it already: no such case to test"
        assert dev.get_interfaces()["aifabt0"]["speed"] == 10000.0
        assert dev.get_interfaces()["lo"]["speed"] == 0.0, "the kernel knows no speed of a loopback either"
    finally:
        subprocess.run(["ip", "-n", ns, "link", "del", "aifabt0"], check=False, timeout=10)


def test_bgp_neighbors(dev: FRRDriver, design_dev: Device) -> None:
    bgp = dev.get_bgp_neighbors()
    assert conforms(models.BGPStateNeighborsPerVRFDict, bgp["global"])
    assert bgp["global"]["router_id"] == design_dev.loopback
    assert set(bgp["global"]["peers"]) == {n.peer_address for n in design_dev.neighbors}
    for n in design_dev.neighbors:
        peer = bgp["global"]["peers"][n.peer_address]
        assert conforms(models.BGPStateNeighborDict, peer)
        assert (peer["is_up"], peer["is_enabled"], peer["local_as"], peer["remote_as"]) == (True, True, design_dev.asn, n.peer_asn)
        assert peer["description"] == n.peer
        assert peer["uptime"] >= 0


def test_route_to_connected_and_missing(dev: FRRDriver, design_dev: Device) -> None:
    port = design_dev.ports[0]
    routes = dev.get_route_to(destination=port.address)
    (entry,) = routes[str(IPNetwork(port.address).cidr)]
    assert conforms(models.RouteDict, entry)
    assert (entry["protocol"], entry["outgoing_interface"], entry["current_active"]) == ("connected", port.name, True)
    assert dev.get_route_to(destination="198.51.100.1") == {}


def test_get_config_running_startup_candidate(dev: FRRDriver, rendered: dict[str, str]) -> None:
    cfg = dev.get_config()
    assert conforms(models.ConfigDict, cfg)
    assert f"hostname {DEVICE}" in cfg["running"] and cfg["candidate"] == ""
    assert cfg["startup"].startswith("frr version") and f"hostname {DEVICE}" in cfg["startup"]  # written by vtysh
    dev.load_replace_candidate(config=rendered[DEVICE])
    assert dev.get_config(retrieve="candidate")["candidate"] == rendered[DEVICE]
    assert dev.get_config(retrieve="running")["startup"] == ""


def test_get_config_sanitized_hides_passwords(dev: FRRDriver, design_dev: Device) -> None:
    peer = "192.0.2.9"  # an extra, never reachable peer: the designed sessions are not disturbed
    dev.load_merge_candidate(config=f"router bgp {design_dev.asn}\n neighbor {peer} remote-as 65000\n"
                                    f" neighbor {peer} password s3cret-lab\n")
    dev.commit_config()
    assert "s3cret-lab" in dev.get_config()["running"]
    clean = dev.get_config(sanitized=True)
    assert "s3cret-lab" not in clean["running"] + clean["startup"]
    assert f"neighbor {peer} password <removed>" in clean["running"]


def test_replace_compare_discard_commit_rollback(dev: FRRDriver, rendered: dict[str, str]) -> None:
    candidate = rendered[DEVICE].replace("end\n", f"{STATIC}\n!\nend\n")
    dev.load_replace_candidate(config=candidate)
    diff = dev.compare_config()
    assert diff == f"Lines To Add\n============\n{STATIC}\n"
    dev.discard_config()
    assert dev.compare_config() == ""
    assert STATIC not in dev.get_config()["running"]

    dev.load_replace_candidate(config=candidate)
    dev.commit_config()
    assert STATIC in dev.get_config()["running"]
    assert STATIC in dev.get_config()["startup"]  # saved
    assert dev.compare_config() == ""  # nothing loaded any more
    dev.load_replace_candidate(config=candidate)
    assert dev.compare_config() == ""  # running is the candidate
    dev.discard_config()

    dev.rollback()
    assert STATIC not in dev.get_config()["running"]
    assert STATIC not in dev.get_config()["startup"]
    assert dev.get_bgp_neighbors()["global"]["peers"], "rollback must keep BGP"


def test_a_replace_bundle_takes_back_the_kernel_settings_it_no_longer_has(dev: FRRDriver, rendered: dict[str, str],
                                                                         lab: Lab, design_dev: Device) -> None:
    """A kernel setting committed for the first time records the state it replaced: ``rollback()``,
    and a later replace bundle without the setting, put that state back (read from the kernel)."""
    port, netns = design_dev.ports[0].name, lab.topology.switch(DEVICE).netns

    def mtu() -> int:
        out = subprocess.run(["ip", "-n", netns, "-j", "link", "show", "dev", port], capture_output=True, text=True,
                             check=True, timeout=10).stdout
        return int(json.loads(out)[0]["mtu"])

    before = mtu()
    bundle = json.dumps({"frr.conf": rendered[DEVICE], "links.sh": f"ip link set dev {port} mtu 4000\n"})
    dev.load_replace_candidate(config=bundle)
    assert dev.compare_config() == f"Kernel Settings To Apply\n========================\nlinks.sh: ip link set dev {port} mtu 4000\n"
    dev.commit_config()
    assert mtu() == 4000
    dev.rollback()
    assert mtu() == before, "rollback() took the new MTU back"
    dev.load_replace_candidate(config=bundle)
    dev.commit_config()
    assert mtu() == 4000
    dev.load_replace_candidate(config=json.dumps({"frr.conf": rendered[DEVICE]}))
    assert dev.compare_config() == f"Kernel Settings Taken Back\n==========================\nlinks.sh: ip link set dev {port} mtu {before}\n"
    dev.commit_config()
    assert mtu() == before, "a replace without the setting took it back"
    assert dev.get_kernel_settings() == {}


def test_replace_from_file_removes_what_the_candidate_lacks(dev: FRRDriver, rendered: dict[str, str], tmp_path: Path) -> None:
    dev.load_merge_candidate(config=f"{STATIC}\n")
    dev.commit_config()
    path = tmp_path / "frr.conf"
    path.write_text(rendered[DEVICE])
    dev.load_replace_candidate(filename=str(path))
    diff = dev.compare_config()
    assert f"no {STATIC}" in diff.splitlines()  # frr-reload lists this removal as a "no" command to add
    dev.commit_config()
    assert STATIC not in dev.get_config()["running"]


def test_merge_applies_lines_on_top(dev: FRRDriver, design_dev: Device) -> None:
    dev.load_merge_candidate(config=f"{STATIC}\n")
    assert dev.compare_config() == f"Lines To Merge\n==============\n{STATIC}\n"
    dev.commit_config()
    running = dev.get_config()["running"]
    assert STATIC in running and f"router bgp {design_dev.asn}" in running
    assert dev.get_route_to(destination="192.0.2.1")["192.0.2.0/24"][0]["protocol"] == "static"


def test_commit_with_revert_timer_reverts_unless_confirmed(dev: FRRDriver) -> None:
    dev.load_merge_candidate(config=f"{STATIC}\n")
    dev.commit_config(revert_in=2)
    assert dev.has_pending_commit()
    with pytest.raises(CommitError, match="pending"):
        dev.load_merge_candidate(config="ip route 192.0.2.128/25 Null0\n")
        dev.commit_config()
    dev.discard_config()
    assert STATIC in dev.get_config()["running"]
    deadline = time.monotonic() + 15
    while dev.has_pending_commit() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not dev.has_pending_commit()
    assert STATIC not in dev.get_config()["running"]  # the device reverted by itself

    dev.load_merge_candidate(config=f"{STATIC}\n")
    dev.commit_config(revert_in=2)
    dev.confirm_commit()
    assert not dev.has_pending_commit()
    time.sleep(3)
    assert STATIC in dev.get_config()["running"]  # confirmed: kept
    with pytest.raises(CommitConfirmException):
        dev.confirm_commit()


def test_a_replace_without_the_management_address_keeps_the_way_in(dev: FRRDriver, lab: Lab, design_dev: Device) -> None:
    """The switch booted with its management address in the kernel alone (``lab up``, as DHCP or the
    OS sets it on a switch); the first commit (the ``deployed`` fixture) put it in frr.conf. A replace
    without it, the rollback of a first deploy to its snapshot, made zebra delete it from the kernel:
    the driver's next command got no answer for 60 s, then ConnectionClosed, and the switch was cut
    off (seen in the lab). It stays now, through a commit, a rollback and the revert timer, and the
    same session keeps answering; an address the kernel did not hold before goes as FRR says."""
    netns = lab.topology.switch(DEVICE).netns
    running = dev.get_config(retrieve="running")["running"]
    mgmt = next((i, a) for i, a in parse.interface_addresses(running) if a == design_dev.management)

    def held(address: str = mgmt[1]) -> bool:
        host = f"{address.split('/')[0]}/32"
        out = subprocess.run(["ip", "-n", netns, "-o", "addr", "show", "dev", mgmt[0], "to", host],
                             capture_output=True, text=True, timeout=10)
        return bool(out.stdout.strip())

    extra = "192.0.2.77/32"  # a documentation address the kernel never held: FRR's to add and take away
    lines = running.splitlines()
    start = lines.index(f"interface {mgmt[0]}")
    bare = "\n".join(lines[:start] + lines[lines.index("exit", start) + 1:]) + "\n"  # its interface section gone
    assert mgmt not in parse.interface_addresses(bare) and held()
    with_extra = running.replace(f"interface {mgmt[0]}\n", f"interface {mgmt[0]}\n ip address {extra}\n", 1)

    dev.load_replace_candidate(config=with_extra)
    dev.commit_config()
    assert held(extra)
    dev.load_replace_candidate(config=bare)
    dev.commit_config()
    assert mgmt not in parse.interface_addresses(dev.get_config(retrieve="running")["running"]), "FRR no longer has it"
    assert held(), "the kernel keeps the switch's own address"
    assert not held(extra), "the address FRR added is taken away with its config"
    assert dev.get_facts()["hostname"] == DEVICE, "the session still answers"
    dev.rollback()
    assert held() and mgmt in parse.interface_addresses(dev.get_config(retrieve="running")["running"])

    dev.set_revert_config(bare)  # the revert timer restores a config without it
    dev.load_replace_candidate(config=running)
    dev.commit_config(revert_in=2)
    deadline = time.monotonic() + 20
    while dev.has_pending_commit() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not dev.has_pending_commit()
    assert mgmt not in parse.interface_addresses(dev.get_config(retrieve="running")["running"]), "the timer ran"
    assert held() and dev.get_facts()["hostname"] == DEVICE


def test_invalid_candidates_are_rejected_at_load(dev: FRRDriver) -> None:
    before = dev.get_config()["running"]
    with pytest.raises(ReplaceConfigException, match="Unknown command"):
        dev.load_replace_candidate(config="hostname x\nrouter bgp 65000\n bgp routerid 1.1.1.1\n")
    with pytest.raises(MergeConfigException, match="Unknown command"):
        dev.load_merge_candidate(config="ip rooute 192.0.2.0/24 Null0\n")
    with pytest.raises(ReplaceConfigException, match="cannot read"):
        dev.load_replace_candidate(filename="/nonexistent/frr.conf")
    assert dev.compare_config() == ""
    with pytest.raises(CommitError, match="no candidate"):
        dev.commit_config()
    assert dev.get_config()["running"] == before


def test_failed_commit_restores_the_previous_config(dev: FRRDriver, design_dev: Device) -> None:
    # valid syntax (vtysh -C accepts it) that bgpd refuses: a second BGP instance, after a line that applies
    dev.load_merge_candidate(config=f"{STATIC}\nrouter bgp {design_dev.asn + 1000}\n bgp router-id 192.0.2.1\n")
    with pytest.raises(MergeConfigException, match="previous config restored"):
        dev.commit_config()
    running = dev.get_config()["running"]
    assert STATIC not in running and f"router bgp {design_dev.asn + 1000}" not in running
    assert f"router bgp {design_dev.asn}\n" in running


def test_cli_runs_vtysh_and_reports_unknown_commands(dev: FRRDriver) -> None:
    out = dev.cli(["show version", "show interface brief"])
    assert "FRRouting" in out["show version"] and "swp1" in out["show interface brief"]
    with pytest.raises(CommandErrorException, match="show nonsense"):
        dev.cli(["show nonsense"])


def test_bad_password_is_refused(lab: Lab) -> None:
    args = lab.napalm_args(DEVICE)
    args["password"] = "wrong-password"
    del args["optional_args"]["key_file"]
    driver = get_network_driver("frr")(**args)
    with pytest.raises(ConnectAuthError) as err:
        driver.open()
    assert isinstance(err.value, ConnectionException)
    assert "wrong-password" not in str(err.value) and "wrong-password" not in repr(driver)


def test_unauthorized_key_is_refused(lab: Lab, tmp_path: Path) -> None:
    key = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, timeout=30)
    args = lab.napalm_args(DEVICE)
    args["optional_args"]["key_file"] = str(key)
    with pytest.raises(ConnectAuthError, match="authentication failed"):
        get_network_driver("frr")(**args).open()


def test_unknown_host_key_is_rejected(lab: Lab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    args = lab.napalm_args(DEVICE)
    args["optional_args"]["known_hosts"] = str(empty)
    with pytest.raises(ConnectionException, match="not found in known_hosts"):
        get_network_driver("frr")(**args).open()


def test_changed_host_key_is_rejected(lab: Lab, tmp_path: Path) -> None:
    lines = lab.known_hosts.read_text().splitlines()
    target = lab.topology.switch(DEVICE).address
    other_key = next(line.split(" ", 1)[1] for line in lines if not line.startswith(target + " "))
    forged = tmp_path / "known_hosts"
    forged.write_text(f"{target} {other_key}\n")  # another switch's key under this address
    args = lab.napalm_args(DEVICE)
    args["optional_args"]["known_hosts"] = str(forged)
    with pytest.raises(ConnectionException, match="does not match"):
        get_network_driver("frr")(**args).open()


def test_a_switch_that_stops_answering_mid_session_times_out(lab: Lab) -> None:
    """Every sshd of the switch stopped (SIGSTOP) while a session is open: the next command gives up
    after the driver's timeout and closes the connection (paramiko alone waits for ever for the
    device to accept a command); the sshds resumed afterwards."""
    args = lab.napalm_args(DEVICE)
    args["timeout"] = 2
    driver = get_network_driver("frr")(**args)
    driver.open()
    sshds = [pid for pid in netns_pids(lab.topology.switch(DEVICE).netns) if process_name(pid) == "sshd"]
    assert sshds
    failed: list[BaseException] = []

    def facts() -> None:
        try:
            driver.get_facts()
        except BaseException as exc:  # handed to the test thread
            failed.append(exc)

    try:
        stopped = []
        for pid in sshds:  # a session process of an earlier test's connection may exit meanwhile
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        assert stopped, "no sshd of the switch left to stop"
        call = threading.Thread(target=facts, daemon=True)
        call.start()
        call.join(30)
        assert not call.is_alive(), "get_facts still waiting on a switch that does not answer"
    finally:  # every one resumed: a session's process may be gone once its parent resumes (it kills it)
        for pid in sshds:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    assert len(failed) == 1 and isinstance(failed[0], CommandTimeoutException), failed
    assert "no answer to vtysh within 2 s" in str(failed[0])
    assert driver.is_alive() == {"is_alive": False}
    with pytest.raises(ConnectionException, match="SSH connection is closed after no answer to vtysh within 2 s"):
        driver.get_config()  # the next command says why the connection is gone
    driver.close()
    driver.open()  # the switch answers again: a new connection works
    assert driver.get_facts()["hostname"] == DEVICE
    driver.close()


def test_a_command_that_outlasts_the_timeout_fails_in_the_caller_and_nowhere_else(lab: Lab,
                                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A command still running at the driver's timeout (the session's address taken away by the
    config it applies, say): the caller gets CommandTimeoutException, and the thread reading its
    stderr ends quietly (it raised, and its traceback landed on the deploy's stderr)."""
    unhandled: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: unhandled.append(args.exc_value))
    args = lab.napalm_args(DEVICE)
    args["timeout"] = 1
    driver = get_network_driver("frr")(**args)
    driver.open()
    try:
        with pytest.raises(CommandTimeoutException, match="sleep did not finish in 1 s"):
            driver._run(["sleep", "3"])
        time.sleep(1.5)  # the stderr reader times out too, a moment later
    finally:
        driver.close()
    assert unhandled == []


def test_unknown_namespace_is_a_connection_error(lab: Lab) -> None:
    args = lab.napalm_args(DEVICE)
    args["optional_args"]["netns"] = "aifab-labtest.no-such-namespace"
    with pytest.raises(ConnectionException, match="no-such-namespace"):
        get_network_driver("frr")(**args).open()


@pytest.mark.skipif(not Path("/usr/bin/sudo").exists(), reason="sudo is not installed (Debian package sudo)")
def test_sudo_prefix_runs_device_commands_through_sudo(deployed: AggregatedResult, lab: Lab, rendered: dict[str, str]) -> None:
    args = lab.napalm_args(DEVICE)
    args["optional_args"]["sudo"] = True
    with get_network_driver("frr")(**args) as driver:
        assert driver._run(["id", "-un"]).stdout.strip() == "root"
        assert "sudo" in driver._run(["sh", "-c", "ps -o comm= -p $PPID"]).stdout  # the shell's parent is sudo
        assert driver.get_facts()["hostname"] == DEVICE
        driver.load_merge_candidate(config=f"{STATIC}\n")
        driver.commit_config()
        assert STATIC in driver.get_config()["running"]
        driver.rollback()
        assert STATIC not in driver.get_config()["running"]
