"""White-box switches for SONiC, each from its public datasheet (docs/sources.md, one anchor per model)."""

from __future__ import annotations

from aifab.catalog.model import SwitchModel

MODELS = (
    SwitchModel("DS5000", "Celestica", "tomahawk-5", 64, (800,), "OSFP", {"default": 9216}, "catalog-ds5000",
                breakouts={800: ("2x400G", "4x200G", "8x100G")}, fec={800: "rs", 400: "rs", 200: "rs", 100: "rs"},
                sonic_hwsku="DS5000", sonic_platform="x86_64-cls_ds5000-r0",
                notes="buffer from its SONiC qos_buffer_mgmt.json; PFC headroom per 802.1Qbb (Broadcom SONiC "
                      "HwSKUs use static per-speed profiles, not the cell formula)"),
)
