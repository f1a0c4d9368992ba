"""`aifab check --hosts DIR` on recorded host reports (tests/data/hosts/lab: the documented outputs of
mlnx_qos -i, the /sys/class/net/<if>/ecn files, the RDMA-CM ToS and ip -j) of intent/lab.yaml:
srv-su1-01 agrees with its switch ports, srv-su1-02 disagrees in every way a host can."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aifab.cli import main

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
REPORTS = ROOT / "tests" / "data" / "hosts" / "lab"


def run(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, dict]:
    code = main(["check", str(LAB), "--hosts", str(folder), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def host_findings(doc: dict) -> list[dict]:
    return [f for f in doc["findings"] if f["rule"].startswith("HOST")]


def test_an_agreeing_host_has_no_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPORTS / "srv-su1-01.txt", tmp_path)
    code, doc = run(capsys, tmp_path)
    assert code == 0
    found = host_findings(doc)
    assert [f["rule"] for f in found] == ["HOST005"]  # only: the other hosts were not reported
    assert found[0]["message"] == "4 hosts not reported: srv-su1-02, srv-su2-01, srv-su2-02, stor01"
    assert "HOST001" in doc["summary"]["rules"] and not any(k.startswith("HOST") for k in doc["skipped"])


def test_every_mismatch_of_a_disagreeing_host_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = run(capsys, REPORTS)
    assert code == 1
    got = {(f["rule"], f["device"], f["subject"], f["message"]) for f in host_findings(doc) if f["device"]}
    r1, r2 = "rail1 -> be-leaf-su1-r1 swp2", "rail2 -> be-leaf-su1-r2 swp2"
    assert got == {
        ("HOST001", "srv-su1-02", r1, "trusts pcp; the switch port trusts dscp"),
        ("HOST001", "srv-su1-02", r1, "PFC on priorities 3,4; the switch port has PFC on 3"),
        ("HOST001", "srv-su1-02", r2, "RoCE DSCP 26 maps to priority 4; the switch port puts it in 3"),
        ("HOST002", "srv-su1-02", r1, "ECN reaction point (roce_rp) off on priority 3; the switch port marks ECN there"),
        ("HOST002", "srv-su1-02", r1, "CNPs sent with DSCP 46; the switch port classes CNPs by DSCP 48"),
        ("HOST002", "srv-su1-02", r1, "RoCE traffic leaves with no RDMA-CM default ToS (0); the switch port expects DSCP 26 (ToS 104)"),
        ("HOST002", "srv-su1-02", r2, "CNPs sent on priority 3; the switch port serves them on 6"),
        ("HOST002", "srv-su1-02", r2, "RoCE traffic leaves with ToS 106; the switch port expects DSCP 26 (ToS 104)"),
        ("HOST003", "srv-su1-02", r2, "MTU 1500; the switch port has 9216"),
        ("HOST004", "srv-su1-02", r2, "address 10.0.2.99/31; the switch port's peer is 10.0.2.11/31"),
        ("HOST004", "srv-su1-02", r2, "route 10.0.2.8/29: no route; designed via 10.0.2.10 dev rail2"),
        ("HOST004", "srv-su1-02", "fe1 -> fe-leaf1a swp2",
         "route 10.1.2.0/24: via 10.1.2.2 dev fe1; designed via 10.1.2.2 dev fe1, via 10.1.2.18 dev fe2"),
    }


def test_a_report_of_no_designed_host_and_a_malformed_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPORTS / "srv-su1-01.txt", tmp_path / "gpu-node-7.txt")
    code, doc = run(capsys, tmp_path)
    assert code == 0  # a warning
    assert any(f["rule"] == "HOST005" and f["subject"] == "gpu-node-7.txt" for f in doc["findings"])
    (tmp_path / "srv-su1-01.txt").write_text("### ip -j -4 addr show\n[{not json\n")
    assert main(["check", str(LAB), "--hosts", str(tmp_path)]) == 2
    assert "srv-su1-01.txt: section 'ip -j -4 addr show' is not JSON" in capsys.readouterr().err
    assert main(["check", str(LAB), "--hosts", str(tmp_path / "missing")]) == 2


@pytest.mark.parametrize(("old", "new", "said"), [
    ('"mtu": 9216, "qdisc"', '"mtu": "9216", "qdisc"', "section 'ip -j -4 addr show': mtu \"9216\" is not a number"),
    ('"addr_info": [{', '"addr_info": [[], {', "section 'ip -j -4 addr show': addr_info is not a list of JSON objects"),
    ('{"dst": "10.0.2.0/29", "gateway": "10.0.2.0"', '{"dst": {"p": 1}, "gateway": "10.0.2.0"',
     "section 'ip -j -4 route show': dst {\"p\": 1} is not a string"),
], ids=["mtu-string", "addr-info-list", "route-dst-object"])
def test_a_report_whose_ip_json_holds_a_value_ip_never_prints_is_refused_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str) -> None:
    """A report edited or cut so that ip's JSON holds a value of another type is one error naming the
    file, section and field (exit 2): it was a TypeError traceback out of ``aifab check``."""
    text = (REPORTS / "srv-su1-01.txt").read_text()
    assert old in text
    (tmp_path / "srv-su1-01.txt").write_text(text.replace(old, new, 1))
    assert main(["check", str(LAB), "--hosts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"srv-su1-01.txt: {said}" in err and "Traceback" not in err, err


def test_a_pfc_row_that_is_not_eight_flags_is_a_setting_the_report_does_not_show(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``enabled 0 0 0 1 0 0 0 x`` (a cut or edited report): the NIC's PFC is not shown, a HOST001
    finding on that NIC, not a ValueError out of ``aifab check``."""
    text = (REPORTS / "srv-su1-01.txt").read_text()
    old = "        enabled     0   0   0   1   0   0   0   0\n"
    assert old in text
    (tmp_path / "srv-su1-01.txt").write_text(text.replace(old, "        enabled     0   0   0   1   0   0   0   x\n", 1))
    code, doc = run(capsys, tmp_path)
    assert code == 1
    pfc = [f for f in doc["findings"] if f["rule"] == "HOST001" and f["device"] == "srv-su1-01"]
    assert pfc and "rail1" in pfc[0]["subject"], doc["findings"]

