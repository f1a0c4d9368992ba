"""What a healthy device shows after a deploy, derived from the Design (no device access)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from netaddr import IPNetwork

from aifab.design.model import Design, Device


@dataclass(frozen=True, slots=True)
class RouteExpectation:
    """A destination this device must reach over ``width`` equal-cost BGP paths."""

    prefix: str  # the advertised block, for messages
    probe: str  # an address inside it, looked up with get_route_to
    width: int
    at_least: bool = False  # ``width`` is a floor (links down before the wave), not the exact ECMP width


@dataclass(frozen=True, slots=True)
class Expectation:
    """BGP sessions that must be Established (with the fabric's timers negotiated, BFD up where the
    design enables it, prefixes sent and received) and routes present with their ECMP width."""

    device: str
    peers: tuple[str, ...]
    routes: tuple[RouteExpectation, ...]
    hold_s: int = 0  # the fabric's hold time, negotiated on every session (0: not checked)
    keepalive_s: int = 0
    bfd: bool = False  # every session has an up BFD peer
    peer_names: tuple[str, ...] = ()  # the device at the other end of each of ``peers``


Pair = frozenset[str]  # two devices whose links are down (a session found down at a health gate)


def expectations(design: Design, cut: frozenset[Pair] = frozenset()) -> dict[str, Expectation]:
    """Per device: every designed session up; on leaves, every other leaf's server block via all
    uplinks. In a fabric with a link in ``cut``, a leaf's routes need at least the paths the links
    still up leave it (:func:`_widths`; a link back up adds paths, never a failure)."""
    out = {}
    for fabric in design.fabrics:
        leaves = [d for d in fabric.devices if d.role == "leaf"]
        names = {d.name for d in fabric.devices}
        widths = _widths(fabric.devices, cut) if any(pair <= names for pair in cut) else None
        probes = {o.name: [(b, str(IPNetwork(b).network + 1)) for b in o.server_subnets] for o in leaves}
        for dev in fabric.devices:
            routes = ()
            if dev.role == "leaf":
                width = widths(dev) if widths else _designed(_uplinks(dev))
                routes = tuple(RouteExpectation(block, probe, width(other.name), at_least=widths is not None)
                               for other in leaves if other.name != dev.name for block, probe in probes[other.name])
            out[dev.name] = Expectation(dev.name, tuple(n.peer_address for n in dev.neighbors), routes,
                                        fabric.bgp.hold_s, fabric.bgp.keepalive_s, fabric.bgp.bfd,
                                        tuple(n.peer for n in dev.neighbors))
    return out


def _uplinks(dev: Device) -> int:
    return sum(1 for p in dev.ports if p.role == "uplink")


def _designed(width: int) -> Callable[[str], int]:
    return lambda _: width


def _widths(devices: list[Device], cut: frozenset[Pair]) -> Callable[[Device], Callable[[str], int]]:
    """Per leaf, the BGP paths it keeps to each other leaf over the links not in ``cut``: one per up
    uplink whose switch still has a route to that leaf, going down from it or up one link then
    down. No other way counts: it would come back through a switch of the same ASN (a pod's spines
    share one, so do the cores; a core reaches a pod through that pod's spine of its plane alone),
    and BGP's loop check drops it (RFC 4271 9.1.2, docs/sources.md#ebgp-underlay)."""
    index = {d.name: i for i, d in enumerate(d for d in devices if d.tier == 1)}
    by_name = {d.name: d for d in devices}
    below = {d.name: 1 << index[d.name] if d.tier == 1 else 0 for d in devices}  # leaves reached going down, as bits
    for tier in sorted({d.tier for d in devices if d.tier > 1}):
        for d in devices:
            for p in d.ports:
                top = by_name.get(p.peer) if p.role == "uplink" else None
                if top is not None and top.tier == tier and frozenset((d.name, top.name)) not in cut:
                    below[top.name] |= below[d.name]
    everyone = (1 << len(index)) - 1
    unreached = {}  # per switch a leaf's uplink reaches: the leaves it has no route to, as bits
    for s in {p.peer for d in devices if d.tier == 1 for p in d.ports if p.role == "uplink" and p.peer in by_name}:
        over = 0
        for p in by_name[s].ports:
            if p.role == "uplink" and p.peer in below and frozenset((s, p.peer)) not in cut:
                over |= below[p.peer]
        unreached[s] = everyone & ~(below[s] | over)

    def of(leaf: Device) -> Callable[[str], int]:
        up = [p.peer for p in leaf.ports if p.role == "uplink" and frozenset((leaf.name, p.peer)) not in cut]
        lost: dict[int, int] = {}  # per leaf (its bit), the up uplinks without a route to it: few
        for s in up:
            bits = unreached.get(s, everyone)
            while bits:
                low = bits & -bits
                lost[low] = lost.get(low, 0) + 1
                bits ^= low
        return lambda other: len(up) - lost.get(1 << index[other], 0)
    return of


def without_down(expect: Expectation, down: dict[str, dict[str, str]]) -> Expectation:
    """``expect`` without the device's sessions found down before the wave (``down``: device ->
    {peer address: peer}, from the health gates): the verify does not require them (the routes they
    take away are in :func:`expectations`' ``cut``)."""
    mine = down.get(expect.device, {})
    if not mine:
        return expect
    kept = [(a, n) for a, n in zip(expect.peers, expect.peer_names or expect.peers, strict=False) if a not in mine]
    return replace(expect, peers=tuple(a for a, _ in kept), peer_names=tuple(n for _, n in kept))
