"""PFC-deadlock freedom: DLK001 (no route goes down a tier and up again), DLK002 (the watchdog guards
exactly the PFC priorities), and the plan's per-wave proof (DLK003). Real builds of every platform,
each broken the ways the rules guard against, both ways."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from aifab.check import check, run_checks
from aifab.check.deadlock import Turn
from aifab.check.parse import parse_build
from aifab.design.model import Design
from aifab.pipeline import build
from aifab.plan.simulate import FabricGraph, deadlock_findings

ROOT = Path(__file__).parents[1]
LAB = (ROOT / "intent" / "lab.yaml").read_text()
LEAF, SPINES = "be-leaf-su1-r1", ("be-spine1", "be-spine2")
THREE_TIERS = """cluster: threetier
backend:
  servers: 8
  gpus_per_server: 2
  servers_per_su: 2
  switches:
    leaf:  {ports: 4, platform: frr}
    spine: {ports: 4, platform: frr}
    core:  {ports: 4, platform: frr}
  pools: {loopbacks: 10.0.0.0/24, p2p: 10.0.1.0/24, servers: 10.0.2.0/24}
frontend:
  storage_nodes: 1
  switches:
    leaf:  {ports: 8, platform: frr}
    spine: {ports: 4, platform: frr}
  pools: {loopbacks: 10.1.0.0/24, p2p: 10.1.1.0/24, servers: 10.1.2.0/24}
"""


def _build(tmp: Path, text: str) -> tuple[Design, Path]:
    (tmp / "intent.yaml").write_text(text)
    return build(tmp / "intent.yaml", tmp / "build", check=False).design, tmp / "build"


@pytest.fixture(scope="module", params=["frr", "eos", "sonic"])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Design, Path]:
    design, path = _build(tmp_path_factory.mktemp(request.param), LAB.replace("platform: frr}", f"platform: {request.param}}}"))
    return request.param, design, path


def _edit(src: Path, tmp: Path, file: str, pattern: str, repl: str) -> Path:
    out = tmp / "b"
    if not out.exists():
        shutil.copytree(src, out)
    path = out / "configs" / file
    new, n = re.subn(pattern, repl, path.read_text(), count=1, flags=re.M)
    assert n == 1, f"{pattern!r} not in {file}"
    path.write_text(new)
    return out


def _found(design: Design, path: Path) -> list[tuple[str, str, str, str]]:
    return [(f.rule, f.device, f.subject, f.message) for f in run_checks(design, path)]


def test_rendered_fabrics_are_proven_deadlock_free(lab: tuple[str, Design, Path]) -> None:
    _, design, path = lab
    report = check(design, path)
    assert report.valley_turns == () and not [f for f in report.findings if f.rule.startswith("DLK")]
    assert {"DLK001", "DLK002"} <= {r.id for r in report.rules} - set(report.skipped)


# How each platform's files let a leaf re-advertise one spine's routes to the other (a valley):
VALLEYS = {
    # the leaf strips the private ASNs (the spines' shared ASN with them) from what it sends the spines
    "frr": (f"{LEAF}.frr.conf", r"^ address-family ipv4 unicast$", " address-family ipv4 unicast\n  neighbor SPINES remove-private-AS all"),
    # the spine accepts routes that hold its own ASN
    "eos": ("be-spine2.cfg", r"^   neighbor LEAFS send-community$", "   neighbor LEAFS send-community\n   neighbor LEAFS allowas-in 3"),
    # the leaf replaces the spines' ASN with its own
    "sonic": (f"{LEAF}.frr.conf", r"^ address-family ipv4 unicast$", " address-family ipv4 unicast\n  neighbor SPINES as-override"),
}


def test_a_valley_in_the_routing_policy_fails_dlk001_naming_the_path(lab: tuple[str, Design, Path], tmp_path: Path) -> None:
    platform, design, path = lab
    file, pattern, repl = VALLEYS[platform]
    out = _edit(path, tmp_path, file, pattern, repl)
    found = [f for f in _found(design, out) if f[0].startswith("DLK")]
    report = check(design, out)
    if platform == "eos":  # be-spine2 accepts from every leaf what the leaf has from be-spine1
        leaves = {d.name for d in design.backend.devices if d.role == "leaf"}
        assert {(r, d) for r, d, _, _ in found} == {("DLK001", leaf) for leaf in leaves}
        assert ("be-spine2", LEAF, "be-spine1") in {(t.above, t.lower, t.other) for t in report.valley_turns}
        assert any("be-spine2 has allowas-in on its session to" in m for _, _, _, m in found)
    else:  # the leaf sends each spine the other's routes with the shared ASN gone
        assert [(r, d) for r, d, _, _ in found] == [("DLK001", LEAF)]
        _, _, subject, message = found[0]
        assert subject == f"{SPINES[0]} -> {LEAF} -> {SPINES[1]}"
        assert f"lossless traffic can take {subject} (down, then up)" in message
        assert {(t.above, t.other) for t in report.valley_turns} == {SPINES, SPINES[::-1]}


def test_the_watchdog_must_guard_exactly_the_pfc_priorities(lab: tuple[str, Design, Path], tmp_path: Path) -> None:
    platform, design, path = lab
    up = next(p.name for d in design.backend.devices if d.name == LEAF for p in d.ports if p.role == "uplink")
    if platform == "frr":  # Linux has no PFC watchdog: the files state none, DLK002 has nothing to judge
        facts = parse_build(design, path / "configs", jobs=1)[0]
        assert facts[LEAF].interfaces[up].pfc == {3} and facts[LEAF].interfaces[up].watchdog_priorities is None
        return
    if platform == "eos":  # EOS's watchdog guards the no-drop priorities: without it QOS006 fires, not DLK002
        out = _edit(path, tmp_path, f"{LEAF}.cfg", r"^priority-flow-control pause watchdog default timeout .*\n", "")
        found = _found(design, out)
        assert {r for r, _, _, _ in found} == {"QOS006"}
        return
    for value, says in (("3,4", "watchdog on priority 4 without PFC"), ("", "PFC priority 3 without the watchdog")):
        out = tmp_path / f"wd{value or 'none'}"
        shutil.copytree(path, out)
        db_path = out / "configs" / f"{LEAF}.config_db.json"
        db = json.loads(db_path.read_text())
        db["PORT_QOS_MAP"][up]["pfcwd_sw_enable"] = value
        db_path.write_text(json.dumps(db, indent=4, sort_keys=True))
        found = _found(design, out)
        assert [(r, d, s) for r, d, s, _ in found] == [("DLK002", LEAF, up)], found
        assert found[0][3] == says


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    return _build(tmp_path_factory.mktemp("three"), THREE_TIERS)


def _leaf_turns(design: Design) -> list[Turn]:
    """What DLK001 finds when every leaf strips the spines' ASN: every spine -> leaf -> spine turn."""
    turns = []
    for d in design.backend.devices:
        ups = [p.peer for p in d.ports if p.role == "uplink"] if d.role == "leaf" else []
        turns += [Turn(a, d.name, b, "test") for a in ups for b in ups if a != b]
    return turns


