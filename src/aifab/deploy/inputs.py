"""What a deploy pushes and with which inventory: the rendered files read back from a build, the
drain snippets, and the inventory (given, the running lab's, or the build's)."""

from __future__ import annotations

from pathlib import Path

from aifab.deploy.runner import DEPLOYABLE, Rendered
from aifab.design.model import Design
from aifab.lab.access import inventory_dir
from aifab.lab.state import default_state_dir
from aifab.render import PUSHED, drain_snippet, undrain_snippet


def pick_inventory(design: Design, out: Path, given: Path | None) -> Path:
    """The given inventory, else the lab's when a lab of this cluster is up, else the build's."""
    if given is not None:
        return given
    lab = inventory_dir(default_state_dir(design.cluster))
    if (lab / "hosts.yaml").is_file():
        return lab
    return out / "inventory"


def rendered_from(design: Design, out: Path) -> Rendered:
    """What ships is what was checked: the pushed file of each device, read back from ``out/configs``."""
    devices = [d for d in design.devices() if d.platform in DEPLOYABLE]
    return Rendered(
        configs={d.name: (out / "configs" / f"{d.name}.{PUSHED[d.platform]}").read_text() for d in devices},
        drain={d.name: drain_snippet(design, d) for d in devices},
        undrain={d.name: undrain_snippet(design, d) for d in devices},
    )
