"""Plan: the change set between two Designs, the impact of each change, and GPU-sparing rollout waves."""

from aifab.plan.changes import ChangeSet, Fact, change_set, natural_sorted
from aifab.plan.impact import Impact, impact_of
from aifab.plan.waves import (
    Change,
    PlanError,
    Wave,
    changed_lines,
    classify,
    cordoned_gpu_seconds,
    plan_waves,
    require_in_place,
)

__all__ = ["Change", "ChangeSet", "Fact", "Impact", "PlanError", "Wave", "change_set", "changed_lines", "classify",
           "cordoned_gpu_seconds", "impact_of", "natural_sorted", "plan_waves", "require_in_place"]
