"""``frontend.growth``: a frontend laid out for the hosts to come, so that servers and storage added
up to those counts cable their own ports only (without it, storage added to intent/cluster.yaml
moves spine links, and servers added move the storage nodes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aifab.design import build_design
from aifab.design.model import Design
from aifab.intent import load_intent
from aifab.plan.changes import change_set
from aifab.plan.waves import PlanError, require_in_place
from tests.helpers import make_intent, moved
from tests.test_plan_changes import edited

CLUSTER = load_intent(Path(__file__).parents[1] / "intent" / "cluster.yaml").intent
ROOM = {"servers": 160, "storage_nodes": 64}


def test_growth_at_todays_counts_is_todays_layout() -> None:
    assert edited(CLUSTER, frontend__growth={"servers": 128, "storage_nodes": 16}) == edited(CLUSTER)


@pytest.mark.parametrize("storage", [17, 28])
def test_storage_added_within_the_layout_only_cables_its_ports(storage: int) -> None:
    today = edited(CLUSTER, frontend__growth={"storage_nodes": 28})
    grown = edited(CLUSTER, frontend__storage_nodes=storage, frontend__growth={"storage_nodes": 28})
    cs = change_set(today, grown)
    require_in_place(cs)  # no PlanError: not re-cabling
    assert not cs.recabling and cs.added == () and cs.removed == ()
    assert f"ports cabled: {2 * (storage - 16)} ports of 2 leaves" in cs.lines(), cs.lines()
    assert moved(today, grown, "frontend") == []
    unplanned = change_set(edited(CLUSTER), edited(CLUSTER, frontend__storage_nodes=storage))
    with pytest.raises(PlanError, match="re-cabling"):  # the same growth on today's layout moves spine links
        require_in_place(unplanned)


def test_servers_and_storage_added_within_the_layout_move_nothing_of_the_frontend() -> None:
    today = edited(CLUSTER, frontend__growth=ROOM)
    grown = edited(CLUSTER, backend__servers=160, frontend__storage_nodes=40, frontend__growth=ROOM)
    assert [d.name for d in grown.frontend.devices] == [d.name for d in today.frontend.devices]
    assert moved(today, grown, "frontend") == []
    hosts = {h.name: h for h in grown.hosts}
    assert {n.leaf for n in hosts["stor01"].nics} == {n.leaf for h in today.hosts if h.name == "stor01" for n in h.nics}
    assert moved(edited(CLUSTER), edited(CLUSTER, backend__servers=160), "frontend"), "today's layout moves the storage nodes"


def test_every_leaf_pair_of_the_layout_is_built_with_its_uplinks() -> None:
    today = edited(CLUSTER, frontend__growth=ROOM)
    leaves = [d for d in today.frontend.devices if d.role == "leaf"]
    empty = [d for d in leaves if not any(p.role == "server" for p in d.ports)]
    assert empty and len(leaves) > sum(d.role == "leaf" for d in edited(CLUSTER).frontend.devices), "pairs for the hosts to come"
    assert all(sum(p.role == "uplink" for p in d.ports) > 0 for d in empty)
    assert today.frontend.tiers[0].count == len(leaves)


def test_storage_added_within_a_three_tier_layout_moves_nothing() -> None:
    """600 -> 690 storage nodes under pods (32-port leaves, 16-port spines): laid out for 700, the
    pods, their spines and cores are there already; laid out for today, pods and spines are added."""
    def design(storage: int, room: int | None) -> Design:
        fe: dict[str, Any] = {"storage_nodes": storage, "switches": {"leaf": {"ports": 32}, "spine": {"ports": 16}},
                              "pools": {"loopbacks": "10.100.0.0/16", "p2p": "10.101.0.0/16", "servers": "10.104.0.0/14"}}
        if room:
            fe["growth"] = {"storage_nodes": room}
        return build_design(make_intent(frontend=fe))

    today, grown = design(600, 700), design(690, 700)
    assert [t.role for t in today.frontend.tiers] == ["leaf", "spine", "core"]
    cs = change_set(today, grown)
    assert not cs.recabling and cs.added == () and moved(today, grown, "frontend") == []
    assert "ports cabled: 180 ports of 8 leaves" in cs.lines(), cs.lines()
    assert change_set(design(600, None), design(690, None)).recabling
