"""After a commit: which changes need a session reset, the BGP detail/BFD read back, and the timers
verified or pending by ``upgrade.bgp_timers`` (recorded
FRR 8.4 JSON in tests/data/sonic/, the same vtysh output a SONiC or FRR switch gives)."""

from __future__ import annotations

import json
from pathlib import Path

from napalm.eos.eos import EOSDriver

from aifab.deploy.tasks.expect import Expectation, RouteExpectation, expectations
from aifab.deploy.tasks.verify import (
    _routes_to,
    bfd_state,
    eos_bfd_peers,
    longest_match,
    needs_reset,
    route_problems,
    session_state,
)
from napalm_frr.parse import bfd_peers, bgp_neighbors_detail, routes
from tests.test_render_helpers import lab_design

DATA = Path(__file__).parent / "data" / "sonic"
FRR = Path(__file__).parent / "data" / "frr"
EOS = Path(__file__).parent / "data" / "eos"


def test_timer_and_capability_changes_need_a_reset_others_do_not() -> None:
    timers = "Lines To Add\n============\nrouter bgp 65001\n timers bgp 5 15\n"
    assert needs_reset(timers)
    assert needs_reset("Lines To Delete\n===============\nrouter bgp 65001\n no timers bgp 5 15\n")
    assert needs_reset("Lines To Add\n============\nrouter bgp 1\n neighbor 10.0.0.1 timers 5 15\n")
    assert not needs_reset("Lines To Add\n============\nrouter bgp 65001\n neighbor 10.0.0.1 description x\n")
    assert not needs_reset("Kernel Settings To Apply\n========================\nqos.sh: tc qdisc replace dev swp1 root handle 1: ets\n")
    assert needs_reset("--- a/x.frr.conf\n+++ b/x.frr.conf\n@@ -1 +1 @@\n+ timers bgp 5 15\n")


def test_bgp_detail_has_negotiated_timers_and_prefix_counts() -> None:
    detail = bgp_neighbors_detail(json.loads((DATA / "vtysh_show_bgp_vrf_all_neighbors.json").read_text()))
    peer = next(p for peers in detail["global"].values() for p in peers if p["remote_address"] == "10.0.1.0")
    assert (peer["up"], peer["holdtime"], peer["keepalive"]) == (True, 9, 3)
    assert (peer["received_prefix_count"], peer["advertised_prefix_count"]) == (5, 3)
    assert peer["remote_as"] == 4200000000


def test_bfd_peers_by_address() -> None:
    data = [{"peer": "10.0.1.1", "status": "up"}, {"peer": "10.0.1.5", "status": "down"}, {"multihop": False}]
    assert bfd_peers(data) == {"10.0.1.1": "up", "10.0.1.5": "down"}
    assert bfd_peers({}) == {}


def test_expectations_carry_the_fabric_timers_and_bfd() -> None:
    design = lab_design()
    expect = expectations(design)
    for fabric in design.fabrics:
        for dev in fabric.devices:
            e = expect[dev.name]
            assert (e.hold_s, e.keepalive_s, e.bfd) == (fabric.bgp.hold_s, fabric.bgp.keepalive_s, fabric.bgp.bfd)


def _recorded() -> tuple[dict, Expectation]:
    """The recorded FRR detail (every session negotiated 9 s / 3 s), configured 15 s / 5 s as a
    commit of ``timers bgp 5 15`` leaves it before any session is established again."""
    detail = bgp_neighbors_detail(json.loads((DATA / "vtysh_show_bgp_vrf_all_neighbors.json").read_text()))
    peers = [p for by_as in detail["global"].values() for p in by_as if p["up"]]
    for p in peers:
        p["configured_holdtime"], p["configured_keepalive"] = 15, 5
    addrs = tuple(p["remote_address"] for p in peers)
    return detail, Expectation("be-leaf-su1-r1", addrs, (), 15, 5, False, tuple(f"peer{i}" for i in range(len(addrs))))


def test_next_reset_reports_the_timers_pending_never_a_failure() -> None:
    detail, expect = _recorded()
    problems, waiting = session_state(detail, None, expect, frozenset(), "next-reset")
    assert problems == [] and len(expect.peers) == 1
    assert waiting == ["hold time configured 15 s, negotiated 9 s on 1 session: in effect at the next session reset",
                       "keepalive configured 5 s, negotiated 3 s on 1 session: in effect at the next session reset"]


