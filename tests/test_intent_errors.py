"""Every bad-input class gives one located error line per problem and exit code 2 (real CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=60)


def line_no(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def mutated(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    text = LAB.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path, text


CASES = {
    # name: (old, new, line needle, key, message fragment)
    "pool_too_small": ("p2p: 10.0.1.0/24", "p2p: 10.0.1.0/29", "p2p: 10.0.1.0/29", "backend.pools.p2p", "pool too small"),
    "overlapping_pools": ("servers: 10.0.2.0/24", "servers: 10.0.1.128/25", "servers: 10.0.1.128/25",
                          "backend.pools.servers", "overlapping pools"),
    "fabrics_share_prefix": ("loopbacks: 10.1.0.0/24", "loopbacks: 10.0.0.0/25", "loopbacks: 10.0.0.0/25",
                             "frontend.pools.loopbacks", "backend and frontend share a prefix"),
    "asn_out_of_range": ("cables: {server_leaf: 3, leaf_spine: 20}",
                         "cables: {server_leaf: 3, leaf_spine: 20}\n  asn: {base: 65533}", "asn: {base: 65533}",
                         "backend.asn.base", "ASN out of range"),
    "servers_not_multiple_of_su": ("servers: 4", "servers: 5", "servers: 5", "backend.servers",
                                   "multiple of servers_per_su"),
    "cannot_be_non_blocking": ("leaf:  {model: generic, max_mtu: 9216, ports: 4", "leaf:  {model: generic, max_mtu: 9216, ports: 3",
                               "leaf:  {model: generic, max_mtu: 9216, ports: 3", "backend.switches.leaf.ports", "too few for 2 servers per SU at 1:1"),
    "unknown_key": ("nic_speed: 400G", "nic_speed: 400G\n  nic_sped: 400G", "nic_sped", "backend.nic_sped", "unknown key"),
    "wrong_type": ("gpus_per_server: 2", "gpus_per_server: two", "gpus_per_server: two", "backend.gpus_per_server",
                   "valid integer"),
    "bad_speed": ("nic_speed: 400G", "nic_speed: 300G", "nic_speed: 300G", "backend.nic_speed", "speed must be one of"),
    "unknown_platform": ("leaf:  {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}",
                         "leaf:  {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: junos}", "platform: junos",
                         "backend.switches.leaf.platform", "Input should be 'eos', 'frr' or 'sonic' (got 'junos')"),
    "growth_below_today": ("storage_nodes: 1", "storage_nodes: 1\n  growth: {storage_nodes: 0}", "growth: {storage_nodes: 0}",
                           "frontend.growth.storage_nodes", "fewer than frontend.storage_nodes (1)"),
    # a typo's count of hosts is refused by its bound, not by a sizing that lays out every host first
    # (4,294,967,296 servers took all memory before the bound)
    "too_many_servers": ("servers: 4", "servers: 4294967296", "servers: 4294967296", "backend.servers",
                         "less than or equal to 65536"),
    "too_many_storage_nodes": ("storage_nodes: 1", "storage_nodes: 100000000", "storage_nodes: 100000000",
                               "frontend.storage_nodes", "less than or equal to 65536"),
    "bad_prefix": ("servers: 10.0.2.0/24", "servers: 10.0.2.1/24", "servers: 10.0.2.1/24", "backend.pools.servers",
                   "host bits set"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_intent_names_file_line_key_and_exits_2(tmp_path: Path, case: str) -> None:
    old, new, needle, key, fragment = CASES[case]
    path, text = mutated(tmp_path, old, new)
    res = run_cli("build", str(path), "-o", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    expected = f"{path}:{line_no(text, needle)}: {key}: "
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith(expected)]
    assert lines, f"expected a line starting {expected!r} in:\n{res.stderr}"
    assert fragment in lines[0]
    assert not (tmp_path / "out").exists(), "nothing is written for a bad intent"


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path, text = mutated(tmp_path, "  servers_per_su: 2", "  servers_per_su: [2")
    res = run_cli("build", str(path))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith(f"{path}:")
    assert "malformed YAML" in res.stderr
    line = int(res.stderr.split(":")[1])
    assert abs(line - line_no(text, "servers_per_su: [2")) <= 1


def test_missing_file(tmp_path: Path) -> None:
    res = run_cli("build", str(tmp_path / "nope.yaml"))
    assert res.returncode == 2
    assert res.stderr.strip() == f"{tmp_path / 'nope.yaml'}:0: (file): no such file"


def test_missing_required_key_points_at_parent(tmp_path: Path) -> None:
    path, text = mutated(tmp_path, "    servers: 10.1.2.0/24\n", "")
    res = run_cli("build", str(path))
    assert res.returncode == 2
    # the key is absent, so the message points at its parent mapping (frontend.pools)
    assert f"{path}:{line_no(text.split('frontend:')[1], 'pools:') + line_no(text, 'frontend:') - 1}: frontend.pools.servers: required key is missing" in res.stderr


def test_several_errors_are_listed_together(tmp_path: Path) -> None:
    text = LAB.read_text().replace("servers: 4", "servers: 5").replace("nic_speed: 100G", "nic_speed: 100X")
    path = tmp_path / "two.yaml"
    path.write_text(text)
    res = run_cli("build", str(path))
    assert res.returncode == 2
    keys = {ln.split(": ")[1] for ln in res.stderr.splitlines()}
    # schema errors are reported first (semantics need a schema-valid intent)
    assert keys == {"frontend.nic_speed"}
    text = LAB.read_text().replace("servers: 4", "servers: 5").replace("p2p: 10.1.1.0/24", "p2p: 10.0.1.0/24")
    path.write_text(text)
    res = run_cli("build", str(path))
    keys = {ln.split(": ")[1] for ln in res.stderr.splitlines()}
    assert keys == {"backend.servers", "frontend.pools.p2p"}, res.stderr


def test_help_and_version() -> None:
    res = run_cli("--help")
    assert res.returncode == 0 and "build" in res.stdout
    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.startswith("aifab ")
