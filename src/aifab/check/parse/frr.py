"""Parse frr.conf text (``configs/<device>.frr.conf``, also SONiC's BGP file) with ttp into DeviceFacts.

FRR indents by one space per level (two inside ``address-family``); ttp matches indentation literally.
frr.conf carries no MTU or speed: the Linux host (or SONiC's config_db.json) sets those.
"""

from __future__ import annotations

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
 ip address {{ address }}
</group>

<group name="prefix_lists*">
ip prefix-list {{ name }} seq {{ entries | re(".+") | joinmatches }}
</group>

<group name="route_maps*">
route-map {{ name }} {{ action }} {{ seq | to_int }}
 match ip address prefix-list {{ prefix_list }}
</group>

<group name="bgp">
router bgp {{ asn | to_int }}
 bgp router-id {{ router_id }}
 neighbor {{ neighbor_lines | re(".+") | joinmatches }}
  maximum-paths {{ maximum_paths | to_int }}
  network {{ network_lines | re(".+") | joinmatches }}
  aggregate-address {{ aggregate_lines | re(".+") | joinmatches }}
  redistribute {{ redistribute_lines | re(".+") | joinmatches }}
</group>
"""


def _no_speed(_: str) -> int | None:
    return None


def _no_mtu(_: str) -> int | None:
    return None


def parse_texts(items: list[tuple[str, str, tuple[str, ...], str]]) -> list[DeviceFacts]:
    """Facts for each ``(device, platform, file names, frr.conf text)``."""
    parsed = run_ttp(TEMPLATE, [text for _, _, _, text in items])
    return [device_facts(dev, platform, files, p, _no_speed, _no_mtu, "peer-group")
            for (dev, platform, files, _), p in zip(items, parsed, strict=True)]


def parse(items: list[tuple[str, tuple[str, ...], dict[str, str]]]) -> list[DeviceFacts]:
    """Facts for each ``(device, file names, {suffix: text})`` of the frr platform."""
    return parse_texts([(dev, "frr", files, texts["frr.conf"]) for dev, files, texts in items])
