"""BGP: sessions pair up across a /31 with matching ASNs, unique router IDs, ECMP over every uplink.

RFC 7938 single-hop eBGP on /31 links (docs/sources.md#ebgp-underlay).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule


@rule("BGP001", Severity.ERROR, "BGP neighbors are on a connected subnet",
      "a single-hop eBGP session only comes up when the neighbor's address is on a connected subnet "
      "of this device and another switch holds it (RFC 7938)", costly=True)
def neighbor_on_link(ctx: CheckContext) -> Iterator[Hit]:
    for s in ctx.sessions:
        dev, n = s.device, s.neighbor
        if s.local is None:
            yield Hit(dev.fabric, dev.name, n.address, f"neighbor {n.address} is on no connected subnet of {dev.name}")
        elif s.peer is None:
            yield Hit(dev.fabric, dev.name, n.address, f"no switch holds neighbor address {n.address}")


@rule("BGP002", Severity.ERROR, "remote-as equals the peer's ASN",
      "eBGP refuses an OPEN whose ASN is not the configured remote-as; the session never establishes", costly=True)
def remote_as_matches(ctx: CheckContext) -> Iterator[Hit]:
    for s in ctx.sessions:
        peer_bgp = ctx.facts[s.peer].bgp if s.peer else None
        if peer_bgp is not None and s.neighbor.remote_as != peer_bgp.asn:
            yield Hit(s.device.fabric, s.device.name, s.neighbor.address,
                      f"remote-as {s.neighbor.remote_as} for {s.peer} ({s.neighbor.address}), whose local ASN is {peer_bgp.asn}")


@rule("BGP003", Severity.ERROR, "both sides of every session are configured",
      "a session configured on one side only never comes up; every designed session must exist on both ends", costly=True)
def sessions_both_sides(ctx: CheckContext) -> Iterator[Hit]:
    seen: set[tuple[str, str]] = set()
    for dev, facts in ctx.checked():
        mine = facts.bgp.neighbors if facts.bgp else {}
        for d in dev.neighbors:
            if d.peer_address not in mine:
                seen.add((dev.name, d.peer_address))
                yield Hit(dev.fabric, dev.name, d.peer_address, f"designed session to {d.peer} ({d.peer_address}) is not configured")
    for s in ctx.sessions:
        if s.peer is None or s.local is None or not s.local.address:
            continue
        theirs = ctx.facts[s.peer].bgp
        back = s.local.address.partition("/")[0]
        if theirs is not None and back in theirs.neighbors:
            continue  # the other side has it (the common case: decided before building a key)
        if (s.peer, back) not in seen:
            seen.add((s.peer, back))
            yield Hit(ctx.devices[s.peer].fabric, s.peer, back,
                      f"{s.device.name} peers with {s.neighbor.address} but {s.peer} has no neighbor {back}")


@rule("BGP004", Severity.ERROR, "router IDs are unique",
      "two speakers with one router ID drop each other's routes as loops and break best-path tie-breaks", costly=True)
def unique_router_ids(ctx: CheckContext) -> Iterator[Hit]:
    holders: dict[str, list[str]] = defaultdict(list)
    for dev, facts in ctx.checked():
        if facts.bgp and facts.bgp.router_id:
            holders[facts.bgp.router_id].append(dev.name)
    for rid, names in holders.items():
        if len(names) > 1:
            for name in names:
                others = ", ".join(n for n in names if n != name)
                yield Hit(ctx.devices[name].fabric, name, "", f"router-id {rid} is also used by {others}")


@rule("BGP005", Severity.ERROR, "ECMP width equals the number of uplinks",
      "with maximum-paths below the uplink count some uplinks carry no traffic and the tier is oversubscribed", costly=True)
def ecmp_width(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts in ctx.checked():
        if facts.bgp is None:
            continue
        uplinks = sum(1 for p in dev.ports if p.role == "uplink")
        per_peer: dict[str, int] = defaultdict(int)
        for n in dev.neighbors:
            per_peer[n.peer] += 1
        want = uplinks or max(per_peer.values(), default=1)
        got = facts.bgp.maximum_paths or 1
        if got != want:
            what = f"{uplinks} uplinks" if uplinks else f"{want} parallel links to one peer"
            yield Hit(dev.fabric, dev.name, "", f"maximum-paths {got}, but the device has {what}")
