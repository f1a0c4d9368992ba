"""CONFIG_DB candidates: what the deploy hands over, the config it means, and the JSON Patch to get there.

A candidate is text, one of:
- a JSON object ``{"config_db": {TABLE: {KEY: {FIELD: VALUE}}}, "frr": "<frr.conf text>"}`` (either key
  may be left out);
- a JSON object of CONFIG_DB tables alone (a ``config_db.json``);
- anything else: FRR configuration text alone.

Replace semantics per table the candidate holds (tables it does not hold are never touched):
- a table of ``MERGED`` (hardware facts and the management plumbing): the candidate's entries and
  fields are set, everything else the device has is kept (mac, platform, lanes and breakout modes of unused ports,
  the management address the session runs over);
- any other table is owned: after the commit it holds exactly the candidate's entries.
A merge candidate treats every table as ``MERGED`` (nothing is removed).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

MERGED = frozenset({"DEVICE_METADATA", "PORT", "BREAKOUT_CFG", "MGMT_PORT", "MGMT_INTERFACE", "MGMT_VRF_CONFIG"})
# DEVICE_METADATA fields that take effect only when services restart: a device whose value differs
# has not been set up by aifab yet and gets the whole config with ``config reload`` (docs/sonic.md).
RELOAD_FIELDS = ("docker_routing_config_mode", "buffer_model")
# QoS, PFC, ECN and buffer tables read back by the QoS getter.
QOS_TABLES = ("BUFFER_POOL", "BUFFER_PROFILE", "BUFFER_PG", "BUFFER_QUEUE", "CABLE_LENGTH", "DSCP_TO_TC_MAP",
              "TC_TO_QUEUE_MAP", "TC_TO_PRIORITY_GROUP_MAP", "MAP_PFC_PRIORITY_TO_QUEUE", "PORT_QOS_MAP",
              "QUEUE", "SCHEDULER", "WRED_PROFILE", "PFC_WD")

Table = dict[str, dict[str, Any]]
ConfigDb = dict[str, Table]


@dataclass(frozen=True)
class Candidate:
    """The two parts of a SONiC candidate; ``None`` for a part the candidate does not carry."""

    config_db: ConfigDb | None
    frr: str | None


def parse(text: str) -> Candidate:
    """Read a candidate (see the module docstring); raises ValueError naming what is wrong."""
    if not text.lstrip().startswith("{"):
        return Candidate(None, text)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"candidate is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError("candidate JSON must be a non-empty object")
    if set(data) <= {"config_db", "frr"}:
        frr = data.get("frr")
        if frr is not None and not isinstance(frr, str):
            raise ValueError('candidate "frr" must be the frr.conf text (a string)')
        db = data.get("config_db")
        return Candidate(None if db is None else _tables(db), frr)
    return Candidate(_tables(data), None)


def _tables(data: Any) -> ConfigDb:
    if not isinstance(data, dict):
        raise ValueError('candidate "config_db" must be an object of CONFIG_DB tables')
    for table, entries in data.items():
        if not isinstance(entries, dict):
            raise ValueError(f"config_db table {table} must be an object of entries")
        for key, fields in entries.items():
            if not isinstance(fields, dict):
                raise ValueError(f"config_db entry {table}|{key} must be an object of fields")
    return data


def target(running: ConfigDb, candidate: ConfigDb, merge: bool = False) -> ConfigDb:
    """The whole CONFIG_DB the device should hold once ``candidate`` is applied to ``running``."""
    out = copy.deepcopy(running)
    for table, entries in candidate.items():
        if merge or table in MERGED:
            have = out.setdefault(table, {})
            for key, fields in entries.items():
                have.setdefault(key, {}).update(copy.deepcopy(fields))
        elif entries:
            out[table] = copy.deepcopy(entries)
        else:
            out.pop(table, None)  # Generic Config Updater allows no empty table
    return out


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """RFC 6902 operations that turn ``old`` into ``new`` (objects compared member by member)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [{"op": "replace", "path": path, "value": new}]
    ops: list[dict[str, Any]] = []
    for key in sorted(set(old) | set(new)):
        sub = f"{path}/{_escape(key)}"
        if key not in new:
            ops.append({"op": "remove", "path": sub})
        elif key not in old:
            ops.append({"op": "add", "path": sub, "value": new[key]})
        else:
            ops += diff(old[key], new[key], sub)
    return ops


def shown(running: ConfigDb, patch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``patch`` as compare_config shows it: each replace and remove with the value it takes away
    (``was``, read from ``running``), which the operator and aifab's change classes read; the patch
    the device applies has no such member."""
    out = []
    for op in patch:
        if op["op"] in ("replace", "remove"):
            node: Any = running
            for token in op["path"].split("/")[1:]:
                node = node[token.replace("~1", "/").replace("~0", "~")]
            op = {**op, "was": node}
        out.append(op)
    return out


def _escape(key: str) -> str:
    """A JSON Pointer reference token (RFC 6901): ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return key.replace("~", "~0").replace("/", "~1")


def needs_reload(running: ConfigDb, candidate: ConfigDb) -> bool:
    """True when the device runs a DEVICE_METADATA the candidate would change in a field of ``RELOAD_FIELDS``."""
    want = candidate.get("DEVICE_METADATA", {}).get("localhost", {})
    have = running.get("DEVICE_METADATA", {}).get("localhost", {})
    return any(f in want and have.get(f) != want[f] for f in RELOAD_FIELDS)


def running(show_all: str) -> ConfigDb:
    """The CONFIG_DB of ``show runningconfiguration all`` (its ``bgpraw`` member, FRR's text, left out)."""
    data = json.loads(show_all)
    if not isinstance(data, dict):
        raise ValueError("show runningconfiguration all printed no JSON object")
    data.pop("bgpraw", None)
    return data
