"""containerlab export: the Design as a cEOS lab (topology, startup configs, Nornir inventory).

Whatever platforms the intent names, the export renders every switch as EOS, with the cEOS
management interface (Management0, docs/sources.md#interface-names), so the same fabric can be brought up where
Docker, containerlab and a cEOS image exist, and deployed with NAPALM's eos driver.
"""

from __future__ import annotations

from pathlib import Path

from aifab.artifacts.clab import CEOS_IMAGE, write_clab
from aifab.artifacts.inventory import hand_kept_for, write_inventory
from aifab.check.engine import require_clean
from aifab.design import Design, build_design
from aifab.errors import DesignError
from aifab.intent import load_intent
from aifab.paths import PathError, writable_dir
from aifab.render import render_device


def clab_design(intent_path: str | Path) -> Design:
    """The Design of the intent with every switch on EOS; errors name file, line and key."""
    loaded = load_intent(intent_path)
    try:
        return build_design(loaded.intent.on_platform("eos"))
    except DesignError as exc:
        raise loaded.error(exc.problems) from None


def export_clab(intent_path: str | Path, out: Path, image: str = CEOS_IMAGE,
                hand_kept: Path | None = None) -> tuple[Design, list[Path]]:
    """Write ``out/configs/<device>.cfg`` (cEOS startup configs), ``out/clab/<cluster>.clab.yml`` and
    ``out/inventory/`` (NAPALM eos, connection options from the ``hand_kept`` folder as ``aifab build``
    finds it, credentials from the environment), then check the configs (CheckFailed on an error
    finding); returns the EOS design and the paths."""
    design = clab_design(intent_path)
    writable_dir(out, "the containerlab export")
    kept = hand_kept_for(intent_path, hand_kept)
    configs = out / "configs"
    written = []
    try:
        configs.mkdir(parents=True, exist_ok=True)
        for dev in design.devices():
            for name, text in render_device(design, dev, container=True).items():
                (configs / name).write_text(text, encoding="utf-8")
                written.append(configs / name)
        topology = write_clab(design, out, image)
        files = [*written, topology, *write_inventory(design, out, kept)]
    except OSError as exc:
        raise PathError(f"{out}: cannot write the containerlab export ({exc.strerror or exc})") from None
    assert topology is not None  # every switch is EOS here
    require_clean(design, out)
    return design, files
