"""docs/sources.md: every anchor cited in the repository exists, and every entry names a public source."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
# "docs/sources.md#headroom", also "sources.md#qos-common, #pfc-watchdog" and "... and #x"
CITATION = re.compile(r"sources\.md#[a-z0-9-]+(?:(?:, | and |, and )#[a-z0-9-]+)*")
SCANNED = ("src", "tests", "docs", "intent", "bench")
SUFFIXES = {".py", ".md", ".j2", ".yaml", ".yml", ".txt"}


def sections() -> dict[str, str]:
    """Anchor (the ``## `` heading, as GitHub slugs it) -> the entry's text."""
    parts = re.split(r"^## (.+)$", SOURCES.read_text(), flags=re.M)
    return {re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-"): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def cited() -> dict[str, set[str]]:
    """Anchor -> files citing it."""
    files = [ROOT / "README.md", ROOT / "noxfile.py"]
    files += [f for top in SCANNED for f in (ROOT / top).rglob("*")
              if f.suffix in SUFFIXES and "golden" not in f.parts and "__pycache__" not in f.parts]
    out: dict[str, set[str]] = {}
    for f in files:
        for match in CITATION.finditer(f.read_text(errors="replace")):
            for anchor in re.findall(r"#([a-z0-9-]+)", match.group()):
                out.setdefault(anchor, set()).add(str(f.relative_to(ROOT)))
    return out


def test_every_cited_anchor_exists() -> None:
    anchors, citations = sections(), cited()
    assert citations, "nothing cites docs/sources.md"
    missing = {a: sorted(f) for a, f in citations.items() if a not in anchors}
    assert not missing, f"cited anchors without a section in docs/sources.md: {missing}"


def test_every_entry_names_a_public_source() -> None:
    for anchor, body in sections().items():
        assert re.search(r"<https://[^>\s]+>", body), f"docs/sources.md#{anchor} names no public source (URL)"
