"""Benchmark: a 32k-GPU cluster through every offline stage, and (as root with FRR) the lab.

Prints devices, config lines, seconds per stage and peak RSS. Not a test: figures go in the README.
Usage: python bench/bench.py [--intent FILE] [--lab]
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float, float]]) -> Any:
    start = time.perf_counter()
    value = fn()
    rows.append((label, time.perf_counter() - start, peak_rss_mb()))
    return value


def offline(intent: Path) -> list[tuple[str, float, float]]:
    from aifab.check import run_checks
    from aifab.design import build_design, design_json
    from aifab.intent import load_intent
    from aifab.render import write_configs

    rows: list[tuple[str, float, float]] = []
    loaded = timed("load intent", lambda: load_intent(intent), rows)
    design = timed("design", lambda: build_design(loaded.intent), rows)
    out = Path(tempfile.mkdtemp(prefix="aifab-bench-"))
    timed("write design.json", lambda: (out / "design.json").write_bytes(design_json(design)), rows)
    files = timed("render configs", lambda: write_configs(design, out), rows)
    lines = sum(p.read_text().count("\n") for p in files)
    print(f"rendered {len(files):,} files, {lines:,} lines")
    findings = timed("check", lambda: run_checks(design, out), rows)
    print(f"findings: {len(findings)}")
    devices = len(design.devices())
    ports = sum(len(d.ports) for d in design.devices())
    print(f"{design.cluster}: {devices:,} switches, {ports:,} ports, {len(design.hosts):,} hosts")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--intent", type=Path, default=ROOT / "bench" / "cluster-32k.yaml")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores")
    rows = offline(args.intent)
    print(f"{'stage':<20}{'seconds':>10}{'peak RSS MB':>14}")
    for label, secs, rss in rows:
        print(f"{label:<20}{secs:>10.2f}{rss:>14.0f}")


if __name__ == "__main__":
    main()
