"""Operating a running lab through the real CLI: ``up`` on a running or degraded lab, ``exec``, and a
backend on platform ``sonic`` (its frr.conf with SONiC's FPM lines, on FRR with dplane_fpm_nl).

The lab runs under cluster name ``labops``; every assertion reads the routers themselves
(vtysh through the switch's namespaces, process ids, namespaces), not aifab's report alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import Lab, up
from aifab.lab.switch import running
from aifab.lab.system import namespaces
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labops"
PREFIX = f"aifab-{CLUSTER}."
FPM = "fpm address 127.0.0.1\nno fpm use-next-hop-groups\n"  # SONiC's, as FRR 8.4 writes them back
RELOAD = "/usr/lib/frr/frr-reload.py"


@dataclass(frozen=True)
class Ops:
    intent: Path
    configs: Path
    design: Design
    lab: Lab


def aifab(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "aifab", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    """intent/lab.yaml with its backend on sonic, built and booted with its rendered configs."""
    require_lab()
    work = tmp_path_factory.mktemp("labops")
    intent = work / "lab.yaml"
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab\n", f"cluster: {CLUSTER}\n")
    head, _, tail = text.partition("frontend:")
    intent.write_text(head.replace("platform: frr}", "platform: sonic}") + "frontend:" + tail)
    built = aifab("build", str(intent), "-o", str(work / "build"))
    assert built.returncode == 0, built.stdout + built.stderr
    _, design = design_for(intent)
    assert {d.platform for d in design.backend.devices} == {"sonic"}
    with lab_torn_down(design, intent):
        res = aifab("lab", "up", str(intent), "--configs", str(work / "build" / "configs"), "--wait", "60")
        assert res.returncode == 0, res.stdout + res.stderr
        yield Ops(intent, work / "build" / "configs", design, up(design))


def _running_config(ops: Ops, device: str) -> str:
    res = ops.lab.run(device, ["vtysh", "-c", "show running-config"])
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout[res.stdout.index("frr defaults"):]  # from the line after the version banner


def _established(ops: Ops, device: str) -> dict[str, bool]:
    res = ops.lab.run(device, ["vtysh", "-c", "show bgp vrf default summary json"])
    peers = json.loads(res.stdout)["ipv4Unicast"]["peers"]
    return {addr: p["state"] == "Established" for addr, p in peers.items()}


def _zebras(ops: Ops) -> dict[str, int]:
    return {sw.name: running(sw).get("zebra", -1) for sw in ops.lab.topology.switches}


def test_sonic_switches_run_their_rendered_frr_conf_with_fpm_and_converge(ops: Ops) -> None:
    for dev in ops.design.devices():
        rendered = (ops.configs / f"{dev.name}.frr.conf").read_text()
        assert _running_config(ops, dev.name) == rendered, f"{dev.name}: FRR runs something else than was rendered"
        assert (FPM in rendered) == (dev.platform == "sonic")
        assert _established(ops, dev.name) == {n.peer_address: True for n in dev.neighbors}, dev.name
    # frr-reload.py (the drivers' diff) finds nothing to do for the rendered file; without the FPM
    # lines a replace would delete them (what napalm_sonic refuses; tests/data/sonic/frr_reload_test_fpm.txt)
    spine = next(d for d in ops.design.backend.devices if d.role == "spine")
    rendered = (ops.configs / f"{spine.name}.frr.conf").read_text()
    frr_dir = ops.lab.state_dir / "nodes" / spine.name / "frr"  # /etc/frr inside the switch
    (frr_dir / "no-fpm.conf").write_text(rendered.replace(FPM, ""))
    same = ops.lab.run(spine.name, [RELOAD, "--test", "/etc/frr/frr.conf"])
    assert same.returncode == 0 and "Lines To" not in same.stdout, same.stdout + same.stderr
    without = ops.lab.run(spine.name, [RELOAD, "--test", "/etc/frr/no-fpm.conf"])
    assert without.stdout.split("Lines To Delete\n===============\n")[1].split("\n\n")[0].splitlines() == \
        ["no fpm address 127.0.0.1", "fpm use-next-hop-groups"], without.stdout
    # the addresses SONiC keeps in config_db.json are on the kernel, loopback included
    leaf = next(d for d in ops.design.backend.devices if d.role == "leaf")
    addrs = ops.lab.run(leaf.name, ["ip", "-j", "addr", "show"])
    have = {(i["ifname"], f"{a['local']}/{a['prefixlen']}") for i in json.loads(addrs.stdout) for a in i["addr_info"]}
    assert ("Loopback0", f"{leaf.loopback}/32") in have
    assert {(p.name, p.address) for p in leaf.ports} <= have


def test_exec_runs_vtysh_in_the_switch_namespaces_and_returns_its_exit_code(ops: Ops) -> None:
    spine = next(d for d in ops.design.backend.devices if d.role == "spine")
    res = aifab("lab", "exec", "--cluster", CLUSTER, spine.name, "--", "vtysh", "-c", "show bgp summary")
    assert res.returncode == 0, res.stderr
    assert all(n.peer_address in res.stdout for n in spine.neighbors)
    res = aifab("lab", "exec", spine.name, "--cluster", CLUSTER, "--", "sh", "-c", "hostname; exit 7")
    assert (res.returncode, res.stdout) == (7, f"{spine.name}\n")
    # ip netns exec alone shares the host's mount namespace: vtysh there does not reach the switch's FRR
    bare = subprocess.run(["ip", "netns", "exec", PREFIX + spine.name, "vtysh", "-c", "show bgp summary"],
                          capture_output=True, text=True, timeout=30)
    assert spine.neighbors[0].peer_address not in bare.stdout
    host = ops.design.hosts[0]
    res = aifab("lab", "exec", "--cluster", CLUSTER, host.name, "--", "ip", "-br", "addr")
    assert res.returncode == 0 and host.nics[0].address in res.stdout


def test_exec_unknown_device_or_lab_is_one_line_exit_2(ops: Ops) -> None:
    res = aifab("lab", "exec", "--cluster", CLUSTER, "be-spine9", "--", "true")
    assert res.returncode == 2 and res.stdout == ""
    line = res.stderr.strip()
    assert "\n" not in line and line.startswith("be-spine9: no such node")
    assert all(d.name in line for d in ops.design.devices())
    res = aifab("lab", "exec", "--cluster", "labops-none", "be-spine1", "--", "true")
    assert (res.returncode, res.stderr) == (2, "no lab of cluster labops-none is up (aifab lab up INTENT)\n")


def test_up_on_a_running_lab_reports_it_and_changes_nothing(ops: Ops) -> None:
    before = _zebras(ops)
    res = aifab("lab", "up", str(ops.intent))
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"lab {CLUSTER} is already up: nothing changed" in res.stdout
    assert f"aifab lab {CLUSTER}: up" in res.stdout and "be-spine1" in res.stdout and "4/4" in res.stdout
    assert _zebras(ops) == before  # nothing restarted
    spine = ops.design.backend.devices[0]
    assert _running_config(ops, spine.name) == (ops.configs / f"{spine.name}.frr.conf").read_text()  # not wiped


def test_degraded_lab_is_reported_and_left_alone_until_force(ops: Ops) -> None:
    leaf = next(d for d in ops.design.backend.devices if d.role == "leaf")
    host = ops.design.hosts[-1]
    os.kill(running(ops.lab.topology.switch(leaf.name))["bgpd"], signal.SIGKILL)
    subprocess.run(["ip", "netns", "delete", PREFIX + host.name], check=True, timeout=30)
    deadline = time.monotonic() + 10
    while "bgpd" in running(ops.lab.topology.switch(leaf.name)):
        assert time.monotonic() < deadline, "bgpd survived SIGKILL"
        time.sleep(0.1)
    before = _zebras(ops)
    res = aifab("lab", "up", str(ops.intent), "--configs", str(ops.configs))
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"lab {CLUSTER} is degraded, nothing was changed" in res.stdout
    assert f"{leaf.name}: not running: bgpd" in res.stdout
    assert f"{PREFIX}{host.name}: namespace missing" in res.stdout
    assert "--force" in res.stdout
    assert _zebras(ops) == before and PREFIX + host.name not in namespaces()  # nothing rebuilt
    assert "bgpd" not in running(ops.lab.topology.switch(leaf.name))

    res = aifab("lab", "up", str(ops.intent), "--force", "--configs", str(ops.configs), "--wait", "60")
    assert res.returncode == 0, res.stdout + res.stderr
    after = _zebras(ops)
    assert all(after[n] != before[n] and after[n] > 0 for n in before), "--force rebuilds every switch"
    assert PREFIX + host.name in namespaces()
    assert _established(ops, leaf.name) == {n.peer_address: True for n in leaf.neighbors}
    assert aifab("lab", "status", str(ops.intent)).returncode == 0
