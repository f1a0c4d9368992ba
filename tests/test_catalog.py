"""The switch catalog: entries cite their datasheets, the intent's model is resolved against it (an
unknown model or an incomplete generic switch is a located error), and rendering follows the model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aifab.catalog import ASICS, GENERIC, SwitchModel, eos_mmu, known, lookup, register, unregister
from aifab.design import build_design
from aifab.design.model import Design, Device
from aifab.errors import DesignError
from aifab.intent import load_intent
from aifab.render import render_device
from tests.helpers import make_intent
from tests.test_sources import sections

ROOT = Path(__file__).parents[1]
REQUIRED = {"7060X5-64PE", "7060DX5-64S", "7050DX4-32S", "7816R3", "SN4700", "SN5600", "DS5000"}


def test_catalog_holds_the_required_models_each_citing_its_datasheet() -> None:
    anchors = sections()
    assert set(known()) >= REQUIRED
    for name in known():
        m = lookup(name)
        assert m is not None and m.name == name
        assert m.datasheet in anchors, f"{name}: docs/sources.md#{m.datasheet} missing"
        assert ASICS[m.asic].source in anchors
        assert m.ports > 0 and m.speeds and all(s in m.breakouts for s in m.speeds[:1])
        assert "default" in m.max_mtu or "eos" in m.max_mtu


def test_asic_families_and_dialects() -> None:
    assert {lookup(n).asic for n in ("7060X5-64PE", "7060DX5-64S")} == {"tomahawk-4"}  # type: ignore[union-attr]
    assert lookup("7050DX4-32S").asic == "trident-4"  # type: ignore[union-attr]
    assert (lookup("SN4700").asic, lookup("SN5600").asic, lookup("DS5000").asic) == (  # type: ignore[union-attr]
        "spectrum-3", "spectrum-4", "tomahawk-5")
    assert [a for a in ASICS if eos_mmu(a)] == ["trident-4"]


def test_port_names_per_model_and_platform() -> None:
    x5, chassis = lookup("7060X5-64PE"), lookup("7816R3")
    assert x5 is not None and chassis is not None
    assert (x5.port_name("eos", 1, 0), x5.port_name("eos", 64, 504)) == ("Ethernet1/1", "Ethernet64/1")
    assert x5.port_name("sonic", 1, 0) is None  # SONiC's own lane naming applies
    assert [chassis.port_name("eos", i, 0) for i in (1, 36, 37, 576)] == [
        "Ethernet3/1/1", "Ethernet3/36/1", "Ethernet4/1/1", "Ethernet18/36/1"]


def test_mtu_per_model_and_platform() -> None:
    x5, sn = lookup("7060X5-64PE"), lookup("SN4700")
    assert x5 is not None and sn is not None
    assert (x5.mtu_on("eos"), x5.mtu_on("sonic"), sn.mtu_on("sonic")) == (9214, 9216, 9216)


BIG_FRONTEND = {"switches": {"leaf": {"ports": 64, "speed": "100G"}, "spine": {"ports": 64, "speed": "100G"}}}


def _problem_keys(intent_kwargs: dict[str, Any]) -> list[str]:
    with pytest.raises(DesignError) as err:
        build_design(make_intent(intent_kwargs, BIG_FRONTEND))
    return [p.key for p in err.value.problems]


def test_unknown_model_is_a_located_error_listing_the_known(tmp_path: Path) -> None:
    text = (ROOT / "intent" / "lab.yaml").read_text()
    bad = text.replace("leaf:  {model: generic, max_mtu: 9216, ports: 4,", "leaf:  {model: 7060X9-1PE, ports: 4,", 1)
    assert bad != text
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(path), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    line = next(i for i, t in enumerate(bad.splitlines(), start=1) if "7060X9-1PE" in t)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{path}:{line}: backend.switches.leaf.model: unknown switch model" in res.stderr
    assert all(name in res.stderr for name in known()) and "generic" in res.stderr
    assert not (tmp_path / "out").exists()


def test_generic_written_out_needs_every_field() -> None:
    keys = _problem_keys({"switches": {"leaf": {"model": GENERIC, "ports": 4}, "spine": {"ports": 4}}})
    assert keys == ["backend.switches.leaf.speed", "backend.switches.leaf.max_mtu"]
    # every field given: builds; an unknown ASIC is located at the asic key
    full = {"model": GENERIC, "ports": 4, "speed": "400G", "max_mtu": 9000}
    assert build_design(make_intent({"switches": {"leaf": full, "spine": {"ports": 4}}})).backend.mtu == 9000
    keys = _problem_keys({"switches": {"leaf": {**full, "asic": "tomahawk-9"}, "spine": {"ports": 4}}})
    assert keys == ["backend.switches.leaf.asic"]


def test_catalog_fields_are_not_overridden() -> None:
    keys = _problem_keys({"servers": 64, "servers_per_su": 32,
                          "switches": {"leaf": {"model": "7060X5-64PE", "ports": 32, "max_mtu": 9000},
                                       "spine": {"model": "7060X5-64PE", "speed": "100G"}}})
    assert sorted(keys) == ["backend.switches.leaf.max_mtu", "backend.switches.leaf.ports", "backend.switches.spine.speed"]


def test_tomahawk5_and_jericho2_plan_their_cited_buffers() -> None:
    """DS5000 (Tomahawk 5) under SONiC: its own SONiC buffer plan, 83,886,080 B with a 33,554,432 B
    headroom pool, headroom per 802.1Qbb. 7816R3: 48 Jericho2 of 16 MB on-chip each (docs/sources.md#catalog-asics)."""
    intent = make_intent({"servers": 128, "servers_per_su": 64, "gpus_per_server": 8,
                          "switches": {"leaf": {"model": "DS5000", "platform": "sonic"},
                                       "spine": {"model": "DS5000", "platform": "sonic"}}},
                         {"switches": {"leaf": {"ports": 64, "speed": "400G"}, "spine": {"model": "7816R3", "platform": "eos"}},
                          "qos": {"lossless": True}})
    design = build_design(intent)
    leaf = next(d for d in design.backend.devices if d.role == "leaf")
    assert leaf.buffers is not None and (leaf.buffers.total_bytes, leaf.buffers.headroom_pool_bytes) == (83_886_080, 33_554_432)
    assert {p.buffer.model for p in leaf.ports if p.buffer is not None} == {"ieee"}
    assert leaf.buffers.headroom_bytes <= leaf.buffers.headroom_pool_bytes
    chassis = next(d for d in design.frontend.devices if d.role == "spine")
    assert chassis.buffers is not None and chassis.buffers.buffer_model == "jericho-2 x48"
    assert chassis.buffers.total_bytes == 48 * 16_000_000
    db = json.loads(render_device(design, leaf)[f"{leaf.name}.config_db.json"])
    assert db["BUFFER_POOL"]["egress_lossless_pool"]["size"] == "83886080"


def test_cluster_renders_what_its_models_say() -> None:
    """intent/cluster.yaml: 7060X5-64PE backend (Tomahawk 4), 7050DX4-32S frontend (Trident 4, lossy), EOS."""
    design = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    assert (design.backend.mtu, design.frontend.mtu) == (9214, 9214)  # 9216 asked, EOS takes 9214
    for dev in design.devices():
        text = render_device(design, dev)[f"{dev.name}.cfg"]
        names = re.findall(r"^interface (Ethernet\S+)$", text, re.M)
        # whole ports are /1; the frontend's 200G NICs ride 2x200G children /1 and /5 (docs/catalog.md#breakouts)
        assert names and all(re.fullmatch(r"Ethernet\d+/[15]", n) for n in names), dev.name
        assert dev.fabric == "frontend" or not any(n.endswith("/5") for n in names), dev.name
        assert set(re.findall(r"^   mtu (\d+)$", text, re.M)) == {"9214"}
        assert "platform trident mmu" not in text  # TH4 lossless: none documented; TD4 lossy: nothing to reserve
        assert dev.max_mtu == 9214


def test_registered_model_is_used_and_removed() -> None:
    m = register(SwitchModel("LAB-8", "lab", "tomahawk-3", 8, (100,), "QSFP28", {"default": 9100}, "catalog-asics",
                             names={"eos": "Ethernet{index}/1"}))
    try:
        with pytest.raises(ValueError, match="already"):
            register(m)
        design = build_design(make_intent(frontend={"switches": {"leaf": {"model": "LAB-8"}, "spine": {"ports": 8, "speed": "100G"}}}))
        leaf = next(d for d in design.frontend.devices if d.role == "leaf")
        assert leaf.ports[0].name == "Ethernet1/1" and design.frontend.mtu == 9100 and leaf.asic == "tomahawk-3"
    finally:
        unregister("LAB-8")
    assert lookup("LAB-8") is None


def _sonic_db(design: Design, dev: Device) -> dict[str, Any]:
    return json.loads(render_device(design, dev)[f"{dev.name}.config_db.json"])


def test_sonic_metadata_fec_and_port_profile_lists_follow_the_model() -> None:
    """SN4700 leaves on SONiC: hwsku/platform from the catalog, no mac (the device's own is kept), RS FEC at
    400G, and every port's ingress/egress profile lists naming the pools' profiles (lossless backend)."""
    sn = {"model": "SN4700", "platform": "sonic"}
    design = build_design(make_intent({"servers": 32, "servers_per_su": 16, "gpus_per_server": 2,
                                       "switches": {"leaf": sn, "spine": sn}}, BIG_FRONTEND))
    for dev in design.backend.devices:
        db = _sonic_db(design, dev)
        meta = db["DEVICE_METADATA"]["localhost"]
        assert (meta["hwsku"], meta["platform"]) == ("ACS-MSN4700", "x86_64-mlnx_msn4700-r0") and "mac" not in meta
        assert {p["fec"] for p in db["PORT"].values()} == {"rs"}
        assert set(db["BUFFER_PORT_INGRESS_PROFILE_LIST"]) == set(db["PORT"]) == set(db["BUFFER_PORT_EGRESS_PROFILE_LIST"])
        assert {e["profile_list"] for e in db["BUFFER_PORT_INGRESS_PROFILE_LIST"].values()} == {
            "ingress_lossless_profile,ingress_lossy_profile"}
        assert {e["profile_list"] for e in db["BUFFER_PORT_EGRESS_PROFILE_LIST"].values()} == {
            "egress_lossless_profile,egress_lossy_profile"}
        for names in (e["profile_list"].split(",") for e in db["BUFFER_PORT_INGRESS_PROFILE_LIST"].values()):
            assert set(names) <= set(db["BUFFER_PROFILE"])
        assert dev.buffers is not None and dev.buffers.buffer_model == "spectrum-3"


def test_sonic_generic_switch_keeps_the_device_metadata_and_lossy_lists() -> None:
    design = build_design(make_intent().on_platform("sonic"))
    leaf = next(d for d in design.frontend.devices if d.role == "leaf")
    db = _sonic_db(design, leaf)
    assert "hwsku" not in db["DEVICE_METADATA"]["localhost"] and "platform" not in db["DEVICE_METADATA"]["localhost"]
    assert {e["profile_list"] for e in db["BUFFER_PORT_INGRESS_PROFILE_LIST"].values()} == {"ingress_lossy_profile"}
    assert {e["profile_list"] for e in db["BUFFER_PORT_EGRESS_PROFILE_LIST"].values()} == {"egress_lossy_profile"}


def test_sonic_800g_headroom_needs_parameters_for_800g() -> None:
    """No Spectrum-3 parameters for 800G ports: a generic 800G SONiC switch on the default Spectrum-3 and
    an SN5600 (Spectrum-4, no public cell parameters) are both refused, each at its key."""
    generic = {"model": GENERIC, "ports": 4, "speed": "800G", "max_mtu": 9216, "platform": "sonic"}
    keys = _problem_keys({"nic_speed": "800G", "switches": {"leaf": generic, "spine": generic}})
    assert keys == ["backend.switches.leaf.speed", "backend.switches.spine.speed"]
    keys = _problem_keys({"servers": 64, "servers_per_su": 32, "nic_speed": "800G",
                          "switches": {"leaf": {"model": "SN5600", "platform": "sonic"}, "spine": {"model": "SN5600"}}})
    assert keys == ["backend.switches.leaf.model"]


USER_MODEL = """\
LAB-X5-4:
  vendor: Lab
  asic: tomahawk-4
  ports: 4
  speeds: [400G]
  form_factor: OSFP
  max_mtu: {eos: 9214, default: 9216}
  datasheet: https://example.org/lab-x5-4.pdf
  names: {eos: "Ethernet{index}/1"}
  breakouts: {400: [2x200G, 4x100G]}
"""


def test_a_catalog_folder_beside_the_intent_adds_models(tmp_path: Path) -> None:
    """``catalog/*.yaml`` beside the intent registers the user's models; the intent then names them."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "lab.yaml").write_text(USER_MODEL)
    text = (ROOT / "intent" / "lab.yaml").read_text().replace(
        "{model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}", "{model: LAB-X5-4, platform: eos}")
    (tmp_path / "intent.yaml").write_text(text)
    try:
        design = build_design(load_intent(tmp_path / "intent.yaml").intent)
        leaf = next(d for d in design.backend.devices if d.role == "leaf")
        assert (leaf.model, leaf.asic, leaf.max_mtu, leaf.ports[0].name) == ("LAB-X5-4", "tomahawk-4", 9214, "Ethernet1/1")
        load_intent(tmp_path / "intent.yaml")  # loading again: the same entry, no error
    finally:
        if lookup("LAB-X5-4") is not None:
            unregister("LAB-X5-4")


def test_a_bad_catalog_file_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "bad.yaml").write_text(USER_MODEL.replace("ports: 4", "ports: many"))
    (tmp_path / "intent.yaml").write_text((ROOT / "intent" / "lab.yaml").read_text())
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(tmp_path / "intent.yaml"), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{tmp_path / 'catalog' / 'bad.yaml'}:4: LAB-X5-4.ports:" in res.stderr
    assert lookup("LAB-X5-4") is None
    (tmp_path / "catalog" / "bad.yaml").write_text(USER_MODEL.replace("tomahawk-4", "tomahawk-9"))
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(tmp_path / "intent.yaml"), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "Traceback" not in res.stderr and "unknown ASIC 'tomahawk-9'" in res.stderr
    assert f"{tmp_path / 'catalog' / 'bad.yaml'}:1: LAB-X5-4:" in res.stderr
