"""Batfish adapter: snapshot layout, answers -> Findings, and a live run when BATFISH_HOST is set.

The ``..._on_batfish_shaped_frames`` tests feed the translation real pybatfish frames built by
pybatfish's own ``TableAnswer`` from JSON shaped as the service answers (column names and
schemas of Batfish's answerers); the live test beside them needs a Batfish service.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pybatfish.datamodel.answer.table import TableAnswer

from aifab.check.batfish import Answers, batfish_report, findings_from_answers, write_snapshot
from aifab.check.engine import check
from aifab.check.findings import Severity
from aifab.cli import main
from aifab.design.model import Design
from aifab.pipeline import build

ROOT = Path(__file__).parents[1]


def built(intent: str, out: Path) -> Design:
    return build(ROOT / "intent" / intent, out, check=False).design


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    out = tmp_path_factory.mktemp("lab")
    return built("lab.yaml", out), out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    out = tmp_path_factory.mktemp("cluster")
    return built("cluster.yaml", out), out


def test_snapshot_puts_eos_in_configs_with_the_arista_header(cluster: tuple[Design, Path], tmp_path: Path) -> None:
    design, out = cluster
    snap = write_snapshot(design, out, tmp_path / "snap")
    files = sorted(p.name for p in (snap / "configs").iterdir())
    assert files == sorted(f"{d.name}.cfg" for d in design.devices())
    text = (snap / "configs" / "be-spine1.cfg").read_text()
    assert text.splitlines()[0] == "!RANCID-CONTENT-TYPE: arista"
    assert text.split("\n", 1)[1] == (out / "configs" / "be-spine1.cfg").read_text()


def test_snapshot_concatenates_frr_files_cumulus_style_and_writes_layer1(lab: tuple[Design, Path], tmp_path: Path) -> None:
    design, out = lab
    snap = write_snapshot(design, out, tmp_path / "snap")
    lines = (snap / "configs" / "be-leaf-su1-r1.cfg").read_text().splitlines()
    assert lines[0] == "be-leaf-su1-r1"
    assert "# This file describes the network interfaces" in lines
    assert "# ports.conf --" in lines
    start = lines.index("frr version") + 1
    frr = (out / "configs" / "be-leaf-su1-r1.frr.conf").read_text().splitlines()
    assert lines[start:start + len(frr)] == frr
    edges = json.loads((snap / "batfish" / "layer1_topology.json").read_text())["edges"]
    cables = sum(1 for d in design.devices() for p in d.ports if p.role != "server")
    assert len(edges) == cables
    assert {"hostname": "be-spine1", "interfaceName": "swp1"} in [e["node1"] for e in edges]


def test_snapshot_puts_sonic_files_in_sonic_configs(tmp_path: Path) -> None:
    intent = tmp_path / "lab-sonic.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: sonic}"))
    design = build(intent, tmp_path / "build", check=False).design
    snap = write_snapshot(design, tmp_path / "build", tmp_path / "snap")
    assert sorted(p.name for p in (snap / "sonic_configs").iterdir()) == sorted(d.name for d in design.devices())
    folder = snap / "sonic_configs" / "be-leaf-su1-r1"
    assert sorted(p.name for p in folder.iterdir()) == ["config_db.json", "frr.conf"]
    assert json.loads((folder / "config_db.json").read_text())["DEVICE_METADATA"]["localhost"]["hostname"] == "be-leaf-su1-r1"
    assert list((snap / "configs").iterdir()) == []


def frame(columns: dict[str, str], rows: list[dict[str, Any]]) -> Any:
    """A pandas frame exactly as pybatfish builds it from the service's JSON answer."""
    meta = {"columnMetadata": [{"name": n, "schema": s} for n, s in columns.items()]}
    return TableAnswer({"answerElements": [{"metadata": meta, "rows": rows}]}).frame()


