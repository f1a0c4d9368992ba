"""A new SU reached from the rest of its fabric (aifab.deploy.reach): which new leaves are read for,
once all their sessions are up, and on which other leaves, for which routes."""

from __future__ import annotations

from pathlib import Path

from aifab.deploy.reach import not_reached, readers, ready
from aifab.deploy.tasks.expect import expectations
from aifab.pipeline import design_for

ROOT = Path(__file__).parents[1]


def test_a_new_leaf_is_read_for_once_committed_with_every_peer_committed_and_no_session_left_out() -> None:
    _, d = design_for(ROOT / "intent" / "lab.yaml")
    new = ["be-spine2", "be-leaf-su2-r1", "be-leaf-su2-r2"]  # a spine is no leaf: no server block to reach
    assert ready(d, new, pending=set(), unverified={}) == ["be-leaf-su2-r1", "be-leaf-su2-r2"]
    assert ready(d, new, pending={"be-spine1"}, unverified={}) == [], "a peer still to be committed"
    assert ready(d, new, pending={"be-leaf-su2-r2"}, unverified={}) == ["be-leaf-su2-r1"], "itself still to be committed"
    assert ready(d, new, pending=set(), unverified={"be-leaf-su2-r1": ["..."]}) == ["be-leaf-su2-r2"], "a session left out"


def test_the_other_leaves_of_its_fabric_are_read_for_its_server_blocks_alone() -> None:
    _, d = design_for(ROOT / "intent" / "lab.yaml")
    expect = expectations(d)
    got = readers(d, ["be-leaf-su2-r1"], expect, skip={"be-leaf-su1-r2"})
    assert sorted(got) == ["be-leaf-su1-r1", "be-leaf-su2-r2"], "the fabric's other leaves, but those skipped"
    for name, routes in got.items():
        assert [(r.prefix, r.width, r.at_least) for r in routes] == [("10.0.2.4/30", 1, True)], name  # its block, reached
    assert readers(d, ["fe-leaf1a"], expect, skip=set()).keys() == {"fe-leaf1b"}, "the frontend's own leaves"


def test_a_leaf_not_reached_is_said_with_the_leaves_that_miss_its_own_blocks_only() -> None:
    _, d = design_for(ROOT / "intent" / "lab.yaml")
    problems = {"be-leaf-su1-r2": ["10.0.2.4/30: 0 BGP paths, expected at least 1"],
                "be-leaf-su1-r1": ["10.0.2.4/30: 0 BGP paths, expected at least 1", "10.0.2.12/30: 0 BGP paths, expected at least 1"]}
    said = not_reached(d, ["be-leaf-su2-r1", "be-leaf-su2-r2"], problems)
    assert said == {
        "be-leaf-su2-r1": "not reached from be-leaf-su1-r[1-2] (read on them), be-leaf-su1-r1: 10.0.2.4/30: 0 BGP paths, "
                          "expected at least 1",
        "be-leaf-su2-r2": "not reached from be-leaf-su1-r1 (read on them), be-leaf-su1-r1: 10.0.2.12/30: 0 BGP paths, "
                          "expected at least 1"}


def test_problems_that_name_no_target_block_fail_every_target_rather_than_pass() -> None:
    _, d = design_for(ROOT / "intent" / "lab.yaml")
    problems = {"be-leaf-su1-r1": ["the routing table cannot be read: timed out"], "be-leaf-su1-r2": []}
    said = not_reached(d, ["be-leaf-su2-r1", "be-leaf-su2-r2"], problems)
    assert said == {t: "not reached from be-leaf-su1-r1 (read on them), be-leaf-su1-r1: the routing table cannot be "
                       "read: timed out" for t in ("be-leaf-su2-r1", "be-leaf-su2-r2")}
    assert not_reached(d, ["be-leaf-su2-r1"], {"be-leaf-su1-r1": []}) == {}, "no problem: reached"
