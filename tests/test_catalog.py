"""The switch catalog: entries cite their datasheets, the intent's model is resolved against it (an
unknown model or an incomplete generic switch is a located error), and rendering follows the model."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from aifab.catalog import ASICS, GENERIC, SwitchModel, eos_mmu, known, lookup, register, unregister
from aifab.design import build_design
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


def _problem_keys(intent_kwargs: dict) -> list[str]:
    with pytest.raises(DesignError) as err:
        build_design(make_intent(intent_kwargs))
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


def test_a_model_without_a_public_buffer_figure_is_refused() -> None:
    keys = _problem_keys({"servers": 64, "servers_per_su": 32,
                          "switches": {"leaf": {"model": "DS5000", "platform": "sonic"}, "spine": {"model": "DS5000"}}})
    assert keys == ["backend.switches.leaf.model", "backend.switches.spine.model"]


def test_cluster_renders_what_its_models_say() -> None:
    """intent/cluster.yaml: 7060X5-64PE backend (Tomahawk 4), 7050DX4-32S frontend (Trident 4, lossy), EOS."""
    design = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    assert (design.backend.mtu, design.frontend.mtu) == (9214, 9214)  # 9216 asked, EOS takes 9214
    for dev in design.devices():
        text = render_device(design, dev)[f"{dev.name}.cfg"]
        names = re.findall(r"^interface (Ethernet\S+)$", text, re.M)
        assert names and all(re.fullmatch(r"Ethernet\d+/1", n) for n in names), dev.name
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
