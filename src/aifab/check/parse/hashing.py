"""The ECMP hash each platform's rendered files state, read back into neutral names
(``src_ip dst_ip ip_proto l4_src_port l4_dst_port``, plus ``roce_qp`` and ``dynamic``): EOS
``ip load-sharing``/sand profile lines, SONiC ``SWITCH_HASH``, Linux multipath sysctls
(docs/sources.md#load-balancing). An empty set: the files state no hash (the platform's default)."""

from __future__ import annotations

import re
from typing import Any

from aifab.render.loadbalance import EOS_SAND_IP, EOS_SAND_L4, EOS_TRIDENT, LINUX_BITS, LINUX_L3, LINUX_L4, SONIC, SONIC_QP

_EOS_TRIDENT = "\nip load-sharing trident fields ip "
_EOS_SAND = "\nload-balance policies\n"
_EOS_DLB = "\nip hardware fib load-balance distribution dynamic\n"
_SYSCTL = re.compile(r"^sysctl -w net\.ipv4\.(fib_multipath_hash_policy|fib_multipath_hash_fields)=(\S+)$", re.M)


def _words(mapping: dict[str, str], words: str) -> set[str]:
    back = {w: f for f, w in mapping.items()}
    return {back[w] for w in words.split() if w in back}


def _block(text: str, head: str) -> list[str]:
    """The lines after ``head`` (a whole line, found with str.find: a full config is megabytes) up to the
    first line that is not indented."""
    at = text.find(head)
    if at < 0:
        return []
    out = []
    start = at + len(head)
    for line in text[start:start + 4096].split("\n"):
        if not line.startswith(" "):
            break
        out.append(line)
    return out


def eos(text: str) -> frozenset[str]:
    """Hash fields an EOS running-config states."""
    out: set[str] = set()
    at = text.find(_EOS_TRIDENT)
    if at >= 0:
        out |= _words(EOS_TRIDENT, text[at + len(_EOS_TRIDENT):text.find("\n", at + 1)])
    for line in _block(text, _EOS_SAND):
        words = line.split()
        if words[:3] == ["fields", "ip", "outer"]:
            out |= _words(EOS_SAND_IP, " ".join(words[3:]))
        elif words[:3] == ["fields", "l4", "outer"]:
            out |= _words(EOS_SAND_L4, " ".join(words[3:]))
        elif words[:2] == ["payload", "bytes"]:
            out.add("roce_qp")
    if _EOS_DLB in text:
        out.add("dynamic")
    return frozenset(out)


def linux(links: str) -> frozenset[str]:
    """Hash fields a links.sh states with the kernel's multipath sysctls (policy 0/2: L3, 1: L4, 3: custom)."""
    values = dict(_SYSCTL.findall(links))
    policy = values.get("fib_multipath_hash_policy")
    if policy in ("0", "2"):
        return frozenset(LINUX_L3)
    if policy == "1":
        return frozenset(LINUX_L4)
    if policy == "3":
        try:
            mask = int(values.get("fib_multipath_hash_fields", "0"), 0)
        except ValueError:
            mask = 0
        return frozenset(f for f, bit in LINUX_BITS.items() if mask & bit)
    return frozenset()


def sonic(db: dict[str, Any]) -> frozenset[str]:
    """Hash fields of CONFIG_DB's ``SWITCH_HASH|GLOBAL`` (lists, or comma-separated strings)."""
    glob = db.get("SWITCH_HASH", {}).get("GLOBAL", {})

    def names(key: str) -> list[str]:
        value = glob.get(key, [])
        return value.split(",") if isinstance(value, str) else list(value) if isinstance(value, list) else []

    back = {w: f for f, w in SONIC.items()}
    out = {back[n] for n in names("ecmp_hash") if n in back}
    if any(n in SONIC_QP for n in names("ecmp_hash_ipv4_rdma")):
        out.add("roce_qp")
    return frozenset(out)
