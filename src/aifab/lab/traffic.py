"""A bounded traffic probe between the lab's servers: many UDP flows, per-flow sequence numbers.

Every ordered pair of GPU servers gets ``flows`` UDP flows on each rail and every GPU server and
storage node ``flows`` flows each way through the frontend; each flow has its own source port, so
the switches' ECMP hash (L4, ``fib_multipath_hash_policy=1``) spreads them over every spine as
RoCE queue pairs are spread (destination port 4791, RoCEv2's). One receiver per destination
host and one sender per source host run inside the host's network namespace
(``ip netns exec NS python flowgen.py recv|send SPEC``, see ``aifab.lab.flowgen``), sockets bound to the host's NIC
addresses; receivers start before senders and stop a grace period after them. A sender stops
after ``seconds`` or ``rate * seconds`` packets per flow, whichever comes first, or when stopped.

The path of a flow is read from the kernels before traffic starts (``ip route get ... sport
dport`` on the source host, then with ``iif`` on its leaf): the spine it crosses, or the leaf
when both ends hang off one leaf.

``Probe(lab, design, ...)``: ``start()``, ``stop() -> Report`` (or ``run()``); ``Report`` has the
per-flow counts, ``by_path()`` and ``totals()``. With ``stop_file`` the probe plays the job
scheduler: a host name written to that file (one a line) stops every flow from or to that host for
good, and each sender acknowledges in ``<stop_file>.<host>.ack`` (``aifab.lab.flowgen``), so a
cordon command can wait until the cordoned servers' traffic has stopped.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netaddr import IPNetwork

from aifab.design.model import Design
from aifab.lab import flowgen
from aifab.lab.flowgen import PORT
from aifab.lab.topology import LabError

if TYPE_CHECKING:
    from aifab.lab.lifecycle import Lab

FIRST_SPORT = 49152
GRACE_S = 0.5  # receivers keep reading this long after the last sender stopped
START_TIMEOUT_S = 10.0
MAX_FLOWS = 4096


@dataclass(frozen=True, slots=True)
class Flow:
    """One UDP flow: ``src:sport -> dst:PORT`` from host ``src_host`` to ``dst_host``."""

    id: int
    src_host: str
    dst_host: str
    group: str  # "rail1", "rail2", ... or "frontend"
    src: str
    sport: int
    dst: str
    path: str = "?"  # the spine it crosses, or the leaf when it stays under one leaf


@dataclass(frozen=True, slots=True)
class FlowResult:
    """What one flow sent and what arrived: ``lost = sent - received``; ``max_gap`` is the longest
    run of missing sequence numbers (outage length = ``max_gap / rate``)."""

    flow: Flow
    sent: int
    received: int
    reordered: int
    max_gap: int

    @property
    def lost(self) -> int:
        return max(self.sent - self.received, 0)


@dataclass(frozen=True, slots=True)
class Counts:
    """Totals over a set of flows."""

    flows: int = 0
    sent: int = 0
    received: int = 0
    lost: int = 0
    reordered: int = 0
    flows_with_loss: int = 0
    max_gap: int = 0

    def add(self, r: FlowResult) -> Counts:
        return Counts(self.flows + 1, self.sent + r.sent, self.received + r.received, self.lost + r.lost,
                      self.reordered + r.reordered, self.flows_with_loss + (r.lost > 0), max(self.max_gap, r.max_gap))


@dataclass(frozen=True)
class Report:
    """The probe's result: per flow, grouped per path, totals."""

    rate: float
    seconds: float  # how long the senders ran
    results: tuple[FlowResult, ...] = field(default_factory=tuple)

    def by_path(self) -> dict[str, Counts]:
        """Counts per path (spine, or leaf for leaf-local flows), sorted by path."""
        return _group(self.results, lambda r: r.flow.path)

    def by_group(self) -> dict[str, Counts]:
        """Counts per rail / frontend."""
        return _group(self.results, lambda r: r.flow.group)

    def totals(self) -> Counts:
        out = Counts()
        for r in self.results:
            out = out.add(r)
        return out

    def summary(self) -> str:
        """One line: totals and the loss per path, for test output and logs."""
        t = self.totals()
        paths = ", ".join(f"{p} {c.lost}/{c.sent}" for p, c in self.by_path().items())
        return (f"{t.flows} flows, sent {t.sent}, received {t.received}, lost {t.lost}, reordered {t.reordered} "
                f"in {self.seconds:.1f} s (lost/sent per path: {paths})")

    def to_json(self) -> dict:
        return {"rate": self.rate, "seconds": round(self.seconds, 3), "totals": asdict(self.totals()),
                "paths": {p: asdict(c) for p, c in self.by_path().items()},
                "groups": {g: asdict(c) for g, c in self.by_group().items()},
                "flows": [{**asdict(r.flow), "sent": r.sent, "received": r.received, "lost": r.lost,
                           "reordered": r.reordered, "max_gap": r.max_gap} for r in self.results]}


