"""SONiC ``config_db.json`` from the device view: Python dicts, dumped as sorted JSON.

Tables and field names follow SONiC's CONFIG_DB schema (sonic-buildimage yang models): ports and
addresses, the QoS maps, PFC, WRED/ECN, schedulers, the PFC watchdog and the buffer tables
(docs/sources.md#qos-defaults-sonic, #pfc-watchdog, #sonic-buffer-tables). Every value is a string, as SONiC stores them. BGP is in the device's
``frr.conf`` (the frr platform's templates), loaded by SONiC's bgp container in split mode.
"""

from __future__ import annotations

import json
from typing import Any

from aifab.catalog import breakout_mode, lookup
from aifab.platforms.sonic import SONIC_LANES
from aifab.render.view import DeviceView

QOS_MAP = "AIFAB"  # name of the SONiC QoS maps
CABLE_KEY = "AZURE"  # SONiC's buffer manager reads CABLE_LENGTH|AZURE
WRED_PROFILE = "AIFAB_LOSSLESS"
# The bgp container keeps the operator's integrated frr.conf in this mode (docs/sonic.md; "split" writes
# `no service integrated-vtysh-config`, which frr-reload.py refuses).
ROUTING_CONFIG_MODE = "split-unified"
DEVICE_TYPE = {1: "ToRRouter", 2: "LeafRouter", 3: "SpineRouter"}  # SONiC's T0/T1/T2 roles by tier

Table = dict[str, dict[str, str]]


def _ports(v: DeviceView) -> Table:
    """``PORT``: a breakout child takes its share of the front-panel port's lanes and the alias
    ``etp<port><a, b, ...>`` (sonic-buildimage's SN5600 and DS5000 port tables)."""
    out = {}
    for i in v.interfaces:
        lanes, alias = SONIC_LANES[i.gbps], f"etp{i.index}"
        first = (i.index - 1) * lanes
        if i.breakout:
            count, _ = breakout_mode(i.breakout)
            port_lanes = SONIC_LANES[count * i.gbps]
            lanes = port_lanes // count
            first, alias = (i.index - 1) * port_lanes + i.sub * lanes, f"etp{i.index}{'abcdefgh'[i.sub]}"
        out[i.name] = {"admin_status": "up", "alias": alias, "description": i.description,
                       "index": str(i.index), "lanes": ",".join(str(n) for n in range(first, first + lanes)),
                       "mtu": str(i.mtu), "speed": i.speed}
        if i.fec:
            out[i.name]["fec"] = i.fec
    return out


def _breakouts(v: DeviceView) -> Table:
    """``BREAKOUT_CFG``: the mode of every broken-out front-panel port, keyed by the port's own name (its
    first child's, SONiC's dynamic port breakout; docs/sources.md#breakouts)."""
    return {i.name: {"brkout_mode": i.breakout} for i in v.interfaces if i.breakout and i.sub == 0}


def _addresses(v: DeviceView) -> dict[str, Table]:
    interface: Table = {}
    for i in v.interfaces:
        interface[i.name] = {}
        interface[f"{i.name}|{i.address}"] = {}
    m = v.management
    return {
        "INTERFACE": interface,
        "LOOPBACK_INTERFACE": {v.loopback_name: {}, f"{v.loopback_name}|{v.loopback}": {}},
        "MGMT_INTERFACE": {f"{m.name}|{m.address}": {"gwaddr": m.gateway}},
        "MGMT_PORT": {m.name: {"admin_status": "up", "alias": m.name}},
    }


MGMT_VRF = "mgmt"  # SONiC's management VRF (MGMT_VRF_CONFIG), the one VRF name it accepts
SNMP_PORT = "161"


