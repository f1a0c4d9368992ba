"""BGP neighbor knobs that defeat AS-path loop prevention, read from a rendered routing config (EOS
running-config or frr.conf, global or address-family lines): ``allowas-in`` on the receiver,
``as-override`` and ``remove-private-as`` on the sender. The deadlock proof (``aifab.check.deadlock``)
needs them: with them a route can go down a tier and up again (docs/sources.md#pfc-deadlock)."""

from __future__ import annotations

import re

_KNOB = re.compile(r"^[ ]+neighbor (\S+) (allowas-in|as-override|remove-private-as)\b", re.M | re.I)


def loop_knobs(text: str) -> dict[str, frozenset[str]]:
    """Neighbor address or peer group -> the knobs configured on it."""
    if "allowas-in" not in text and "as-override" not in text and "remove-private-" not in text:
        return {}  # the rendered configs have none: skip the scan of a megabyte config
    out: dict[str, set[str]] = {}
    for name, knob in _KNOB.findall(text):
        out.setdefault(name, set()).add(knob.lower())
    return {k: frozenset(v) for k, v in out.items()}
