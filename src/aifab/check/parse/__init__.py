"""Parse every rendered file back into typed facts, once, sharing them between all rules.

Files are found by the renderer's own naming (``configs/<device>.<suffix>``, suffixes per
platform in its record's ``outputs``, ``aifab.platforms``; its ``parser`` reads them). Large builds are parsed in one process per CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from aifab import forked
from aifab.check.parse.facts import DeviceFacts
from aifab.check.parse.text import ParseError
from aifab.design.model import Design
from aifab.platforms import platform as platform_record
from aifab.platforms import resolve

# A parser takes ``(device, file names, {suffix: text})`` items of one platform.
Item = tuple[str, tuple[str, ...], dict[str, str]]
Parser = Callable[[Iterable[Item]], list[DeviceFacts]]
POOL_THRESHOLD = 64  # below this many devices a parser process costs more than it saves
OWN_WEIGHT = 1.35  # this process's share of devices against a parser process's (measured at 32k GPUs)

__all__ = ["DeviceFacts", "ParseError", "device_files", "parse_build", "parse_files", "parse_rendered", "parser"]


def device_files(configs: Path, device: str, platform: str) -> list[Path]:
    """The rendered files of one device, as the renderer names them."""
    return [configs / f"{device}.{suffix}" for suffix in platform_record(platform).outputs]


def parser(platform: str) -> Parser:
    """The parser of ``platform``'s files (its record's ``parser``, imported on first use)."""
    return resolve(platform_record(platform).parser)


def _items(devices: list[tuple[str, list[Path]]], unreadable: dict[str, str]) -> Iterator[Item]:
    """Each device's files read as it is parsed (a large build is never in memory at once);
    a device whose files cannot be read is noted in ``unreadable``."""
    for device, paths in devices:
        try:
            texts = {p.name[len(device) + 1:]: p.read_text(encoding="utf-8") for p in paths}
        except (OSError, UnicodeDecodeError) as exc:
            unreadable[device] = f"cannot read {getattr(exc, 'filename', None) or 'file'}: {getattr(exc, 'strerror', None) or exc}"
            continue
        yield device, tuple(p.name for p in paths), texts


def parse_files(platform: str, devices: list[tuple[str, list[Path]]]) -> tuple[list[DeviceFacts], dict[str, str]]:
    """Read and parse the files of ``devices`` (all of ``platform``); unreadable devices are reported, not raised."""
    unreadable: dict[str, str] = {}
    try:
        return parser(platform)(_items(devices, unreadable)), unreadable
    except ParseError:  # one bad file: parse one by one to name it
        unreadable = {}
        facts, bad = _one_by_one(platform, _items(devices, unreadable))
        return facts, unreadable | bad


def _one_by_one(platform: str, items: Iterable[Item]) -> tuple[list[DeviceFacts], dict[str, str]]:
    """Parse each item alone: the facts of those that parse, and why each other did not."""
    facts: list[DeviceFacts] = []
    unreadable: dict[str, str] = {}
    for item in items:
        try:
            facts += parser(platform)([item])
        except ParseError as exc:  # named by its file (a batch-level message names none)
            msg = str(exc)
            unreadable[item[0]] = msg if msg.startswith(item[1]) else f"{', '.join(item[1])}: {msg}"
    return facts, unreadable


def parse_rendered(rendered: list[tuple[str, str, dict[str, str]]]) -> tuple[list[DeviceFacts], dict[str, str]]:
    """Facts of ``(device, platform, {file name: text})`` as rendered (the text ``aifab build`` has
    just written: parsed without reading it back), and why some could not be parsed."""
    by_platform: dict[str, list[Item]] = {}
    for device, platform, files in rendered:
        texts = {name[len(device) + 1:]: text for name, text in files.items()}
        by_platform.setdefault(platform, []).append((device, tuple(files), texts))
    facts: list[DeviceFacts] = []
    unreadable: dict[str, str] = {}
    for platform, items in by_platform.items():
        try:
            facts += parser(platform)(items)
        except ParseError:
            found, bad = _one_by_one(platform, items)
            facts += found
            unreadable.update(bad)
    return facts, unreadable


def _work(share: list[tuple[str, list[tuple[str, list[Path]]]]]) -> tuple[list[DeviceFacts], dict[str, str]]:
    facts: list[DeviceFacts] = []
    unreadable: dict[str, str] = {}
    for platform, devices in share:
        found, bad = parse_files(platform, devices)
        facts += found
        unreadable.update(bad)
    return facts, unreadable


def _shares(by_platform: dict[str, list[Any]], jobs: int) -> list[list[tuple[str, list[Any]]]]:
    """Every platform's devices dealt to ``jobs`` shares, round-robin by weight (this process's
    share first, :data:`OWN_WEIGHT` times the others', as it does not pack and send its results)."""
    weights = [OWN_WEIGHT] + [1.0] * (jobs - 1)
    shares: list[list[tuple[str, list[Any]]]] = [[] for _ in range(jobs)]
    for platform, devs in by_platform.items():
        dealt: list[list[Any]] = [[] for _ in range(jobs)]
        for dev in devs:
            min(zip(dealt, weights, strict=True), key=lambda dw: len(dw[0]) / dw[1])[0].append(dev)
        for share, devices in zip(shares, dealt, strict=True):
            if devices:
                share.append((platform, devices))
    return shares


def parse_build(design: Design, configs: Path, jobs: int | None = None) -> tuple[dict[str, DeviceFacts], dict[str, str]]:
    """Facts of every Design device whose files exist under ``configs``, and why others could not be read.

    With ``jobs`` > 1 and at least ``POOL_THRESHOLD`` devices, ``jobs - 1`` forked processes each parse
    a share of every platform's devices while this process parses the first share."""
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
    if jobs < 2 or not forked.AVAILABLE or sum(len(v) for v in by_platform.values()) < POOL_THRESHOLD:
        jobs = 1
    shares = _shares(by_platform, jobs)
    found: dict[str, DeviceFacts] = {}
    with forked.children([(_work, (share,)) for share in shares[1:]]) as others:
        for facts, bad in [_work(shares[0]), *(child.result() for child in others)]:  # facts pickle as tuples
            found.update((f.device, f) for f in facts)
            unreadable.update(bad)
    return {d.name: found[d.name] for d in design.devices() if d.name in found}, unreadable
