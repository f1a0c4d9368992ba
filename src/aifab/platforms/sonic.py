"""SONiC: CONFIG_DB (config_db.json) plus the frr.conf of the frr platform for BGP (netlab's
``parent: frr``): the record is FRR's with what SONiC does differently."""

from __future__ import annotations

from dataclasses import replace

from aifab.platforms.frr import FRR
from aifab.platforms.registry import MIB, QosDefaults, UpgradeMethod

# SONiC names front-panel ports by their first SerDes lane (Ethernet0, Ethernet8, ...).
SONIC_LANES = {10: 1, 25: 1, 40: 4, 50: 2, 100: 4, 200: 4, 400: 8, 800: 8}

SONIC = replace(
    FRR,
    name="sonic",
    outputs={"config_db.json": "aifab.render.sonic:config_db_json", "frr.conf": "sonic/frr.conf.j2"},
    parser="aifab.check.parse.sonic:parse",
    view=None,  # config_db.json is built from the neutral view; no tc/dcb script
    qos=QosDefaults("cell", 1 * MIB, 2 * MIB, 5, "spectrum-3", "SONiC AZURE_LOSSLESS WRED profile (docs/sources.md#qos-defaults-sonic)"),
    loopback="Loopback0",
    port_name="Ethernet{lane}",
    breakout_port_name="Ethernet{lane}",  # a child is named by its first lane too: 2x400G on Ethernet0 is Ethernet0, Ethernet4
    lanes=SONIC_LANES,
    zebra_interfaces=False,  # addresses live in config_db.json
    # SONiC's zebra loads the FPM module (its frr.conf carries `fpm address`, `no fpm use-next-hop-groups`).
    zebra_modules=("dplane_fpm_nl",),
    # napalm_sonic (docs/sonic.md) pushes both files: config_db.json as a JSON Patch, frr.conf through
    # frr-reload.py in the bgp container; every command runs with sudo for SONiC's admin user.
    napalm_driver="sonic",
    napalm_extras={"timeout": 60, "optional_args": {"port": 22, "sudo": True}},
    deploys=True,
    qos_read_back="CONFIG_DB's QoS tables equal to the candidate's",
    bundle={"config_db.json": "config_db", "frr.conf": "frr"},
    batfish="sonic",
    access=("tacacs", "radius", "ntp", "syslog", "snmp"),  # CONFIG_DB's tables; local accounts are Linux accounts
    # docs/sources.md#upgrade-sonic: warm reboot where the model's SONiC build supports it, else fast reboot.
    upgrades=(
        UpgradeMethod("warm-reboot", "`sonic-installer install`, `warm-reboot`: the ASIC keeps forwarding, "
                      "BGP graceful restart on the peers", "session-reset", 300, "upgrade-sonic", needs="warm-reboot"),
        UpgradeMethod("fast-reboot", "`sonic-installer install`, `fast-reboot`: the data plane stops for up to "
                      "30 s while the ASIC restarts", "reload", 300, "upgrade-sonic"),
    ),
    qp_hash="always",  # SWITCH_HASH ecmp_hash_ipv4_rdma RDMA_BTH_DEST_QP, checked by orchagent against its SAI
)
