"""Rollout plans on real designs (docs/impact.md, docs/sources.md#upgrade-rules): classification by
impact, waves that spare GPUs under the capacity, path, pair and one-cordon rules, and the
"Done when" cases of issue 11."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aifab.design import build_design
from aifab.design.model import Design
from aifab.intent import load_intent
from aifab.plan.changes import change_set
from aifab.plan.simulate import FabricGraph
from aifab.plan.waves import Change, PlanError, Wave, changed_lines, classify, plan_waves, require_in_place
from tests.helpers import make_intent
from tests.test_plan_changes import CLUSTER, edited

ROOT = Path(__file__).parents[1]
UPGRADE = "+boot system flash:/EOS-4.32.1F.swi\n"  # a reload
REMOVED = " router bgp 65000\n- neighbor 10.0.0.1 remote-as 65001\n"  # a session reset


@pytest.fixture(scope="module")
def cluster() -> Design:
    return build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)


def plan(old: Design, new: Design, **kw: bool) -> list[Wave]:
    """The waves a review of ``old`` -> ``new`` plans: the change set, classified, packed."""
    cs = change_set(old, new)
    by = {d.name: d for d in new.devices()}
    changes = [classify(by[n], "", carrying=n not in cs.added, changes=cs, bgp_timers=new.upgrade.bgp_timers)
               for n in [*cs.added, *cs.devices]]
    return plan_waves(new, changes, **kw)


def disruptive(waves: list[Wave]) -> list[Change]:
    return [c for w in waves for c in w.changes if c.drain or c.cordon]


def test_classify(cluster: Design) -> None:
    by = {d.name: d for d in cluster.devices()}
    assert classify(by["be-spine1"], " interface Ethernet1\n- description old\n+ description new\n").kind == "hitless"
    gone = classify(by["be-spine1"], "-interface Ethernet1\n-   description old\n")
    assert gone.kind == "drain" and gone.impact == "reload", "a deconfigured interface is not cosmetic"
    spine = classify(by["be-spine1"], REMOVED)
    assert (spine.kind, spine.impact, spine.cordon) == ("drain", "session-reset", ())
    leaf = classify(by["be-leaf-su2-r3"], REMOVED)
    assert leaf.kind == "cordon" and leaf.drain
    assert leaf.cordon == tuple(f"srv-su2-{i:02d}" for i in range(1, 33)), "every server of SU 2 on rail 3"
    assert classify(by["be-spine1"], " router bgp 65000\n+ neighbor 10.0.0.1 remote-as 65001\n").kind == "hitless"


def test_spines_batched_as_far_as_capacity_allows(cluster: Design) -> None:
    spines = [d for d in cluster.backend.devices if d.role == "spine"]
    waves = plan_waves(cluster, [classify(d, UPGRADE) for d in spines])
    assert [len(w.changes) for w in waves] == [4, 4, 4, 4], "16 spines, 25 % of the uplinks at a time"
    assert all(w.min_capacity_pct == 75.0 for w in waves) and all(w.min_paths == 12 for w in waves)
    assert waves[0].devices == ("be-spine1", "be-spine2", "be-spine3", "be-spine4")
    assert [w.index for w in waves] == [1, 2, 3, 4] and all(w.cordon == () for w in waves)
    strict = edited(CLUSTER, upgrade__min_capacity_pct=90)
    assert len(plan_waves(strict, [classify(d, UPGRADE) for d in spines])) == 16
    loose = edited(CLUSTER, upgrade__min_capacity_pct=50)
    assert len(plan_waves(loose, [classify(d, UPGRADE) for d in spines])) == 2


def test_spines_drained_before_the_rollout_count_out_of_service(cluster: Design) -> None:
    """Two spines drained by hand (``held``): every wave keeps them out, so the 25 % budget leaves
    room for two more at a time, and no wave breaks the rule with them counted."""
    spines = [d for d in cluster.backend.devices if d.role == "spine"]
    held = frozenset({"be-spine15", "be-spine16"})
    waves = plan_waves(cluster, [classify(d, UPGRADE) for d in spines if d.name not in held], held=held)
    assert [len(w.changes) for w in waves] == [2, 2, 2, 2, 2, 2, 2]
    graph = FabricGraph(cluster.backend, cluster)
    assert all(not graph.simulate(set(w.devices) | held, set(w.cordon), 75.0).problems for w in waves)
    assert all(w.min_capacity_pct == 75.0 for w in waves)
    loose = edited(CLUSTER, upgrade__min_capacity_pct=50)
    assert len(plan_waves(loose, [classify(d, UPGRADE) for d in spines if d.name not in held], held=held)) == 3


def test_a_spine_drained_before_the_rollout_keeps_its_peer_in_service() -> None:
    design = build_design(load_intent(ROOT / "intent" / "lab.yaml").intent)  # two spines, min_capacity_pct 50
    spines = sorted(d.name for d in design.backend.devices if d.role == "spine")
    assert len(spines) == 2
    assert len(plan_waves(design, [Change(spines[1], "drain", UPGRADE)])) == 1
    with pytest.raises(PlanError, match=r"keeps 0\.0 % of its uplink bandwidth") as err:
        plan_waves(design, [Change(spines[1], "drain", UPGRADE)], held=frozenset({spines[0]}))
    assert f"or first put {spines[0]} back in service (out of service before this rollout" in str(err.value)
    kept = plan_waves(design, [Change(spines[0], "drain", UPGRADE, drain=False)], held=frozenset({spines[0]}))
    assert [w.devices for w in kept] == [(spines[0],)], "the drained spine itself changes, drained as it is"
    assert kept[0].capacity[0].startswith("backend: 0 out (+1 drained before), every switch in service keeps >= 50.0 %")


def test_rail_leaves_of_an_su_together_and_pairs_never_together(cluster: Design) -> None:
    leaves = [d for d in cluster.devices() if d.role == "leaf"]
    waves = plan_waves(cluster, [classify(d, REMOVED) for d in leaves])
    by = {d.name: d for d in leaves}
    cordoned = [s for w in waves for s in w.cordon]
    assert sorted(cordoned) == sorted(h.name for h in cluster.hosts if h.su is not None), "each server exactly once"
    for w in waves:
        pairs = [by[n].pair for n in w.devices if by[n].fabric == "frontend"]
        assert len(pairs) == len(set(pairs)), "never both leaves of a pair"
        sus = {by[n].su for n in w.devices if by[n].fabric == "backend"}
        assert all(sum(1 for n in w.devices if by[n].su == su and by[n].fabric == "backend") == 8 for su in sus)
    assert sorted(n for w in waves for n in w.devices) == sorted(by)
    assert len(waves) == 2, "every SU at once (no leaf in service needs a path), frontend a then b leaves"
    assert waves[0].gpus == 1024 and "128 servers (1,024 GPUs) cordoned" in waves[0].capacity


def test_initial_then_hitless_then_disruptive(cluster: Design) -> None:
    by = {d.name: d for d in cluster.devices()}
    changes = [classify(by["be-leaf-su1-r1"], REMOVED), classify(by["be-spine2"], REMOVED),
               classify(by["fe-spine1"], "- description a\n+ description b\n"), classify(by["fe-spine2"], "x", carrying=False)]
    waves = plan_waves(cluster, changes)
    assert [w.devices for w in waves] == [("fe-spine2",), ("fe-spine1",), ("be-leaf-su1-r1", "be-spine2")]
    assert [w.changes[0].kind for w in waves] == ["initial", "hitless", "cordon"]
    assert waves[2].cordon == tuple(f"srv-su1-{i:02d}" for i in range(1, 33))


def test_three_tier_cores_keep_the_spines_capacity() -> None:
    intent = make_intent(backend={"servers": 512, "gpus_per_server": 8, "servers_per_su": 32,
                                  "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
                                  "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}},
                         frontend={"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}},
                         upgrade={"min_capacity_pct": 50})
    design = build_design(intent)
    cores = [d for d in design.backend.devices if d.role == "core"]
    waves = plan_waves(design, [classify(d, UPGRADE) for d in cores])
    assert len(waves) == 2 and all(len(w.changes) == 32 for w in waves), "one of the two cores per plane per wave"
    for w in waves:
        assert len({d.plane for d in cores if d.name in w.devices}) == 32
    with pytest.raises(PlanError, match=r"keeps 50\.0 % of its uplink bandwidth"):
        plan_waves(build_design(intent.model_copy(update={"upgrade": intent.upgrade.model_copy(update={"min_capacity_pct": 75})})),
                   [classify(cores[0], UPGRADE)])


def test_single_spine_cannot_drain() -> None:
    design = build_design(make_intent(backend={"servers": 2, "gpus_per_server": 1, "servers_per_su": 1,
                                               "switches": {"leaf": {"ports": 2}, "spine": {"ports": 4}}}))
    spines = [d for d in design.backend.devices if d.role == "spine"]
    assert len(spines) == 1
    with pytest.raises(PlanError, match=r"keeps 0\.0 % of its uplink bandwidth.*maintenance window"):
        plan_waves(design, [Change(spines[0].name, "drain", UPGRADE)])


def test_first_configuration_is_one_initial_wave(cluster: Design) -> None:
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


def test_frr_reload_diff_is_read_without_its_context_lines(cluster: Design) -> None:
    assert changed_lines(FRR_DIFF) == ["neighbor 10.0.1.0 remote-as 4200000000", "description P2P_be-spine1_swp1",
                                       "neighbor 10.0.1.0 remote-as 4200000009"]
    by = {d.name: d for d in cluster.devices()}
    change = classify(by["be-spine1"], FRR_DIFF)
    assert (change.kind, change.impact) == ("drain", "session-reset"), "the neighbour's ASN changes"
    cosmetic = "Lines To Add\n============\ninterface swp3\n description new\n"
    assert classify(by["be-spine1"], cosmetic).kind == "hitless"


def test_changed_lines_reads_every_drivers_compare_output() -> None:
    from aifab.plan.waves import changed_lines

    frr = ("Lines To Add\n============\nrouter bgp 65001\n neighbor 10.0.0.1 description x\n\n"
           "Kernel Settings To Apply\n========================\nqos.sh: dcb pfc set dev swp1 prio-pfc all:off 3:on\n")
    assert changed_lines(frr) == ["neighbor 10.0.0.1 description x", "dcb pfc set dev swp1 prio-pfc all:off 3:on"]
    sonic = ('CONFIG_DB (config apply-patch)\n[\n {"op": "replace", "path": "/PORT/Ethernet0/description", "value": "x"},\n'
             ' {"op": "replace", "path": "/WRED_PROFILE/AZURE_LOSSLESS/green_min_threshold", "value": "2097152"}\n]\n')
    assert changed_lines(sonic) == ['"description": (replaced)', '"description": "x"',  # a replace takes a value away
                                    '"green_min_threshold": (replaced)', '"green_min_threshold": "2097152"']
    from aifab.plan.impact import line_kinds
    from aifab.plan.waves import signed_lines

    assert set(line_kinds(signed_lines(sonic))) == {"description", "ecn"}
    assert set(line_kinds(signed_lines("CONFIG_DB (config apply-patch)\n[\nan answer not JSON\n]\n"))) == {"unknown"}
    assert set(line_kinds(signed_lines(frr))) == {"description", "pfc-enable"}
    back = frr + "\nKernel Settings Taken Back\n==========================\nlinks.sh: ip link set dev swp1 mtu 9100\n"
    assert changed_lines(back)[-1] == "ip link set dev swp1 mtu 9100"  # a setting of its own section, not a line of the one before
    assert set(line_kinds(signed_lines(back))) == {"description", "pfc-enable", "mtu"}


# --- issue 11, "Done when", at plan level ---------------------------------------------------------

HITLESS_KNOBS = [{"backend__qos__watchdog__detection_ms": 300}, {"backend__qos__ecn__max_kb": 2000},
                 {"backend__bgp__hold_s": 15, "frontend__bgp__hold_s": 15}, {"upgrade__graceful_restart_s": 300}]


@pytest.mark.parametrize("knob", HITLESS_KNOBS, ids=["watchdog", "ecn", "bgp-timers", "graceful-restart"])
def test_hitless_knobs_plan_no_cordon_and_no_drain(cluster: Design, knob: dict[str, int]) -> None:
    waves = plan(cluster, edited(CLUSTER, **knob))
    assert len(waves) == 1 and disruptive(waves) == [] and waves[0].gpus == 0
    assert {c.kind for c in waves[0].changes} == {"hitless"}


@pytest.mark.parametrize("knob", HITLESS_KNOBS, ids=["watchdog", "ecn", "bgp-timers", "graceful-restart"])
def test_hitless_knobs_on_other_shapes(knob: dict[str, int]) -> None:
    """The lab's fabric (2 spines, 1:3 frontend, frr) and a small eos one: still 0 drains, 0 cordons."""
    for intent in (load_intent(ROOT / "intent" / "lab.yaml").intent, make_intent()):
        old = build_design(intent)
        waves = plan(old, edited(intent, **knob))
        assert len(waves) == 1 and disruptive(waves) == [], intent.cluster


