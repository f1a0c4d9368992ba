"""How to reach the lab's switches: SSH keys, known_hosts, NAPALM arguments, Nornir inventory.

Every lab has its own client key (authorized for root on every switch, key login only) and
records each switch's host key in its own known_hosts, so the driver verifies host keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aifab.artifacts.inventory import HandKept
from aifab.artifacts.inventory import write_inventory as write_inventory_files
from aifab.design.model import Design
from aifab.lab.switch import node_dir
from aifab.lab.system import run
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
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aifab-lab", "-f", str(key)], "the lab's SSH key")
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
    """NAPALM ``optional_args`` for the ``frr`` driver to reach a lab switch from the host; a software
    upgrade only records the version (``install: record``): no other FRR package can be installed."""
    return {"netns": topo.mgmt_ns, "known_hosts": str(known_hosts(state_dir)), "key_file": str(key_file(state_dir)),
            "install": "record"}


def napalm_args(topo: Topology, state_dir: Path, device: str) -> dict[str, Any]:
    """Keyword arguments for ``get_network_driver("frr")(**args)`` to open ``device`` in the lab."""
    return {"hostname": topo.switch(device).address, "username": USERNAME, "password": "", "timeout": 30,
            "optional_args": optional_args(topo, state_dir)}


def inventory_dir(state_dir: Path) -> Path:
    return state_dir / "inventory"


def write_inventory(design: Design, topo: Topology, state_dir: Path) -> Path:
    """Write the lab's Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml) with the
    writer ``aifab build`` uses: every switch at its lab address on platform ``frr`` (``os`` keeps
    the Design's platform), the driver's lab options and user in defaults.yaml; returns its directory."""
    addresses = {sw.name: sw.address for sw in topo.switches}
    defaults = {"username": USERNAME, "platform": "frr", "connection_options": {
        "napalm": {"platform": "frr", "extras": {"optional_args": optional_args(topo, state_dir)}}}}
    write_inventory_files(design, state_dir, HandKept(), addresses=addresses, platform="frr", defaults=defaults)
    return inventory_dir(state_dir)


def nornir_inventory(state_dir: Path) -> dict[str, Any]:
    """The ``inventory`` argument of ``nornir.InitNornir`` for the lab's inventory."""
    inv = inventory_dir(state_dir)
    return {"plugin": "SimpleInventory", "options": {"host_file": str(inv / "hosts.yaml"),
                                                     "group_file": str(inv / "groups.yaml"),
                                                     "defaults_file": str(inv / "defaults.yaml")}}
