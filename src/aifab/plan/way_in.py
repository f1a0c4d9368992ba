"""Whether a commit would cut the deploy's own way in to the switch: the address it connects at, or
the API its NAPALM driver talks. Read before anything is committed, from the device's own diff and
the full config that replaces its: such a commit leaves the switch drained behind a session that is
gone, and the rollback cannot reach it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from aifab.plan.waves import signed_lines
from aifab.platforms.registry import Platform

# The API block each NAPALM driver talks to, by driver name: NAPALM's eos driver speaks eAPI only
# (pyeapi over HTTPS: docs/sources.md#management-access). A config without the block, or with it shut
# (in the management VRF or as a whole), turns eAPI off: EOS's default for the block is ``shutdown``.
API_BLOCKS = {"eos": "management api http-commands"}


def _body(text: str, header: str, indent: int) -> list[str] | None:
    """The lines of the block ``header`` opens at ``indent`` in ``text`` (up to the next line at that
    indent or less, EOS's ``!`` included), None where no line opens it."""
    padded, opening = f"\n{text}\n", "\n" + " " * indent + header + "\n"
    start = padded.find(opening)
    if start < 0:
        return None
    start += len(opening) - 1  # the newline that ends the header's line
    end = re.compile(rf"\n(?! {{{indent + 1}}})").search(padded, start).start()  # a line at ``indent`` or less
    return padded[start + 1:end].split("\n") if end > start else []


def _api_off(config: str, block: str, vrf: str) -> str:
    """How the full ``config`` (what replaces the switch's) leaves ``block`` off, else "": not in
    it, shut as a whole, or not on in the management ``vrf`` (``no shutdown`` in its ``vrf`` block)."""
    body = _body(config, block, 0)
    if body is None:
        return f"no {block}"
    if "   no shutdown" not in body:
        return f"{block} shut"
    return "" if "      no shutdown" in (_body("\n".join(body), f"vrf {vrf}", 3) or []) else f"{block} not on in vrf {vrf}"


def api_off(record: Platform, files: Mapping[str, str]) -> str:
    """Why committing the device's rendered ``files`` (suffix -> text) would turn off the API the
    NAPALM driver of its platform (``record``) talks, else "" (on, or a driver no config turns off)."""
    block = API_BLOCKS.get(record.napalm_driver or "")
    off = _api_off(record.candidate(files), block, record.management_vrf) if block else ""
    return _api_reason(block, off, record) if off else ""


def _api_reason(block: str | None, off: str, record: Platform) -> str:
    return (f"the build turns off {block} ({off}), the API this deploy talks to it over (NAPALM's "
            f"{record.napalm_driver} driver): its commit would cut the deploy's own session, and no later "
            "deploy would reach it. Keep management.api: true in the intent")


ADDRESS_MOVES = "management address moves"
API_OFF = "the deploy's API turned off"


def cuts_own_session(diff: str, config: str, reached: str, record: Platform) -> tuple[str, str] | None:
    """What committing ``diff`` would cut of the deploy's own session and why (:data:`ADDRESS_MOVES`
    or :data:`API_OFF`, the reason), or None: it takes away the address
    the deploy reaches the device at (``reached``, the inventory's hostname: the switch's management
    address moved by the build; a hostname that is a name, or an address of a tunnel or NAT, is never
    in the device's config), or the full ``config`` that replaces the device's leaves off the API the
    NAPALM driver of its platform (``record``) talks (the deploy reached it over that API: it is on),
    in the platform's management VRF or as a whole."""
    if reached:
        address = re.compile(rf"(?<![\d.]){re.escape(reached)}/\d+")
        gone = next((line for sign, line in signed_lines(diff) if sign == "-" and address.search(line)), None)
        if gone is not None:
            return ADDRESS_MOVES, (f"the build takes away {reached}, the address this deploy reaches it at ({gone!r}): "
                                   "its commit would cut the deploy's own session. Move its management address out of "
                                   "band first (console, DHCP or ZTP reservation), then deploy with an inventory that "
                                   "names the new one (the build's); a lab made before the move: aifab lab up --force")
    block = API_BLOCKS.get(record.napalm_driver or "")
    off = _api_off(config, block, record.management_vrf) if block else ""
    return (API_OFF, _api_reason(block, off, record)) if off else None
