"""What a deploy pushes: each platform's candidate from its record, a device that cannot deploy
refused (exit 2) before anything is touched, and the FRR lab's frr driver for a SONiC switch with
what it does not apply said per device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab.deploy.inputs import UndeployableError, inventory_drivers, lab_addresses, rendered_from
from aifab.pipeline import build
from aifab.platforms import Platform
from tests.test_platform_toy import toy  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "intent" / "lab.yaml"


def _intent(tmp_path: Path, backend: str) -> Path:
    text = LAB.read_text()
    head, _, tail = text.partition("frontend:")
    path = tmp_path / "intent.yaml"
    path.write_text(head.replace("platform: frr}", f"platform: {backend}}}") + "frontend:" + tail)
    return path


def test_frr_candidate_bundles_every_pushed_file(tmp_path: Path) -> None:
    design = build(_intent(tmp_path, "frr"), tmp_path / "b").design
    rendered = rendered_from(design, tmp_path / "b")
    leaf = "be-leaf-su1-r1"
    bundle = json.loads(rendered.configs[leaf])
    configs = tmp_path / "b" / "configs"
    assert bundle == {n: (configs / f"{leaf}.{n}").read_text() for n in ("frr.conf", "links.sh", "qos.sh")}
    drained = json.loads(rendered.drained[leaf])
    assert drained["frr.conf"] == bundle["frr.conf"] + rendered.drain[leaf] and drained["qos.sh"] == bundle["qos.sh"]
    assert rendered.notes == {}


def test_sonic_candidate_for_its_own_driver_and_for_the_labs_frr_driver(tmp_path: Path) -> None:
    design = build(_intent(tmp_path, "sonic"), tmp_path / "b").design
    configs = tmp_path / "b" / "configs"
    own = rendered_from(design, tmp_path / "b")
    spine = json.loads(own.configs["be-spine1"])
    assert set(spine) == {"config_db", "frr"}
    assert spine["config_db"] == json.loads((configs / "be-spine1.config_db.json").read_text())
    assert own.notes == {}

    lab = rendered_from(design, tmp_path / "b", {d.name: "frr" for d in design.devices()})
    bundle = json.loads(lab.configs["be-spine1"])
    assert bundle["frr.conf"] == (configs / "be-spine1.frr.conf").read_text()
    assert "ip addr replace 10.0.1.0/31 dev Ethernet0" in bundle["addresses.sh"]
    assert "ip addr replace 10.0.0.1/32 dev Loopback0" in bundle["addresses.sh"]
    assert "fe-spine1" not in lab.notes  # frr devices lose nothing
    note = " ".join(lab.notes["be-spine1"])
    assert "config_db.json not applied" in note and "PFC" in note and "ECN" in note and "buffers" in note


def test_lab_addresses_from_config_db() -> None:
    db = {"INTERFACE": {"Ethernet8": {}, "Ethernet8|10.0.1.4/31": {}}, "LOOPBACK_INTERFACE": {"Loopback0|10.0.0.1/32": {}}}
    assert lab_addresses(json.dumps(db)).splitlines() == [
        "set -eu", "ip link add Loopback0 type bridge", "ip link set dev Loopback0 up",
        "ip addr replace 10.0.0.1/32 dev Loopback0", "ip addr replace 10.0.1.4/31 dev Ethernet8"]


def test_a_platform_without_a_driver_is_refused_naming_every_device(toy: Platform, tmp_path: Path) -> None:  # noqa: F811
    design = build(_intent(tmp_path, "toy"), tmp_path / "b").design
    with pytest.raises(UndeployableError) as err:
        rendered_from(design, tmp_path / "b")
    assert err.value.exit_code == 2
    for dev in design.backend.devices:
        assert f"{dev.name}: platform toy has no deploy driver" in str(err.value)
    assert "fe-spine1" not in str(err.value)


def test_a_missing_pushed_file_is_refused_naming_the_device_and_file(tmp_path: Path) -> None:
    design = build(_intent(tmp_path, "frr"), tmp_path / "b").design
    (tmp_path / "b" / "configs" / "fe-leaf1a.qos.sh").unlink()
    with pytest.raises(UndeployableError, match=r"fe-leaf1a: cannot read .*fe-leaf1a\.qos\.sh"):
        rendered_from(design, tmp_path / "b")


def test_inventory_drivers_follow_host_groups_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text("a: {groups: [g]}\nb: {platform: eos}\nc: {}\n")
    (tmp_path / "groups.yaml").write_text("g:\n  connection_options: {napalm: {platform: sonic}}\n")
    (tmp_path / "defaults.yaml").write_text("platform: frr\n")
    assert inventory_drivers(tmp_path) == {"a": "sonic", "b": "eos", "c": "frr"}


def test_cli_deploy_of_an_undeployable_platform_exits_2_naming_devices_before_any_login(
        toy: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    from aifab.cli import main

    intent, out, inventory = _intent(tmp_path, "toy"), tmp_path / "b", tmp_path / "inv"
    inventory.mkdir()  # addresses nothing answers on: the refusal comes before any connection
    (inventory / "hosts.yaml").write_text("".join(f"{n}:\n  hostname: 192.0.2.1\n  platform: frr\n" for n in
                                                  ("be-spine1", "be-spine2", "fe-spine1")))
    assert main(["deploy", str(intent), "-o", str(out), "--inventory", str(inventory), "--commit"]) == 2
    err = capsys.readouterr().err
    assert "be-spine1: platform toy has no deploy driver" in err and "be-leaf-su1-r1" in err
    assert "Traceback" not in err and not (out / "audit.jsonl").exists()
    assert (inventory / ".aifab-deploy.lock").read_text() == "", "the lock taken before the build, released"
