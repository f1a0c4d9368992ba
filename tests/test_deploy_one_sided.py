"""A setting both ends of a link must share (MTU, speed, FEC, PFC) changed at one end only, its peer left
out of the deploy (``--limit``/``--exclude``): said per device, from the driver's own diff of each
platform. Seen in the lab before: a backend MTU change deployed with ``--exclude be-leaf-su1-r1``
ended "committed", exit 0, each spine's port to that leaf at 9000 and the leaf's at 9216, unsaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.deploy.one_sided import one_sided_links, one_sided_ports, said
from aifab.design import build_design
from aifab.design.model import Design
from aifab.intent import load_intent

ROOT = Path(__file__).parents[1]


def design(tmp_path: Path, name: str, platform: str = "") -> Design:
    text = (ROOT / "intent" / name).read_text()
    if platform:
        text = text.replace("platform: frr}", f"platform: {platform}}}")
    (tmp_path / name).write_text(text)
    return build_design(load_intent(tmp_path / name).intent)


def spine_ports(d: Design) -> tuple[str, list[tuple[str, str, str]]]:
    spine = d.backend.devices[0]
    assert spine.role == "spine"
    return spine.name, [(p.name, p.peer, p.peer_port) for p in spine.ports]


def frr_diff(ports: list[str], setting: str) -> str:
    return "Kernel Settings To Apply\n========================\n" + "".join(f"links.sh: ip link set dev {p} {setting}\n" for p in ports)


def eos_diff(ports: list[str], line: str) -> str:
    return "@@ -1,4 +1,4 @@\n" + "".join(f" interface {p}\n-   description x\n+   {line}\n" for p in ports)


def sonic_diff(ports: list[str], key: str, value: str) -> str:
    ops = ",\n".join(f' {{"op": "replace", "path": "/PORT/{p}/{key}", "value": "{value}"}}' for p in ports)
    return f"CONFIG_DB (config apply-patch)\n[\n{ops}\n]\n"


@pytest.mark.parametrize(("intent", "platform", "diff"), [
    ("lab.yaml", "", lambda ports: frr_diff(ports, "mtu 9000")),
    ("lab.yaml", "sonic", lambda ports: sonic_diff(ports, "mtu", "9000")),
    ("cluster.yaml", "", lambda ports: eos_diff(ports, "mtu 9000")),
])
def test_an_mtu_changed_on_a_port_to_a_switch_left_out_is_said_for_that_port(tmp_path: Path, intent: str, platform: str,
                                                                             diff: object) -> None:
    d = design(tmp_path, intent, platform)
    spine, ports = spine_ports(d)
    (mine, peer, theirs), other = ports[0], next(name for name, to, _ in ports if to != ports[0][1])
    text = diff([mine, other])  # type: ignore[operator]
    said = one_sided_links(d, {spine: text}, frozenset({peer}))
    assert said == {spine: [f"mtu changed at this end only of {mine} (to {peer} {theirs}): the other end is left out of "
                            "this deploy, and the two ends differ until it is deployed too"]}
    assert one_sided_links(d, {spine: text}, frozenset()) == {}, "both ends deployed"


def test_a_setting_one_end_may_hold_alone_is_not_said(tmp_path: Path) -> None:
    """A description, or a speed on a port to a switch that is deployed, is no one-sided link; a speed
    on the port to the switch left out is."""
    d = design(tmp_path, "lab.yaml")
    spine, ports = spine_ports(d)
    (mine, peer, _), other = ports[0], next(name for name, to, _ in ports if to != ports[0][1])
    assert one_sided_links(d, {spine: eos_diff([mine], "description y")}, frozenset({peer})) == {}
    speed = "Kernel Settings To Apply\n========================\nlinks.sh: ethtool -s {} speed 100000\n"
    assert one_sided_links(d, {spine: speed.format(other)}, frozenset({peer})) == {}, "its port to the switch left out is not changed"
    assert list(one_sided_links(d, {spine: speed.format(mine)}, frozenset({peer}))[spine][0].split()[:2]) == ["speed", "changed"]


@pytest.mark.parametrize(("intent", "platform", "diff"), [
    ("lab.yaml", "", lambda port: f"Kernel Settings To Apply\n========================\nqos.sh: dcb pfc set dev {port} prio-pfc all:off 3:on\n"),
    ("lab.yaml", "sonic", lambda port: f'CONFIG_DB (config apply-patch)\n[\n {{"op": "add", "path": "/PORT_QOS_MAP/{port}/pfc_enable", "value": "3"}}\n]\n'),
    ("cluster.yaml", "", lambda port: eos_diff([port], "priority-flow-control on")),
])
def test_pfc_enabled_at_one_end_only_is_said(tmp_path: Path, intent: str, platform: str, diff: object) -> None:
    """PFC on at one end of a link only: the other end's pause frames go unanswered."""
    d = design(tmp_path, intent, platform)
    spine, ports = spine_ports(d)
    mine, peer, _ = ports[0]
    said = one_sided_links(d, {spine: diff(mine)}, frozenset({peer}))  # type: ignore[operator]
    assert said[spine][0].startswith(f"pfc-enable changed at this end only of {mine} (to {peer} "), said


