"""What a healthy device shows after a deploy, derived from the Design (no device access)."""

from __future__ import annotations

from dataclasses import dataclass

from netaddr import IPNetwork

from aifab.design.model import Design, Device


@dataclass(frozen=True, slots=True)
class RouteExpectation:
    """A destination this device must reach over ``width`` equal-cost BGP paths."""

    prefix: str  # the advertised block, for messages
    probe: str  # an address inside it, looked up with get_route_to
    width: int


@dataclass(frozen=True, slots=True)
class Expectation:
    """BGP sessions that must be Established and routes that must be present with their ECMP width."""

    device: str
    peers: tuple[str, ...]
    routes: tuple[RouteExpectation, ...]


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
            out[dev.name] = Expectation(dev.name, tuple(n.peer_address for n in dev.neighbors), routes)
    return out


def _uplinks(dev: Device) -> int:
    return sum(1 for p in dev.ports if p.role == "uplink")
