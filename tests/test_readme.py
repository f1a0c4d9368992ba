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



def test_ci_runs_the_readme_test_command() -> None:
    """CI is the README's test command and nothing more: nox sets up the lab, not .ci/run."""
    block = README.split("## Quick start")[1].split("```sh")[1].split("```")[0]
    readme_cmd = [line for line in block.splitlines() if line.strip()][1].split("#")[0].strip()
    assert readme_cmd == "pip install nox && nox -s tests"
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "nox -s tests"
    installs = [c for c in commands if "install" in c or "apt" in c]
    assert installs and all(c.endswith("install -q nox") for c in installs), installs
