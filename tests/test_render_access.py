"""The way in, rendered from one AccessPolicy on every platform: EOS lines, SONiC CONFIG_DB tables,
and secrets only ever as placeholders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab.design import build_design
from aifab.intent import load_intent
from aifab.placeholders import secret_names
from aifab.render import render_device

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"
MANAGEMENT = """  network: 172.31.255.0/24
  users: [{name: admin}, {name: ops, role: network-operator, password: false}]
  aaa: {tacacs: [10.9.0.1, 10.9.0.2], radius: [10.9.0.3]}
  ntp: [10.9.0.10]
  syslog: [10.9.0.11]
  snmp: {community: true, users: [nms], location: DC1 hall 2, contact: noc@example.net}
  gnmi: true"""
SECRETS = ["users.admin.password", "users.admin.ssh_key", "users.ops.ssh_key", "aaa.radius_key", "aaa.tacacs_key",
           "snmp.community", "snmp.users.nms.auth", "snmp.users.nms.priv"]


def files(tmp_path: Path, platform: str, management: str = MANAGEMENT) -> dict[str, str]:
    """The files of be-leaf-su1-r1 of the lab intent on ``platform`` with ``management``."""
    text = LAB.read_text().replace("platform: frr", f"platform: {platform}").replace("  network: 172.31.255.0/24", management)
    (tmp_path / "i.yaml").write_text(text)
    design = build_design(load_intent(tmp_path / "i.yaml").intent)
    return render_device(design, next(d for d in design.devices() if d.name == "be-leaf-su1-r1"))


def test_eos_places_every_management_section_in_the_management_vrf(tmp_path: Path) -> None:
    cfg = files(tmp_path, "eos")["be-leaf-su1-r1.cfg"]
    lines = cfg.splitlines()
    for line in ["username admin privilege 15 role network-admin secret sha512 {{secret:users.admin.password}}",
                 "username admin ssh-key {{secret:users.admin.ssh_key}}",
                 "username ops privilege 1 role network-operator nopassword",
                 "tacacs-server host 10.9.0.2 vrf MGMT key 0 {{secret:aaa.tacacs_key}}",
                 "radius-server host 10.9.0.3 vrf MGMT key 0 {{secret:aaa.radius_key}}",
                 "aaa authentication login default group tacacs+ group radius local",
                 "aaa authorization exec default group tacacs+ group radius local",
                 "ip tacacs vrf MGMT source-interface Management1",
                 "ntp server vrf MGMT 10.9.0.10 iburst", "logging vrf MGMT host 10.9.0.11",
                 "snmp-server community {{secret:snmp.community}} ro", "snmp-server vrf MGMT",
                 "snmp-server user nms AIFAB-RO v3 auth sha {{secret:snmp.users.nms.auth}} priv aes {{secret:snmp.users.nms.priv}}"]:
        assert line in lines, line
    assert "management ssh\n   no shutdown\n   !\n   vrf MGMT\n      no shutdown\n" in cfg
    assert "management api gnmi\n   transport grpc MGMT\n      vrf MGMT\n" in cfg
    assert sorted(secret_names(cfg)) == sorted(SECRETS)
    # AVD's eos_cli_config_gen order: users first, management ssh last
    assert cfg.index("username admin") < cfg.index("hostname") < cfg.index("aaa authentication") < cfg.index(
        "interface Ethernet") < cfg.index("ntp server") < cfg.index("router bgp") < cfg.index("management ssh")


@pytest.mark.parametrize("fallback", [True, False])
def test_eos_aaa_without_local_fallback_asks_the_servers_only(tmp_path: Path, fallback: bool) -> None:
    management = MANAGEMENT.replace("radius: [10.9.0.3]}", f"radius: [10.9.0.3], local_fallback: {str(fallback).lower()}}}")
    cfg = files(tmp_path, "eos", management)["be-leaf-su1-r1.cfg"]
    expected = "aaa authentication login default group tacacs+ group radius" + (" local" if fallback else "")
    assert expected + "\n" in cfg


def test_sonic_config_db_holds_the_management_tables(tmp_path: Path) -> None:
    db = json.loads(files(tmp_path, "sonic")["be-leaf-su1-r1.config_db.json"])
    assert db["MGMT_VRF_CONFIG"] == {"vrf_global": {"mgmtVrfEnabled": "true"}}
    assert db["NTP_SERVER"] == {"10.9.0.10": {"iburst": "on"}} and db["NTP"]["global"]["vrf"] == "mgmt"
    assert db["SYSLOG_SERVER"] == {"10.9.0.11": {"vrf": "mgmt"}}
    assert db["TACPLUS"]["global"]["passkey"] == "{{secret:aaa.tacacs_key}}"
    assert set(db["TACPLUS_SERVER"]) == {"10.9.0.1", "10.9.0.2"}
    assert db["AAA"]["authentication"]["login"] == "tacacs+,radius,local"
    assert db["SNMP_COMMUNITY"] == {"{{secret:snmp.community}}": {"TYPE": "RO"}}
    assert db["SNMP_USER"]["nms"]["SNMP_USER_AUTH_PASSWORD"] == "{{secret:snmp.users.nms.auth}}"


def test_defaults_give_one_admin_with_password_and_key(tmp_path: Path) -> None:
    design = build_design(load_intent(LAB).intent)
    (admin,) = design.access.accounts
    assert (admin.name, admin.role, admin.password_secret, admin.ssh_key_secret) == (
        "admin", "network-admin", "users.admin.password", "users.admin.ssh_key")
    assert design.access.local_fallback and not design.access.tacacs
