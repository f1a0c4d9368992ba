"""`aifab lab export --clab`: a containerlab cEOS lab from any intent (no Docker needed to write it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nornir import InitNornir

from aifab.lab.ceos import export_clab
from aifab.pipeline import design_for
from tests.test_render_artifacts import SCHEMA, clab_validator

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("clab")
    res = subprocess.run([sys.executable, "-m", "aifab", "lab", "export", "--clab", str(LAB), "-o", str(out),
                          "--ceos-image", "ceos:4.32.0F"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"aifab deploy {LAB} --clab {out}" in res.stdout
    return out, yaml.safe_load((out / "clab" / "lab.clab.yml").read_text())


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"containerlab schema not found at {SCHEMA} (set AIFAB_CLAB_SCHEMA)")
def test_topology_validates_against_containerlab_schema(exported: tuple[Path, dict]) -> None:
    errors = list(clab_validator(json.loads(SCHEMA.read_text())).iter_errors(exported[1]))
    assert not errors, [e.message for e in errors[:5]]


def test_frr_intent_exports_ceos_startup_configs_with_management0(exported: tuple[Path, dict]) -> None:
    out, topo = exported
    _, design = design_for(LAB)  # the intent names frr everywhere
    assert {d.platform for d in design.devices()} == {"frr"}
    assert topo["topology"]["kinds"]["arista_ceos"]["image"] == "ceos:4.32.0F"
    nodes = topo["topology"]["nodes"]
    assert set(nodes) == {d.name for d in design.devices()}
    for dev in design.devices():
        node = nodes[dev.name]
        config = (out / "clab" / node["startup-config"]).resolve().read_text()
        assert node["mgmt-ipv4"] == dev.management.split("/")[0]
        section = config.split("interface Management0\n", 1)[1].split("\n!", 1)[0]
        assert f"ip address {dev.management}" in section
        assert "Management1" not in config
        assert f"hostname {dev.name}" in config and "router bgp" in config


def test_links_are_the_cabling_on_ceos_ports(exported: tuple[Path, dict]) -> None:
    _, topo = exported
    _, design = design_for(LAB)
    expected = set()
    for dev in design.devices():
        for p in dev.ports:
            if p.role == "uplink":
                peer = next(d for d in design.devices() if d.name == p.peer)
                far = next(q for q in peer.ports if q.peer == dev.name and q.peer_port == p.name)
                expected.add((f"{dev.name}:eth{p.index}", f"{peer.name}:eth{far.index}"))
    assert {tuple(link["endpoints"]) for link in topo["topology"]["links"]} == expected


def test_inventory_loads_in_nornir_for_the_eos_driver(exported: tuple[Path, dict]) -> None:
    out, topo = exported
    inv = out / "inventory"
    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": {
        "host_file": str(inv / "hosts.yaml"), "group_file": str(inv / "groups.yaml"),
        "defaults_file": str(inv / "defaults.yaml")}}, logging={"enabled": False})
    assert set(nr.inventory.hosts) == set(topo["topology"]["nodes"])
    for name, host in nr.inventory.hosts.items():
        assert host.hostname == topo["topology"]["nodes"][name]["mgmt-ipv4"]
        assert host.platform == "eos"
        assert host.get_connection_parameters("napalm").extras["optional_args"]["transport"] == "https"
        assert host.password is None, "no password in the repository's files"


def test_export_returns_the_eos_design(tmp_path: Path) -> None:
    design, files = export_clab(LAB, tmp_path)
    assert {d.platform for d in design.devices()} == {"eos"}
    assert all(f.exists() for f in files)


def test_export_without_a_kind_is_refused(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "aifab", "lab", "export", str(LAB), "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "--clab" in res.stderr and "Traceback" not in res.stderr


def test_catalog_port_names_map_to_ceos_linux_names(tmp_path: Path) -> None:
    """intent/cluster.yaml's Arista models name ports Ethernet<port>/<lane> (its frontend's 200G NICs on
    2x200G children /1 and /5): cEOS calls them eth<port>_<lane>, and each link end is an interface
    of the node's startup config; the topology still validates against containerlab's schema."""
    cluster = ROOT / "intent" / "cluster.yaml"
    export_clab(cluster, tmp_path)
    topo = yaml.safe_load((tmp_path / "clab" / "pod1.clab.yml").read_text())
    ends = [end for link in topo["topology"]["links"] for end in link["endpoints"]]
    assert ends and all(re.fullmatch(r"[\w-]+:eth\d+_[15]", end) for end in ends), ends[:4]
    configs = {name: (tmp_path / "clab" / node["startup-config"]).resolve().read_text()
               for name, node in topo["topology"]["nodes"].items()}
    for end in ends:
        node, iface = end.split(":")
        assert f"\ninterface Ethernet{iface.removeprefix('eth').replace('_', '/')}\n" in configs[node], end
    if SCHEMA.is_file():
        errors = list(clab_validator(json.loads(SCHEMA.read_text())).iter_errors(topo))
        assert not errors, [e.message for e in errors[:5]]
