"""The switch catalog: one entry per hardware model (ports, speeds, breakouts, names, MTU, ASIC),
shipped as data, one module per vendor, loaded once. ``docs/catalog.md`` lists the entries.

A model not in the catalog is written ``model: generic`` in the intent with every field given
(``aifab.intent.schema.Switch``); :func:`register` adds a model from Python (a user's plugin).
"""

from __future__ import annotations

from types import MappingProxyType

from aifab.catalog import arista, nvidia, whitebox
from aifab.catalog.asics import ASICS as _ASICS
from aifab.catalog.model import Asic, MmuDialect, SwitchModel, breakout_mode

GENERIC = "generic"  # the model name of a switch the intent describes field by field

ASICS = MappingProxyType({a.name: a for a in _ASICS})
_MODELS: dict[str, SwitchModel] = {m.name: m for mod in (arista, nvidia, whitebox) for m in mod.MODELS}


def register(model: SwitchModel) -> SwitchModel:
    """Add ``model`` to the catalog (ValueError if its name is taken or its ASIC unknown)."""
    if model.name in _MODELS or model.name == GENERIC:
        raise ValueError(f"switch model {model.name!r} is already in the catalog")
    if model.asic not in ASICS:
        raise ValueError(f"unknown ASIC {model.asic!r}; known: {', '.join(ASICS)}")
    _MODELS[model.name] = model
    return model


def unregister(name: str) -> None:
    """Remove a model added with :func:`register`."""
    del _MODELS[name]


def lookup(name: str) -> SwitchModel | None:
    """The catalog entry of ``name``; None for ``generic`` or an unknown name."""
    return _MODELS.get(name)


# IEEE 802.3: RS-FEC is mandatory on 100GBASE-CR4/SR4 (clause 91) and on the PAM4 PHYs of 200G and up
# (clause 119); docs/sources.md#catalog-fec. A catalog entry's own ``fec`` overrides it per speed.
FEC = MappingProxyType({100: "rs", 200: "rs", 400: "rs", 800: "rs"})


def fec(model: SwitchModel | None, speed: int) -> str:
    """FEC of a port at ``speed`` (Gb/s) on ``model`` (None: a generic switch); "" where none is set."""
    if model is not None and speed in model.fec:
        return model.fec[speed]
    return FEC.get(speed, "")


def eos_mmu(asic: str) -> bool:
    """True when EOS configures this ASIC's buffer with ``platform trident mmu`` (docs/sources.md#catalog-asics)."""
    chip = ASICS.get(asic)
    return chip is not None and chip.mmu == "trident"


def known() -> tuple[str, ...]:
    """Every catalog model name, sorted."""
    return tuple(sorted(_MODELS))


__all__ = ["ASICS", "FEC", "GENERIC", "Asic", "MmuDialect", "SwitchModel", "breakout_mode", "eos_mmu", "fec", "known", "lookup", "register", "unregister"]
