"""Pull-request review on a real git repository: the change set, the verdict, the waves and the
outputs (review.md within one PR comment, plan.json, diffs.patch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aifab.plan.way_in import ADDRESS_MOVES, API_OFF
from aifab.render.view import natural_key
from aifab.review import DeviceDelta, Review, review
from aifab.review_report import COMMENT_LIMIT, compress, plan_json, to_review_markdown

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
CLUSTER = ROOT / "intent" / "cluster.yaml"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=30)


def make_repo(tmp_path: Path, intent: Path) -> Path:
    repo = tmp_path / "net"
    (repo / "intent").mkdir(parents=True)
    (repo / "intent" / intent.name).write_text(intent.read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base")
    return repo / "intent" / intent.name


@pytest.fixture()
def lab(tmp_path: Path) -> Path:
    return make_repo(tmp_path, LAB)


@pytest.fixture()
def cluster(tmp_path: Path) -> Path:
    return make_repo(tmp_path, CLUSTER)


def test_unchanged_intent_changes_nothing(lab: Path, tmp_path: Path) -> None:
    r = review(lab, "main")
    assert r.deltas == [] and r.waves == [] and not r.failed and r.verdict == "ready"
    assert "0 devices change" in to_review_markdown(r)


def test_backend_mtu_cordons_each_server_once(lab: Path, tmp_path: Path) -> None:
    lab.write_text(lab.read_text().replace("cables: {server_leaf: 3, leaf_spine: 20}", "cables: {server_leaf: 3, leaf_spine: 20, spine_core: 100}\n  mtu: 9000"))
    r = review(lab, "main")
    changed = {d.device for d in r.deltas}
    assert changed == {d.name for d in r.design.backend.devices}, "an MTU change reaches every backend switch, no frontend one"
    assert r.verdict == "needs cordon" and not r.failed
    assert any("MTU" in line for line in r.changes.lines())
    cordoned = [s for w in r.waves for s in w.cordon]
    assert sorted(cordoned) == sorted(set(cordoned)) and cordoned, "every server cordoned at most once"
    md = to_review_markdown(r)
    assert "**needs cordon**" in md and "srv-su1-[01-02]" in md and "```mermaid" in md
    assert "fe-leaf1a" not in md.split("### Checks")[0]
    # one wave takes the whole backend out (its servers all cordoned): it claims no capacity left (was "100.0 %")
    assert [{c.device for c in w.changes if c.drain} for w in r.waves] == [changed]
    assert r.waves[0].min_capacity_pct is None and plan_json(r)["waves"][0]["min_capacity_pct"] is None
    assert [line.split(" | ")[6] for line in md.splitlines() if line.startswith("| 1 | ")] == ["-"]


def test_review_shows_the_scheduler_commands_of_each_cordon_wave(lab: Path, tmp_path: Path) -> None:
    lab.write_text(lab.read_text().replace("cables: {server_leaf: 3, leaf_spine: 20}", "cables: {server_leaf: 3, leaf_spine: 20}\n  mtu: 9000")
                   + "  cordon_command: scontrol update nodename={hosts_range} state=drain reason={reason}\n"
                   + "  uncordon_command: kubectl uncordon {host}\n")
    r = review(lab, "main")
    waves = [w for w in plan_json(r)["waves"] if w["cordon"]["servers"]]
    assert waves and r.verdict == "needs cordon"
    for w in waves:
        ranges = ",".join(w["cordon"]["ranges"])
        assert w["cordon"]["commands"] == [f"scontrol update 'nodename={ranges}' state=drain "
                                           f"'reason=aifab lab wave {w['index']}: {','.join(compress([d['name'] for d in w['devices'] if d['action'] == 'cordon']))}'"]
        assert w["cordon"]["uncordon_commands"] == [f"kubectl uncordon {s}" for s in w["cordon"]["servers"]]
    md = to_review_markdown(r)
    assert "### Scheduler hand-off" in md and "  - cordon: `scontrol update 'nodename=srv-su1-[01-02]" in md
    assert "  - uncordon: `kubectl uncordon srv-su1-01`" in md


def test_ecn_change_is_ready_without_cordons(cluster: Path, tmp_path: Path) -> None:
    cluster.write_text(cluster.read_text().replace("    roce_dscp: 26\n", "    roce_dscp: 26\n    ecn: {max_kb: 2000}\n"))
    r = review(cluster, "main")
    assert r.verdict == "ready" and not r.failed
    assert any(line.startswith("ECN max threshold") for line in r.changes.lines())
    assert r.deltas and all(d.change and d.change.kind == "hitless" for d in r.deltas)
    assert [w.cordon for w in r.waves] == [()] and plan_json(r)["summary"]["cordoned_gpus"] == 0
    # EOS: the thresholds live in the switch's one qos profile, so each switch changes one line, not one per port
    assert {d.lines for d in r.deltas} == {(1, 1)}
    assert all("\n+      random-detect ecn minimum-threshold 500 kbytes maximum-threshold 2000 kbytes" in diff
               for d in r.deltas for diff in d.diffs.values())


def test_tier_change_is_recabling_with_the_links(cluster: Path, tmp_path: Path) -> None:
    cluster.write_text(cluster.read_text().replace("servers: 128\n", "servers: 160\n", 1))
    r = review(cluster, "main")
    assert r.verdict == "re-cabling" and r.failed and r.waves == []
    assert "be-leaf-su1-r1:Ethernet49/1 -> be-spine1" in r.recabling
    md = to_review_markdown(r)
    assert "**re-cabling**" in md and "be-leaf-su1-r1:Ethernet49/1 -> be-spine1" in md
    assert plan_json(r)["summary"]["recabled_links"] > 0


def test_new_intent_counts_as_added(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB.read_text())
    r = review(path, "main")
    assert "not in a git work tree" in r.base_note
    assert {d.status for d in r.deltas} == {"added"} and len(r.deltas) == 10
    assert {c.kind for w in r.waves for c in w.changes} == {"initial"}


def test_a_base_that_is_no_revision_is_an_error_not_everything_new(lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    res = subprocess.run([sys.executable, "-m", "aifab", "review", str(lab), "--base", "mian", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--base mian: no such revision" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists(), "nothing written"
    (lab.parent / "other.yaml").write_text(lab.read_text())  # a file the base does not have: everything new, rightly
    r = review(lab.parent / "other.yaml", "main")
    assert "does not exist at main: everything counts as new" in r.base_note


def test_a_base_intent_that_does_not_build_is_named_at_its_revision(lab: Path) -> None:
    """The base intent broken at its revision: everything counts as new, and the note names it as
    ``lab.yaml at main:LINE``, not by the scratch copy the review reads it from."""
    text = lab.read_text()
    lab.write_text(text.replace("  servers: 4\n", "  servers: four\n"))
    git(lab.parents[1], "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "broken")
    lab.write_text(text)
    r = review(lab, "main")
    line = text.splitlines().index("  servers: 4") + 1
    assert f"the intent at main does not build (lab.yaml at main:{line}: backend.servers" in r.base_note, r.base_note
    assert "aifab-review-" not in r.base_note
    assert {d.status for d in r.deltas} == {"added"}


def test_review_cli_writes_markdown_plan_and_patch(lab: Path, tmp_path: Path) -> None:
    lab.write_text(lab.read_text().replace("leaf_spine: 20", "leaf_spine: 40"))
    out = tmp_path / "o"
    res = subprocess.run([sys.executable, "-m", "aifab", "review", str(lab), "--base", "main", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    report = (out / "review.md").read_text()
    assert report == res.stdout
    assert "## aifab review" in report and "### Change set" in report
    plan = json.loads((out / "plan.json").read_text())
    assert set(plan) >= {"schema", "summary", "changes", "waves", "recabled_links", "plan_error"}
    assert set(plan["summary"]) >= {"verdict", "devices_changed", "waves", "cordoned_servers", "cordoned_gpus", "duration_s"}
    for w in plan["waves"]:
        assert set(w) >= {"index", "devices", "impact", "cordon", "min_capacity_pct", "duration_s"}
        assert set(w["cordon"]) == {"servers", "ranges", "gpus", "commands", "uncordon_commands"}
        assert all(set(d) >= {"name", "action", "impact", "drain"} for d in w["devices"])
    assert (out / "diffs.patch").read_text().startswith("--- a/")
    assert sorted(p.name for p in out.iterdir()) == ["diffs.patch", "plan.csv", "plan.json", "review.md"]  # no build


def test_recabling_exits_1(cluster: Path, tmp_path: Path) -> None:
    cluster.write_text(cluster.read_text().replace("servers: 128\n", "servers: 160\n", 1))
    res = subprocess.run([sys.executable, "-m", "aifab", "review", str(cluster), "--base", "main", "-o", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "re-cabling" in res.stderr and "Traceback" not in res.stderr


def test_compress_ranges_in_natural_order() -> None:
    names = [f"srv-su1-{i:02d}" for i in range(32, 0, -1)] + ["srv-su10-01", "srv-su2-03", "srv-su2-05", "srv-su2-04", "db"]
    assert compress(names) == ["db", "srv-su1-[01-32]", "srv-su2-[03-05]", "srv-su10-01"]
    assert compress(["be-spine10", "be-spine2", "be-spine3", "be-spine9"]) == ["be-spine[2-3,9-10]"]
    assert compress([]) == []


def test_review_md_fits_one_comment_on_a_huge_change(lab: Path, tmp_path: Path) -> None:
    """Thousands of devices with long diffs and a long change set still make one PR comment."""
    r = review(lab, "main")
    body = "".join(f"-   ecn threshold {i} old\n+   ecn threshold {i} new\n" for i in range(400))
    r.deltas = [DeviceDelta(f"be-leaf-su{i // 8 + 1}-r{i % 8 + 1}", "changed", {"x.cfg": f"--- a/x\n+++ b/x\n{body}"})
                for i in range(3000)]
    md = to_review_markdown(r)
    assert len(md) <= COMMENT_LIMIT and "of 3,000 devices" in md


def test_fast_diff_applies_with_patch(tmp_path: Path) -> None:
    """The same-length fast path of the review's diff is a unified diff `patch` applies."""
    import random

    from aifab.difftext import unified_diff as _diff

    rng = random.Random(7)
    for _ in range(50):
        old = [f"line {rng.randint(0, 5)}\n" for _ in range(rng.randint(1, 60))]
        new = [x if rng.random() < 0.8 else f"new {rng.randint(0, 3)}\n" for x in old]
        (tmp_path / "x").write_text("".join(old))
        (tmp_path / "p").write_text(_diff("x", "".join(old), "".join(new)))
        if old == new:
            assert (tmp_path / "p").read_text() == ""
            continue
        subprocess.run(["patch", "-s", str(tmp_path / "x"), str(tmp_path / "p")], check=True, timeout=30)
        assert (tmp_path / "x").read_text() == "".join(new)


