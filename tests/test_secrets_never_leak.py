"""Secrets never appear in an artifact or a log: a build and a deploy with known secret values leave
none of them in any file under the build directory (the audit log included) or on stdout/stderr,
while the payload handed to the devices carries every one of them; a missing secret stops the deploy
with one line naming the device and the secret, exit 2, before any device is touched."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from aifab.deploy.guard import AuditLog
from aifab.deploy.inputs import rendered_from
from aifab.deploy.secrets import SecretsError, SecretValues, env_name, inject, inject_payload, load_secrets
from aifab.design import build_design
from aifab.intent import load_intent
from aifab.placeholders import PATTERN
from aifab.render import render_device

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"
MANAGEMENT = """  network: 172.31.255.0/24
  users: [{name: admin}, {name: ops, role: network-operator, password: false}]
  aaa: {tacacs: [10.9.0.1], radius: [10.9.0.3]}
  snmp: {community: true, users: [nms]}"""
HASH = "$6$knownsalt$" + "K" * 80 + "x1y2z3"
FILE_SECRETS = {
    "users": {"admin": {"password": HASH, "ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnownAdminKey0001 admin@aifab"},
              "ops": {"ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnownOpsKey00002 ops@aifab"}},
    "aaa": {"tacacs_key": "Tac-Known-Key-4242", "radius_key": "Rad-Known-Key-4343"},
    "snmp": {"users": {"nms": {"auth": "SnmpAuth-Known-77", "priv": "SnmpPriv-Known-88"}}},
}
ENV_SECRETS = {"snmp.community": "Community-Known-99"}  # given in the environment instead


def values() -> list[str]:
    flat = [HASH, *ENV_SECRETS.values()]
    flat += [v for u in FILE_SECRETS["users"].values() for v in u.values() if v != HASH]
    flat += list(FILE_SECRETS["aaa"].values()) + list(FILE_SECRETS["snmp"]["users"]["nms"].values())
    return flat


def setup(tmp_path: Path, drop: str | None = None) -> tuple[Path, dict[str, str]]:
    """An EOS intent with the management section above, and the environment naming the secrets
    file (``drop``: a file secret left out)."""
    intent = tmp_path / "eos.yaml"
    intent.write_text(LAB.read_text().replace("platform: frr", "platform: eos").replace("  network: 172.31.255.0/24", MANAGEMENT))
    secrets = json.loads(json.dumps(FILE_SECRETS))
    if drop:
        *parents, leaf = drop.split(".")
        node = secrets
        for p in parents:
            node = node[p]
        del node[leaf]
    path = tmp_path / "secrets.yaml"
    path.write_text(json.dumps({"username": "nobody", "password": "Login-Known-1010", "secrets": secrets}))
    path.chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIFAB_")}
    env |= {"AIFAB_SECRETS": str(path)} | {env_name(k): v for k, v in ENV_SECRETS.items()}
    return intent, env


def inventory(tmp_path: Path, names: list[str]) -> Path:
    with socket.socket() as s:  # a port with nothing listening on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "groups.yaml").write_text("eos:\n  platform: eos\n  connection_options:\n    napalm:\n      platform: eos\n"
                                     "      extras: {timeout: 5, optional_args: {transport: https}}\n")
    (inv / "hosts.yaml").write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n  port: {port}\n  groups: [eos]\n" for n in names))
    return inv


def deploy(intent: Path, out: Path, inv: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aifab", "deploy", str(intent), "-o", str(out), "--inventory", str(inv)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_no_secret_value_in_any_artifact_log_or_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    intent, env = setup(tmp_path)
    names = [d.name for d in build_design(load_intent(intent).intent).devices()]
    out = tmp_path / "build"
    res = deploy(intent, out, inventory(tmp_path, names), env)
    assert res.returncode == 1, res.stdout + res.stderr  # every device unreachable: stopped, nothing committed
    named = {line.split(":")[0] for line in res.stderr.splitlines()}
    assert set(names) <= named, res.stderr  # one line per device (pyeapi also logs its own tracebacks there)
    audit = out / "audit.jsonl"
    assert audit.is_file() and audit.stat().st_size > 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > len(names)
    for value in values():
        assert value not in res.stdout and value not in res.stderr
        for f in files:
            assert value not in f.read_text(errors="replace"), f"{value[:12]}... in {f}"
    # ... while the payload for the devices carries every value and no placeholder
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    design = build_design(load_intent(intent).intent)
    rendered = rendered_from(design, out)
    spine = rendered.configs["be-spine1"]
    assert not PATTERN.search(spine)
    for value in values():
        assert value in spine, value[:12]
    assert "Tac-Known" not in repr(rendered) and "Tac-Known" not in repr(rendered.secrets)


@pytest.mark.parametrize("drop", ["aaa.tacacs_key", "users.admin.ssh_key"])
def test_a_missing_secret_stops_before_any_device_is_touched(tmp_path: Path, drop: str) -> None:
    intent, env = setup(tmp_path, drop)
    names = [d.name for d in build_design(load_intent(intent).intent).devices()]
    out = tmp_path / "build"
    res = deploy(intent, out, inventory(tmp_path, names), env)
    assert res.returncode == 2, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert f"needs the secret {drop}" in lines[0] and "be-" in lines[0] and env_name(drop) in lines[0]
    assert not (out / "audit.jsonl").exists()  # no deploy started: nothing was touched


@pytest.mark.parametrize(("name", "value", "why"), [
    ("users.admin.password", "clear-text-password", "SHA-512 crypt hash"),
    ("users.admin.ssh_key", "not a key at all", "SSH public key"),
    ("aaa.tacacs_key", "k3y!", "shorter than 8"),
    ("aaa.tacacs_key", 'quote"inside-key', "quote"),
])
def test_values_that_cannot_be_placed_are_refused_without_showing_them(name: str, value: str, why: str) -> None:
    with pytest.raises(SecretsError) as err:
        load_secrets({name: ["be-spine1"]}, {env_name(name): value})
    assert why in str(err.value) and name in str(err.value) and value not in str(err.value)


def test_mask_turns_echoed_values_back_into_placeholders(tmp_path: Path) -> None:
    secrets = SecretValues({"aaa.tacacs_key": "Tac-Known-Key-4242"})
    line = "% Invalid input at: tacacs-server host 10.9.0.1 vrf MGMT key 0 Tac-Known-Key-4242"
    assert secrets.mask(line).endswith("key 0 {{secret:aaa.tacacs_key}}")
    assert inject(secrets.mask(line), secrets) == line
    log = AuditLog(tmp_path / "audit.jsonl", "run", secrets.mask)
    log.write("load-failed", "be-spine1", reason=line)
    assert "Tac-Known" not in (tmp_path / "audit.jsonl").read_text()


def test_sonic_config_db_stays_json_with_its_secrets_filled_in(tmp_path: Path) -> None:
    """Several files per device (H2's whole-config payload): every placeholder of every file is filled,
    and the filled config_db.json is still the JSON the switch is given."""
    intent, env = setup(tmp_path)
    intent.write_text(intent.read_text().replace("platform: eos", "platform: sonic"))
    design = build_design(load_intent(intent).intent)
    dev = next(d for d in design.devices() if d.name == "be-spine1")
    files = {k.removeprefix("be-spine1."): v for k, v in render_device(design, dev).items()}
    payload, secrets = inject_payload({"be-spine1": files}, env)
    db = json.loads(payload["be-spine1"]["config_db.json"])
    assert db["TACPLUS"]["global"]["passkey"] == FILE_SECRETS["aaa"]["tacacs_key"]
    assert ENV_SECRETS["snmp.community"] in db["SNMP_COMMUNITY"]
    assert set(secrets.values) == {"aaa.tacacs_key", "aaa.radius_key", "snmp.community", "snmp.users.nms.auth",
                                   "snmp.users.nms.priv"}  # SONiC's accounts are Linux accounts: no user secret
    assert payload["be-spine1"]["frr.conf"] == files["frr.conf"]
