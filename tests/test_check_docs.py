"""docs/checks.md lists every registered rule, exactly as the registry describes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aifab.check import all_rules
from aifab.check.report import rules_markdown
from aifab.cli import main

DOC = Path(__file__).parents[1] / "docs" / "checks.md"


def test_rule_table_in_docs_is_current() -> None:
    text = DOC.read_text()
    m = re.search(r"<!-- rules:begin[^>]*-->\n(.*?)<!-- rules:end -->", text, re.DOTALL)
    assert m, "docs/checks.md has no rules:begin/rules:end markers"
    assert m.group(1) == rules_markdown(all_rules()), (
        "docs/checks.md rule table is stale: paste the output of `aifab check --rules --format markdown` between the markers")


def test_every_rule_has_id_severity_title_and_one_line_rationale() -> None:
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules) >= 25
    for r in rules:
        assert re.fullmatch(r"[A-Z]+\d{3}", r.id), r.id
        assert r.title and r.rationale and "\n" not in r.rationale, r.id


def test_cli_lists_the_same_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--rules", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == rules_markdown(all_rules())