def _access(v: DeviceView) -> dict[str, Table]:
    """The way in, in CONFIG_DB (sonic-buildimage yang: sonic-mgmt_vrf, sonic-ntp, sonic-syslog,
    sonic-system-tacacs, sonic-system-radius, sonic-system-aaa, sonic-snmp). SSH needs no table: sshd
    runs in the management VRF once it is enabled. Local accounts are Linux accounts, not CONFIG_DB
    (see docs/render.md). Secrets are placeholders the deploy fills in."""
    a, m = v.access, v.management
    tables: dict[str, Table] = {"MGMT_VRF_CONFIG": {"vrf_global": {"mgmtVrfEnabled": "true"}}}
    if a.ntp:
        tables["NTP"] = {"global": {"vrf": MGMT_VRF, "src_intf": m.name}}
        tables["NTP_SERVER"] = {host: {"iburst": "on"} for host in a.ntp}
    if a.syslog:
        tables["SYSLOG_SERVER"] = {host: {"vrf": MGMT_VRF} for host in a.syslog}
    if a.tacacs:
        tables["TACPLUS"] = {"global": {"auth_type": "pap", "passkey": a.tacacs_key}}
        tables["TACPLUS_SERVER"] = {host: {"priority": str(len(a.tacacs) - i), "tcp_port": "49", "vrf": MGMT_VRF}
                                    for i, host in enumerate(a.tacacs)}
    if a.radius:
        tables["RADIUS"] = {"global": {"auth_type": "pap", "passkey": a.radius_key}}
        tables["RADIUS_SERVER"] = {host: {"priority": str(len(a.radius) - i), "vrf": MGMT_VRF}
                                   for i, host in enumerate(a.radius)}
    if a.login_groups:
        login = ",".join([*a.login_groups, *(["local"] if a.local_fallback else [])])
        tables["AAA"] = {"authentication": {"login": login, "failthrough": "true" if a.local_fallback else "false"}}
    if a.snmp:
        address = m.address.partition("/")[0]
        tables["SNMP_AGENT_ADDRESS_CONFIG"] = {f"{address}|{SNMP_PORT}|{MGMT_VRF}": {}}
        snmp: Table = {}
        if a.snmp_location:
            snmp["LOCATION"] = {"Location": a.snmp_location}
        if a.snmp_contact:
            snmp["CONTACT"] = {"Contact": a.snmp_contact}
        if snmp:
            tables["SNMP"] = snmp
        if a.snmp_community:
            tables["SNMP_COMMUNITY"] = {a.snmp_community: {"TYPE": "RO"}}
        if a.snmp_users:
            tables["SNMP_USER"] = {u.name: {
                "SNMP_USER_TYPE": "Priv", "SNMP_USER_PERMISSION": "RO",
                "SNMP_USER_AUTH_TYPE": "SHA", "SNMP_USER_AUTH_PASSWORD": u.auth,
                "SNMP_USER_ENCRYPTION_TYPE": "AES", "SNMP_USER_ENCRYPTION_PASSWORD": u.priv} for u in a.snmp_users}
    return tables


def _indexed(values: tuple[int, ...]) -> dict[str, str]:
    return {str(k): str(val) for k, val in enumerate(values)}


def _qos(v: DeviceView) -> dict[str, Table]:
    q = v.qos
    assert q is not None
    port_map = {"dscp_to_tc_map": QOS_MAP, "tc_to_queue_map": QOS_MAP, "tc_to_pg_map": QOS_MAP}
    if q.lossless:
        port_map |= {"pfc_to_queue_map": QOS_MAP, "pfc_enable": q.pfc_enable, "pfcwd_sw_enable": q.pfc_enable}
    tables: dict[str, Table] = {
        "DSCP_TO_TC_MAP": {QOS_MAP: _indexed(q.dscp_to_tc)},
        "TC_TO_QUEUE_MAP": {QOS_MAP: _indexed(q.tc_to_queue)},
        "TC_TO_PRIORITY_GROUP_MAP": {QOS_MAP: _indexed(q.tc_to_pg)},
        "PORT_QOS_MAP": {i.name: dict(port_map) for i in v.interfaces},
        "SCHEDULER": {f"scheduler.{t.id}": {"type": "STRICT"} if t.strict else {"type": "DWRR", "weight": str(t.weight)}
                      for t in q.tx_queues},
        "QUEUE": {},
    }
    if q.lossless:
        tables["MAP_PFC_PRIORITY_TO_QUEUE"] = {QOS_MAP: _indexed(q.tc_to_queue)}
    if q.ecn:
        e = q.ecn
        tables["WRED_PROFILE"] = {WRED_PROFILE: {
            "ecn": "ecn_all", "wred_green_enable": "true", "wred_yellow_enable": "true", "wred_red_enable": "true",
            **{f"{color}_{key}": val for color in ("green", "yellow", "red") for key, val in
               (("min_threshold", str(e.min_bytes)), ("max_threshold", str(e.max_bytes)),
                ("drop_probability", str(e.probability)))}}}
    for i in v.interfaces:
        for t in q.tx_queues:
            entry = {"scheduler": f"scheduler.{t.id}"}
            if t.ecn and q.ecn:
                entry["wred_profile"] = WRED_PROFILE
            tables["QUEUE"][f"{i.name}|{t.id}"] = entry
    if q.watchdog:
        w = q.watchdog
        tables["PFC_WD"] = {"GLOBAL": {"POLL_INTERVAL": str(w.polling_ms)}} | {
            i.name: {"action": w.action, "detection_time": str(w.detection_ms), "restoration_time": str(w.restoration_ms)}
            for i in v.interfaces}
    return tables


