"""How to reach the lab's switches: SSH keys, known_hosts, NAPALM arguments, Nornir inventory.

Every lab has its own client key (authorized for root on every switch, key login only) and
records each switch's host key in its own known_hosts, so the driver verifies host keys.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from aifab.design.model import Design
from aifab.lab.switch import node_dir
from aifab.lab.topology import Topology

USERNAME = "root"


def ssh_dir(state_dir: Path) -> Path:
    return state_dir / "ssh"


def key_file(state_dir: Path) -> Path:
    """The lab's private client key."""
    return ssh_dir(state_dir) / "id_ed25519"


def known_hosts(state_dir: Path) -> Path:
    """The lab's known_hosts: each switch's management IP and host key."""
    return ssh_dir(state_dir) / "known_hosts"


def client_key(state_dir: Path) -> str:
    """Create the lab's client key pair (kept if present); returns the public key line."""
    d = ssh_dir(state_dir)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = key_file(state_dir)
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aifab-lab", "-f", str(key)],
                       check=True, capture_output=True, timeout=30)
    return key.with_suffix(".pub").read_text()


def write_known_hosts(topo: Topology, state_dir: Path) -> Path:
    """Record every switch's host key under its management address."""
    lines = []
    for sw in topo.switches:
        kind, blob = (node_dir(state_dir, sw.name) / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()[:2]
        lines.append(f"{sw.address} {kind} {blob}\n")
    path = known_hosts(state_dir)
    path.write_text("".join(lines))
    return path


def optional_args(topo: Topology, state_dir: Path) -> dict[str, Any]:
    """NAPALM ``optional_args`` for the ``frr`` driver to reach a lab switch from the host."""
    return {"netns": topo.mgmt_ns, "known_hosts": str(known_hosts(state_dir)), "key_file": str(key_file(state_dir))}


def napalm_args(topo: Topology, state_dir: Path, device: str) -> dict[str, Any]:
    """Keyword arguments for ``get_network_driver("frr")(**args)`` to open ``device`` in the lab."""
    return {"hostname": topo.switch(device).address, "username": USERNAME, "password": "", "timeout": 30,
            "optional_args": optional_args(topo, state_dir)}


def inventory_dir(state_dir: Path) -> Path:
    return state_dir / "inventory"


def write_inventory(design: Design, topo: Topology, state_dir: Path) -> Path:
    """Write a Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml) for the lab; returns its directory.

    Hosts carry the same data keys as the inventory ``aifab build`` writes; every lab switch is
    platform ``frr`` (``designed_platform`` keeps the Design's).
    """
    out = inventory_dir(state_dir)
    out.mkdir(parents=True, exist_ok=True)
    hosts = {}
    for dev in design.devices():
        hosts[dev.name] = {
            "hostname": topo.switch(dev.name).address,
            "platform": "frr",
            "groups": [dev.fabric, dev.role],
            "data": {"fabric": dev.fabric, "role": dev.role, "tier": dev.tier, "su": dev.su, "rail": dev.rail,
                     "pod": dev.pod, "pair": dev.pair, "asn": dev.asn, "loopback": dev.loopback, "os": "frr",
                     "designed_platform": dev.platform},
        }
    groups = {name: {} for name in sorted({g for h in hosts.values() for g in h["groups"]})}
    defaults = {
        "username": USERNAME,
        "platform": "frr",
        "connection_options": {"napalm": {"platform": "frr", "extras": {"optional_args": optional_args(topo, state_dir)}}},
    }
    yaml = YAML()
    yaml.default_flow_style = False
    with (out / "hosts.yaml").open("w") as fh:
        yaml.dump(hosts, fh)
    with (out / "defaults.yaml").open("w") as fh:
        yaml.dump(defaults, fh)
    with (out / "groups.yaml").open("w") as fh:
        yaml.dump(groups, fh)
    return out


def nornir_inventory(state_dir: Path) -> dict[str, Any]:
    """The ``inventory`` argument of ``nornir.InitNornir`` for the lab's inventory."""
    inv = inventory_dir(state_dir)
    return {"plugin": "SimpleInventory", "options": {"host_file": str(inv / "hosts.yaml"),
                                                     "group_file": str(inv / "groups.yaml"),
                                                     "defaults_file": str(inv / "defaults.yaml")}}