def test_diff_of_the_lines_between_equal_ends_is_the_diff_of_whole_files() -> None:
    """The fast path cuts out the lines between the texts' common first and last lines (with their
    context): its diff is the line-by-line diff of the whole files, hunks and line numbers alike."""
    import random

    from aifab.difftext import _same_length_diff
    from aifab.difftext import unified_diff as _diff

    rng = random.Random(11)
    words = ["x", "y", "ab", "", "neighbor 10.0.0.1", "ecn 500"]
    for n in range(1000):  # texts within one CHUNK of the comparison, and over many
        old = [rng.choice(words) + "\n" for _ in range(rng.randint(1, 200 if n % 2 else 3000))]
        new = list(old)
        for _ in range(rng.randint(1, 4)):  # a few runs of changed lines, some within a line's own text
            i = rng.randrange(len(old))
            for j in range(i, min(len(old), i + rng.randint(1, 3))):
                new[j] = rng.choice([new[j].rstrip("\n") + "c\n", new[j][1:] or "k\n", rng.choice(words) + "\n"])
        whole = _same_length_diff("x", list(old), list(new), 0)
        assert _diff("x", "".join(old), "".join(new)) == whole
        assert (whole == "") == (old == new)


def _whole_render_diffs(r: Review) -> dict[str, dict[str, str]]:
    """Every device's pushed files rendered whole from both Designs of a review, diffed where they differ."""
    from aifab.difftext import unified_diff
    from aifab.render.view import device_view
    from aifab.review import _files

    assert r.base is not None
    old = {d.name: d for d in r.base.devices()}
    diffs = {}
    for dev in r.design.devices():
        before, after = _files(device_view(r.base, old[dev.name])), _files(device_view(r.design, dev))
        if before != after:
            diffs[dev.name] = {n: unified_diff(n, before[n], after[n]) for n in sorted(after) if before[n] != after[n]}
    return diffs


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_review_large_enough_to_fork_diffs_and_checks_every_switch(tmp_path: Path, jobs: int) -> None:
    """Over FORK_THRESHOLD switches forked processes render and diff most of them, and the texts are
    parsed (all by this process with two jobs, each share where it is rendered with three): the deltas
    are the whole-render diffs of exactly the switches that change, and every switch is parsed and
    checked."""
    from aifab.check import check
    from aifab.pipeline import build
    from aifab.render.configs import FORK_THRESHOLD

    grown = tmp_path / "grown" / "cluster.yaml"
    grown.parent.mkdir()
    grown.write_text(CLUSTER.read_text().replace("servers: 128\n", "servers: 160\n"))
    path = make_repo(tmp_path, grown)
    path.write_text(path.read_text().replace("    cnp_dscp: 48\n", "    cnp_dscp: 48\n    ecn: {max_kb: 2000}\n", 1))
    r = review(path, "main", jobs=jobs)
    assert r.base is not None and len(r.design.devices()) >= FORK_THRESHOLD
    diffs = _whole_render_diffs(r)
    assert diffs and {d.device: d.diffs for d in r.deltas if d.diffs} == diffs
    assert set(diffs) == {d.name for d in r.design.backend.devices}
    build(path, tmp_path / "out", check=False)  # the review writes no configs: the checks of a build's
    assert r.check.parsed == len(r.design.devices()) and r.check.findings == check(r.design, tmp_path / "out").findings


