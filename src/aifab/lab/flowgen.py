"""The processes the traffic probe runs inside a lab host's network namespace (standard library only).

``python flowgen.py recv SPEC_JSON``: bind UDP ``PORT`` on every address of ``bind``, print
``ready``, count packets per flow until SIGTERM or ``seconds``, print ``{flow: [received,
reordered, max_gap, highest]}``. ``python flowgen.py send SPEC_JSON``: for each ``[flow, src, sport, dst]``
send one packet per tick at ``rate`` ticks per second, at most ``rate * seconds`` packets or
``seconds`` (or until SIGTERM), print ``{flow: sent}``. A packet is the flow id and its sequence
number (``PACKET``) and padding. Run by path, so it starts without importing aifab.

The scheduler's part (``stop_file`` in a sender's spec): every ``POLL_S`` the sender reads that
file, one host name a line, and stops for good every flow of its own whose ``hosts`` (source and
destination) include a listed one, as a job scheduler stops the jobs of the servers it cordons;
then it writes how many lines it has acted on to ``<stop_file>.<name>.ack`` (atomically), so
whoever listed them can wait until every sender has stopped those flows.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

PORT = 4791  # RoCEv2's UDP port; inside the lab's namespaces only
PACKET = struct.Struct("!IQ")  # flow id, sequence number
PAD = 64  # payload bytes beyond the header
POLL_S = 0.05  # how often a sender reads its stop file


_stopping = False  # set by SIGTERM; the loops check it between packets, so no count is torn


def _on_term(*_: object) -> None:
    global _stopping
    _stopping = True


def _receive(spec: dict) -> dict[str, list[int]]:
    """Read packets on every address until SIGTERM or ``seconds``: flow -> [received, reordered, max gap,
    highest sequence number]."""
    socks = []
    for addr in spec["bind"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        s.bind((addr, PORT))
        s.setblocking(False)
        socks.append(s)
    stats: dict[int, list[int]] = {}  # flow -> [received, reordered, max gap, highest seq]
    print("ready", flush=True)
    deadline = time.monotonic() + spec["seconds"]
    while time.monotonic() < deadline and not _stopping:
        ready, _, _ = select.select(socks, [], [], 0.2)
        for s in ready:
            _read(s, stats)
    for s in socks:  # what arrived before the stop
        _read(s, stats)
    return {str(fid): st for fid, st in stats.items()}


def _read(s: socket.socket, stats: dict[int, list[int]]) -> None:
    """Count every packet queued on ``s``."""
    while True:
        try:
            data = s.recv(2048)
        except BlockingIOError:
            return
        if len(data) < PACKET.size:
            continue
        fid, seq = PACKET.unpack_from(data)
        st = stats.setdefault(fid, [0, 0, 0, -1])
        st[0] += 1
        if seq < st[3]:
            st[1] += 1
        else:
            st[2] = max(st[2], seq - st[3] - 1)
            st[3] = seq


def _stopped(stop_file: str, name: str) -> set[str]:
    """The hosts listed in ``stop_file``; acknowledges how many lines were read (``.ack``)."""
    try:
        with open(stop_file, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        lines = []
    ack = f"{stop_file}.{name}.ack"
    with open(ack + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(str(len(lines)))
    os.replace(ack + ".tmp", ack)
    return {line.strip() for line in lines if line.strip()}


def _send(spec: dict) -> dict[str, int]:
    """Send one packet per flow per tick at ``rate`` ticks per second for at most ``seconds``;
    with ``stop_file``, stop the flows of the hosts it lists (see the module's docstring)."""
    stop_file, hosts = spec.get("stop_file"), {int(k): set(v) for k, v in spec.get("hosts", {}).items()}
    flows_ = []
    for fid, src, sport, dst in spec["flows"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, sport))
        s.setblocking(False)
        flows_.append((fid, s, (dst, PORT)))
    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    count = max(int(rate * seconds), 1)
    sent = dict.fromkeys((f[0] for f in flows_), 0)
    pad = bytes(PAD)
    start = time.monotonic()
    polled = float("-inf")
    for seq in range(count):
        due = start + seq / rate
        now = time.monotonic()
        if now - start > seconds or _stopping:
            break
        if stop_file and now - polled >= POLL_S:
            polled = now
            gone = _stopped(stop_file, spec["name"])
            flows_ = [f for f in flows_ if not hosts.get(f[0], set()) & gone]
        if due > now:
            time.sleep(due - now)
        for fid, s, to in flows_:
            with contextlib.suppress(OSError):  # a refused send is a lost packet
                s.sendto(PACKET.pack(fid, seq) + pad, to)
            sent[fid] = seq + 1
    return {str(fid): n for fid, n in sent.items()}


def main(argv: list[str]) -> int:
    """``python flowgen.py recv|send SPEC_JSON`` (run by ``Probe`` inside a host namespace)."""
    signal.signal(signal.SIGTERM, _on_term)
    mode, spec = argv[0], json.loads(argv[1])
    result = _receive(spec) if mode == "recv" else _send(spec)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
