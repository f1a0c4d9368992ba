"""After a commit: which changes need a session reset, and the BGP detail/BFD read back (recorded
FRR 8.4 JSON in tests/data/sonic/, the same vtysh output a SONiC or FRR switch gives)."""

from __future__ import annotations

import json
from pathlib import Path

from aifab.deploy.tasks.expect import expectations
from aifab.deploy.tasks.verify import needs_reset
from napalm_frr.parse import bfd_peers, bgp_neighbors_detail
from tests.test_render_helpers import lab_design

DATA = Path(__file__).parent / "data" / "sonic"


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
