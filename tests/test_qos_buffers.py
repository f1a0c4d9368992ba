"""Per-port headroom and per-device buffer plans in the Design (docs/sources.md#headroom, #buffer-sizes)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from aifab.design import Design, build_design, design_from_json, design_json
from aifab.design.model import Device
from aifab.intent import load_intent
from aifab.platforms.sonic import SONIC_LANES
from aifab.qos.buffers import profile_name
from aifab.qos.defaults import BUFFER_MODELS, EGRESS_LOSSY_RESERVED, buffer_model
from aifab.qos.headroom import headroom_cell, headroom_ieee
from tests.helpers import make_intent

ROOT = Path(__file__).parents[1]


@cache
def example(name: str) -> Design:
    return build_design(load_intent(ROOT / "intent" / f"{name}.yaml").intent)


def sonic_design(**frontend_qos: object) -> Design:
    sonic = {"leaf": {"ports": 4, "platform": "sonic"}, "spine": {"ports": 4, "platform": "sonic"}}
    fe = {"switches": {"leaf": {"ports": 8, "platform": "sonic"}, "spine": {"ports": 8, "platform": "sonic"}},
          "qos": frontend_qos}
    return build_design(make_intent({"switches": sonic, "cables": {"server_leaf": 7, "leaf_spine": 120}}, fe))


@pytest.mark.parametrize("name", ["lab", "cluster"])
def test_every_backend_port_has_the_headroom_of_its_cable(name: str) -> None:
    d = example(name)
    intent = load_intent(ROOT / "intent" / f"{name}.yaml").intent
    lengths = intent.backend.cables.model_dump()
    for dev in d.backend.devices:
        assert dev.ports
        for port in dev.ports:
            b = port.buffer
            assert b is not None, f"{dev.name} {port.name}"
            assert port.length_m == lengths[port.cable]
            expect = headroom_ieee(port.speed, port.length_m, port.mtu)  # both examples are eos/frr: IEEE
            assert (b.size, b.xoff, b.xon) == (expect, expect, 2 * port.mtu)
            assert (b.speed, b.cable_m, b.mtu, b.pgs, b.dynamic_th) == (port.speed, port.length_m, port.mtu, (3,), 0)
            assert b.profile == profile_name(port.speed, port.length_m, port.mtu)


def test_cluster_headroom_numbers() -> None:
    """cluster.yaml: 400G, MTU 9216 asked, 9214 on EOS (docs/sources.md#eos-mtu); 5 m server and 30 m leaf-spine cables (docs/sources.md#headroom)."""
    leaf = next(x for x in example("cluster").backend.devices if x.role == "leaf")
    by_cable = {p.cable: p.buffer for p in leaf.ports}
    assert by_cable["server_leaf"] is not None and by_cable["server_leaf"].size == 78_932
    assert by_cable["leaf_spine"] is not None and by_cable["leaf_spine"].size == 78_932 + 2 * 25 * 5 * 400 // 8
    assert by_cable["server_leaf"].profile == "pg_lossless_400000_5m_mtu9214_profile"
    assert by_cable["leaf_spine"].profile == "pg_lossless_400000_30m_mtu9214_profile"


@pytest.mark.parametrize("name", ["lab", "cluster"])
def test_frontend_has_no_headroom_by_default(name: str) -> None:
    d = example(name)
    for dev in d.frontend.devices:
        assert dev.qos is not None and not dev.qos.lossless
        assert all(p.buffer is None for p in dev.ports)
        assert dev.buffers is not None and dev.buffers.headroom_bytes == 0 and dev.buffers.lossless_ports == 0
        assert {p.name for p in dev.buffers.pools} == {"ingress_lossy_pool", "egress_lossy_pool"}


def _check_pools(dev: Device) -> None:
    b = dev.buffers
    assert b is not None
    lossless = [p.buffer for p in dev.ports if p.buffer is not None]
    assert b.lossless_ports == len(lossless)
    assert b.headroom_bytes == sum(x.size * len(x.pgs) for x in lossless)
    assert b.headroom_bytes <= b.headroom_pool_bytes, dev.name  # docs/sources.md#headroom: headroom fits its pool
    assert b.headroom_bytes + len(dev.ports) * EGRESS_LOSSY_RESERVED + b.shared_bytes == b.total_bytes
    pools = {p.name: p.size for p in b.pools}
    assert pools["ingress_lossy_pool"] == pools["egress_lossy_pool"] == b.shared_bytes
    if lossless:
        assert pools["ingress_lossless_pool"] == b.shared_bytes and pools["egress_lossless_pool"] == b.total_bytes
        assert b.lossless_queue_bytes == b.shared_bytes // 2  # dynamic_th 0: alpha 1 -> half the free space
        assert dev.qos is not None and dev.qos.ecn is not None
        assert dev.qos.ecn.max_bytes < b.lossless_queue_bytes  # ECN marks before PFC fires
    model = buffer_model(dev.platform, dev.asic)
    assert (b.buffer_model, b.total_bytes) == (model.name, model.total_bytes)
    profiles = {p.name: p for p in b.profiles}
    assert {profiles[n].dynamic_th for n in ("ingress_lossy_profile", "egress_lossy_profile", "q_lossy_profile")} == {3}
    assert b.lossy_dynamic_th == 3 and b.lossless_dynamic_th == 0


@pytest.mark.parametrize("name", ["lab", "cluster"])
def test_pool_plans_add_up(name: str) -> None:
    for dev in example(name).devices():
        _check_pools(dev)


def test_cluster_leaf_pool_numbers() -> None:
    """A 7060X5 leaf: 32 server ports at 5 m and 32 uplinks at 30 m, IEEE headroom, Tomahawk-4 buffer."""
    leaf = next(x for x in example("cluster").backend.devices if x.role == "leaf")
    b = leaf.buffers
    assert b is not None
    assert b.headroom_bytes == 32 * 78_932 + 32 * 91_432
    assert b.total_bytes == BUFFER_MODELS["tomahawk-4"].total_bytes
    assert b.shared_bytes == b.total_bytes - b.headroom_bytes - 64 * 4096
    assert b.pg_headroom_bytes == 91_432


def test_sonic_ports_use_the_cell_model_with_their_lanes() -> None:
    d = sonic_design()
    for dev in d.backend.devices:
        assert dev.qos is not None and dev.qos.headroom_model == "cell" and dev.buffers is not None
        assert dev.buffers.buffer_model == "spectrum-3"
        for port in dev.ports:
            h = headroom_cell(port.speed, port.length_m, port.mtu, lanes=SONIC_LANES[port.speed])
            assert port.buffer is not None and (port.buffer.xoff, port.buffer.xon, port.buffer.size) == (h.xoff, h.xon, h.size)
            assert port.buffer.model == "cell"
        _check_pools(dev)


def test_frontend_lossless_gets_headroom_on_every_port() -> None:
    d = sonic_design(lossless=True)
    for dev in d.frontend.devices:
        assert dev.qos is not None and dev.qos.lossless_priorities == (2,)
        assert all(p.buffer is not None and p.buffer.pgs == (2,) for p in dev.ports)
        _check_pools(dev)


def test_equal_ports_share_one_buffer_object_and_devices_share_plans() -> None:
    d = example("cluster")
    leaves = [x for x in d.backend.devices if x.role == "leaf"]
    server_buffers = {id(p.buffer) for x in leaves for p in x.ports if p.cable == "server_leaf"}
    assert len(server_buffers) == 1
    assert len({id(x.buffers) for x in leaves}) == 1
    assert len({id(x.qos) for x in d.backend.devices}) == 1  # one platform, one policy


def test_profile_names() -> None:
    assert profile_name(400, 5.0, 9216) == "pg_lossless_400000_5m_profile"
    assert profile_name(100, 2.5, 9216) == "pg_lossless_100000_2.5m_profile"
    assert profile_name(800, 300, 4096) == "pg_lossless_800000_300m_mtu4096_profile"


@pytest.mark.parametrize("design", [lambda: example("lab"), lambda: example("cluster"), sonic_design],
                         ids=["lab", "cluster", "sonic"])
def test_design_json_round_trip_keeps_qos_and_buffers(design) -> None:
    d = design()
    back = design_from_json(design_json(d))
    assert back == d
    assert design_json(back) == design_json(d)


def test_three_tier_core_ports_are_lossless_with_their_cable() -> None:
    d = build_design(make_intent({"servers": 6, "cables": {"server_leaf": 3, "leaf_spine": 40, "spine_core": 250}}))
    assert [t.role for t in d.backend.tiers] == ["leaf", "spine", "core"]
    seen = set()
    for dev in d.backend.devices:
        for port in dev.ports:
            assert port.buffer is not None and port.buffer.size == headroom_ieee(port.speed, port.length_m, port.mtu)
            seen.add((port.cable, port.buffer.profile))
        _check_pools(dev)
    # a generic switch on EOS takes EOS's maximum MTU, 9214 (docs/sources.md#eos-mtu)
    assert seen == {("server_leaf", "pg_lossless_400000_3m_mtu9214_profile"),
                    ("leaf_spine", "pg_lossless_400000_40m_mtu9214_profile"),
                    ("spine_core", "pg_lossless_400000_250m_mtu9214_profile")}
