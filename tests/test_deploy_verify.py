"""After a commit: which changes need a session reset, the BGP detail/BFD read back, and the timers
verified or pending by ``upgrade.bgp_timers`` (recorded
FRR 8.4 JSON in tests/data/sonic/, the same vtysh output a SONiC or FRR switch gives)."""

from __future__ import annotations

import json
from pathlib import Path

from aifab.deploy.tasks.expect import Expectation, expectations
from aifab.deploy.tasks.verify import longest_match, needs_reset, session_state
from napalm_frr.parse import bfd_peers, bgp_neighbors_detail, routes
from tests.test_render_helpers import lab_design

DATA = Path(__file__).parent / "data" / "sonic"
FRR = Path(__file__).parent / "data" / "frr"


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