def test_an_mtu_port_whose_far_end_runs_the_new_mtu_already_is_no_one_sided_link(tmp_path: Path) -> None:
    """What the far end runs, read from it, decides: the MTU this end takes already there (a new
    switch whose peers were deployed for it first) is not said; another is said with what the far end
    runs; a far end that could not be read is said with why."""
    d = design(tmp_path, "lab.yaml")
    spine, ports = spine_ports(d)
    (mine, peer, theirs), (other, peer2, theirs2) = ports[0], next(p for p in ports if p[1] != ports[0][1])
    mtu = next(p.mtu for p in d.backend.devices[0].ports if p.name == mine)
    text = frr_diff([mine, other], f"mtu {mtu}")
    outside = frozenset({peer, peer2})
    assert one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": mtu}}, peer2: {theirs2: {"mtu": mtu}}}, {}) == {}
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": mtu}}, peer2: {theirs2: {"mtu": 1500}}}, {})
    assert said == {spine: [f"mtu changed at this end only of {other} (to {peer2} {theirs2}: runs mtu 1500, read): the "
                            "other end is left out of this deploy, and the two ends differ until it is deployed too"]}
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": mtu}}}, {peer2: "unreachable: ConnectionException"})
    assert f"{other} (to {peer2} {theirs2}: not read, unreachable: ConnectionException)" in said[spine][0], said
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": mtu}}, peer2: {}}, {})
    assert f"{other} (to {peer2} {theirs2}: not read, {theirs2} not among its interfaces)" in said[spine][0], said


@pytest.mark.parametrize(("intent", "platform", "diff", "kind"), [
    ("cluster.yaml", "", "@@ -8,7 +8,7 @@\n qos profile AIFAB-QOS\n    qos trust dscp\n    priority-flow-control on\n"
                         "-   priority-flow-control priority 3 no-drop\n+   priority-flow-control priority 4 no-drop\n", "pfc-enable"),
    ("cluster.yaml", "", "@@ -30,3 +30,3 @@\n-qos map dscp 26 to traffic-class 3\n+qos map dscp 24 to traffic-class 3\n",
     "dscp-map"),
    ("lab.yaml", "sonic", 'CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/DSCP_TO_TC_MAP/AIFAB/24", "value": "3"}\n]\n',
     "dscp-map"),
    ("cluster.yaml", "", "@@ -8,7 +8,7 @@\n qos profile AIFAB-QOS\n-   tx-queue 3\n-      bandwidth percent 50\n"
                         "+   tx-queue 3\n+      bandwidth percent 60\n", "qos-scheduling"),
])
def test_a_class_setting_outside_any_port_is_said_on_every_port_to_a_switch_left_out(
        tmp_path: Path, intent: str, platform: str, diff: str, kind: str) -> None:
    """The no-drop priorities of EOS's qos profile, its DSCP map, SONiC's DSCP_TO_TC_MAP: written once
    per switch, applied on every port. Changed with a peer left out, the RoCE traffic is in another
    class (or paused on another priority) on each side of every link to it: each such link is said."""
    d = design(tmp_path, intent, platform)
    spine, ports = spine_ports(d)
    peer = ports[0][1]
    to_peer = [(name, theirs) for name, to, theirs in ports if to == peer]
    said = one_sided_links(d, {spine: diff}, frozenset({peer}))
    links = ", ".join(f"{name} (to {peer} {theirs})" for name, theirs in to_peer)
    assert said == {spine: [f"{kind} changed at this end only of {links}: the other end is left out of this deploy, and "
                            "the two ends differ until it is deployed too"]}
    assert one_sided_links(d, {spine: diff}, frozenset()) == {}, "every switch deployed"