def test_no_wave_within_the_rules_needs_a_maintenance_window(lab: Path, tmp_path: Path) -> None:
    """A new frontend ASN resets every frontend session: each spine must be drained, and one of two
    spines out leaves each leaf 50 % of its uplinks, under the 75 % the policy asks."""
    text = lab.read_text().replace("min_capacity_pct: 50", "min_capacity_pct: 75")
    lab.write_text(text.replace("    servers: 10.1.2.0/24\n", "    servers: 10.1.2.0/24\n  asn: {base: 4200200000}\n"))
    r = review(lab, "main")
    assert r.verdict == "needs maintenance window" and r.failed and r.plan_error
    assert "back in service" not in r.plan_error, "no switch was out of service before: no such hint"
    assert "### Needs a maintenance window" in to_review_markdown(r)


def test_ecn_only_change_is_a_change_in_review_and_deploy_alike(lab: Path, tmp_path: Path) -> None:
    """The review diffs exactly the pushed files (qos.sh is one) and classifies with the function the
    deploy uses on napalm_frr's compare_config (whose kernel section names the same qos.sh line)."""
    from aifab.plan.waves import changed_lines, classify

    path = lab
    path.write_text(path.read_text().replace("  servers_per_su: 2\n", "  servers_per_su: 2\n  qos: {ecn: {min_kb: 200}}\n"))
    r = review(path, "main")
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


