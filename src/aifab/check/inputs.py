"""What ``aifab check`` is pointed at: a build directory (``aifab.pipeline.open_target`` also takes an intent)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from aifab.check.parse.text import CIDR, all_match, cidr, ipv4
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
    """The first address of ``design`` the rules read as an integer (pools, loopbacks, port
    addresses) that is not one: where it is and what it holds; None when all are. The ports' are
    matched at once first (178k at 32k GPUs)."""
    for fabric in (design.backend, design.frontend):
        for pool in ("loopbacks", "p2p", "servers"):
            if not cidr(getattr(fabric, pool)):
                return f"{fabric.name} pool {pool}: {getattr(fabric, pool)!r} is not an IPv4 prefix"
    devices = design.devices()
    for dev in devices:
        if not ipv4(dev.loopback):
            return f"{dev.name}: loopback {dev.loopback!r} is not an IPv4 address"
    if all_match(CIDR, [p.address for d in devices for p in d.ports]):
        return None
    return next(f"{d.name}: port {p.name} address {p.address!r} is not an IPv4 prefix"
                for d in devices for p in d.ports if not cidr(p.address))