def _group(results: Iterable[FlowResult], key) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for r in results:
        out[key(r)] = out.get(key(r), Counts()).add(r)
    return dict(sorted(out.items()))


def flows(design: Design, per_pair: int = 4) -> list[Flow]:
    """The probe's flows over ``design``'s servers (paths not yet known)."""
    if not 1 <= per_pair <= 64:
        raise LabError(f"--flows {per_pair}: give 1 to 64 flows per server pair")
    out: list[Flow] = []

    def add(src_host: str, dst_host: str, group: str, src: str, dst: str) -> None:
        for _ in range(per_pair):
            n = len(out)
            out.append(Flow(n, src_host, dst_host, group, str(IPNetwork(src).ip), FIRST_SPORT + n, str(IPNetwork(dst).ip)))

    gpus = [h for h in design.hosts if h.kind == "gpu"]
    for src in gpus:
        for dst in gpus:
            if dst is src:
                continue
            for nic in (n for n in src.nics if n.fabric == "backend"):
                peer = next((n for n in dst.nics if n.fabric == "backend" and n.rail == nic.rail), None)
                if peer is not None:
                    add(src.name, dst.name, f"rail{nic.rail}", nic.address, peer.address)
    storage = [h for h in design.hosts if h.kind == "storage"]
    for gpu in gpus:
        for stor in storage:
            a = next((n for n in gpu.nics if n.fabric == "frontend"), None)
            b = next((n for n in stor.nics if n.fabric == "frontend"), None)
            if a is not None and b is not None:
                add(gpu.name, stor.name, "frontend", a.address, b.address)
                add(stor.name, gpu.name, "frontend", b.address, a.address)
    if len(out) > MAX_FLOWS:
        raise LabError(f"{len(out)} flows: at most {MAX_FLOWS} (fewer --flows)")
    return out


def _route(netns: str, dst: str, src: str, sport: int, iif: str | None = None) -> dict:
    argv = ["ip", "-n", netns, "-j", "route", "get", dst, "from", src, *(["iif", iif] if iif else []),
            "ipproto", "udp", "sport", str(sport), "dport", str(PORT)]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    try:
        return json.loads(res.stdout)[0] if res.returncode == 0 else {}
    except (ValueError, IndexError):
        return {}


def trace(design: Design, prefix: str, flow: Flow) -> str:
    """The switch a flow turns at: the spine its source leaf hashes it to, or the leaf itself when
    the destination hangs off it; ``?`` when the kernels do not say."""
    host = next(h for h in design.hosts if h.name == flow.src_host)
    dev = _route(prefix + host.name, flow.dst, flow.src, flow.sport).get("dev")
    nic = next((n for n in host.nics if n.name == dev), None)
    if nic is None:
        return "?"
    hop = _route(prefix + nic.leaf, flow.dst, flow.src, flow.sport, iif=nic.leaf_port)
    leaf = next(d for d in design.devices() if d.name == nic.leaf)
    port = next((p for p in leaf.ports if p.name == hop.get("dev")), None)
    if port is None:
        return "?"
    return port.peer if port.role == "uplink" else leaf.name


