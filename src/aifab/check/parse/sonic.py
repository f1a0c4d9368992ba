"""Parse SONiC's files: ``config_db.json`` (json: ports, addresses, QoS maps, PFC, watchdog,
schedulers, WRED, buffers) and frr.conf (ttp, as on the frr platform) for BGP."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aifab.check.parse import frr
from aifab.check.parse.facts import DeviceFacts, Ecn, Headroom, Interface
from aifab.check.parse.text import ParseError
from aifab.platforms import PLATFORMS


def _iface(facts: DeviceFacts, name: str) -> Interface:
    iface = facts.interfaces.get(name)
    if iface is None:
        iface = facts.interfaces[name] = Interface(name)
    return iface


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _addresses(facts: DeviceFacts, db: dict[str, Any]) -> None:
    for table in ("INTERFACE", "LOOPBACK_INTERFACE", "MGMT_INTERFACE"):
        for key in db.get(table, {}):
            name, _, cidr = key.partition("|")
            if cidr:
                _iface(facts, name).address = cidr
    for name, port in db.get("PORT", {}).items():
        iface = _iface(facts, name)
        iface.mtu, iface.description = _int(port.get("mtu")), port.get("description")
        mbps = _int(port.get("speed"))
        iface.speed = mbps // 1000 if mbps else None
        iface.shutdown = port.get("admin_status", "up") != "up"


def _per_queue(db: dict[str, Any], table: str) -> dict[str, dict[int, dict[str, Any]]]:
    """``TABLE["Ethernet0|3"]`` (or ``"Ethernet0|3-4"``) -> {port: {3: entry, 4: entry}}."""
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for key, entry in db.get(table, {}).items():
        port, _, ids = key.partition("|")
        first, _, last = ids.partition("-")
        if first.isdigit():
            for i in range(int(first), int(last or first) + 1):
                out.setdefault(port, {})[i] = entry
    return out


def _qos(facts: DeviceFacts, db: dict[str, Any]) -> None:
    maps = {name: {int(d): int(t) for d, t in m.items()} for name, m in db.get("DSCP_TO_TC_MAP", {}).items()}
    for name, qos in db.get("PORT_QOS_MAP", {}).items():
        iface = _iface(facts, name)
        if qos.get("dscp_to_tc_map") in maps:
            iface.dscp_to_tc = maps[qos["dscp_to_tc_map"]]
        iface.pfc = frozenset(int(p) for p in str(qos.get("pfc_enable", "")).split(",") if p.strip().isdigit())
    watchdog = db.get("PFC_WD", {})
    schedulers, wred = db.get("SCHEDULER", {}), db.get("WRED_PROFILE", {})
    for name, queues in _per_queue(db, "QUEUE").items():
        iface = _iface(facts, name)
        for q, entry in queues.items():
            if schedulers.get(entry.get("scheduler"), {}).get("type") == "STRICT":
                iface.strict |= {q}
            profile = wred.get(entry.get("wred_profile"), {})
            if profile and profile.get("ecn", "ecn_none") != "ecn_none":
                iface.ecn[q] = Ecn(_int(profile.get("green_min_threshold")), _int(profile.get("green_max_threshold")),
                                   _int(profile.get("green_drop_probability")))
    profiles = db.get("BUFFER_PROFILE", {})
    for name, pgs in _per_queue(db, "BUFFER_PG").items():
        iface = _iface(facts, name)
        for pg, entry in pgs.items():
            p = profiles.get(entry.get("profile"), {})
            if "xoff" in p:
                iface.headroom[pg] = Headroom(_int(p.get("size")) or 0, _int(p.get("xoff")), _int(p.get("xon")), p.get("pool"))
    for iface in facts.interfaces.values():
        if iface.pfc:
            iface.watchdog = iface.name in watchdog


def parse(devices: Iterable[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})`` of the sonic platform."""
    items = list(devices)
    out = frr.parse_texts([(dev, "sonic", files, texts["frr.conf"]) for dev, files, texts in items])
    for facts, (dev, _, texts) in zip(out, items, strict=True):
        try:
            db = json.loads(texts["config_db.json"])
        except json.JSONDecodeError as exc:
            raise ParseError(f"{dev}.config_db.json: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(db, dict):
            raise ParseError(f"{dev}.config_db.json: not a JSON object")
        names = [h for h in (db.get("DEVICE_METADATA", {}).get("localhost", {}).get("hostname"), facts.hostname) if h]
        facts.hostname = next((h for h in names if h != dev), names[0] if names else None)  # a wrong name wins
        _addresses(facts, db)
        _qos(facts, db)
        lo = facts.interfaces.get(PLATFORMS["sonic"].loopback)
        facts.loopback = lo.address.partition("/")[0] if lo and lo.address else None
    return out