def test_a_dscp_map_change_on_frr_is_hitless_in_review_and_deploy_alike(lab: Path, tmp_path: Path) -> None:
    """On a Linux switch the DSCP map is ``dcb app`` (classification of arriving packets), no queue is
    replaced: hitless, no cordon (before: read as a scheduler change, which replaces the root qdisc on
    FRR, and cordoned every server). A weight change replaces the root qdisc: still a cordon."""
    from aifab.plan.waves import classify

    lab.write_text(lab.read_text().replace("  servers_per_su: 2\n", "  servers_per_su: 2\n  qos: {roce_dscp: 24}\n"))
    r = review(lab, "main")
    assert r.verdict == "ready" and [w.cordon for w in r.waves] == [()], r.waves
    assert r.changes.lines() == ["RoCE DSCP 26 -> 24 on 4 leaves and 2 spines"]
    leaf = next(d for d in r.deltas if d.device == "be-leaf-su1-r1")
    assert leaf.change is not None and (leaf.change.kind, leaf.change.reasons) == ("hitless", ("dscp-map: hitless",))
    apps = [ln[1:] for ln in leaf.diffs["be-leaf-su1-r1.qos.sh"].splitlines() if ln.startswith("+dcb app")]
    assert apps and all(" dscp-prio " in a for a in apps)
    device_diff = "Kernel Settings To Apply\n========================\n" + "".join(f"qos.sh: {a}\n" for a in apps)
    dev = next(d for d in r.design.devices() if d.name == "be-leaf-su1-r1")
    assert classify(dev, device_diff).reasons == ("dscp-map: hitless",), "napalm_frr's compare_config of the same lines"
    lab.write_text(lab.read_text().replace("  qos: {roce_dscp: 24}\n", "  qos: {lossless_weight: 60}\n"))
    r = review(lab, "main")
    assert r.verdict == "needs cordon", "the root qdisc replaced: the port's queues reset"


