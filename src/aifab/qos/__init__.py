"""QoS and buffer arithmetic: RoCEv2 policy per platform, PFC headroom, buffer pool plans (types in ``qos.types``)."""

from aifab.qos.buffers import FabricQos, device_buffers, port_buffer, profile_name
from aifab.qos.headroom import CellAsic, CellHeadroom, headroom_cell, headroom_ieee
from aifab.qos.policy import backend_policy, frontend_policy, qos_problems

__all__ = ["CellAsic", "CellHeadroom", "FabricQos", "backend_policy", "device_buffers", "frontend_policy",
           "headroom_cell", "headroom_ieee", "port_buffer", "profile_name", "qos_problems"]
