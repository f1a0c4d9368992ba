"""aifab's EOS configs are what Arista AVD's ``eos_cli_config_gen`` (pyavd) renders for the same
settings: Arista's own EOS config generator as the judge of aifab's EOS syntax and section order, where
no EOS switch runs (no cEOS here). Each device's render view is given to AVD as its structured config
(``tests/avd_structured.py``), validated against AVD's schema, and the two texts compared whole.

AVD's data model has no key for three things aifab writes, left out of the comparison and cited in
docs/sources.md#load-balancing: ``ip load-sharing trident fields ip ...`` (Trident and Tomahawk
hashing), the sand profile's ``fields ip outer`` and ``fields l4 outer`` lines (Jericho hashing; AVD's
profile has the UDP payload fields only), and EOS's closing ``end``. ``nox -s tests`` installs pyavd
(without its dependencies: anta would upgrade the cryptography NAPALM's SSH runs on)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import yaml

from aifab.design.model import Design
from aifab.pipeline import design_for
from aifab.render.configs import drain_snippet, render_device, undrain_snippet
from aifab.render.view import device_view
from tests.avd_structured import structured_config

pyavd = pytest.importorskip("pyavd", reason="needs pyavd: pip install --no-deps pyavd==6.4.0 pyavd-utils==0.0.7 "
                                            "deepmerge (nox -s tests installs them)")

ROOT = Path(__file__).resolve().parents[1]
NOT_IN_AVD = re.compile(r"^!\nip load-sharing trident fields ip [^\n]*\n|^      fields (?:ip|l4) outer [^\n]*\n|^!\nend\n\Z",
                        re.MULTILINE)


def _every_feature(tmp_path: Path) -> Path:
    """intent/cluster.yaml with the EOS features it leaves off: Trident-4 leaves (their MMU profile),
    Jericho2 spines hashing on the RoCE QP with dynamic load balancing, sFlow, gNMI, LANZ, RADIUS
    and an SNMP community."""
    data = yaml.safe_load((ROOT / "intent" / "cluster.yaml").read_text())
    be = data["backend"]
    be["servers_per_su"] = 16
    be["switches"]["leaf"] |= {"model": "7050DX4-32S", "ports": 32}
    be["switches"]["spine"] = {"model": "7816R3", "ports": 576, "speed": "400G", "platform": "eos"}
    be["load_balancing"] = {"roce_qp": True, "dynamic": True}
    data["telemetry"] = {"sflow": {"collectors": ["10.250.0.20", "10.250.0.21"]}, "gnmi": True, "queue_monitor": True}
    data["management"]["aaa"]["radius"] = ["10.250.0.30"]
    data["management"]["snmp"]["community"] = True
    path = tmp_path / "every-feature.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _compared(design: Design, name: str) -> tuple[str, str, list[str]]:
    """``name``'s config as aifab renders it and as AVD does (both without what AVD has no key for),
    and AVD's schema violations of the structured config."""
    device = next(d for d in design.devices() if d.name == name)
    config = structured_config(device_view(design, device))
    violations = [f"{'.'.join(v.path)}: {v.message}"
                  for v in pyavd.validate_structured_config(config).validation_result.violations]
    ours = render_device(design, device)[f"{name}.cfg"]
    return NOT_IN_AVD.sub("", ours), NOT_IN_AVD.sub("", pyavd.get_device_config(config)), violations


@pytest.mark.parametrize("intent", ["cluster", "every-feature"])
def test_eos_configs_are_what_arista_avd_renders_for_the_same_settings(tmp_path: Path, intent: str) -> None:
    path = ROOT / "intent" / "cluster.yaml" if intent == "cluster" else _every_feature(tmp_path)
    design = design_for(path)[1]
    names = {(d.fabric, d.role): d.name for d in reversed(design.devices())}  # the first of each
    assert len(names) == 4, names
    for name in names.values():
        ours, avd, violations = _compared(design, name)
        assert not violations, f"{name}: {violations}"
        assert ours == avd, f"{name}:\n" + "".join(difflib.unified_diff(ours.splitlines(True), avd.splitlines(True),
                                                                       "aifab", "avd"))


def test_the_every_feature_intent_renders_what_the_comparison_claims_to_cover(tmp_path: Path) -> None:
    """The comparison covers the sections the every-feature intent turns on (not a vacuous pass)."""
    design = design_for(_every_feature(tmp_path))[1]
    leaf, spine = (next(d for d in design.backend.devices if d.role == r) for r in ("leaf", "spine"))
    leaf_text, spine_text = (render_device(design, d)[f"{d.name}.cfg"] for d in (leaf, spine))
    for line in ("platform trident mmu queue profile AIFAB", "ingress headroom ", "sflow run", "queue-monitor length",
                 "management api gnmi", "radius-server host 10.250.0.30", "snmp-server community ",
                 "ip hardware fib load-balance distribution dynamic", "ip radius vrf MGMT source-interface Management1"):
        assert line in leaf_text, line
    assert "load-balance sand profile default" in spine_text and "payload bytes" in spine_text


def test_the_eos_drain_and_undrain_are_what_avd_renders_for_the_maintenance_unit() -> None:
    """The deploy's drain (quiesce the System unit: every BGP peer gets the GSHUT profile) and undrain."""
    design = design_for(ROOT / "intent" / "cluster.yaml")[1]
    leaf = design.backend.devices[0]
    for snippet, quiesce in ((drain_snippet, True), (undrain_snippet, False)):
        avd = pyavd.get_device_config({"maintenance": {"units": [{"name": "System", "quiesce": quiesce}]}})
        assert "!\n" + snippet(design, leaf) == avd, (snippet(design, leaf), avd)
