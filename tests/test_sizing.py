"""Fabric sizing against the NVIDIA DGX SuperPOD published switch counts (docs/sources.md#superpod)."""

from __future__ import annotations

import pytest

from aifab.design import build_design
from aifab.design.sizing import backend_shape, smallest_divisor_at_least, spread, uplinks_for
from tests.helpers import make_intent

SUPERPOD = {"gpus_per_server": 8, "servers_per_su": 32, "nic_speed": "400G",
            "switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}, "core": {"ports": 64}},
            "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.64.0.0/12", "servers": "10.128.0.0/12"}}
BIG_FRONTEND = {"switches": {"leaf": {"ports": 64}, "spine": {"ports": 64}}}


@pytest.mark.parametrize(("sus", "leaves", "spines", "cores"), [(2, 16, 8, 0), (4, 32, 16, 0), (16, 128, 128, 64)])
def test_superpod_table(sus: int, leaves: int, spines: int, cores: int) -> None:
    """Facts section 2: 2 SUs 16/8, 4 SUs 32/16, 16 SUs 128/128/64 (64-port switches)."""
    intent = make_intent(backend={**SUPERPOD, "servers": 32 * sus}, frontend=BIG_FRONTEND)
    shape, problems = backend_shape(intent.backend)
    assert not problems and shape is not None
    assert (shape.leaves, shape.spines, shape.cores) == (leaves, spines, cores)
    assert shape.tiers == (3 if cores else 2)
    design = build_design(intent)
    roles = [d.role for d in design.backend.devices]
    assert (roles.count("leaf"), roles.count("spine"), roles.count("core")) == (leaves, spines, cores)
    assert sum(1 for h in design.hosts for n in h.nics if n.fabric == "backend") == 256 * sus


def test_three_tier_is_non_blocking_and_every_port_fits() -> None:
    design = build_design(make_intent(backend={**SUPERPOD, "servers": 512}, frontend=BIG_FRONTEND))
    for dev in design.backend.devices:
        assert len(dev.ports) <= 64
        assert len({p.index for p in dev.ports}) == len(dev.ports)
        if dev.role in ("leaf", "spine"):
            down = sum(p.speed for p in dev.ports if p.role in ("server", "downlink"))
            up = sum(p.speed for p in dev.ports if p.role == "uplink")
            assert down == up, dev.name


def test_helpers() -> None:
    assert smallest_divisor_at_least(32, 5) == 8
    assert smallest_divisor_at_least(7, 2) == 7
    assert uplinks_for(32 * 400, 1.0, 400) == 32
    assert uplinks_for(24 * 100, 3.0, 100) == 8
    assert spread(2, 4, 4) == 2  # two spines at least, for redundancy
    assert spread(32, 16, 64) == 8


def test_oversubscribed_backend_uses_fewer_uplinks() -> None:
    intent = make_intent(backend={**SUPERPOD, "servers": 64, "oversubscription": "1:2"}, frontend=BIG_FRONTEND)
    shape, _ = backend_shape(intent.backend)
    assert shape is not None and shape.leaf_uplinks == 16
    design = build_design(intent)
    assert design.backend.tiers[0].ratio == pytest.approx(2.0)
