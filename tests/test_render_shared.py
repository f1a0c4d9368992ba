"""aifab.render.shared.per_object: a view part is made once per policy object, never reused for another."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from aifab.design.load import design_for
from aifab.render import shared
from aifab.render.view import access_view, device_view

ROOT = Path(__file__).parents[1]


def test_a_part_is_made_once_per_object_and_again_for_an_equal_other() -> None:
    calls: list[object] = []

    @shared.per_object
    def part(policy: list[int]) -> tuple[int, ...]:
        calls.append(policy)
        return tuple(policy)

    one, two = [1, 2], [1, 2]
    assert part(one) is part(one)
    assert part(two) == part(one)  # an equal argument that is another object: made again
    assert calls == [one, two]
    one.append(3)  # never the case for a Design's (frozen) policies; shows the key is the object
    assert part(one) == (1, 2)


def test_the_parts_start_again_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "LIMIT", 2)
    made = []
    part = shared.per_object(lambda x: made.append(x) or x)
    keep = [object() for _ in range(3)]
    for x in keep:
        part(x)
    part(keep[0])  # forgotten when the third was made
    assert made == [*keep, keep[0]]


def test_switches_of_a_design_share_their_view_parts_and_a_changed_policy_gets_its_own() -> None:
    _, design = design_for(ROOT / "intent" / "cluster.yaml")
    leaves = [d for d in design.backend.devices if d.role == "leaf"][:2]
    views = [device_view(design, d) for d in leaves]
    assert views[0].qos is views[1].qos and views[0].access is views[1].access
    changed = replace(design.access, local_fallback=not design.access.local_fallback)
    assert access_view(changed).local_fallback != views[0].access.local_fallback
