"""The Design of an intent file: loaded, validated, then built (or derived from another Design).

Apart from :mod:`aifab.pipeline` so that a command needing only Designs (``aifab review``) does not
import what writes the artifacts.
"""

from __future__ import annotations

from pathlib import Path

from aifab.design.builder import build_design
from aifab.design.derive import derive
from aifab.design.model import Design
from aifab.errors import DesignError
from aifab.intent import LoadedIntent, load_intent
from aifab.intent.schema import Intent


def design_for(intent_path: str | Path, like: tuple[Intent, Design] | None = None) -> tuple[LoadedIntent, Design]:
    """Load and validate an intent and derive its Design; errors name file, line and key. With
    ``like`` (another intent and its Design), a Design that differs from that one only in policy is
    made from it (:func:`aifab.design.derive.derive`: the same ports and sessions, not built again)."""
    loaded = load_intent(intent_path)
    derived = derive(like[1], like[0], loaded.intent) if like is not None else None
    if derived is not None:
        return loaded, derived
    try:
        return loaded, build_design(loaded.intent)
    except DesignError as exc:
        raise loaded.error(exc.problems) from None
