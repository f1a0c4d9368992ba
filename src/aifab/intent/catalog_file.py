"""A user's catalog file (``catalog/*.yaml`` beside the intent): switch models the package does not
ship, in the fields of ``aifab.catalog.SwitchModel`` (docs/catalog.md). Unknown keys are errors."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, RootModel, model_validator

from aifab.catalog import ASICS, SwitchModel
from aifab.intent.schema import Model, Speed, Text


class CatalogEntry(Model):
    """One switch model as its datasheet gives it."""

    vendor: Text = Field(description="Vendor name.")
    asic: str = Field(description="A catalog ASIC (docs/catalog.md).")
    ports: int = Field(ge=2, le=1024, description="Front-panel data ports.")
    speeds: list[Speed] = Field(min_length=1, description="Native port speeds, fastest first.")
    form_factor: Text = Field(description="OSFP, QSFP-DD, ...")
    max_mtu: dict[str, int] = Field(description="Largest interface MTU per platform; `default` for the others.")
    datasheet: Text = Field(description="The public datasheet (a URL).")
    names: dict[str, str] = Field(default_factory=dict, description="Port name pattern per platform where not the platform's.")
    breakouts: dict[str, list[str]] = Field(default_factory=dict, description="Breakout modes per native speed (Gb/s).")
    card_ports: int = Field(0, ge=0, description="A chassis: ports per line card.")
    first_slot: int = Field(1, ge=1, description="A chassis: slot of the first line card.")
    fec: dict[str, str] = Field(default_factory=dict, description="FEC per speed (Gb/s).")
    sonic_hwsku: str = Field("", description="SONiC HwSKU.")
    sonic_platform: str = Field("", description="SONiC platform string.")
    notes: str = Field("", description="What the datasheet does not give.")
    upgrades: list[Literal["ssu", "warm-reboot"]] = Field(
        default_factory=list, description="In-service upgrade methods the vendor documents for this model (EOS `ssu`, SONiC `warm-reboot`).")
    lanes: int = Field(8, ge=1, le=16, description="Electrical lanes per port (OSFP, QSFP-DD: 8).")
    chips: int = Field(1, ge=1, le=256, description="Packet processors, each with the ASIC's buffer (a chassis: all cards').")

    @model_validator(mode="after")
    def _known(self) -> CatalogEntry:
        if self.asic not in ASICS:
            raise ValueError(f"unknown ASIC {self.asic!r}; known: {', '.join(ASICS)}")
        if "default" not in self.max_mtu:
            raise ValueError("max_mtu needs a `default` entry")
        if not all(k.isdigit() for k in (*self.breakouts, *self.fec)):
            raise ValueError("breakouts and fec are keyed by a speed in Gb/s, such as 400")
        return self


class CatalogFile(RootModel[dict[str, CatalogEntry]]):
    """Model name -> its entry."""

    def models(self) -> list[SwitchModel]:
        return [SwitchModel(name, e.vendor, e.asic, e.ports, tuple(e.speeds), e.form_factor, e.max_mtu, e.datasheet,
                            names=e.names, breakouts={int(k): tuple(v) for k, v in e.breakouts.items()},
                            card_ports=e.card_ports, first_slot=e.first_slot, fec={int(k): v for k, v in e.fec.items()}, sonic_hwsku=e.sonic_hwsku,
                            sonic_platform=e.sonic_platform, notes=e.notes, lanes=e.lanes, chips=e.chips,
                            upgrades=tuple(e.upgrades))
                for name, e in self.root.items()]
