"""FRR on Linux/whitebox switches: frr.conf (pushed with the project's napalm_frr driver over SSH),
plus links.sh (MTU, speed) and qos.sh (iproute2 dcb and tc), which frr.conf cannot carry."""

from __future__ import annotations

from aifab.platforms.registry import KB, Platform, QosDefaults, UpgradeMethod

FRR_DATACENTER_TIMERS = (3, 9)  # `frr defaults datacenter`: keepalive, hold (FRR omits them at these values)

# Facts section 4. frr (Linux/whitebox) takes NVIDIA Cumulus's `nv set qos roce` numbers: Cumulus
# is the Linux switch OS whose RoCE profile is published, and its low min threshold (150 KB)
# marks early, which suits a generic whitebox whose buffer we do not know.
FRR = Platform(
    name="frr",
    outputs={"frr.conf": "frr/frr.conf.j2", "links.sh": "frr/links.sh.j2", "qos.sh": "frr/qos.sh.j2"},
    pushed="frr.conf",
    templates="frr",
    parser="aifab.check.parse.frr:parse",
    view="aifab.render.linux:linux_view",
    qos=QosDefaults("ieee", 150 * KB, 1500 * KB, 100, "tomahawk-3", "NVIDIA Cumulus `nv set qos roce` (docs/sources.md#qos-defaults-cumulus)"),
    loopback="lo",
    management="eth0",
    port_name="swp{index}",
    breakout_port_name="swp{index}s{sub}",  # Cumulus names breakout children swp1s0, swp1s1 (docs/sources.md#breakouts)
    bgp_default_timers=FRR_DATACENTER_TIMERS,
    zebra_interfaces=True,
    napalm_driver="frr",
    napalm_extras={"timeout": 60, "optional_args": {"port": 22}},
    deploys=True,
    qos_read_back="every kernel setting of links.sh and qos.sh in effect",
    bundle={"frr.conf": "frr.conf", "links.sh": "links.sh", "qos.sh": "qos.sh"},  # napalm_frr's candidate bundle
    lab_boots=True,
    batfish="cumulus",
    access=(),  # frr.conf carries routing only: accounts, AAA, NTP, syslog and SNMP are the Linux host's
    # docs/sources.md#upgrade-frr: the new package's daemons replace the old ones; zebra's routes
    # go with it while its peers, BGP graceful-restart helpers, keep the switch's routes as stale.
    upgrades=(UpgradeMethod("restart", "install the version, stop every FRR daemon and start them again "
                            "(BGP graceful restart: the peers keep its routes for upgrade.graceful_restart_s)",
                            "reload", 60, "upgrade-frr"),),
)
