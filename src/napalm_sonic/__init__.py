"""NAPALM driver for SONiC: ``napalm.get_network_driver("sonic")`` imports this package."""

from napalm_sonic.sonic import SONiCDriver

__all__ = ["SONiCDriver"]
