"""Pull-request review on a real git repository: one knob changes exactly the devices it should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aifab.review import review, to_review_markdown

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "net"
    (repo / "intent").mkdir(parents=True)
    (repo / "intent" / "lab.yaml").write_text(LAB.read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base")
    return repo


def test_unchanged_intent_changes_nothing(repo: Path, tmp_path: Path) -> None:
    r = review(repo / "intent" / "lab.yaml", "main", tmp_path / "out")
    assert r.deltas == [] and r.waves == [] and not r.failed
    assert "0 devices change" in to_review_markdown(r)


def test_backend_mtu_touches_every_backend_switch_and_no_frontend_one(repo: Path, tmp_path: Path) -> None:
    path = repo / "intent" / "lab.yaml"
    path.write_text(path.read_text().replace("cables: {server_leaf: 3, leaf_spine: 20}", "cables: {server_leaf: 3, leaf_spine: 20, spine_core: 100}\n  mtu: 9000"))
    r = review(path, "main", tmp_path / "out")
    changed = {d.device for d in r.deltas}
    assert changed == {d.name for d in r.design.backend.devices}, "an MTU change reaches every backend switch, no frontend one"
    kinds = {d.device: d.change.kind for d in r.deltas if d.change}
    assert {k for n, k in kinds.items() if "leaf" in n} == {"cordon"}
    assert {k for n, k in kinds.items() if "spine" in n} == {"drain"}
    # every server cordoned once, all rail leaves in one wave; no leaf left in service, so both spines join it (plan.waves)
    assert [len(w.changes) for w in r.waves] == [6]
    md = to_review_markdown(r)
    assert "| `be-leaf-su1-r1` | changed | cordon |" in md and "srv-su1-01, srv-su1-02" in md
    assert "fe-leaf1a" not in md.split("### Checks")[0]


def test_new_intent_counts_as_added(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.read_text())
    r = review(path, "main", tmp_path / "out")
    assert "not in a git work tree" in r.base_note
    assert {d.status for d in r.deltas} == {"added"} and len(r.deltas) == 10


def test_review_cli_writes_markdown(repo: Path, tmp_path: Path) -> None:
    path = repo / "intent" / "lab.yaml"
    path.write_text(path.read_text().replace("leaf_spine: 20", "leaf_spine: 40"))
    res = subprocess.run([sys.executable, "-m", "aifab", "review", str(path), "--base", "main", "-o", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    report = (tmp_path / "o" / "review.md").read_text()
    assert report == res.stdout
    assert "## aifab review" in report and "### Rollout waves" in report


def test_ecn_only_change_is_a_change_in_review_and_deploy_alike(repo: Path, tmp_path: Path) -> None:
    """The review diffs exactly the pushed files (qos.sh is one) and classifies with the function the
    deploy uses on napalm_frr's compare_config (whose kernel section names the same qos.sh line)."""
    from aifab.plan.waves import changed_lines, classify

    path = repo / "intent" / "lab.yaml"
    path.write_text(path.read_text().replace("  servers_per_su: 2\n", "  servers_per_su: 2\n  qos: {ecn: {min_kb: 200}}\n"))
    r = review(path, "main", tmp_path / "out")
    assert {d.device for d in r.deltas} == {d.name for d in r.design.backend.devices}
    spine = next(d for d in r.deltas if d.device == "be-spine1")
    assert set(spine.diffs) == {"be-spine1.qos.sh"} and spine.change is not None and spine.change.kind == "hitless"
    red = next(ln[1:] for ln in spine.diffs["be-spine1.qos.sh"].splitlines() if ln.startswith("+tc") and " red " in ln)
    device_diff = f"Kernel Settings To Apply\n========================\nqos.sh: {red}\n"  # napalm_frr's compare_config
    dev = next(d for d in r.design.devices() if d.name == "be-spine1")
    assert changed_lines(device_diff) == [red] and red in changed_lines(spine.diffs["be-spine1.qos.sh"])
    same = classify(dev, device_diff)  # ECN is hitless (docs/impact.md): a change, in one hitless wave, in both
    assert (same.kind, same.reasons) == (spine.change.kind, spine.change.reasons) == ("hitless", ("ecn: hitless",))
    assert r.waves and "be-spine1" in {n for w in r.waves for n in w.devices}
