"""The rule registry: every check is a function registered with ``@rule``.

A rule has an id (``BGP001``), a severity, a title, a one-line rationale and a scope:
``design`` rules read only the Design; ``configs`` rules read the facts parsed back from the
rendered files (and the Design for cabling and policy); both take a ``CheckContext``.
``batfish`` rules read a Batfish service's answers (``aifab.check.rules.batfish.Answers``); ``hosts``
rules read the hosts' reports (``aifab.check.hosts.HostsContext``, ``aifab check --hosts DIR``).
``aifab.check.rules.all_rules()`` imports every rule module; ``docs/checks.md`` lists every rule;
``tests/test_check_docs.py`` fails when that table is stale. A ``costly`` rule (one that reads the
address and session indexes) runs in a second process on large builds (``aifab.check.engine``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from aifab.check.findings import Hit, Severity

Scope = Literal["design", "configs", "batfish", "hosts"]
RuleFunc = Callable[[Any], Iterable[Hit]]  # CheckContext -> hits, or Answers -> hits for batfish rules


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered check."""

    id: str
    severity: Severity
    title: str
    rationale: str
    scope: Scope
    func: RuleFunc
    costly: bool = False  # run beside the others in a forked process on large builds

    @property
    def family(self) -> str:
        """The id's letters: ``BGP`` for ``BGP001``."""
        return self.id.rstrip("0123456789")


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, title: str, rationale: str, scope: Scope = "configs",
         costly: bool = False) -> Callable[[RuleFunc], RuleFunc]:
    """Register ``func`` as the check ``rule_id`` (ids are unique; a duplicate is a programming error).
    ``costly``: the rule may run in a second process beside the others on large builds."""

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice ({RULES[rule_id].func.__qualname__}, {func.__qualname__})")
        RULES[rule_id] = Rule(rule_id, Severity(severity), title, rationale, scope, func, costly)
        return func

    return register

