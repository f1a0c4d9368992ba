"""``backend.growth``: a backend laid out for the SUs to come (its spines and cores built and cabled
up front, each rail's server block sized for them), so that an SU added brings its own leaves and
cables only their ports. Without it, adding an SU adds spines (every leaf re-cabled, the leaves
renumbered) or, where the SU count crosses a power of two, renumbers the servers of every rail but
the first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aifab.design import build_design
from aifab.design.model import Design
from aifab.errors import DesignError
from aifab.intent import load_intent
from aifab.plan.changes import change_set
from aifab.plan.waves import require_in_place
from tests.helpers import make_intent, moved
from tests.test_plan import disruptive, plan
from tests.test_plan_changes import edited

CLUSTER_FILE = Path(__file__).parents[1] / "intent" / "cluster.yaml"
CLUSTER = load_intent(CLUSTER_FILE).intent
THIN = {"backend__oversubscription": "1:4", "frontend__storage_nodes": 0}  # 8 uplinks a leaf: spines to spare


def test_growth_at_todays_count_is_todays_layout() -> None:
    assert edited(CLUSTER, backend__growth={"servers": 128}) == edited(CLUSTER)


@pytest.mark.parametrize("servers", [64, 96, 128, 160, 192, 224])
def test_each_su_added_within_the_layout_only_adds_its_leaves_and_ports(servers: int) -> None:
    """1:4 on intent/cluster.yaml's switches, laid out for 8 SUs: every SU from 2 to 8 is one
    initial wave of its own leaves, every spine hitless, nothing drained or cordoned, nothing moved."""
    room = {"backend__growth": {"servers": 256}}
    today, grown = edited(CLUSTER, backend__servers=servers, **THIN, **room), edited(CLUSTER, backend__servers=servers + 32, **THIN, **room)
    assert [t.count for t in today.backend.tiers] == [servers // 4, 8], "the layout's 8 spines from the first SU"
    cs = change_set(today, grown)
    require_in_place(cs)
    assert moved(today, grown) == []
    su = servers // 32 + 1
    assert cs.added == tuple(f"be-leaf-su{su}-r{r}" for r in range(1, 9))
    assert cs.lines()[0] == "+1 SU: 8 backend leaves, 32 servers, 320 leaf links", cs.lines()
    waves = plan(today, grown)
    assert set(waves[0].devices) == set(cs.added) and {c.kind for c in waves[0].changes} == {"initial"}
    assert disruptive(waves) == []


@pytest.mark.parametrize(("old", "what"), [(64, "interface addresses: 448 ports of 14 leaves"),
                                           (128, "backend leaves 32 -> 40, spines 4 -> 5")])
def test_without_it_the_same_su_renumbers_or_recables(old: int, what: str) -> None:
    """Today's layout: 2 -> 3 SUs doubles each rail's block (rails 2-8 renumbered: every GPU NIC's
    address); 4 -> 5 SUs needs a fifth spine (every leaf re-cabled)."""
    cs = change_set(edited(CLUSTER, backend__servers=old, **THIN), edited(CLUSTER, backend__servers=old + 32, **THIN))
    assert any(line.startswith(what) for line in cs.lines()), cs.lines()
    assert cs.recabling
    assert moved(edited(CLUSTER, backend__servers=old, **THIN), edited(CLUSTER, backend__servers=old + 32, **THIN))


def test_a_full_two_tier_fabric_laid_out_for_8_sus_grows_where_today_it_must_be_recabled() -> None:
    """intent/cluster.yaml (1:1, 64-port spines) is full at 4 SUs: its 16 spines have no port left.
    Laid out for 8 SUs it has 32 spines from the start, each with room for the 4 SUs to come."""
    room = {"backend__growth": {"servers": 256}}
    today, grown = edited(CLUSTER, **room), edited(CLUSTER, backend__servers=160, **room)
    assert [t.count for t in today.backend.tiers] == [32, 32]
    cs = change_set(today, grown)
    assert not cs.recabling and moved(today, grown) == []
    assert "+8 BGP sessions on each of 32 spines" in cs.lines(), cs.lines()
    assert change_set(edited(CLUSTER), edited(CLUSTER, backend__servers=160)).recabling


def superpod(servers: int, room: int | None) -> Design:
    """64-port leaves, spines and cores, pods of 4 SUs (three tiers past 8 SUs)."""
    backend: dict[str, Any] = {"servers": servers, "gpus_per_server": 8, "servers_per_su": 32, "nic_speed": "400G",
                               "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
                               "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}}
    if room:
        backend["growth"] = {"servers": room}
    return build_design(make_intent(backend=backend, frontend={"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}}))


@pytest.mark.parametrize("servers", [288, 320, 352, 384, 416, 512])
def test_three_tiers_laid_out_for_20_sus_add_pods_and_sus_without_moving_a_cable(servers: int) -> None:
    """Without a layout, every one of these steps re-cables (the backend itself in 4: a partial pod's
    spines, the cores' count); laid out for 20 SUs (5 pods, 128 cores), each adds its leaves, or a
    pod with its spines on free core ports, and moves nothing."""
    step = 96 if servers == 416 else 32
    today, grown = superpod(servers, 640), superpod(servers + step, 640)
    assert today.backend.tiers[2].count == 128
    cs = change_set(today, grown)
    require_in_place(cs)
    assert moved(today, grown) == []
    new = {d.role for d in grown.backend.devices if d.name in cs.added}
    assert new == ({"leaf", "spine"} if servers in (384, 512) else {"leaf"}), (new, cs.lines())


def test_without_it_three_tiers_recable_as_they_grow() -> None:
    """Adding the 10th to the 14th SU, or the 17th, re-cables something each time; the backend's own
    spines or cores move at 4 of them."""
    steps = {n: change_set(superpod(n, None), superpod(n + 32, None)) for n in (288, 320, 352, 384, 416, 512)}
    assert all(cs.recabling for cs in steps.values())
    backend = [n for n, cs in steps.items() if any(line.startswith("backend ") and "re-cabled" in line for line in cs.lines())]
    assert backend == [288, 320, 416, 512], backend


def test_the_frontend_is_laid_out_for_the_backends_growth() -> None:
    room = {"backend__growth": {"servers": 256}}
    today, grown = edited(CLUSTER, **room), edited(CLUSTER, backend__servers=160, **room)
    assert [d.name for d in grown.frontend.devices] == [d.name for d in today.frontend.devices]
    assert moved(today, grown) == []
    assert edited(CLUSTER, **room).frontend == edited(CLUSTER, frontend__growth={"servers": 256}).frontend


@pytest.mark.parametrize(("growth", "message"), [
    (96, "fewer than backend.servers (128): the layout must hold them"),
    (140, "must be a multiple of servers_per_su (32)"),
])
def test_a_growth_that_cannot_be_is_an_error_naming_the_key(growth: int, message: str) -> None:
    with pytest.raises(DesignError) as caught:
        edited(CLUSTER, backend__growth={"servers": growth})
    assert any(p.loc == ("backend", "growth", "servers") and message in p.message for p in caught.value.problems), \
        caught.value.problems


def test_the_pools_must_hold_the_grown_fabric() -> None:
    """The server pool holds today's 4 SUs (8 rails of 256 addresses) but not 8 (8 of 512)."""
    edited(CLUSTER, backend__pools__servers="10.8.0.0/21")
    with pytest.raises(DesignError) as caught:
        edited(CLUSTER, backend__pools__servers="10.8.0.0/21", backend__growth={"servers": 256})
    assert any(p.loc == ("backend", "pools", "servers") for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("laid_out", [False, True])
def test_the_review_of_an_su_added_says_what_a_layout_for_growth_would_keep(tmp_path: Path, laid_out: bool) -> None:
    """2 -> 3 SUs at 1:4 (the frontend laid out for 8 SUs) on today's backend layout: every GPU NIC of
    rails 2-8 renumbered, each server of the two SUs there cordoned, and the review says why and what
    keeps them; the backend laid out for 8 SUs too: ready."""
    from aifab.review import review
    from aifab.review_report import to_review_markdown
    from tests.test_review import make_repo

    text = (CLUSTER_FILE.read_text().replace("servers: 128\n", "servers: 64\n", 1)
            .replace('oversubscription: "1:1"', 'oversubscription: "1:4"', 1).replace("storage_nodes: 16", "storage_nodes: 0", 1).replace("frontend:\n", "frontend:\n  growth: {servers: 256}\n", 1))
    if laid_out:
        text = text.replace("  servers_per_su: 32\n", "  servers_per_su: 32\n  growth: {servers: 256}\n", 1)
    source = tmp_path / "cluster.yaml"
    source.write_text(text)
    path = make_repo(tmp_path, source)
    path.write_text(text.replace("servers: 64\n", "servers: 96\n", 1))
    r = review(path, "main")
    md = to_review_markdown(r)
    if laid_out:
        assert r.verdict == "ready" and "### Growth" not in md
        return
    assert r.verdict == "needs cordon" and sum(len(w.cordon) for w in r.waves) == 64
    assert "### Growth" in md and "interface addresses: 448 ports of 14 leaves" in md and "`backend.growth.servers`" in md


def test_the_build_writes_the_cables_to_come_and_the_ports_they_keep(tmp_path: Path) -> None:
    """intent/lab.yaml (one rail) at 2 SUs laid out for 4: cabling-growth.csv is every cable the fabric
    at 4 SUs has and today's has not (each spine's ports kept for SUs 3 and 4, the new leaves' and
    servers' links), and today's cabling.csv is the grown fabric's, less those rows: the layout keeps
    every cable; the file goes with the layout."""
    from aifab.pipeline import build

    lab = Path(__file__).parents[1] / "intent" / "lab.yaml"
    text = lab.read_text().replace("  gpus_per_server: 2\n", "  gpus_per_server: 1\n  growth: {servers: 8}\n", 1)
    intent = tmp_path / "lab.yaml"
    intent.write_text(text)
    build(intent, tmp_path / "today")
    intent.write_text(text.replace("  servers: 4\n", "  servers: 8\n", 1))
    build(intent, tmp_path / "grown")
    today, grown = ((tmp_path / d / "cabling.csv").read_text().splitlines() for d in ("today", "grown"))
    header, *rows = (tmp_path / "today" / "cabling-growth.csv").read_text().splitlines()
    assert header == today[0] and rows and not set(rows) & set(today)
    assert sorted(today[1:] + rows) == sorted(grown[1:])
    spines = [r.split(",")[1:5] for r in rows if r.startswith("backend,be-spine")]
    assert sorted(spines) == [["be-spine1", "swp3", "be-leaf-su3-r1", "swp3"], ["be-spine1", "swp4", "be-leaf-su4-r1", "swp3"],
                              ["be-spine2", "swp3", "be-leaf-su3-r1", "swp4"], ["be-spine2", "swp4", "be-leaf-su4-r1", "swp4"]]
    assert not (tmp_path / "grown" / "cabling-growth.csv").exists(), "at its full size nothing is to come"
    build(intent, tmp_path / "today")
    assert not (tmp_path / "today" / "cabling-growth.csv").exists(), "an earlier build's file removed"


@pytest.mark.parametrize(("frontend", "kept"), [(None, None), (12, 12), (12 // 2, None)])
def test_the_grown_intent_is_the_fabric_at_its_layouts_size(tmp_path: Path, frontend: int | None, kept: int | None) -> None:
    """The intent the cables to come are read from: the backend at ``backend.growth``'s servers, the
    frontend at its storage growth; a ``frontend.growth.servers`` below the backend's growth (the
    frontend is laid out for that anyway) is no error of the grown intent (it was: 'fewer than
    backend.servers (8)' of an intent whose servers are 4)."""
    from aifab.design.sizing import grown_intent

    text = (Path(__file__).parents[1] / "intent" / "lab.yaml").read_text()
    text = text.replace("  gpus_per_server: 2\n", "  gpus_per_server: 1\n  growth: {servers: 8}\n", 1)
    text = text.replace("  storage_nodes: 1\n", "  storage_nodes: 1\n  growth: {storage_nodes: 3" +
                        (f", servers: {frontend}" if frontend else "") + "}\n", 1)
    (tmp_path / "lab.yaml").write_text(text)
    grown = grown_intent(load_intent(tmp_path / "lab.yaml").intent)
    assert grown is not None
    assert (grown.backend.servers, grown.frontend.storage_nodes, grown.frontend.growth.servers) == (8, 3, kept)
    assert grown_intent(grown) is None, "at its layout's size: nothing to come"
    build_design(grown)
