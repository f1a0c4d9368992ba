"""Per-port PFC headroom and the per-device buffer pool plan (docs/sources.md#headroom, #buffer-sizes).

:class:`FabricQos` is the builder's one entry point for a fabric: it resolves the policy per
platform and computes each distinct (platform, switch model, speed, cable, MTU) once, handing
out shared immutable objects, so a 200k-port design costs a few dict look-ups per port.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from aifab.catalog import lookup
from aifab.errors import Problem
from aifab.intent.schema import BackendQos, FrontendQos, Switch
from aifab.platforms import KB
from aifab.platforms import platform as platform_record
from aifab.qos.defaults import (
    EGRESS_LOSSLESS_DYNAMIC_TH,
    EGRESS_LOSSY_RESERVED,
    LOSSLESS_PG_DYNAMIC_TH,
    LOSSY_DYNAMIC_TH,
    BufferModel,
    buffer_model,
)
from aifab.qos.headroom import headroom_cell, headroom_ieee
from aifab.qos.policy import backend_policy, frontend_policy
from aifab.qos.types import BufferPool, BufferProfile, DeviceBuffers, PortBuffer, QosPolicy

DEFAULT_MTU = 9216  # profile names carry ``_mtu<N>`` only for other MTUs


def _metres(cable_m: float) -> str:
    return f"{cable_m:g}m"


def profile_name(speed_gbps: int, cable_m: float, mtu: int) -> str:
    """SONiC's name of a lossless PG profile, e.g. ``pg_lossless_400000_5m_profile``."""
    mtu_part = "" if mtu == DEFAULT_MTU else f"_mtu{mtu}"
    return f"pg_lossless_{speed_gbps * 1000}_{_metres(cable_m)}{mtu_part}_profile"


def port_buffer(policy: QosPolicy, model: BufferModel, speed_gbps: int, cable_m: float, mtu: int,
                small_packet_pct: int = 100) -> PortBuffer | None:
    """Headroom of one lossless port under ``policy``; None when the policy is lossy.

    IEEE model: ``xoff = size = headroom_ieee``, ``xon = 2 * mtu`` (resume once two full frames
    have drained). Cell model: xoff/xon/size of :func:`headroom_cell` with the port's SONiC lane count.
    """
    if not policy.lossless:
        return None
    how = "ieee" if model.sonic_headroom == "ieee" else policy.headroom_model
    if how == "cell":
        asic = model.cell
        if asic is None:
            raise ValueError(f"buffer model {model.name} has no cell parameters")
        h = headroom_cell(speed_gbps, cable_m, mtu, lanes=platform_record(policy.platform).lanes[speed_gbps],
                          small_packet_pct=small_packet_pct, asic=asic)
        xoff, xon, size = h.xoff, h.xon, h.size
    else:
        xoff = size = headroom_ieee(speed_gbps, cable_m, mtu)
        xon = 2 * mtu
    return PortBuffer(profile_name(speed_gbps, cable_m, mtu), speed_gbps, cable_m, mtu, xoff, xon, size,
                      LOSSLESS_PG_DYNAMIC_TH, policy.lossless_priorities, how, small_packet_pct)


def device_buffers(policy: QosPolicy, model: BufferModel, buffers: Iterable[PortBuffer | None],
                   ports: int) -> DeviceBuffers:
    """The pool plan of one switch with ``ports`` cabled ports (``buffers`` one per port).

    Headroom = sum of ``size`` over every lossless PG of every lossless port; it must fit
    ``model.headroom_pool_bytes`` (a check rule compares them). The rest of the buffer, less the
    egress lossy reserve of every port, is the shared space; as in SONiC's Mellanox defaults the
    ingress lossless, ingress lossy and egress lossy pools each get all of it (they share memory)
    and the egress lossless pool is the whole buffer. With ``dynamic_th = n`` a PG may take
    ``alpha = 2**n`` times the free space, so alone it fills ``shared * alpha / (1 + alpha)``
    before XOFF: ECN must mark below that (``lossless_queue_bytes``).
    """
    lossless = [b for b in buffers if b is not None]
    headroom = sum(b.size * len(b.pgs) for b in lossless)
    shared = max(0, model.total_bytes - headroom - ports * EGRESS_LOSSY_RESERVED)
    alpha = 2**LOSSLESS_PG_DYNAMIC_TH
    queue = shared * alpha // (1 + alpha) if policy.lossless else 0
    pools = [BufferPool("ingress_lossless_pool", "ingress", "dynamic", shared)] if policy.lossless else []
    pools += [BufferPool("ingress_lossy_pool", "ingress", "dynamic", shared)]
    if policy.lossless:
        pools.append(BufferPool("egress_lossless_pool", "egress", "dynamic", model.total_bytes))
    pools.append(BufferPool("egress_lossy_pool", "egress", "dynamic", shared))
    profiles = []
    if policy.lossless:
        profiles += [BufferProfile("ingress_lossless_profile", "ingress_lossless_pool", 0, LOSSLESS_PG_DYNAMIC_TH),
                     BufferProfile("egress_lossless_profile", "egress_lossless_pool", 0, EGRESS_LOSSLESS_DYNAMIC_TH)]
    profiles += [BufferProfile("ingress_lossy_profile", "ingress_lossy_pool", 0, LOSSY_DYNAMIC_TH),
                 BufferProfile("egress_lossy_profile", "egress_lossy_pool", EGRESS_LOSSY_RESERVED, LOSSY_DYNAMIC_TH),
                 BufferProfile("q_lossy_profile", "egress_lossy_pool", 0, LOSSY_DYNAMIC_TH)]
    return DeviceBuffers(model.name, model.total_bytes, model.headroom_pool_bytes, headroom, len(lossless),
                         shared, queue, tuple(pools), tuple(profiles), LOSSLESS_PG_DYNAMIC_TH, LOSSY_DYNAMIC_TH,
                         max((b.size for b in lossless), default=0))