def test_os_upgrade_of_all_spines_takes_the_fewest_waves_capacity_allows(cluster: Design) -> None:
    spines = [d for d in cluster.devices() if d.role == "spine"]
    waves = plan_waves(cluster, [classify(d, UPGRADE) for d in spines])
    pct = cluster.upgrade.min_capacity_pct
    per_group = {f.name: sum(1 for d in f.devices if d.role == "spine") for f in cluster.fabrics}
    fewest = max(math.ceil(n / math.floor(n * (100 - pct) / 100)) for n in per_group.values())
    assert len(waves) == fewest == 4, "backend 16 spines 4 at a time; frontend 4 spines 1 at a time, side by side"


def test_mtu_on_every_rail_leaf_cordons_each_server_once(cluster: Design) -> None:
    waves = plan(cluster, edited(CLUSTER, backend__mtu=9000))
    cordoned = [s for w in waves for s in w.cordon]
    assert sorted(cordoned) == sorted(h.name for h in cluster.hosts if h.kind == "gpu")
    leaves = {d.name for d in cluster.backend.devices if d.role == "leaf"}
    assert {c.device for c in disruptive(waves) if c.cordon} == leaves
    assert len(waves) == 1, "every server cordoned in one wave: no leaf left in service, so the spines join it"
    assert waves[0].capacity[0] == "backend: all 48 switches out, every server behind them cordoned"
    assert waves[0].min_capacity_pct is None, "no switch stays in service: no capacity to claim (was 100.0 %)"


