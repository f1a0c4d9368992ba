"""The intent schema: what a network team writes, validated by pydantic (unknown keys rejected).

Every default is documented in the field's description and in the README's intent reference.
Numbers that come from public sources cite ``docs/sources.md``.
"""

from __future__ import annotations

import re
import shlex
import string
from typing import Annotated, Literal

from netaddr import INET_PTON, AddrFormatError, IPAddress, IPNetwork
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from aifab.platforms import names as platform_names

_SPEED = re.compile(r"^\s*(\d+)\s*[gG](?:bps|b/s)?\s*$")
SPEEDS_GBPS = (10, 25, 40, 50, 100, 200, 400, 800)


def _speed(value: object) -> int:
    """Accept ``400G``, ``400g``, ``400Gbps`` or ``400`` and return Gb/s."""
    if isinstance(value, bool):
        raise ValueError("expected a speed such as 400G")
    if isinstance(value, int):
        gbps = value
    elif isinstance(value, str) and (m := _SPEED.match(value)):
        gbps = int(m.group(1))
    else:
        raise ValueError("expected a speed such as 400G")
    if gbps not in SPEEDS_GBPS:
        raise ValueError(f"speed must be one of {', '.join(f'{s}G' for s in SPEEDS_GBPS)}")
    return gbps


def _platform(value: object) -> str:
    """A registered platform's name (``aifab.platforms``): eos, frr, sonic, or one a user registered."""
    known = platform_names()
    if isinstance(value, str) and value in known:
        return value
    listed = ", ".join(repr(n) for n in known[:-1]) + (f" or {known[-1]!r}" if len(known) > 1 else repr(known[0]))
    raise ValueError(f"Input should be {listed}")


def _prefix(value: object) -> str:
    """Accept an IPv4 prefix in CIDR form and return it normalised (host bits must be zero)."""
    if not isinstance(value, str) or "/" not in value:
        raise ValueError("expected an IPv4 prefix such as 10.0.0.0/24")
    try:
        net = IPNetwork(value, version=4)
    except (AddrFormatError, ValueError, TypeError):
        raise ValueError("expected an IPv4 prefix such as 10.0.0.0/24") from None
    if net.ip != net.network:
        raise ValueError(f"host bits set; did you mean {net.cidr}?")
    return str(net.cidr)


