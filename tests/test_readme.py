"""The README stays true: its intent reference equals the schema's, its quick start is two commands."""

from __future__ import annotations

import re
from pathlib import Path

from aifab.intent.reference import END, START, reference_markdown

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_intent_reference_matches_schema() -> None:
    embedded = README.split(START)[1].split(END)[0].strip()
    assert embedded == reference_markdown().strip(), "regenerate the README table from aifab.intent.reference"


def test_quick_start_is_two_commands() -> None:
    block = README.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert re.search(r"nox -s build\b", commands[0]) and re.search(r"nox -s tests\b", commands[1])
