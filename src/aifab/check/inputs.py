"""What ``aifab check`` is pointed at: a build directory (``aifab.pipeline.open_target`` also takes an intent)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aifab.check.parse.text import CIDR, IPV4, all_match, cidr, ipv4
from aifab.design.model import Design, design_from_json
from aifab.errors import AifabError
from aifab.platforms import platform
from aifab.qos.defaults import buffer_model


class CheckInputError(AifabError):
    """The target is neither a build directory with design.json and configs/ nor an intent file."""

    exit_code = 2


@dataclass(frozen=True)
class Target:
    """A Design and the directory holding what was rendered from it."""

    design: Design
    build_dir: Path


def load_build_dir(path: Path) -> Target:
    """Read ``design.json`` of a build directory (which must also hold ``configs/``)."""
    design_file = path / "design.json"
    if not design_file.is_file():
        raise CheckInputError(f"{path}: not a build directory (no design.json); run aifab build first")
    if not (path / "configs").is_dir():
        raise CheckInputError(f"{path}: no configs/ directory; run aifab build first")
    try:
        design = design_from_json(design_file.read_bytes())
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise CheckInputError(f"{design_file}: {where}: {err['msg']} (is it from this aifab version?)") from None
    except OSError as exc:
        raise CheckInputError(f"{design_file}: cannot read ({exc.strerror or exc})") from None
    bad = _unreadable_address(design)
    if bad:
        raise CheckInputError(f"{design_file}: {bad} (is it from this aifab version?)")
    for device in design.devices():  # the platform record names each device's files and parser, the ASIC its buffers
        try:
            platform(device.platform)
        except KeyError as exc:
            raise CheckInputError(f"{design_file}: {device.name}: {exc.args[0]} (is it from this aifab version?)") from None
        try:
            buffer_model(device.platform, device.asic or None)
        except KeyError:
            raise CheckInputError(f"{design_file}: {device.name}: unknown ASIC {device.asic!r} (is it from this aifab "
                                  "version?)") from None
    return Target(design, path)


def _unreadable_address(design: Design) -> str | None:
    """The first address of ``design`` that is not one (pools, loopbacks, management, ports, BGP
    neighbours, server blocks, host NICs): where it is and what it holds; None when all are. Each
    kind is matched at once first (178k ports at 32k GPUs). A hand-edited design.json is the checks'
    oracle: garbage there is one error, not a check that passes."""
    for fabric in (design.backend, design.frontend):
        for pool in ("loopbacks", "p2p", "servers"):
            if not cidr(getattr(fabric, pool)):
                return f"{fabric.name} pool {pool}: {getattr(fabric, pool)!r} is not an IPv4 prefix"
    if not ipv4(design.management_gateway):
        return f"management gateway {design.management_gateway!r} is not an IPv4 address"
    devices = design.devices()
    ports = [p for d in devices for p in d.ports]
    neighbors = [n for d in devices for n in d.neighbors]
    nics = [n for h in design.hosts for n in h.nics]
    kinds: tuple[tuple[bool, list[Any], Callable[[], Iterator[tuple[str, Any]]]], ...] = (
        (False, [d.loopback for d in devices], lambda: ((f"{d.name}: loopback", d.loopback) for d in devices)),
        (True, [d.management for d in devices], lambda: ((f"{d.name}: management", d.management) for d in devices)),
        (True, [p.address for p in ports],
         lambda: ((f"{d.name}: port {p.name} address", p.address) for d in devices for p in d.ports)),
        (False, [p.peer_address for p in ports],
         lambda: ((f"{d.name}: port {p.name} peer address", p.peer_address) for d in devices for p in d.ports)),
        (False, [a for n in neighbors for a in (n.peer_address, n.local_address)],
         lambda: ((f"{d.name}: neighbour {n.peer} {what}", value) for d in devices for n in d.neighbors
                  for what, value in (("address", n.peer_address), ("local address", n.local_address)))),
        (True, [b for d in devices for b in d.server_subnets],
         lambda: ((f"{d.name}: server block", b) for d in devices for b in d.server_subnets)),
        (True, [a for n in nics for a in (n.address, n.reach)],
         lambda: ((f"{h.name}: NIC {n.name} {what}", value) for h in design.hosts for n in h.nics
                  for what, value in (("address", n.address), ("route", n.reach)))),
        (False, [n.gateway for n in nics], lambda: ((f"{h.name}: NIC {n.name} gateway", n.gateway)
                                                   for h in design.hosts for n in h.nics)),
    )
    for prefix, values, located in kinds:
        pattern, valid, what = (CIDR, cidr, "an IPv4 prefix") if prefix else (IPV4, ipv4, "an IPv4 address")
        if all_match(pattern, values):  # each one a string: design_from_json validated the types
            continue
        return next(f"{where} {value!r} is not {what}" for where, value in located() if not valid(value))
    return None
