"""napalm_frr.kernel: candidate bundles, scripts split into settings, and the kernel's state compared
with them (state from iproute2 6.1 JSON as this machine prints it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from napalm_frr.kernel import (
    BundleError,
    KernelState,
    Setting,
    apply_script,
    bundle,
    cannot_hold,
    in_effect,
    parse_applied,
    parse_state,
    reason,
    settings,
    summarize,
    target,
    target_key,
    tc_handle,
    tc_parent,
    undo,
)
from napalm_frr.ssh import Output

QOS = """#!/bin/sh
# swp1: a comment
set -eu
dcb pfc set dev swp1 prio-pfc all:off 3:on
tc qdisc replace dev swp1 root handle 1: ets bands 3 strict 1 quanta 50000 50000 priomap 1 1 1 2 1 1 0 1
tc qdisc replace dev swp1 parent 1:3 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1000 probability 1 ecn
"""
LINKS = "set -eu\nip link set dev swp1 mtu 9216\nip link set dev swp1 up\n"


def test_plain_text_is_frr_conf_and_a_json_object_is_a_bundle() -> None:
    assert bundle("hostname x\n") == {"frr.conf": "hostname x\n"}
    files = {"frr.conf": "hostname x\n", "qos.sh": QOS}
    assert bundle(json.dumps(files)) == files
    with pytest.raises(BundleError, match=r"unknown candidate file.*config_db"):
        bundle(json.dumps({"frr.conf": "", "config_db": {}}))


def test_each_command_line_is_one_setting_in_apply_order() -> None:
    got = settings({"qos.sh": QOS, "links.sh": LINKS})
    assert [s.file for s in got] == ["links.sh", "links.sh", "qos.sh", "qos.sh", "qos.sh"]
    assert got[0] == Setting("links.sh", "ip link set dev swp1 mtu 9216") and got[0].required
    assert got[2].tool == "dcb pfc" and got[2].dev == "swp1" and not got[2].required
    assert got[2].label == "qos.sh: dcb pfc set dev swp1 prio-pfc all:off 3:on"


def _state() -> KernelState:
    out = "\n".join([
        "@@aifab link",
        json.dumps([{"ifname": "swp1", "flags": ["BROADCAST", "UP"], "mtu": 1500}]),
        "@@aifab addr", json.dumps([{"ifname": "swp1", "addr_info": [{"local": "10.0.1.0", "prefixlen": 31}]}]),
        "@@aifab qdisc", json.dumps([{"kind": "ets", "handle": "1:", "dev": "swp1", "root": True}]),
        "@@aifab probe dcb pfc swp1", "Attribute read: Operation not supported", "@@aifab rc 1",
    ])
    return parse_state(out)


def test_settings_compared_with_the_kernel_state() -> None:
    state = _state()
    mtu, up, pfc, ets, red = settings({"qos.sh": QOS, "links.sh": LINKS})
    assert in_effect(mtu, state, set()) == (False, "mtu is 1500")
    assert in_effect(up, state, set()) == (True, "")
    assert in_effect(pfc, state, set()) == (None, "Attribute read: Operation not supported")
    assert in_effect(ets, state, set()) == (False, "parameters not applied by aifab")
    assert in_effect(ets, state, {ets.command}) == (True, "")
    assert in_effect(red, state, {red.command})[0] is False  # no red qdisc: applied record or not
    addr = Setting("addresses.sh", "ip addr replace 10.0.1.0/31 dev swp1")
    assert in_effect(addr, state, set()) == (True, "")


def test_capability_errors_are_told_from_wrong_settings() -> None:
    assert cannot_hold("Error: Specified qdisc kind is unknown.")
    assert cannot_hold("Attribute read: Operation not supported")
    assert cannot_hold("sh: 1: ethtool: not found") and cannot_hold("bash: line 1: ethtool: command not found")
    assert not cannot_hold('Illegal "bandwidth"') and not cannot_hold('Cannot find device "swp9"')


def test_a_child_qdisc_names_its_parent() -> None:
    _, _, _, ets, red = settings({"qos.sh": QOS, "links.sh": LINKS})
    assert tc_handle(ets) == ("swp1", "1:") and tc_parent(ets) is None
    assert tc_parent(red) == tc_handle(ets) and tc_handle(red) == ("swp1", "13:")


def test_reasons_drop_the_shell_prefix_and_summaries_group_interfaces() -> None:
    assert reason("sh: 12: ethtool: not found\n") == "ethtool: not found"
    assert reason("RED: WARNING. Burst 600 seems to be too large.\nError: Failed to find specified qdisc.\n") == \
        "Error: Failed to find specified qdisc."
    items = {"qos.sh: dcb pfc set dev swp1 prio-pfc all:off": "Operation not supported",
             "qos.sh: dcb app replace dev swp2 dscp-prio 0:0": "Operation not supported",
             "config_db.json not applied: no SONiC": ""}
    assert summarize(items) == ["config_db.json not applied: no SONiC",
                                "qos.sh: dcb pfc, dcb app on swp1 swp2: Operation not supported"]


def test_sysctl_settings_are_required_and_read_back_from_this_kernel() -> None:
    """The ECMP hash sysctls (links.sh) are compared with what ``sysctl`` prints here (read only)."""
    import subprocess

    from napalm_frr.kernel import read_script

    policy = Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_policy=1")
    assert policy.required and policy.sysctl == ("net.ipv4.fib_multipath_hash_policy", "1")
    out = subprocess.run(["sh", "-c", read_script([policy])], capture_output=True, text=True, check=False).stdout
    state = parse_state(out)
    now = state.sysctls["net.ipv4.fib_multipath_hash_policy"]
    same = Setting("links.sh", f"sysctl -w net.ipv4.fib_multipath_hash_policy={now}")
    other = Setting("links.sh", f"sysctl -w net.ipv4.fib_multipath_hash_policy={1 - int(now) if now in '01' else 0}")
    assert in_effect(same, state, set()) == (True, "")
    assert in_effect(other, state, set()) == (False, f"net.ipv4.fib_multipath_hash_policy is {now}")
    mask = Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_fields=0x0037")
    assert in_effect(mask, KernelState(sysctls={"net.ipv4.fib_multipath_hash_fields": "55"}), set()) == (True, "")
    assert in_effect(mask, KernelState(), set()) == (False, "net.ipv4.fib_multipath_hash_fields not readable")


def test_a_setting_is_undone_only_by_one_of_the_same_target() -> None:
    """Another MTU of one link, other parameters of one qdisc, another value of one sysctl replace
    each other; a new qdisc handle, a link's MTU beside its state, another link do not."""
    new = settings({"links.sh": LINKS.replace("9216", "9000"), "qos.sh": QOS.replace("max 1500000", "max 2000000")})
    old = settings({"links.sh": LINKS, "qos.sh": QOS})
    assert [target(s) for s in new] == [target(s) for s in old]
    assert target(Setting("links.sh", "ip link set dev swp1 mtu 9000")) != target(Setting("links.sh", "ip link set dev swp1 up"))
    assert target(Setting("links.sh", "ip link set dev swp2 mtu 9000")) != target(Setting("links.sh", "ip link set dev swp1 mtu 9000"))
    assert target(Setting("qos.sh", "tc qdisc replace dev swp1 parent 1:4 handle 14: red limit 1 min 1 max 2 avpkt 1 ecn")) \
        not in {target(s) for s in old}
    assert target(Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_policy=3")) == \
        target(Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_policy=1"))


