"""Per-platform naming: interface names, loopback and management interfaces."""

from __future__ import annotations

from dataclasses import dataclass

# SONiC names front-panel ports by their first SerDes lane (Ethernet0, Ethernet8, ...).
_SONIC_LANES = {10: 1, 25: 1, 40: 4, 50: 2, 100: 4, 200: 4, 400: 8, 800: 8}


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    """How a platform names things."""

    name: str
    loopback: str
    management: str
    container_management: str  # in a container lab: cEOS calls it Management0 (facts section 8)

    def port(self, index: int, speed_gbps: int) -> str:
        """Interface name of front-panel port ``index`` (1-based)."""
        if self.name == "eos":
            return f"Ethernet{index}"
        if self.name == "frr":
            return f"swp{index}"
        return f"Ethernet{(index - 1) * _SONIC_LANES[speed_gbps]}"


PLATFORMS = {
    "eos": PlatformInfo("eos", "Loopback0", "Management1", "Management0"),
    "frr": PlatformInfo("frr", "lo", "eth0", "eth0"),
    "sonic": PlatformInfo("sonic", "Loopback0", "eth0", "eth0"),
}