def flow(node: str, dst: str) -> dict[str, Any]:
    return {"dscp": 0, "dstIp": dst, "dstPort": 0, "ecn": 0, "fragmentOffset": 0, "ingressNode": node,
            "ingressVrf": "default", "ipProtocol": "ICMP", "packetLength": 512, "srcIp": "10.0.0.1"}


BGP_COLUMNS = {"Node": "Node", "VRF": "String", "Local_AS": "Long", "Local_Interface": "Interface", "Local_IP": "Ip",
               "Remote_AS": "String", "Remote_Node": "Node", "Remote_Interface": "Interface", "Remote_IP": "Ip",
               "Address_Families": "List<String>", "Session_Type": "String"}
REACH_COLUMNS = {"Flow": "Flow", "Traces": "List<Trace>", "TraceCount": "Integer"}


def bgp_row(node: str, remote_ip: str, status_col: str, status: str) -> dict[str, Any]:
    return {"Node": {"name": node}, "VRF": "default", "Local_AS": 4200000001, "Local_Interface": None,
            "Local_IP": "10.0.1.1", "Remote_AS": "4200000000", "Remote_Node": {"name": "be-spine1"},
            "Remote_Interface": None, "Remote_IP": remote_ip, "Address_Families": ["IPV4_UNICAST"],
            "Session_Type": "EBGP_SINGLEHOP", status_col: status}


def test_findings_from_answers_on_batfish_shaped_frames(lab: tuple[Design, Path]) -> None:
    design, _ = lab
    frames = {
        "fileParseStatus": frame({"Filename": "String", "Status": "String", "Hosts": "List<Node>"}, [
            {"Filename": "configs/be-spine1.cfg", "Status": "PASSED", "Hosts": [{"name": "be-spine1"}]},
            {"Filename": "configs/be-spine2.cfg", "Status": "PARTIALLY_UNRECOGNIZED", "Hosts": [{"name": "be-spine2"}]},
        ]),
        "initIssues": frame({"Nodes": "List<String>", "Source_Lines": "List<FileLines>", "Issue_Type": "String",
                             "Issue": "String", "Parser_Context": "String"}, [
            {"Nodes": ["fe-leaf1a"], "Source_Lines": None, "Issue_Type": "Convert error", "Issue": "bad route map",
             "Parser_Context": None},
            {"Nodes": None, "Source_Lines": [{"filename": "configs/be-spine2.cfg", "lines": [7]}],
             "Issue_Type": "ParseWarning", "Issue": "This syntax is unrecognized", "Parser_Context": "s_line"},
        ]),
        "parseWarning": frame({"Filename": "String", "Line": "Integer", "Text": "String", "Parser_Context": "String",
                               "Comment": "String"}, [
            {"Filename": "configs/be-spine2.cfg", "Line": 7, "Text": "bogus line", "Parser_Context": "s_line",
             "Comment": "This syntax is unrecognized"},
        ]),
        "undefinedReferences": frame({"File_Name": "String", "Struct_Type": "String", "Ref_Name": "String",
                                      "Context": "String", "Lines": "String"}, [
            {"File_Name": "configs/fe-leaf1b.cfg", "Struct_Type": "route-map", "Ref_Name": "RM-MISSING",
             "Context": "bgp redistribute connected route-map", "Lines": "configs/fe-leaf1b.cfg:[40]"},
        ]),
        "bgpSessionCompatibility": frame({**BGP_COLUMNS, "Configured_Status": "String"}, [
            bgp_row("be-leaf-su1-r1", "10.0.1.0", "Configured_Status", "UNIQUE_MATCH"),
            bgp_row("be-leaf-su1-r2", "10.0.1.4", "Configured_Status", "HALF_OPEN"),
        ]),
        "bgpSessionStatus": frame({**BGP_COLUMNS, "Established_Status": "String"}, [
            bgp_row("be-leaf-su1-r1", "10.0.1.0", "Established_Status", "ESTABLISHED"),
            bgp_row("be-leaf-su2-r1", "10.0.1.8", "Established_Status", "NOT_ESTABLISHED"),
            bgp_row("be-leaf-su1-r2", "10.0.1.4", "Established_Status", "NOT_COMPATIBLE"),
        ]),
        "loopbacks:backend": frame(REACH_COLUMNS, [
            {"Flow": flow("be-spine2", "10.0.0.3"), "Traces": [{"disposition": "NO_ROUTE", "hops": []}], "TraceCount": 1},
        ]),
        "loopbacks:frontend": frame(REACH_COLUMNS, []),
        "gpu:backend": frame(REACH_COLUMNS, [
            {"Flow": flow("be-leaf-su2-r2", "10.0.2.1"), "Traces": [{"disposition": "NULL_ROUTED", "hops": []}],
             "TraceCount": 1},
        ]),
        "isolation:backend": frame(REACH_COLUMNS, []),
        "isolation:frontend": frame(REACH_COLUMNS, [
            {"Flow": flow("fe-spine1", "10.0.2.1"), "Traces": [{"disposition": "ACCEPTED", "hops": []}], "TraceCount": 1},
        ]),
    }
    found = findings_from_answers(Answers(design, frames))
    got = {(f.rule, f.device, f.subject) for f in found}
    assert got == {
        ("BF001", "be-spine2", "configs/be-spine2.cfg"),
        ("BF002", "fe-leaf1a", "Convert error"),
        ("BF003", "be-spine2", "line 7"),
        ("BF004", "fe-leaf1b", "RM-MISSING"),
        ("BF005", "be-leaf-su1-r2", "10.0.1.4"),
        ("BF006", "be-leaf-su2-r1", "10.0.1.8"),
        ("BF007", "be-spine2", "10.0.0.3"),
        ("BF008", "be-leaf-su2-r2", "10.0.2.1"),
        ("BF009", "fe-spine1", "10.0.2.1"),
    }
    by_rule = {f.rule: f for f in found}
    assert by_rule["BF003"].severity is Severity.WARNING
    assert by_rule["BF009"].fabric == "frontend" and "ACCEPTED" in by_rule["BF009"].message
    assert by_rule["BF005"].fabric == "backend" and "HALF_OPEN" in by_rule["BF005"].message


