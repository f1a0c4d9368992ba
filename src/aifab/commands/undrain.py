"""``aifab undrain INTENT DEVICE...``: merge the undrain snippet and read back that the drain is off
(the code is ``aifab.commands.drain``'s)."""

from __future__ import annotations

import argparse

from aifab.commands.drain import add_parser


def register(sub: argparse._SubParsersAction) -> None:
    add_parser(sub, drain=False)