def test_the_state_before_a_setting_is_a_command_that_puts_it_back() -> None:
    """What a commit records for a target it sets for the first time: the command that returns it to
    the kernel's state read before, itself a setting read back like any other."""
    state = _state()
    state.sysctls["net.ipv4.fib_multipath_hash_policy"] = "0"
    mtu, up, pfc, ets, red = settings({"qos.sh": QOS, "links.sh": LINKS})
    assert undo(mtu, state) == "ip link set dev swp1 mtu 1500"
    assert undo(up, state) == "ip link set dev swp1 up"
    assert undo(Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_policy=1"), state) == \
        "sysctl -w net.ipv4.fib_multipath_hash_policy=0"
    assert undo(Setting("addresses.sh", "ip addr replace 10.0.9.0/31 dev swp1"), state) == "ip addr del 10.0.9.0/31 dev swp1"
    assert undo(Setting("addresses.sh", "ip addr replace 10.0.1.0/31 dev swp1"), state) is None  # it was there
    assert undo(Setting("addresses.sh", "ip link add lo1 type dummy"), state) == "ip link del lo1"
    assert [undo(s, state) for s in (pfc, ets, red)] == [None, None, None]  # qdiscs and DCB maps: no read-back as a command
    assert undo(Setting("links.sh", "ip link set dev swp9 mtu 9216"), state) is None  # a link the state does not show
    down = Setting("links.sh", "ip link set dev swp1 down")
    assert target(down) == target(up) and target_key(down) == target_key(up)
    assert in_effect(down, state, set()) == (False, "up")
    assert in_effect(Setting("x", "ip addr del 10.0.1.0/31 dev swp1"), state, set()) == (False, "10.0.1.0/31 on swp1")
    assert in_effect(Setting("x", "ip addr del 10.0.9.0/31 dev swp1"), state, set()) == (True, "")
    assert in_effect(Setting("x", "ip link del swp1"), state, set()) == (False, "swp1 exists")
    assert in_effect(Setting("x", "ip link del lo1"), state, set()) == (True, "")


def test_the_record_a_revert_timer_leaves_states_what_it_ran() -> None:
    """revert.kernel.json: the snapshot's settings; ``ip``/``sysctl`` ones applied (compared by value
    later), another only where the record had it applied already; the pre-aifab state kept for the
    targets the snapshot sets, the others put back by the timer."""
    from napalm_frr.frr import FRRDriver

    old = settings({"links.sh": LINKS, "qos.sh": QOS})
    new = settings({"links.sh": LINKS.replace("9216", "9000"), "qos.sh": QOS.replace("max 1500000", "max 2000000")})
    extra = Setting("links.sh", "sysctl -w net.ipv4.fib_multipath_hash_policy=1")
    record = {"settings": [s.label for s in [*new, extra]], "applied": [s.command for s in [*new, extra]],
              "unapplied": {new[2].command: "Operation not supported"},
              "baseline": {target_key(new[0]): "links.sh: ip link set dev swp1 mtu 1500",
                           target_key(extra): "links.sh: sysctl -w net.ipv4.fib_multipath_hash_policy=0"}}
    after = FRRDriver._reverted(old, record)
    assert after["settings"] == [s.label for s in old]
    mtu, up, pfc, ets, _red = old
    assert after["applied"] == [mtu.command, up.command, pfc.command, ets.command]  # red's parameters changed: run again
    assert after["unapplied"] == {pfc.command: "Operation not supported"}
    assert after["baseline"] == {target_key(mtu): "links.sh: ip link set dev swp1 mtu 1500"}  # the sysctl was put back


def _run_script(todo: list[tuple[Setting, int | None]]) -> list[tuple[int | None, str, str]]:
    """The script run by this machine's sh, as the driver runs it over SSH, and its results parsed."""
    res = subprocess.run(["sh", "-c", apply_script(todo)], capture_output=True, text=True, timeout=30, check=False)
    return parse_applied(res.stdout, res.stderr, len(todo))


def test_settings_run_in_one_script_each_with_its_own_exit_code_and_output(tmp_path: Path) -> None:
    todo: list[tuple[Setting, int | None]] = [
        (Setting("qos.sh", "printf 'a;b'"), None),  # quoted as one argument, as the driver's SSH session quotes it
        (Setting("qos.sh", "sh -c 'echo half; echo refused >&2; exit 3'"), None),
        (Setting("qos.sh", f"touch {tmp_path / 'after-a-failure'}"), 1),  # its parent failed: not run
        (Setting("qos.sh", f"touch {tmp_path / 'after-a-success'}"), 0),
        (Setting("qos.sh", "aifab-no-such-tool x"), None),
        (Setting("qos.sh", "printf 'no newline'"), None),
    ]
    got = _run_script(todo)
    assert got[0] == (0, "a;b", "")
    assert got[1] == (3, "half", "refused")
    assert got[2] == (None, "", "") and not (tmp_path / "after-a-failure").exists()
    assert got[3][0] == 0 and (tmp_path / "after-a-success").exists()
    assert got[4][0] == 127 and reason(got[4][2]) == "aifab-no-such-tool: not found" and cannot_hold(reason(got[4][2]))
    assert got[5] == (0, "no newline", "")


def test_a_result_the_script_never_printed_is_missing_not_a_success() -> None:
    todo = [(Setting("qos.sh", "true"), None), (Setting("qos.sh", "true"), None)]
    res = subprocess.run(["sh", "-c", apply_script(todo)], capture_output=True, text=True, timeout=30, check=True)
    cut = res.stdout[:res.stdout.index("@@aifab run 1")]  # the connection dropped before the second command
    assert parse_applied(cut, res.stderr, 2) == [(0, "", ""), (-1, "", "")]


class _NamespaceShell:
    """The driver's session as its commands reach a device, in a network namespace of this test's own
    (one veth port, swp1) instead of over SSH: real ip and tc on a real kernel."""

    def __init__(self, netns: str) -> None:
        self.netns = netns

    def run(self, argv: list[str], stdin: str | None = None) -> Output:
        res = subprocess.run(["ip", "netns", "exec", self.netns, *argv], input=stdin, capture_output=True, text=True,
                             timeout=30, check=False)
        return Output(res.returncode, res.stdout, res.stderr)


@pytest.fixture
def switch_netns() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
        pytest.skip("needs root, ip and tc (a network namespace of the test's own)")
    name = f"aifab-kerneltest-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        for args in (["link", "add", "swp1", "type", "veth", "peer", "name", "swp1p"], ["link", "set", "dev", "swp1", "up"]):
            subprocess.run(["ip", "-n", name, *args], check=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def test_a_commit_applies_what_it_can_reports_what_the_kernel_cannot_hold_and_fails_the_rest(switch_netns: str) -> None:
    """FRRDriver._apply on a real kernel: the settings run in one script; the MTU applies (read back);
    a qdisc kind this kernel does not have is not applicable, its child is not run and says why; a
    qdisc on a port that does not exist and a required MTU the kernel refuses fail the commit."""
    from napalm_frr.frr import FRRDriver

    dev = FRRDriver("sw", "admin", "", 10)
    dev._session = _NamespaceShell(switch_netns)  # type: ignore[assignment]
    wanted = settings({
        "links.sh": "ip link set dev swp1 mtu 9000\nip link set dev swp1 mtu 70000\n",
        "qos.sh": ("tc qdisc replace dev swp1 root handle 1: aifabnone\n"
                   "tc qdisc replace dev swp1 parent 1:3 handle 13: pfifo\n"
                   "tc qdisc replace dev swp9 root handle 2: pfifo\n"
                   "aifab-no-such-tool -s swp1\n"),
    })
    applied, unapplied, failed = dev._apply(wanted, {"applied": [], "unapplied": {}, "baseline": {}})
    assert applied == ["ip link set dev swp1 mtu 9000"]
    mtu = subprocess.run(["ip", "-n", switch_netns, "-j", "link", "show", "swp1"], capture_output=True, text=True,
                         check=True, timeout=10).stdout
    assert json.loads(mtu)[0]["mtu"] == 9000, "applied, read back from the kernel"
    assert set(unapplied) == {"tc qdisc replace dev swp1 root handle 1: aifabnone",
                              "tc qdisc replace dev swp1 parent 1:3 handle 13: pfifo", "aifab-no-such-tool -s swp1"}
    assert cannot_hold(unapplied["tc qdisc replace dev swp1 root handle 1: aifabnone"])
    assert unapplied["tc qdisc replace dev swp1 parent 1:3 handle 13: pfifo"].startswith("its parent qdisc 1: was not applied (")
    assert unapplied["aifab-no-such-tool -s swp1"] == "aifab-no-such-tool: not found"
    assert set(failed) == {"links.sh: ip link set dev swp1 mtu 70000", "qos.sh: tc qdisc replace dev swp9 root handle 2: pfifo"}
    assert not cannot_hold(failed["qos.sh: tc qdisc replace dev swp9 root handle 2: pfifo"])
