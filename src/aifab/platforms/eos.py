"""Arista EOS: full running-configs, pushed with NAPALM's eos driver (config sessions)."""

from __future__ import annotations

from aifab.platforms.registry import KB, Platform, QosDefaults, UpgradeMethod

# EOS speed settings per port speed (Gb/s); the lane count follows the port's form factor.
EOS_SPEED = {10: "forced 10000full", 25: "forced 25gfull", 40: "forced 40gfull", 50: "50g-2", 100: "100g-4",
             200: "200g-4", 400: "400g-8", 800: "800g-8"}

EOS = Platform(
    name="eos",
    outputs={"cfg": "eos/running-config.j2"},
    pushed="cfg",
    templates="eos",
    parser="aifab.check.parse.eos:parse",
    view="aifab.render.eos:eos_view",
    qos=QosDefaults("ieee", 500 * KB, 1500 * KB, 20, "tomahawk-4",
                    "Arista AI reference design as reported by secondary write-ups (docs/sources.md#qos-defaults-eos)"),
    loopback="Loopback0",
    management="Management1",
    container_management="Management0",  # in a container lab: cEOS calls it Management0 (docs/sources.md#interface-names)
    port_name="Ethernet{index}",
    # A multi-lane port's children are named by their first lane (an OSFP port exposes Ethernet1/1 to
    # Ethernet1/8; 2x400G: /1 and /5), each set to the child's speed and lane count (`speed 400g-4`)
    # (docs/sources.md#breakouts).
    breakout_port_name="Ethernet{index}/{sublane}",
    breakout_speed="{gbps}g-{lanes}",
    speed_names=EOS_SPEED,
    sorted_interfaces=False,
    management_vrf="MGMT",
    maintenance=True,
    napalm_driver="eos",
    napalm_extras={"timeout": 60, "optional_args": {"transport": "https"}},
    deploys=True,
    batfish="arista",
    max_mtu=9214,  # EOS's largest IP MTU on a routed port (docs/sources.md#eos-mtu)
    # docs/sources.md#upgrade-eos: SSU on the models Arista lists for it, else a standard reload.
    upgrades=(
        UpgradeMethod("ssu", "Smart System Upgrade (`boot system flash:EOS-<version>.swi`, `reload fast-boot now`): the ASIC "
                      "keeps forwarding while the control plane restarts, BGP graceful restart on the peers",
                      "session-reset", 300, "upgrade-eos", needs="ssu"),
        UpgradeMethod("reload", "standard upgrade (`boot system flash:EOS-<version>.swi`, `reload now`): the switch "
                      "restarts its data plane", "reload", 600, "upgrade-eos"),
    ),
    qp_hash="asic",  # `load-balance sand profile` UDP payload bytes (Jericho)
    dynamic_lb=True,  # `ip hardware fib load-balance distribution dynamic`
)
