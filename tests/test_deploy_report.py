"""The deploy's printed tables: every device named, however many a wave holds and however narrow the terminal."""

from __future__ import annotations

import io

from rich.console import Console

from aifab.deploy.report import DeployReport, WaveTiming, timings_table


def printed(report: DeployReport, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(timings_table(report))
    return console.export_text()


def test_wave_times_name_a_large_waves_devices_in_ranges_and_cut_none() -> None:
    leaves = tuple(f"be-leaf-su{su}-r{rail}" for su in range(1, 33) for rail in (1, 2))
    report = DeployReport({}, {}, timings=[WaveTiming(1, (*leaves, "be-spine1", "be-spine2"), 0.6, None, 0.4, 18.6)])
    text = printed(report, 80)
    assert "…" not in text, text
    lines = [line.split("│")[2].strip() for line in text.splitlines() if line.count("│") == 7]
    names = [n for line in lines for n in line.split(", ") if n]  # each line holds whole names: none folded
    assert [n.rstrip(",") for n in names] == [f"be-leaf-su{su}-r[1-2]" for su in range(1, 33)] + ["be-spine[1-2]"], text
    assert "18.6 s" in text


def test_wave_times_of_a_small_wave_fold_no_name_at_80_columns() -> None:
    """Six devices in two ranges and a pair: the time columns take two-line headings, not the names' width."""
    devices = ("be-leaf-su1-r1", "be-leaf-su1-r2", "be-leaf-su2-r1", "be-leaf-su2-r2", "be-spine1", "be-spine2")
    text = printed(DeployReport({}, {}, timings=[WaveTiming(1, devices, 0.0, None, 0.0, 6.9)]), 80)
    lines = [line.split("│")[2].strip() for line in text.splitlines() if line.count("│") == 7]
    assert [n.rstrip(",") for line in lines for n in line.split(", ") if n] == \
        ["be-leaf-su1-r[1-2]", "be-leaf-su2-r[1-2]", "be-spine[1-2]"], text
    assert "6.9 s" in text and "moved off" in text
