"""Device files per platform: which outputs exist (the platform record's ``outputs``), how each is
produced, where it is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aifab.design.model import Design, Device
from aifab.platforms import Platform, platform, resolve
from aifab.render.env import template
from aifab.render.view import DeviceView, device_view

Producer = Callable[[DeviceView], str]


def producer(record: Platform, output: str) -> Producer:
    """How ``record`` produces its output ``output`` (an output suffix): a template or a function."""
    ref = record.outputs[output]
    if ":" in ref:
        return resolve(ref)
    tpl = template(ref, record.template_root)
    return lambda view: tpl.render(d=view)


def render_device(design: Design, dev: Device, container: bool = False) -> dict[str, str]:
    """The files of one device (file name -> text)."""
    view = device_view(design, dev, container)
    record = platform(dev.platform)
    return {f"{dev.name}.{suffix}": producer(record, suffix)(view) for suffix in record.outputs}


def _snippet(design: Design, dev: Device, name: str) -> str:
    record = platform(dev.platform)
    return template(f"{record.snippet_folder}/{name}", record.template_root).render(d=device_view(design, dev))


def drain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to drain ``dev`` (facts section 7): EOS quiesce, FRR bgp graceful-shutdown."""
    return _snippet(design, dev, "drain.j2")


def undrain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to undo ``drain_snippet``."""
    return _snippet(design, dev, "undrain.j2")


def write_configs(design: Design, out: Path) -> list[Path]:
    """Render every device into ``out/configs/`` (removing files a previous build left there that
    this Design does not produce) and return the paths written."""
    configs = out / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    written = []
    for dev in design.devices():
        for name, text in render_device(design, dev).items():
            path = configs / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    keep = {p.name for p in written}
    for stale in configs.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    return written
