"""Reports of a check run: a terminal table (rich), JSON, JUnit XML (CI) and Markdown (PR comment)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from aifab.check.engine import Report
from aifab.check.findings import Finding, Severity
from aifab.check.registry import Rule

if TYPE_CHECKING:
    from aifab.console import Console

FORMATS = ("table", "json", "junit", "markdown")
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
MARKDOWN_ROWS = 200  # a PR comment stays readable; the rest is counted


def summary_line(report: Report) -> str:
    c = report.counts()
    verdict = "FAILED" if report.failed else "passed"
    return (f"aifab check {verdict}: {c['error']} errors, {c['warning']} warnings, {c['info']} info "
            f"({len(report.rules) - len(report.skipped)} rules, {report.devices} devices, {report.parsed} configs parsed)")


def _skipped_by_reason(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for rule_id, why in sorted(report.skipped.items()):
        out[why].append(rule_id)
    return out


def print_table(report: Report, console: Console | None = None) -> None:
    """Findings as a rich table, then the summary line (rich is imported here: a review or a
    build that prints no table does not pay for it)."""
    from rich.table import Table

    from aifab.console import Console

    console = console or Console()
    if report.findings:
        table = Table(title=f"aifab check: {report.cluster}", title_justify="left")
        for col in ("severity", "rule", "fabric", "device", "subject", "message"):
            table.add_column(col, overflow="fold")
        for f in report.findings:
            table.add_row(f"[{_STYLE[f.severity]}]{f.severity}[/]", f.rule, f.fabric, f.device, f.subject, f.message)
        console.print(table)
    for why, ids in _skipped_by_reason(report).items():
        console.print(f"skipped {', '.join(ids)}: {why}", soft_wrap=True)
    console.print(summary_line(report), soft_wrap=True)


def to_json(report: Report) -> str:
    """``{"cluster", "summary", "skipped", "findings": [...]}`` with one object per finding."""
    doc = {
        "cluster": report.cluster,
        "summary": {**report.counts(), "failed": report.failed, "devices": report.devices, "parsed": report.parsed,
                    "rules": [r.id for r in report.rules if r.id not in report.skipped]},
        "skipped": report.skipped,
        "findings": [f.as_dict() for f in report.findings],
    }
    return json.dumps(doc, indent=2) + "\n"


def _by_rule(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.rule].append(f)
    return out


def to_junit(report: Report) -> str:
    """JUnit XML: one testcase per rule; a failure per rule with error findings, warnings in system-out."""
    by_rule = _by_rule(report.findings)
    suite = ET.Element("testsuite", name=f"aifab check {report.cluster}", tests=str(len(report.rules)))
    failures = skipped = 0
    for r in report.rules:
        case = ET.SubElement(suite, "testcase", classname=f"aifab.check.{r.family}", name=f"{r.id} {r.title}")
        found = by_rule.get(r.id, [])
        errors = [f for f in found if f.severity is Severity.ERROR]
        if r.id in report.skipped:
            skipped += 1
            ET.SubElement(case, "skipped", message=report.skipped[r.id])
        elif errors:
            failures += 1
            fail = ET.SubElement(case, "failure", type=r.id, message=f"{len(errors)} error findings: {r.rationale}")
            fail.text = "\n".join(f"{f.where}: {f.message}" for f in errors)
        others = [f for f in found if f.severity is not Severity.ERROR]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(f"{f.severity} {f.where}: {f.message}" for f in others)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """A PR comment: verdict, counts, and a table of findings (the first ``MARKDOWN_ROWS``)."""
    c = report.counts()
    icon = ":x:" if report.failed else ":white_check_mark:"
    lines = [f"### {icon} aifab check `{report.cluster}`", "",
             f"**{c['error']}** errors, **{c['warning']}** warnings, **{c['info']}** info "
             f"over {report.devices} devices ({report.parsed} configs parsed, "
             f"{len(report.rules) - len(report.skipped)} rules).", ""]
    if report.findings:
        lines += ["| severity | rule | device | subject | message |", "|---|---|---|---|---|"]
        for f in report.findings[:MARKDOWN_ROWS]:
            lines.append(f"| {f.severity} | `{f.rule}` | {_cell(f.device or f.fabric)} | {_cell(f.subject)} | {_cell(f.message)} |")
        if len(report.findings) > MARKDOWN_ROWS:
            lines += ["", f"... and {len(report.findings) - MARKDOWN_ROWS} more findings (see the JSON report)."]
    else:
        lines.append("No findings.")
    if report.skipped:
        lines += [""] + [f"Skipped {', '.join(f'`{i}`' for i in ids)}: {why}." for why, ids in _skipped_by_reason(report).items()]
    return "\n".join(lines) + "\n"


def rules_markdown(rules: list[Rule]) -> str:
    """The rule table of ``docs/checks.md`` (generated; a test keeps the docs in step)."""
    lines = ["| id | severity | scope | check | why |", "|---|---|---|---|---|"]
    lines += [f"| `{r.id}` | {r.severity} | {r.scope} | {_cell(r.title)} | {_cell(r.rationale)} |" for r in rules]
    return "\n".join(lines) + "\n"


def render(report: Report, fmt: str) -> str:
    """The report in ``json``, ``junit`` or ``markdown`` (the table prints to a console instead)."""
    return {"json": to_json, "junit": to_junit, "markdown": to_markdown}[fmt](report)
