#!/bin/sh
# be-spine1: lossless RoCEv2 QoS with iproute2 dcb and tc (FRR has no QoS).
# Applied by the deploy after frr.conf (napalm_frr), one setting per line; it reports each line the kernel cannot hold.
# DSCP entries in the dcb app table make the port trust DSCP (switchdev drivers such as mlxsw).
# PFC watchdog (not expressible with iproute2; set it in the switch's NOS or SDK):
#   detection 200 ms, restoration 200 ms, polling 200 ms, action drop
set -eu
# swp1: P2P_be-leaf-su1-r1_swp3, 20m
dcb app replace dev swp1 dscp-prio 0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:0 10:0 11:0 12:0 13:0 14:0 15:0 16:0 17:0 18:0 19:0 20:0 21:0 22:0 23:0 24:0 25:0 26:3 27:0 28:0 29:0 30:0 31:0 32:0 33:0 34:0 35:0 36:0 37:0 38:0 39:0 40:0 41:0 42:0 43:0 44:0 45:0 46:0 47:0 48:6 49:0 50:0 51:0 52:0 53:0 54:0 55:0 56:0 57:0 58:0 59:0 60:0 61:0 62:0 63:0
dcb ets set dev swp1 prio-tc 0:0 1:1 2:2 3:3 4:4 5:5 6:6 7:7 tc-tsa all:ets 6:strict tc-bw all:0 0:50 3:50
dcb pfc set dev swp1 prio-pfc all:off 3:on
dcb buffer set dev swp1 prio-buffer 0:0 1:0 2:0 3:3 4:0 5:0 6:0 7:0 buffer-size 3:86436
tc qdisc replace dev swp1 root handle 1: ets bands 3 strict 1 quanta 50000 50000 priomap 1 1 1 2 1 1 0 1
tc qdisc replace dev swp1 parent 1:3 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1000 bandwidth 34359mbit probability 1 ecn
# swp2: P2P_be-leaf-su1-r2_swp3, 20m
dcb app replace dev swp2 dscp-prio 0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:0 10:0 11:0 12:0 13:0 14:0 15:0 16:0 17:0 18:0 19:0 20:0 21:0 22:0 23:0 24:0 25:0 26:3 27:0 28:0 29:0 30:0 31:0 32:0 33:0 34:0 35:0 36:0 37:0 38:0 39:0 40:0 41:0 42:0 43:0 44:0 45:0 46:0 47:0 48:6 49:0 50:0 51:0 52:0 53:0 54:0 55:0 56:0 57:0 58:0 59:0 60:0 61:0 62:0 63:0
dcb ets set dev swp2 prio-tc 0:0 1:1 2:2 3:3 4:4 5:5 6:6 7:7 tc-tsa all:ets 6:strict tc-bw all:0 0:50 3:50
dcb pfc set dev swp2 prio-pfc all:off 3:on
dcb buffer set dev swp2 prio-buffer 0:0 1:0 2:0 3:3 4:0 5:0 6:0 7:0 buffer-size 3:86436
tc qdisc replace dev swp2 root handle 1: ets bands 3 strict 1 quanta 50000 50000 priomap 1 1 1 2 1 1 0 1
tc qdisc replace dev swp2 parent 1:3 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1000 bandwidth 34359mbit probability 1 ecn
# swp3: P2P_be-leaf-su2-r1_swp3, 20m
dcb app replace dev swp3 dscp-prio 0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:0 10:0 11:0 12:0 13:0 14:0 15:0 16:0 17:0 18:0 19:0 20:0 21:0 22:0 23:0 24:0 25:0 26:3 27:0 28:0 29:0 30:0 31:0 32:0 33:0 34:0 35:0 36:0 37:0 38:0 39:0 40:0 41:0 42:0 43:0 44:0 45:0 46:0 47:0 48:6 49:0 50:0 51:0 52:0 53:0 54:0 55:0 56:0 57:0 58:0 59:0 60:0 61:0 62:0 63:0
dcb ets set dev swp3 prio-tc 0:0 1:1 2:2 3:3 4:4 5:5 6:6 7:7 tc-tsa all:ets 6:strict tc-bw all:0 0:50 3:50
dcb pfc set dev swp3 prio-pfc all:off 3:on
dcb buffer set dev swp3 prio-buffer 0:0 1:0 2:0 3:3 4:0 5:0 6:0 7:0 buffer-size 3:86436
tc qdisc replace dev swp3 root handle 1: ets bands 3 strict 1 quanta 50000 50000 priomap 1 1 1 2 1 1 0 1
tc qdisc replace dev swp3 parent 1:3 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1000 bandwidth 34359mbit probability 1 ecn
# swp4: P2P_be-leaf-su2-r2_swp3, 20m
dcb app replace dev swp4 dscp-prio 0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:0 10:0 11:0 12:0 13:0 14:0 15:0 16:0 17:0 18:0 19:0 20:0 21:0 22:0 23:0 24:0 25:0 26:3 27:0 28:0 29:0 30:0 31:0 32:0 33:0 34:0 35:0 36:0 37:0 38:0 39:0 40:0 41:0 42:0 43:0 44:0 45:0 46:0 47:0 48:6 49:0 50:0 51:0 52:0 53:0 54:0 55:0 56:0 57:0 58:0 59:0 60:0 61:0 62:0 63:0
dcb ets set dev swp4 prio-tc 0:0 1:1 2:2 3:3 4:4 5:5 6:6 7:7 tc-tsa all:ets 6:strict tc-bw all:0 0:50 3:50
dcb pfc set dev swp4 prio-pfc all:off 3:on
dcb buffer set dev swp4 prio-buffer 0:0 1:0 2:0 3:3 4:0 5:0 6:0 7:0 buffer-size 3:86436
tc qdisc replace dev swp4 root handle 1: ets bands 3 strict 1 quanta 50000 50000 priomap 1 1 1 2 1 1 0 1
tc qdisc replace dev swp4 parent 1:3 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1000 bandwidth 34359mbit probability 1 ecn
