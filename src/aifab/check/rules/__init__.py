"""Rule modules, one per family; importing this package registers every rule."""

from aifab.check.rules import addressing, bgp, buffers, configs, isolation, mtu, qos, topology  # noqa: F401
