"""NAPALM driver for FRR: ``napalm.get_network_driver("frr")`` imports this package."""

from napalm_frr.frr import FRRDriver

__all__ = ["FRRDriver"]
