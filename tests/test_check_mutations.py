"""Mutation tests: break a rendered file the way a rule guards against; exactly that rule fires there.

Each build is made once per module (the real pipeline writes design.json and configs/); every test
copies the rendered configs to its tmp_path, edits one file as text and runs the real checks.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifab.check import run_checks
from aifab.design.model import Design
from aifab.pipeline import design_for
from aifab.render import write_configs

ROOT = Path(__file__).parents[1]


@dataclass(frozen=True)
class Built:
    design: Design
    path: Path

    def device(self, name: str):
        return next(d for d in self.design.devices() if d.name == name)


def _build(intent: str, out: Path) -> Built:
    _, design = design_for(ROOT / "intent" / intent)
    write_configs(design, out)
    return Built(design, out)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build("cluster.yaml", tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build("lab.yaml", tmp_path_factory.mktemp("lab"))


def mutate(built: Built, tmp_path: Path, file: str, pattern: str, replacement: str) -> Path:
    """Copy the rendered configs and replace the first match of ``pattern`` (a regex) in ``file``."""
    shutil.copytree(built.path / "configs", tmp_path / "configs")
    path = tmp_path / "configs" / file
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {file}"
    path.write_text(new)
    return tmp_path


def block(interface: str) -> str:
    """Regex prefix that stays inside one interface block (``\\g<1>`` keeps it)."""
    return rf"(^interface {interface}\n(?:[ ]+.*\n)*?)"


def rules_and_devices(design: Design, build_dir: Path) -> tuple[set[str], set[str]]:
    findings = run_checks(design, build_dir)
    return {f.rule for f in findings}, {f.device for f in findings}


def test_clean_lab_build_has_no_findings(lab: Built) -> None:
    assert run_checks(lab.design, lab.path) == []


def test_clean_cluster_build_has_no_findings(cluster: Built) -> None:
    assert run_checks(cluster.design, cluster.path) == []


def _eos_cases(b: Built) -> list[tuple[str, str, str, str, str]]:
    """(rule, file, pattern, replacement, device that must be named) over the EOS cluster."""
    r1, r2 = b.device("be-leaf-su1-r1"), b.device("be-leaf-su1-r2")
    up = next(p for p in r1.ports if p.role == "uplink")
    server1, server2 = (next(p for p in d.ports if p.role == "server") for d in (r1, r2))
    fe_servers = b.design.frontend.servers
    fe_p2p_peer = b.design.frontend.devices[0].ports[-1].address.partition("/")[0]
    return [
        ("BGP001", "be-leaf-su1-r1.cfg", r"^(router bgp .*\n)", r"\g<1>   neighbor 10.99.0.1 remote-as 4200000000\n", r1.name),
        ("BGP002", "be-leaf-su1-r1.cfg", rf"^   neighbor {up.peer_address} remote-as \d+", f"   neighbor {up.peer_address} remote-as 4200000099", r1.name),
        ("BGP003", "be-leaf-su1-r1.cfg", rf"^   neighbor {up.peer_address} peer group SPINES\n   neighbor {up.peer_address} remote-as \d+\n", "", r1.name),
        ("BGP004", "be-leaf-su1-r2.cfg", rf"^   router-id {r2.loopback}$", f"   router-id {r1.loopback}", r2.name),
        ("BGP005", "be-leaf-su1-r1.cfg", r"^   maximum-paths \d+", "   maximum-paths 16", r1.name),
        ("ADDR001", "be-leaf-su1-r2.cfg", rf"^   ip address {r2.loopback}/32", f"   ip address {r1.loopback}/32", r2.name),
        ("ADDR002", "be-leaf-su1-r2.cfg", rf"^   ip address {server2.address}$", f"   ip address {server1.address}", r2.name),
        ("ADDR003", "be-leaf-su1-r1.cfg", rf"^   ip address {up.address}$", f"   ip address {up.address[:-3]}/30", r1.name),
        ("MTU001", "be-leaf-su1-r1.cfg", block(up.name) + r"   mtu \d+", r"\g<1>   mtu 9000", r1.name),
        ("MTU002", "be-leaf-su1-r1.cfg", block(server1.name) + r"   mtu \d+", r"\g<1>   mtu 1500", r1.name),
        ("ISO002", "be-leaf-su1-r1.cfg", r"^(   seq 10 permit \S+ le 31\n)", rf"\g<1>   seq 20 permit {fe_servers}\n", r1.name),
        ("ISO003", "be-leaf-su1-r1.cfg", r"^(router bgp .*\n)", rf"\g<1>   neighbor {fe_p2p_peer} remote-as 4200100001\n", r1.name),
        ("TOPO001", "be-leaf-su1-r1.cfg", block(up.name) + r"   speed \S+", r"\g<1>   speed 100g-4", r1.name),
        ("CFG002", "be-leaf-su1-r1.cfg", r"^hostname .*$", "hostname be-leaf-su9-r9", r1.name),
    ]


EOS_RULES = ["BGP001", "BGP002", "BGP003", "BGP004", "BGP005", "ADDR001", "ADDR002", "ADDR003", "MTU001", "MTU002",
             "ISO002", "ISO003", "TOPO001", "CFG002"]


@pytest.mark.parametrize("rule_id", EOS_RULES)
def test_eos_mutation_fires_exactly_its_rule(cluster: Built, tmp_path: Path, rule_id: str) -> None:
    case = next(c for c in _eos_cases(cluster) if c[0] == rule_id)
    _, file, pattern, replacement, device = case
    rules, devices = rules_and_devices(cluster.design, mutate(cluster, tmp_path, file, pattern, replacement))
    assert rules == {rule_id}
    assert device in devices


def test_missing_config_fires_only_cfg001(cluster: Built, tmp_path: Path) -> None:
    shutil.copytree(cluster.path / "configs", tmp_path / "configs")
    (tmp_path / "configs" / "be-spine1.cfg").unlink()
    findings = run_checks(cluster.design, tmp_path)
    assert [(f.rule, f.device) for f in findings] == [("CFG001", "be-spine1")]
    assert "be-spine1.cfg" in findings[0].message


def test_frr_wrong_peer_asn_fires_bgp002(lab: Built, tmp_path: Path) -> None:
    leaf = lab.device("be-leaf-su1-r1")
    up = next(p for p in leaf.ports if p.role == "uplink")
    out = mutate(lab, tmp_path, "be-leaf-su1-r1.frr.conf", rf"^ neighbor {up.peer_address} remote-as \d+",
                 f" neighbor {up.peer_address} remote-as 65001")
    findings = run_checks(lab.design, out)
    assert {(f.rule, f.device, f.subject) for f in findings} == {("BGP002", leaf.name, up.peer_address)}


def test_frr_frontend_prefix_advertised_into_backend_fires_iso002(lab: Built, tmp_path: Path) -> None:
    out = mutate(lab, tmp_path, "be-leaf-su1-r1.frr.conf", r"^(  aggregate-address .*\n)",
                 rf"\g<1>  aggregate-address {lab.design.frontend.servers} summary-only\n")
    findings = run_checks(lab.design, out)
    assert {(f.rule, f.device, f.subject) for f in findings} == {("ISO002", "be-leaf-su1-r1", lab.design.frontend.servers)}
