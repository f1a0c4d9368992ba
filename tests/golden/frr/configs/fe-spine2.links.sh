#!/bin/sh
# fe-spine2: link settings that frr.conf cannot carry (MTU, speed, ECMP hash), for the Linux switch.
# Applied by the deploy (napalm_frr), one setting per line; it reports each line the kernel cannot hold.
set -eu
ip link set dev swp1 mtu 9216
ethtool -s swp1 speed 100000 duplex full autoneg off
ip link set dev swp1 up
ip link set dev swp2 mtu 9216
ethtool -s swp2 speed 100000 duplex full autoneg off
ip link set dev swp2 up