def test_su_added_without_a_new_tier_configures_new_devices_first() -> None:
    old = edited(CLUSTER, backend__servers=96, backend__oversubscription="1:4", frontend__storage_nodes=0)
    new = edited(CLUSTER, backend__servers=128, backend__oversubscription="1:4", frontend__storage_nodes=0)
    waves = plan(old, new)
    added = {d.name for d in new.devices()} - {d.name for d in old.devices()}
    assert set(waves[0].devices) == added and {c.kind for c in waves[0].changes} == {"initial"}
    spines = {d.name for d in new.backend.devices if d.role == "spine"}
    hitless = {c.device for w in waves for c in w.changes if c.kind == "hitless"}
    assert spines <= hitless and disruptive(waves) == []


@pytest.mark.parametrize("platform", ["eos", "frr", "sonic"])
def test_su_added_reads_hitless_on_the_spines_from_their_diffs_alone(platform: str) -> None:
    """What the deploy has (each spine's diff, no Design before): the new ports and sessions of an SU
    added read as port-added and neighbor-added, hitless, as the review plans from the Designs (they
    read as session-reset, port-flap and unknown: every spine drained)."""
    import json

    from aifab.difftext import unified_diff
    from aifab.render import render_device
    from napalm_sonic import configdb

    kw = {"backend__oversubscription": "1:4", "frontend__storage_nodes": 0, "backend__switches__spine__platform": platform}
    old, new = edited(CLUSTER, backend__servers=96, **kw), edited(CLUSTER, backend__servers=128, **kw)
    before = {d.name: d for d in old.devices()}
    for dev in (d for d in new.backend.devices if d.role == "spine"):
        files = render_device(new, dev)
        was = render_device(old, before[dev.name])
        db = f"{dev.name}.config_db.json"
        if db in files:  # SONiC: the CONFIG_DB patch as napalm_sonic shows it (its frr.conf part: neighbours alone)
            ops = configdb.diff(json.loads(was[db]), json.loads(files[db]))
            diff = "\n".join(["CONFIG_DB (config apply-patch)", "[", ",\n".join(" " + json.dumps(op) for op in ops), "]"])
        else:
            diff = "".join(unified_diff(n, was.get(n, ""), text) for n, text in sorted(files.items()) if was.get(n) != text)
        change = classify(dev, diff)
        assert change.kind == "hitless" and set(change.reasons) <= {"port-added: hitless", "neighbor-added: hitless",
                                                                      "description: hitless", "buffer-pools: hitless"}, (
            dev.name, change.reasons)


