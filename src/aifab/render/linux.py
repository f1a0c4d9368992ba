"""The Linux part of a device's view (``DeviceView.native``, frr platform): the QoS policy as
iproute2 ``dcb`` maps and ``tc`` qdisc parameters (ets root qdisc, RED with ECN on the lossless band)."""

from __future__ import annotations

from dataclasses import dataclass

from aifab.design.model import Device
from aifab.render.view import QosView

QUANTUM_PER_PCT = 1000  # Linux ETS qdisc: DWRR quantum bytes per % of weight (only the ratio matters)
RED_AVPKT = 1000  # Linux RED average packet size, bytes
RED_LIMIT_FACTOR = 4  # Linux RED queue limit as a multiple of the max threshold (must exceed it)
# tc parses RED's ``bandwidth`` (used only to age the average queue after idle time, tc-red(8)) into
# 32-bit bytes per second: iproute2 6.1 refuses "400gbit" as 'Illegal "bandwidth"'. Faster ports are
# given the largest rate it takes, in Mbit/s.
TC_RATE_MAX_MBIT = (2**32 - 1) * 8 // 1_000_000


@dataclass(frozen=True, slots=True)
class EtsBand:
    """A band of the Linux ``ets`` root qdisc (class ``1:<band>``): strict, or DWRR with a quantum."""

    band: int
    tc: int
    strict: bool
    quantum: int


@dataclass(frozen=True, slots=True)
class LinuxQos:
    """The policy as iproute2 ``dcb`` maps and ``tc`` qdisc parameters (frr platform)."""

    dscp_prio: str  # dcb app dscp-prio, every DSCP
    prio_pfc: str  # dcb pfc prio-pfc
    prio_tc: str  # dcb ets prio-tc
    tc_tsa: str  # dcb ets tc-tsa
    tc_bw: str  # dcb ets tc-bw
    prio_buffer: str  # dcb buffer prio-buffer: priority (= TC) -> priority group
    bands: tuple[EtsBand, ...]
    band_count: int
    strict_bands: int
    quanta: str  # ets qdisc quanta of the DWRR bands
    priomap: str  # ets qdisc priomap, priority -> band index (0-based)
    red_parent: str  # class of the ECN (lossless) band, e.g. "1:3"; empty without ECN
    red_handle: str
    red_limit: int  # RED queue limit, bytes (0 without ECN)
    red_avpkt: int
    red_probability: str  # RED marking probability as a fraction, 0.0-1.0 ("" without ECN)
    red_bandwidth: dict[str, str]  # RED bandwidth per port name, e.g. "25000mbit" (capped at TC_RATE_MAX_MBIT)


def linux_view(dev: Device, qos: QosView | None) -> LinuxQos | None:
    """dcb maps and an ets root qdisc: strict TCs first (highest first), then the DWRR TCs; None without QoS."""
    q = dev.qos
    if q is None or qos is None:
        return None
    queues = qos.tx_queues
    strict = sorted((t for t in queues if t.strict), key=lambda t: -t.id)
    dwrr = [t for t in queues if not t.strict]
    bands = [EtsBand(i + 1, t.id, t.strict, 0 if t.strict else t.weight * QUANTUM_PER_PCT)
             for i, t in enumerate([*strict, *dwrr])]
    band_of_tc = {b.tc: b.band - 1 for b in bands}
    default_band = band_of_tc.get(0, len(bands) - 1)
    priomap = [band_of_tc.get(q.tc_to_queue[prio], default_band) for prio in range(8)]
    ecn_band = next((b for b in bands if b.tc in q.ecn_queues), None) if q.ecn else None
    return LinuxQos(
        dscp_prio=" ".join(f"{dscp}:{tc}" for dscp, tc in enumerate(q.dscp_to_tc)),
        prio_pfc=" ".join(["all:off", *(f"{p}:on" for p in q.lossless_priorities)]),
        prio_tc=" ".join(f"{prio}:{tc}" for prio, tc in enumerate(q.tc_to_queue)),
        tc_tsa=" ".join(["all:ets", *(f"{tc}:strict" for tc in q.strict_tcs)]),
        tc_bw=" ".join(["all:0", *(f"{tc}:{w}" for tc, w in enumerate(q.dwrr_weights) if w)]),
        prio_buffer=" ".join(f"{prio}:{pg}" for prio, pg in enumerate(q.tc_to_pg)),
        bands=tuple(bands),
        band_count=len(bands),
        strict_bands=len(strict),
        quanta=" ".join(str(b.quantum) for b in bands if not b.strict),
        priomap=" ".join(map(str, priomap)),
        red_parent=f"1:{ecn_band.band}" if ecn_band else "",
        red_handle=f"{ecn_band.band + 10}:" if ecn_band else "",
        red_limit=q.ecn.max_bytes * RED_LIMIT_FACTOR if q.ecn else 0,
        red_avpkt=RED_AVPKT,
        red_probability=f"{q.ecn.probability / 100:g}" if q.ecn else "",
        red_bandwidth={p.name: f"{min(p.speed * 1000, TC_RATE_MAX_MBIT)}mbit" for p in dev.ports},
    )
