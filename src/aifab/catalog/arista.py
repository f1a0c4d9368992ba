"""Arista switch models, each from its public datasheet (docs/sources.md, one anchor per model).

EOS names the ports of multi-lane cages ``Ethernet<port>/<lane>``: an unbroken OSFP or QSFP-DD port
is ``Ethernet<port>/1``, a breakout child ``Ethernet<port>/<its first lane>`` (2x400G on 8 lanes:
``/1`` and ``/5``; docs/sources.md#interface-names); on a chassis ``Ethernet<slot>/<port>/<lane>``.
EOS accepts an IP MTU of at most 9214 on routed ports (docs/sources.md#eos-mtu); under SONiC or
Linux the same hardware takes 9216.
"""

from __future__ import annotations

from aifab.catalog.model import SwitchModel

_MTU = {"eos": 9214, "default": 9216}
_400G_BREAKOUTS = {400: ("2x200G", "4x100G", "8x50G")}
_FEC = {400: "rs", 200: "rs", 100: "rs"}  # RS-FEC (RS544 at 50G/lane PAM4) at these speeds

MODELS = (
    SwitchModel("7060X5-64PE", "Arista", "tomahawk-4", 64, (400,), "OSFP", _MTU, "catalog-7060x5-64pe",
                names={"eos": "Ethernet{index}/{sublane}"}, breakouts=_400G_BREAKOUTS, fec=_FEC,
                notes="datasheet gives no buffer split; the chip's nominal total is used"),
    SwitchModel("7060DX5-64S", "Arista", "tomahawk-4", 64, (400,), "QSFP-DD", _MTU, "catalog-7060dx5-64s",
                names={"eos": "Ethernet{index}/{sublane}"}, breakouts=_400G_BREAKOUTS, fec=_FEC,
                notes="datasheet gives no buffer split; the chip's nominal total is used"),
    SwitchModel("7050DX4-32S", "Arista", "trident-4", 32, (400,), "QSFP-DD", _MTU, "catalog-7050dx4-32s",
                names={"eos": "Ethernet{index}/{sublane}"}, breakouts=_400G_BREAKOUTS, fec=_FEC,
                notes="datasheet gives no buffer split; the chip's published total (Trident 4 X11) is used"),
    SwitchModel("7816R3", "Arista", "jericho-2", 576, (400,), "QSFP-DD", _MTU, "catalog-7800r3",
                names={"eos": "Ethernet{slot}/{port}/{sublane}"}, breakouts=_400G_BREAKOUTS, fec=_FEC,
                card_ports=36, first_slot=3, chips=48,
                notes="7816R3 chassis with 16 7800R3-36D line cards (36 x 400G QSFP-DD) in slots 3-18, three "
                      "Jericho2 per card (12 x 400G each); the pool plan takes their on-chip buffer, not the HBM"),
)
