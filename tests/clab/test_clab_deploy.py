"""Deploy to a running containerlab cEOS lab with NAPALM's eos driver (needs Docker, containerlab, cEOS).

Bring the lab up first: `aifab lab export --clab intent/lab.yaml -o build/clab --ceos-image IMAGE`,
`sudo containerlab deploy -t build/clab/clab/lab.clab.yml`; set AIFAB_CEOS_IMAGE to that image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("AIFAB_CEOS_IMAGE", "ceos:latest")
OUT = Path(os.environ.get("AIFAB_CLAB_DIR", ROOT / "build" / "clab"))


def _missing() -> str:
    if not shutil.which("docker") or not shutil.which("containerlab"):
        return "needs docker and containerlab on PATH"
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, timeout=30).returncode != 0:
        return f"needs a running Docker engine and the cEOS image {IMAGE} (docker import cEOS64-lab-<ver>.tar.xz {IMAGE})"
    return ""


pytestmark = [pytest.mark.clab, pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")]


def test_deploy_to_ceos_brings_every_session_up() -> None:
    env = {**os.environ, "AIFAB_USERNAME": "admin", "AIFAB_PASSWORD": "admin"}
    res = subprocess.run([sys.executable, "-m", "aifab", "deploy", str(ROOT / "intent" / "lab.yaml"), "--clab", str(OUT),
                          "--commit"], capture_output=True, text=True, timeout=900, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    audit = [json.loads(line) for line in (OUT / "audit.jsonl").read_text().splitlines()]
    assert [r for r in audit if r["event"] == "verified"], "every wave verified its BGP sessions"
