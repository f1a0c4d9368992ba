"""Without root: what a SONiC switch's CONFIG_DB puts on the lab's kernel (the lab itself:
tests/lab/test_lab_ops.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab.lab import configdb
from aifab.lab.topology import LabError

GOLDEN = Path(__file__).parent / "golden" / "sonic" / "configs"


def test_config_db_addresses_become_kernel_addresses_with_the_loopback_created() -> None:
    db = json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())
    lines = configdb.ip_lines(db)
    assert lines[:2] == ["link add Loopback0 type bridge", "link set Loopback0 up"]
    want = [f"addr add {key.split('|')[1]} dev {key.split('|')[0]}"
            for table in ("INTERFACE", "LOOPBACK_INTERFACE") for key in db[table] if "|" in key]
    assert lines[2:] == want and len(want) == 5
    assert not [ln for ln in lines if "eth0" in ln]  # management is the lab's, from the Design


def test_unreadable_config_db_names_the_switch_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "sw1.config_db.json"
    bad.write_text("{not json")
    with pytest.raises(LabError, match=r"^sw1: cannot read rendered config .*sw1\.config_db\.json"):
        configdb.read("sw1", bad)
