"""Read one device's health counters through its NAPALM connection: the getters first
(``get_bgp_neighbors``, ``get_interfaces_counters``), then the platform's CLI where they stop.

What a platform cannot give is recorded per counter with the reason (``Reading.unreadable``), never
read as zero. The reader is chosen by the driver the inventory connects the device with (the FRR lab
runs every switch with napalm_frr, whatever its designed platform).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aifab.deploy.drain import is_drained
from aifab.health import parse
from aifab.health.parse import Unreadable

METRICS = ("pfc_pause_frames", "ecn_marked", "watchdog_storms", "drops")
LABEL = {"pfc_pause_frames": "PFC counters", "ecn_marked": "ECN-marked packets", "watchdog_storms": "PFC watchdog",
         "drops": "drops", "bgp": "BGP sessions", "drain": "drain state"}


@dataclass
class Reading:
    """What one device said. ``sessions``: peer address -> Established, None when BGP could not be read."""

    device: str
    driver: str
    error: str = ""  # unreachable: why
    sessions: dict[str, bool] | None = None
    drained: bool | None = None  # its running config holds the drain (carries no traffic); None: not read
    down_daemons: tuple[str, ...] = ()
    values: dict[str, int] = field(default_factory=dict)  # metric -> count
    unreadable: dict[str, str] = field(default_factory=dict)  # metric (or "bgp") -> why

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.device, "driver": self.driver, "error": self.error, "sessions": self.sessions,
                "drained": self.drained, "down_daemons": list(self.down_daemons), **{m: self.values.get(m) for m in METRICS},
                "unreadable": self.unreadable}


@dataclass(frozen=True)
class Plan:
    """What to read on one device: its designed ports, the daemons its design needs (FRR), and the
    statement its running config holds while it is drained."""

    ports: frozenset[str]
    daemons_config: str  # lines naming the daemons the design needs ("router bgp 65000", " bfd")
    drain_marker: str = ""  # aifab.deploy.drain.marker of its drain snippet ("": nothing to read)


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    if isinstance(exc, Unreadable):
        return text[-1] if text else "not in the output"
    return f"{type(exc).__name__}: {text[-1]}" if text else type(exc).__name__


def _measure(reading: Reading, metric: str, read: Callable[[], int]) -> None:
    try:
        reading.values[metric] = read()
    except NotImplementedError:
        reading.unreadable[metric] = "the driver has no getter for it"
    except Exception as exc:  # a device's answer of any kind is a reason, not a crash
        reading.unreadable[metric] = _why(exc)


def _bgp(dev: Any, reading: Reading, plan: Plan) -> None:
    down = getattr(dev, "down_daemons", None)
    if callable(down):
        try:
            reading.down_daemons = tuple(down(plan.daemons_config))
        except Exception as exc:
            reading.unreadable["daemons"] = _why(exc)
    try:
        peers = dev.get_bgp_neighbors().get("global", {}).get("peers", {})
    except Exception as exc:
        reading.unreadable["bgp"] = _why(exc)
        return
    reading.sessions = {addr: bool(p.get("is_up")) for addr, p in peers.items()}


def _drain(dev: Any, reading: Reading, plan: Plan) -> None:
    """Whether the device is drained, read from its running config as ``aifab drain --status`` reads it."""
    if not plan.drain_marker:
        return
    try:
        reading.drained = is_drained(dev.get_config(retrieve="running")["running"], plan.drain_marker)
    except Exception as exc:
        reading.unreadable["drain"] = _why(exc)


def _drops(dev: Any, plan: Plan) -> int:
    return parse.drops(dev.get_interfaces_counters(), set(plan.ports))


def _cli(dev: Any, command: str, encoding: str = "text") -> Any:
    out = dev.cli([command], encoding=encoding) if encoding != "text" else dev.cli([command])
    value = out[command]
    return json.loads(value) if encoding == "json" and isinstance(value, str) else value


def _eos(dev: Any, reading: Reading, plan: Plan) -> None:
    _measure(reading, "pfc_pause_frames", lambda: parse.eos_pfc_frames(_cli(dev, "show priority-flow-control counters")))
    _measure(reading, "watchdog_storms", lambda: parse.eos_watchdog_storms(
        _cli(dev, "show priority-flow-control counters watchdog", "json")))
    reading.unreadable["ecn_marked"] = ("EOS documents no JSON field for ECN-marked packets "
                                        "(show qos interfaces ecn counters queue)")


def _sonic(dev: Any, reading: Reading, plan: Plan) -> None:
    _measure(reading, "pfc_pause_frames", lambda: parse.sonic_pfc_frames(_cli(dev, "show pfc counters")))
    _measure(reading, "watchdog_storms", lambda: parse.sonic_watchdog_storms(_cli(dev, "show pfcwd stats")))
    _measure(reading, "ecn_marked", lambda: parse.sonic_ecn_marked(_cli(dev, "show queue wredcounters")))


def _frr(dev: Any, reading: Reading, plan: Plan) -> None:
    reading.unreadable["pfc_pause_frames"] = "Linux keeps no PFC frame counters for these ports"
    reading.unreadable["watchdog_storms"] = "Linux has no PFC watchdog"

    def ecn() -> int:
        marked = dev.get_ecn_marked()
        if not marked:
            raise Unreadable("no RED qdisc with ECN on the ports (qos.sh's RED not applied)")
        return sum(marked.values())

    _measure(reading, "ecn_marked", ecn)


READERS: dict[str, Callable[[Any, Reading, Plan], None]] = {"eos": _eos, "sonic": _sonic, "frr": _frr}


def read_device(dev: Any, name: str, driver: str, plan: Plan) -> Reading:
    """Every counter of one connected device (``dev``: its open NAPALM driver)."""
    reading = Reading(name, driver)
    _bgp(dev, reading, plan)
    _drain(dev, reading, plan)
    _measure(reading, "drops", lambda: _drops(dev, plan))
    reader = READERS.get(driver)
    if reader is None:
        for metric in ("pfc_pause_frames", "ecn_marked", "watchdog_storms"):
            reading.unreadable[metric] = f"aifab has no reader for the {driver} driver"
    else:
        reader(dev, reading, plan)
    return reading
