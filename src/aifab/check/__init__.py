"""Check: rules over the Design and over the rendered files parsed back (what ships is what is checked).

Public API: ``run_checks(design, build_dir) -> list[Finding]`` (the benchmark's and pipeline's entry
point), ``check(...) -> Report`` (findings plus what ran), ``all_rules()`` and the ``Finding`` type.
"""

from aifab.check.engine import Report, check, run_checks
from aifab.check.findings import Finding, Severity
from aifab.check.registry import RULES, Rule
from aifab.check.rules import all_rules

__all__ = ["RULES", "Finding", "Report", "Rule", "Severity", "all_rules", "check", "run_checks"]
