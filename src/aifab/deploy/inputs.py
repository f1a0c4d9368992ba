"""What a deploy pushes and with which inventory: the rendered files read back from a build, the
drain snippets, and the inventory (given, the running lab's when asked, or the build's)."""

from __future__ import annotations

from pathlib import Path

from aifab.deploy.inventory_files import InventoryError
from aifab.deploy.runner import Rendered
from aifab.deploy.secrets import inject_payload
from aifab.design.model import Design
from aifab.platforms import platform
from aifab.render import drain_snippet, undrain_snippet


def pick_inventory(out: Path, given: Path | None, lab: Path | None = None) -> Path:
    """The inventory chosen explicitly: ``given`` (``--inventory``), else ``lab`` (``--lab``: the
    running lab's of the intent's cluster; InventoryError when that lab is not up), else the
    build's own ``out/inventory``. Never a lab's unless asked for."""
    if given is not None:
        return given
    if lab is not None:
        if not (lab / "hosts.yaml").is_file():
            raise InventoryError(f"{lab}: no running lab inventory (aifab lab up INTENT first)")
        return lab
    return out / "inventory"


def rendered_from(design: Design, out: Path) -> Rendered:
    """What ships is what was checked: the pushed file of each device, read back from ``out/configs``,
    with its secret placeholders filled in (``aifab.deploy.secrets``; a missing secret is an error
    naming the device and the secret, before anything is touched)."""
    devices = [d for d in design.devices() if platform(d.platform).deploys]
    files = {d.name: {"pushed": (out / "configs" / f"{d.name}.{platform(d.platform).pushed}").read_text()} for d in devices}
    payload, secrets = inject_payload(files)
    return Rendered(
        configs={name: f["pushed"] for name, f in payload.items()},
        drain={d.name: drain_snippet(design, d) for d in devices},
        undrain={d.name: undrain_snippet(design, d) for d in devices},
        secrets=secrets,
    )
