"""The platform record and its registry: every fact about one platform, in one place.

A record holds data only: template paths, dotted references (``"module:function"``) that the
stage using them resolves lazily with :func:`resolve`, numbers and names. This module imports
nothing from the pipeline's stages, so every stage can read it and data flows one way.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

KB = 1000  # the intent's ``min_kb``/``max_kb`` and the vendors' "KB" (Cumulus writes 150 KB as 150000 bytes)
MIB = 1024 * 1024

BatfishLayout = Literal["arista", "cumulus", "sonic"]


def _frozen(mapping: Mapping[Any, Any] | None = None) -> Mapping[Any, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class QosDefaults:
    """A platform's RoCEv2 defaults (docs/sources.md#qos-common, #pfc-watchdog) and the buffer it assumes (docs/sources.md#buffer-sizes)."""

    headroom_model: Literal["ieee", "cell"]  # IEEE 802.1Qbb budget, or SONiC's cell model
    ecn_min_bytes: int
    ecn_max_bytes: int
    ecn_probability: int  # %
    buffer_model: str  # key of aifab.qos.defaults.BUFFER_MODELS unless the switch model names its own
    source: str


@dataclass(frozen=True, slots=True)
class UpgradeMethod:
    """One way a platform changes its software version (docs/impact.md#software-upgrades).

    ``needs``: the switch model must list it among its ``upgrades`` (``aifab.catalog``), "" always
    available; ``impact``: an impact class of ``aifab.plan.impact``; ``work_s``: the step's
    estimated duration; ``source``: the docs/sources.md anchor that documents it.
    """

    name: str
    what: str
    impact: str
    work_s: int
    source: str
    needs: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Platform:
    """Everything the pipeline knows about one platform.

    ``outputs`` maps a file suffix (``configs/<device>.<suffix>``) to a Jinja2 template path under
    ``template_root`` (``"eos/running-config.j2"``) or to a producer ``"module:function"`` taking
    the device view. Dotted references (``parser``, ``view`` and producers) are resolved by the
    stage that uses them, never imported here.
    """

    name: str
    outputs: Mapping[str, str]
    pushed: str  # the suffix of the file Nornir pushes
    templates: str  # the platform's template folder under ``template_root``
    parser: str  # "module:function": (device, file names, {suffix: text}) items -> [DeviceFacts]
    qos: QosDefaults
    loopback: str  # loopback interface name
    management: str  # out-of-band management interface name
    port_name: str  # front-panel port name, formatted with ``index`` (1-based) and ``lane`` (its first lane)
    snippets: str = ""  # folder of drain.j2 / undrain.j2 under ``template_root`` ("" = ``templates``)
    template_root: str | None = None  # a directory of template folders; None = the package's aifab/templates
    view: str | None = None  # "module:function": (Device, QosView | None) -> the platform's own view (``d.native``)
    container_management: str = ""  # management interface in a container lab ("" = ``management``)
    lanes: Mapping[int, int] = field(default_factory=_frozen)  # SerDes lanes per port speed (Gb/s), where names use them
    speed_names: Mapping[int, str] = field(default_factory=_frozen)  # speed setting per Gb/s; empty: Mb/s as a number
    sorted_interfaces: bool = True  # interfaces in natural name order (swp9 before swp10); False: the Design's order
    management_vrf: str = ""  # VRF of the management interface ("" = the default table)
    maintenance: bool = False  # drains with a BGP maintenance profile (EOS) rather than GSHUT alone
    bgp_default_timers: tuple[int, int] | None = None  # keepalive/hold the config omits at these values
    zebra_interfaces: bool = False  # addresses written as frr.conf interface sections
    napalm_driver: str | None = None  # NAPALM driver name ``get_network_driver`` finds
    napalm_extras: Mapping[str, Any] = field(default_factory=_frozen)  # Nornir connection_options.napalm.extras
    deploys: bool = False  # ``aifab deploy`` pushes it
    # The pushed files and how they bundle into the driver's candidate: output suffix -> key of the
    # JSON object the driver loads. Empty: the ``pushed`` file alone, as plain text.
    bundle: Mapping[str, str] = field(default_factory=_frozen)
    lab_boots: bool = False  # the FRR network-namespace lab can boot its pushed file
    zebra_modules: tuple[str, ...] = ()  # zebra modules (``-M``) FRR needs to accept the pushed frr.conf
    batfish: BatfishLayout | None = None  # Batfish snapshot layout; None: not sent to Batfish
    max_mtu: int = 9216  # largest interface MTU the OS accepts on a routed port (a switch model may allow less)
    upgrades: tuple[UpgradeMethod, ...] = ()  # software upgrade methods, preferred first; the last needs nothing
    # A breakout child's name, formatted like ``port_name`` plus ``sub`` (the child, 0-based) and
    # ``sublane`` (its first lane within the port, 1-based); "" where the platform has none.
    breakout_port_name: str = ""
    breakout_speed: str = ""  # a breakout child's speed setting, formatted with ``gbps`` and ``lanes``; "": as unbroken
    # ECMP load balancing beyond the header hash that the platform's files can state
    # (docs/sources.md#load-balancing): hash on the RoCE destination QP "asic" where the switch's ASIC
    # can (catalog ``qp_hash``), "always" (the switch checks its own capability), "" never; dynamic
    # (flowlet) load balancing where the ASIC has it (catalog ``dlb``).
    qp_hash: Literal["", "asic", "always"] = ""
    dynamic_lb: bool = False
    # What the deploy's verify reads back of the QoS after a commit (its drivers' getters); "": nothing
    # beyond the committed config, and the plan's steps say so.
    qos_read_back: str = ""
    # The parts of the way in (``Design.access``) the platform's files carry; the others are the
    # host's own (check MGMT002 names them where the intent asks for them)
    access: tuple[str, ...] = ("accounts", "tacacs", "radius", "ntp", "syslog", "snmp")

    def __post_init__(self) -> None:
        for name in ("outputs", "lanes", "speed_names", "napalm_extras", "bundle"):  # a record's tables are read-only
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def port(self, index: int, speed_gbps: int) -> str:
        """Interface name of front-panel port ``index`` (1-based) at ``speed_gbps``."""
        lane = (index - 1) * self.lanes[speed_gbps] if "{lane" in self.port_name else index - 1
        return self.port_name.format(index=index, lane=lane)

    def child_port(self, index: int, port_gbps: int, sub: int, count: int, port_lanes: int) -> str:
        """Interface name of breakout child ``sub`` (0-based) of ``count`` on front-panel port ``index``
        at ``port_gbps`` with ``port_lanes`` electrical lanes (``Ethernet1/5``, ``Ethernet4``, ``swp1s1``)."""
        lanes = self.lanes.get(port_gbps, port_lanes)
        return self.breakout_port_name.format(index=index, lane=(index - 1) * lanes + sub * (lanes // count),
                                              sub=sub, sublane=sub * (port_lanes // count) + 1)

    @property
    def pushed_files(self) -> tuple[str, ...]:
        """Suffixes of every file a deploy pushes (the review diffs exactly these)."""
        return tuple(self.bundle) or (self.pushed,)

    def candidate(self, files: Mapping[str, str]) -> str:
        """The driver's candidate from the device's rendered files (suffix -> text): the bundle as a
        JSON object (a ``.json`` file as its object), or the pushed file's text."""
        if not self.bundle:
            return files[self.pushed]
        return json.dumps({key: json.loads(files[suffix]) if suffix.endswith(".json") else files[suffix]
                           for suffix, key in self.bundle.items()}, sort_keys=True)

    @property
    def snippet_folder(self) -> str:
        return self.snippets or self.templates

    @property
    def container_management_name(self) -> str:
        return self.container_management or self.management


_PLATFORMS: dict[str, Platform] = {}


def register(record: Platform) -> Platform:
    """Add ``record`` to the platforms an intent may name (a name already taken is an error)."""
    if record.name in _PLATFORMS:
        raise ValueError(f"platform {record.name} is already registered")
    if record.pushed not in record.outputs:
        raise ValueError(f"platform {record.name}: pushed file {record.pushed!r} is not one of its outputs")
    if set(record.bundle) - set(record.outputs):
        raise ValueError(f"platform {record.name}: bundled files {sorted(set(record.bundle) - set(record.outputs))} "
                         "are not among its outputs")
    _PLATFORMS[record.name] = record
    return record


def unregister(name: str) -> None:
    """Remove a platform added with :func:`register`."""
    del _PLATFORMS[name]


def names() -> tuple[str, ...]:
    """Every registered platform, in registration order."""
    return tuple(_PLATFORMS)


def platform(name: str) -> Platform:
    """The record of platform ``name`` (KeyError naming the known platforms when there is none)."""
    try:
        return _PLATFORMS[name]
    except KeyError:
        raise KeyError(f"unknown platform {name!r}; known: {', '.join(_PLATFORMS)}") from None


def resolve(ref: str) -> Any:
    """The object a dotted reference ``"package.module:name"`` names (imported on first use)."""
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)
