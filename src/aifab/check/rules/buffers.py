"""BUF: PFC headroom per port covers its cable, and the device's headroom fits its pool (docs/sources.md#headroom, #buffer-sizes)."""

from __future__ import annotations

from collections.abc import Iterator

from aifab.catalog import eos_mmu
from aifab.check.context import CheckContext
from aifab.check.findings import Hit, Severity
from aifab.check.registry import rule
from aifab.check.rules.ports import grouped, policed_ports
from aifab.design.model import Device, PortBuffer
from aifab.qos import port_buffer
from aifab.qos.defaults import buffer_model


def _headroom_stated(dev: Device) -> bool:
    """Whether the files state PFC headroom: always, except on EOS outside the Trident MMU dialect,
    where EOS sizes headroom itself and aifab emits no buffer lines (docs/sources.md#catalog-asics)."""
    return dev.platform != "eos" or eos_mmu(dev.asic)


@rule("BUF001", Severity.ERROR, "headroom per port covers its cable",
      "after sending PAUSE a port must absorb what is still in flight on the cable; less headroom drops lossless frames")
def headroom_per_port(ctx: CheckContext) -> Iterator[Hit]:
    needs: dict[tuple[int, str, int, float, int, int], PortBuffer | None] = {}  # few distinct ports: compute each once
    for dev, _, policy, ports in policed_ports(ctx):
        if not policy.lossless or not _headroom_stated(dev):
            continue
        model = buffer_model(dev.platform, dev.asic or None)
        bad = []
        for port, iface in ports:
            speed, mtu = iface.speed or port.speed, iface.mtu or port.mtu
            small = port.buffer.small_packet_pct if port.buffer is not None else 100
            key = (id(policy), model.name, speed, port.length_m, mtu, small)
            if key not in needs:
                needs[key] = port_buffer(policy, model, speed, port.length_m, mtu, small)
            need = needs[key]
            if need is None:
                continue
            for prio in policy.lossless_priorities:
                if prio not in iface.pfc:
                    continue  # PFC off there: QOS001's finding, and no headroom is owed
                pg = policy.tc_to_pg[prio]
                h = iface.headroom.get(pg)
                if h is not None and h.size >= need.size and (h.xoff is None or h.xoff >= need.xoff):
                    continue
                where = f"PG {pg} ({speed}G, {port.length_m:g} m cable, MTU {mtu})"
                if h is None:
                    bad.append((port.name, f"{where}: no headroom reserved, {need.size} bytes needed"))
                else:
                    got = f"size {h.size}" + (f", xoff {h.xoff}" if h.xoff is not None else "")
                    bad.append((port.name, f"{where}: headroom {got} < the {need.model} formula's size {need.size}"
                                           + (f", xoff {need.xoff}" if h.xoff is not None else "")))
        yield from grouped(dev, bad, len(ports))


@rule("BUF002", Severity.ERROR, "the device's headroom fits its pool",
      "headroom is reserved per lossless priority group of every port; together it must fit the headroom pool")
def headroom_fits_pool(ctx: CheckContext) -> Iterator[Hit]:
    for dev, facts, policy, ports in policed_ports(ctx):
        if not policy.lossless or dev.buffers is None:
            continue
        lossless = {policy.tc_to_pg[p] for p in policy.lossless_priorities}
        total = sum(h.size for _, iface in ports for pg, h in iface.headroom.items() if pg in lossless)
        pool = facts.headroom_pool if facts.headroom_pool is not None else dev.buffers.headroom_pool_bytes
        if total > pool:
            yield Hit(dev.fabric, dev.name, "", f"PFC headroom totals {total} bytes over {len(ports)} ports, "
                                                f"more than the headroom pool's {pool} bytes")
