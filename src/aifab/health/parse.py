"""The platforms' counter outputs where NAPALM's getters stop, turned into numbers (pure functions).

- EOS (docs/sources.md#health-commands): ``show priority-flow-control counters`` (a table: Port,
  RxPfc, TxPfc) and ``show priority-flow-control counters watchdog | json``
  (``interfaces.<port>.txQueues.<queue>.stuckCount``).
- SONiC: ``show pfc counters`` (a "Port Rx" and a "Port Tx" table, PFC0..PFC7),
  ``show pfcwd stats`` (STORM DETECTED/RESTORED per port:queue) and ``show queue wredcounters``
  (EcnMarked/pkts per port and queue; ``N/A`` where the ASIC does not count them).

A number that is not in the output is never taken as zero: the parsers raise :class:`Unreadable`.
"""

from __future__ import annotations

import re
from typing import Any


class Unreadable(ValueError):
    """The output does not hold the counter asked for."""


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every table of a CLI output (a header line over a ruler of dashes, rows until a blank line),
    columns cut at the ruler's dash runs (SONiC's tabulate output)."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        ruler = lines[i].strip()
        if i > 0 and ruler and set(ruler) <= {"-", " "} and lines[i - 1].strip():
            spans = [m.start() for m in re.finditer(r"-+", lines[i])]
            cuts = list(zip([0, *spans[1:]], [*spans[1:], None], strict=True))
            header = [lines[i - 1][a:b].strip() for a, b in cuts]
            rows, i = [], i + 1
            while i < len(lines) and lines[i].strip():
                rows.append({h: lines[i][a:b].strip() for h, (a, b) in zip(header, cuts, strict=True)})
                i += 1
            out.append(rows)
        i += 1
    return out


def eos_pfc_frames(text: str) -> int:
    """Pause frames received plus sent over every port of ``show priority-flow-control counters``."""
    total, seen = 0, False
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("Et") and all(re.fullmatch(r"[\d,]+", p) for p in parts[1:]):
            total += _int(parts[1]) + _int(parts[2])
            seen = True
    if not seen and "RxPfc" not in text:
        raise Unreadable("no RxPfc/TxPfc table in the output")
    return total


def eos_watchdog_storms(data: Any) -> int:
    """Stuck queues the PFC watchdog found (``stuckCount``) over every port and queue; an interface
    that never had an event is absent (EOS omits it), which counts as none."""
    if not isinstance(data, dict) or "interfaces" not in data:
        raise Unreadable("no 'interfaces' in the output")
    return sum(int(q.get("stuckCount", 0)) for port in data["interfaces"].values()
               for q in (port.get("txQueues") or {}).values())


def sonic_pfc_frames(text: str) -> int:
    """PFC frames received plus sent, every port and priority, of ``show pfc counters``."""
    found = [t for t in tables(text) if t and ("Port Rx" in t[0] or "Port Tx" in t[0])]
    if not found:
        raise Unreadable("no 'Port Rx'/'Port Tx' table in the output")
    return sum(_int(v) for t in found for row in t for k, v in row.items() if k.startswith("PFC") and v not in ("N/A", ""))


def sonic_watchdog_storms(text: str) -> int:
    """Storms detected (the first half of STORM DETECTED/RESTORED) over every queue of ``show pfcwd stats``;
    no table: no queue has had a storm (SONiC prints the table only for queues with statistics)."""
    total = 0
    for t in tables(text):
        for row in t:
            value = row.get("STORM DETECTED/RESTORED", "")
            if "/" in value:
                total += _int(value.split("/")[0])
    return total


def sonic_ecn_marked(text: str) -> int:
    """ECN-marked packets over every port and queue of ``show queue wredcounters``."""
    rows = [row for t in tables(text) for row in t if "EcnMarked/pkts" in row]
    if not rows:
        raise Unreadable("no EcnMarked/pkts column in the output")
    values = [row["EcnMarked/pkts"] for row in rows if row["EcnMarked/pkts"] not in ("", "N/A")]
    if not values:
        raise Unreadable("EcnMarked/pkts is N/A (the ASIC does not count ECN marks)")
    return sum(_int(v) for v in values)


def drops(counters: dict[str, dict[str, int]], ports: set[str]) -> int:
    """In and out discards (NAPALM get_interfaces_counters) of the designed ``ports``; a port the
    device does not report, or a counter it does not keep (-1), makes the number unreadable."""
    missing = sorted(ports - set(counters))
    if missing:
        raise Unreadable(f"no counters for {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
    values = [counters[p].get(k, -1) for p in ports for k in ("rx_discards", "tx_discards")]
    if any(v < 0 for v in values):
        raise Unreadable("discards not counted")
    return sum(values)
