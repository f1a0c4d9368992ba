"""Bring a cluster's lab up and tear it down: namespaces, veths, management bridge, FRR, sshd."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from aifab.design.model import Design
from aifab.lab import access, configdb, shell, state, switch, system
from aifab.lab.topology import BRIDGE, LabError, Topology, changed_nodes, from_record, topology
from aifab.platforms import platform as platform_record
from napalm_frr.netns import connect


@dataclass(frozen=True)
class Lab:
    """A running lab: its topology and where its state (keys, inventory, logs) lives."""

    topology: Topology
    state_dir: Path
    existing: bool = False  # ``up`` found it already up and healthy, and changed nothing
    added: tuple[str, ...] = ()  # ``up`` grew a running lab: the switches and hosts it added
    cables: int = 0  # and how many cables

    @property
    def inventory(self) -> Path:
        """Directory of the lab's Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml)."""
        return access.inventory_dir(self.state_dir)

    @property
    def known_hosts(self) -> Path:
        return access.known_hosts(self.state_dir)

    @property
    def key_file(self) -> Path:
        return access.key_file(self.state_dir)

    def napalm_args(self, device: str) -> dict[str, Any]:
        """Keyword arguments of ``get_network_driver("frr")`` to open ``device`` over SSH."""
        return access.napalm_args(self.topology, self.state_dir, device)

    def nornir_inventory(self) -> dict[str, Any]:
        """The ``inventory`` argument of ``nornir.InitNornir`` for this lab."""
        return access.nornir_inventory(self.state_dir)

    def vtysh(self, device: str, command: str) -> str:
        """Run a vtysh command on a switch from the host (not over SSH)."""
        return switch.vtysh(self.topology.switch(device), command)

    def run(self, node: str, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run ``argv`` inside ``node``'s namespaces (a switch's network, mount and UTS; a host's network),
        as ``aifab lab exec`` does; output captured as text, the exit code not checked."""
        prefix = shell.enter(shell.Node(node, self.netns(node), node in {s.name for s in self.topology.switches}))
        return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout, check=False)

    def netns(self, node: str) -> str:
        """The network namespace of a switch, host or ``mgmt``."""
        name = self.topology.prefix + node
        if name not in self.topology.namespaces:
            raise LabError(f"{node}: no such node in the lab of cluster {self.topology.cluster}")
        return name


class LabDegraded(LabError):
    """A lab of the cluster exists but is not whole: ``up`` leaves it alone unless forced."""

    exit_code = 1

    def __init__(self, lab: Lab, found: list[str]) -> None:
        self.lab, self.problems = lab, found
        super().__init__(f"lab {lab.topology.cluster} is degraded: {'; '.join(found)}; nothing was changed "
                         "(aifab lab up --force tears it down and rebuilds it, wiping what was deployed)")


DIFFERENT = "the lab was built from a different design"  # the problem a grown Design shows (see _grows)


def _fingerprint(topo: Topology) -> str:
    return hashlib.sha256(json.dumps(asdict(topo), sort_keys=True).encode()).hexdigest()[:16]


def up(design: Design, state_dir: Path | None = None, configs: Path | None = None, force: bool = False) -> Lab:
    """Build the lab of ``design`` and return it; when that lab is already up and healthy, change
    nothing and return it with ``existing`` set.

    ``configs``: a directory of rendered configs (``<device>.frr.conf``, from ``aifab build``) the
    switches boot with; without it each switch boots with a minimal config (hostname, datacenter
    defaults). A healthy lab of a Design that ``design`` only adds to (switches, hosts, cables: a
    storage node or a leaf pair within ``frontend.growth``) is grown in place: what is new is made and booted (``configs`` for
    the new switches), what runs is not touched, and the Lab says what it added. A lab of the
    cluster that is there but not whole (a daemon or sshd dead, a namespace missing, a crash
    half-way, a Design that moves or changes what it has) raises ``LabDegraded`` listing what is
    wrong and is left as it is: only ``force`` tears it down and rebuilds it (``force`` rebuilds a
    healthy lab too). On any failure while building, everything made so far is removed (while
    growing, what was added) and ``LabError`` names the node.
    """
    system.require()
    topo = topology(design)
    state_dir = state_dir or state.default_state_dir(design.cluster)
    lab = Lab(topo, state_dir)
    with _written(topo.cluster, state_dir), state.locked(state_dir):
        if not force and exists(lab):
            found = problems(lab)
            if not found:
                return replace(lab, existing=True)
            old = _grows(lab, found)
            if old is None:
                raise LabDegraded(lab, found)
            return _grow(design, old, lab, configs)
        _teardown(topo, state_dir)
        try:
            state.write(state_dir, {"cluster": topo.cluster, "prefix": topo.prefix, "namespaces": topo.namespaces,
                                    "fingerprint": _fingerprint(topo), "topology": asdict(topo), "ready": False,
                                    "started": time.time()})
            _build(design, topo, state_dir, configs)
            record = state.read(state_dir)
            state.write(state_dir, {**record, "ready": True, "up_s": round(time.time() - record["started"], 3)})
        except BaseException:
            _teardown(topo, state_dir)
            raise
    return lab


@contextmanager
def _written(cluster: str, state_dir: Path) -> Iterator[None]:
    """A file of the lab that cannot be written (a full /run, a read-only one) is a LabError naming
    it, once the cleanup of ``up`` removed what this run made (it used to raise a traceback)."""
    try:
        yield
    except OSError as exc:
        raise LabError(f"lab {cluster}: {exc.filename or state_dir}: {exc.strerror or exc}; what this run made is "
                       "removed") from None


def _grows(lab: Lab, found: list[str]) -> Topology | None:
    """The running lab's topology when the only thing wrong is that ``lab``'s Design adds to it and
    the running lab is whole; else None, with why added to ``found`` (a Design that moves what runs)."""
    record = state.read(lab.state_dir)
    if found != [DIFFERENT] or "topology" not in record:
        return None
    try:
        old = from_record(record["topology"])
    except (KeyError, TypeError, ValueError):  # a record edited by hand: the running lab's topology is not known
        return None
    if _fingerprint(old) != record.get("fingerprint") or problems(Lab(old, lab.state_dir)):
        return None
    moved = changed_nodes(old, lab.topology)
    if moved:
        found.append(f"only additions grow a running lab; the Design moves or changes {', '.join(moved[:6])}"
                     + (f" and {len(moved) - 6} more" if len(moved) > 6 else ""))
        return None
    return old


def _grow(design: Design, old: Topology, lab: Lab, configs: Path | None) -> Lab:
    """Add to the running lab of ``old`` what ``lab``'s topology has more; on a failure remove what was added."""
    topo, state_dir = lab.topology, lab.state_dir
    record = state.read(state_dir)
    state.write(state_dir, {**record, "ready": False})
    try:
        _build(design, topo, state_dir, configs, old)
        state.write(state_dir, {**record, "namespaces": topo.namespaces, "fingerprint": _fingerprint(topo),
                                "topology": asdict(topo), "ready": True})
    except BaseException:
        _ungrow(old, topo)
        state.write(state_dir, record)
        raise
    known = {n.name for n in (*old.switches, *old.hosts)}
    return replace(lab, added=tuple(n.name for n in (*topo.switches, *topo.hosts) if n.name not in known),
                   cables=len(set(topo.links) - set(old.links)))


def _ungrow(old: Topology, new: Topology) -> None:
    """Remove what a grow added: its namespaces (their processes first) and its cables between nodes that were there."""
    added = [ns for ns in new.namespaces if ns not in old.namespaces and ns in system.namespaces()]
    system.kill_all([pid for ns in added for pid in system.netns_pids(ns)])
    for ns in added:
        system.delete_netns(ns)
    for ln in set(new.links) - set(old.links):
        if ln.a_ns in old.namespaces:
            subprocess.run(["ip", "-n", ln.a_ns, "link", "del", ln.a_if], capture_output=True, timeout=30, check=False)


def down(design: Design, state_dir: Path | None = None) -> list[str]:
    """Remove the lab of ``design``: every process in its namespaces, the namespaces, the state directory.

    Works after a crash: namespaces come from the state record, the Design and a scan for the
    cluster's name prefix. Returns the namespaces deleted.
    """
    topo = topology(design)
    state_dir = state_dir or state.default_state_dir(design.cluster)
    with state.locked(state_dir):
        return _teardown(topo, state_dir)


def exists(lab: Lab) -> bool:
    """Anything of the lab's cluster is there: its state record or a namespace with its prefix."""
    return bool(state.read(lab.state_dir)) or any(ns.startswith(lab.topology.prefix) for ns in system.namespaces())


def problems(lab: Lab) -> list[str]:
    """Why the lab is not (fully) up; empty when every namespace, link and process is there."""
    topo, record = lab.topology, state.read(lab.state_dir)
    if not record:
        return [f"{lab.state_dir}: no lab state"]
    if record.get("fingerprint") != _fingerprint(topo):
        return [DIFFERENT]
    if not record.get("ready"):
        return ["the lab did not finish coming up"]
    existing = system.namespaces()
    found = [f"{ns}: namespace missing" for ns in topo.namespaces if ns not in existing]
    for sw in topo.switches:
        missing = [p for p in switch.PROCESSES if p not in switch.running(sw)]
        if missing:
            found.append(f"{sw.name}: not running: {', '.join(missing)}")
    if not found:
        found += _missing_links(topo)
    return found


def _missing_links(topo: Topology) -> list[str]:
    want: dict[str, set[str]] = {ns: set() for ns in topo.namespaces}
    for link in topo.links:
        want[link.a_ns].add(link.a_if)
        want[link.b_ns].add(link.b_if)
    for sw in topo.switches:
        want[sw.netns].add("eth0")
        want[topo.mgmt_ns].add(sw.mgmt_port)
    out = []
    for ns, names in want.items():
        have = {link["ifname"] for link in json.loads(system.run(["ip", "-n", ns, "-j", "link", "show"], ns) or "[]")}
        out += [f"{ns}: interface {name} missing" for name in sorted(names - have)]
    return out


def _build(design: Design, topo: Topology, state_dir: Path, configs: Path | None, running: Topology | None = None) -> None:
    """Make the lab of ``topo``; with ``running`` (the lab that runs), only what ``topo`` adds to it."""
    have = set(running.namespaces) if running else set()
    cabled = set(running.links) if running else set()
    links = [ln for ln in topo.links if ln not in cabled]
    switches = [sw for sw in topo.switches if sw.netns not in have]
    hosts = [h for h in topo.hosts if h.netns not in have]
    root = [f"netns add {ns}" for ns in topo.namespaces if ns not in have]
    root += [f"link add {ln.a_if} netns {ln.a_ns} mtu {ln.mtu} type veth peer name {ln.b_if} netns {ln.b_ns} mtu {ln.mtu}"
             for ln in links]
    root += [f"link add eth0 netns {sw.netns} type veth peer name {sw.mgmt_port} netns {topo.mgmt_ns}"
             for sw in switches]
    system.ip_batch(root, "namespaces and cables")

    mgmt = [] if running else [f"link add {BRIDGE} type bridge", f"link set {BRIDGE} up",
                               f"addr add {topo.gateway} dev {BRIDGE}", "link set lo up"]
    for sw in switches:
        mgmt += [f"link set {sw.mgmt_port} master {BRIDGE}", f"link set {sw.mgmt_port} up"]
    if mgmt:
        system.ip_batch(mgmt, "management network", topo.mgmt_ns)

    ports: dict[str, list[str]] = {sw.netns: [] for sw in topo.switches}
    for ln in links:
        for ns, name in ((ln.a_ns, ln.a_if), (ln.b_ns, ln.b_if)):
            if ns in ports:
                ports[ns].append(name)
    for sw in topo.switches:
        if sw.netns in have:  # running: its new ports come up, as a cabled port does; its FRR configures them
            if ports[sw.netns]:
                system.ip_batch([f"link set {p} up" for p in ports[sw.netns]], sw.name, sw.netns)
            continue
        lines = ["link set lo up", "link set eth0 up", f"addr add {sw.management} dev eth0"]
        lines += [f"link set {p} up" for p in ports[sw.netns]]
        system.ip_batch(lines + _kernel_config(sw.name, sw.platform, configs), sw.name, sw.netns)

    for host in hosts:
        lines = ["link set lo up"]
        for nic, cidr in host.addresses:
            lines += [f"addr add {cidr} dev {nic}", f"link set {nic} up"]
        for route in host.routes:
            hops = " ".join(f"nexthop via {gw} dev {dev}" for gw, dev in route.nexthops)
            lines.append(f"route add {route.prefix} {hops}" if len(route.nexthops) > 1
                         else f"route add {route.prefix} via {route.nexthops[0][0]} dev {route.nexthops[0][1]}")
        system.ip_batch(lines, host.name, host.netns)
        if any(len(r.nexthops) > 1 for r in host.routes):  # hash ECMP flows on L4 ports, like the switches
            system.run(["ip", "netns", "exec", host.netns, "sysctl", "-q", "-w", "net.ipv4.fib_multipath_hash_policy=1"],
                       host.name)

    pubkey = access.client_key(state_dir)
    booting = []
    for sw in switches:
        boot = switch.prepare(sw, state_dir, _boot_config(sw.name, sw.platform, configs), pubkey,
                              platform_record(sw.platform).zebra_modules)
        booting.append((sw, boot, switch.start(sw, boot)))
    for sw, boot, proc in booting:
        switch.check_boot(sw, proc, boot)
    access.write_known_hosts(topo, state_dir)
    access.write_inventory(design, topo, state_dir)
    _wait_ssh(topo)


def _boot_config(name: str, platform: str, configs: Path | None) -> str:
    record = platform_record(platform)
    if configs is None or not record.lab_boots:  # the lab boots the platforms whose pushed file FRR reads
        return switch.minimal_config(name)
    path = configs / f"{name}.{record.pushed}"  # as ``aifab build`` writes it
    try:
        return path.read_text()
    except OSError as exc:
        raise LabError(f"{name}: cannot read rendered config {path}: {exc.strerror or exc}") from None


def _kernel_config(name: str, platform: str, configs: Path | None) -> list[str]:
    """``ip`` lines for the addresses a platform keeps outside frr.conf: SONiC's CONFIG_DB ports and
    loopbacks (its ``config_db.json``, as ``aifab build`` writes it), set on the kernel as SONiC does."""
    record = platform_record(platform)
    if configs is None or record.zebra_interfaces or not record.lab_boots or configdb.FILE not in record.outputs:
        return []
    return configdb.ip_lines(configdb.read(name, configs / f"{name}.{configdb.FILE}"))


def _wait_ssh(topo: Topology, timeout: float = 20.0) -> None:
    """Wait until every switch's sshd answers with its banner on the management address."""
    pending = list(topo.switches)
    deadline = time.monotonic() + timeout
    while pending:
        sw = pending[0]
        try:
            with connect(sw.address, 22, timeout=1.0, netns=topo.mgmt_ns) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    pending.pop(0)
                    continue
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise LabError(f"{sw.name}: sshd does not answer on {sw.address}:22 in {topo.mgmt_ns}")
        time.sleep(0.1)


def _teardown(topo: Topology, state_dir: Path) -> list[str]:
    record = state.read(state_dir)
    existing = system.namespaces()
    names = (set(record.get("namespaces", [])) | set(topo.namespaces)
             | {ns for ns in existing if ns.startswith(topo.prefix)}) & existing
    survivors = system.kill_all([pid for ns in names for pid in system.netns_pids(ns)])
    if survivors:
        raise LabError(f"{topo.cluster}: processes {survivors} survive SIGKILL")
    for ns in sorted(names):
        system.delete_netns(ns)
    shutil.rmtree(state_dir, ignore_errors=True)
    return sorted(names)
