"""What a SONiC switch's CONFIG_DB puts on its kernel, for the lab's switches of platform ``sonic``.

On SONiC the addresses of routed ports and loopbacks live in config_db.json (``INTERFACE``,
``LOOPBACK_INTERFACE``), not in frr.conf: SONiC's intfmgrd creates ``Loopback<N>`` as a Linux
dummy interface and sets the addresses on the kernel, where zebra reads them. The lab does the
same at boot, so the sonic switch's frr.conf runs on FRR exactly as it would on the switch. A
loopback is a bridge without ports here (up with carrier, as a dummy is): the ``dummy`` kernel
module is missing where the lab often runs (containers without ``/lib/modules``).
"""

from __future__ import annotations

import json
from pathlib import Path

from aifab.lab.topology import LabError

FILE = "config_db.json"  # the platform output holding CONFIG_DB
TABLES = ("INTERFACE", "LOOPBACK_INTERFACE")  # keys "<interface>" and "<interface>|<CIDR>"


def addresses(config_db: dict) -> list[tuple[str, str]]:
    """(interface, CIDR) for every address of the routed ports and loopbacks, in file order."""
    out = []
    for table in TABLES:
        for key in config_db.get(table, {}):
            name, _, cidr = key.partition("|")
            if cidr:
                out.append((name, cidr))
    return out


def ip_lines(config_db: dict) -> list[str]:
    """``ip -batch`` lines that make the kernel hold what CONFIG_DB says (loopbacks created, up)."""
    loopbacks = dict.fromkeys(key.partition("|")[0] for key in config_db.get("LOOPBACK_INTERFACE", {}))
    lines = [line for name in loopbacks for line in (f"link add {name} type bridge", f"link set {name} up")]
    return lines + [f"addr add {cidr} dev {name}" for name, cidr in addresses(config_db)]


def read(name: str, path: Path) -> dict:
    """The CONFIG_DB of switch ``name`` from ``path``; ``LabError`` naming the file when it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LabError(f"{name}: cannot read rendered config {path}: {getattr(exc, 'strerror', None) or exc}") from None
