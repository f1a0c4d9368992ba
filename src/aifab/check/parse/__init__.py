"""Parse every rendered file back into typed facts, once, sharing them between all rules.

Files are found by the renderer's own naming (``configs/<device>.<suffix>``, suffixes per
platform in ``aifab.render.OUTPUTS``). Large builds are parsed in one process per CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from aifab.check.parse import eos, frr, sonic
from aifab.check.parse.facts import DeviceFacts
from aifab.check.parse.text import ParseError
from aifab.design.model import Design
from aifab.render import OUTPUTS

# A parser takes ``(device, file names, {suffix: text})`` items of one platform.
Item = tuple[str, tuple[str, ...], dict[str, str]]
PARSERS: dict[str, Callable[[list[Item]], list[DeviceFacts]]] = {"eos": eos.parse, "frr": frr.parse, "sonic": sonic.parse}
POOL_THRESHOLD = 64  # below this many devices a process pool costs more than it saves

__all__ = ["PARSERS", "DeviceFacts", "ParseError", "device_files", "parse_build", "parse_files"]


def device_files(configs: Path, device: str, platform: str) -> list[Path]:
    """The rendered files of one device, as the renderer names them."""
    return [configs / f"{device}.{suffix}" for suffix in OUTPUTS[platform]]


def parse_files(platform: str, devices: list[tuple[str, list[Path]]]) -> tuple[list[DeviceFacts], dict[str, str]]:
    """Read and parse the files of ``devices`` (all of ``platform``); unreadable devices are reported, not raised."""
    items: list[Item] = []
    unreadable: dict[str, str] = {}
    for device, paths in devices:
        try:
            texts = {p.name[len(device) + 1:]: p.read_text(encoding="utf-8") for p in paths}
        except (OSError, UnicodeDecodeError) as exc:
            unreadable[device] = f"cannot read {getattr(exc, 'filename', None) or 'file'}: {getattr(exc, 'strerror', None) or exc}"
            continue
        items.append((device, tuple(p.name for p in paths), texts))
    facts: list[DeviceFacts] = []
    try:
        facts = PARSERS[platform](items)
    except ParseError:  # one bad file: parse one by one to name it
        for item in items:
            try:
                facts += PARSERS[platform]([item])
            except ParseError as exc:
                unreadable[item[0]] = str(exc)
    return facts, unreadable


def _work(args: tuple[str, list[tuple[str, list[Path]]]]) -> tuple[list[DeviceFacts], dict[str, str]]:
    return parse_files(*args)


def parse_build(design: Design, configs: Path, jobs: int | None = None) -> tuple[dict[str, DeviceFacts], dict[str, str]]:
    """Facts of every Design device whose files exist under ``configs``, and why others could not be read."""
    by_platform: dict[str, list[tuple[str, list[Path]]]] = {}
    unreadable: dict[str, str] = {}
    for dev in design.devices():
        paths = device_files(configs, dev.name, dev.platform)
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            unreadable[dev.name] = f"missing {', '.join(missing)} in {configs}"
            continue
        by_platform.setdefault(dev.platform, []).append((dev.name, paths))
    jobs = jobs or len(os.sched_getaffinity(0))
    total = sum(len(v) for v in by_platform.values())
    work = [(platform, devs[i::jobs]) for platform, devs in by_platform.items() for i in range(jobs) if devs[i::jobs]]
    if jobs > 1 and total >= POOL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            results = list(pool.map(_work, work))
    else:
        results = [_work(w) for w in work]
    facts: dict[str, DeviceFacts] = {}
    for found, bad in results:
        facts.update((f.device, f) for f in found)
        unreadable.update(bad)
    return facts, unreadable
