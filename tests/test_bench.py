"""bench/bench.py keeps working: it runs every offline stage on a small intent, and says whether each
target is met. (The figures themselves are measured by ``nox -s bench``, never asserted here.)"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from ruamel.yaml import YAML

ROOT = Path(__file__).parents[1]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_every_offline_stage_on_another_intent_and_platform() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--no-lab", "--intent",
                          str(ROOT / "intent" / "lab.yaml"), "--platform", "sonic"],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    stages = [line.split()[0] for line in run.stdout.splitlines() if line[:1].isalpha() and line.split()[-1].isdigit()]
    assert {"design", "render", "check", "aifab"} <= set(stages)
    assert any(line.startswith("aifab build (CLI)") for line in run.stdout.splitlines())
    assert any(line.startswith("aifab review (CLI)") for line in run.stdout.splitlines())
    assert "review of one knob (ECN max 2,000 KB): review: ready" in run.stdout
    assert "findings: 0" in run.stdout
    assert "target:" not in run.stdout  # the targets are set for bench/cluster-32k.yaml as it is


def test_targets_say_met_or_not_met() -> None:
    bench = _bench()
    rows = [("design", 1.0, 100.0), ("write design.json", 1.0, 300.0), ("render configs", 2.0, 300.0), ("check", 2.5, 300.0),
            ("aifab build (CLI)", 5.9, 400.0)]
    assert bench.targets(rows).splitlines() == [
        "target: design + design.json + render <= 10 s and <= 1024 MB: 4.00 s, 300 MB: met",
        "target: check <= 5 s: 2.50 s: met",
        "target: aifab build (CLI) <= 6 s: 5.90 s: met",
    ]
    slow = [*rows[:3], ("check", 5.5, 300.0), ("aifab build (CLI)", 6.1, 400.0)]
    assert bench.targets(slow).splitlines()[1:] == ["target: check <= 5 s: 5.50 s: NOT MET",
                                                    "target: aifab build (CLI) <= 6 s: 6.10 s: NOT MET"]
    reviewed = bench.targets([*rows, ("aifab review (CLI)", 3.4, 400.0)]).splitlines()[-1]
    assert reviewed == "target: aifab review (CLI) <= 3 s: 3.40 s: NOT MET"


def test_on_platform_moves_every_tier(tmp_path: Path) -> None:
    moved = _bench().on_platform(ROOT / "bench" / "cluster-32k.yaml", "frr", tmp_path)
    assert moved.parent == tmp_path
    data = YAML(typ="safe").load(moved.read_text())
    platforms = [tier["platform"] for fabric in ("backend", "frontend") for tier in data[fabric]["switches"].values()]
    assert platforms == ["frr"] * 5


def test_scale_target_and_the_curve_intents(tmp_path: Path) -> None:
    bench = _bench()
    rows = [("design", 1.0, 100.0), ("write design.json", 1.0, 300.0), ("render configs", 2.0, 300.0), ("check", 2.5, 300.0),
            ("aifab build (CLI)", 5.9, 400.0), ("build 128k GPUs", 19.0, 1100.0)]
    assert bench.targets(rows).splitlines()[-1] == \
        "target: aifab build 128k GPUs <= 20 s and <= 1024 MB: 19.00 s, 1100 MB: NOT MET"
    assert bench.scaled(bench.SCALE_INTENT, bench.CURVE_GPUS[-1], tmp_path) == bench.SCALE_INTENT
    small = YAML(typ="safe").load(bench.scaled(bench.SCALE_INTENT, 1024, tmp_path).read_text())
    assert small["backend"]["servers"] * small["backend"]["gpus_per_server"] == 1024
    assert small["cluster"] == "bench1k" and small["frontend"]["storage_nodes"] >= 2