def test_clean_answers_give_no_findings_on_batfish_shaped_frames(lab: tuple[Design, Path]) -> None:
    design, _ = lab
    frames = {
        "fileParseStatus": frame({"Filename": "String", "Status": "String", "Hosts": "List<Node>"},
                                 [{"Filename": f"configs/{d.name}.cfg", "Status": "PASSED", "Hosts": [{"name": d.name}]}
                                  for d in design.devices()]),
        "bgpSessionCompatibility": frame({**BGP_COLUMNS, "Configured_Status": "String"},
                                         [bgp_row("be-leaf-su1-r1", "10.0.1.0", "Configured_Status", "UNIQUE_MATCH")]),
    }
    assert findings_from_answers(Answers(design, frames)) == []


@pytest.mark.batfish
@pytest.mark.skipif(not os.environ.get("BATFISH_HOST"), reason="needs a live Batfish service: set BATFISH_HOST "
                    "(docker run -p 9996:9996 batfish/allinone)")
def test_lab_build_is_clean_in_a_live_batfish(lab: tuple[Design, Path]) -> None:
    design, out = lab
    report = batfish_report(check(design, out), design, out, os.environ["BATFISH_HOST"])
    assert not any(r.startswith("BF") for r in report.skipped)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors == []


def test_unusable_batfish_service_exits_2_with_one_line(lab: tuple[Design, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, out = lab
    code = main(["check", str(out), "--batfish", "127.0.0.1:1"])  # port 1 of localhost: nothing answers
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("batfish at 127.0.0.1:1: ") and "Traceback" not in err
