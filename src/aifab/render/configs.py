"""Device files per platform: which outputs exist (the platform record's ``outputs``), how each is
produced, where it is written."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from aifab import forked
from aifab.design.model import Design, Device
from aifab.platforms import Platform, platform, resolve
from aifab.render.env import template
from aifab.render.sections import parts_renderer, rebased, renderer
from aifab.render.view import DeviceView, device_view

Producer = Callable[[DeviceView], str]
Parts = dict[str, list[str]]  # file name -> its text in parts (aifab.render.sections.parts_renderer)
T = TypeVar("T")
FORK_THRESHOLD = 64  # below this many devices a render process costs more than it saves


def producer(record: Platform, output: str) -> Producer:
    """How ``record`` produces its output ``output`` (an output suffix): a template or a function."""
    ref = record.outputs[output]
    if ":" in ref:
        return resolve(ref)
    return renderer(ref, record.template_root)


def render_device(design: Design, dev: Device, container: bool = False) -> dict[str, str]:
    """The files of one device (file name -> text)."""
    return render_view(device_view(design, dev, container))


def render_view(view: DeviceView, suffixes: Collection[str] | None = None) -> dict[str, str]:
    """The files of the device whose view is ``view`` (file name -> text), or those of its outputs
    named in ``suffixes``."""
    record = platform(view.platform)
    return {f"{view.hostname}.{suffix}": producer(record, suffix)(view) for suffix in record.outputs
            if suffixes is None or suffix in suffixes}


def render_parts(view: DeviceView) -> Parts:
    """:func:`render_view`'s files, each in the parts its template renders them (one part for a
    file a function produces)."""
    record = platform(view.platform)
    out = {}
    for suffix, ref in record.outputs.items():
        name = f"{view.hostname}.{suffix}"
        out[name] = [resolve(ref)(view)] if ":" in ref else parts_renderer(ref, record.template_root)(view)
    return out


def rebased_files(view: DeviceView, parts: Parts, other: DeviceView, suffixes: Collection[str]) -> dict[str, str]:
    """The files named by ``suffixes`` of the device whose view is ``other`` (the same switch as
    ``view`` in another Design), given ``view``'s files in ``parts``: in a template's file, each
    section that reads the same values from both views is not rendered again."""
    record = platform(other.platform)
    out = {}
    for suffix, ref in record.outputs.items():
        if suffix not in suffixes:
            continue
        name, mine = f"{other.hostname}.{suffix}", parts.get(f"{view.hostname}.{suffix}")
        if ":" in ref or mine is None or view.platform != other.platform:
            out[name] = producer(record, suffix)(other)
        else:
            out[name] = rebased(ref, record.template_root, view, mine, other)
    return out


def _snippet(design: Design, dev: Device, name: str) -> str:
    record = platform(dev.platform)
    return template(f"{record.snippet_folder}/{name}", record.template_root).render(d=device_view(design, dev))


def drain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to drain ``dev`` (docs/sources.md#upgrade-rules): EOS quiesce, FRR bgp graceful-shutdown."""
    return _snippet(design, dev, "drain.j2")


def undrain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to undo ``drain_snippet``."""
    return _snippet(design, dev, "undrain.j2")


Rendered = list[tuple[Device, DeviceView, dict[str, str], Parts]]  # devices, their views, files (name -> text) and their parts
BATCH = 256  # devices whose texts are kept for the consumer of write_configs at once


def _write_devices(design: Design, configs: Path, consume: Callable[[Rendered], T] | None,
                   devices: list[Device]) -> tuple[list[str], list[T]]:
    """Render and write ``devices``; the names of their files, and what ``consume`` made of each
    batch of them."""
    written, batch, consumed = [], [], []
    for dev in devices:
        view = device_view(design, dev)
        parts = render_parts(view)
        files = {name: "".join(texts) for name, texts in parts.items()}
        for name, text in files.items():
            _write_changed(configs / name, text.encode())
            written.append(name)
        if consume is not None:
            batch.append((dev, view, files, parts))
            if len(batch) == BATCH:
                consumed.append(consume(batch))
                batch = []
    if batch and consume is not None:
        consumed.append(consume(batch))
    return written, consumed


def _write_changed(path: Path, data: bytes) -> None:
    """Write ``data`` unless ``path`` holds it already: a rebuild leaves unchanged files alone (their
    times too), and reading a file back costs less than truncating and rewriting it."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    path.write_bytes(data)


def write_configs(design: Design, out: Path, jobs: int = 1) -> list[Path]:
    """Render every device into ``out/configs/`` (removing files a previous build left there that
    this Design does not produce) and return the paths written. With ``jobs`` > 1 and at least
    ``FORK_THRESHOLD`` devices, ``jobs - 1`` forked processes render and write a share each."""
    return write_and_consume(design, out, None, jobs)[0]


def write_and_consume(design: Design, out: Path, consume: Callable[[Rendered], T] | None,
                      jobs: int = 1) -> tuple[list[Path], list[T]]:
    """:func:`write_configs`, and ``consume`` called on every batch of up to :data:`BATCH` rendered
    devices by the process that rendered them, while their text is at hand (results picklable:
    forked renderers send them back); its results in device order."""
    configs = out / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    devices = design.devices()
    parts = forked.fan_out(_write_devices, (design, configs, consume), devices, jobs if len(devices) >= FORK_THRESHOLD else 1)
    written = [configs / name for names, _ in parts for name in names]
    keep = {p.name for p in written}
    for stale in configs.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    return written, [result for _, results in parts for result in results]
