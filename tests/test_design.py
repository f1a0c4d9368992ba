"""Derivation unit tests on the example intents."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from netaddr import IPNetwork

from aifab.design import build_design, design_from_json, design_json
from aifab.intent import load_intent

ROOT = Path(__file__).parents[1]


def lab():
    return build_design(load_intent(ROOT / "intent" / "lab.yaml").intent)


def test_lab_shape_matches_the_issue() -> None:
    d = lab()
    assert Counter(x.role for x in d.backend.devices) == {"leaf": 4, "spine": 2}
    assert Counter(x.role for x in d.frontend.devices) == {"leaf": 2, "spine": 2}
    assert [h.name for h in d.hosts] == ["srv-su1-01", "srv-su1-02", "srv-su2-01", "srv-su2-02", "stor01"]


def test_rail_optimized_wiring() -> None:
    """NIC n of every server lands on leaf n of its SU (docs/sources.md#superpod)."""
    d = lab()
    for host in d.hosts:
        for nic in host.nics:
            if nic.fabric == "backend":
                assert nic.leaf == f"be-leaf-su{host.su}-r{nic.rail}"
                assert nic.name == f"rail{nic.rail}"


def test_asns_follow_rfc7938() -> None:
    d = lab()
    spines = {x.asn for x in d.backend.devices if x.role == "spine"}
    leaves = [x.asn for x in d.backend.devices if x.role == "leaf"]
    assert len(spines) == 1, "one shared ASN per spine group"
    assert len(set(leaves)) == len(leaves) and not spines & set(leaves)
    assert all(4200000000 <= a <= 4294967294 for a in [*spines, *leaves])


def test_p2p_upper_tier_takes_even_address() -> None:
    d = lab()
    for dev in d.backend.devices:
        for p in dev.ports:
            net = IPNetwork(p.address)
            assert net.prefixlen == 31
            if p.role == "downlink" or p.role == "server":
                assert net.ip == net.network, f"{dev.name} {p.name} should be even"


def test_every_leaf_reaches_every_spine_with_equal_links() -> None:
    d = lab()
    spines = [x.name for x in d.backend.devices if x.role == "spine"]
    for leaf in (x for x in d.backend.devices if x.role == "leaf"):
        peers = Counter(p.peer for p in leaf.ports if p.role == "uplink")
        assert set(peers) == set(spines) and len(set(peers.values())) == 1
        assert leaf.max_paths == sum(peers.values())


def test_platform_interface_names() -> None:
    d = lab()
    assert all(p.name.startswith("swp") for dev in d.devices() for p in dev.ports)
    cluster = build_design(load_intent(ROOT / "intent" / "cluster.yaml").intent)
    assert all(p.name.startswith("Ethernet") for dev in cluster.devices() for p in dev.ports)


def test_frontend_hosts_are_dual_homed_to_a_pair() -> None:
    d = lab()
    for host in d.hosts:
        fe = [n for n in host.nics if n.fabric == "frontend"]
        assert len(fe) == 2
        assert {n.leaf for n in fe} == {"fe-leaf1a", "fe-leaf1b"}


def test_json_round_trip_and_determinism(tmp_path: Path) -> None:
    d1, d2 = lab(), lab()
    assert design_json(d1) == design_json(d2)
    assert design_from_json(design_json(d1)) == d1


def test_build_cli_writes_artifacts_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(ROOT / "intent" / "cluster.yaml"), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    rows = {tuple(line.split()[1:6]) for line in res.stdout.splitlines() if "│" in line}
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in res.stdout.splitlines() if line.count("│") >= 5]
    backend = {c[2]: c[3] for c in cells if c[0] == "backend"}
    assert backend == {"leaf": "32", "spine": "16"}, rows
    assert "gpus: 1024" in res.stdout
    header = (out / "cabling.csv").read_text().splitlines()[0]
    assert header == "fabric,device,port,peer_device,peer_port,cable_class,length_m,speed"
    assert (out / "ipplan.csv").read_text().count("\n") > 1000
    assert design_from_json((out / "design.json").read_bytes()).cluster == "pod1"


def test_design_json_in_parts_is_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from aifab.design import model

    monkeypatch.setattr(model, "PART", 3)  # several parts per fabric even on small intents
    for name in ("lab.yaml", "cluster.yaml"):
        design = build_design(load_intent(Path(__file__).parents[1] / "intent" / name).intent)
        parts = list(model.design_json_parts(design))
        assert len(parts) > 6 and b"".join(parts) == design_json(design)
