"""Shared helpers for the render tests: the lab intent on each platform, rendered in memory."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aifab.design import Design, build_design
from aifab.intent import load_intent
from aifab.intent.schema import Intent
from aifab.render import render_device

ROOT = Path(__file__).parents[1]
LAB = ROOT / "intent" / "lab.yaml"
PLATFORMS = ("frr", "eos", "sonic")


def with_platform(intent: Intent, platform: str) -> Intent:
    """The same intent with every switch role on ``platform`` (the one-word change a user makes)."""
    return intent.on_platform(platform)  # type: ignore[arg-type]


@cache
def lab_design(platform: str = "frr") -> Design:
    """``intent/lab.yaml`` as is (frr) or with every role switched to ``platform``."""
    intent = load_intent(LAB).intent
    return build_design(intent if platform == "frr" else with_platform(intent, platform))


@cache
def lab_files(platform: str = "frr") -> dict[str, str]:
    """Every rendered file of the lab on ``platform``: file name -> text."""
    design = lab_design(platform)
    return {name: text for dev in design.devices() for name, text in render_device(design, dev).items()}
