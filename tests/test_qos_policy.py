"""Resolved QoS policies: platform defaults (docs/sources.md#qos-common, #pfc-watchdog) and intent overrides."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aifab.design.model import QosPolicy
from aifab.errors import DesignError
from aifab.intent.schema import BackendQos, FrontendQos
from aifab.qos.policy import backend_policy, frontend_policy
from tests.helpers import make_intent

# docs/sources.md#qos-defaults-eos, #qos-defaults-sonic, #qos-defaults-cumulus: min / max bytes and probability per platform
ECN = {"eos": (500_000, 1_500_000, 20), "sonic": (1_048_576, 2_097_152, 5), "frr": (150_000, 1_500_000, 100)}
MODEL = {"eos": "ieee", "frr": "ieee", "sonic": "cell"}


@pytest.mark.parametrize("platform", sorted(ECN))
def test_backend_defaults_per_platform(platform: str) -> None:
    p = backend_policy(BackendQos(), platform)
    assert p.lossless and p.headroom_model == MODEL[platform]
    assert len(p.dscp_to_tc) == 64
    assert p.dscp_to_tc[26] == 3 and p.dscp_to_tc[48] == 6
    assert {tc for dscp, tc in enumerate(p.dscp_to_tc) if dscp not in (26, 48)} == {0}
    assert p.lossless_priorities == (3,) and p.tc_to_pg[3] == 3 and p.strict_tcs == (6,)
    assert p.tc_to_queue == tuple(range(8))
    assert sum(p.dwrr_weights) == 100 and p.dwrr_weights[3] == 50 and p.dwrr_weights[6] == 0
    assert p.ecn_queues == (3,)
    assert p.ecn is not None and (p.ecn.min_bytes, p.ecn.max_bytes, p.ecn.probability) == ECN[platform]
    assert p.watchdog is not None
    assert (p.watchdog.detection_ms, p.watchdog.restoration_ms, p.watchdog.action) == (200, 200, "drop")


def test_only_detection_given_restores_after_twice_detection() -> None:
    """docs/sources.md#pfc-watchdog: restoration is twice detection when only detection is set."""
    wd = backend_policy(BackendQos.model_validate({"watchdog": {"detection_ms": 150}}), "sonic").watchdog
    assert wd is not None and (wd.detection_ms, wd.restoration_ms) == (150, 300)
    wd = backend_policy(BackendQos.model_validate({"watchdog": {"detection_ms": 150, "restoration_ms": 170}}), "sonic").watchdog
    assert wd is not None and wd.restoration_ms == 170


OVERRIDES = [
    # (intent qos, {policy field: value it must take}); every other field must stay the default
    ({"roce_dscp": 24}, {"roce_dscp": 24}),
    ({"roce_tc": 4}, {"roce_tc": 4}),
    ({"cnp_dscp": 46}, {"cnp_dscp": 46}),
    ({"cnp_tc": 7}, {"cnp_tc": 7}),
    ({"lossless_weight": 80}, {}),
    ({"ecn": {"min_kb": 300}}, {}),
    ({"ecn": {"probability": 7}}, {}),
    ({"watchdog": {"enabled": False}}, {}),
    ({"watchdog": {"action": "forward"}}, {}),
]


def _changed(a: QosPolicy, b: QosPolicy) -> dict[str, object]:
    return {f.name: getattr(b, f.name) for f in dataclasses.fields(QosPolicy) if getattr(a, f.name) != getattr(b, f.name)}


@pytest.mark.parametrize(("override", "expect"), OVERRIDES, ids=lambda v: json.dumps(v))
def test_override_changes_exactly_that_value(override: dict, expect: dict) -> None:
    base = backend_policy(BackendQos(), "eos")
    got = backend_policy(BackendQos.model_validate(override), "eos")
    changed = _changed(base, got)
    for key, value in expect.items():
        assert changed.pop(key) == value
    # what remains changed is only the derived form of the one override
    key = next(iter(override))
    derived = {"roce_dscp": {"dscp_to_tc"}, "roce_tc": {"dscp_to_tc", "tc_to_pg", "lossless_priorities", "dwrr_weights",
                                                         "ecn_queues"},
               "cnp_dscp": {"dscp_to_tc"}, "cnp_tc": {"dscp_to_tc", "strict_tcs"}, "lossless_weight": {"dwrr_weights"},
               "ecn": {"ecn"}, "watchdog": {"watchdog"}}[key]
    assert set(changed) == derived


def test_ecn_override_replaces_only_the_given_threshold() -> None:
    ecn = backend_policy(BackendQos.model_validate({"ecn": {"min_kb": 300}}), "eos").ecn
    assert ecn is not None and (ecn.min_bytes, ecn.max_bytes, ecn.probability) == (300_000, 1_500_000, 20)


