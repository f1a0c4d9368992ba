"""What a healthy device shows after a deploy, derived from the Design (no device access)."""

from __future__ import annotations

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


def expectations(design: Design) -> dict[str, Expectation]:
    """Per device: every designed session up; on leaves, every other leaf's server block via all uplinks."""
    out = {}
    for fabric in design.fabrics:
        leaves = [d for d in fabric.devices if d.role == "leaf"]
        for dev in fabric.devices:
            routes = ()
            if dev.role == "leaf":
                routes = tuple(
                    RouteExpectation(block, str(IPNetwork(block).network + 1), _uplinks(dev))
                    for other in leaves if other.name != dev.name for block in other.server_subnets)
            out[dev.name] = Expectation(dev.name, tuple(n.peer_address for n in dev.neighbors), routes,
                                        fabric.bgp.hold_s, fabric.bgp.keepalive_s, fabric.bgp.bfd,
                                        tuple(n.peer for n in dev.neighbors))
    return out


def _uplinks(dev: Device) -> int:
    return sum(1 for p in dev.ports if p.role == "uplink")


def without_down(expect: Expectation, down: dict[str, dict[str, str]], degraded: bool) -> Expectation:
    """``expect`` less what links found down before the wave take away (``down``: device -> {peer
    address: peer}, from the health gates): the device's sessions on them are not required and,
    when its fabric has such a link (``degraded``), its routes need one path at least, not their
    designed ECMP width (the links lost are said at the gate)."""
    mine = down.get(expect.device, {})
    if not mine and not degraded:
        return expect
    kept = [(a, n) for a, n in zip(expect.peers, expect.peer_names or expect.peers, strict=False) if a not in mine]
    routes = tuple(replace(r, width=1, at_least=True) for r in expect.routes) if degraded else expect.routes
    return replace(expect, peers=tuple(a for a, _ in kept), peer_names=tuple(n for _, n in kept), routes=routes)