def test_a_new_switch_is_said_one_sided_for_its_mtu_alone_read_from_the_far_end(tmp_path: Path) -> None:
    """A switch that carried no traffic (a new SU's leaf deployed after the spines deployed for it):
    its first config sets every setting; only its MTU is compared, with what the far end runs (read),
    the others are no change the far end shared (seen in the lab: its queues said one-sided)."""
    d = design(tmp_path, "lab.yaml")
    spine, ports = spine_ports(d)
    mine, peer, theirs = ports[0]
    mtu = next(p.mtu for p in d.backend.devices[0].ports if p.name == mine)
    text = (frr_diff([mine], f"mtu {mtu}")
            + f"qos.sh: tc qdisc replace dev {mine} root handle 1: ets bands 3 strict 1\nqos.sh: dcb pfc set dev {mine} prio-pfc all:off 3:on\n")
    outside = frozenset({peer})
    assert [line.split()[0] for line in one_sided_links(d, {spine: text}, outside)[spine]] == ["mtu", "pfc-enable", "qos-scheduling"]
    assert one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": mtu}}}, {}, new={spine}) == {}, "runs its MTU: nothing"
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": 1500}}}, {}, new={spine})
    assert [line.split()[0] for line in said[spine]] == ["mtu"], said


def test_a_speed_port_whose_far_end_runs_the_new_speed_already_is_no_one_sided_link(tmp_path: Path) -> None:
    """As for the MTU: the speed the far end runs (NAPALM get_interfaces, Mb/s, read as Gb/s) decides.
    The same speed: not said; another: said with it; 0 (a port that does not know its speed): said so."""
    d = design(tmp_path, "lab.yaml")
    spine, ports = spine_ports(d)
    mine, peer, theirs = ports[0]
    speed = next(p.speed for p in d.backend.devices[0].ports if p.name == mine)
    text = f"Kernel Settings To Apply\n========================\nlinks.sh: ethtool -s {mine} speed {speed * 1000}\n"
    outside = frozenset({peer})
    assert one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": 9216, "speed": speed}}}, {}) == {}
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": 9216, "speed": 100}}}, {})
    assert f"speed changed at this end only of {mine} (to {peer} {theirs}: runs speed 100G, read)" in said[spine][0], said
    said = one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"mtu": 9216, "speed": 0}}}, {})
    assert f"{mine} (to {peer} {theirs}: its speed reads unknown)" in said[spine][0], said
    assert one_sided_links(d, {spine: text}, outside, {peer: {theirs: {"speed": speed}}}, {}, new={spine}) == {}, "a new switch too"


def test_once_committed_a_speed_link_is_compared_with_what_this_end_runs(tmp_path: Path) -> None:
    """After the commit both ends are read: a port that runs what its far end runs is no one-sided
    link, even where neither took the build's speed (the lab's veths run 10G; before, the new leaf's
    uplinks were said pending for good); a port that runs another speed than its far end is said with
    both; one whose own speed reads unknown says so."""
    d = design(tmp_path, "lab.yaml")
    spine, ports = spine_ports(d)
    mine, peer, theirs = ports[0]
    speed = next(p.speed for p in d.backend.devices[0].ports if p.name == mine)
    text = f"Kernel Settings To Apply\n========================\nlinks.sh: ethtool -s {mine} speed {speed * 1000}\n"
    found = one_sided_ports(d, {spine: text}, frozenset({peer}))
    assert said(found, {peer: {theirs: {"speed": 10}}}, {}) != {}, "before the commit: the build's speed decides"
    assert said(found, {peer: {theirs: {"speed": 10}}, spine: {mine: {"speed": 10}}}, {}, after=True) == {}
    lines = said(found, {peer: {theirs: {"speed": 10}}, spine: {mine: {"speed": speed}}}, {}, after=True)[spine]
    assert f"{mine} (to {peer} {theirs}: runs speed 10G, this end {speed}G, read after the commit)" in lines[0], lines
    lines = said(found, {peer: {theirs: {"speed": 10}}, spine: {mine: {"speed": 0}}}, {}, after=True)[spine]
    assert "runs speed 10G, this end's reads unknown, read after the commit" in lines[0], lines
