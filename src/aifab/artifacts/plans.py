"""Tabular plans derived from the Design: cabling and IP plan rows (written as CSV)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from aifab.design.model import Design
from aifab.platforms import platform

CABLING_HEADER = ("fabric", "device", "port", "peer_device", "peer_port", "cable_class", "length_m", "speed")
IPPLAN_HEADER = ("fabric", "device", "interface", "address", "purpose", "peer_device", "peer_interface")


def cabling_rows(design: Design) -> Iterator[tuple[str, ...]]:
    """One row per cabled switch port (a switch-to-switch cable appears from both ends)."""
    for dev in design.devices():
        for p in dev.ports:
            yield (dev.fabric, dev.name, p.name, p.peer, p.peer_port, p.cable, f"{p.length_m:g}", f"{p.speed}G")


def growth_cabling_rows(design: Design, grown: Design) -> Iterator[tuple[str, ...]]:
    """The cables of ``grown`` (the fabric at the size it is laid out for) that ``design`` does not
    have yet: the ports today's switches keep free and the links of the switches and hosts to come."""
    today = {(d.name, p.name) for d in design.devices() for p in d.ports}
    return (row for row in cabling_rows(grown) if (row[1], row[2]) not in today)


def ipplan_rows(design: Design) -> Iterator[tuple[str, ...]]:
    """Every assigned address: switch loopbacks, management, ports, and host NICs."""
    for dev in design.devices():
        info = platform(dev.platform)
        yield (dev.fabric, dev.name, info.loopback, f"{dev.loopback}/32", "loopback", "", "")
        yield (dev.fabric, dev.name, info.management, dev.management, "management", "", "")
        for p in dev.ports:
            yield (dev.fabric, dev.name, p.name, p.address, p.role, p.peer, p.peer_port)
    for host in design.hosts:
        for nic in host.nics:
            yield (nic.fabric, host.name, nic.name, nic.address, "host", nic.leaf, nic.leaf_port)


def write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    """Write rows with a header line (LF line endings, deterministic), as the csv module writes them.

    Rows of string fields that need no quoting (names, addresses, numbers) are joined directly, in
    half the time ``csv.writer`` takes for the 32k-GPU plans (0.3 s of 0.6); anything else goes
    through it."""
    lines = [header, *rows]
    try:
        text = "\n".join([",".join(line) for line in lines]) + "\n"  # TypeError: a field is not a string
    except TypeError:
        text = ""
    commas = sum(map(len, lines)) - len(lines)
    if (text and min(map(len, lines)) > 1 and text.count(",") == commas and text.count("\n") == len(lines)
            and '"' not in text and "\r" not in text):
        path.write_text(text, encoding="utf-8", newline="")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(lines)