def test_reset_now_requires_the_timers_negotiated_unless_the_peer_is_pending() -> None:
    detail, expect = _recorded()
    problems, waiting = session_state(detail, None, expect, frozenset(), "reset-now")
    assert waiting == [] and len(problems) == 2 * len(expect.peers)
    assert "hold time 9s negotiated, 15s configured" in problems[0]
    assert session_state(detail, None, expect, frozenset(expect.peer_names), "reset-now") == ([], [])


def test_reset_now_reports_timers_a_peer_left_out_of_the_deploy_holds_down() -> None:
    """A peer left out by --limit/--exclude negotiates what it runs: pending until it is deployed
    too, said, not a failure (and not silent, as for a peer of a later wave)."""
    detail, expect = _recorded()
    problems, waiting = session_state(detail, None, expect, frozenset(), "reset-now", outside=frozenset(expect.peer_names))
    assert problems == []
    assert waiting == ["hold time configured 15 s, negotiated 9 s on 1 session with switches left out of this deploy: "
                       "in effect once they are deployed too",
                       "keepalive configured 5 s, negotiated 3 s on 1 session with switches left out of this deploy: "
                       "in effect once they are deployed too"]


def test_configured_timers_other_than_designed_fail_in_both_modes() -> None:
    detail, expect = _recorded()
    for p in (p for by_as in detail["global"].values() for p in by_as):
        p["configured_holdtime"] = 9
    for mode in ("next-reset", "reset-now"):
        problems, _ = session_state(detail, None, expect, frozenset(), mode)
        assert any("hold time 9s configured, 15s designed" in p for p in problems), mode


def test_each_probe_takes_its_longest_match_in_the_table_read_once() -> None:
    """The table a lab leaf returns for ``show ip route 0.0.0.0/0 longer-prefixes json``: another
    leaf's block over both spines, a loopback, an address of the leaf's own block that a connected
    /31 holds (longer than the /30 BGP aggregate), and an address no route holds."""
    table = routes(json.loads((FRR / "show_ip_route_longer_prefixes.json").read_text()))
    block, loopback, own, nowhere = longest_match(table, ["10.0.2.9", "10.0.0.5", "10.0.2.1", "192.0.2.1"])
    assert [(nh["protocol"], nh["current_active"]) for nh in block] == [("bgp", True)] * 2
    assert {nh["next_hop"] for nh in block} == {nh["next_hop"] for nh in table["10.0.2.8/30"]} and len(loopback) == 2
    assert [nh["protocol"] for nh in own] == ["connected"], "the /31 is longer than the /30"
    assert nowhere == [] and longest_match({}, ["10.0.2.9"]) == [[]]


EAPI_FILES = {"show vrf": "show_vrf.json",
              "show ip route vrf default 0.0.0.0/0 longer-prefixes detail": "show_ip_route_vrf_default_longer_prefixes_detail.json",
              "show ip route vrf MGMT 0.0.0.0/0 longer-prefixes detail": "show_ip_route_vrf_MGMT_longer_prefixes_detail.json",
              "show ip bgp 0.0.0.0/0 longer-prefixes vrf default": "show_ip_bgp_longer_prefixes_vrf_default.json",
              "show running-config | include service routing protocols model multi-agent": "show_running_config_include_multi_agent.txt",
              "show ip bgp neighbors vrf all": "show_ip_bgp_neighbors_vrf_all.txt",
              "show ipv6 bgp peers vrf all": "show_ipv6_bgp_peers_vrf_all.txt",
              "show ip bgp summary vrf all": "show_ip_bgp_summary_vrf_all.json",
              "show ipv6 bgp summary vrf all": "show_ipv6_bgp_summary_vrf_all.json",
              "show bfd peers": "show_bfd_peers.json"}
ROUTE_COMMANDS = sorted(c for c in EAPI_FILES if " route " in c or " bgp 0.0.0.0/0 " in c or c == "show vrf")