def fit_problems(fabric: str, device: str, buffers: list[PortBuffer | None], cables: list[str],
                 plan: DeviceBuffers, policy: QosPolicy) -> list[Problem]:
    """What cannot work on a switch whose ports have ``buffers`` on ``cables`` (their cable classes)
    and whose pool plan is ``plan``, located at the intent key that causes it: headroom larger than
    the headroom pool (blamed on the cable class that reserves the most), else an ECN max that a
    lossless queue never reaches before PAUSE. The check rules BUF002 and QOS005 find the same in a
    build edited by hand."""
    if plan.headroom_bytes > plan.headroom_pool_bytes:
        by_cable: Counter[tuple[str, float]] = Counter()
        for b, cable in zip(buffers, cables, strict=True):
            if b is not None:
                by_cable[(cable, b.cable_m)] += b.size * len(b.pgs)
        (cable, length), _ = by_cable.most_common(1)[0]
        return [Problem((fabric, "cables", cable), f"PFC headroom cannot fit: {device} reserves "
                        f"{plan.headroom_bytes} bytes over {plan.lossless_ports} lossless ports, its "
                        f"{plan.buffer_model} headroom pool holds {plan.headroom_pool_bytes}; "
                        "use shorter cables or a switch with more buffer", length)]
    ecn = policy.ecn
    if ecn is not None and policy.lossless and ecn.max_bytes >= plan.lossless_queue_bytes:
        loc = (fabric, "qos", "ecn", "max_kb") if fabric == "backend" else (fabric, "qos", "lossless")
        return [Problem(loc, f"ECN max {ecn.max_bytes} bytes is not below the {plan.lossless_queue_bytes} "
                        f"bytes a lossless queue of {device} ({plan.buffer_model} buffer) holds before PAUSE, "
                        "so ECN would never mark", ecn.max_bytes // KB)]
    return []


class FabricQos:
    """QoS and buffers of one fabric, computed once per distinct input and shared.

    ``problems`` collects what cannot work (:func:`fit_problems`), one per intent key.
    """

    def __init__(self, qos: BackendQos | FrontendQos, mtu: int, fabric: str = "") -> None:
        self._qos = qos
        self._mtu = mtu
        self._fabric = fabric
        self.problems: dict[tuple[str | int, ...], Problem] = {}
        self._small = qos.small_packet_pct if isinstance(qos, BackendQos) else 100
        self._policies: dict[str, QosPolicy] = {}
        self._ports: dict[tuple[str, str | None, int, float], PortBuffer | None] = {}
        self._devices: dict[tuple[str, str | None, int, tuple[tuple[int, int], ...]], DeviceBuffers] = {}

    def policy(self, platform: str) -> QosPolicy:
        """The resolved policy of this fabric on ``platform`` (one object per platform)."""
        p = self._policies.get(platform)
        if p is None:
            q = self._qos
            p = backend_policy(q, platform) if isinstance(q, BackendQos) else frontend_policy(q, platform)
            self._policies[platform] = p
        return p

    def port_buffer(self, switch: Switch, speed_gbps: int, cable_m: float) -> PortBuffer | None:
        """Headroom of a port of ``switch`` at ``speed_gbps`` on a ``cable_m`` cable (None if lossy)."""
        key = (switch.platform, switch.asic, speed_gbps, cable_m)
        try:
            return self._ports[key]
        except KeyError:
            b = port_buffer(self.policy(switch.platform), buffer_model(switch.platform, switch.asic),
                            speed_gbps, cable_m, self._mtu, self._small)
            self._ports[key] = b
            return b

    def device_buffers(self, switch: Switch, buffers: Iterable[PortBuffer | None], device: str = "",
                       cables: Iterable[str] = ()) -> DeviceBuffers:
        """The pool plan of a switch whose ports have these buffers, one per port (shared between
        switches with equal ports). With the ports' ``cables`` (cable classes), a plan that cannot
        work is noted in ``problems`` under the name ``device``."""
        buffers = list(buffers)
        counts = Counter(map(id, buffers))
        key = (switch.platform, switch.asic, len(buffers), tuple(sorted(counts.items())))
        d = self._devices.get(key)
        if d is None:
            policy = self.policy(switch.platform)
            entry = lookup(switch.model)
            model = buffer_model(switch.platform, switch.asic).times(entry.chips if entry is not None else 1)
            d = device_buffers(policy, model, buffers, len(buffers))
            self._devices[key] = d
            cables = list(cables)
            if cables:
                for problem in fit_problems(self._fabric, device, buffers, cables, d, policy):
                    self.problems.setdefault(problem.loc, problem)
        return d
