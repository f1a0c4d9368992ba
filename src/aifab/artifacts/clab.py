"""The containerlab topology: the EOS devices as cEOS (docs/sources.md#clab-ceos), the rendered configs as
startup configs, one link per cable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netaddr import IPNetwork

from aifab.artifacts.yamlfile import yaml_text
from aifab.design.model import Design

CEOS_KIND = "arista_ceos"  # containerlab's kind name ("ceos" is an alias its schema does not list)
CEOS_IMAGE = "ceos:latest"


def _bare(cidr: str) -> str:
    return str(IPNetwork(cidr).ip)


def ceos_interface(name: str) -> str:
    """cEOS's Linux name of EOS interface ``name``: ``EthernetN`` is ``ethN`` (eth0 is Management0), and
    cEOS maps an underscore to a slash, so ``Ethernet1/1`` (a catalog model's OSFP port) is ``eth1_1``
    and its breakout child ``Ethernet1/5`` is ``eth1_5`` (docs/sources.md#clab-ceos)."""
    return "eth" + name.removeprefix("Ethernet").replace("/", "_")


def clab_topology(design: Design, image: str = CEOS_IMAGE) -> dict[str, Any] | None:
    """The containerlab topology of the EOS devices and the cables between them; None without EOS devices."""
    devices = [d for d in design.devices() if d.platform == "eos"]
    if not devices:
        return None
    by_name = {d.name: d for d in devices}
    nodes = {d.name: {"kind": CEOS_KIND, "startup-config": f"../configs/{d.name}.cfg", "mgmt-ipv4": _bare(d.management)}
             for d in devices}
    links = []
    for d in devices:
        for p in d.ports:
            if p.role == "uplink" and p.peer in by_name:  # each cable once, from its lower end
                links.append({"endpoints": [f"{d.name}:{ceos_interface(p.name)}", f"{p.peer}:{ceos_interface(p.peer_port)}"],
                              "mtu": p.mtu})
    return {
        "name": design.cluster,
        "mgmt": {"network": f"aifab-{design.cluster}", "ipv4-subnet": str(IPNetwork(devices[0].management).cidr),
                 "ipv4-gw": design.management_gateway},
        "topology": {"kinds": {CEOS_KIND: {"image": image}}, "nodes": nodes, "links": links},
    }


def clab_path(design: Design, out: Path) -> Path:
    """Where ``write_clab`` writes the topology: ``out/clab/<cluster>.clab.yml``."""
    return out / "clab" / f"{design.cluster}.clab.yml"


def write_clab(design: Design, out: Path, image: str = CEOS_IMAGE) -> Path | None:
    """Write ``out/clab/<cluster>.clab.yml`` when the design has EOS devices (else remove a stale one)."""
    topo = clab_topology(design, image)
    path = clab_path(design, out)
    if topo is None:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml_text(topo), encoding="utf-8")
    return path
