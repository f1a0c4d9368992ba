"""Parse SONiC's files: ``config_db.json`` (json: ports, addresses, QoS maps, PFC, watchdog,
schedulers, WRED, buffers) and frr.conf (ttp, as on the frr platform) for BGP."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from aifab.check.parse import frr, hashing
from aifab.check.parse.facts import Access, DeviceFacts, Ecn, Headroom, Interface
from aifab.check.parse.text import ParseError, cidr
from aifab.platforms import SONIC


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


def _shape(dev: str, db: Any) -> None:
    """CONFIG_DB's shape (what SONiC's YANG models let ``config apply-patch`` load): tables of
    entries, each entry's fields a string (a list of strings in ``SWITCH_HASH``, the Generic Hash
    design's field lists: docs/sources.md#load-balancing). ParseError naming the first that is not."""
    if not isinstance(db, dict):
        raise ParseError(f"{dev}.config_db.json: not a JSON object")
    for table, entries in db.items():
        if not isinstance(entries, dict):
            raise ParseError(f"{dev}.config_db.json: {table} is not an object of entries")
        for key, entry in entries.items():
            if not isinstance(entry, dict):
                raise ParseError(f"{dev}.config_db.json: {table}|{key} is not an object of fields")
            for field, value in entry.items():
                listed = table == "SWITCH_HASH" and isinstance(value, list) and all(isinstance(v, str) for v in value)
                if not (isinstance(value, str) or listed):
                    raise ParseError(f"{dev}.config_db.json: {table}|{key} field {field!r}: {json.dumps(value)} is not a string")


def _number(value: str, where: str) -> int:
    """A field that must be a whole number (a DSCP, a traffic class); ParseError naming ``where``."""
    if not value.isdigit():
        raise ParseError(f"{where}: {value!r} is not a number")
    return int(value)


def _addresses(facts: DeviceFacts, db: dict[str, Any]) -> None:
    for table in ("INTERFACE", "LOOPBACK_INTERFACE", "MGMT_INTERFACE"):
        for key in db.get(table, {}):
            name, _, address = key.partition("|")
            if cidr(address):
                _iface(facts, name).address = address
            elif address:
                _iface(facts, name).bad_address = address
    first: dict[str, tuple[int, str]] = {}  # front-panel index -> its first lane and that interface
    for name, port in db.get("PORT", {}).items():
        iface = _iface(facts, name)
        iface.mtu, iface.description = _int(port.get("mtu")), port.get("description")
        mbps = _int(port.get("speed"))
        iface.speed = mbps // 1000 if mbps else None
        iface.shutdown = port.get("admin_status", "up") != "up"
        numbers = [_int(n) for n in str(port.get("lanes", "")).split(",")]
        if numbers and None not in numbers and "index" in port:
            iface.lanes = range(min(numbers), max(numbers) + 1)  # type: ignore[type-var]
            first[port["index"]] = min(first.get(port["index"], (iface.lanes.start, name)), (iface.lanes.start, name))
    breakouts = db.get("BREAKOUT_CFG", {})
    for name, port in db.get("PORT", {}).items():
        iface = facts.interfaces[name]
        if iface.lanes is not None:  # lanes within the front-panel port; its mode is its first interface's
            start, root = first[port["index"]]
            iface.lanes = range(iface.lanes.start - start, iface.lanes.stop - start)
            iface.breakout = breakouts.get(root, {}).get("brkout_mode")


def _per_queue(db: dict[str, Any], table: str) -> Iterator[tuple[str, range, dict[str, Any]]]:
    """``TABLE["Ethernet0|3"]`` (or ``"Ethernet0|3-4"``) -> (port, queues or priority groups, entry)."""
    for key, entry in db.get(table, {}).items():
        port, _, ids = key.partition("|")
        first, _, last = ids.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            yield port, range(int(first), int(last or first) + 1), entry