@pytest.mark.parametrize("edit", [
    ("  storage_nodes: 1\n", "  storage_nodes: 1\n  bgp: {keepalive_s: 5, hold_s: 15}\n"),  # the frontend only
    ("  servers_per_su: 2\n", "  servers_per_su: 2\n  qos: {ecn: {min_kb: 200}}\n"),  # the backend only
    ("upgrade:\n", "upgrade:\n  graceful_restart_s: 200\n"),  # every device, through the Design's view inputs
])
def test_deltas_are_exactly_the_devices_whose_files_differ(lab: Path, tmp_path: Path, edit: tuple[str, str]) -> None:
    """The review skips the base side of a device equal in both Designs, its view inputs equal: every
    device it skips renders the same pushed files from both Designs, every one it keeps differs."""
    assert edit[0] in lab.read_text()
    lab.write_text(lab.read_text().replace(*edit, 1))
    r = review(lab, "main")
    assert r.base is not None
    diffs = _whole_render_diffs(r)
    assert diffs and {d.device: d.diffs for d in r.deltas if d.diffs} == diffs


def test_a_software_only_change_shows_no_empty_diff(lab: Path, tmp_path: Path) -> None:
    """Every switch upgraded, the frontend's MTU changed too: only the frontend's files differ."""
    text = lab.read_text() + '  os_version: {frr: "10.2"}\n'  # the intent ends in its upgrade block
    lab.write_text(text.replace("storage_nodes: 1", "storage_nodes: 1\n  mtu: 9000"))
    r = review(lab, "main")
    upgraded_only = {d.device for d in r.deltas if not d.diffs}
    assert upgraded_only == {d.name for d in r.design.backend.devices}, "the backend only upgrades: no file differs"
    md = to_review_markdown(r)
    diffs = md.split("### Diffs")[1]
    assert "```diff\n```" not in diffs, "no empty diff block"
    assert f"of {len(r.deltas) - len(upgraded_only)} devices whose files differ" in diffs
    assert not any(f"<summary>{n} " in diffs for n in upgraded_only)
    assert f"{len(upgraded_only)} changed devices have no file that differs" in diffs


def test_management_addresses_that_move_need_a_maintenance_window(lab: Path, tmp_path: Path) -> None:
    """A new management gateway moves the backend's addresses: forwarding is untouched (hitless), but
    the deploy would connect at the new address, which the switches do not have yet, and refuses a
    commit that takes away the address it reaches a switch at. The review said "ready" for it: now its
    verdict is "needs maintenance window" (exit 1), naming the switches and what to do first."""
    lab.write_text(lab.read_text().replace("  network: 172.31.255.0/24\n", "  network: 172.31.255.0/24\n  gateway: 172.31.255.200\n"))
    r = review(lab, "main")
    text = to_review_markdown(r)
    section = text.split("### The deploy refuses these commits", 1)[1].split("###", 1)[0]
    assert "- 6 switches (be-leaf-su1-r[1-2], be-leaf-su2-r[1-2], be-spine[1-2]) get a new management address." in section
    assert "fe-" not in section, "the frontend's addresses count down from the top: the gateway moves none"
    assert "out of band first" in section
    assert all(c.kind == "hitless" and not c.drain for w in r.waves for c in w.changes)
    assert (r.verdict, r.failed) == ("needs maintenance window", True)
    plan = plan_json(r)
    assert plan["summary"]["devices_refused"] == 6
    assert plan["refused"] == [{"why": ADDRESS_MOVES, "devices": list(r.refused),
                                "ranges": ["be-leaf-su1-r[1-2]", "be-leaf-su2-r[1-2]", "be-spine[1-2]"]}]

    unchanged = review(make_repo(tmp_path / "again", LAB), "main")
    assert "The deploy refuses" not in to_review_markdown(unchanged)
    assert (unchanged.verdict, unchanged.refused) == ("ready", {})


