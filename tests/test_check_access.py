"""MGMT001 mutation tests: take the way in out of one rendered file (users, AAA, management SSH, the
management address) and the rule fires on that device only, naming what is missing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from aifab.check import run_checks
from aifab.design.model import Design
from aifab.pipeline import build

ROOT = Path(__file__).parents[1]
DEV = "be-leaf-su1-r1"
AAA_ONLY = """  network: 172.31.255.0/24
  aaa: {tacacs: [10.9.0.1], local_fallback: false}"""


def _build(tmp: Path, platform: str, management: str | None = None) -> tuple[Design, Path]:
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", f"platform: {platform}}}")
    if management:
        text = text.replace("  network: 172.31.255.0/24", management)
    (tmp / "intent.yaml").write_text(text)
    return build(tmp / "intent.yaml", tmp / "build", check=False).design, tmp / "build"


@pytest.fixture(scope="module")
def eos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    return _build(tmp_path_factory.mktemp("eos"), "eos")


@pytest.fixture(scope="module")
def eos_aaa(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    return _build(tmp_path_factory.mktemp("eos-aaa"), "eos", AAA_ONLY)


@pytest.fixture(scope="module")
def sonic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Design, Path]:
    return _build(tmp_path_factory.mktemp("sonic"), "sonic")


def mgmt_findings(design: Design, build_dir: Path) -> set[tuple[str, str]]:
    return {(f.device, f.subject) for f in run_checks(design, build_dir) if f.rule == "MGMT001"}


def mutated(built: tuple[Design, Path], tmp_path: Path, pattern: str, replacement: str = "") -> Path:
    shutil.copytree(built[1] / "configs", tmp_path / "configs")
    path = tmp_path / "configs" / f"{DEV}.cfg"
    new, count = re.subn(pattern, replacement, path.read_text(), flags=re.MULTILINE)
    assert count >= 1, pattern
    path.write_text(new)
    return tmp_path


@pytest.mark.parametrize("fixture", ["eos", "eos_aaa", "sonic"])
def test_clean_builds_leave_a_way_in(fixture: str, request: pytest.FixtureRequest) -> None:
    design, path = request.getfixturevalue(fixture)
    assert mgmt_findings(design, path) == set()


def test_frr_configs_cannot_lock_anyone_out(tmp_path: Path) -> None:
    design, path = _build(tmp_path, "frr")
    assert mgmt_findings(design, path) == set()


@pytest.mark.parametrize(("pattern", "replacement", "subject"), [
    (r"^username .*\n", "", "login"),  # no local user
    (r"^   vrf MGMT\n      no shutdown\n(?=!\nend)", "", "ssh"),  # management ssh without its MGMT VRF block
    (r"^management ssh\n(?:[ !].*\n)*", "", "ssh"),  # no management ssh at all
    (r"^(management ssh\n)   no shutdown\n   !\n   vrf MGMT\n      no shutdown\n", r"\g<1>   !\n   vrf MGMT\n      shutdown\n",
     "ssh"),
    (r"^(interface Management1\n(?:   .*\n)*?)   ip address .*\n", r"\g<1>", "Management1"),  # no management address
    (r"^aaa authorization", "aaa authentication login default group tacacs+\naaa authorization", "login"),  # AAA, no server
])
def test_eos_mutations_fire_on_that_device_only(eos: tuple[Design, Path], tmp_path: Path, pattern: str,
                                                 replacement: str, subject: str) -> None:
    assert mgmt_findings(eos[0], mutated(eos, tmp_path, pattern, replacement)) == {(DEV, subject)}


def test_eos_aaa_only_without_its_servers_fires(eos_aaa: tuple[Design, Path], tmp_path: Path) -> None:
    assert mgmt_findings(eos_aaa[0], mutated(eos_aaa, tmp_path, r"^tacacs-server host .*\n")) == {(DEV, "login")}


def test_eos_aaa_only_keeps_its_way_in_through_the_server(eos_aaa: tuple[Design, Path], tmp_path: Path) -> None:
    assert mgmt_findings(eos_aaa[0], mutated(eos_aaa, tmp_path, r"^username .*\n")) == set()


@pytest.mark.parametrize(("table", "value", "subject"), [
    ("AAA", {"authentication": {"login": "tacacs+"}}, "login"),  # AAA only, no TACPLUS_SERVER
    ("MGMT_INTERFACE", {}, "eth0"),
])
def test_sonic_mutations_fire_on_that_device_only(sonic: tuple[Design, Path], tmp_path: Path, table: str,
                                                  value: dict[str, object], subject: str) -> None:
    shutil.copytree(sonic[1] / "configs", tmp_path / "configs")
    path = tmp_path / "configs" / f"{DEV}.config_db.json"
    db = json.loads(path.read_text())
    db[table] = value
    path.write_text(json.dumps(db))
    assert mgmt_findings(sonic[0], tmp_path) == {(DEV, subject)}


@pytest.mark.parametrize(("platform", "management", "missing"), [
    ("frr", "  network: 172.31.255.0/24\n  ntp: [10.9.0.5]\n  aaa: {tacacs: [10.9.0.1]}", "TACACS+ servers, NTP servers"),
    ("sonic", "  network: 172.31.255.0/24\n  users: [{name: admin}, {name: ops}]\n  ntp: [10.9.0.5]", "local users"),
    ("eos", "  network: 172.31.255.0/24\n  users: [{name: admin}, {name: ops}]\n  ntp: [10.9.0.5]", ""),
    ("frr", None, ""),  # the lab's intent asks for nothing beyond the default admin
])
def test_the_way_in_a_platform_does_not_carry_is_named(tmp_path: Path, platform: str, management: str | None,
                                                         missing: str) -> None:
    """MGMT002: before, NTP and TACACS+ asked of FRR switches were in no file and no finding (an
    `aifab check` that passed), and SONiC's local users likewise."""
    design, built = _build(tmp_path, platform, management)
    found = {(f.fabric, f.subject, f.message) for f in run_checks(design, built) if f.rule == "MGMT002"}
    if not missing:
        assert found == set()
        return
    assert found == {(fabric, platform, f"not applied on {platform} ({n} devices): {missing} (not in its files: the host's "
                      "own configuration)") for fabric, n in (("backend", 6), ("frontend", 4))}


@pytest.mark.parametrize("platform", ["eos", "sonic"])
def test_eapi_turned_off_on_eos_is_said(tmp_path: Path, platform: str) -> None:
    """MGMT003: `management.api: false` passed the checks; on EOS it takes away what the deploy talks to."""
    design, built = _build(tmp_path, platform, "  network: 172.31.255.0/24\n  api: false")
    found = {(f.fabric, f.message) for f in run_checks(design, built) if f.rule == "MGMT003"}
    expected = {(fabric, f"management.api: false on {n} eos devices: aifab deploy (NAPALM's eos driver, over eAPI) refuses "
                         "to commit it, which would leave it no way to reach them") for fabric, n in (("backend", 6), ("frontend", 4))}
    assert found == (expected if platform == "eos" else set())
    (tmp_path / "on").mkdir()
    design, built = _build(tmp_path / "on", platform)
    assert not [f for f in run_checks(design, built) if f.rule == "MGMT003"]
