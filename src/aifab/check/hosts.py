"""``aifab check --hosts DIR``: what hosts report (one file per host, named ``<host>.txt`` or
``<host>``, the output of ``hosts/collect.sh``) against the settings that agree with their switch
ports (``aifab.render.hosts``); the ``hosts`` rules (HOST...) read it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from aifab.check.engine import Report
from aifab.check.findings import Finding, sort_findings
from aifab.check.inputs import CheckInputError
from aifab.check.parse.host import HostReport, parse_report
from aifab.check.parse.text import ParseError
from aifab.check.registry import RULES
from aifab.design.model import Design
from aifab.render.hosts import HostSettings, host_settings


@dataclass
class HostsContext:
    """The designed host settings and the reports read from the folder."""

    design: Design
    settings: list[HostSettings]
    reports: dict[str, HostReport]
    strangers: list[str] = field(default_factory=list)  # report files of no designed host


def read_reports(design: Design, folder: Path) -> HostsContext:
    """Every report in ``folder``; CheckInputError (exit 2) when it is not a readable folder or a
    report is malformed, naming the file."""
    if not folder.is_dir():
        raise CheckInputError(f"{folder}: no such directory of host reports")
    settings = host_settings(design)
    names = {h.host for h in settings}
    reports, strangers = {}, []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        host = path.name.removesuffix(".txt")
        if host not in names:
            strangers.append(path.name)
            continue
        try:
            reports[host] = parse_report(str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckInputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
        except ParseError as exc:
            raise CheckInputError(str(exc)) from None
    return HostsContext(design, settings, reports, strangers)


def hosts_report(report: Report, design: Design, folder: Path) -> Report:
    """``report`` with the hosts rules run over the reports in ``folder`` (their findings added)."""
    ctx = read_reports(design, folder)
    rules = [r for r in report.rules if r.scope == "hosts"]
    found = [Finding(r.id, r.severity, h.fabric, h.device, h.subject, h.message) for r in rules for h in r.func(ctx)]
    skipped = {k: v for k, v in report.skipped.items() if RULES[k].scope != "hosts"}
    return replace(report, skipped=skipped, findings=tuple(sort_findings([*report.findings, *found])))
