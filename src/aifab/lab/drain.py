"""Drain a lab switch by hand and wait on the evidence: its neighbours' BGP tables.

``drain``/``undrain`` merge the device's drain (undrain) snippet (``aifab.render.drain_snippet``:
``bgp graceful-shutdown`` on frr) with vtysh. ``wait_moved_off`` waits until every BGP neighbour
of the device has moved its best and multipath paths off it, for every prefix it can reach
another way (RFC 8326: the GSHUT community makes the peers set local-preference 0), bounded by a
deadline; ``wait_moved_back`` waits until they use it again after the undrain.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from aifab.design.model import Design, Device
from aifab.lab.topology import LabError
from aifab.render import drain_snippet, undrain_snippet

if TYPE_CHECKING:
    from aifab.lab.lifecycle import Lab


def _device(design: Design, name: str) -> Device:
    dev = next((d for d in design.devices() if d.name == name), None)
    if dev is None:
        raise LabError(f"{name}: no such device in the design of cluster {design.cluster}")
    return dev


def _merge(lab: Lab, device: str, snippet: str) -> None:
    argv = ["vtysh", "-c", "configure terminal"]
    for line in snippet.splitlines():
        if line.strip() and not line.lstrip().startswith("!"):
            argv += ["-c", line.strip()]
    res = lab.run(device, argv)
    if res.returncode != 0 or res.stdout.strip():
        raise LabError(f"{device}: merging the snippet failed: {(res.stdout + res.stderr).strip()[:300]}")


def drain(lab: Lab, design: Design, device: str) -> None:
    """Merge ``device``'s drain snippet into its running config."""
    _merge(lab, device, drain_snippet(design, _device(design, device)))


def undrain(lab: Lab, design: Design, device: str) -> None:
    """Merge ``device``'s undrain snippet into its running config."""
    _merge(lab, device, undrain_snippet(design, _device(design, device)))


def paths_via(lab: Lab, design: Design, device: str) -> dict[str, list[str]]:
    """Per neighbour of ``device``: the prefixes whose best or multipath paths still use ``device``
    although another path exists."""
    out = {}
    for n in _device(design, device).neighbors:
        table = json.loads(lab.vtysh(n.peer, "show bgp ipv4 unicast json") or "{}").get("routes", {})
        via = []
        for prefix, paths in table.items():
            mine = [p for p in paths if p.get("peerId") == n.local_address]
            if len(mine) < len(paths) and any(p.get("bestpath") or p.get("multipath") for p in mine):
                via.append(prefix)
        out[n.peer] = sorted(via)
    return out


def _wait(lab: Lab, design: Design, device: str, timeout: float, moved: bool) -> float:
    start = time.monotonic()
    while True:
        via = paths_via(lab, design, device)
        pending = {peer: p for peer, p in via.items() if bool(p) == moved}
        if not pending:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            what = "still route via" if moved else "do not route via"
            raise LabError(f"{device}: after {timeout:.0f} s its neighbours {what} it: "
                           + "; ".join(f"{peer} ({', '.join(p[:3]) or 'no prefix'})" for peer, p in pending.items()))
        time.sleep(0.1)


def wait_moved_off(lab: Lab, design: Design, device: str, timeout: float = 30.0) -> float:
    """Wait until no neighbour of ``device`` has a best or multipath path through it where another
    path exists; the seconds waited; ``LabError`` naming the neighbours and prefixes after ``timeout``."""
    return _wait(lab, design, device, timeout, moved=True)


def wait_moved_back(lab: Lab, design: Design, device: str, timeout: float = 30.0) -> float:
    """Wait until every neighbour of ``device`` uses it again for some prefix (after ``undrain``)."""
    return _wait(lab, design, device, timeout, moved=False)
