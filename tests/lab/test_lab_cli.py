"""``aifab lab up|status|down`` as a user runs it (real CLI process, a small intent)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aifab.lab import missing_requirements
from aifab.lab.system import namespaces
from aifab.pipeline import design_for

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
  growth: {storage_nodes: 1}
  switches:
    leaf:  {ports: 8, platform: frr}
    spine: {ports: 4, platform: frr}
  pools: {loopbacks: 10.1.0.0/24, p2p: 10.1.1.0/24, servers: 10.1.2.0/24}
management:
  network: 172.31.254.0/24
upgrade: {drain_wait_s: 2, soak_s: 0}
"""


SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
PROBE = "import json; from aifab.lab import missing_requirements; print(json.dumps(missing_requirements()))"
# FRR_DIR moved away, then the CLI: a machine without Debian's frr and frr-pythontools
WITHOUT_FRR = "import pathlib, sys; import aifab.lab.system as s; s.FRR_DIR = pathlib.Path(sys.argv[1]); " \
              "from aifab.cli import main; sys.exit(main(sys.argv[2:]))"


def run(argv: list[str], path: str = SYSTEM_PATH) -> subprocess.CompletedProcess:
    env = {"PATH": path, "COLUMNS": "120"}
    if "PYTHONPATH" in os.environ:  # a checkout run with PYTHONPATH=src tests its own code
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def aifab(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return run([*prefix, sys.executable, "-m", "aifab", *args])


def unprivileged() -> tuple[str, ...]:
    """As root: an unprivileged user namespace (euid 65534, no capabilities on the host); else nothing."""
    return (shutil.which("unshare") or "/usr/bin/unshare", "--user") if os.geteuid() == 0 else ()


def probe(path: str) -> list[str]:
    """What the lab's requirements probe finds missing, unprivileged, with this PATH."""
    res = run([*unprivileged(), sys.executable, "-c", PROBE], path)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("tools", ["system", "none"])
def test_without_root_says_what_is_missing(tools: str, tmp_path: Path) -> None:
    # "none": an empty PATH stands for a machine without iproute2, util-linux, openssh and vtysh
    path = SYSTEM_PATH if tools == "system" else str(tmp_path)
    missing = probe(path)
    assert missing[0] == "root (network namespaces, FRR and sshd need it)"
    if tools == "none":
        assert {"ip in PATH", "unshare in PATH", "nsenter in PATH", "ssh-keygen in PATH", "vtysh in PATH"} <= set(missing)
    res = run([*unprivileged(), sys.executable, "-m", "aifab", "lab", "up", "intent/lab.yaml"], path)
    assert res.returncode == 2
    assert res.stderr.strip() == "aifab lab needs: " + "; ".join(missing)
    assert "Traceback" not in res.stderr


def test_without_frr_says_which_packages(tmp_path: Path) -> None:
    res = run([*unprivileged(), sys.executable, "-c", WITHOUT_FRR, str(tmp_path), "lab", "up", "intent/lab.yaml"])
    assert res.returncode == 2, res.stderr
    line = res.stderr.strip()
    assert line.startswith("aifab lab needs: root (") and "\n" not in line
    for daemon in ("zebra", "bgpd", "bfdd", "staticd"):
        assert f"{tmp_path / daemon} (Debian package frr)" in line
    assert f"{tmp_path / 'frr-reload.py'} (Debian package frr-pythontools)" in line
    assert "Traceback" not in res.stderr


@pytest.mark.lab
def test_up_status_down(tmp_path: Path) -> None:
    missing = missing_requirements()
    if missing:
        pytest.skip("lab needs: " + "; ".join(missing))
    intent = tmp_path / "mini.yaml"
    intent.write_text(MINI)
    assert aifab("build", str(intent), "-o", str(tmp_path / "build")).returncode == 0
    switches = len(list(design_for(intent)[1].devices()))
    try:
        up = aifab("lab", "up", str(intent), "--configs", str(tmp_path / "build" / "configs"), "--wait", "60")
        assert up.returncode == 0, up.stderr
        assert f"lab labcli up: {switches} switches, 2 hosts" in up.stdout
        assert "every BGP session Established" in up.stdout
        st = aifab("lab", "status", str(intent))
        assert st.returncode == 0, st.stdout
        assert "labcli: up" in st.stdout and "2/2" in st.stdout and "missing" not in st.stdout
        _grows_in_place(intent, tmp_path)
    finally:
        dn = aifab("lab", "down", str(intent))
    assert dn.returncode == 0, dn.stderr
    assert f"removed {switches + 3 + 1} namespaces" in dn.stdout  # the switches, 3 hosts, management
    assert not [ns for ns in namespaces() if ns.startswith("aifab-labcli.")]
    st = aifab("lab", "status", str(intent))
    assert st.returncode == 1 and "NOT UP" in st.stdout


def _grows_in_place(intent: Path, tmp_path: Path) -> None:
    """A storage node added (within ``frontend.growth``): ``lab up`` adds its namespace and cables to
    the running lab, touches no switch (same daemon pids), and a deploy configures the new leaf
    ports so that it reaches both leaves; a Design that changes what runs is refused, nothing changed."""
    from aifab.lab import Lab, status, switch
    from aifab.lab.state import default_state_dir
    from aifab.lab.topology import topology

    _, design = design_for(intent)
    pids = {sw.name: switch.running(sw) for sw in topology(design).switches}
    intent.write_text(MINI.replace("storage_nodes: 0", "storage_nodes: 1"))
    grown = aifab("lab", "up", str(intent))
    assert grown.returncode == 0, grown.stdout + grown.stderr
    assert "lab labcli grown in place: added stor01 and 2 cables" in grown.stdout, grown.stdout
    _, design = design_for(intent)
    topo = topology(design)
    assert {sw.name: switch.running(sw) for sw in topo.switches} == pids, "no switch restarted"
    assert status(design).healthy
    deploy = aifab("deploy", str(intent), "-o", str(tmp_path / "grown"), "--lab", "--commit", "--limit", "fe-leaf*")
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    lab = Lab(topo, default_state_dir(design.cluster))
    for nic in next(h for h in design.hosts if h.name == "stor01").nics:  # one echo each, 2 s at most
        ping = lab.run("stor01", ["ping", "-c", "1", "-W", "2", "-I", nic.name, nic.gateway])
        assert ping.returncode == 0, f"stor01 {nic.name} -> {nic.leaf} {nic.gateway}: {ping.stdout}{ping.stderr}"
    intent.write_text(MINI.replace("storage_nodes: 0", "storage_nodes: 1").replace("10.1.2.0/24", "10.1.4.0/24"))
    moved = aifab("lab", "up", str(intent))
    assert moved.returncode == 1, moved.stdout + moved.stderr
    assert "only additions grow a running lab; the Design moves or changes srv-su1-01, srv-su1-02, stor01" in moved.stdout
    intent.write_text(MINI.replace("storage_nodes: 0", "storage_nodes: 1"))
    assert aifab("lab", "status", str(intent)).returncode == 0, "left as it was"


def test_bad_intent_is_one_located_error(tmp_path: Path) -> None:
    if missing_requirements():
        pytest.skip("without root the requirements check comes first")
    intent = tmp_path / "bad.yaml"
    intent.write_text(MINI.replace("servers: 2\n", "servers: two\n", 1))
    res = aifab("lab", "status", str(intent))
    assert res.returncode == 2
    assert f"{intent}:3" in res.stderr and "backend.servers" in res.stderr
    assert "Traceback" not in res.stderr
