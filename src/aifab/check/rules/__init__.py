"""Rule modules, one per family; importing this package registers every rule."""

from aifab.check.rules import addressing, bgp, configs, isolation, mtu, topology  # noqa: F401
