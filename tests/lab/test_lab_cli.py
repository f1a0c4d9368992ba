"""``aifab lab up|status|down`` as a user runs it (real CLI process, a small intent)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aifab.lab import missing_requirements
from aifab.lab.system import namespaces

ROOT = Path(__file__).resolve().parents[2]
MINI = """\
cluster: labcli
backend:
  servers: 2
  gpus_per_server: 1
  servers_per_su: 2
  switches:
    leaf:  {ports: 4, platform: frr}
    spine: {ports: 4, platform: frr}
  pools: {loopbacks: 10.0.0.0/24, p2p: 10.0.1.0/24, servers: 10.0.2.0/24}
frontend:
  storage_nodes: 0
  switches:
    leaf:  {ports: 8, platform: frr}
    spine: {ports: 4, platform: frr}
  pools: {loopbacks: 10.1.0.0/24, p2p: 10.1.1.0/24, servers: 10.1.2.0/24}
management:
  network: 172.31.254.0/24
"""


def aifab(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "COLUMNS": "120"})


def test_without_root_says_what_is_missing() -> None:
    # as root: in an unprivileged user namespace (euid 65534, no capabilities on the host)
    res = aifab("lab", "up", "intent/lab.yaml", prefix=("unshare", "--user") if os.geteuid() == 0 else ())
    assert res.returncode == 2
    assert res.stderr.strip() == "aifab lab needs: root (network namespaces, FRR and sshd need it)"
    assert "Traceback" not in res.stderr


@pytest.mark.lab
def test_up_status_down(tmp_path: Path) -> None:
    missing = missing_requirements()
    if missing:
        pytest.skip("lab needs: " + "; ".join(missing))
    intent = tmp_path / "mini.yaml"
    intent.write_text(MINI)
    assert aifab("build", str(intent), "-o", str(tmp_path / "build")).returncode == 0
    try:
        up = aifab("lab", "up", str(intent), "--configs", str(tmp_path / "build" / "configs"), "--wait", "60")
        assert up.returncode == 0, up.stderr
        assert "lab labcli up: 6 switches, 2 hosts" in up.stdout
        assert "every BGP session Established" in up.stdout
        st = aifab("lab", "status", str(intent))
        assert st.returncode == 0, st.stdout
        assert "labcli: up" in st.stdout and "2/2" in st.stdout and "missing" not in st.stdout
    finally:
        dn = aifab("lab", "down", str(intent))
    assert dn.returncode == 0, dn.stderr
    assert "removed 9 namespaces" in dn.stdout
    assert not [ns for ns in namespaces() if ns.startswith("aifab-labcli.")]
    st = aifab("lab", "status", str(intent))
    assert st.returncode == 1 and "NOT UP" in st.stdout


def test_bad_intent_is_one_located_error(tmp_path: Path) -> None:
    if missing_requirements():
        pytest.skip("without root the requirements check comes first")
    intent = tmp_path / "bad.yaml"
    intent.write_text(MINI.replace("servers: 2\n", "servers: two\n", 1))
    res = aifab("lab", "status", str(intent))
    assert res.returncode == 2
    assert f"{intent}:3" in res.stderr and "backend.servers" in res.stderr
    assert "Traceback" not in res.stderr