class _RecordedEapi:
    """An EOS eAPI node double (no switch runs here): answers NAPALM's commands from tests/data/eos,
    JSON as parsed, text as ``{"output": text}`` (as pyeapi returns them)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def run_commands(self, commands: list[str], encoding: str = "json", **_: object) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for command in commands:
            self.sent.append(" ".join(command.split()))
            text = (EOS / EAPI_FILES[self.sent[-1]]).read_text()
            out.append({"output": text} if encoding == "text" else json.loads(text))
        return out


def _eos_double() -> EOSDriver:
    dev = EOSDriver("be-leaf-su1-r1", "nobody", "nothing")
    dev.device = _RecordedEapi()
    return dev


def test_eos_double_counts_each_installed_ecmp_path_from_one_table_read() -> None:
    """NAPALM's eos driver (real) over recorded-format eAPI answers: EOS marks only the best of an
    ECMP route's BGP paths active, so the verify counts a path whose next hop the route installed
    (its vias); a path that is neither best nor installed does not count, nor does MGMT's default
    route, and the whole table is read with four commands, not per probe."""
    dev = _eos_double()
    routes = (RouteExpectation("10.0.2.4/30", "10.0.2.5", 2), RouteExpectation("10.0.2.8/30", "10.0.2.9", 2),
              RouteExpectation("10.0.2.12/30", "10.0.2.13", 2), RouteExpectation("10.0.0.4/32", "10.0.0.4", 2),
              RouteExpectation("192.0.2.0/24", "192.0.2.1", 1, at_least=True))
    found = _routes_to(dev, [r.probe for r in routes])
    assert sorted(dev.device.sent) == ROUTE_COMMANDS, "one read of the table, whatever the probes"
    assert route_problems(routes, found) == ["10.0.2.12/30: 1 BGP paths, expected 2",
                                             "192.0.2.0/24: 0 BGP paths, expected at least 1"]
    assert found[4] == [], "MGMT's default route is no path of the fabric"
    assert len(found[0]) == 2 and sum(nh["current_active"] for nh in found[0]) == 2


def test_frr_paths_are_counted_once_per_next_hop() -> None:
    table = routes(json.loads((FRR / "show_ip_route_longer_prefixes.json").read_text()))
    found = longest_match(table, ["10.0.2.9"])
    assert route_problems((RouteExpectation("10.0.2.8/30", "10.0.2.9", 2),), found) == []
    assert route_problems((RouteExpectation("10.0.2.8/30", "10.0.2.9", 3),), found) == ["10.0.2.8/30: 2 BGP paths, expected 3"]
    assert route_problems((RouteExpectation("10.0.2.8/30", "10.0.2.9", 2),), [found[0] * 2]) == [], "a path listed twice is one path"


def test_eos_double_sessions_are_read_from_the_default_vrf_as_napalm_eos_names_it() -> None:
    """NAPALM's eos driver (real) over recorded-format eAPI answers: its get_bgp_neighbors_detail
    names the default VRF ``default`` (NAPALM's other drivers ``global``); the sessions to both
    spines are read there, Established with the designed timers, and a missing one is named."""
    detail = _eos_double().get_bgp_neighbors_detail()
    assert "global" not in detail and "default" in detail
    expect = Expectation("be-leaf-su1-r1", ("10.0.1.0", "10.0.1.2"), (), hold_s=9, keepalive_s=3)
    assert session_state(detail, None, expect, frozenset()) == ([], [])
    slower = Expectation("be-leaf-su1-r1", ("10.0.1.0", "10.0.1.2", "10.0.1.4"), (), hold_s=15, keepalive_s=5)
    problems, _ = session_state(detail, None, slower, frozenset())
    assert "BGP session to 10.0.1.4 not Established" in problems
    assert "BGP session to 10.0.1.0: hold time 9s configured, 15s designed" in problems


def test_eos_double_bfd_is_read_with_show_bfd_peers() -> None:
    """NAPALM has no BFD getter: on EOS the verify reads ``show bfd peers`` (recorded-format eAPI
    answer) and judges every designed session's BFD peer, in the default VRF only."""
    dev = _eos_double()
    expect = Expectation("be-leaf-su1-r1", ("10.0.1.0", "10.0.1.2"), (), hold_s=9, keepalive_s=3, bfd=True)
    bfd = bfd_state(dev)
    assert bfd == {"10.0.1.0": "up", "10.0.1.2": "up"} and dev.device.sent == ["show bfd peers"]
    assert session_state(dev.get_bgp_neighbors_detail(), bfd, expect, frozenset()) == ([], [])
    data = json.loads((EOS / "show_bfd_peers.json").read_text())
    data["vrfs"]["default"]["ipv4Neighbors"]["10.0.1.2"]["peerStats"]["Ethernet4"]["status"] = "down"
    del data["vrfs"]["default"]["ipv4Neighbors"]["10.0.1.0"]
    data["vrfs"]["MGMT"]["ipv4Neighbors"]["10.0.1.0"] = {"peerStats": {"": {"status": "up"}}}
    problems, _ = session_state(dev.get_bgp_neighbors_detail(), eos_bfd_peers(data), expect, frozenset())
    assert problems == ["BFD to 10.0.1.0: no session", "BFD to 10.0.1.2: down"]
