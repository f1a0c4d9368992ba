#!/bin/sh
# fe-leaf1a: link settings that frr.conf cannot carry (MTU, speed, ECMP hash), for the Linux switch.
# Applied by the deploy (napalm_frr), one setting per line; it reports each line the kernel cannot hold.
set -eu
ip link set dev swp1 mtu 9216
ethtool -s swp1 speed 100000 duplex full autoneg off
ip link set dev swp1 up
ip link set dev swp2 mtu 9216
ethtool -s swp2 speed 100000 duplex full autoneg off
ip link set dev swp2 up
ip link set dev swp3 mtu 9216
ethtool -s swp3 speed 100000 duplex full autoneg off
ip link set dev swp3 up
ip link set dev swp4 mtu 9216
ethtool -s swp4 speed 100000 duplex full autoneg off
ip link set dev swp4 up
ip link set dev swp5 mtu 9216
ethtool -s swp5 speed 100000 duplex full autoneg off
ip link set dev swp5 up
ip link set dev swp7 mtu 9216
ethtool -s swp7 speed 100000 duplex full autoneg off
ip link set dev swp7 up
ip link set dev swp8 mtu 9216
ethtool -s swp8 speed 100000 duplex full autoneg off
ip link set dev swp8 up
