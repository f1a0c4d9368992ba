"""NVIDIA Spectrum switch models, each from its public datasheet (docs/sources.md, one anchor per model).

Under SONiC these boxes take an MTU of 9216; their SONiC HwSKU and platform are the directory names
of sonic-buildimage ``device/mellanox/<platform>/<hwsku>``.
"""

from __future__ import annotations

from aifab.catalog.model import SwitchModel

MODELS = (
    SwitchModel("SN4700", "NVIDIA", "spectrum-3", 32, (400,), "QSFP-DD", {"default": 9216}, "catalog-sn4700",
                breakouts={400: ("2x200G", "4x100G", "8x50G")}, fec={400: "rs", 200: "rs", 100: "rs"},
                sonic_hwsku="ACS-MSN4700", sonic_platform="x86_64-mlnx_msn4700-r0"),
    SwitchModel("SN5600", "NVIDIA", "spectrum-4", 64, (800,), "OSFP", {"default": 9216}, "catalog-sn5600",
                breakouts={800: ("2x400G", "4x200G", "8x100G")}, fec={800: "rs", 400: "rs", 200: "rs", 100: "rs"},
                sonic_hwsku="Mellanox-SN5600-C256S1", sonic_platform="x86_64-nvidia_sn5600-r0",
                notes="no public Spectrum-4 cell parameters: SONiC lossless headroom is refused"),
)
