"""PFC-deadlock freedom: no lossless flow can take a path that goes down a tier and up again
(docs/sources.md#pfc-deadlock).

A cyclic buffer dependency (PFC deadlock) needs a path that turns back up after going down (a
"valley": spine -> leaf -> spine). In an RFC 7938 fabric only BGP could send traffic that way: a
leaf re-advertises what one spine sent it to another spine, and that spine accepts it. It does not
when both spines share an ASN (AS-path loop prevention, RFC 4271 9.1.2) unless a knob defeats it:
``allowas-in`` on the accepting spine, or ``as-override`` / ``remove-private-as`` on the leaf.

:func:`valley_turns` reads every such turn from the rendered routing policy (each device's own
ASN and its knobs, parsed back, over the Design's sessions). None permitted means no route with a valley is
ever accepted, so none can carry traffic in the steady state, during any wave of a plan (drained
switches only remove or de-prefer routes) or after a failure. ``aifab.plan.simulate`` takes the
permitted turns and names the valley paths a wave would actually use.
"""

from __future__ import annotations

from typing import NamedTuple

from aifab.check.context import CheckContext

STRIPS = ("as-override", "remove-private-as")  # knobs of the sender that rewrite the AS path it sends


class Turn(NamedTuple):
    """Traffic may go ``above`` -> ``lower`` -> ``other`` (down, then up): ``above`` accepts the routes
    ``lower`` re-advertises from ``other``, for ``reason``."""

    above: str
    lower: str
    other: str
    reason: str

    @property
    def path(self) -> str:
        return f"{self.above} -> {self.lower} -> {self.other}"


def private_asn(asn: int) -> bool:
    """RFC 6996 private ASNs (2-byte 64512-65534, 4-byte 4200000000-4294967294)."""
    return 64512 <= asn <= 65534 or 4200000000 <= asn <= 4294967294


def valley_turns(ctx: CheckContext) -> list[Turn]:
    """Every down-then-up turn the rendered routing policy of a lossless fabric lets routes take
    (computed once per check run, shared by rule DLK001 and the engine's report)."""
    if "valley_turns" not in ctx.memo:
        ctx.memo["valley_turns"] = _turns(ctx)
    return ctx.memo["valley_turns"]


def _turns(ctx: CheckContext) -> list[Turn]:
    """The turns, from the Design's sessions (who peers with whom) and each parsed device's own ASN
    and knobs (what its rendered routing policy does with them)."""
    devices, facts = ctx.devices, ctx.facts
    any_knob = any(f.loop_knobs for f in facts.values())
    address_of = {(d.name, n.peer): n.peer_address for d in devices.values() for n in d.neighbors} if any_knob else {}

    def knobs(device: str, peer: str) -> frozenset[str]:
        """The knobs ``device`` has on its session to ``peer`` (on the address or its peer group)."""
        if not any_knob:
            return frozenset()
        f, address = facts[device], address_of.get((device, peer), "")
        group = f.bgp.neighbors[address].group if f.bgp and address in f.bgp.neighbors else None
        return f.loop_knobs.get(address, frozenset()) | (f.loop_knobs.get(group, frozenset()) if group else frozenset())

    out: list[Turn] = []
    for dev, f in ctx.checked():
        if dev.qos is None or not dev.qos.lossless or f.bgp is None:
            continue  # PFC deadlock needs PAUSE: only lossless fabrics
        above = sorted({n.peer for n in dev.neighbors if n.peer in facts and devices[n.peer].tier > dev.tier
                        and facts[n.peer].bgp is not None})
        if len(above) < 2:
            continue
        asn = {p: facts[p].bgp.asn for p in above}  # type: ignore[union-attr]
        strips = {p: knobs(dev.name, p) & set(STRIPS) for p in above}
        allows = {p: "allowas-in" in knobs(p, dev.name) for p in above}
        if len(set(asn.values())) == 1 and not any(strips.values()) and not any(allows.values()):
            continue  # the common case: one spine ASN, no knob
        for x in above:
            for y in above:
                if x == y:
                    continue
                if asn[x] != asn[y]:
                    why = f"{x} (AS {asn[x]}) and {y} (AS {asn[y]}) have different ASNs"
                elif allows[x]:
                    why = f"{x} has allowas-in on its session to {dev.name}"
                elif strips[x] and private_asn(asn[y]):
                    why = f"{dev.name} sends to {x} with {' and '.join(sorted(strips[x]))}"
                else:
                    continue
                out.append(Turn(x, dev.name, y, why))
    return out