def test_an_eapi_turned_off_needs_a_maintenance_window(cluster: Path, tmp_path: Path) -> None:
    """`management.api: false` on EOS: NAPALM's eos driver talks eAPI only, and the deploy refuses a
    commit that turns it off (it would cut its own session; no later deploy would reach the switch).
    The review said "ready, 0 drains" for it: now it names the 60 switches, verdict "needs maintenance
    window"; the FRR lab's switches are reached over SSH, and the same knob refuses nothing there."""
    cluster.write_text(cluster.read_text().replace("management:\n", "management:\n  api: false\n", 1))
    r = review(cluster, "main")
    assert any(line.startswith("eAPI on -> off on 40 leaves and 20 spines") for line in r.changes.lines())
    assert set(r.refused.values()) == {API_OFF} and len(r.refused) == 60
    assert set(r.refused) == {d.name for d in r.design.devices() if d.platform == "eos"}
    assert (r.verdict, r.failed) == ("needs maintenance window", True)
    section = to_review_markdown(r).split("### The deploy refuses these commits", 1)[1].split("###", 1)[0]
    assert "- 60 switches (" in section and "turns off the API the deploy talks" in section
    assert "`management.api: true`" in section
    lab = make_repo(tmp_path / "lab", LAB)
    lab.write_text(lab.read_text().replace("management:\n", "management:\n  api: false\n", 1))
    on_frr = review(lab, "main")
    assert on_frr.refused == {} and "The deploy refuses" not in to_review_markdown(on_frr)


def test_a_change_no_pushed_file_carries_is_said_and_planned_nothing(cluster: Path, tmp_path: Path) -> None:
    """The cluster's EOS leaves are Tomahawks: their config has no per-port PFC headroom (EOS has it in
    the `platform trident mmu` profile, Trident only). A longer server cable changes the Design's
    headroom, and no file the deploy pushes: before, the review planned a drain of all 32 leaves and a
    cordon of all 128 servers for a deploy that then found nothing to change. Now nothing is planned
    and the review says why; an MTU change there flaps ports (was reload: the headroom counted)."""
    text = cluster.read_text()
    cluster.write_text(text.replace("server_leaf: 5,", "server_leaf: 10,"))
    r = review(cluster, "main")
    assert any(line.startswith("PFC headroom") for line in r.changes.lines())
    assert (r.verdict, r.waves, r.deltas) == ("ready", [], [])
    leaves = {d.name for d in r.design.backend.devices if d.role == "leaf"}
    assert r.unrendered == dict.fromkeys(leaves, ("buffer-pools", "headroom"))
    plan = plan_json(r)
    assert plan["summary"]["devices_not_rendered"] == 32
    assert plan["not_rendered"] == [{"platform": "eos", "kinds": ["buffer-pools", "headroom"], "devices": sorted(leaves, key=natural_key),
                                     "ranges": [f"be-leaf-su{su}-r[1-8]" for su in range(1, 5)]}]
    assert "### Not in the configs\n\n- `buffer-pools`, `headroom` on 32 eos switches (be-leaf-su1-r[1-8]," in to_review_markdown(r)
    cluster.write_text(text.replace("  mtu: 9216", "  mtu: 9000"))
    r = review(cluster, "main")
    assert {d.change.impact for d in r.deltas if d.change} == {"port-flap"}
    assert all("headroom" in r.unrendered[d.device] for d in r.deltas if d.device in leaves)


