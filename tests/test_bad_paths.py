"""File-system and inventory problems of build, check, review and deploy: one line, exit 2, no
traceback, nothing written (real CLI, in-process). No test here reaches a device: each fails
before the first connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from aifab.cli import main

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI; it must exit 2 with exactly one line on stderr and no traceback. Returns the line."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code == 2, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a directory\n")
    return path


def test_build_output_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    line = fails(capsys, "build", str(LAB), "-o", str(a_file / "out"))
    assert line == f"{a_file / 'out'}: cannot write output (Not a directory)"


def test_check_report_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    line = fails(capsys, "check", str(LAB), "-o", str(a_file / "report.txt"))
    assert line == f"{a_file / 'report.txt'}: cannot write report (Not a directory)"


def test_check_report_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = fails(capsys, "check", str(LAB), "--format", "json", "-o", str(tmp_path))
    assert line == f"{tmp_path}: cannot write report (Is a directory)"


@pytest.mark.parametrize(("report", "out", "expected"), [
    ("{file}/review.md", None, "{file}/review.md: cannot write the review report: {file} is not a directory"),
    ("{tmp}", None, "{tmp}: cannot write the review report: is a directory"),
    (None, "{file}/review", "{file}/review: cannot write the review's outputs: {file} is not a directory"),
    (None, "{file}", "{file}: cannot write the review's outputs: not a directory"),
])
def test_review_unwritable_places(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path,
                                  report: str | None, out: str | None, expected: str) -> None:
    def fill(s: str) -> str:
        return s.format(file=a_file, tmp=tmp_path)

    argv = ["review", str(LAB), "--base", "HEAD", "-o", fill(out) if out else str(tmp_path / "review")]
    argv += ["--report", fill(report)] if report else []
    assert fails(capsys, *argv) == fill(expected)
    assert not (tmp_path / "review").exists(), "nothing is written"


def test_review_output_that_cannot_be_written_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file of the outputs that cannot be written once the review ran (here a directory in its
    place; a full disk alike) is named, not review.md (it used to be)."""
    (tmp_path / "review" / "diffs.patch").mkdir(parents=True)
    line = fails(capsys, "review", str(LAB), "--base", "HEAD", "-o", str(tmp_path / "review"))
    assert line == f"{tmp_path / 'review' / 'diffs.patch'}: cannot write the review's outputs (Is a directory)"


def deploy_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """``aifab deploy`` of the lab intent into tmp/out; it must fail before writing the build."""
    line = fails(capsys, "deploy", str(LAB), "-o", str(tmp_path / "out"), *extra)
    assert not (tmp_path / "out").exists(), "nothing is written"
    return line


def test_deploy_inventory_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = deploy_fails(tmp_path, capsys, "--inventory", str(tmp_path / "nonexistent"))
    assert line == f"{tmp_path / 'nonexistent'}: not a Nornir inventory (no such directory)"


def test_deploy_inventory_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    assert deploy_fails(tmp_path, capsys, "--inventory", str(a_file)) == f"{a_file}: not a Nornir inventory (not a directory)"


def test_deploy_inventory_without_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    line = deploy_fails(tmp_path, capsys, "--inventory", str(inv))
    assert line == f"{inv}: no hosts.yaml (build the intent, or bring the lab up)"


GROUPS = "frr:\n  platform: frr\n"
HOST = "be-spine1:\n  hostname: 127.0.0.1\n  groups: [frr]\n"


@pytest.mark.parametrize(("files", "expected"), [
    ({"hosts.yaml": "{bad: [\n"}, "hosts.yaml:2: malformed YAML: "),  # the rest is libyaml's or PyYAML's wording
    ({"hosts.yaml": "- a\n- b\n"}, "hosts.yaml:1: expected a mapping of names to their settings, not a list"),
    ({"hosts.yaml": ""}, "hosts.yaml: no hosts (build the intent, or bring the lab up)"),
    ({"hosts.yaml": "be-spine1: 5\n"}, "hosts.yaml:1: be-spine1: expected a mapping, not an integer"),
    ({"hosts.yaml": HOST + "  port: '22'\n"}, "hosts.yaml:4: be-spine1.port: expected an integer, not a string"),
    ({"hosts.yaml": HOST.replace("hostname", "hostnam")},
     "hosts.yaml:2: be-spine1.hostnam: unknown key (one of hostname, port, username, password, platform, groups, "
     "data, connection_options)"),
    ({"hosts.yaml": HOST.replace("[frr]", "[junos]")}, "hosts.yaml:3: be-spine1.groups: no such group 'junos' in groups.yaml"),
    ({"groups.yaml": "frr: [\n"}, "groups.yaml:2: malformed YAML: "),
    ({"groups.yaml": GROUPS + "  connection_options: {napalm: 5}\n"},
     "groups.yaml:3: frr.connection_options.napalm: expected a mapping, not an integer"),
    ({"defaults.yaml": "data: 5\n"}, "defaults.yaml:1: data: expected a mapping, not an integer"),
    ({"defaults.yaml": "[1]\n"}, "defaults.yaml:1: expected a mapping, not a list"),
    ({"hosts.yaml": b"be-spine1: {hostname: 127.0.0.1}\n# \xff\n"},
     "hosts.yaml:2: not UTF-8 at column 3 (got byte 0xff)"),
    # well-formed, but the design's other nine switches have no entry
    ({}, "hosts.yaml: no inventory entry for be-leaf-su1-r1, be-leaf-su1-r2, be-leaf-su2-r1, be-leaf-su2-r2, "
         "be-spine2, fe-leaf1a, fe-leaf1b, fe-spine1, fe-spine2"),
])
def test_deploy_malformed_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    files: dict[str, str | bytes], expected: str) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    for name, text in {"hosts.yaml": HOST, "groups.yaml": GROUPS, **files}.items():
        (inv / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    code = main(["deploy", str(LAB), "-o", str(tmp_path / "out"), "--inventory", str(inv)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{inv}/{expected}"), lines
    if files:  # a malformed file is found before the build is written
        assert not (tmp_path / "out").exists()


def test_deploy_audit_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    line = deploy_fails(tmp_path, capsys, "--audit", str(a_file / "audit.jsonl"))
    assert line == f"{a_file / 'audit.jsonl'}: cannot write the audit log: {a_file} is not a directory"


def test_deploy_audit_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy_fails(tmp_path, capsys, "--audit", str(tmp_path)) == f"{tmp_path}: cannot write the audit log: is a directory"


def test_deploy_output_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    # the audit log defaults into the output directory: its parent is the file
    line = fails(capsys, "deploy", str(LAB), "-o", str(a_file / "out"))
    assert line == f"{a_file / 'out' / 'audit.jsonl'}: cannot write the audit log: {a_file} is not a directory"


def test_clab_export_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], a_file: Path) -> None:
    line = fails(capsys, "lab", "export", str(LAB), "--clab", "-o", str(a_file / "clab"))
    assert line == f"{a_file / 'clab'}: cannot write the containerlab export: {a_file} is not a directory"
