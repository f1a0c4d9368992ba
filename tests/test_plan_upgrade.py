"""Software versions in the intent (issue 11 item 3): the target version per platform, role and
device, each platform's upgrade method from its record and the switch model, the change kind
``software`` in the change set and the plan, and the steps the review lists for the deploy."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from aifab.catalog import SwitchModel, register, unregister
from aifab.design.model import Design, Device
from aifab.errors import IntentError
from aifab.pipeline import design_for
from aifab.plan.changes import change_set
from aifab.plan.upgrade import method_for
from aifab.plan.waves import change_steps, classify, plan_waves
from aifab.review import review
from aifab.review_report import PLAN_CSV_HEADER, plan_csv, plan_json, to_review_markdown
from tests.test_review import make_repo

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
SPINES = ("be-spine1", "be-spine2", "fe-spine1", "fe-spine2")


def _intent(tmp_path: Path, versions: str, name: str = "lab.yaml") -> Path:
    path = tmp_path / name
    path.write_text(LAB.read_text() + f"  os_version: {versions}\n")
    return path


def _design(tmp_path: Path, versions: str) -> Design:
    return design_for(_intent(tmp_path, versions))[1]


def _lab() -> Design:
    return design_for(LAB)[1]


def _device(design: Design, name: str) -> Device:
    return next(d for d in design.devices() if d.name == name)


def test_the_most_specific_version_wins(tmp_path: Path) -> None:
    design = _design(tmp_path, '{frr: "10.2", roles: {backend: {spine: "10.3"}}, devices: {be-spine2: "10.4"}}')
    got = {d.name: d.os_version for d in design.devices()}
    assert got["be-spine1"] == "10.3", "the role's version overrides the platform's"
    assert got["be-spine2"] == "10.4", "the device's version overrides the role's"
    assert got["fe-spine1"] == got["be-leaf-su1-r1"] == "10.2", "the platform's version for the rest"


def test_no_version_named_leaves_the_software_unmanaged() -> None:
    assert {d.os_version for d in _lab().devices()} == {""}


def test_a_version_for_another_platform_does_not_apply(tmp_path: Path) -> None:
    design = _design(tmp_path, '{eos: "4.32.2F"}')
    assert {d.os_version for d in design.devices()} == {""}, "every lab switch is frr"


def test_an_unknown_device_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = _intent(tmp_path, '{devices: {be-spine9: "10.2"}}')
    with pytest.raises(IntentError) as err:
        design_for(path)
    line = len(LAB.read_text().splitlines()) + 1
    assert f"{path}:{line}: upgrade.os_version.devices.be-spine9: no such switch" in str(err.value)
    assert err.value.exit_code == 2


def test_an_unquoted_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = _intent(tmp_path, "{frr: 10.20}")
    with pytest.raises(IntentError) as err:
        design_for(path)
    assert 'upgrade.os_version.frr: quote the version ("10.2")' in str(err.value)


def test_an_unknown_platform_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IntentError) as err:
        design_for(_intent(tmp_path, '{junos: "23.4"}'))
    assert "upgrade.os_version.junos: unknown key" in str(err.value)


# -- the method per platform, from the platform record and the catalog model ---------------------

@pytest.fixture
def models() -> object:
    """Two user catalog models: an EOS one with SSU, a SONiC one with warm reboot."""
    ssu = SwitchModel("TEST-SSU-32", "Arista", "trident-4", 32, (400,), "QSFP-DD", {"default": 9214}, "x", upgrades=("ssu",))
    warm = SwitchModel("TEST-WARM-32", "NVIDIA", "spectrum-3", 32, (400,), "QSFP-DD", {"default": 9216}, "x",
                       upgrades=("warm-reboot",))
    register(ssu)
    register(warm)
    yield
    unregister(ssu.name)
    unregister(warm.name)


@pytest.mark.parametrize(("platform", "model", "method", "impact"), [
    ("eos", "generic", "reload", "reload"),
    ("eos", "7060X5-64PE", "reload", "reload"),  # no public document names it for SSU
    ("eos", "TEST-SSU-32", "ssu", "session-reset"),
    ("sonic", "generic", "fast-reboot", "reload"),
    ("sonic", "TEST-WARM-32", "warm-reboot", "session-reset"),
    ("sonic", "TEST-SSU-32", "fast-reboot", "reload"),  # SSU is EOS's; a SONiC build has no SSU
    ("frr", "generic", "restart", "reload"),
])
def test_each_platform_takes_its_method(models: object, platform: str, model: str, method: str, impact: str) -> None:
    dev = replace(_device(_lab(), "be-spine1"), platform=platform, model=model, os_version="1.2")
    got = method_for(dev)
    assert (got.name, got.impact) == (method, impact)
    change = classify(dev, "", True, running_version="1.1")
    assert (change.upgrade, change.version, change.impact) == (method, "1.2", impact)
    assert change.drain and not change.config, "an upgrade alone runs under drain and commits no config"
    assert f"software: {impact} ({method} to 1.2)" in change.reasons


def test_the_device_already_running_the_version_has_no_upgrade() -> None:
    dev = replace(_device(_lab(), "be-spine1"), os_version="10.2")
    assert classify(dev, "", True, running_version="10.2").upgrade == ""
    assert classify(replace(dev, os_version=""), "", True, running_version="8.4").upgrade == "", "unmanaged: left alone"


# -- the change set, the waves and the steps the review lists -------------------------------------

def test_upgrading_every_spine_takes_the_fewest_waves_with_the_steps(tmp_path: Path) -> None:
    new = _design(tmp_path, '{roles: {backend: {spine: "10.2"}, frontend: {spine: "10.2"}}}')
    old = _lab()
    cs = change_set(old, new)
    assert cs.lines() == ["software version unmanaged -> 10.2 on 4 spines"]
    devices = {d.name: d for d in new.devices()}
    waves = plan_waves(new, [classify(devices[n], "", True, cs) for n in cs.devices])
    assert [set(w.devices) for w in waves] == [{"be-spine1", "fe-spine1"}, {"be-spine2", "fe-spine2"}], \
        "one spine of two per fabric per wave (min_capacity_pct 50), both fabrics side by side"
    steps = change_steps(waves[0].changes[0], new)
    assert steps[0].startswith("drain, then wait until its neighbours' best paths are off it")
    assert steps[1:4] == ("upgrade to 10.2 via restart", "wait until its daemons and every designed session are back",
                          "verify it runs 10.2 (read from the device)")
    assert steps[-2].startswith("undrain, then wait until its neighbours use it again") and steps[-1] == "soak 2 s"
    assert waves[0].duration_s == new.upgrade.drain_wait_s + 60 + new.upgrade.soak_s, "the restart's own work time"


def test_a_version_dropped_from_the_intent_changes_nothing(tmp_path: Path) -> None:
    old = _design(tmp_path, '{frr: "10.2"}')
    assert change_set(old, _lab()).facts == ()


def test_review_lists_the_steps_in_plan_json_review_md_and_plan_csv(tmp_path: Path) -> None:
    intent = make_repo(tmp_path, LAB)
    intent.write_text(intent.read_text() + '  os_version: {roles: {backend: {spine: "10.2"}}}\n')
    r = review(intent, "main")
    assert r.verdict == "ready" and not r.failed
    plan = plan_json(r)
    dev = plan["waves"][0]["devices"][0]
    assert dev["name"] == "be-spine1" and dev["upgrade"] == {"method": "restart", "version": "10.2"}
    assert "upgrade to 10.2 via restart" in dev["steps"]
    md = to_review_markdown(r)
    assert "### Steps the deploy runs" in md and "wave 2, be-spine2: drain" in md
    rows = list(csv.reader(io.StringIO(plan_csv(r))))
    assert tuple(rows[0]) == PLAN_CSV_HEADER
    assert ["1", "be-spine1", "drain", "reload", "2", "upgrade to 10.2 via restart"] in rows
    assert {row[1] for row in rows[1:]} == {"be-spine1", "be-spine2"}


def test_a_user_catalog_entry_with_ssu_takes_the_smart_system_upgrade(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "lab.yaml").write_text(
        "LAB-SSU-4:\n  vendor: Lab\n  asic: trident-4\n  ports: 4\n  speeds: [400G]\n  form_factor: QSFP-DD\n"
        "  max_mtu: {eos: 9214, default: 9216}\n  datasheet: https://example.org/lab.pdf\n  upgrades: [ssu]\n")
    text = LAB.read_text().replace("spine: {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}",
                                   "spine: {model: LAB-SSU-4, platform: eos}")
    path = tmp_path / "intent.yaml"
    path.write_text(text + '  os_version: {eos: "4.32.2F"}\n')
    try:
        design = design_for(path)[1]
        spine = _device(design, "be-spine1")
        assert (spine.model, spine.os_version, method_for(spine).name) == ("LAB-SSU-4", "4.32.2F", "ssu")
        assert method_for(replace(spine, model="generic")).name == "reload"
        (tmp_path / "catalog" / "lab.yaml").write_text((tmp_path / "catalog" / "lab.yaml").read_text().replace("[ssu]", "[issu]"))
        unregister("LAB-SSU-4")
        with pytest.raises(IntentError, match=r"LAB-SSU-4\.upgrades\.0"):
            design_for(path)
    finally:
        from aifab.catalog import lookup
        if lookup("LAB-SSU-4") is not None:
            unregister("LAB-SSU-4")


@pytest.mark.parametrize(("platform", "read_back"), [
    ("frr", "verify sessions, routes and QoS (every kernel setting of links.sh and qos.sh in effect)"),
    ("sonic", "verify sessions, routes and QoS (CONFIG_DB's QoS tables equal to the candidate's)"),
    ("eos", "verify sessions and routes (QoS not read back: the committed config)"),
])
def test_the_commit_step_claims_a_qos_read_back_only_where_the_verify_reads_it(platform: str, read_back: str) -> None:
    """The verify reads QoS back through napalm_frr's kernel settings and napalm_sonic's CONFIG_DB; on
    EOS it reads none, and the step the review lists for the deploy says so."""
    lab = _lab()
    dev = replace(_device(lab, "be-spine1"), platform=platform)
    change = classify(dev, "-mtu 9216\n+mtu 9000\n", True)
    (commit,) = [s for s in change_steps(change, lab) if s.startswith("commit the config")]
    assert commit == f"commit the config (device revert timer), {read_back}, confirm"
