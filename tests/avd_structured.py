"""An EOS device's render view as Arista AVD's structured config (``eos_cli_config_gen``'s input), so
that AVD, Arista's own EOS config generator, renders the same settings for a cross-check of aifab's
EOS syntax (no EOS switch runs here). Test-only: aifab renders with its own templates."""

from __future__ import annotations

from typing import Any

from aifab.render.view import DeviceView


def _access(d: DeviceView) -> dict[str, Any]:
    a, vrf, mgmt = d.access, d.management.vrf, d.management.name
    out: dict[str, Any] = {
        "local_users": [{"name": u.name, "privilege": u.privilege, "role": u.role,
                         **({"sha512_password": u.password} if u.password else {"no_password": True}),
                         **({"ssh_key": u.ssh_key} if u.ssh_key else {})} for u in a.users],
        "aaa_authorization": {"exec": {"default": " ".join([*(f"group {g}" for g in a.login_groups),
                                                             *(["local"] if a.local_fallback else [])])}},
        "management_ssh": {"enable": True, "vrfs": [{"name": vrf, "enable": True}]},
    }
    if a.login_groups:
        out["aaa_authentication"] = {"login": {"default": out["aaa_authorization"]["exec"]["default"]}}
    if a.syslog:
        out["logging"] = {"vrfs": [{"name": vrf, "source_interface": mgmt, "hosts": [{"name": h} for h in a.syslog]}]}
    if a.tacacs:
        out["tacacs_servers"] = {"hosts": [{"host": h, "vrf": vrf, "key": a.tacacs_key, "key_type": "0"} for h in a.tacacs]}
        out["ip_tacacs_source_interfaces"] = [{"name": mgmt, "vrf": vrf}]
    if a.radius:
        out["radius_server"] = {"vrfs": [{"name": vrf, "servers": [{"host": h, "key": a.radius_key, "key_type": "0"}
                                                                   for h in a.radius]}]}
        out["ip_radius_source_interfaces"] = [{"name": mgmt, "vrf": vrf}]
    if a.ntp:
        out["ntp"] = {"local_interface": {"name": mgmt, "vrf": vrf}, "vrf": vrf,
                      "servers": [{"name": h, "iburst": True} for h in a.ntp]}
    if a.snmp:
        snmp: dict[str, Any] = {"vrfs": [{"name": vrf, "enable": True}]}
        if a.snmp_contact:
            snmp["contact"] = a.snmp_contact
        if a.snmp_location:
            snmp["location"] = a.snmp_location
        if a.snmp_community:
            snmp["communities"] = [{"name": a.snmp_community, "access": "ro"}]
        if a.snmp_users:
            snmp["groups"] = [{"name": "AIFAB-RO", "version": "v3", "authentication": "priv"}]
            snmp["users"] = [{"name": u.name, "group": "AIFAB-RO", "version": "v3", "auth": "sha", "auth_passphrase": u.auth,
                              "priv": "aes", "priv_passphrase": u.priv} for u in a.snmp_users]
        out["snmp_server"] = snmp
    if a.api:
        out["management_api_http"] = {"enable_https": True, "enable_vrfs": [{"name": vrf}]}
    if a.gnmi:
        out["management_api_gnmi"] = {"transport": {"grpc": [{"name": vrf, "vrf": vrf}]}}
    return out


def _qos(d: DeviceView) -> dict[str, Any]:
    q, n = d.qos, d.native
    if q is None:
        return {}
    queues = []
    for t in q.tx_queues:
        queue: dict[str, Any] = {"id": t.id, "priority": "priority strict" if t.strict else "no priority"}
        if not t.strict:
            queue["bandwidth_percent"] = t.weight
        if t.ecn:
            queue["random_detect"] = {"ecn": {"threshold": {"units": "kbytes", "min": n.ecn_min_kbytes, "max": n.ecn_max_kbytes,
                                                            "max_probability": q.ecn.probability}}}  # type: ignore[union-attr]
        queues.append(queue)
    profile: dict[str, Any] = {"name": n.qos_profile, "trust": "dscp", "tx_queues": queues}
    if q.lossless:
        profile["priority_flow_control"] = {"enabled": True,
                                            "priorities": [{"priority": p, "no_drop": True} for p in q.pfc_priorities]}
    out: dict[str, Any] = {"qos_profiles": [profile],
                           "qos": {"map": {"dscp": [f"{g.dscps} to traffic-class {g.tc}" for g in n.dscp_groups]}}}
    if q.watchdog:
        out["priority_flow_control"] = {"watchdog": {"action": n.watchdog_action, "timeout": str(n.watchdog_timeout_s),
                                                     "recovery_time": str(n.watchdog_recovery_s),
                                                     "polling_interval": str(n.watchdog_polling_s)}}
    return out


