"""The intent's telemetry section rendered per platform: EOS sFlow, LANZ and gNMI in the management
VRF; SONiC SFLOW/SFLOW_COLLECTOR/SFLOW_SESSION/TELEMETRY; what a platform cannot carry named by
TEL001 and in telemetry/gnmi.json (docs/sources.md#telemetry-sflow, #telemetry-gnmi)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab.check import check
from aifab.design import build_design
from aifab.intent import load_intent
from aifab.pipeline import build
from aifab.render import render_device

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"
TELEMETRY = """
telemetry:
  sflow: {collectors: [10.250.0.20, 10.250.0.21], port: 6344, sample_rate: 32768, polling_s: 20}
  gnmi: true
  queue_monitor: true
"""


def intent(tmp_path: Path, platform: str, telemetry: str = TELEMETRY) -> Path:
    path = tmp_path / f"{platform}.yaml"
    path.write_text(LAB.read_text().replace("platform: frr", f"platform: {platform}") + telemetry)
    return path


def files(tmp_path: Path, platform: str, telemetry: str = TELEMETRY) -> dict[str, str]:
    design = build_design(load_intent(intent(tmp_path, platform, telemetry)).intent)
    dev = next(d for d in design.devices() if d.name == "be-spine1")
    return {name.split(".", 1)[1]: text for name, text in render_device(design, dev).items()}


def test_eos_sflow_lanz_and_gnmi_in_the_management_vrf(tmp_path: Path) -> None:
    cfg = files(tmp_path, "eos")["cfg"]
    assert ("sflow sample 32768\nsflow polling-interval 20\nsflow vrf MGMT destination 10.250.0.20 6344\n"
            "sflow vrf MGMT destination 10.250.0.21 6344\nsflow vrf MGMT source-interface Management1\nsflow run\n") in cfg
    assert "\nqueue-monitor length\n" in cfg
    assert "management api gnmi\n   transport grpc MGMT\n      vrf MGMT\n" in cfg
    # sFlow sits where AVD writes it: after snmp-server, before spanning-tree
    assert cfg.index("sflow run") < cfg.index("spanning-tree mode")


def test_eos_default_port_is_not_written(tmp_path: Path) -> None:
    cfg = files(tmp_path, "eos", "telemetry:\n  sflow: {collectors: [10.250.0.20]}\n")["cfg"]
    assert "sflow vrf MGMT destination 10.250.0.20\n" in cfg and "sflow sample 16384\n" in cfg
    assert "queue-monitor" not in cfg and "management api gnmi" not in cfg


def test_no_telemetry_renders_nothing(tmp_path: Path) -> None:
    for platform in ("eos", "sonic"):
        text = "".join(files(tmp_path, platform, "").values())
        assert "sflow" not in text.lower() and "queue-monitor" not in text and "TELEMETRY" not in text


def test_sonic_tables(tmp_path: Path) -> None:
    db = json.loads(files(tmp_path, "sonic")["config_db.json"])
    assert db["SFLOW"] == {"global": {"admin_state": "up", "agent_id": "eth0", "polling_interval": "20"}}
    assert db["SFLOW_COLLECTOR"] == {
        "collector1": {"collector_ip": "10.250.0.20", "collector_port": "6344", "collector_vrf": "mgmt"},
        "collector2": {"collector_ip": "10.250.0.21", "collector_port": "6344", "collector_vrf": "mgmt"}}
    assert set(db["SFLOW_SESSION"]) == set(db["PORT"])
    assert {v["sample_rate"] for v in db["SFLOW_SESSION"].values()} == {"32768"}
    assert db["TELEMETRY"] == {"gnmi": {"client_auth": "true", "log_level": "2", "port": "50051"}}


@pytest.mark.parametrize(("platform", "expected"), [
    ("frr", {"sFlow", "gNMI streaming", "queue-depth monitoring"}),
    ("sonic", {"the gNMI server's VRF", "queue-depth monitoring"}),
    ("eos", {"gNMI paths for per-priority PFC and ECN-marked counters"}),
])
def test_what_a_platform_cannot_carry_is_said(tmp_path: Path, platform: str, expected: set[str]) -> None:
    out = tmp_path / "out"
    result = build(intent(tmp_path, platform), out, check=False)
    report = check(result.design, out)
    said = {f.message.split(": ", 1)[1].split(" (")[0] for f in report.findings if f.rule == "TEL001"}
    assert said == expected
    gnmi = json.loads((out / "telemetry" / "gnmi.json").read_text())["devices"]["be-spine1"]
    assert {n.split(" (")[0] for n in gnmi["not_applied"]} == expected
    assert bool(gnmi["subscriptions"]) == (platform != "frr")


def test_sonic_gnmi_paths_name_the_lossless_priorities(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(intent(tmp_path, "sonic"), out, check=False)
    spine = json.loads((out / "telemetry" / "gnmi.json").read_text())["devices"]["be-spine1"]
    pfc = next(s for s in spine["subscriptions"] if s["covers"] == "pfc")
    assert pfc["paths"] == ["COUNTERS/Ethernet*/SAI_PORT_STAT_PFC_3_RX_PKTS", "COUNTERS/Ethernet*/SAI_PORT_STAT_PFC_3_TX_PKTS"]
    assert spine["address"] == "172.31.255.2:50051"


def test_gnmi_file_removed_when_gnmi_is_off(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(intent(tmp_path, "eos"), out, check=False)
    assert (out / "telemetry" / "gnmi.json").is_file()
    build(intent(tmp_path, "eos", ""), out, check=False)
    assert not (out / "telemetry" / "gnmi.json").exists()


def test_three_collectors_are_refused(tmp_path: Path) -> None:
    from aifab.errors import AifabError

    with pytest.raises(AifabError, match=r"telemetry\.sflow\.collectors"):
        load_intent(intent(tmp_path, "eos", "telemetry:\n  sflow: {collectors: [10.0.0.1, 10.0.0.2, 10.0.0.3]}\n"))


def test_adding_telemetry_is_a_hitless_change(tmp_path: Path) -> None:
    import difflib

    from aifab.plan.impact import impact_of, line_kinds

    for platform, suffix in (("eos", "cfg"), ("sonic", "config_db.json")):
        before = files(tmp_path, platform, "")[suffix].splitlines()
        after = files(tmp_path, platform)[suffix].splitlines()
        signed = [(d[0], d[1:]) for d in difflib.unified_diff(before, after, lineterm="", n=0)
                  if d[:1] in "+-" and not d.startswith(("+++", "---"))]
        kinds = set(line_kinds(signed))
        assert "telemetry" in kinds and kinds <= {"telemetry", "description"}, (platform, kinds)  # EOS's "!" lines
        assert impact_of("telemetry", platform) == ("hitless", True)
