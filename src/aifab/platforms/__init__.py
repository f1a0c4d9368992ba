"""Platforms: one record per platform (eos, frr, sonic) in one registry; ``register`` adds another.

Every stage reads a platform's facts here (outputs and the pushed file, templates, parser, QoS
defaults, NAPALM driver and options, deploy and lab support, naming, Batfish layout) and nowhere
else. A new platform is a record, a template folder, a parser and, to deploy, a driver.
"""

from aifab.platforms.eos import EOS
from aifab.platforms.frr import FRR
from aifab.platforms.registry import KB, MIB, Platform, QosDefaults, UpgradeMethod, names, platform, register, resolve, unregister
from aifab.platforms.sonic import SONIC

for _record in (EOS, FRR, SONIC):
    register(_record)

__all__ = ["EOS", "FRR", "KB", "MIB", "SONIC", "Platform", "QosDefaults", "UpgradeMethod", "names", "platform", "register", "resolve",
           "unregister"]
