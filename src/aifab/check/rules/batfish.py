"""Batfish rules: each reads a Batfish service's answers (:class:`Answers`) and yields Hits.

The adapter (``aifab.check.batfish``) writes the snapshot, asks the questions and calls
:func:`findings_from_answers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aifab.check.findings import Finding, Hit, Severity, sort_findings
from aifab.check.registry import RULES, Rule, rule
from aifab.design.model import Design

# The answers every Batfish rule reads: a question name -> its pandas frame.
Frames = dict[str, Any]


@dataclass(frozen=True)
class Answers:
    """Batfish's answers for one snapshot and the Design the snapshot came from."""

    design: Design
    frames: Frames

    def fabric_of(self, node: str) -> str:
        return next((d.fabric for d in self.design.devices() if d.name == node), "")


BatfishFunc = Callable[[Answers], Iterator[Hit]]


def _rows(answers: Answers, question: str) -> Iterator[dict[str, Any]]:
    frame = answers.frames.get(question)
    if frame is not None:
        yield from frame.to_dict("records")


def _node_of_file(answers: Answers, filename: str) -> str:
    stem = Path(str(filename)).stem
    parent = Path(str(filename)).parent.name
    names = {d.name for d in answers.design.devices()}
    return stem if stem in names else parent if parent in names else ""


def _hit(answers: Answers, node: str, subject: str, message: str) -> Hit:
    return Hit(answers.fabric_of(node), node, subject, message)


@rule("BF001", Severity.ERROR, "Batfish parses every file", scope="batfish",
      rationale="a file Batfish cannot fully parse holds lines no model (and possibly no switch) understands")
def bf_parse_status(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "fileParseStatus"):
        if row["Status"] != "PASSED":
            node = _node_of_file(answers, row["Filename"])
            yield _hit(answers, node, str(row["Filename"]), f"Batfish parse status {row['Status']}")


@rule("BF002", Severity.ERROR, "Batfish reports no parse or conversion error", scope="batfish",
      rationale="Batfish's initIssues lists errors and red flags met while building its model of a device")
def bf_init_issues(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "initIssues"):
        if row["Issue_Type"] in ("ParseWarning",):
            continue  # BF003 reports those, one per line
        nodes = list(row["Nodes"] or []) or [_node_of_file(answers, fl.filename) for fl in row["Source_Lines"] or []]
        for node in nodes or [""]:
            yield _hit(answers, str(node), str(row["Issue_Type"]), str(row["Issue"]))


@rule("BF003", Severity.WARNING, "Batfish understands every line", scope="batfish",
      rationale="an unrecognised line is configuration nobody has verified; it may be a typo the switch rejects")
def bf_parse_warnings(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "parseWarning"):
        node = _node_of_file(answers, row["Filename"])
        yield _hit(answers, node, f"line {row['Line']}", f"{row['Text']!s}: {row['Comment']}")


@rule("BF004", Severity.ERROR, "no undefined references", scope="batfish",
      rationale="a reference to an undefined route map, prefix list or peer group silently changes policy")
def bf_undefined(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "undefinedReferences"):
        node = _node_of_file(answers, row["File_Name"])
        yield _hit(answers, node, str(row["Ref_Name"]), f"undefined {row['Struct_Type']} {row['Ref_Name']} ({row['Context']})")


_COMPATIBLE = ("UNIQUE_MATCH", "DYNAMIC_MATCH")


@rule("BF005", Severity.ERROR, "Batfish finds every BGP session compatible", scope="batfish",
      rationale="Batfish's independent model of each session's addresses and ASNs must agree that both ends match")
def bf_bgp_compat(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "bgpSessionCompatibility"):
        if row["Configured_Status"] not in _COMPATIBLE:
            yield _hit(answers, str(row["Node"]), str(row["Remote_IP"]),
                       f"session to {row['Remote_IP']} (AS {row['Remote_AS']}) is {row['Configured_Status']}")


@rule("BF006", Severity.ERROR, "Batfish establishes every BGP session", scope="batfish",
      rationale="a compatible session that does not establish in simulation will not establish on the switches")
def bf_bgp_status(answers: Answers) -> Iterator[Hit]:
    for row in _rows(answers, "bgpSessionStatus"):
        if row["Established_Status"] == "NOT_ESTABLISHED":
            yield _hit(answers, str(row["Node"]), str(row["Remote_IP"]), f"session to {row['Remote_IP']} does not establish")


def _flows(answers: Answers, question: str, what: str) -> Iterator[Hit]:
    for row in _rows(answers, question):
        flow = row["Flow"]
        traces = row.get("Traces") or []
        disposition = traces[0].disposition if traces else "unknown"
        yield _hit(answers, str(flow.ingressNode), str(flow.dstIp), f"{what} {flow.dstIp}: {disposition}")


@rule("BF007", Severity.ERROR, "loopbacks reach each other", scope="batfish",
      rationale="every switch must reach every loopback of its fabric in Batfish's data-plane simulation")
def bf_loopbacks(answers: Answers) -> Iterator[Hit]:
    for fabric in ("backend", "frontend"):
        yield from _flows(answers, f"loopbacks:{fabric}", "no path to loopback")


@rule("BF008", Severity.ERROR, "GPU subnets are reachable across the backend", scope="batfish",
      rationale="every rail leaf must reach every GPU server subnet, or collective traffic between SUs blackholes")
def bf_gpu_subnets(answers: Answers) -> Iterator[Hit]:
    yield from _flows(answers, "gpu:backend", "no path to GPU subnet address")


@rule("BF009", Severity.ERROR, "no path between the fabrics", scope="batfish",
      rationale="Batfish must find no flow from a switch of one fabric into the other fabric's prefixes")
def bf_isolation(answers: Answers) -> Iterator[Hit]:
    for fabric in ("backend", "frontend"):
        yield from _flows(answers, f"isolation:{fabric}", f"{fabric} switch reaches the other fabric at")


def batfish_rules() -> list[Rule]:
    return [r for r in RULES.values() if r.scope == "batfish"]


def findings_from_answers(answers: Answers) -> list[Finding]:
    """Every Batfish rule over one set of answers."""
    out = [Finding(r.id, r.severity, h.fabric, h.device, h.subject, h.message)
           for r in sorted(batfish_rules(), key=lambda r: r.id) for h in r.func(answers)]
    return sort_findings(out)
