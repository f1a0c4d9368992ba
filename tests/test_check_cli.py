"""``aifab check``: exit codes (0 clean, 1 error finding, 2 bad input) and every report format, parsed back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aifab.check.engine import CheckFailed, require_clean
from aifab.cli import main
from aifab.design.model import design_from_json
from aifab.pipeline import build

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def lab_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lab")
    build(ROOT / "intent" / "lab.yaml", out, check=False)
    return out


@pytest.fixture
def broken_build(lab_build: Path, tmp_path: Path) -> Path:
    """The lab build with a wrong remote-as on be-leaf-su1-r1 (BGP002)."""
    out = tmp_path / "build"
    shutil.copytree(lab_build, out)
    conf = out / "configs" / "be-leaf-su1-r1.frr.conf"
    conf.write_text(re.sub(r"(?m)^( neighbor \S+ remote-as )\d+", r"\g<1>65001", conf.read_text(), count=1))
    return out


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_build_exits_0_with_an_empty_json_report(lab_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(lab_build), "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc["cluster"] == "lab" and doc["findings"] == []
    assert doc["summary"]["error"] == 0 and doc["summary"]["failed"] is False
    assert doc["summary"]["parsed"] == doc["summary"]["devices"] == 10
    assert "BGP002" in doc["summary"]["rules"] and "BF005" in doc["skipped"]


def test_error_finding_exits_1_json(broken_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(broken_build), "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["summary"]["failed"] is True and doc["summary"]["error"] == 1
    (f,) = doc["findings"]
    assert (f["rule"], f["severity"], f["fabric"], f["device"]) == ("BGP002", "error", "backend", "be-leaf-su1-r1")
    assert "65001" in f["message"]


def test_junit_report_has_one_testcase_per_rule_and_fails_the_broken_one(broken_build: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "check.xml"
    code, out, _ = run(capsys, str(broken_build), "--format", "junit", "-o", str(report))
    assert code == 1 and out == ""
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    cases = {c.get("name", "").split()[0]: c for c in suite.iter("testcase")}
    assert int(suite.get("tests", "0")) == len(cases) >= 25
    assert suite.get("failures") == "1"
    failure = cases["BGP002"].find("failure")
    assert failure is not None and "be-leaf-su1-r1" in (failure.text or "")
    assert cases["BGP001"].find("failure") is None
    assert cases["BF005"].find("skipped") is not None
    assert int(suite.get("skipped", "0")) == sum(1 for r in cases if r.startswith(("BF", "HOST")))


def test_markdown_report_is_a_pr_comment_with_the_finding(broken_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(broken_build), "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("### :x: aifab check `lab`")
    assert "**1** errors" in out
    rows = [line for line in lines if line.startswith("| error |")]
    assert len(rows) == 1 and "`BGP002`" in rows[0] and "be-leaf-su1-r1" in rows[0]


def test_table_report_names_rule_and_device(broken_build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(broken_build))
    assert code == 1
    assert "BGP002" in out and "be-leaf-su1-r1" in out
    assert "aifab check FAILED: 1 errors" in out


def test_intent_target_is_built_into_a_temporary_directory(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(ROOT / "intent" / "lab.yaml"), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["cluster"] == "lab" and doc["findings"] == []


def test_missing_target_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert err.strip() == f"{tmp_path / 'nope'}: no such build directory or intent file"


def test_directory_without_design_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "no design.json" in err and str(tmp_path) in err


def test_corrupt_design_json_exits_2_naming_the_file(lab_build: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build"
    shutil.copytree(lab_build, out)
    (out / "design.json").write_text('{"cluster": "lab", "backend": 3}')
    code, _, err = run(capsys, str(out))
    assert code == 2
    assert err.startswith(f"{out / 'design.json'}: backend")
    assert "Traceback" not in err


def _device(design: dict[str, Any], field: str, value: str) -> str:
    device = design["backend"]["devices"][2]
    device[field] = value
    return f"{device['name']}: "


def _port(design: dict[str, Any], value: str) -> str:
    device = design["backend"]["devices"][2]
    device["ports"][1]["address"] = value
    return f"{device['name']}: port {device['ports'][1]['name']} address "


def _neighbor(design: dict[str, Any], field: str, value: str) -> str:
    device = design["backend"]["devices"][2]
    device["neighbors"][0][field] = value
    return f"{device['name']}: neighbour {device['neighbors'][0]['peer']} "


def _nic(design: dict[str, Any], field: str, value: str) -> str:
    host = design["hosts"][1]
    host["nics"][0][field] = value
    return f"{host['name']}: NIC {host['nics'][0]['name']} "


@pytest.mark.parametrize(("edit", "said"), [
    (lambda d: _device(d, "platform", "junos"), "unknown platform 'junos'"),
    (lambda d: _device(d, "asic", "x"), "unknown ASIC 'x'"),
    (lambda d: _device(d, "loopback", "10.0.0.300"), "loopback '10.0.0.300' is not an IPv4 address"),
    (lambda d: _port(d, "10.0.1.2/99"), "'10.0.1.2/99' is not an IPv4 prefix"),
    (lambda d: d["frontend"].update(p2p="x") or "frontend pool p2p: ", "'x' is not an IPv4 prefix"),
    (lambda d: _device(d, "management", "garbage"), "management 'garbage' is not an IPv4 prefix"),
    (lambda d: _neighbor(d, "local_address", "999.1.1.1"), "local address '999.1.1.1' is not an IPv4 address"),
    (lambda d: _nic(d, "address", "10.0.2.1"), "address '10.0.2.1' is not an IPv4 prefix"),
    (lambda d: _nic(d, "gateway", "bad"), "gateway 'bad' is not an IPv4 address"),
    (lambda d: d.update(management_gateway="gw") or "management gateway ", "'gw' is not an IPv4 address"),
], ids=["platform", "asic", "loopback", "port-address", "pool", "management", "neighbour", "nic", "nic-gateway",
        "management-gateway"])
def test_design_json_value_the_checks_cannot_read_exits_2_naming_where(
        lab_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Callable[[dict[str, Any]], str],
        said: str) -> None:
    """A design.json value no rule can read (an unknown platform or ASIC, an address that is not one)
    is one error naming the file, where the value is and what it holds (it was a KeyError or an
    OSError traceback; a management, neighbour or host NIC address that is not one passed the checks,
    exit 0, as the oracle they compare the configs with)."""
    out = tmp_path / "build"
    shutil.copytree(lab_build, out)
    design = json.loads((out / "design.json").read_text())
    where = edit(design)
    (out / "design.json").write_text(json.dumps(design))
    code, _, err = run(capsys, str(out))
    assert code == 2, err
    assert err.startswith(f"{out / 'design.json'}: {where}") and said in err.splitlines()[0], err


def test_bad_intent_exits_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("servers: 4\n", "servers: 5\n", 1))
    code, _, err = run(capsys, str(bad))
    assert code == 2
    assert re.match(rf"{re.escape(str(bad))}:\d+: backend.servers: ", err)


def test_real_process_exit_codes(lab_build: Path, broken_build: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "aifab", "check", str(lab_build), "--format", "json"],
                        capture_output=True, text=True, check=False)
    bad = subprocess.run([sys.executable, "-m", "aifab", "check", str(broken_build), "--format", "json"],
                         capture_output=True, text=True, check=False)
    assert (ok.returncode, bad.returncode) == (0, 1)
    assert json.loads(bad.stdout)["findings"][0]["rule"] == "BGP002"


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_reader_that_goes_away_leaves_the_exit_code_the_commands_own(lab_build: Path, broken_build: Path,
                                                                      tmp_path: Path, command: str) -> None:
    """``aifab check BUILD | head``: the reader gone before the first line, the command finishes and
    exits with its own code, 0 for a check that passes and 1 for one that fails (rich ended the
    process with exit 1 at the first write: "a check fails" of a check that passed)."""
    def piped(*args: str) -> subprocess.CompletedProcess[str]:
        read, write = os.pipe()
        os.close(read)  # nobody reads: every write to stdout fails (EPIPE)
        try:
            return subprocess.run([sys.executable, "-m", "aifab", command, *args], stdout=write, stderr=subprocess.PIPE,
                                  text=True, timeout=120, check=False)
        finally:
            os.close(write)

    if command == "build":
        out = tmp_path / "build"
        res = piped(str(ROOT / "intent" / "lab.yaml"), "-o", str(out))
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in lab_build.iterdir()), "every file written"
        return
    ok, bad = piped(str(lab_build)), piped(str(broken_build))
    assert (ok.returncode, bad.returncode) == (0, 1), ok.stderr + bad.stderr
    assert "Traceback" not in ok.stderr + bad.stderr


def test_build_fails_with_exit_1_when_its_configs_break_a_rule(broken_build: Path) -> None:
    design = design_from_json((broken_build / "design.json").read_bytes())
    with pytest.raises(CheckFailed) as exc:
        require_clean(design, broken_build)
    assert exc.value.exit_code == 1
    first, second = str(exc.value).splitlines()
    assert first == f"{broken_build}: 1 error findings (aifab check {broken_build} for the full report)"
    assert second.startswith("BGP002 be-leaf-su1-r1 ") and "65001" in second


@pytest.mark.parametrize(("line", "value"), [("router bgp x", "asn 'x'"), ("maximum-paths many", "maximum-paths 'many'")])
def test_hand_edited_number_is_a_located_finding_not_a_traceback(lab_build: Path, tmp_path: Path, line: str, value: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A config edited by hand to a word where the parser needs a number: CFG001 names the file, exit 1."""
    out = tmp_path / "build"
    shutil.copytree(lab_build, out)
    conf = out / "configs" / "be-spine1.frr.conf"
    key = line.split()[0] if line.startswith("max") else "router bgp"
    text, n = re.subn(rf"(?m)^(\s*){key} \S+", rf"\g<1>{line}", conf.read_text(), count=1)
    assert n == 1
    conf.write_text(text)
    code, stdout, err = run(capsys, str(out), "--format", "json")
    assert code == 1 and "Traceback" not in err and "ttp" not in err
    cfg = [f for f in json.loads(stdout)["findings"] if f["rule"] == "CFG001"]
    assert [f["device"] for f in cfg] == ["be-spine1"] and value in cfg[0]["message"], cfg