def _ratio(value: object) -> float:
    """Accept ``3``, ``3.0`` or ``"1:3"`` (downlink:uplink is written uplink-last) -> 3.0."""
    if isinstance(value, bool):
        raise ValueError("expected a ratio such as 1:3 or 3")
    if isinstance(value, int | float):
        ratio = float(value)
    elif isinstance(value, str) and (m := re.match(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$", value)):
        a, b = float(m.group(1)), float(m.group(2))
        if a == 0 or b == 0:
            raise ValueError("ratio terms must be positive")
        ratio = max(a, b) / min(a, b)
    else:
        raise ValueError("expected a ratio such as 1:3 or 3")
    if ratio < 1:
        raise ValueError("oversubscription below 1:1 is not meaningful")
    return ratio


def _address(value: object) -> str:
    """Accept one IPv4 host address (``10.0.0.1``) and return it normalised."""
    if not isinstance(value, str) or "/" in value:
        raise ValueError("expected an IPv4 address such as 10.0.0.1")
    try:
        return str(IPAddress(value, version=4, flags=INET_PTON))
    except (AddrFormatError, ValueError, TypeError):
        raise ValueError("expected an IPv4 address such as 10.0.0.1") from None


def _text(value: object) -> str:
    """One line of printable text without quotes or backslashes (it is placed in EOS, JSON and shell)."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable() or set(value) & set("\"'"):
        raise ValueError("expected one line of text without quotes or backslashes")
    return value


# The most hosts of one kind an intent may count: four times the largest cluster benchmarked
# (bench/cluster-128k.yaml, 16,384 servers); a larger count is a typo, which the sizing would take
# minutes and gigabytes to refuse (it lays out every host).
MAX_HOSTS = 65536
# Placeholders of upgrade.cordon_command / uncordon_command (aifab.plan.handoff fills them).
COMMAND_FIELDS = ("hosts", "hosts_range", "host", "count", "gpus", "wave", "reason", "cluster")


def _command(value: object) -> str:
    """A command template: split like a shell line (no shell runs it), only known placeholders."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError("expected a command line such as 'scontrol update nodename={hosts} state=drain'")
    try:
        argv = shlex.split(value)
        fields = {f for arg in argv for _, f, _, _ in string.Formatter().parse(arg) if f is not None}
    except ValueError as exc:
        raise ValueError(f"cannot split the command ({exc})") from None
    unknown = sorted(fields - set(COMMAND_FIELDS))
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; known: {', '.join(COMMAND_FIELDS)}")
    if "{" in argv[0]:
        raise ValueError("the program (first word) cannot be a placeholder")
    return value


Speed = Annotated[int, BeforeValidator(_speed), PlainSerializer(lambda v: f"{v}G", return_type=str)]
Prefix = Annotated[str, BeforeValidator(_prefix)]
Platform = Annotated[str, BeforeValidator(_platform)]
Ratio = Annotated[float, BeforeValidator(_ratio)]
Address = Annotated[str, BeforeValidator(_address)]
Text = Annotated[str, BeforeValidator(_text)]
Command = Annotated[str, BeforeValidator(_command)]
Name = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")]  # a Linux/EOS account name


class Model(BaseModel):
    """Strict base: unknown keys are errors, values are immutable once loaded, and every value has
    its field's own type (a count is an integer, not ``true`` or ``"4"``; a float is finite)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class Switch(Model):
    """A switch model used for one tier: a catalog model (``aifab.catalog``, docs/catalog.md), whose
    ports, speed, maximum MTU and ASIC come from its datasheet, or ``generic``. Written out,
    ``model: generic`` needs ports, speed and max_mtu given; a tier that names no model is the
    documented default generic box (64 ports, 400G backend / 100G frontend, MTU 9216)."""

    model: str = Field("generic", description="A catalog model (docs/catalog.md), or `generic` (written out: ports, speed and max_mtu required).")
    ports: int = Field(64, ge=2, le=1024, description="Front-panel ports; a catalog model's own (must match it if given).")
    speed: Speed = Field(400, description="Port speed (all ports alike); a catalog model's fastest (must be one of its speeds if given).")
    max_mtu: int = Field(9216, ge=1500, le=9216, description="Largest interface MTU (generic only; a catalog model's comes from its datasheet).")
    asic: str | None = Field(None, description="ASIC of a generic switch (a catalog ASIC, docs/catalog.md); empty: the platform's default buffer model.")
    platform: Platform = Field("eos", description="Config platform: eos, frr or sonic.")


def _generic(speed: int) -> Switch:
    """The default switch of a tier: a generic 64-port box at ``speed`` with a 9216 MTU."""
    return Switch(ports=64, speed=speed, max_mtu=9216)


class BackendSwitches(Model):
    leaf: Switch = Field(default_factory=lambda: _generic(400), description="Rail leaf model (default a generic 64x400G).")
    spine: Switch = Field(default_factory=lambda: _generic(400), description="Spine model (default a generic 64x400G).")
    core: Switch = Field(default_factory=lambda: _generic(400), description="Core (third tier) model, used only when needed (default a generic 64x400G).")


class FrontendSwitches(Model):
    leaf: Switch = Field(default_factory=lambda: _generic(100), description="Frontend leaf model (default a generic 64x100G).")
    spine: Switch = Field(default_factory=lambda: _generic(100), description="Frontend spine model (default a generic 64x100G).")
    core: Switch = Field(default_factory=lambda: _generic(100), description="Frontend core (third tier) model, used only when one spine tier cannot hold the leaves (default: the spine's).")


class Pools(Model):
    """Address pools of one fabric. The two fabrics' pools must not overlap."""

    loopbacks: Prefix = Field(description="Router-ID /32 loopbacks, one per switch.")
    p2p: Prefix = Field(description="Switch-to-switch /31 links (RFC 3021).")
    servers: Prefix = Field(description="Leaf-to-server /31 links, one block per leaf (per rail on the backend).")


class Asn(Model):
    """ASN policy (RFC 7938): one shared ASN per spine group, a unique ASN per leaf."""

    base: int = Field(4200000000, ge=1, le=4294967294, description="First ASN of the fabric; cores, then spine groups, then leaves count up from it.")
    private_only: bool = Field(True, description="Require every ASN in a private range (64512-65534 or 4200000000-4294967294, RFC 6996).")


class Cables(Model):
    """Cable length in metres per link class: drives PFC headroom (docs/sources.md#headroom)."""

    server_leaf: float = Field(5.0, gt=0, le=10000, description="Server NIC to leaf, metres.")
    leaf_spine: float = Field(30.0, gt=0, le=10000, description="Leaf to spine, metres.")
    spine_core: float = Field(100.0, gt=0, le=10000, description="Spine to core, metres.")


class Ecn(Model):
    """ECN/WRED marking on a queue. Empty values take the platform default (docs/sources.md#ecn-thresholds)."""

    min_kb: int | None = Field(None, ge=1, description="Minimum threshold, KB; empty: platform default.")
    max_kb: int | None = Field(None, ge=1, description="Maximum threshold, KB; empty: platform default.")
    probability: int | None = Field(None, ge=1, le=100, description="Marking probability at max, %; empty: platform default.")


class Watchdog(Model):
    """PFC watchdog (docs/sources.md#pfc-watchdog: SONiC defaults 200 ms / 200 ms, action drop)."""

    enabled: bool = Field(True, description="Arm the watchdog on every PFC port.")
    detection_ms: int = Field(200, ge=10, le=10000, description="Stuck-queue detection time.")
    restoration_ms: int | None = Field(None, ge=10, le=20000, description="Restoration time; default twice detection when only detection is set, else 200.")
    action: Literal["drop", "forward"] = Field("drop", description="What a stormed queue does.")


class BgpTimers(Model):
    """eBGP session timers of one fabric (docs/sources.md#bgp-timers: keep it fast; BFD does the rest)."""

    keepalive_s: int = Field(3, ge=1, le=21845, description="Keepalive interval, seconds (FRR datacenter default 3).")
    hold_s: int = Field(9, ge=3, le=65535, description="Hold time, seconds; at least three keepalives (FRR datacenter default 9).")
    bfd: bool = Field(True, description="BFD on every fabric session.")


class BackendQos(Model):
    """Lossless RoCEv2 (docs/sources.md#qos-common: DSCP 26 -> TC 3 no-drop, CNP 48 strict)."""

    roce_dscp: int = Field(26, ge=0, le=63, description="DSCP of RoCEv2 data.")
    roce_tc: int = Field(3, ge=0, le=7, description="Traffic class (and PFC priority) of RoCEv2 data.")
    cnp_dscp: int = Field(48, ge=0, le=63, description="DSCP of congestion notification packets.")
    cnp_tc: int = Field(6, ge=0, le=7, description="Strict-priority traffic class of CNPs.")
    ecn: Ecn = Field(default_factory=Ecn, description="ECN thresholds on the lossless queue.")
    watchdog: Watchdog = Field(default_factory=Watchdog, description="PFC watchdog.")
    lossless_weight: int = Field(50, ge=1, le=99, description="DWRR weight of the lossless class, %; the rest goes to best effort.")
    small_packet_pct: int = Field(100, ge=0, le=100, description="Share of small packets assumed by the cell-based headroom model, %.")


class FrontendQos(Model):
    """Lossy by default; classes by DSCP with DWRR weights."""

    lossless: bool = Field(False, description="Enable PFC on the frontend (normally off).")
    storage_dscp: int = Field(18, ge=0, le=63, description="DSCP of storage traffic.")
    storage_tc: int = Field(2, ge=0, le=7, description="Traffic class of storage traffic.")
    storage_weight: int = Field(60, ge=1, le=99, description="DWRR weight of the storage class, %.")


# --- backend.load_balancing (issue 14: RoCE load balancing) ---
HashField = Literal["src_ip", "dst_ip", "ip_proto", "l4_src_port", "l4_dst_port"]
HASH_FIELDS: tuple[HashField, ...] = ("src_ip", "dst_ip", "ip_proto", "l4_src_port", "l4_dst_port")


class LoadBalancing(Model):
    """How the backend's switches spread flows over their equal-cost uplinks (docs/sources.md#load-balancing).
    RoCEv2 carries its flow entropy in the UDP source port: a GPU pair's queue pairs differ only there."""

    fields: list[HashField] = Field(default_factory=lambda: list(HASH_FIELDS), min_length=1,
                                    description="ECMP hash fields: src_ip, dst_ip, ip_proto, l4_src_port, l4_dst_port (default all five; without l4_src_port the check LB001 fails).")
    roce_qp: bool = Field(False, description="Also hash on the RoCE destination queue pair where the platform and ASIC can (EOS on Jericho2, SONiC); elsewhere the check LB003 says where not.")
    dynamic: bool = Field(False, description="Dynamic (flowlet) load balancing where the switch's ASIC has it (catalog `dlb`) and the platform configures it (EOS); elsewhere LB003 says where not.")
# --- end backend.load_balancing ---


class BackendGrowth(Model):
    """The GPU servers the backend is laid out for: SUs added up to them add their own leaves and move no cable."""

    servers: int | None = Field(None, ge=1, le=MAX_HOSTS, description=(
        f"GPU servers the backend is laid out for (a multiple of `servers_per_su`, at least `servers`, at most "
        f"{MAX_HOSTS:,}; empty: as many). Also the GPU servers the frontend is laid out for, unless "
        "`frontend.growth.servers` names more."))


class Backend(Model):
    """Rail-optimized GPU fabric (docs/sources.md#superpod)."""

    servers: int = Field(ge=1, le=MAX_HOSTS, description=f"GPU servers in the cluster (at most {MAX_HOSTS:,}).")
    gpus_per_server: int = Field(8, ge=1, le=16, description="GPUs (= backend NICs = rails) per server.")
    servers_per_su: int = Field(32, ge=1, le=MAX_HOSTS, description=f"Servers per scalable unit; each SU has one leaf per rail (at most {MAX_HOSTS:,}).")
    nic_speed: Speed = Field(400, description="Backend NIC speed.")
    oversubscription: Ratio = Field(1.0, description="Leaf downlink:uplink bandwidth ratio; 1 (1:1) is non-blocking.")
    switches: BackendSwitches = Field(default_factory=BackendSwitches, description="Switch model and platform per tier.")
    pools: Pools = Field(description="Address pools.")
    asn: Asn = Field(default_factory=Asn, description="ASN policy.")
    mtu: int = Field(9216, ge=1500, le=9216, description="Interface MTU on every backend link.")
    cables: Cables = Field(default_factory=Cables, description="Cable lengths per link class.")
    qos: BackendQos = Field(default_factory=BackendQos, description="RoCEv2 QoS policy.")
    bgp: BgpTimers = Field(default_factory=BgpTimers, description="BGP session timers and BFD.")
    load_balancing: LoadBalancing = Field(default_factory=LoadBalancing, description="ECMP load balancing of RoCE flows.")
    growth: BackendGrowth = Field(default_factory=BackendGrowth, description=(
        "Lay the backend out (spines and cores, their ports, every leaf's uplinks, the server address blocks of "
        "each rail) for this many servers, the spines built and cabled up front: an SU added up to it brings its "
        "own leaves and cables only their ports, where a layout for today's SUs adds spines (re-cabling every "
        "leaf) or renumbers the servers of every rail but the first."))


class FrontendGrowth(Model):
    """The host counts the frontend is laid out for: hosts added up to them move no cable."""

    servers: int | None = Field(None, ge=1, le=MAX_HOSTS, description=f"GPU servers the frontend is laid out for (at least `backend.servers`, at most {MAX_HOSTS:,}; empty: as many).")
    storage_nodes: int | None = Field(None, ge=0, le=MAX_HOSTS, description=f"Storage nodes the frontend is laid out for (at least `frontend.storage_nodes`, at most {MAX_HOSTS:,}; empty: as many).")


class Frontend(Model):
    """Storage and ordinary traffic: dual-homed hosts on leaf pairs, oversubscription allowed."""

    nic_speed: Speed = Field(100, description="Compute servers' frontend NIC speed (one NIC to each leaf of a pair).")
    storage_nodes: int = Field(0, ge=0, le=MAX_HOSTS, description=f"Storage nodes, dual-homed like servers (at most {MAX_HOSTS:,}).")
    storage_speed: Speed = Field(100, description="Storage node NIC speed.")
    oversubscription: Ratio = Field(3.0, description="Leaf downlink:uplink bandwidth ratio (e.g. 1:3).")
    switches: FrontendSwitches = Field(default_factory=FrontendSwitches, description="Switch model and platform per tier.")
    pools: Pools = Field(description="Address pools.")
    asn: Asn = Field(default_factory=lambda: Asn(base=4200100000), description="ASN policy.")
    mtu: int = Field(9216, ge=1500, le=9216, description="Interface MTU on every frontend link.")
    cables: Cables = Field(default_factory=Cables, description="Cable lengths per link class.")
    qos: FrontendQos = Field(default_factory=FrontendQos, description="Frontend QoS policy.")
    bgp: BgpTimers = Field(default_factory=BgpTimers, description="BGP session timers and BFD.")
    growth: FrontendGrowth = Field(default_factory=FrontendGrowth, description=(
        "Lay the frontend out (leaf pairs, their host ports and addresses, uplinks, spines) for this many hosts, "
        "every leaf pair built and cabled up front: servers and storage added up to them only cable their own "
        "ports, where a layout for today's hosts moves links."))


class User(Model):
    """A local account on every switch. Its password hash and SSH key are secrets (``AIFAB_SECRETS``),
    named ``users.<name>.password`` and ``users.<name>.ssh_key``; the intent never holds them."""

    name: Name = Field(description="Account name (lowercase letters, digits, `_`, `-`; at most 32).")
    role: Literal["network-admin", "network-operator"] = Field(
        "network-admin", description="EOS role (privilege 15 or 1); on Linux and SONiC network-admin is in the sudo group.")
    password: bool = Field(True, description="Log in with a password: its SHA-512 crypt hash (`$6$...`) is the secret `users.<name>.password`.")
    ssh_key: bool = Field(True, description="Log in with an SSH key: the public key is the secret `users.<name>.ssh_key`.")


class Aaa(Model):
    """Central login (facts: every production switch authenticates against AAA with a local fallback)."""

    tacacs: list[Address] = Field(default_factory=list, description="TACACS+ servers, reached in the management VRF; shared key: the secret `aaa.tacacs_key`.")
    radius: list[Address] = Field(default_factory=list, description="RADIUS servers, reached in the management VRF; shared key: the secret `aaa.radius_key`.")
    local_fallback: bool = Field(True, description="Fall back to the local users when no AAA server answers (off: AAA only).")


class Snmp(Model):
    """SNMP agent in the management VRF: read-only, v3 users (authPriv, SHA and AES-128) or a v2c community."""

    community: bool = Field(False, description="A v2c read-only community: the secret `snmp.community` (off: v3 only).")
    users: list[Name] = Field(default_factory=list, description="SNMPv3 read-only users; passphrases: the secrets `snmp.users.<name>.auth` and `snmp.users.<name>.priv`.")
    location: Text | None = Field(None, description="sysLocation; empty: none.")
    contact: Text | None = Field(None, description="sysContact; empty: none.")


class Management(Model):
    """The way in: out-of-band addresses (one per switch, for the Nornir inventory), who may log in
    and how, and the management services, all in the management VRF. SSH is always on there (it is
    the way in, and the deploy's transport); there is no switch to turn it off."""

    network: Prefix = Field("192.168.0.0/22", description="Management prefix; backend switches get addresses from its second host up, frontend switches from its last host down.")
    gateway: str | None = Field(None, description="Management default gateway; default the prefix's first host.")
    users: list[User] = Field(default_factory=lambda: [User(name="admin")],
                              description="Local accounts (default one `admin`, network-admin, password and SSH key).")
    aaa: Aaa = Field(default_factory=Aaa, description="TACACS+ / RADIUS login.")
    ntp: list[Address] = Field(default_factory=list, description="NTP servers, reached in the management VRF.")
    syslog: list[Address] = Field(default_factory=list, description="Syslog servers (UDP 514), reached in the management VRF.")
    snmp: Snmp = Field(default_factory=Snmp, description="SNMP agent; enabled when it has a community or a user.")
    api: bool = Field(True, description="EOS eAPI (HTTPS) in the management VRF (NAPALM's eos driver needs it).")
    gnmi: bool = Field(False, description="gNMI (OpenConfig, gRPC) in the management VRF: EOS `management api gnmi`, SONiC's TELEMETRY server (as `telemetry.gnmi`).")


def _version(value: object) -> str:
    """A software version as its vendor writes it (``4.32.2F``, ``10.2``, ``202311.1``): quoted in
    YAML, since ``10.20`` unquoted is the number 10.2."""
    if isinstance(value, int | float):  # bool is an int too
        raise ValueError(f'quote the version ("{value}"): YAML reads it as a number')
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}", value):
        raise ValueError("expected a version such as 4.32.2F or 10.2 (letters, digits, . _ + ~ -)")
    return value


Version = Annotated[str, BeforeValidator(_version)]


class BackendVersions(Model):
    leaf: Version | None = Field(None, description="Version of every backend rail leaf.")
    spine: Version | None = Field(None, description="Version of every backend spine.")
    core: Version | None = Field(None, description="Version of every backend core.")


class FrontendVersions(Model):
    leaf: Version | None = Field(None, description="Version of every frontend leaf.")
    spine: Version | None = Field(None, description="Version of every frontend spine.")


class RoleVersions(Model):
    backend: BackendVersions = Field(default_factory=BackendVersions, description="Per backend role.")
    frontend: FrontendVersions = Field(default_factory=FrontendVersions, description="Per frontend role.")


class OsVersion(Model):
    """The software each switch should run: per platform, overridden per role, overridden per device
    (the most specific wins). A switch no entry names keeps whatever it runs (no upgrade planned)."""

    eos: Version | None = Field(None, description="EOS version of every eos switch (e.g. 4.32.2F).")
    frr: Version | None = Field(None, description="FRR version of every frr switch (e.g. 10.2).")
    sonic: Version | None = Field(None, description="SONiC image version of every sonic switch (e.g. 202311.1).")
    roles: RoleVersions = Field(default_factory=RoleVersions, description="Per fabric and role; overrides the platform's.")
    devices: dict[str, Version] = Field(default_factory=dict, description="Per device name; overrides role and platform.")


class Upgrade(Model):
    """ISSU-safe change policy (docs/sources.md#upgrade-rules)."""

    graceful_restart_s: int = Field(600, ge=1, le=3600, description="BGP graceful-restart time; must exceed the upgrade's control-plane outage (EOS ASU needs >= 600 s).")
    drain_wait_s: int = Field(30, ge=0, description="Deadline after a drain for every neighbour to move its best paths off the device (and after an undrain, back on it), s.")
    soak_s: int = Field(60, ge=0, description="Soak after undrain before the next wave.")
    min_capacity_pct: int = Field(75, ge=1, le=100, description="Uplink bandwidth every switch keeps during a wave, % (docs/impact.md).")
    bgp_timers: Literal["next-reset", "reset-now"] = Field(
        "next-reset", description="When changed BGP timers and graceful-restart time take effect: next-reset (hitless: "
        "each session at its next reset, the deploy reports them pending) or reset-now (session-reset: each device "
        "drained and its sessions reset).")
    cordon_command: Command | None = Field(
        None, description="Run before each cordon wave, waited on (exit 0 or the rollout stops), e.g. `scontrol update "
        "nodename={hosts} state=drain reason={reason}`; placeholders: " + ", ".join(f"`{{{p}}}`" for p in COMMAND_FIELDS)
        + " ({host}: once per server); empty: none.")
    uncordon_command: Command | None = Field(
        None, description="Run after each cordon wave (same placeholders), e.g. `scontrol update nodename={hosts} "
        "state=resume`; empty: none.")
    cordon_timeout_s: int = Field(300, ge=1, le=86400, description="Longest wait for a cordon or uncordon command, seconds.")
    os_version: OsVersion = Field(default_factory=OsVersion, description="Target software version per platform, role or device (docs/impact.md#software-upgrades).")


# -- telemetry and health (issue 14) ----------------------------------------------------------------


class Sflow(Model):
    """sFlow export to collectors, reached in the management VRF (docs/sources.md#telemetry-sflow)."""

    collectors: list[Address] = Field(default_factory=list, max_length=2,
                                      description="sFlow collectors (UDP), reached in the management VRF, at most two (SONiC's limit); empty: no sFlow.")
    port: int = Field(6343, ge=1, le=65535, description="Collector UDP port (the sFlow standard's 6343).")
    sample_rate: int = Field(16384, ge=256, le=16777215, description="Sample one packet in this many (project choice, AVD's example rate).")
    polling_s: int = Field(10, ge=1, le=3600, description="Counter polling interval, seconds.")


class HealthThresholds(Model):
    """What `aifab health` calls unhealthy: counts read from the switch counters (since they were last
    cleared) above these, or any designed BGP session not Established. Empty: shown, not judged."""

    pfc_pause_frames: int | None = Field(None, ge=0, description="PFC pause frames received plus sent per device, most allowed; empty: not judged.")
    ecn_marked: int | None = Field(None, ge=0, description="ECN-marked packets per device, most allowed; empty: not judged.")
    watchdog_storms: int | None = Field(0, ge=0, description="PFC watchdog storms (stuck queues) per device, most allowed; empty: not judged.")
    drops: int | None = Field(None, ge=0, description="Dropped packets (in and out discards of every port) per device, most allowed; empty: not judged.")


class Telemetry(Model):
    """Counters somebody configured: sFlow, streaming telemetry (gNMI), queue-depth monitoring, and the
    thresholds of `aifab health` (docs/sources.md#telemetry-sflow, #telemetry-gnmi)."""

    sflow: Sflow = Field(default_factory=Sflow, description="sFlow sampling and collectors.")
    gnmi: bool = Field(False, description="Streaming telemetry over gNMI in the management VRF (EOS `management api gnmi`, SONiC `TELEMETRY`); the paths are written to OUT/telemetry/gnmi.json.")
    queue_monitor: bool = Field(False, description="Queue-depth monitoring where the platform has it (EOS LANZ `queue-monitor length`).")
    thresholds: HealthThresholds = Field(default_factory=HealthThresholds, description="Health thresholds of `aifab health`.")


class Intent(Model):
    """One AI cluster: an isolated backend and frontend fabric."""

    cluster: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$", description="Cluster name (lowercase, digits, dashes).")
    backend: Backend = Field(description="GPU fabric.")
    frontend: Frontend = Field(description="Storage/ordinary fabric.")
    management: Management = Field(default_factory=Management, description="The way in: management network, accounts, AAA and services.")
    upgrade: Upgrade = Field(default_factory=Upgrade, description="Change and upgrade policy.")
    telemetry: Telemetry = Field(default_factory=Telemetry, description="sFlow, gNMI streaming, queue monitoring and health thresholds.")

    def on_platform(self, platform: str) -> Intent:
        """The same intent with every switch role on ``platform`` (the one-word change, everywhere)."""
        def switches(sw: BackendSwitches | FrontendSwitches) -> BackendSwitches | FrontendSwitches:
            return sw.model_copy(update={role: getattr(sw, role).model_copy(update={"platform": platform})
                                         for role in type(sw).model_fields})
        return self.model_copy(update={
            "backend": self.backend.model_copy(update={"switches": switches(self.backend.switches)}),
            "frontend": self.frontend.model_copy(update={"switches": switches(self.frontend.switches)}),
        })