class Probe:
    """Traffic between the lab's servers, in the background: ``start()``, then ``stop()`` for the report.

    ``rate``: packets per second per flow; each flow sends at most ``rate * seconds`` packets and
    the senders stop by themselves after ``seconds``.
    """

    def __init__(self, lab: Lab, design: Design, seconds: float = 10.0, rate: float = 50.0, flows_per_pair: int = 4,
                 stop_file: Path | None = None) -> None:
        if not 0 < seconds <= 3600:
            raise LabError(f"--seconds {seconds}: give 0 < S <= 3600")
        if not 0 < rate <= 10000:
            raise LabError(f"--rate {rate}: give 0 < PPS <= 10000 per flow")
        self.lab, self.design, self.seconds, self.rate = lab, design, seconds, rate
        self.stop_file = stop_file
        self.flows = flows(design, flows_per_pair)
        self._receivers: dict[str, subprocess.Popen] = {}
        self._senders: dict[str, subprocess.Popen] = {}
        self._started = 0.0

    def _spawn(self, host: str, mode: str, spec: dict) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.lab.netns(host), sys.executable, "-I", flowgen.__file__,
                                 mode, json.dumps(spec)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def start(self) -> Probe:
        """Trace every flow's path, start the receivers, wait until they listen, start the senders."""
        prefix = self.lab.topology.prefix
        self.flows = [Flow(**{**asdict(f), "path": trace(self.design, prefix, f)}) for f in self.flows]
        by_dst: dict[str, set[str]] = {}
        by_src: dict[str, list[list]] = {}
        for f in self.flows:
            by_dst.setdefault(f.dst_host, set()).add(f.dst)
            by_src.setdefault(f.src_host, []).append([f.id, f.src, f.sport, f.dst])
        limit = self.seconds + START_TIMEOUT_S + 30  # a receiver ends by itself even if never stopped
        try:
            for host, addrs in by_dst.items():
                self._receivers[host] = self._spawn(host, "recv", {"bind": sorted(addrs), "seconds": limit})
            for host, proc in self._receivers.items():
                ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
                line = proc.stdout.readline() if ready else ""
                if line.strip() != "ready":
                    raise LabError(f"{host}: traffic receiver did not start: {line.strip() or _stderr(proc)}")
            self._started = time.monotonic()
            if self.stop_file is not None:
                self.stop_file.write_text("")
            for host, specs in by_src.items():
                spec = {"flows": specs, "rate": self.rate, "seconds": self.seconds}
                if self.stop_file is not None:
                    spec |= {"stop_file": str(self.stop_file), "name": host,
                             "hosts": {f.id: [f.src_host, f.dst_host] for f in self.flows if f.src_host == host}}
                self._senders[host] = self._spawn(host, "send", spec)
        except BaseException:
            self._kill()
            raise
        return self

    def stop(self) -> Report:
        """Stop the senders (if still running), let the receivers drain, and count."""
        try:
            for proc in self._senders.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            sent = {}
            for host, proc in self._senders.items():
                sent.update(_result(host, proc, timeout=10))
            ran = time.monotonic() - self._started
            time.sleep(GRACE_S)
            for proc in self._receivers.values():
                proc.send_signal(signal.SIGTERM)
            got = {}
            for host, proc in self._receivers.items():
                got.update(_result(host, proc, timeout=10))
        finally:
            self._kill()
        results = tuple(_flow_result(f, sent.get(str(f.id), 0), *got.get(str(f.id), (0, 0, 0, -1))) for f in self.flows)
        return Report(self.rate, ran, results)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the senders have finished by themselves (at most ``seconds`` + slack)."""
        deadline = time.monotonic() + (self.seconds + 10 if timeout is None else timeout)
        for proc in self._senders.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                return

    def run(self) -> Report:
        """Start, let the senders finish by themselves, stop."""
        self.start()
        self.wait()
        return self.stop()

    def _kill(self) -> None:
        for proc in (*self._senders.values(), *self._receivers.values()):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)


def _flow_result(flow: Flow, sent: int, received: int, reordered: int, gap: int, highest: int) -> FlowResult:
    """A flow's counts; a loss at the end (after the highest sequence number that arrived) is a gap too."""
    return FlowResult(flow, sent, received, reordered, max(gap, sent - 1 - highest))


def _stderr(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        return "no answer"
    return (proc.stderr.read() or "").strip().splitlines()[-1:][0] if proc.stderr else "exited"


def _result(host: str, proc: subprocess.Popen, timeout: float) -> dict:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise LabError(f"{host}: traffic process did not stop in {timeout:.0f} s") from None
    lines = [ln for ln in out.splitlines() if ln.strip() not in ("", "ready")]
    try:
        return json.loads(lines[-1])
    except (ValueError, IndexError):
        raise LabError(f"{host}: traffic process exited {proc.returncode}: {err.strip()[-300:]}") from None