def test_a_wave_that_leaves_only_valley_paths_is_named(three: tuple[Design, Path]) -> None:
    design, _ = three
    graph = FabricGraph(design.backend, design)
    turns = _leaf_turns(design)
    drained = {"be-spine-p1-2", "be-spine-p2-1"}  # pod 1 keeps plane 1 only, pod 2 plane 2 only
    paths = graph.valley_paths(drained, set(), turns)
    a_to_b = [p for p in paths if p[0] == "be-leaf-su1-r1" and p[-1] == "be-leaf-su2-r1"]
    assert a_to_b, paths
    path = a_to_b[0]
    tiers = [next(d.tier for d in design.backend.devices if d.name == n) for n in path]
    assert path[1] == "be-spine-p1-1" and path[-2] == "be-spine-p2-2" and not drained & set(path)
    turn = next(i for i in range(1, len(tiers) - 1) if tiers[i - 1] > tiers[i] < tiers[i + 1])
    assert tiers[turn] == 1, f"the valley turns at a leaf: {path}"
    # the same wave without permitted turns, and the steady state with them: no valley is used
    assert graph.valley_paths(drained, set(), []) == []
    assert graph.valley_paths(set(), set(), turns) == []
    found = deadlock_findings(design, [(1, set(), set()), (2, drained, set())], turns)
    assert [(f.rule, f.fabric) for f in found] == [("DLK003", "backend")]
    assert found[0].message.startswith("wave 2 (be-spine-p1-2, be-spine-p2-1 drained): lossless traffic takes be-leaf-su")


def test_the_per_wave_proof_reads_the_turns_dlk001_found_in_the_configs(three: tuple[Design, Path], tmp_path: Path) -> None:
    design, path = three
    out = tmp_path / "b"
    shutil.copytree(path, out)
    for d in design.backend.devices:
        if d.role == "leaf":
            conf = out / "configs" / f"{d.name}.frr.conf"
            conf.write_text(conf.read_text().replace(" address-family ipv4 unicast\n",
                                                     " address-family ipv4 unicast\n  neighbor SPINES remove-private-AS all\n", 1))
    report = check(design, out)
    assert {t[:3] for t in report.valley_turns} == {t[:3] for t in _leaf_turns(design)}
    assert all(t.reason == f"{t.lower} sends to {t.above} with remove-private-as" for t in report.valley_turns)
    found = deadlock_findings(design, [(1, {"be-spine-p1-2", "be-spine-p2-1"}, set())], report.valley_turns)
    assert [f.rule for f in found] == ["DLK003"]
    assert deadlock_findings(design, [(1, {"be-spine-p1-2", "be-spine-p2-1"}, set())], check(design, path).valley_turns) == []
