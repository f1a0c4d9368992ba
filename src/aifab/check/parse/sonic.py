"""Parse SONiC's files: ``config_db.json`` (json) for ports, addresses, QoS and buffers, frr.conf for BGP."""

from __future__ import annotations

from aifab.check.parse import frr
from aifab.check.parse.facts import DeviceFacts


def parse(items: list[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})`` of the sonic platform."""
    return frr.parse_texts([(dev, "sonic", files, texts["frr.conf"]) for dev, files, texts in items])
