"""Parse EOS running-config text (``configs/<device>.cfg``) with ttp into DeviceFacts.

ttp matches indentation literally: EOS indents each level by three spaces.
"""

from __future__ import annotations

import re

from aifab.check.parse.facts import DeviceFacts
from aifab.check.parse.text import device_facts, run_ttp

TEMPLATE = """
<group name="system">
hostname {{ hostname }}
</group>

<group name="interfaces*">
interface {{ name }}
   description {{ description | re(".+") }}
   shutdown {{ shutdown | set(True) }}
   mtu {{ mtu | to_int }}
   speed {{ speed | re(".+") }}
   ip address {{ address }}
</group>

<group name="prefix_lists*">
ip prefix-list {{ name }}
   seq {{ entries | re(".+") | joinmatches }}
</group>

<group name="route_maps*">
route-map {{ name }} {{ action }} {{ seq | to_int }}
   match ip address prefix-list {{ prefix_list }}
</group>

<group name="bgp">
router bgp {{ asn | to_int }}
   router-id {{ router_id }}
   maximum-paths {{ maximum_paths | to_int }}
   maximum-paths {{ maximum_paths | to_int }} ecmp {{ ecmp | to_int }}
   neighbor {{ neighbor_lines | re(".+") | joinmatches }}
   network {{ network_lines | re(".+") | joinmatches }}
   aggregate-address {{ aggregate_lines | re(".+") | joinmatches }}
   redistribute {{ redistribute_lines | re(".+") | joinmatches }}
</group>
"""

_SPEED = re.compile(r"(?:forced )?(\d+)(g|full)")


def speed(setting: str) -> int | None:
    """EOS speed keyword -> Gb/s: ``400g-8`` -> 400, ``forced 25gfull`` -> 25, ``forced 10000full`` -> 10."""
    m = _SPEED.match(setting)
    if not m:
        return None
    value = int(m.group(1))
    return value // 1000 if m.group(2) == "full" else value


def default_mtu(interface: str) -> int | None:
    """EOS routed Ethernet ports default to MTU 1500 when no ``mtu`` line is present."""
    return 1500 if interface.startswith("Ethernet") else None


def parse(items: list[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})``; the EOS text is the ``cfg`` file."""
    parsed = run_ttp(TEMPLATE, [texts["cfg"] for _, _, texts in items])
    return [device_facts(dev, "eos", files, p, speed, default_mtu, "peer group")
            for (dev, files, _), p in zip(items, parsed, strict=True)]
