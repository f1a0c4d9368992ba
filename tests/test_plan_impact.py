"""The impact table (plan.impact): every row sourced, documented, detected, and mapped to the rollout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aifab.design import build_design
from aifab.design.model import Design, Port
from aifab.intent import load_intent
from aifab.plan.changes import change_set
from aifab.plan.impact import END, IMPACTS, ROWS, START, TABLE, impact_of, line_kinds, table_markdown
from aifab.plan.waves import PlanError, classify, plan_waves, signed_lines, unrendered
from tests.test_sources import sections

ROOT = Path(__file__).parents[1]

# One changed line per detectable kind, as the platforms render it (EOS, frr.conf, links.sh/qos.sh, CONFIG_DB).
EXAMPLES: dict[str, list[str]] = {
    "description": ["+   description P2P_be-spine1_Ethernet1", '+            "description": "SERVER_srv-su1-01",'],
    "ecn": ["+      random-detect ecn minimum-threshold 500 kbytes maximum-threshold 2000 kbytes max-mark-probability 20",
            '+            "green_max_threshold": "2097152",',
            "+tc qdisc replace dev swp1 parent 1:3 handle 13: red limit 6000000 min 150000 max 2000000 avpkt 1000 ecn"],
    "pfc-watchdog": ["+priority-flow-control pause watchdog default timeout 0.3", '+            "detection_time": "300",'],
    "dscp-map": ["+qos map dscp 26 to traffic-class 4", '+            "dscp_to_tc_map": "AIFAB",',
                 "+dcb app replace dev swp1 dscp-prio 0:0 24:3 26:0",
                 # napalm_sonic's patch of a map's entries (bare numbers): read as the map they change
                 'CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/DSCP_TO_TC_MAP/AIFAB/24", "value": "3"}\n]'],
    "qos-scheduling": ["+qos profile AIFAB-QOS", "+      bandwidth percent 60", '+            "weight": "60",',
                       "+dcb ets set dev swp1 prio-tc 0:0 1:1 tc-tsa all:ets 6:strict tc-bw all:0 0:40 3:60",
                       "+tc qdisc replace dev swp1 root handle 1: ets bands 3 strict 1 quanta 60000 40000 priomap 1 1 1 2 1 1 0 1",
                       'CONFIG_DB (config apply-patch)\n[\n {"op": "add", "path": "/TC_TO_QUEUE_MAP/AIFAB", "value": {"4": "4"}}\n]',
                       'CONFIG_DB (config apply-patch)\n[\n {"op": "remove", "path": "/TC_TO_PRIORITY_GROUP_MAP/AIFAB/4"}\n]'],
    "bgp-timers": ["+   timers bgp 5 15", "+ timers bgp 5 15"],
    "graceful-restart": ["+   graceful-restart restart-time 300"],
    "max-paths": ["+   maximum-paths 4"],
    "route-policy": ["+   seq 10 permit 10.0.0.0/24 ge 32", "+   aggregate-address 10.0.2.0/30 summary-only"],
    "mtu": ["+   mtu 9000", "+ip link set dev swp1 mtu 9000", '+            "mtu": "9000",'],
    "speed": ["+   speed 200g-4", '+            "speed": "200000",', "+ethtool -s swp1 speed 200000 duplex full autoneg off"],
    "fec": ["+   error-correction encoding reed-solomon", '+            "fec": "rs",'],
    "pfc-enable": ["+   priority-flow-control priority 4 no-drop", "+   service-profile AIFAB-QOS", '+            "pfc_enable": "3,4",',
                   'CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/MAP_PFC_PRIORITY_TO_QUEUE/AIFAB/4", "value": "4"}\n]'],
    "buffers": ["+platform trident mmu queue profile AIFAB2", '+            "xoff": "100000",',
                'CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/BUFFER_PROFILE/AIFAB_LOSSLESS/size", "value": "0"}\n]'],
    "headroom": ['+            "Ethernet0": "50m",'],  # config_db.json's CABLE_LENGTH|AZURE, as the review's diff shows it
    "buffer-pools": ['CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/BUFFER_POOL/ingress_lossless_pool/size", '
                     '"value": "106886208"}\n]'],
    "bfd": ["+   neighbor SPINES bfd"],
    "asn": ["+router bgp 4200000009"],
    "router-id": ["+   router-id 10.0.0.9"],
    "address": ["+   ip address 10.0.2.8/31"],
    "software": ["+boot system flash:/EOS-4.32.1F.swi"],
    "load-balancing": ["+ip load-sharing trident fields ip source-ip destination-ip", "+      fields l4 outer dst-port src-port",
                       "+         payload bytes 5-7", "+ip hardware fib load-balance distribution dynamic",
                       "+sysctl -w net.ipv4.fib_multipath_hash_policy=1", '+            "ecmp_hash": [',
                       '+                "L4_SRC_PORT",', '+                "RDMA_BTH_DEST_QP"'],
    "access": ["+username ops privilege 15 role network-admin secret sha512 {{secret:users.ops.password}}",
               "+ntp server vrf MGMT 10.250.0.3 iburst", "+logging vrf MGMT host 10.250.0.6", "+snmp-server location DC2",
               "+tacacs-server host 10.250.0.12 vrf MGMT key 0 {{secret:aaa.tacacs_key}}",
               "+aaa authentication login default group tacacs+ local", "+ip tacacs vrf MGMT source-interface Management1",
               '+            "iburst": "on",', '+            "failthrough": "true",', '+            "Location": "DC2"'],
    "management": ["+ip route vrf MGMT 0.0.0.0/0 192.168.0.2", '+            "gwaddr": "192.168.0.2"'],
    "telemetry": ["+sflow sample 16384", "+queue-monitor length", "+management api gnmi", '+            "collector_ip": "10.250.0.20",'],
}
# napalm_sonic's patch operations whose path, not a field of the line, says what they change: a whole
# entry or table removed or added, a port-keyed field (CABLE_LENGTH|AZURE), a field named only here.
SONIC_OPS = {
    "pfc-watchdog": ['{"op": "remove", "path": "/PFC_WD"}',
                     '{"op": "add", "path": "/PFC_WD", "value": {"Ethernet0": {"action": "drop", "detection_time": "200"}}}',
                     '{"op": "replace", "path": "/PORT_QOS_MAP/Ethernet0/pfcwd_sw_enable", "value": "3"}'],
    "ecn": ['{"op": "remove", "path": "/WRED_PROFILE/AIFAB_LOSSLESS"}'],
    "buffers": ['{"op": "remove", "path": "/BUFFER_PROFILE/ingress_lossy_profile"}',
                '{"op": "add", "path": "/BUFFER_POOL/ingress_lossless_pool", "value": {"mode": "dynamic", "type": "ingress"}}',
                '{"op": "replace", "path": "/BUFFER_PORT_INGRESS_PROFILE_LIST/Ethernet0/profile_list", "value": "x"}'],
    # a port's lossless priority group: its profile (SONiC's pg_lossless_<speed>_<cable>_profile) and cable length
    "headroom": ['{"op": "add", "path": "/CABLE_LENGTH/AZURE/Ethernet8", "value": "5m"}',
                 '{"op": "replace", "path": "/CABLE_LENGTH/AZURE/Ethernet0", "value": "100m"}',
                 '{"op": "add", "path": "/CABLE_LENGTH", "value": {"AZURE": {"Ethernet0": "5m"}}}',
                 '{"op": "remove", "path": "/BUFFER_PROFILE/pg_lossless_400000_20m_profile"}',
                 '{"op": "remove", "path": "/BUFFER_PROFILE/pg_lossless_400000_20m_profile", "was": {"xoff": "176128", "size": "221184"}}',
                 '{"op": "replace", "path": "/BUFFER_PROFILE/pg_lossless_400000_5m_profile/xoff", "value": "159744"}',
                 '{"op": "replace", "path": "/BUFFER_PG/Ethernet0|3/profile", "value": "pg_lossless_400000_5m_profile", '
                 '"was": "pg_lossless_400000_3m_profile"}'],
    "pfc-enable": ['{"op": "remove", "path": "/PORT_QOS_MAP/Ethernet0"}'],
    "qos-scheduling": ['{"op": "remove", "path": "/QUEUE/Ethernet0|3"}', '{"op": "remove", "path": "/SCHEDULER/scheduler.3"}',
                       # a strict queue moved (a CNP traffic class changed): "type" is a buffer pool's field too
                       '{"op": "add", "path": "/SCHEDULER/scheduler.7", "value": {"type": "STRICT"}}',
                       '{"op": "remove", "path": "/SCHEDULER/scheduler.6", "was": {"type": "STRICT"}}'],
    "management": ['{"op": "replace", "path": "/MGMT_INTERFACE/eth0|192.168.0.5~122/gwaddr", "value": "192.168.0.2", '
                   '"was": "192.168.0.1"}'],
    "address": ['{"op": "remove", "path": "/INTERFACE/Ethernet0|10.0.1.0~131"}'],
    "load-balancing": ['{"op": "remove", "path": "/SWITCH_HASH/GLOBAL"}'],
    # the way in: fields whose names other tables use too (priority, vrf, TYPE), said with their table
    "access": ['{"op": "remove", "path": "/NTP_SERVER/10.250.0.2", "was": {"iburst": "on"}}',
               '{"op": "add", "path": "/TACPLUS_SERVER/10.250.0.12", "value": {"priority": "1", "tcp_port": "49", "vrf": "mgmt"}}',
               '{"op": "replace", "path": "/SNMP/LOCATION/Location", "value": "DC2", "was": "DC1"}',
               '{"op": "remove", "path": "/SNMP_COMMUNITY"}',
               '{"op": "replace", "path": "/RADIUS_SERVER/10.250.0.13/priority", "value": "2", "was": "1"}'],
}
for _kind, _ops in SONIC_OPS.items():
    EXAMPLES[_kind] = EXAMPLES.get(_kind, []) + [f"CONFIG_DB (config apply-patch)\n[\n {op}\n]" for op in _ops]

# Kinds only the Designs tell (no rendered line says them alone), with the Design change that shows them.
FROM_DESIGN = {"peer-asn", "neighbor-added", "neighbor-removed", "port-added", "policy",
               "platform", "hardware", "link-moved", "link-removed", "device-removed", "device-added"}


def test_every_row_is_covered_by_an_example_or_a_design_test() -> None:
    assert set(EXAMPLES) | FROM_DESIGN == set(ROWS), "each row has a test"
    assert len(ROWS) == len(TABLE), "one row per kind"


@pytest.mark.parametrize("row", TABLE, ids=lambda r: r.kind)
def test_row_is_sourced_documented_and_known(row) -> None:
    assert row.source in sections(), f"docs/sources.md#{row.source} missing"
    assert row.impact in IMPACTS and all(v in IMPACTS for v in row.platforms.values())
    for platform in ("eos", "frr", "sonic"):
        assert impact_of(row.kind, platform) == (row.on(platform), True)
    for kind in EXAMPLES.get(row.kind, []):
        assert set(line_kinds(signed_lines(kind))) == {row.kind}, kind


def test_docs_table_equals_the_code() -> None:
    doc = (ROOT / "docs" / "impact.md").read_text()
    assert doc.split(START)[1].split(END)[0].strip() == table_markdown().strip(), "regenerate docs/impact.md's table"


def test_classes_by_the_issue() -> None:
    cls = {r.kind: r.on("eos") for r in TABLE}
    assert {cls[k] for k in ("description", "ecn", "pfc-watchdog", "neighbor-added")} == {"hitless"}
    # issue 11: BGP timers take effect at the next session reset (hitless); issue 10's reset under
    # drain, for who wants them in effect now, is upgrade.bgp_timers: reset-now
    assert {cls[k] for k in ("bgp-timers", "graceful-restart")} == {"hitless"}
    for platform in ("eos", "frr", "sonic"):
        assert {impact_of(k, platform, "reset-now") for k in ("bgp-timers", "graceful-restart")} == {("session-reset", True)}
        assert impact_of("ecn", platform, "reset-now") == impact_of("ecn", platform)
    assert {cls[k] for k in ("mtu", "speed", "fec", "pfc-enable")} == {"port-flap"}
    assert {cls[k] for k in ("asn", "address", "neighbor-removed")} == {"session-reset"}
    assert {cls[k] for k in ("software", "buffers")} == {"reload"}
    assert {cls[k] for k in ("link-moved", "link-removed", "device-removed")} == {"re-cabling"}
    assert ROWS["buffers"].on("sonic") == "reload"


def test_a_port_cabled_for_the_first_time_is_port_added_from_any_drivers_diff(cluster: Design) -> None:
    """A storage node added on a free port (seen in the lab): the deploy has only the device's diff,
    where the new port's address, MTU, queues and link-up read as session-reset, port-flap and
    unknown (a drain, and a cordon on a rail leaf); every changed line of the port is added and it gains
    a described peer: port-added, hitless, as the review (from the Design) says."""
    by = {d.name: d for d in cluster.devices()}
    frr = ("Lines To Add\n============\ninterface swp6\ninterface swp6\n description SERVER_stor02_fe1\n"
           "interface swp6\n ip address 10.1.2.10/31\nrouter bgp 65000\n neighbor 10.1.1.9 remote-as 65100\n"
           "Kernel Settings To Apply\n========================\nlinks.sh: ip link set dev swp6 mtu 9216\n"
           "links.sh: ip link set dev swp6 up\nqos.sh: tc qdisc replace dev swp6 root handle 1: ets bands 3 strict 1\n")
    eos = ("--- system:/running-config\n+++ session:/aifab\n@@ -40,6 +40,10 @@\n interface Ethernet5/1\n"
           "+   description SERVER_stor02_fe1\n+   mtu 9214\n+   no switchport\n+   ip address 10.1.2.10/31\n !\n"
           " interface Ethernet6/1\n")
    sonic = ('CONFIG_DB (config apply-patch)\n[\n {"op": "add", "path": "/PORT/Ethernet24/description", "value": "SERVER_stor02_fe1"},\n'
             ' {"op": "add", "path": "/INTERFACE/Ethernet24|10.1.2.10~131", "value": {}},\n'
             ' {"op": "add", "path": "/PORT/Ethernet24/mtu", "value": "9100"}\n]\n')
    for diff in (frr, eos, sonic):
        leaf = classify(by["be-leaf-su1-r1"], diff)
        assert (leaf.kind, leaf.reasons) == ("hitless", ("neighbor-added: hitless", "port-added: hitless") if diff is frr
                                              else ("port-added: hitless",)), diff
    # the same lines on a port that had config: what they change, not a port added
    moved = frr.replace("Lines To Add", "Lines To Delete\n===============\ninterface swp6\n description SERVER_stor01_fe1\n\nLines To Add")
    mtu = "Kernel Settings To Apply\n========================\nlinks.sh: ip link set dev swp6 mtu 9216\n"
    replaced = sonic.replace('"op": "add", "path": "/PORT/Ethernet24/description"', '"op": "replace", "path": "/PORT/Ethernet24/description"')
    assert classify(by["be-leaf-su1-r1"], moved).impact == "re-cabling"
    assert classify(by["be-leaf-su1-r1"], mtu).reasons == ("mtu: port-flap",)
    assert classify(by["be-leaf-su1-r1"], replaced).impact == "session-reset", "a described port's address added"
    hunk = eos.replace(" interface Ethernet5/1\n", "")  # the hunk does not show whose lines they are
    assert classify(by["be-leaf-su1-r1"], hunk).kind == "cordon"


def test_unknown_kind_is_most_cautious_in_place_class_and_says_so(cluster: Design) -> None:
    assert impact_of("frobnicate", "eos") == ("reload", False)
    assert set(line_kinds([("+", "hostname other")])) == {"unknown"}
    by = {d.name: d for d in cluster.devices()}
    spine = classify(by["be-spine1"], "+hostname other\n")
    assert spine.kind == "drain" and spine.impact == "reload" and spine.drain
    assert "unknown: reload (unknown change `hostname other`: the most cautious class)" in spine.reasons
    drift = ("Lines To Add\n============\nno ip route 192.0.2.0/24 Null0\n\n"  # frr-reload, a hand-added route
             "Lines To Delete\n===============\nrouter bgp 65000\n no timers bgp 5 15\n")
    leaf = classify(by["be-leaf-su1-r1"], drift)
    assert leaf.kind == "cordon" and leaf.reasons == (
        "bgp-timers: hitless (in effect at each session's next reset)",
        "unknown: reload (unknown change `ip route 192.0.2.0/24 Null0`: the most cautious class)")


def test_neighbour_lines_judged_per_neighbour() -> None:
    assert set(line_kinds([("+", "neighbor 10.0.1.8 peer group SPINES"), ("+", "neighbor 10.0.1.8 remote-as 42")])) == {"neighbor-added"}
    assert set(line_kinds([("-", "neighbor 10.0.1.8 remote-as 42")])) == {"neighbor-removed"}
    assert set(line_kinds([("-", "neighbor 10.0.1.8 remote-as 42"), ("+", "neighbor 10.0.1.8 remote-as 43")])) == {"peer-asn"}


def test_a_port_whose_described_peer_goes_is_a_cable_that_moves(cluster: Design) -> None:
    """The deploy has the device's diff and no Design: a port description naming its peer that goes
    and does not come back is a cable that moves or goes (re-cabling), in each platform's diff; the
    plan refuses it unless re-cabling is allowed."""
    eos = "--- running\n+++ session\n-   description P2P_be-leaf-su2-r1_Ethernet3\n+   description P2P_be-leaf-su1-r1_Ethernet3\n"
    frr = ("Lines To Delete\n===============\ninterface swp3\n description SERVER_srv-su2-01_fe1\n\n"
           "Lines To Add\n============\ninterface swp3\n description SERVER_stor01_fe1\n")
    for diff in (eos, frr):
        assert set(line_kinds(signed_lines(diff))) == {"description", "link-moved"}, diff
    gone = line_kinds([("-", "description P2P_be-leaf-su2-r1_swp3")])  # the port uncabled
    assert "link-moved" in gone
    same = [("-", "description P2P_be-spine1_Ethernet1"), ("+", "description P2P_be-spine1_Ethernet1")]
    assert set(line_kinds(same)) == {"description"}, "the same peer on another line of the diff: nothing moves"
    assert set(line_kinds([("-", "description uplink"), ("+", "description P2P_x_y")])) == {"description"}
    spine = classify(next(d for d in cluster.devices() if d.name == "be-spine1"), eos)
    assert spine.impact == "re-cabling"
    with pytest.raises(PlanError, match=r"never an in-place rollout \(once the cables are moved: aifab deploy --allow-recabling\)"):
        plan_waves(cluster, [spine])
    assert [w.devices for w in plan_waves(cluster, [spine], allow_recabling=True)] == [("be-spine1",)]


@pytest.fixture(scope="module")
def cluster() -> Design:
    return build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)


def test_impact_maps_to_the_rollout(cluster: Design) -> None:
    by = {d.name: d for d in cluster.devices()}
    leaf, spine, fe = by["be-leaf-su2-r3"], by["be-spine1"], by["fe-leaf1a"]
    hitless = classify(leaf, "+   description x\n")
    assert (hitless.kind, hitless.drain, hitless.cordon) == ("hitless", False, ())
    timers = classify(spine, "+   timers bgp 5 15\n")
    assert (timers.kind, timers.impact, timers.drain) == ("hitless", "hitless", False)
    assert timers.reasons == ("bgp-timers: hitless (in effect at each session's next reset)",)
    timers = classify(spine, "+   timers bgp 5 15\n", bgp_timers="reset-now")
    assert (timers.kind, timers.impact, timers.drain) == ("drain", "session-reset", True)
    gr = classify(leaf, "+   graceful-restart restart-time 300\n", bgp_timers="reset-now")
    assert (gr.kind, gr.drain, len(gr.cordon)) == ("cordon", True, 32)
    reset = classify(spine, "+   router-id 10.0.0.99\n")
    assert (reset.kind, reset.impact, reset.drain) == ("drain", "session-reset", True)
    reload = classify(leaf, "+boot system flash:/EOS-4.32.1F.swi\n")
    assert (reload.kind, reload.impact, reload.drain) == ("cordon", "reload", True)
    assert reload.cordon == tuple(f"srv-su2-{i:02d}" for i in range(1, 33))
    assert classify(fe, "+   mtu 9000\n").kind == "drain"
    assert classify(spine, "x", carrying=False).kind == "initial"


def test_port_flap_on_server_ports_cordons_those_servers_only(cluster: Design) -> None:
    from aifab.plan.changes import ChangeSet, DeviceChanges

    leaf = next(d for d in cluster.devices() if d.name == "be-leaf-su1-r1")
    server_ports = [p for p in leaf.ports if p.role == "server"][:3]
    cs = ChangeSet((), {leaf.name: DeviceChanges(leaf.name, {"speed": frozenset(p.name for p in server_ports)})}, (), ())
    change = classify(leaf, "+   speed 200g-4\n", changes=cs)
    assert (change.kind, change.impact, change.drain) == ("cordon", "port-flap", False)
    assert change.cordon == tuple(p.peer for p in server_ports)
    uplink = next(p for p in leaf.ports if p.role == "uplink")
    cs = ChangeSet((), {leaf.name: DeviceChanges(leaf.name, {"speed": frozenset({uplink.name, server_ports[0].name})})}, (), ())
    both = classify(leaf, "", changes=cs)
    assert (both.kind, both.drain) == ("cordon", True) and len(both.cordon) == 32


def test_port_flap_on_server_ports_read_from_a_drivers_diff_cordons_those_servers_only(cluster: Design) -> None:
    """The deploy has only the device's diff: each changed line takes the port its block, kernel
    command or CONFIG_DB key names (as the review's change set names them). Before, every kind read
    from a diff counted on every port: a speed change on three server ports drained the rail leaf and
    cordoned all 32 of its servers. A line outside any port (EOS's global ``mtu``) still counts on all."""
    leaf = next(d for d in cluster.devices() if d.name == "be-leaf-su1-r1")
    servers = [p for p in leaf.ports if p.role == "server"][:3]
    uplink = next(p for p in leaf.ports if p.role == "uplink")
    def diffs(ports: list[Port]) -> tuple[str, str, str]:  # EOS, napalm_frr's kernel settings, napalm_sonic's patch
        eos = "".join(f"--- a\n+++ b\n@@ -1,3 +1,3 @@\n interface {p.name}\n-   speed 400g-8\n+   speed 200g-4\n !\n" for p in ports)
        frr = "Kernel Settings To Apply\n========================\n" + "".join(
            f"links.sh: ethtool -s {p.name} speed 200000 duplex full autoneg off\n" for p in ports)
        sonic = "CONFIG_DB (config apply-patch)\n[\n" + ",\n".join(json.dumps(
            {"op": "replace", "path": "/PORT/" + p.name.replace("/", "~1") + "/speed", "value": "200000", "was": "400000"})
            for p in ports) + "\n]\n"
        return eos, frr, sonic

    for diff, wider in zip(diffs(servers), diffs([uplink, *servers[1:]]), strict=True):
        change = classify(leaf, diff)
        assert (change.kind, change.impact, change.drain) == ("cordon", "port-flap", False), diff
        assert change.cordon == tuple(p.peer for p in servers), diff
        change = classify(leaf, wider)
        assert (change.kind, change.drain, len(change.cordon)) == ("cordon", True, 32), wider
    eos = diffs(servers)[0]
    assert (classify(leaf, eos + "+mtu 9000\n").drain, len(classify(leaf, eos + "+mtu 9000\n").cordon)) == (True, 32)


@pytest.mark.parametrize(("knob", "value", "kind"), [
    (("qos", "roce_dscp"), 24, "dscp-map"),
    (("qos", "ecn", "max_kb"), 3000, "ecn"),
    (("qos", "watchdog", "enabled"), False, "pfc-watchdog"),
    (("qos", "watchdog", "detection_ms"), 300, "pfc-watchdog"),
])
def test_a_sonic_qos_change_deployed_as_napalm_sonic_patches_it_is_hitless(tmp_path: Path, knob: tuple[str, ...],
                                                                           value: object, kind: str) -> None:
    """The deploy classifies a switch by its driver's diff: for SONiC, napalm_sonic's CONFIG_DB patch
    (its own ``configdb.diff`` of the running and the candidate CONFIG_DB). A DSCP map's entries are
    bare numbers and a watchdog turned off removes the PFC_WD table: before, the first read as an
    unknown change (the most cautious class: a drain, a cordon on every rail leaf) and the second as
    no change at all. Now each is its kind, hitless, on every backend switch."""
    old, new = _designs(tmp_path, knob, value)
    for dev in new.backend.devices:
        text = _sonic_patch(old, new, dev.name)
        change = classify(dev, text)
        assert (change.kind, change.reasons) == ("hitless", (f"{kind}: hitless",)), (dev.name, text)


@pytest.mark.parametrize(("knob", "value"), [(("mtu",), 4200), (("cables", "leaf_spine"), 40), (("cables", "server_leaf"), 5)])
def test_a_sonic_headroom_change_deploys_as_the_review_plans_it(tmp_path: Path, knob: tuple[str, ...], value: object) -> None:
    """An MTU or cable length change gives SONiC's ports new lossless priority-group profiles (their
    headroom, docs/sources.md#impact-buffers: port-flap). The review reads it from the Designs
    (headroom), the deploy from napalm_sonic's patch as compare_config shows it: the profiles and
    cable lengths there read as buffer profiles (reload: the switch drained, a rail leaf's servers
    all cordoned, where only the ports it changes flap). Both now plan each backend switch alike."""
    from napalm_sonic import configdb

    old, new = _designs(tmp_path, knob, value)
    cs = change_set(old, new)
    changed = [d for d in new.backend.devices if d.name in cs.devices]
    assert changed
    for dev in changed:
        text = _sonic_patch(old, new, dev.name, lambda before, patch: configdb.shown(before, patch))
        deploy, review = classify(dev, text), classify(dev, "", changes=cs)
        assert "headroom: port-flap" in deploy.reasons, (dev.name, text)
        assert (deploy.kind, deploy.impact, deploy.drain, deploy.cordon) == (review.kind, review.impact, review.drain, review.cordon)


@pytest.mark.parametrize(("knob", "value"), [
    (("backend", "qos", "ecn", "max_kb"), 3000), (("backend", "qos", "watchdog", "enabled"), False),
    (("backend", "qos", "roce_dscp"), 24), (("backend", "qos", "cnp_tc"), 7), (("backend", "mtu"), 4200),
    (("backend", "cables", "server_leaf"), 5), (("frontend", "cables", "leaf_spine"), 50), (("frontend", "mtu"), 9000),
    (("backend", "load_balancing", "fields"), ["src_ip", "dst_ip"]), (("management", "ntp"), ["10.9.0.5"]),
    (("management", "aaa", "tacacs"), ["10.9.0.1"]), (("management", "snmp", "location"), "hall 2"),
    (("telemetry", "sflow", "collectors"), ["10.9.0.20"]), (("backend", "qos", "watchdog", "action"), "forward"),
    (("backend", "qos", "ecn", "probability"), 50), (("management", "snmp", "users"), ["nms"]),
    (("management", "users"), [{"name": "admin"}, {"name": "ops"}]),
])
def test_a_sonic_change_deploys_as_the_review_plans_it(tmp_path: Path, knob: tuple[str, ...], value: object) -> None:
    """Every switch, for each knob whose change lives in CONFIG_DB: the review's plan (the change set,
    less what no pushed file carries) and the deploy's (napalm_sonic's patch as compare_config shows
    it) are the same action, impact, drain and cordon. Each of these differed once: a moved CNP
    class's scheduler read as buffers, NTP, TACACS+ and SNMP as unknown (reload), a cable length as
    buffers."""
    from aifab.difftext import unified_diff
    from aifab.render.configs import render_device
    from napalm_sonic import configdb

    old, new = _designs(tmp_path, knob[1:], value, knob[0])
    cs = change_set(old, new)
    assert cs.devices, "the knob changes something"
    for dev in new.devices():
        before, after = (render_device(d, next(x for x in d.devices() if x.name == dev.name))[f"{dev.name}.config_db.json"]
                         for d in (old, new))
        if before == after:
            assert dev.name not in cs.devices or unrendered(cs, dev.name, "") == tuple(cs.kinds(dev.name)), dev.name
            continue
        deploy = classify(dev, _sonic_patch(old, new, dev.name, lambda b, patch: configdb.shown(b, patch)))
        diff = unified_diff(f"{dev.name}.config_db.json", before, after)
        left = unrendered(cs, dev.name, diff)
        review = classify(dev, diff, changes=cs.without(dev.name, left) if left else cs)
        assert "unknown" not in " ".join(deploy.reasons), (dev.name, deploy.reasons)
        assert (deploy.kind, deploy.impact, deploy.drain, deploy.cordon) == (review.kind, review.impact, review.drain,
                                                                             review.cordon), (dev.name, deploy.reasons, review.reasons)


@pytest.mark.parametrize(("knob", "value"), [
    (("backend", "qos", "ecn", "max_kb"), 3000), (("backend", "qos", "watchdog", "detection_ms"), 300),
    (("backend", "qos", "roce_dscp"), 24), (("backend", "mtu"), 4200), (("backend", "bgp", "hold_s"), 15),
    (("backend", "cables", "server_leaf"), 5), (("frontend", "mtu"), 9000), (("management", "ntp"), ["10.9.0.5"]),
    (("management", "users"), [{"name": "admin"}, {"name": "ops"}]), (("management", "syslog"), ["10.9.0.6"]),
    (("management", "aaa", "tacacs"), ["10.9.0.1"]), (("telemetry", "sflow", "collectors"), ["10.9.0.20"]),
    (("frontend", "asn", "base"), 4200100500), (("backend", "pools", "p2p"), "10.0.4.0/24"), (("backend", "pools", "servers"), "10.0.5.0/24"),
    (("backend", "bgp", "bfd"), False), (("upgrade", "graceful_restart_s"), 700), (("backend", "qos", "watchdog", "action"), "forward"),
    (("backend", "qos", "ecn", "probability"), 50), (("backend", "qos", "cnp_tc"), 7), (("frontend", "cables", "leaf_spine"), 50),
    (("backend", "load_balancing", "fields"), ["src_ip", "dst_ip"]), (("management", "snmp", "users"), ["nms"]),
])
@pytest.mark.parametrize("platform", ["eos", "frr"])
def test_a_text_change_deploys_as_the_review_plans_it(tmp_path: Path, knob: tuple[str, ...], value: object, platform: str) -> None:
    """The same for EOS switches, whose deploy reads the config session's diff (a unified diff of the
    running config), and FRR's (frr.conf's lines, links.sh's and qos.sh's commands): on EOS users,
    NTP, syslog and TACACS+ read as unknown (reload: every switch drained, every server cordoned), and
    a cable length changed nothing the review did not plan."""
    from aifab.difftext import unified_diff
    from aifab.platforms import platform as record
    from aifab.render.configs import render_device

    old, new = _designs(tmp_path, knob[1:], value, knob[0], platform)
    cs = change_set(old, new)
    assert cs.devices, "the knob changes something"
    for dev in new.devices():
        before, after = ({n: t for n, t in render_device(d, next(x for x in d.devices() if x.name == dev.name)).items()
                          if n.removeprefix(f"{dev.name}.") in record(platform).pushed_files} for d in (old, new))
        diff = "".join(unified_diff(n, before[n], after[n]) for n in sorted(before) if before[n] != after[n])
        left = unrendered(cs, dev.name, diff)
        known = cs.without(dev.name, left) if left else cs
        if not diff:
            assert not known.kinds(dev.name), (dev.name, known.kinds(dev.name))
            continue
        deploy, review = classify(dev, diff), classify(dev, diff, changes=known)
        assert "unknown" not in " ".join(deploy.reasons), (dev.name, deploy.reasons)
        assert (deploy.kind, deploy.impact, deploy.drain, deploy.cordon) == (review.kind, review.impact, review.drain,
                                                                             review.cordon), (dev.name, deploy.reasons, review.reasons)


def _designs(tmp_path: Path, knob: tuple[str, ...], value: object, root: str = "backend",
                   platform: str = "sonic") -> tuple[Design, Design]:
    """The lab intent on ``platform`` switches, as it is and with ``knob`` under ``root`` set to ``value``."""
    import yaml

    data = yaml.safe_load((ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", f"platform: {platform}}}"))
    designs = []
    for changed in (False, True):
        if changed:
            node = data.setdefault(root, {})
            for key in knob[:-1]:
                node = node.setdefault(key, {})
            node[knob[-1]] = value
        path = tmp_path / f"{changed}.yaml"
        path.write_text(yaml.safe_dump(data))
        designs.append(build_design(load_intent(path).intent))
    return designs[0], designs[1]


def _sonic_patch(old: Design, new: Design, name: str, show: Callable[[dict, list], list] | None = None) -> str:
    """napalm_sonic's CONFIG_DB patch from ``name``'s config in ``old`` to its config in ``new``, as
    its compare_config prints it (``show``: the operations as shown, default as applied)."""
    from aifab.render.configs import render_device
    from napalm_sonic import configdb

    before, after = (json.loads(render_device(d, next(x for x in d.devices() if x.name == name))[f"{name}.config_db.json"])
                     for d in (old, new))
    patch = configdb.diff(before, after)
    assert patch, name
    if show is not None:
        patch = show(before, patch)
    return "CONFIG_DB (config apply-patch)\n[\n" + ",\n".join(" " + json.dumps(op, sort_keys=True) for op in patch) + "\n]\n"
