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


CLUSTER = Path(__file__).parents[1] / "intent" / "cluster.yaml"


def test_headroom_that_cannot_fit_is_one_error_on_the_cable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 10 km leaf-spine cables at 400G: each port reserves ~5 MB, a 64-port spine needs 325 MB of
    # headroom where its buffer's pool holds 56.5 MB
    path, lines = build_bad(tmp_path, capsys, "leaf_spine: 30", "leaf_spine: 10000", base=CLUSTER)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:20: backend.cables.leaf_spine: PFC headroom cannot fit: be-spine1 reserves ")
    assert "tomahawk-4 headroom pool holds 56500000" in lines[0]
    assert lines[0].endswith("(got 10000.0)")


def test_ecn_max_above_the_buffer_is_one_error_on_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, lines = build_bad(tmp_path, capsys, "  cables: {server_leaf: 3, leaf_spine: 20}",
                            "  cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {ecn: {max_kb: 100000}}")
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:18: backend.qos.ecn.max_kb: ECN max 100000000 bytes is not below the ")
    assert lines[0].endswith("so ECN would never mark (got 100000)")


def test_long_cables_that_fit_still_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the lab's four-port switches have room for 10 km of headroom: not every long cable is an error
    text = LAB.read_text().replace("cables: {server_leaf: 3, leaf_spine: 20}", "cables: {server_leaf: 3, leaf_spine: 10000}")
    path = tmp_path / "long.yaml"
    path.write_text(text)
    assert main(["build", str(path), "-o", str(tmp_path / "out")]) == 0, capsys.readouterr().err


def test_crossed_ecn_thresholds_are_one_line_for_every_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, lines = build_bad(tmp_path, capsys, "  cables: {server_leaf: 3, leaf_spine: 20}",
                            "  cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {ecn: {min_kb: 2000}}")
    assert lines == [f"{path}:18: backend.qos.ecn: min must be below max (on eos 2000000 >= 1500000 bytes; "
                     "on frr 2000000 >= 1500000 bytes) (got {'min_kb': 2000})"]


MGMT = "  network: 172.31.255.0/24"


@pytest.mark.parametrize(("new", "expected"), [
    ("  ntp: [10.0.0.300]", "32: management.ntp.0: expected an IPv4 address such as 10.0.0.1 (got '10.0.0.300')"),
    ("  syslog: [10.0.0.0/24]", "32: management.syslog.0: expected an IPv4 address such as 10.0.0.1 (got '10.0.0.0/24')"),
    ("  aaa: {tacacs: [tacacs.example]}",
     "32: management.aaa.tacacs.0: expected an IPv4 address such as 10.0.0.1 (got 'tacacs.example')"),
    ("  users: [{name: Admin}]", "32: management.users.0.name: String should match pattern '^[a-z_][a-z0-9_-]{0,31}$' (got 'Admin')"),
    ("  users: [{name: ops, role: root}]",
     "32: management.users.0.role: Input should be 'network-admin' or 'network-operator' (got 'root')"),
    ("  users: [{name: ops, password: false, ssh_key: false}]",
     "32: management.users.0: this user can log in with neither a password nor an SSH key (set password or ssh_key to true) (got 'ops')"),
    ("  users: [{name: ops}, {name: ops}]", "32: management.users.1.name: duplicate user (got 'ops')"),
    ("  users: []", "32: management.users: nobody could log in: no local user and no TACACS+ or RADIUS server (got [])"),
    ('  snmp: {location: "a \\"b\\""}',
     "32: management.snmp.location: expected one line of text without quotes or backslashes (got 'a \"b\"')"),
    ("  ssh: false", "32: management.ssh: unknown key"),
])
def test_management_values_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str], new: str, expected: str) -> None:
    path, lines = build_bad(tmp_path, capsys, MGMT, f"{MGMT}\n{new}")
    assert lines == [f"{path}:{expected}"]