def _buffers(v: DeviceView) -> dict[str, Table]:
    b, q = v.buffers, v.qos
    assert b is not None and q is not None
    profiles: Table = {p.name: {"pool": p.pool, "size": str(p.size), "dynamic_th": str(p.dynamic_th)} for p in b.profiles}
    pg: Table = {}
    queue: Table = {}
    for i in v.interfaces:
        pg[f"{i.name}|0"] = {"profile": "ingress_lossy_profile"}
        if i.buffer is not None:
            h = i.buffer
            profiles[h.profile] = {"pool": "ingress_lossless_pool", "size": str(h.size), "xoff": str(h.xoff),
                                   "xon": str(h.xon), "dynamic_th": str(h.dynamic_th)}
            for n in h.pgs:
                pg[f"{i.name}|{n}"] = {"profile": h.profile}
        for qid in range(8):
            lossless = qid in q.pfc_priorities
            queue[f"{i.name}|{qid}"] = {"profile": "egress_lossless_profile" if lossless else "q_lossy_profile"}
    # Port profile lists name every pool's profile the port draws on (sonic-buildimage buffer templates'
    # BUFFER_PORT_INGRESS_PROFILE_LIST / BUFFER_PORT_EGRESS_PROFILE_LIST, docs/sources.md#sonic-buffer-tables).
    ingress = ",".join(p.name for p in b.profiles if p.name in ("ingress_lossless_profile", "ingress_lossy_profile"))
    egress = ",".join(p.name for p in b.profiles if p.name in ("egress_lossless_profile", "egress_lossy_profile"))
    return {
        "BUFFER_PORT_INGRESS_PROFILE_LIST": {i.name: {"profile_list": ingress} for i in v.interfaces},
        "BUFFER_PORT_EGRESS_PROFILE_LIST": {i.name: {"profile_list": egress} for i in v.interfaces},
        "BUFFER_POOL": {p.name: {"mode": p.mode, "size": str(p.size), "type": p.type} for p in b.pools},
        "BUFFER_PROFILE": profiles,
        "BUFFER_PG": pg,
        "BUFFER_QUEUE": queue,
        "CABLE_LENGTH": {CABLE_KEY: {i.name: i.cable for i in v.interfaces}},
    }


def _metadata(v: DeviceView) -> dict[str, str]:
    """``DEVICE_METADATA|localhost``. A catalog model gives its SONiC ``hwsku`` and ``platform``
    (docs/catalog.md); a generic switch gives none and keeps the device's own. ``mac`` is never written:
    it is the switch's base MAC from its EEPROM, which the deploy keeps (napalm_sonic merges this table)."""
    meta = {"hostname": v.hostname, "bgp_asn": str(v.bgp.asn), "type": DEVICE_TYPE[v.tier],
            "docker_routing_config_mode": ROUTING_CONFIG_MODE, "buffer_model": "traditional"}
    model = lookup(v.model)
    if model is not None and model.sonic_hwsku:
        meta |= {"hwsku": model.sonic_hwsku, "platform": model.sonic_platform}
    return meta


def _switch_hash(v: DeviceView) -> dict[str, Any]:
    """``SWITCH_HASH|GLOBAL``: the ECMP hash fields, and the RDMA packet type's with the destination QP
    (SONiC generic hash, docs/sources.md#load-balancing)."""
    lb = v.load_balance
    assert lb is not None
    hashes: dict[str, list[str]] = {"ecmp_hash": list(lb.sonic_fields)}
    if lb.sonic_rdma_fields:
        hashes["ecmp_hash_ipv4_rdma"] = list(lb.sonic_rdma_fields)
    return {"SWITCH_HASH": {"GLOBAL": hashes}}


def config_db(v: DeviceView) -> dict[str, Any]:
    """The device's CONFIG_DB tables."""
    db: dict[str, Any] = {
        "DEVICE_METADATA": {"localhost": _metadata(v)},
        "PORT": _ports(v),
        **_addresses(v),
        **({"BREAKOUT_CFG": breakouts} if (breakouts := _breakouts(v)) else {}),
        **_access(v),
    }
    if v.qos is not None:
        db |= _qos(v)
    if v.buffers is not None and v.qos is not None:
        db |= _buffers(v)
    if v.load_balance is not None:
        db |= _switch_hash(v)
    return db


def config_db_json(v: DeviceView) -> str:
    """``config_db.json`` text: sorted keys, 4-space indent (as ``sonic-cfggen`` prints it)."""
    return json.dumps(config_db(v), indent=4, sort_keys=True) + "\n"
