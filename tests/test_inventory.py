"""One Nornir inventory writer for the build and the lab, and the hand-kept folder passed explicitly
(found above the intent by default, never read from the working directory)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nornir import InitNornir

from aifab.artifacts.inventory import HandKept, InventoryError, find_hand_kept, write_inventory
from aifab.lab import access
from aifab.lab.topology import topology
from tests.test_render_helpers import LAB, PLATFORMS, ROOT, lab_design


def _nornir(inv: Path):  # type: ignore[no-untyped-def]
    return InitNornir(inventory={"plugin": "SimpleInventory", "options": {
        "host_file": str(inv / "hosts.yaml"), "group_file": str(inv / "groups.yaml"),
        "defaults_file": str(inv / "defaults.yaml")}}, logging={"enabled": False})


def _aifab(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The CLI of this checkout, run from ``cwd``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "aifab", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_build_and_lab_inventories_agree_on_hosts(platform: str, tmp_path: Path) -> None:
    """Both written by the one writer: same hosts, groups and data; the lab's hosts are at their lab
    addresses, on the frr driver whatever the Design's platform, with its SSH options in defaults."""
    design = lab_design(platform)
    write_inventory(design, tmp_path / "build", HandKept.read(ROOT / "inventory"))
    topo = topology(design)
    access.write_inventory(design, topo, tmp_path / "lab")
    built, lab = _nornir(tmp_path / "build" / "inventory"), _nornir(access.inventory_dir(tmp_path / "lab"))
    assert set(built.inventory.hosts) == set(lab.inventory.hosts) == {d.name for d in design.devices()}
    for name, host in built.inventory.hosts.items():
        twin = lab.inventory.hosts[name]
        assert dict(host.data) == dict(twin.data) and host.data["os"] == platform
        assert [g.name for g in host.groups] == [g.name for g in twin.groups]
        assert twin.hostname == topo.switch(name).address
        assert twin.platform == "frr" and host.platform == platform  # the build: the record's own driver
        extras = twin.get_connection_parameters("napalm").extras["optional_args"]
        assert extras == access.optional_args(topo, tmp_path / "lab") and twin.username == access.USERNAME


def test_hand_kept_folder_is_read_as_given(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "groups.yaml").write_text("frr:\n  platform: frr\n  connection_options: {napalm: {extras: {timeout: 7}}}\n"
                                      "site-a: {data: {site: a}}\n")
    write_inventory(lab_design("frr"), tmp_path, HandKept.read(kept))
    nr = _nornir(tmp_path / "inventory")
    assert "site-a" in nr.inventory.groups  # a hand-kept group no host names is kept
    host = next(iter(nr.inventory.hosts.values()))
    assert host.get_connection_parameters("napalm").extras == {"timeout": 7}
    assert not (tmp_path / "inventory" / "defaults.yaml").exists()  # none kept, none given
    (kept / "groups.yaml").write_text("- a\n")
    with pytest.raises(InventoryError, match=r"groups.yaml: expected a mapping, got list$"):
        HandKept.read(kept)
    (kept / "groups.yaml").write_text("{}\n")
    (kept / "defaults.yaml").write_text("a: [\n")
    with pytest.raises(InventoryError, match=r"defaults.yaml: cannot read \(.*line 2"):
        HandKept.read(kept)


def test_hand_kept_folder_is_found_above_the_intent_not_in_the_cwd(tmp_path: Path) -> None:
    assert find_hand_kept(LAB) == ROOT / "inventory"
    repo = tmp_path / "repo"
    (repo / "fabric" / "intent").mkdir(parents=True)
    (repo / ".git").mkdir()
    shutil.copytree(ROOT / "inventory", repo / "inventory")
    intent = repo / "fabric" / "intent" / "lab.yaml"
    shutil.copy(LAB, intent)
    assert find_hand_kept(intent) == repo / "inventory"
    (repo / "fabric" / "inventory").mkdir()
    (repo / "fabric" / "inventory" / "hosts.yaml").write_text("{}\n")  # a generated inventory is not hand-kept
    (repo / "fabric" / "inventory" / "groups.yaml").write_text("{}\n")
    assert find_hand_kept(intent) == repo / "inventory"
    shutil.rmtree(repo / "inventory")
    shutil.copytree(ROOT / "inventory", tmp_path / "inventory")  # above the repository's root: not its own
    assert find_hand_kept(intent) is None

    run = _aifab("build", intent, "-o", tmp_path / "out", cwd=ROOT)  # the cwd's inventory/ is not read
    assert run.returncode == 0, run.stderr
    assert "hand-kept inventory: none found above" in run.stdout
    assert not (tmp_path / "out" / "inventory" / "defaults.yaml").exists()
    assert "hand-kept" not in (tmp_path / "out" / "inventory" / "groups.yaml").read_text()  # the records' groups only


def test_build_says_which_hand_kept_folder_and_refuses_a_missing_one(tmp_path: Path) -> None:
    run = _aifab("build", LAB, "-o", tmp_path / "found", cwd=tmp_path)  # from elsewhere: the intent's repository
    assert run.returncode == 0, run.stderr
    assert f"hand-kept inventory: {ROOT / 'inventory'}" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("checks passed: 0 errors")  # all of it, though the CLI leaves quickly
    assert "transport: https" in (tmp_path / "found" / "inventory" / "groups.yaml").read_text()
    run = _aifab("build", LAB, "-o", tmp_path / "out", "--hand-kept", tmp_path / "nowhere")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip() == f"{tmp_path / 'nowhere'}: no such hand-kept inventory folder (groups.yaml, defaults.yaml)"
    assert not (tmp_path / "out").exists()  # nothing written
