"""RoCEv2 QoS and buffers reach every backend port on every platform, with the Design's numbers.

The backend is lossless (docs/sources.md#qos-common: DSCP 26 -> TC 3 no-drop, CNP 48 strict, ECN on queue 3,
PFC watchdog per docs/sources.md#pfc-watchdog); the frontend is lossy by default. Each test reads what was
rendered and compares it with the Design, so a template that drops a port or a number fails.
"""

from __future__ import annotations

import json
import re

import pytest

from aifab.design import build_design
from aifab.design.model import Device
from aifab.intent import load_intent
from aifab.render import device_view, render_device
from tests.test_render_helpers import LAB, ROOT, lab_design, lab_files, with_platform


def _devices(platform: str, fabric: str) -> list[Device]:
    return [d for d in lab_design(platform).devices() if d.fabric == fabric]


def _eos_blocks(text: str) -> dict[str, str]:
    """``interface X`` blocks of an EOS config, by interface name."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^interface (\S+)\n((?:   .*\n)*)", text, re.M)}


def test_eos_backend_ports_are_lossless_with_ecn() -> None:
    """The port QoS is one ``qos profile`` per switch, applied by every port (``service-profile``)."""
    files = lab_files("eos")
    design = lab_design("eos")
    for dev in _devices("eos", "backend"):
        eos = device_view(design, dev).native
        assert dev.qos is not None and dev.buffers is not None and eos is not None
        text = files[f"{dev.name}.cfg"]
        blocks = _eos_blocks(text)
        profiles = re.findall(r"^qos profile (\S+)\n((?:   .*\n)*)", text, re.M)
        assert [name for name, _ in profiles] == [eos.qos_profile]
        profile = profiles[0][1]
        ecn = (f"      random-detect ecn minimum-threshold {eos.ecn_min_kbytes} kbytes maximum-threshold "
               f"{eos.ecn_max_kbytes} kbytes max-mark-probability {dev.qos.ecn.probability}\n")
        assert profile.startswith("   qos trust dscp\n   priority-flow-control on\n")
        assert f"   priority-flow-control priority {dev.qos.roce_tc} no-drop\n" in profile
        tx = profile.split(f"   tx-queue {dev.qos.roce_tc}\n")[1].split("   !")[0]
        assert ecn in tx and f"      bandwidth percent {dev.qos.dwrr_weights[dev.qos.roce_tc]}\n" in tx
        assert f"   tx-queue {dev.qos.cnp_tc}\n      priority strict\n" in profile
        for port in dev.ports:
            assert blocks[port.name].endswith(f"   service-profile {eos.qos_profile}\n"), f"{dev.name} {port.name}"
            assert "tx-queue" not in blocks[port.name] and "priority-flow-control" not in blocks[port.name]
        assert f"qos map dscp 26 to traffic-class {dev.qos.roce_tc}\n" in text
        assert f"qos map dscp 48 to traffic-class {dev.qos.cnp_tc}\n" in text
        assert f"priority-flow-control pause watchdog default timeout {eos.watchdog_timeout_s}\n" in text
        # the lab's generic EOS switch has EOS's default ASIC, a Tomahawk 4: no Trident MMU lines
        assert not eos.mmu and "platform trident mmu" not in text


def test_eos_units_are_made_by_the_eos_view() -> None:
    """The Design holds bytes and milliseconds; the EOS view writes kbytes and seconds."""
    design = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    leaf = next(d for d in design.backend.devices if d.role == "leaf")
    eos = device_view(design, leaf).native
    assert eos is not None and leaf.buffers is not None
    assert (eos.ecn_min_kbytes, eos.ecn_max_kbytes) == (500, 1500)
    # cluster.yaml sets only detection_ms: 200 -> restoration 400 (docs/sources.md#pfc-watchdog)
    assert (eos.watchdog_timeout_s, eos.watchdog_recovery_s, eos.watchdog_polling_s) == ("0.2", "0.4", "0.2")
    assert eos.headroom == leaf.buffers.pg_headroom_bytes == 91_432  # MTU 9214 on EOS


def test_eos_frontend_is_lossy() -> None:
    for dev in _devices("eos", "frontend"):
        text = lab_files("eos")[f"{dev.name}.cfg"]
        assert "priority-flow-control" not in text and "random-detect" not in text and "headroom" not in text
        assert "qos trust dscp" in text


def test_sonic_backend_ports_have_maps_pfc_wred_watchdog_and_headroom() -> None:
    for dev in _devices("sonic", "backend"):
        db = json.loads(lab_files("sonic")[f"{dev.name}.config_db.json"])
        q = dev.qos
        assert q is not None and q.ecn is not None and q.watchdog is not None
        assert db["DSCP_TO_TC_MAP"]["AIFAB"]["26"] == str(q.roce_tc)
        assert db["DSCP_TO_TC_MAP"]["AIFAB"]["48"] == str(q.cnp_tc)
        wred = db["WRED_PROFILE"]["AIFAB_LOSSLESS"]
        assert (wred["green_min_threshold"], wred["green_max_threshold"], wred["ecn"]) == \
            (str(q.ecn.min_bytes), str(q.ecn.max_bytes), "ecn_all")
        assert db["SCHEDULER"][f"scheduler.{q.cnp_tc}"] == {"type": "STRICT"}
        assert set(db["PORT"]) == {p.name for p in dev.ports}
        for port in dev.ports:
            assert port.buffer is not None
            qmap = db["PORT_QOS_MAP"][port.name]
            assert qmap["pfc_enable"] == str(q.roce_tc) and qmap["dscp_to_tc_map"] == "AIFAB"
            assert db["QUEUE"][f"{port.name}|{q.roce_tc}"]["wred_profile"] == "AIFAB_LOSSLESS"
            assert db["PFC_WD"][port.name]["detection_time"] == str(q.watchdog.detection_ms)
            profile = db["BUFFER_PG"][f"{port.name}|{q.roce_tc}"]["profile"]
            assert db["BUFFER_PROFILE"][profile] == {
                "pool": "ingress_lossless_pool", "size": str(port.buffer.size), "xoff": str(port.buffer.xoff),
                "xon": str(port.buffer.xon), "dynamic_th": str(port.buffer.dynamic_th)}
            assert db["CABLE_LENGTH"]["AZURE"][port.name] == f"{port.length_m:g}m"
            assert db["PORT"][port.name]["speed"] == str(port.speed * 1000)
        assert dev.buffers is not None
        assert db["BUFFER_POOL"] == {p.name: {"mode": p.mode, "size": str(p.size), "type": p.type} for p in dev.buffers.pools}


def test_sonic_frontend_is_lossy() -> None:
    for dev in _devices("sonic", "frontend"):
        db = json.loads(lab_files("sonic")[f"{dev.name}.config_db.json"])
        assert "PFC_WD" not in db and "WRED_PROFILE" not in db
        assert all("pfc_enable" not in m for m in db["PORT_QOS_MAP"].values())
        assert all(pg.endswith("|0") for pg in db["BUFFER_PG"])


def test_frr_qos_script_covers_every_backend_port() -> None:
    for dev in _devices("frr", "backend"):
        q = dev.qos
        assert q is not None and q.ecn is not None
        script = lab_files("frr")[f"{dev.name}.qos.sh"]
        for port in dev.ports:
            assert port.buffer is not None
            lines = [ln for ln in script.splitlines() if f" dev {port.name} " in ln]
            assert f"dcb pfc set dev {port.name} prio-pfc all:off {q.roce_tc}:on" in lines
            assert any(ln.startswith(f"dcb app replace dev {port.name} ") and " 26:3 " in ln and " 48:6 " in ln
                       for ln in lines)
            assert any(ln.startswith(f"dcb buffer set dev {port.name} ") and
                       ln.endswith(f" buffer-size {q.roce_tc}:{port.buffer.size}") for ln in lines)
            red = [ln for ln in lines if " red " in ln]
            assert len(red) == 1 and f" min {q.ecn.min_bytes} max {q.ecn.max_bytes} " in red[0] and red[0].endswith(" ecn")


def test_frr_frontend_script_has_no_pfc() -> None:
    for dev in _devices("frr", "frontend"):
        script = lab_files("frr")[f"{dev.name}.qos.sh"]
        assert ":on" not in script and " red " not in script and "dcb buffer" not in script


@pytest.mark.parametrize("platform", ["eos", "sonic", "frr"])
def test_intent_ecn_override_reaches_the_config(platform: str) -> None:
    """An ECN threshold set in the intent flows through the Design into the rendered file."""
    intent = load_intent(LAB).intent
    intent = with_platform(intent, platform) if platform != "frr" else intent
    qos = intent.backend.qos.model_copy(update={"ecn": intent.backend.qos.ecn.model_copy(
        update={"min_kb": 321, "max_kb": 2345})})
    design = build_design(intent.model_copy(update={"backend": intent.backend.model_copy(update={"qos": qos})}))
    leaf = next(d for d in design.backend.devices if d.role == "leaf")
    text = "".join(render_device(design, leaf).values())
    expected = {"eos": "minimum-threshold 321 kbytes maximum-threshold 2345 kbytes",
                "sonic": '"green_min_threshold": "321000"',
                "frr": " min 321000 max 2345000 "}[platform]
    assert expected in text


def test_linux_ets_bands_follow_the_policy() -> None:
    """Strict TCs get the first bands; every priority maps to the band of its TC (best effort otherwise)."""
    from aifab.render.view import device_view

    dev = _devices("frr", "backend")[0]
    x = device_view(lab_design("frr"), dev).native
    assert [(b.tc, b.strict) for b in x.bands] == [(6, True), (0, False), (3, False)]
    assert x.priomap.split() == ["1", "1", "1", "2", "1", "1", "0", "1"]
    assert x.red_parent == "1:3" and x.quanta == "50000 50000"


def test_frr_red_bandwidth_fits_tc_32_bit_rate() -> None:
    """tc refuses a RED bandwidth above 2^32-1 bytes/s (iproute2 6.1: 'Illegal "bandwidth"'): 400G ports get the cap."""
    from aifab.render.linux import TC_RATE_MAX_MBIT

    design = lab_design()
    dev = next(d for d in design.devices() if d.name == "be-leaf-su1-r1")
    qos = render_device(design, dev)[f"{dev.name}.qos.sh"]
    rates = re.findall(r" bandwidth (\d+)mbit ", qos)
    assert rates and {int(r) for r in rates} == {TC_RATE_MAX_MBIT}
    assert TC_RATE_MAX_MBIT * 1_000_000 // 8 <= 2**32 - 1 < (TC_RATE_MAX_MBIT + 1) * 1_000_000 // 8


def test_eos_mmu_dialect_follows_the_asic() -> None:
    """``platform trident mmu`` on a lossless Trident 4 switch only: not on a Tomahawk 4 (7060X5) nor on
    a lossy fabric, even of Trident switches (docs/sources.md#catalog-asics)."""
    intent = load_intent(ROOT / "intent" / "cluster.yaml").intent
    trident = intent.backend.switches.leaf.model_copy(update={"model": "generic", "asic": "trident-4", "max_mtu": 9214})
    backend = intent.backend.model_copy(update={"switches": intent.backend.switches.model_copy(
        update={"leaf": trident, "spine": trident})})
    design = build_design(intent.model_copy(update={"backend": backend}))
    for dev in design.devices():
        text = render_device(design, dev)[f"{dev.name}.cfg"]
        lossless_trident = dev.fabric == "backend"  # the frontend's 7050DX4-32S is a Trident 4 too, but lossy
        assert dev.asic == "trident-4"
        assert ("platform trident mmu queue profile AIFAB apply\n" in text) is lossless_trident, dev.name
        if lossless_trident:
            assert dev.buffers is not None
            assert f"    ingress headroom {dev.buffers.pg_headroom_bytes}\n" in text
            assert f"platform trident mmu headroom-pool limit {dev.buffers.headroom_pool_bytes}\n" in text
    tomahawk = build_design(intent)
    leaf = next(d for d in tomahawk.backend.devices if d.role == "leaf")
    assert leaf.asic == "tomahawk-4" and leaf.qos is not None and leaf.qos.lossless
    assert "platform trident mmu" not in render_device(tomahawk, leaf)[f"{leaf.name}.cfg"]
