"""Property tests of the rollout planner over random fabrics and change sets (hypothesis): no plan
breaks a rule, every server is cordoned at most once, and a refusal names a change no wave can make."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from aifab.design import build_design
from aifab.design.model import Design
from aifab.intent.schema import Intent
from aifab.plan.changes import ChangeSet, DeviceChanges
from aifab.plan.simulate import FabricGraph
from aifab.plan.waves import Change, PlanError, classify, plan_waves
from tests.test_design_properties import PROPS, intents
from tests.test_plan_impact import EXAMPLES

LINES = [lines[0] for lines in EXAMPLES.values()]


@st.composite
def plans(draw: st.DrawFn) -> tuple[Design, list[Change]]:
    intent: Intent = draw(intents())
    pct = draw(st.sampled_from([25, 50, 60, 75, 90]))
    design = build_design(intent.model_copy(update={"upgrade": intent.upgrade.model_copy(update={"min_capacity_pct": pct})}))
    devices = design.devices()
    chosen = draw(st.lists(st.sampled_from(devices), unique_by=lambda d: d.name, max_size=len(devices)))
    changes = []
    for dev in chosen:
        how = draw(st.sampled_from(["line", "line", "server-flap", "new"]))
        if how == "new":
            changes.append(classify(dev, "x", carrying=False))
        elif how == "server-flap":  # a speed change on some server ports (a rail leaf cordons just those)
            ports = [p.name for p in dev.ports if p.role == "server"] or [p.name for p in dev.ports]
            some = draw(st.lists(st.sampled_from(ports), min_size=1, unique=True))
            cs = ChangeSet((), {dev.name: DeviceChanges(dev.name, {"speed": frozenset(some)})}, (), ())
            changes.append(classify(dev, "", changes=cs))
        else:
            changes.append(classify(dev, draw(st.sampled_from(LINES)) + "\n"))
    return design, changes


@PROPS
@given(plans())
def test_no_plan_breaks_a_rule(case: tuple[Design, list[Change]]) -> None:
    design, changes = case
    pct = design.upgrade.min_capacity_pct
    graphs = {f.name: FabricGraph(f, design) for f in design.fabrics}
    fabric_of = {d.name: d.fabric for d in design.devices()}
    su_of = {d.name: d.su for d in design.devices()}
    try:
        waves = plan_waves(design, changes)
    except PlanError:
        # justified only when some change (with the rest of its SU's cordons) breaks a rule on its own
        alone = []
        by_su: dict[object, list[Change]] = defaultdict(list)
        for c in changes:
            if c.kind in ("drain", "cordon"):
                key = ("su", su_of[c.device]) if c.cordon and su_of[c.device] is not None else c.device
                by_su[key].append(c)
        for group in by_su.values():
            fabric = fabric_of[group[0].device]
            out = {c.device for c in group if c.drain}
            alone.append(graphs[fabric].simulate(out, {s for c in group for s in c.cordon}, pct).problems)
        assert any(alone), "a refusal names a change no wave can make"
        return
    assert sorted(c.device for w in waves for c in w.changes) == sorted(c.device for c in changes), "every change once"
    cordoned: set[str] = set()
    for w in waves:
        assert not cordoned & set(w.cordon), "a server cordoned twice"
        cordoned |= set(w.cordon)
        assert set(w.cordon) == {s for c in w.changes for s in c.cordon}
        for name, graph in graphs.items():
            out = {c.device for c in w.changes if c.drain and fabric_of[c.device] == name}
            assert graph.simulate(out, set(w.cordon), pct).problems == (), f"wave {w.index} breaks a rule"
    first_kind = [w.changes[0].kind for w in waves]
    if "initial" in first_kind:
        assert first_kind[0] == "initial", "new devices first"
