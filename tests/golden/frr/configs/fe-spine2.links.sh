#!/bin/sh
# fe-spine2: link settings that frr.conf cannot carry (MTU, speed), for the Linux switch.
# Run as root before FRR starts. The aifab lab builds its own veth links and does not run this file.
set -eu
ip link set dev swp1 mtu 9216
ethtool -s swp1 speed 100000 duplex full autoneg off
ip link set dev swp1 up
ip link set dev swp2 mtu 9216
ethtool -s swp2 speed 100000 duplex full autoneg off
ip link set dev swp2 up