def test_a_change_the_config_carries_is_planned_from_the_change_set(lab: Path, tmp_path: Path) -> None:
    """The same cable change on SONiC switches, whose CONFIG_DB has each port's lossless profile:
    headroom, a port flap, on every leaf."""
    lab.write_text(lab.read_text().replace("platform: frr}", "platform: sonic}"))
    git(lab.parents[1], "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "sonic")
    lab.write_text(lab.read_text().replace("server_leaf: 3,", "server_leaf: 5,"))
    r = review(lab, "main")
    assert r.unrendered == {}
    leaves = {d.name for d in r.design.backend.devices if d.role == "leaf"}
    assert {d.device for d in r.deltas} == leaves
    assert all("headroom: port-flap" in d.change.reasons for d in r.deltas if d.change)
    assert r.verdict == "needs cordon"
    # the frontend is lossy: a longer cable is its length alone, which CONFIG_DB's CABLE_LENGTH carries
    # (it read as no headroom line, the change set's kind was taken out, and the diff's lines were unknown: reload)
    lab.write_text(lab.read_text().replace("server_leaf: 5,", "server_leaf: 3,")
                   .replace("  oversubscription: \"1:3\"\n", "  oversubscription: \"1:3\"\n  cables: {leaf_spine: 50}\n"))
    r = review(lab, "main")
    assert r.unrendered == {} and all(d.change and "headroom: port-flap" in d.change.reasons for d in r.deltas)
    assert not any("unknown" in reason for d in r.deltas if d.change for reason in d.change.reasons)
    assert {d.device for d in r.deltas} == {d.name for d in r.design.frontend.devices}


def test_a_change_of_the_way_in_is_a_hitless_fact(cluster: Path, tmp_path: Path) -> None:
    """A user added and an NTP server taken away: lines of the management plane, which the impact
    table did not know. Before, each was an unknown change, the most cautious class: all 60 switches
    drained, all 128 servers cordoned, and the change set said nothing. Now they are facts of kind
    `access`, hitless; the FRR lab's switches carry no such setting, which the review says."""
    cluster.write_text(cluster.read_text().replace("    - {name: noc, role: network-operator, password: false}\n",
                                                   "    - {name: noc, role: network-operator, password: false}\n"
                                                   "    - {name: ops}\n").replace("ntp: [10.250.0.1, 10.250.0.2]", "ntp: [10.250.0.1]"))
    r = review(cluster, "main")
    assert r.verdict == "ready" and not r.failed
    assert "NTP servers 10.250.0.1, 10.250.0.2 -> 10.250.0.1 on 40 leaves and 20 spines" in r.changes.lines()
    assert any(line.startswith("local users ") and "ops (network-admin) on 40 leaves and 20 spines" in line for line in r.changes.lines())
    assert len(r.deltas) == 60 and {d.change.reasons for d in r.deltas if d.change} == {("access: hitless",)}
    assert plan_json(r)["summary"]["drained_devices"] == 0 and plan_json(r)["summary"]["cordoned_servers"] == 0
    lab = make_repo(tmp_path / "lab", LAB)
    lab.write_text(lab.read_text().replace("management:\n", "management:\n  ntp: [10.250.0.1]\n", 1))
    r = review(lab, "main")
    assert (r.verdict, r.deltas) == ("ready", [])
    assert r.unrendered == {d.name: ("access",) for d in r.design.devices()}, "frr renders no NTP: said, not planned"


def test_a_lossy_cable_on_frr_changes_a_comment_only(lab: Path, tmp_path: Path) -> None:
    """FRR's frontend is lossy: a longer cable changes the comment naming the port's cable in qos.sh and
    no setting (the deploy applies commands, and has nothing to apply). The review says the change set's
    length is in no setting and plans the comment hitless, not the change set's kind (a port flap,
    drain) nor, with it taken out, an unknown line."""
    lab.write_text(lab.read_text().replace("  oversubscription: \"1:3\"\n", "  oversubscription: \"1:3\"\n  cables: {leaf_spine: 50}\n"))
    r = review(lab, "main")
    fe = {d.name for d in r.design.frontend.devices}
    assert r.unrendered == dict.fromkeys(fe, ("headroom",)) and {d.device for d in r.deltas} == fe
    assert {d.change.reasons for d in r.deltas if d.change} == {("description: hitless",)} and r.verdict == "ready"
