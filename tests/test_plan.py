"""ISSU-safe waves (docs/sources.md#upgrade-rules) on real designs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.design import build_design
from aifab.intent import load_intent
from aifab.plan.waves import Change, PlanError, classify, plan_waves
from tests.helpers import make_intent

ROOT = Path(__file__).parents[1]
ROUTING_DIFF = " router bgp 65000\n+ neighbor 10.0.0.1 remote-as 65001\n"


@pytest.fixture(scope="module")
def cluster():
    return build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)


def test_classify(cluster) -> None:
    by = {d.name: d for d in cluster.devices()}
    assert classify(by["be-spine1"], "-interface Ethernet1\n- description old\n+ description new\n").kind != "hitless"
    assert classify(by["be-spine1"], "--- a\n+++ b\n- description old\n+ description new\n").kind == "hitless"
    spine = classify(by["be-spine1"], ROUTING_DIFF)
    assert spine.kind == "drain" and spine.cordon == ()
    leaf = classify(by["be-leaf-su2-r3"], ROUTING_DIFF)
    assert leaf.kind == "cordon"
    assert leaf.cordon == tuple(f"srv-su2-{i:02d}" for i in range(1, 33)), "every server of SU 2 on rail 3"


def test_spines_one_at_a_time_with_capacity(cluster) -> None:
    by = {d.name: d for d in cluster.devices()}
    spines = [d for d in cluster.backend.devices if d.role == "spine"]
    waves = plan_waves(cluster, [classify(d, ROUTING_DIFF) for d in spines])
    assert len(waves) == 16 and all(len(w.changes) == 1 for w in waves)
    assert "16.00:1" not in waves[0].capacity[0] and "1.07:1" in waves[0].capacity[0]  # 16/15
    assert [w.index for w in waves] == list(range(1, 17))
    assert {by[w.devices[0]].role for w in waves} == {"spine"}


def test_rail_leaves_one_per_su_and_pairs_never_together(cluster) -> None:
    leaves = [d for d in cluster.devices() if d.role == "leaf"]
    waves = plan_waves(cluster, [classify(d, ROUTING_DIFF) for d in leaves])
    by = {d.name: d for d in leaves}
    for w in waves:
        sus = [by[n].su for n in w.devices if by[n].fabric == "backend"]
        pairs = [by[n].pair for n in w.devices if by[n].fabric == "frontend"]
        assert len(sus) == len(set(sus)), "at most one rail leaf per SU per wave"
        assert len(pairs) == len(set(pairs)), "never both leaves of a pair"
    assert sorted(n for w in waves for n in w.devices) == sorted(by)
    assert len(waves) == 8, "8 rails -> 8 waves, SUs and frontend pairs in parallel"


def test_top_tier_first_and_hitless_first(cluster) -> None:
    by = {d.name: d for d in cluster.devices()}
    changes = [classify(by["be-leaf-su1-r1"], ROUTING_DIFF), classify(by["be-spine2"], ROUTING_DIFF),
               classify(by["fe-spine1"], "- description a\n+ description b\n")]
    waves = plan_waves(cluster, changes)
    assert [w.devices for w in waves] == [("fe-spine1",), ("be-spine2",), ("be-leaf-su1-r1",)]
    assert waves[0].changes[0].kind == "hitless"


def test_three_tier_planes_drain_in_parallel() -> None:
    intent = make_intent(backend={"servers": 512, "gpus_per_server": 8, "servers_per_su": 32,
                                  "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
                                  "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}},
                         frontend={"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}})
    design = build_design(intent)
    cores = [d for d in design.backend.devices if d.role == "core"]
    waves = plan_waves(design, [classify(d, ROUTING_DIFF) for d in cores])
    assert len(waves) == 2 and all(len(w.changes) == 32 for w in waves), "one core per plane per wave"


def test_single_spine_cannot_drain() -> None:
    design = build_design(make_intent(backend={"servers": 2, "gpus_per_server": 1, "servers_per_su": 1,
                                               "switches": {"leaf": {"ports": 2}, "spine": {"ports": 4}}}))
    spines = [d for d in design.backend.devices if d.role == "spine"]
    assert len(spines) == 1
    with pytest.raises(PlanError, match="only member of its spine group"):
        plan_waves(design, [Change(spines[0].name, "drain", ROUTING_DIFF)])


def test_first_configuration_is_one_initial_wave(cluster) -> None:
    first = "+frr defaults datacenter\n+router bgp 4200000001\n+ neighbor 10.0.0.0 remote-as 4200000000\n"
    changes = [classify(d, first, carrying=False) for d in cluster.devices()]
    assert {c.kind for c in changes} == {"initial"}
    waves = plan_waves(cluster, changes)
    assert len(waves) == 1 and len(waves[0].changes) == len(cluster.devices())


FRR_DIFF = """Lines To Delete
===============
router bgp 4200000001
 no neighbor 10.0.1.0 remote-as 4200000000

Lines To Add
============
interface swp3
 description P2P_be-spine1_swp1
router bgp 4200000001
 neighbor 10.0.1.0 remote-as 4200000009
"""


def test_frr_reload_diff_is_read_without_its_context_lines(cluster) -> None:
    from aifab.plan.waves import changed_lines

    assert changed_lines(FRR_DIFF) == ["neighbor 10.0.1.0 remote-as 4200000000", "description P2P_be-spine1_swp1",
                                       "neighbor 10.0.1.0 remote-as 4200000009"]
    by = {d.name: d for d in cluster.devices()}
    assert classify(by["be-spine1"], FRR_DIFF).kind == "drain"
    cosmetic = "Lines To Add\n============\ninterface swp3\n description new\n"
    assert classify(by["be-spine1"], cosmetic).kind == "hitless"


def test_changed_lines_reads_every_drivers_compare_output() -> None:
    from aifab.plan.waves import changed_lines

    frr = ("Lines To Add\n============\nrouter bgp 65001\n neighbor 10.0.0.1 description x\n\n"
           "Kernel Settings To Apply\n========================\nqos.sh: dcb pfc set dev swp1 prio-pfc all:off 3:on\n")
    assert changed_lines(frr) == ["neighbor 10.0.0.1 description x", "dcb pfc set dev swp1 prio-pfc all:off 3:on"]
    sonic = ('CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/PORT/Ethernet0/description", "value": "x"},\n'
             ' {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "2097152"}\n]\n')
    assert changed_lines(sonic) == ["description",
                                    'replace /WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold "2097152"']
