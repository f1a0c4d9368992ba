"""ECMP load balancing as each platform writes it (docs/sources.md#load-balancing): the Design's hash
fields in EOS keywords, SONiC's SWITCH_HASH field names and Linux's multipath hash sysctls.

- EOS, Broadcom StrataXGS chips: ``ip load-sharing trident fields ip ...``; on Jericho ("sand")
  chips: a ``load-balance policies`` sand profile, with the RoCE destination QP as UDP payload bytes;
  dynamic load balancing: ``ip hardware fib load-balance distribution dynamic``.
- SONiC: ``SWITCH_HASH|GLOBAL`` ``ecmp_hash`` (and ``ecmp_hash_ipv4_rdma`` with ``RDMA_BTH_DEST_QP``).
- Linux (frr): ``net.ipv4.fib_multipath_hash_policy`` 0 (L3) or 1 (L4) when the fields are exactly
  those, else 3 (custom) with ``net.ipv4.fib_multipath_hash_fields``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aifab.catalog import ASICS
from aifab.design.model import Device, LoadBalance
from aifab.render.shared import per_object

ROCE_UDP_PORT = 4791  # RoCEv2's UDP destination port (IANA)
BTH_DEST_QP_BYTES = "5-7"  # the destination QP: bytes 5-7 of the InfiniBand base transport header (BTH)
EOS_TRIDENT = {"src_ip": "source-ip", "dst_ip": "destination-ip", "ip_proto": "protocol",
               "l4_src_port": "source-port", "l4_dst_port": "destination-port"}
EOS_SAND_IP = {"dst_ip": "dst-ip", "ip_proto": "protocol", "src_ip": "src-ip"}
EOS_SAND_L4 = {"l4_dst_port": "dst-port", "l4_src_port": "src-port"}
SONIC = {"src_ip": "SRC_IP", "dst_ip": "DST_IP", "ip_proto": "IP_PROTOCOL",
         "l4_src_port": "L4_SRC_PORT", "l4_dst_port": "L4_DST_PORT"}
SONIC_QP = ("RDMA_BTH_DEST_QP",)
# Linux fib_multipath_hash_fields bits (include/net/ip_fib.h, FIB_MULTIPATH_HASH_FIELD_*)
LINUX_BITS = {"src_ip": 0x01, "dst_ip": 0x02, "ip_proto": 0x04, "l4_src_port": 0x10, "l4_dst_port": 0x20}
LINUX_L3 = ("src_ip", "dst_ip")
LINUX_L4 = ("src_ip", "dst_ip", "ip_proto", "l4_src_port", "l4_dst_port")


@dataclass(frozen=True, slots=True)
class LoadBalanceView:
    """One device's ECMP hashing in each platform's words (templates pick theirs)."""

    fields: tuple[str, ...]
    roce_qp: bool
    dynamic: bool
    eos_sand: bool  # EOS on a Jericho chip: a sand load-balance profile instead of `ip load-sharing trident`
    eos_trident_fields: str  # "source-ip destination-ip protocol source-port destination-port"
    eos_sand_ip: str  # "dst-ip protocol src-ip"
    eos_sand_l4: str  # "dst-port src-port"
    roce_udp_port: int
    qp_bytes: str
    linux_policy: int  # net.ipv4.fib_multipath_hash_policy
    linux_fields: str  # net.ipv4.fib_multipath_hash_fields (policy 3 only), "" otherwise
    sonic_fields: tuple[str, ...]
    sonic_rdma_fields: tuple[str, ...]  # with the destination QP; empty without roce_qp


def linux_policy(fields: tuple[str, ...]) -> tuple[int, str]:
    """(fib_multipath_hash_policy, fib_multipath_hash_fields or "") for the hash fields."""
    if set(fields) == set(LINUX_L3):
        return 0, ""
    if set(fields) == set(LINUX_L4):
        return 1, ""
    return 3, f"0x{sum(LINUX_BITS[f] for f in fields):04x}"


def load_balance_view(dev: Device) -> LoadBalanceView | None:
    """The device's load balancing for its templates; None when the Design sets none (the platform default)."""
    return None if dev.load_balance is None else _view(dev.load_balance, dev.asic)


@per_object
def _view(lb: LoadBalance, asic: str) -> LoadBalanceView:
    chip = ASICS.get(asic)
    sand = chip is not None and chip.qp_hash  # the chips EOS hashes with a sand profile (Jericho)
    policy, mask = linux_policy(lb.fields)
    sonic = tuple(SONIC[f] for f in lb.fields)
    return LoadBalanceView(
        fields=lb.fields, roce_qp=lb.roce_qp, dynamic=lb.dynamic, eos_sand=sand,
        eos_trident_fields=" ".join(EOS_TRIDENT[f] for f in lb.fields),
        eos_sand_ip=" ".join(w for f, w in EOS_SAND_IP.items() if f in lb.fields),
        eos_sand_l4=" ".join(w for f, w in EOS_SAND_L4.items() if f in lb.fields),
        roce_udp_port=ROCE_UDP_PORT, qp_bytes=BTH_DEST_QP_BYTES,
        linux_policy=policy, linux_fields=mask,
        sonic_fields=sonic, sonic_rdma_fields=sonic + SONIC_QP if lb.roce_qp else (),
    )
