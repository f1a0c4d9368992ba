"""Benchmark: time from ``lab up`` to every designed BGP session Established."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from aifab.design.model import Design
from aifab.lab.lifecycle import down, up
from aifab.lab.status import wait_established


@dataclass(frozen=True, slots=True)
class BenchResult:
    switches: int
    sessions: int  # designed sessions, counted from both ends
    up_s: float  # lab up (namespaces, cables, FRR and sshd booted with the configs)
    established_s: float  # from the end of up until every session is Established
    total_s: float


def time_to_established(design: Design, configs: Path, state_dir: Path | None = None, timeout: float = 120.0,
                        keep: bool = False) -> BenchResult:
    """Start the lab from scratch with rendered ``configs`` and measure until BGP has converged.

    Any lab of the cluster is torn down first; the lab is torn down afterwards unless ``keep``.
    """
    down(design, state_dir)
    t0 = time.monotonic()
    try:
        lab = up(design, state_dir, configs=configs)
        t1 = time.monotonic()
        established = wait_established(lab, design, timeout=timeout, interval=0.2)
    finally:
        if not keep:
            down(design, state_dir)
    devices = design.devices()
    return BenchResult(len(devices), sum(len(d.neighbors) for d in devices), round(t1 - t0, 3),
                       round(established, 3), round(t1 - t0 + established, 3))