def test_tier_change_is_recabling_with_the_links(cluster: Design) -> None:
    new = edited(CLUSTER, backend__servers=160)
    cs = change_set(cluster, new)
    with pytest.raises(PlanError, match=r"re-cabling: backend leaves 32 -> 40, spines 16 -> 20: .* links move.*\n  be-leaf-su1-r1:Ethernet49/1 -> be-spine1"):
        require_in_place(cs)
    require_in_place(cs, allow_recabling=True)
    with pytest.raises(PlanError, match="re-cabling"):
        plan(cluster, new)


def test_every_wave_passes_its_own_simulation(cluster: Design) -> None:
    waves = plan(cluster, edited(CLUSTER, backend__mtu=9000))
    graph = FabricGraph(cluster.backend, cluster)
    cordoned: set[str] = set()
    for w in waves:
        out = {c.device for c in w.changes if c.drain}
        assert graph.simulate(out, set(w.cordon), 75).problems == ()
        assert not cordoned & set(w.cordon)
        cordoned |= set(w.cordon)


def test_waves_list_devices_in_natural_order(cluster: Design) -> None:
    by = {d.name: d for d in cluster.devices()}
    names = ["be-spine10", "be-spine2", "be-spine1"]
    waves = plan_waves(cluster, [classify(by[n], "+   timers bgp 5 15\n", bgp_timers="reset-now") for n in names])
    assert waves[0].devices == ("be-spine1", "be-spine2", "be-spine10")


def test_bgp_timers_reset_now_drain_to_reset_the_sessions(cluster: Design) -> None:
    """A hold time is negotiated in OPEN: with upgrade.bgp_timers: reset-now the sessions are reset
    under drain (issue 10), each rail leaf cordoning its servers; by default nothing is."""
    waves = plan(cluster, edited(CLUSTER, backend__bgp__hold_s=15, frontend__bgp__hold_s=15, upgrade__bgp_timers="reset-now"))
    assert disruptive(waves) and {c.impact for w in waves for c in w.changes} == {"session-reset"}
    assert sorted(s for w in waves for s in w.cordon) == sorted(h.name for h in cluster.hosts if h.kind == "gpu")
    later = plan(cluster, edited(CLUSTER, backend__bgp__hold_s=15, frontend__bgp__hold_s=15))
    assert {c.impact for w in later for c in w.changes} == {"hitless"}
