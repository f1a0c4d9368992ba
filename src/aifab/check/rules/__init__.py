"""Rule modules, one per family; importing this package registers every rule."""

from aifab.check.registry import RULES, Rule
from aifab.check.rules import (  # noqa: F401
    access,
    addressing,
    batfish,
    bgp,
    breakouts,
    buffers,
    configs,
    deadlock,
    isolation,
    loadbalance,
    mtu,
    qos,
    topology,
)


def all_rules() -> list[Rule]:
    """Every rule (the rule modules above registered them on import), sorted by id."""
    return [RULES[k] for k in sorted(RULES)]
