"""A lab intent with the backend on ``platform: sonic`` deploys its BGP (issue 10, item 3).

The lab has no SONiC: its inventory connects every switch with the frr driver, so a sonic switch
gets its frr.conf (BGP, on FRR as in SONiC's bgp container) and its config_db.json interface
addresses (on the kernel, as SONiC's intfmgrd would); everything else of config_db.json (ports,
QoS maps, PFC, ECN, buffers, the PFC watchdog) is not applied, and the deploy says so per device,
on the console and in the audit log. Cluster ``labsonic``, always torn down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifab.design.model import Design
from aifab.lab import Lab, up
from aifab.pipeline import design_for
from tests.lab.helpers import lab_torn_down, require_lab

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labsonic"


@pytest.fixture(scope="module")
def sonic_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Design, Lab]]:
    require_lab()
    work = tmp_path_factory.mktemp("sonic")
    head, _, tail = (ROOT / "intent" / "lab.yaml").read_text().replace("cluster: lab", f"cluster: {CLUSTER}").partition("frontend:")
    intent = work / "lab.yaml"
    intent.write_text(head.replace("platform: frr}", "platform: sonic}") + "frontend:" + tail)
    _, design = design_for(intent)
    assert {d.platform for d in design.backend.devices} == {"sonic"}
    with lab_torn_down(design, intent):
        res = subprocess.run([sys.executable, "-m", "aifab", "lab", "up", str(intent)], capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stdout + res.stderr
        yield intent, design, up(design)


def test_sonic_backend_deploys_its_bgp_and_says_what_it_did_not_apply(sonic_lab: tuple[Path, Design, Lab]) -> None:
    intent, design, lab = sonic_lab
    build = intent.parent / "build"
    res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(intent), "-o", str(build), "--lab", "--commit",
                          "--verify-timeout", "60"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "COLUMNS": "250"})
    assert res.returncode == 0, res.stdout + res.stderr  # what it could not apply is reported, not a failure
    assert "10 of 10 devices differ from their build; committed" in res.stdout
    records = [json.loads(line) for line in (build / "audit.jsonl").read_text().splitlines()]
    run = [r for r in records if r["run"] == records[-1]["run"]]
    for dev in design.backend.devices:  # every session Established, as the switch's own vtysh says
        peers = json.loads(lab.vtysh(dev.name, "show bgp ipv4 unicast summary json"))["peers"]
        for n in dev.neighbors:
            assert peers[n.peer_address]["state"] == "Established", f"{dev.name} -> {n.peer}"
        line = next((ln for ln in res.stdout.splitlines() if ln.startswith(f"{dev.name}: not applied: config_db.json")), "")
        assert all(w in line for w in ("PFC", "ECN", "buffers", "QoS")), res.stdout
        assert any(r["device"] == dev.name and r["setting"].startswith("config_db.json not applied")
                   for r in run if r["event"] == "not-applied")
        running = lab.vtysh(dev.name, "show running-config")
        assert f"router bgp {dev.asn}" in running and "fpm address 127.0.0.1" in running
    for dev in design.frontend.devices:  # frr switches lose no file
        assert f"{dev.name}: not applied: config_db.json" not in res.stdout
