"""YAML that would blow up or crash the loader is one located line, exit 2, nothing written (real CLI)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from aifab.cli import main

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def build(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """``aifab build PATH -o OUT`` in-process; the exit code and the lines on stderr."""
    code = main(["build", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.splitlines()


def lab_with(tmp_path: Path, old: str, new: str) -> Path:
    text = LAB.read_text()
    assert old in text, old
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def bomb(levels: int = 9) -> str:
    """The classic "billion laughs": each level is a list of nine aliases of the one before."""
    lines = ["cluster: lab", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    assert path.stat().st_size < 1024
    started = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "aifab", "build", str(path), "-o", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - started
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:7: (yaml): aliases expand to more than"), lines
    assert took < 5, f"the CLI took {took:.1f} s (interpreter start-up included)"
    assert not (tmp_path / "out").exists()


def test_alias_bomb_load_is_well_under_a_second(tmp_path: Path) -> None:
    from aifab.errors import IntentError
    from aifab.intent import load_intent

    path = tmp_path / "bomb.yaml"
    path.write_text(bomb())
    started = time.perf_counter()
    with pytest.raises(IntentError):
        load_intent(path)
    assert time.perf_counter() - started < 2.0  # unbounded, the same file took 240 s and 10 GB


def test_modest_aliases_still_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = lab_with(tmp_path, "    leaf:  {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}\n"
                    "    spine: {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}",
                    "    leaf: &sw {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}\n    spine: *sw")
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 0, lines


def test_deep_nesting_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = lab_with(tmp_path, "  servers: 4\n", "  servers: " + "[" * 300 + "]" * 300 + "\n")
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:6: (yaml): nested deeper than 32 levels at column 42"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("old", "new", "expected"), [
    # the anchored map has an invalid platform: both tiers are wrong, both located at the anchor's line
    ("    leaf:  {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}\n"
     "    spine: {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: frr}",
     "    leaf: &sw {model: generic, max_mtu: 9216, ports: 4, speed: 400G, platform: junos}\n    spine:\n      <<: *sw",
     ["11: backend.switches.leaf.platform: Input should be 'eos', 'frr' or 'sonic' (got 'junos')",
      "11: backend.switches.spine.platform: Input should be 'eos', 'frr' or 'sonic' (got 'junos')"]),
    ("  servers: 4\n", "  servers: 4\n  <<: {mtu: 100000}\n",
     ["7: backend.mtu: Input should be less than or equal to 9216 (got 100000)"]),
    ("  servers: 4\n", "  servers: 4\n  <<: 5\n",
     ["7: (yaml): malformed YAML: expected a mapping or list of mappings for merging, but found scalar"]),
])
def test_merge_keys_with_bad_values_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                old: str, new: str, expected: list[str]) -> None:
    path = lab_with(tmp_path, old, new)
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:{e}" for e in expected]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("# Small", "# Sm\udcffall", "3: (file): not UTF-8 at column 5 (got byte 0xff)"),  # in a comment
    ("cluster: lab", "cluster: l\udcc3", "4: (file): not UTF-8 at column 11 (got byte 0xc3)"),  # truncated sequence
    ("# Small", "# Sm\x00all", "3: (yaml): malformed YAML: special characters are not allowed at column 5 (got '\\x00')"),
    ("cluster: lab", "cluster: 2024-13-45", "4: (yaml): malformed YAML: cannot read this value: month must be in 1..12"),
    ("  servers: 4\n", "  servers: " + "9" * 5000 + "\n",
     "6: (yaml): value longer than 1000 characters at column 12 (got 5000 characters)"),
])
def test_unreadable_characters_and_values_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      old: str, new: str, expected: str) -> None:
    text = LAB.read_text().replace(old, new, 1)
    path = tmp_path / "bad.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:{expected}"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "what"), [("- a\n- b\n", "a list"), ("", "an empty file"), ("# nothing\n", "an empty file"),
                                            ("just words\n", "a single value")])
def test_top_level_must_be_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, what: str) -> None:
    path = tmp_path / "top.yaml"
    path.write_text(text)
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:1: (top): expected a mapping of keys, not {what}"]


def test_a_huge_file_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(LAB.read_text() + "# " + "x" * 2_000_000 + "\n")
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:0: (file): larger than 1000000 bytes; an intent is a few KB"]


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    code, lines = build(path, tmp_path / "out", capsys)
    assert code == 2
    assert lines == [f"{path}:0: (file): not a regular file"]
