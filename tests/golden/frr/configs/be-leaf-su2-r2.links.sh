#!/bin/sh
# be-leaf-su2-r2: link settings that frr.conf cannot carry (MTU, speed, ECMP hash), for the Linux switch.
# Applied by the deploy (napalm_frr), one setting per line; it reports each line the kernel cannot hold.
set -eu
sysctl -w net.ipv4.fib_multipath_hash_policy=1
ip link set dev swp1 mtu 9216
ethtool -s swp1 speed 400000 duplex full autoneg off
ip link set dev swp1 up
ip link set dev swp2 mtu 9216
ethtool -s swp2 speed 400000 duplex full autoneg off
ip link set dev swp2 up
ip link set dev swp3 mtu 9216
ethtool -s swp3 speed 400000 duplex full autoneg off
ip link set dev swp3 up
ip link set dev swp4 mtu 9216
ethtool -s swp4 speed 400000 duplex full autoneg off
ip link set dev swp4 up