def _qos(dev: str, facts: DeviceFacts, db: dict[str, Any]) -> None:
    """Per port: DSCP map, PFC priorities, watchdog, strict queues, ECN and headroom. Values that come
    from a named map or profile are built once per name and shared (read-only) by the ports using it."""
    maps = {name: {_number(d, f"{dev}.config_db.json: DSCP_TO_TC_MAP|{name} DSCP"):
                   _number(t, f"{dev}.config_db.json: DSCP_TO_TC_MAP|{name} traffic class of DSCP {d}") for d, t in m.items()}
            for name, m in db.get("DSCP_TO_TC_MAP", {}).items()}
    pfc_of: dict[str, frozenset[int]] = {}
    watched: dict[str, frozenset[int] | None] = {}  # port -> pfcwd_sw_enable priorities (None: not stated)
    for name, qos in db.get("PORT_QOS_MAP", {}).items():
        iface = _iface(facts, name)
        if qos.get("dscp_to_tc_map") in maps:
            iface.dscp_to_tc = maps[qos["dscp_to_tc_map"]]
        enable = str(qos.get("pfc_enable", ""))
        if enable not in pfc_of:
            pfc_of[enable] = frozenset(int(p) for p in enable.split(",") if p.strip().isdigit())
        iface.pfc = pfc_of[enable]
        wd = qos.get("pfcwd_sw_enable")
        watched[name] = None if wd is None else frozenset(int(p) for p in str(wd).split(",") if p.strip().isdigit())
    wred, profiles = db.get("WRED_PROFILE", {}), db.get("BUFFER_PROFILE", {})
    strict_schedulers = {name for name, s in db.get("SCHEDULER", {}).items() if s.get("type") == "STRICT"}
    ecn_of: dict[str, Ecn | None] = {}
    strict: dict[str, list[int]] = {}
    iface = None
    for port, queues, entry in _per_queue(db, "QUEUE"):
        if iface is None or iface.name != port:  # a port's queues come together
            iface = _iface(facts, port)
        if entry.get("scheduler") in strict_schedulers:
            strict.setdefault(port, []).extend(queues)
        profile = entry.get("wred_profile")
        if profile not in ecn_of:
            wp = wred.get(profile, {})
            ecn_of[profile] = Ecn(_int(wp.get("green_min_threshold")), _int(wp.get("green_max_threshold")),
                                  _int(wp.get("green_drop_probability"))) if wp.get("ecn", "ecn_none") != "ecn_none" else None
        ecn = ecn_of[profile]
        if ecn is not None:
            for q in queues:
                iface.ecn[q] = ecn
    for port, queues in strict.items():
        facts.interfaces[port].strict = frozenset(queues)
    headroom_of: dict[str, Headroom | None] = {}
    iface = None
    for port, pgs, entry in _per_queue(db, "BUFFER_PG"):
        if iface is None or iface.name != port:
            iface = _iface(facts, port)
        profile = entry.get("profile")
        if profile not in headroom_of:
            bp = profiles.get(profile, {})
            headroom_of[profile] = Headroom(_int(bp.get("size")) or 0, _int(bp.get("xoff")), _int(bp.get("xon")),
                                            bp.get("pool")) if "xoff" in bp else None
        headroom = headroom_of[profile]
        if headroom is not None:
            for pg in pgs:
                iface.headroom[pg] = headroom
    watchdog = db.get("PFC_WD", {})
    for iface in facts.interfaces.values():
        if iface.pfc:
            iface.watchdog = iface.name in watchdog
        # the PFC watchdog runs on a port in PFC_WD, on its pfcwd_sw_enable priorities (SONiC's default:
        # the port's lossless priorities); nowhere else
        on = watched.get(iface.name)
        iface.watchdog_priorities = (iface.pfc if on is None else on) if iface.name in watchdog else frozenset()


def _access(db: dict[str, Any]) -> Access:
    """SONiC's way in: sshd always runs (in the management VRF once MGMT_VRF_CONFIG enables it); the
    local accounts are Linux accounts outside CONFIG_DB; AAA|authentication's login list decides
    whether they may log in, asking the TACACS+/RADIUS servers it names."""
    methods = str(db.get("AAA", {}).get("authentication", {}).get("login", "local")).split(",")
    tables = {"tacacs+": "TACPLUS_SERVER", "radius": "RADIUS_SERVER"}
    servers = sum(len(db.get(tables[m], {})) for m in methods if m in tables)
    vrf = "mgmt" if db.get("MGMT_VRF_CONFIG", {}).get("vrf_global", {}).get("mgmtVrfEnabled") == "true" else "default"
    return Access(SONIC.management, vrf, None, methods[-1:] == ["local"], servers, True)


def parse(devices: Iterable[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})`` of the sonic platform."""
    items = list(devices)
    out = frr.parse_texts([(dev, "sonic", files, texts["frr.conf"]) for dev, files, texts in items])
    for facts, (dev, _, texts) in zip(out, items, strict=True):
        try:
            db = json.loads(texts["config_db.json"])
        except json.JSONDecodeError as exc:
            raise ParseError(f"{dev}.config_db.json: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        _shape(dev, db)
        names = [h for h in (db.get("DEVICE_METADATA", {}).get("localhost", {}).get("hostname"), facts.hostname) if h]
        facts.hostname = next((h for h in names if h != dev), names[0] if names else None)  # a wrong name wins
        _addresses(facts, db)
        _qos(dev, facts, db)
        facts.access = _access(db)
        facts.ecmp_hash = hashing.sonic(db)
        lo = facts.interfaces.get(SONIC.loopback)
        facts.loopback = lo.address.partition("/")[0] if lo and lo.address else None
    return out
