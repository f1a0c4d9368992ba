"""Batfish adapter: write a snapshot in Batfish's layout, ask the questions, turn answers into Findings.

Run a service beside aifab with ``docker run -p 9996:9996 batfish/allinone`` and point
``aifab check --batfish HOST`` (or ``BATFISH_HOST``) at it. Layout (Batfish "Format of vendor
data"): EOS files in ``configs/`` with the explicit ``!RANCID-CONTENT-TYPE: arista`` header;
FRR routers in ``configs/`` as Cumulus-style concatenated files (hostname, interfaces,
ports.conf, frr.conf); SONiC in ``sonic_configs/<device>/`` (``config_db.json`` + ``frr.conf``);
the Design's cabling as ``batfish/layer1_topology.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aifab.check.engine import Report
from aifab.check.findings import Finding, Hit, Severity, sort_findings
from aifab.check.parse import device_files
from aifab.check.registry import RULES, Rule, rule
from aifab.design.model import Design
from aifab.errors import AifabError


class BatfishError(AifabError):
    """The Batfish service cannot be reached or cannot load the snapshot."""

    exit_code = 2


# The answers every Batfish rule reads: a question name -> its pandas frame.
Frames = dict[str, Any]


@dataclass(frozen=True)
class Answers:
    """Batfish's answers for one snapshot and the Design the snapshot came from."""

    design: Design
    frames: Frames

    def fabric_of(self, node: str) -> str:
        return next((d.fabric for d in self.design.devices() if d.name == node), "")


# ---------------------------------------------------------------- snapshot


def write_snapshot(design: Design, build_dir: Path, dest: Path) -> Path:
    """Lay out the rendered files of ``build_dir`` as a Batfish snapshot in ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "configs").mkdir(parents=True)
    for dev in design.devices():
        files = device_files(build_dir / "configs", dev.name, dev.platform)
        if not files or not all(f.is_file() for f in files):
            continue
        if dev.platform == "eos":
            text = files[0].read_text(encoding="utf-8")
            (dest / "configs" / f"{dev.name}.cfg").write_text(f"!RANCID-CONTENT-TYPE: arista\n{text}", encoding="utf-8")
        elif dev.platform == "frr":
            frr = files[0].read_text(encoding="utf-8")
            text = (f"{dev.name}\n# This file describes the network interfaces\n\n# ports.conf --\n\n"
                    f"frr version\n{frr}\n")
            (dest / "configs" / f"{dev.name}.cfg").write_text(text, encoding="utf-8")
        else:
            folder = dest / "sonic_configs" / dev.name
            folder.mkdir(parents=True)
            for f in files:
                shutil.copyfile(f, folder / ("config_db.json" if f.name.endswith(".json") else "frr.conf"))
    edges = []
    for dev in design.devices():
        for p in dev.ports:
            if p.role != "server":
                edges.append({"node1": {"hostname": dev.name, "interfaceName": p.name},
                              "node2": {"hostname": p.peer, "interfaceName": p.peer_port}})
    (dest / "batfish").mkdir()
    (dest / "batfish" / "layer1_topology.json").write_text(json.dumps({"edges": edges}, indent=1), encoding="utf-8")
    return dest


# ---------------------------------------------------------------- questions


def _node_regex(names: list[str]) -> str:
    return "/^(" + "|".join(names) + ")$/"


def ask(host: str, design: Design, snapshot: Path) -> Frames:
    """Upload the snapshot to the service at ``host`` and answer every question the rules read."""
    from pybatfish.client.session import Session
    from pybatfish.datamodel.flow import HeaderConstraints, PathConstraints

    bf = Session(host=host)
    bf.set_network(f"aifab-{design.cluster}")
    bf.init_snapshot(str(snapshot), name=f"aifab-{design.cluster}", overwrite=True)
    frames: Frames = {q: getattr(bf.q, q)().answer().frame() for q in
                      ("fileParseStatus", "initIssues", "parseWarning", "undefinedReferences",
                       "bgpSessionCompatibility", "bgpSessionStatus")}
    for fab, other in ((design.backend, design.frontend), (design.frontend, design.backend)):
        nodes = _node_regex([d.name for d in fab.devices])
        frames[f"loopbacks:{fab.name}"] = bf.q.reachability(
            pathConstraints=PathConstraints(startLocation=nodes), headers=HeaderConstraints(dstIps=fab.loopbacks),
            actions="FAILURE").answer().frame()
        foreign = ",".join((other.loopbacks, other.p2p, other.servers))
        frames[f"isolation:{fab.name}"] = bf.q.reachability(
            pathConstraints=PathConstraints(startLocation=nodes), headers=HeaderConstraints(dstIps=foreign),
            actions="SUCCESS").answer().frame()
    leaves = _node_regex([d.name for d in design.backend.devices if d.role == "leaf"])
    frames["gpu:backend"] = bf.q.reachability(
        pathConstraints=PathConstraints(startLocation=leaves), headers=HeaderConstraints(dstIps=design.backend.servers),
        actions="FAILURE").answer().frame()
    return frames


# ---------------------------------------------------------------- answers -> findings

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


def batfish_report(report: Report, design: Design, build_dir: Path, host: str) -> Report:
    """``report`` with the Batfish rules run against the service at ``host`` (their findings added)."""
    with tempfile.TemporaryDirectory(prefix="aifab-batfish-") as tmp:
        snapshot = write_snapshot(design, build_dir, Path(tmp) / "snapshot")
        try:
            frames = ask(host, design, snapshot)
        except Exception as exc:  # pybatfish raises requests' errors and its own; to the user they mean one thing
            raise BatfishError(f"batfish at {host}: {type(exc).__name__}: {exc}") from None
        found = findings_from_answers(Answers(design, frames))
    skipped = {k: v for k, v in report.skipped.items() if RULES[k].scope != "batfish"}
    return replace(report, skipped=skipped, findings=tuple(sort_findings([*report.findings, *found])))
