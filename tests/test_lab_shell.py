"""Without root: which lab node ``aifab lab exec`` enters and how (the namespaces themselves are
tested in tests/lab/test_lab_ops.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aifab.lab import shell, state
from aifab.lab.topology import LabError


def _lab(root: Path, cluster: str, switches: list[str], hosts: list[str], ready: bool = True) -> Path:
    d = root / cluster
    prefix = f"aifab-{cluster}."
    state.write(d, {"cluster": cluster, "prefix": prefix, "ready": ready,
                    "namespaces": [prefix + n for n in ("mgmt", *switches, *hosts)]})
    for name in switches:
        (d / "nodes" / name).mkdir(parents=True)
    return d


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    return tmp_path


def test_find_names_the_node_its_namespace_and_kind(root: Path) -> None:
    _lab(root, "a", ["sw1", "sw2"], ["srv1"])
    _lab(root, "b", ["sw1"], [], ready=False)  # still coming up (or crashed half-way): not a running lab
    assert shell.find("sw2") == shell.Node("sw2", "aifab-a.sw2", True)
    assert shell.find("srv1") == shell.Node("srv1", "aifab-a.srv1", False)
    assert shell.enter(shell.find("srv1")) == ["ip", "netns", "exec", "aifab-a.srv1"]


def test_unknown_device_lists_the_lab_nodes_in_one_line(root: Path) -> None:
    _lab(root, "a", ["sw1", "sw2"], ["srv1"])
    with pytest.raises(LabError, match=r"^sw9: no such node in the running lab \(a: sw1, sw2, srv1, mgmt\)$"):
        shell.find("sw9")


def test_a_device_of_several_labs_needs_the_cluster(root: Path) -> None:
    _lab(root, "a", ["sw1"], [])
    _lab(root, "b", ["sw1"], [])
    with pytest.raises(LabError, match="sw1 is a node of the labs of clusters a, b: name one with --cluster"):
        shell.find("sw1")
    assert shell.find("sw1", cluster="b").netns == "aifab-b.sw1"
    assert shell.find("sw1", state_dir=root / "a").netns == "aifab-a.sw1"


def test_no_lab_up_is_one_line(root: Path) -> None:
    with pytest.raises(LabError, match=r"^no lab is up \(aifab lab up INTENT\)$"):
        shell.find("sw1")
    _lab(root, "a", ["sw1"], [])
    with pytest.raises(LabError, match=r"^no lab of cluster z is up"):
        shell.find("sw1", cluster="z")


@pytest.mark.parametrize("record", ["[]", '{"cluster": "a", "ready": true, "namespaces": ["aifab-a.sw1"]}',
                                    '{"cluster": "a", "prefix": "aifab-a.", "ready": true, "namespaces": 5}',
                                    '{"cluster": 7, "prefix": "aifab-a.", "ready": true, "namespaces": []}'],
                         ids=["list", "no-prefix", "namespaces-number", "cluster-number"])
def test_a_record_edited_by_hand_counts_as_none_not_a_traceback(root: Path, record: str) -> None:
    """A state record that is not what ``state.write`` gives (edited by hand) reads as no record: the
    lab is not found (one line), where it was an AttributeError, KeyError or TypeError."""
    _lab(root, "a", ["sw1"], [])
    (root / "a" / state.RECORD).write_text(record)
    assert state.read(root / "a") == {}
    with pytest.raises(LabError, match=r"^no lab is up \(aifab lab up INTENT\)$"):
        shell.find("sw1")


def test_a_switch_with_nothing_running_says_the_lab_is_degraded() -> None:
    with pytest.raises(LabError, match=re.escape("sw1: none of zebra, bgpd, bfdd, staticd, sshd runs in aifab-none.sw1")):
        shell.enter(shell.Node("sw1", "aifab-none.sw1", True))