def test_moved_classes_follow_the_intent() -> None:
    p = backend_policy(BackendQos(roce_dscp=24, roce_tc=4, cnp_tc=7, lossless_weight=70), "sonic")
    assert p.dscp_to_tc[24] == 4 and p.dscp_to_tc[26] == 0 and p.dscp_to_tc[48] == 7
    assert p.lossless_priorities == (4,) and p.tc_to_pg == (0, 0, 0, 0, 4, 0, 0, 0)
    assert p.dwrr_weights == (30, 0, 0, 0, 70, 0, 0, 0) and p.strict_tcs == (7,)


@pytest.mark.parametrize("platform", sorted(ECN))
def test_frontend_is_lossy_by_default(platform: str) -> None:
    p = frontend_policy(FrontendQos(), platform)
    assert not p.lossless and p.lossless_priorities == () and p.ecn is None and p.watchdog is None
    assert p.dscp_to_tc[18] == 2 and p.dscp_to_tc[48] == 6 and p.dscp_to_tc[26] == 0
    assert p.dwrr_weights == (40, 0, 60, 0, 0, 0, 0, 0) and p.strict_tcs == (6,)
    assert p.tc_to_pg == (0,) * 8


def test_frontend_lossless_turns_pfc_on_like_the_backend() -> None:
    p = frontend_policy(FrontendQos(lossless=True, storage_dscp=20, storage_tc=4), "sonic")
    assert p.lossless and p.lossless_priorities == (4,) and p.tc_to_pg[4] == 4 and p.ecn_queues == (4,)
    assert p.ecn is not None and p.ecn.min_bytes == 1_048_576
    assert p.watchdog is not None and p.watchdog.restoration_ms == 200


def test_policy_is_json_serialisable_and_hashable() -> None:
    from pydantic import TypeAdapter

    p = backend_policy(BackendQos(), "eos")
    adapter = TypeAdapter(QosPolicy)
    assert adapter.validate_json(adapter.dump_json(p)) == p
    assert hash(p) == hash(backend_policy(BackendQos(), "eos"))


BAD = [
    ({"qos": {"roce_tc": 6}}, {}, "backend.qos.roce_tc", "must differ from cnp_tc"),
    ({"qos": {"cnp_dscp": 26}}, {}, "backend.qos.cnp_dscp", "must differ from roce_dscp"),
    ({"qos": {"cnp_tc": 0}}, {}, "backend.qos.cnp_tc", "best-effort"),
    ({"qos": {"ecn": {"min_kb": 2000}}}, {}, "backend.qos.ecn", "min must be below max"),
    ({}, {"qos": {"storage_tc": 6}}, "frontend.qos.storage_tc", "reserved"),
    ({}, {"qos": {"storage_dscp": 48}}, "frontend.qos.storage_dscp", "network control"),
]


@pytest.mark.parametrize(("backend", "frontend", "key", "fragment"), BAD, ids=[b[2] for b in BAD])
def test_impossible_qos_is_a_located_design_error(backend: dict, frontend: dict, key: str, fragment: str) -> None:
    from aifab.design import build_design

    with pytest.raises(DesignError) as err:
        build_design(make_intent(backend, frontend))
    assert [p.key for p in err.value.problems] == [key]
    assert fragment in str(err.value)


def test_bad_qos_in_a_file_names_file_line_and_key(tmp_path: Path) -> None:
    """The real CLI: one located line, exit 2, no traceback."""
    import subprocess
    import sys

    lab = Path(__file__).parents[1] / "intent" / "lab.yaml"
    text = lab.read_text().replace("cables: {server_leaf: 3, leaf_spine: 20}",
                                   "cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {roce_tc: 6}", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(path), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "roce_tc: 6" in t)
    assert res.returncode == 2
    assert f"{path}:{line}:" in res.stderr and "backend.qos.roce_tc" in res.stderr
    assert "Traceback" not in res.stderr


def test_sonic_on_a_switch_without_cell_parameters_is_a_located_error() -> None:
    """SONiC sizes a Spectrum chip's headroom in cells; no public source gives Spectrum-4's cell
    parameters, so a lossless SONiC SN5600 is refused and the error says why. A Broadcom chip under
    SONiC (a 7060X5-64PE's Tomahawk 4) takes the 802.1Qbb budget instead and builds."""
    from aifab.design import build_design

    switches = {"leaf": {"platform": "sonic", "model": "SN5600"}, "spine": {"ports": 4, "speed": "800G"}}
    with pytest.raises(DesignError) as err:
        build_design(make_intent({"switches": switches}))
    assert [p.key for p in err.value.problems] == ["backend.switches.leaf.model"]
    assert "no public source gives the cell parameters of spectrum-4" in str(err.value)
    assert "spectrum-3" in str(err.value)
    design = build_design(make_intent({"switches": {"leaf": {"platform": "sonic", "model": "7060X5-64PE"},
                                                    "spine": {"ports": 4}}}))
    leaf = next(d for d in design.backend.devices if d.role == "leaf")
    assert {p.buffer.model for p in leaf.ports if p.buffer is not None} == {"ieee"}
