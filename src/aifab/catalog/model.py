"""The catalog's record types: one :class:`SwitchModel` per hardware model, one :class:`Asic` per chip.

Data only (no imports from the pipeline's stages), like ``aifab.platforms``: the design reads an entry
to size, name and clamp a switch; qos reads its ASIC's buffer; render reads its MMU dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

MmuDialect = Literal["trident", "none"]


def _frozen(mapping: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Asic:
    """A switch chip: its family, buffer (None where no public source gives it), EOS MMU dialect, and
    what its ECMP can do beyond a header hash (``dlb``, ``qp_hash``).

    ``buffer_model`` names the entry of ``aifab.qos.defaults.BUFFER_MODELS`` that holds its buffer
    size (and cell parameters), "" when no public figure exists.
    """

    name: str
    family: str  # "Broadcom Tomahawk 4", "NVIDIA Spectrum-3", ...
    buffer_model: str
    mmu: MmuDialect  # EOS `platform trident mmu` (Trident), or nothing EOS documents for this family
    source: str  # anchor in docs/sources.md
    dlb: bool = False  # dynamic (flowlet / adaptive) load balancing on ECMP groups (docs/sources.md#catalog-load-balancing)
    qp_hash: bool = False  # ECMP hash on the RoCE destination queue pair (UDP payload, BTH) (docs/sources.md#catalog-load-balancing)


@dataclass(frozen=True, slots=True)
class SwitchModel:
    """One switch model as its datasheet gives it.

    ``names`` maps a platform to its interface name pattern where the model differs from the
    platform's own (``aifab.platforms``): formatted with ``index`` (1-based front-panel port),
    ``lane`` (the interface's first SerDes lane, counted over the whole switch), ``sublane`` (its
    first lane within the port, 1-based: ``Ethernet1/5`` is the second 2x400G child of an 8-lane
    port), ``sub`` (the breakout child, 0-based), and on a chassis ``slot`` and ``port`` (line-card
    slot, port on the card). ``max_mtu`` is the largest interface MTU per platform (``default`` for
    others). ``breakouts`` lists, per port speed, the breakout modes the datasheet names
    (``"2x400G"``): the design breaks a leaf port out when its hosts' NICs are slower than the port
    and a mode fits (:meth:`fanout`). ``lanes`` is the electrical lanes of one port (8 on OSFP and
    QSFP-DD).
    """

    name: str
    vendor: str
    asic: str  # key of aifab.catalog.ASICS
    ports: int  # front-panel data ports (a chassis: all line-card ports when fully populated)
    speeds: tuple[int, ...]  # native port speeds, Gb/s, fastest first
    form_factor: str  # OSFP, QSFP-DD, QSFP28, ...
    max_mtu: Mapping[str, int]
    datasheet: str  # anchor in docs/sources.md
    names: Mapping[str, str] = field(default_factory=_frozen)
    breakouts: Mapping[int, tuple[str, ...]] = field(default_factory=_frozen)
    card_ports: int = 0  # a chassis: ports per line card (0: fixed system)
    first_slot: int = 1  # a chassis: slot of the first line card
    fec: Mapping[int, str] = field(default_factory=_frozen)  # FEC per port speed (Gb/s): "rs", "none"
    sonic_hwsku: str = ""  # SONiC HwSKU (sonic-buildimage device/<vendor>/<platform>/<hwsku>); "" unknown
    sonic_platform: str = ""  # SONiC platform string; "" unknown
    notes: str = ""  # what the datasheet does not give
    upgrades: tuple[str, ...] = ()  # in-service upgrade methods its vendor documents for it ("ssu", "warm-reboot")
    lanes: int = 8  # electrical lanes per front-panel port (OSFP, QSFP-DD: 8)
    chips: int = 1  # packet processors, each with the ASIC's buffer (a chassis: every line card's)

    def __post_init__(self) -> None:
        for name in ("max_mtu", "names", "breakouts", "fec"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def mtu_on(self, platform: str) -> int:
        """Largest interface MTU of this model on ``platform``."""
        return self.max_mtu.get(platform, self.max_mtu["default"])

    def port_name(self, platform: str, index: int, lane: int, sub: int = 0, count: int = 1) -> str | None:
        """Name of front-panel port ``index`` on ``platform`` (or of its breakout child ``sub`` of
        ``count``); None where the platform's own pattern applies."""
        pattern = self.names.get(platform)
        if pattern is None:
            return None
        card = self.card_ports or self.ports
        return pattern.format(index=index, lane=lane, slot=self.first_slot + (index - 1) // card,
                              port=(index - 1) % card + 1, sub=sub, sublane=sub * (self.lanes // count) + 1)

    def fanout(self, port_gbps: int, nic_gbps: int) -> int:
        """How many NICs of ``nic_gbps`` one port at ``port_gbps`` takes: the count of its breakout mode
        ``<n>x<nic>G`` (``2x400G`` on an 800G port: 2), else 1 (a whole port per NIC)."""
        if nic_gbps >= port_gbps:
            return 1
        counts = [int(m.split("x")[0]) for m in self.breakouts.get(port_gbps, ()) if m.split("x")[1] == f"{nic_gbps}G"]
        return max(counts, default=1)


def breakout_mode(mode: str) -> tuple[int, int]:
    """``"2x400G"`` -> (2, 400): the children and their speed (Gb/s)."""
    count, _, speed = mode.partition("x")
    return int(count), int(speed.rstrip("G"))
