"""Golden files: intent/lab.yaml rendered on each platform equals tests/golden/<platform>/.

Regenerate after an intended change with ``AIFAB_UPDATE_GOLDEN=1 pytest tests/test_render_golden.py``
and review the diff like code.
"""

from __future__ import annotations

import os
import shutil

import pytest

from aifab.artifacts.clab import clab_topology
from aifab.artifacts.inventory import inventory_hosts
from aifab.artifacts.yamlfile import yaml_text
from aifab.render import render_device
from tests.test_render_helpers import PLATFORMS, ROOT, lab_design, lab_files

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("AIFAB_UPDATE_GOLDEN") == "1"


def expected_files(platform: str) -> dict[str, str]:
    """Every file the golden directory of ``platform`` should hold."""
    design = lab_design(platform)
    files = {f"configs/{name}": text for name, text in lab_files(platform).items()}
    files["inventory/hosts.yaml"] = yaml_text(inventory_hosts(design))
    topo = clab_topology(design)
    if topo is not None:
        files[f"clab/{design.cluster}.clab.yml"] = yaml_text(topo)
    return files


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lab_renders_as_golden(platform: str) -> None:
    root = GOLDEN / platform
    files = expected_files(platform)
    if UPDATE:
        shutil.rmtree(root, ignore_errors=True)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert on_disk == set(files), "golden files differ in name; regenerate with AIFAB_UPDATE_GOLDEN=1 and review"
    for rel, text in files.items():
        assert (root / rel).read_text(encoding="utf-8") == text, f"{platform}/{rel} differs from its golden file"


def test_each_platform_has_its_files() -> None:
    """Switching a role's platform in the intent switches the files: one word, no other change."""
    suffixes = {p: {name.split(".", 1)[1] for name in lab_files(p)} for p in PLATFORMS}
    assert suffixes == {"frr": {"frr.conf", "links.sh", "qos.sh"}, "eos": {"cfg"}, "sonic": {"config_db.json", "frr.conf"}}
    for platform in PLATFORMS:
        devices = {d.name for d in lab_design(platform).devices()}
        assert {name.split(".", 1)[0] for name in lab_files(platform)} == devices


def test_rendering_is_deterministic() -> None:
    """A freshly derived Design rendered in reverse device order gives byte-identical files."""
    for platform in PLATFORMS:
        design = lab_design.__wrapped__(platform)  # bypass the cache: derive again
        again = {n: t for d in reversed(design.devices()) for n, t in render_device(design, d).items()}
        assert again == lab_files(platform)
