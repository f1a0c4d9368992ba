"""Errors a user can cause, carried with the location of the intent key at fault."""

from __future__ import annotations

from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an intent: where (a key path), what, and the offending value."""

    loc: Loc
    message: str
    got: object = None

    @property
    def key(self) -> str:
        """The dotted key path, e.g. ``backend.switches.leaf.ports``."""
        return ".".join(str(p) for p in self.loc) or "(top)"


class AifabError(Exception):
    """Base for every error that ends the CLI with one clear message and a non-zero exit."""

    exit_code = 2


class IntentError(AifabError):
    """One or more problems in an intent file, each rendered as ``FILE:LINE: key: msg (got X)``."""

    def __init__(self, problems: list[Problem], lines: list[str] | None = None) -> None:
        self.problems = problems
        self.lines = lines or [f"{p.key}: {p.message}" for p in problems]
        super().__init__("\n".join(self.lines))


class DesignError(AifabError):
    """Semantic problems found while deriving the design; the loader adds file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{p.key}: {p.message}" for p in problems))
