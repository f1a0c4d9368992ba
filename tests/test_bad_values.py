"""Values of the wrong kind, or inside the schema but unworkable: one located line each, exit 2,
nothing written (real CLI, in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.cli import main

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def build_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
              base: Path = LAB) -> tuple[Path, list[str]]:
    """Build ``base`` with ``old`` replaced by ``new``: it must fail with exit 2, write nothing and
    print no traceback; returns the intent's path and the lines on stderr."""
    text = base.read_text()
    assert old in text, old
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    code = main(["build", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert not out.exists(), "nothing is written for a bad intent"
    return path, err.splitlines()


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("servers_per_su: 2", "servers_per_su: true", "8: backend.servers_per_su: Input should be a valid integer (got True)"),
    ("servers: 4", "servers: 4.0", "6: backend.servers: Input should be a valid integer (got 4.0)"),
    ("gpus_per_server: 2", 'gpus_per_server: "2"', "7: backend.gpus_per_server: Input should be a valid integer (got '2')"),
    ("ports: 4, speed: 400G, platform: frr}\n    spine", "ports: yes, speed: 400G, platform: frr}\n    spine",
     "11: backend.switches.leaf.ports: Input should be a valid integer (got 'yes')"),
    ("storage_nodes: 1", "storage_nodes: false", "19: frontend.storage_nodes: Input should be a valid integer (got False)"),
    ("soak_s: 2", "soak_s: 2.5", "34: upgrade.soak_s: Input should be a valid integer (got 2.5)"),
    ("cables: {server_leaf: 3,", "cables: {server_leaf: true,",
     "17: backend.cables.server_leaf: Input should be a valid number (got True)"),
    ("cables: {server_leaf: 3,", 'cables: {server_leaf: "3",',
     "17: backend.cables.server_leaf: Input should be a valid number (got '3')"),
    ("  cables: {server_leaf: 3, leaf_spine: 20}", "  cables: {server_leaf: 3, leaf_spine: 20}\n  bgp: {bfd: 1}",
     "18: backend.bgp.bfd: Input should be a valid boolean (got 1)"),
])
def test_counts_are_strict_integers(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                    expected: str) -> None:
    path, lines = build_bad(tmp_path, capsys, old, new)
    assert lines == [f"{path}:{expected}"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('oversubscription: "1:3"', "oversubscription: .nan", "22: frontend.oversubscription: Input should be a finite number (got nan)"),
    ('oversubscription: "1:3"', "oversubscription: .inf", "22: frontend.oversubscription: Input should be a finite number (got inf)"),
    ("servers_per_su: 2", "servers_per_su: 2\n  oversubscription: .NaN",
     "9: backend.oversubscription: Input should be a finite number (got nan)"),
    ("leaf_spine: 20}", "leaf_spine: .nan}", "17: backend.cables.leaf_spine: Input should be a finite number (got nan)"),
    ("leaf_spine: 20}", "leaf_spine: 1e999}", "17: backend.cables.leaf_spine: Input should be a finite number (got inf)"),
    ("leaf_spine: 20}", "leaf_spine: -.inf}", "17: backend.cables.leaf_spine: Input should be a finite number (got -inf)"),
])
def test_floats_are_finite(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                           expected: str) -> None:
    path, lines = build_bad(tmp_path, capsys, old, new)
    assert lines == [f"{path}:{expected}"]


@pytest.mark.parametrize(("gateway", "message"), [
    ("172.31.255.0", "is the network address of 172.31.255.0/24; use a host address (got '172.31.255.0')"),
    ("172.31.255.255", "is the broadcast address of 172.31.255.0/24; use a host address (got '172.31.255.255')"),
    ("172.31.254.1", "must be an address inside 172.31.255.0/24 (got '172.31.254.1')"),
    ("172.31.255.1/24", "must be an address inside 172.31.255.0/24 (got '172.31.255.1/24')"),
])
def test_management_gateway_is_a_host_of_the_network(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     gateway: str, message: str) -> None:
    path, lines = build_bad(tmp_path, capsys, "network: 172.31.255.0/24",
                            f"network: 172.31.255.0/24\n  gateway: {gateway}")
    assert lines == [f"{path}:32: management.gateway: {message}"]
