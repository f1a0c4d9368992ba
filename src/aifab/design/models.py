"""Resolve each tier's switch against the catalog (``aifab.catalog``) before anything is sized.

A catalog model fills ``ports``, ``speed``, ``max_mtu`` and ``asic`` from its datasheet entry (the
intent may repeat ports and speed, which must then agree); ``model: generic`` written out needs
ports, speed and max_mtu from the intent (a tier naming no model is the schema's default box). Either is clamped to the platform's own maximum (EOS 9214). Anything else is a located error listing the known models.
"""

from __future__ import annotations

from aifab.catalog import ASICS, GENERIC, known, lookup
from aifab.errors import Problem
from aifab.intent.schema import BackendSwitches, FrontendSwitches, Intent, Switch
from aifab.platforms import platform

GENERIC_FIELDS = ("ports", "speed", "max_mtu")


def _asic_problems(loc: tuple[str, ...], key: str, asic: str, got: str) -> list[Problem]:
    chip = ASICS.get(asic)
    if chip is None:
        return [Problem((*loc, "asic"), f"unknown ASIC; known: {', '.join(ASICS)}", asic)]
    if not chip.buffer_model:
        return [Problem((*loc, key), f"no public packet-buffer figure for its {chip.family} "
                        f"(docs/sources.md#{chip.source}): aifab cannot plan its buffer pools", got)]
    return []


def resolve_switch(loc: tuple[str, ...], sw: Switch) -> tuple[Switch, list[Problem]]:
    """``sw`` with its catalog fields filled, and what is wrong with it (located under ``loc``)."""
    given = sw.model_fields_set
    if sw.model == GENERIC:
        problems = [Problem((*loc, k), f"required for model {GENERIC} (give ports, speed and max_mtu)")
                    for k in GENERIC_FIELDS if "model" in given and k not in given]
        if sw.asic is not None:
            problems += _asic_problems(loc, "asic", sw.asic, sw.asic)
        return sw.model_copy(update={"max_mtu": min(sw.max_mtu, platform(sw.platform).max_mtu)}), problems
    entry = lookup(sw.model)
    if entry is None:
        return sw, [Problem((*loc, "model"), f"unknown switch model; known: {', '.join(known())}, or "
                            f"{GENERIC} with ports, speed and max_mtu given", sw.model)]
    problems = [Problem((*loc, k), f"comes from the catalog entry of {sw.model}; remove it, or use model {GENERIC}",
                        getattr(sw, k)) for k in ("max_mtu", "asic") if k in given]
    if "ports" in given and sw.ports != entry.ports:
        problems.append(Problem((*loc, "ports"), f"{sw.model} has {entry.ports} ports", sw.ports))
    if "speed" in given and sw.speed not in entry.speeds:
        problems.append(Problem((*loc, "speed"), f"{sw.model} ports run at {', '.join(f'{s}G' for s in entry.speeds)}",
                                f"{sw.speed}G"))
    problems += _asic_problems(loc, "model", entry.asic, sw.model)
    filled = sw.model_copy(update={"ports": entry.ports, "speed": sw.speed if "speed" in given else entry.speeds[0],
                                   "max_mtu": min(entry.mtu_on(sw.platform), platform(sw.platform).max_mtu),
                                   "asic": entry.asic})
    return filled, problems


def _switches(fabric: str, sw: BackendSwitches | FrontendSwitches,
              problems: list[Problem]) -> BackendSwitches | FrontendSwitches:
    update = {}
    for role in type(sw).model_fields:
        if fabric == "frontend" and role == "core" and "core" not in sw.model_fields_set:
            update[role] = update["spine"]  # the frontend's third tier, unless named, is its spines' model
            continue
        update[role], found = resolve_switch((fabric, "switches", role), getattr(sw, role))
        problems += found
    return sw.model_copy(update=update)


def resolve_switches(intent: Intent) -> tuple[Intent, list[Problem]]:
    """The intent with every tier's switch resolved against the catalog, and the problems found."""
    problems: list[Problem] = []
    b, f = intent.backend, intent.frontend
    resolved = intent.model_copy(update={
        "backend": b.model_copy(update={"switches": _switches("backend", b.switches, problems)}),
        "frontend": f.model_copy(update={"switches": _switches("frontend", f.switches, problems)}),
    })
    return resolved, problems