def _platform(d: DeviceView) -> dict[str, Any]:
    """The Trident MMU profile, the ECMP hashing AVD has a key for, and the telemetry agents."""
    n, lb, t, out = d.native, d.load_balance, d.telemetry, {}
    if n is not None and n.mmu:
        ingress: dict[str, Any] = {"priority_groups": [{"id": pg.id, "threshold": pg.threshold} for pg in n.priority_groups]}
        if d.qos is not None and d.qos.lossless:
            ingress |= {"headroom": {"memory": n.headroom}, "resume": n.resume}
        out["platform"] = {"trident": {"mmu": {
            "active_profile": n.profile, "headroom_pool": {"limit": n.headroom_pool_limit},  # bytes: AVD's and EOS's default
            "queue_profiles": [{"name": n.profile, "ingress": ingress,
                                "unicast_queues": [{"id": q.id, "threshold": q.threshold} for q in n.unicast_queues]}]}}}
    if lb is not None and lb.eos_sand and lb.roce_qp:  # AVD's sand profile has the UDP payload fields only
        out["load_balance"] = {"policies": {"sand_profiles": [
            {"name": "default", "fields": {"udp": {"dst_port": lb.roce_udp_port, "payload_bytes": str(lb.qp_bytes)}}}]}}
    if lb is not None and lb.dynamic:
        out["ip_hardware"] = {"fib": {"load_balance_distribution": {"dynamic": {"enabled": True}}}}
    if t.sflow:
        out["sflow"] = {"sample": t.sample_rate, "polling_interval": t.polling_s, "run": True,
                        "vrfs": [{"name": d.management.vrf, "source_interface": d.management.name,
                                  "destinations": [_destination(dest) for dest in t.destinations]}]}
    if t.queue_monitor:
        out["queue_monitor_length"] = {"enabled": True}
    return out


def _destination(dest: str) -> dict[str, Any]:
    """An sFlow destination ("10.0.0.1" or "10.0.0.1 6344") as AVD's."""
    host, _, port = dest.partition(" ")
    return {"destination": host, **({"port": int(port)} if port else {})}


def _routing(d: DeviceView) -> dict[str, Any]:
    b, m = d.bgp, d.maintenance
    bgp: dict[str, Any] = {
        "as": str(b.asn), "router_id": b.router_id,
        "bgp": {"default": {"ipv4_unicast": False}},
        "bgp_defaults": ["bgp bestpath as-path multipath-relax"],
        "graceful_restart": {"enabled": True, "restart_time": b.restart_time},
        "maximum_paths": {"paths": b.max_paths},
        "peer_groups": [{"name": g.name, **({"bfd": True} if b.bfd else {}), "send_community": "all"} for g in b.peer_groups],
        "neighbors": [{"ip_address": n.peer_address, "peer_group": n.group, "remote_as": str(n.peer_asn),
                       "description": n.peer} for n in b.neighbors],
        "aggregate_addresses": [{"prefix": a, "summary_only": True} for a in b.aggregates],
        "redistribute": {"connected": {"enabled": True, "route_map": b.redistribute_route_map}},
        "address_family_ipv4": {"peer_groups": [{"name": g.name, "activate": True} for g in b.peer_groups]},
    }
    if b.timers:
        bgp["timers"] = {"keepalive_time": b.timers[0], "hold_time": b.timers[1]}
    return {
        "router_bgp": bgp,
        "prefix_lists": [{"name": p.name, "sequence_numbers": [
            {"sequence": e.seq, "action": " ".join([e.action, e.prefix, *([f"ge {e.ge}"] if e.ge is not None else []),
                                                    *([f"le {e.le}"] if e.le is not None else [])])} for e in p.entries]}
            for p in d.prefix_lists],
        "route_maps": [{"name": r.name, "sequence_numbers": [
            {"sequence": e.seq, "type": e.action,
             **({"match": [f"ip address prefix-list {e.match_prefix_list}"]} if e.match_prefix_list else {}),
             **({"set": [*([f"community {e.set_community} additive"] if e.set_community else []),
                         *([f"local-preference {e.set_local_preference}"] if e.set_local_preference is not None else [])]}
                if e.set_community or e.set_local_preference is not None else {})} for e in r.entries]}
            for r in d.route_maps],
        "maintenance": {"bgp_profiles": [{"name": m.profile, "initiator": {"route_map_inout": m.route_map}}],
                        "default_bgp_profile": m.profile},
    }


def structured_config(d: DeviceView) -> dict[str, Any]:
    """``d`` (an EOS device's render view) as AVD's structured config."""
    vrf = d.management.vrf
    profile = d.native.qos_profile if d.qos is not None else None
    return {
        "hostname": d.hostname,
        "service_routing_protocols_model": "multi-agent",
        "spanning_tree": {"mode": "none"},
        "vrfs": [{"name": vrf, "ip_routing": False}],
        "ip_routing": True,
        "ethernet_interfaces": [{"name": i.name, "description": i.description, "shutdown": False, "mtu": i.mtu,
                                 "speed": i.speed, "switchport": {"enabled": False}, "ip_address": i.address,
                                 **({"service_profile": profile} if profile else {})} for i in d.interfaces],
        "loopback_interfaces": [{"name": d.loopback_name, "description": "ROUTER_ID", "ip_address": d.loopback}],
        "management_interfaces": [{"name": d.management.name, "description": "oob_management", "vrf": vrf,
                                   "ip_address": d.management.address}],
        "static_routes": [{"vrf": vrf, "prefix": "0.0.0.0/0", "next_hop": d.management.gateway}],
        **_access(d), **_qos(d), **_platform(d), **_routing(d),
    }
