"""SONiC ``show`` output (tables and ``key: value`` lines) turned into NAPALM's structures."""

from __future__ import annotations

import json
import re
from typing import Any

_SPEED = re.compile(r"^(\d+(?:\.\d+)?)([GM])$")


def table(text: str) -> list[dict[str, str]]:
    """Rows of a table as SONiC's CLI prints it (a header line over a ruler of dashes).

    Columns are cut at the ruler's dash runs, so a cell may hold spaces (``QSFP28 or later``).
    Only the first table of the output is read.
    """
    lines = text.splitlines()
    ruler = next((i for i, ln in enumerate(lines) if ln.strip() and set(ln.strip()) <= {"-", " "}), None)
    if ruler is None or ruler == 0:
        return []
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[ruler])]
    starts = [s for s, _ in spans] + [None]
    cut = [(starts[i], starts[i + 1]) for i in range(len(spans))]
    cut[0] = (0, cut[0][1])
    header = [lines[ruler - 1][a:b].strip() for a, b in cut]
    rows = []
    for ln in lines[ruler + 1:]:
        if not ln.strip():
            break
        rows.append({h: ln[a:b].strip() for h, (a, b) in zip(header, cut, strict=True)})
    return rows


def key_values(text: str) -> dict[str, str]:
    """``Key: value`` lines (``show version``, ``show platform summary``) as a dict."""
    out = {}
    for ln in text.splitlines():
        key, sep, value = ln.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            out.setdefault(key.strip(), value.strip())
    return out


def speed_mbps(text: str) -> float:
    """``400G`` -> 400000.0, ``100M`` -> 100.0, anything else (``N/A``) -> 0.0."""
    m = _SPEED.match(text.strip())
    if not m:
        return 0.0
    return float(m.group(1)) * (1000 if m.group(2) == "G" else 1)


def interfaces(status: str, descriptions: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``show interfaces status`` -> NAPALM get_interfaces (last_flapped and MAC unknown there)."""
    out = {}
    for row in table(status):
        name = row.get("Interface", "")
        if not name:
            continue
        mtu = row.get("MTU", "")
        out[name] = {
            "is_up": row.get("Oper") == "up",
            "is_enabled": row.get("Admin") == "up",
            "description": descriptions.get(name, ""),
            "last_flapped": -1.0,
            "mtu": int(mtu) if mtu.isdigit() else 0,
            "speed": speed_mbps(row.get("Speed", "")),
            "mac_address": "",
        }
    return out


def lossless_priorities(text: str) -> dict[str, list[int]]:
    """``show pfc priority`` -> {interface: [priorities with PFC enabled]}."""
    return {row["Interface"]: [int(p) for p in re.findall(r"\d+", row.get("Lossless priorities", ""))]
            for row in table(text) if row.get("Interface")}


def _count(value: object) -> int:
    """``"1,234"`` -> 1234; ``"N/A"`` or anything else not a count -> -1 (NAPALM's "not counted")."""
    text = str(value).replace(",", "").strip()
    return int(text) if text.isdigit() else -1


def portstat(text: str) -> dict[str, dict[str, int]]:
    """``portstat -j`` (a JSON object per port, after an optional "Last cached time was ..." line) ->
    NAPALM get_interfaces_counters. SONiC counts OK/error/drop packets, not octets or casts: those are -1."""
    body = re.sub(r"^Last cached time was.*\n", "", text, flags=re.MULTILINE)
    data = json.loads(body or "{}")
    keys = {"rx_discards": "RX_DRP", "tx_discards": "TX_DRP", "rx_errors": "RX_ERR", "tx_errors": "TX_ERR",
            "rx_unicast_packets": "RX_OK", "tx_unicast_packets": "TX_OK"}
    unknown = ("rx_octets", "tx_octets", "rx_multicast_packets", "tx_multicast_packets",
               "rx_broadcast_packets", "tx_broadcast_packets")
    return {port: {**{k: _count(row.get(f)) for k, f in keys.items()}, **dict.fromkeys(unknown, -1)}
            for port, row in data.items() if isinstance(row, dict)}
