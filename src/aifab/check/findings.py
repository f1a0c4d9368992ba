"""Findings: what a check says about a device, a link or a session."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is: an error fails the build, a warning or info does not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info (sort order: worst first)."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports; the engine adds the rule's id and severity."""

    fabric: str  # "backend", "frontend", or "" for the whole cluster
    device: str  # "" when the finding is about a fabric or the cluster
    subject: str  # interface, session (peer address) or other object; "" for the device itself
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of one rule: rule id, severity, where (fabric, device, subject) and what."""

    rule: str
    severity: Severity
    fabric: str
    device: str
    subject: str
    message: str

    @property
    def where(self) -> str:
        """``device subject`` (or the fabric when the finding is fabric-wide)."""
        return " ".join(p for p in (self.device or self.fabric, self.subject) if p) or "cluster"

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then by rule, fabric, device and subject (a stable report order)."""
    return sorted(findings, key=lambda f: (f.severity.rank, f.rule, f.fabric, f.device, f.subject, f.message))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
