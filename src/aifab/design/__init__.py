"""Design: everything derived from the intent, computed once."""

from aifab.design.builder import build_design
from aifab.design.model import Design, Device, FabricDesign, Host, Neighbor, Nic, Port, design_from_json, design_json

__all__ = ["Design", "Device", "FabricDesign", "Host", "Neighbor", "Nic", "Port", "build_design",
           "design_from_json", "design_json"]
