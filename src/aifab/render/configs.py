"""Device files per platform: which outputs exist, how each is produced, where it is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aifab import forked
from aifab.design.model import Design, Device
from aifab.render.env import template
from aifab.render.sonic import config_db_json
from aifab.render.view import DeviceView, device_view

Producer = Callable[[DeviceView], str]
FORK_THRESHOLD = 64  # below this many devices a render process costs more than it saves


def _tpl(name: str) -> Producer:
    return lambda view: template(name).render(d=view)


# Per platform: file suffix -> producer. ``configs/<device>.<suffix>``.
OUTPUTS: dict[str, dict[str, Producer]] = {
    "eos": {"cfg": _tpl("eos/running-config.j2")},
    "frr": {"frr.conf": _tpl("frr/frr.conf.j2"), "links.sh": _tpl("frr/links.sh.j2"), "qos.sh": _tpl("frr/qos.sh.j2")},
    "sonic": {"config_db.json": config_db_json, "frr.conf": _tpl("frr/frr.conf.j2")},
}
# The file Nornir pushes to each platform (SONiC: the BGP part; config_db.json is loaded with `config load`).
PUSHED = {"eos": "cfg", "frr": "frr.conf", "sonic": "frr.conf"}
_SNIPPET_DIR = {"eos": "eos", "frr": "frr", "sonic": "frr"}


def render_device(design: Design, dev: Device, container: bool = False) -> dict[str, str]:
    """The files of one device (file name -> text)."""
    view = device_view(design, dev, container)
    return {f"{dev.name}.{suffix}": produce(view) for suffix, produce in OUTPUTS[view.platform].items()}


def drain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to drain ``dev`` (facts section 7): EOS quiesce, FRR bgp graceful-shutdown."""
    return template(f"{_SNIPPET_DIR[dev.platform]}/drain.j2").render(d=device_view(design, dev))


def undrain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to undo ``drain_snippet``."""
    return template(f"{_SNIPPET_DIR[dev.platform]}/undrain.j2").render(d=device_view(design, dev))


def _write_devices(design: Design, configs: Path, devices: list[Device]) -> list[str]:
    """Render and write ``devices``; the names of their files."""
    written = []
    for dev in devices:
        for name, text in render_device(design, dev).items():
            _write_changed(configs / name, text.encode())
            written.append(name)
    return written


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
    configs = out / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    devices = design.devices()
    parts = forked.fan_out(_write_devices, (design, configs), devices, jobs if len(devices) >= FORK_THRESHOLD else 1)
    written = [configs / name for part in parts for name in part]
    keep = {p.name for p in written}
    for stale in configs.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    return written
