"""Switch chips: family, buffer model and EOS MMU dialect (docs/sources.md#catalog-asics).

``buffer_model`` names an entry of ``aifab.qos.defaults.BUFFER_MODELS`` where a public figure of the
chip's packet buffer exists, "" where none does (the design then refuses to plan its buffer pools).
EOS documents ``platform trident mmu`` for Trident chips only; for Tomahawk and Jericho (VOQ) it
documents no equivalent aifab could emit, so their dialect is ``none``. ``dlb`` and ``qp_hash``
(docs/sources.md#catalog-load-balancing): dynamic load balancing on ECMP groups (Broadcom StrataXGS
DLB as EOS configures it; NVIDIA adaptive routing, generally available on Spectrum-4 only) and an ECMP
hash on the RoCE destination QP (EOS's UDP-payload hash, documented for its Jericho "sand" platforms).
"""

from __future__ import annotations

from aifab.catalog.model import Asic

ASICS = (
    Asic("tomahawk-3", "Broadcom Tomahawk 3 (BCM56980)", "tomahawk-3", "none", "buffer-sizes", dlb=True),
    Asic("tomahawk-4", "Broadcom Tomahawk 4 (BCM56990)", "tomahawk-4", "none", "buffer-sizes", dlb=True),
    Asic("tomahawk-5", "Broadcom Tomahawk 5 (BCM78900)", "tomahawk-5", "none", "catalog-asics", dlb=True),
    Asic("trident-4", "Broadcom Trident 4 (BCM56880)", "trident-4", "trident", "catalog-asics", dlb=True),
    Asic("jericho-2", "Broadcom Jericho2 (BCM88690), VOQ with HBM", "jericho-2", "none", "catalog-asics", qp_hash=True),
    Asic("spectrum-2", "NVIDIA Spectrum-2", "spectrum-2", "none", "buffer-sizes"),
    Asic("spectrum-3", "NVIDIA Spectrum-3", "spectrum-3", "none", "buffer-sizes"),
    Asic("spectrum-4", "NVIDIA Spectrum-4", "spectrum-4", "none", "catalog-asics", dlb=True),
)
