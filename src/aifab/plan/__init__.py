"""Plan: classify each device's change and group the changes into ISSU-safe rollout waves."""

from aifab.plan.waves import Change, PlanError, Wave, changed_lines, classify, plan_waves

__all__ = ["Change", "PlanError", "Wave", "changed_lines", "classify", "plan_waves"]
