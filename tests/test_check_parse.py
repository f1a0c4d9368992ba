"""Parse-back: the facts read from every rendered file equal what the Design says was rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aifab.catalog import eos_mmu
from aifab.check.parse import OWN_WEIGHT, POOL_THRESHOLD, _shares, parse_build
from aifab.check.parse import text as text_module
from aifab.check.parse.eos import DEVICE, SYNTAX, speed
from aifab.check.parse.eos import parse as parse_eos
from aifab.check.parse.facts import DeviceFacts
from aifab.check.parse.frr import parse as parse_frr
from aifab.check.parse.text import CIDR, MASK, all_match, as_list, cidr, run_ttp, run_ttp_shared, split
from aifab.design.model import Design
from aifab.pipeline import build

ROOT = Path(__file__).parents[1]


def _built(intent: Path, out: Path) -> tuple[Design, dict[str, DeviceFacts]]:
    design = build(intent, out, check=False).design
    facts, unreadable = parse_build(design, out / "configs", jobs=1)
    assert unreadable == {}
    return design, facts


@pytest.fixture(scope="module", params=["eos", "frr", "sonic"])
def platform_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Design, dict[str, DeviceFacts]]:
    """intent/cluster.yaml (EOS), intent/lab.yaml (frr) and the lab on SONiC, parsed back."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "eos":
        return "eos", *_built(ROOT / "intent" / "cluster.yaml", tmp / "build")
    intent = tmp / "lab.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", f"platform: {request.param}}}"))
    return request.param, *_built(intent, tmp / "build")


def test_every_device_is_parsed_on_its_platform(platform_build: tuple[str, Design, dict[str, DeviceFacts]]) -> None:
    platform, design, facts = platform_build
    assert sorted(facts) == sorted(d.name for d in design.devices())
    assert {f.platform for f in facts.values()} == {platform}
    assert all(f.hostname == name for name, f in facts.items())


def test_interfaces_match_the_design(platform_build: tuple[str, Design, dict[str, DeviceFacts]]) -> None:
    _, design, facts = platform_build
    for dev in design.devices():
        f = facts[dev.name]
        assert f.loopback == dev.loopback
        for p in dev.ports:
            i = f.interfaces[p.name]
            assert (i.address, i.mtu, i.speed, i.description) == (p.address, p.mtu, p.speed, p.description), (dev.name, p.name)


def test_bgp_matches_the_design(platform_build: tuple[str, Design, dict[str, DeviceFacts]]) -> None:
    _, design, facts = platform_build
    for dev in design.devices():
        bgp = facts[dev.name].bgp
        assert bgp is not None
        assert (bgp.asn, bgp.router_id, bgp.maximum_paths) == (dev.asn, dev.loopback, dev.max_paths)
        assert {a: n.remote_as for a, n in bgp.neighbors.items()} == {n.peer_address: n.peer_asn for n in dev.neighbors}
        assert {n.group for n in bgp.neighbors.values()} == {n.group for n in dev.neighbors}
        advertised = facts[dev.name].advertised()
        fabric = design.backend if dev.fabric == "backend" else design.frontend
        assert fabric.loopbacks in advertised
        assert set(dev.server_subnets) <= set(advertised)


def test_qos_matches_the_policy(platform_build: tuple[str, Design, dict[str, DeviceFacts]]) -> None:
    platform, design, facts = platform_build
    checked = 0
    for dev in design.devices():
        q = dev.qos
        assert q is not None
        for p in dev.ports:
            i = facts[dev.name].interfaces[p.name]
            assert i.pfc == frozenset(q.lossless_priorities)
            assert i.dscp_to_tc == dict(enumerate(q.dscp_to_tc))
            assert i.strict == frozenset(q.tc_to_queue[t] for t in q.strict_tcs)
            if q.ecn is not None:
                assert {k: (e.min_bytes, e.max_bytes) for k, e in i.ecn.items()} == \
                    {k: (q.ecn.min_bytes, q.ecn.max_bytes) for k in q.ecn_queues}
            if p.buffer is not None:
                checked += 1
                size = dev.buffers.pg_headroom_bytes if platform == "eos" and dev.buffers else p.buffer.size
                # EOS states headroom only in the Trident MMU dialect (docs/sources.md#catalog-asics)
                stated = platform != "eos" or eos_mmu(dev.asic)
                assert {pg: h.size for pg, h in i.headroom.items()} == (dict.fromkeys(p.buffer.pgs, size) if stated else {})
                assert i.watchdog is (None if platform == "frr" else True)
    assert checked > 0


EOS_SNIPPET = """hostname sw1
interface Ethernet1
   mtu 9000
   speed forced 25gfull
   no switchport
   ip address 10.0.0.0/31
interface Ethernet2
   shutdown
   speed forced 10000full
   ip address 10.0.0.2/31
router bgp 65001
   router-id 10.255.0.1
   neighbor SPINES peer group
   neighbor SPINES remote-as 65000
   neighbor 10.0.0.1 peer group SPINES
   neighbor 10.0.0.3 peer group SPINES
   neighbor 10.0.0.3 remote-as 65100
   network 10.9.0.0/24
"""


def test_eos_parser_on_handwritten_text() -> None:
    (f,) = parse_eos([("sw1", ("sw1.cfg",), {"cfg": EOS_SNIPPET})])
    e1, e2 = f.interfaces["Ethernet1"], f.interfaces["Ethernet2"]
    assert (e1.mtu, e1.speed, e1.shutdown) == (9000, 25, False)
    assert (e2.mtu, e2.speed, e2.shutdown) == (1500, 10, True)  # EOS default MTU when no mtu line
    assert f.bgp is not None and f.bgp.groups == {"SPINES": 65000}
    assert {a: (n.remote_as, n.group) for a, n in f.bgp.neighbors.items()} == {
        "10.0.0.1": (65000, "SPINES"),  # inherited from the peer group
        "10.0.0.3": (65100, "SPINES"),  # its own remote-as wins
    }
    assert f.advertised() == ["10.9.0.0/24"]
    assert f.interfaces["Ethernet1"].pfc == frozenset() and f.interfaces["Ethernet1"].dscp_to_tc is None


@pytest.mark.parametrize(("setting", "gbps"), [("400g-8", 400), ("100g-4", 100), ("forced 25gfull", 25),
                                               ("forced 10000full", 10), ("auto", None)])
def test_eos_speed_keywords(setting: str, gbps: int | None) -> None:
    assert speed(setting) == gbps


EOS_UNUSUAL = """interface Ethernet1
   mtu 9000
   ip address 10.0.0.0/31
   description after the address
interface Ethernet2
   description two
   ipv6 enable
   ip address 10.0.0.2/31
interface Ethernet3
   ip address 10.9.9.9/31 secondary
   ip address 10.0.0.4/31
interface Ethernet4
   ip address dhcp
!
router bgp 65001
   neighbor 10.0.0.1 remote-as external
   neighbor 10.0.0.1 description some peer
   neighbor 10.0.0.3 remote-as 65100
hostname sw2
"""


def test_eos_lines_in_unusual_places_are_still_read() -> None:
    """What the naming expressions do not take stays in the interface body, where ttp reads it."""
    (f,) = parse_eos([("sw2", ("sw2.cfg",), {"cfg": EOS_UNUSUAL})])
    got = {i.name: (i.address, i.mtu, i.description) for i in f.interfaces.values()}
    assert got == {
        "Ethernet1": ("10.0.0.0/31", 9000, "after the address"),
        "Ethernet2": ("10.0.0.2/31", 1500, "two"),
        "Ethernet3": ("10.0.0.4/31", 1500, None),  # the primary, not the secondary
        "Ethernet4": (None, 1500, None),  # no IPv4 prefix configured
    }
    assert f.hostname == "sw2"
    assert f.bgp is not None and {a: n.remote_as for a, n in f.bgp.neighbors.items()} == {"10.0.0.1": -1, "10.0.0.3": 65100}


EOS_PROFILES = """qos profile LOSSLESS
   qos trust dscp
   priority-flow-control on
   priority-flow-control priority 3 no-drop
   !
   tx-queue 3
      random-detect ecn minimum-threshold 500 kbytes maximum-threshold 1500 kbytes max-mark-probability 20
   !
   tx-queue 6
      priority strict
!
qos profile LOSSY
   qos trust dscp
!
qos map dscp 26 to traffic-class 3
!
interface Ethernet1
   mtu 9000
   ip address 10.0.0.0/31
   service-profile LOSSLESS
!
interface Ethernet2
   ip address 10.0.0.2/31
   service-profile LOSSY
!
interface Ethernet3
   ip address 10.0.0.4/31
   service-profile NOSUCH
!
interface Ethernet4
   ip address 10.0.0.6/31
   service-profile LOSSLESS2
!
hostname sw3
"""


def test_eos_ports_hold_the_qos_profile_they_apply() -> None:
    """A port's ``service-profile`` gives it that profile's settings (and no other's, though one
    profile's name begins another's); a profile the file does not define gives it none."""
    (f,) = parse_eos([("sw3", ("sw3.cfg",), {"cfg": EOS_PROFILES})])
    e1, e2, e3, e4 = (f.interfaces[f"Ethernet{i}"] for i in range(1, 5))
    assert (e1.pfc, e1.strict, sorted(e1.ecn), e1.dscp_to_tc) == (frozenset({3}), frozenset({6}), [3], {26: 3})
    assert e1.ecn[3].min_bytes == 500_000 and e1.ecn[3].max_bytes == 1_500_000
    assert (e1.mtu, e1.address) == (9000, "10.0.0.0/31")
    assert (e2.pfc, e2.ecn, e2.dscp_to_tc) == (frozenset(), {}, {26: 3})
    for port in (e3, e4):
        assert (port.pfc, port.ecn, port.dscp_to_tc) == (frozenset(), {}, None)
    assert (e3.address, e4.address) == ("10.0.0.4/31", "10.0.0.6/31")


def _qos_switch(name: str, tc: int, watchdog: bool) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """An EOS switch with one lossless port (the same body on every switch) under its own DSCP map and watchdog."""
    return name, (f"{name}.cfg",), {"cfg": (
        f"hostname {name}\nqos map dscp 26 to traffic-class {tc}\n"
        + ("priority-flow-control pause watchdog default timeout 0.2\n" if watchdog else "")
        + "!\ninterface Ethernet1\n   mtu 9000\n   qos trust dscp\n   priority-flow-control on\n"
          "   priority-flow-control priority 3 no-drop\n   ip address 10.0.0.0/31\n")}


def test_eos_ports_take_their_own_switchs_globals_in_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port body's values are kept per set of global settings (DSCP map, watchdog, MMU) and shared by
    the switches with the same, in a batch and across batches: a switch with other globals never
    gets its peers' values."""
    from aifab.check.parse import eos

    monkeypatch.setattr(text_module, "_READ", {})
    monkeypatch.setattr(eos, "_GLOBALS", {})
    monkeypatch.setattr(eos, "_PORTS", {})
    first = parse_eos([_qos_switch("a", 3, True), _qos_switch("b", 4, True), _qos_switch("c", 3, False)])
    second = parse_eos([_qos_switch("c2", 3, False), _qos_switch("a2", 3, True)])
    ports = {f.device: f.interfaces["Ethernet1"] for f in first + second}
    assert {d: (p.dscp_to_tc, p.watchdog, p.watchdog_priorities) for d, p in ports.items()} == {
        "a": ({26: 3}, True, frozenset({3})), "b": ({26: 4}, True, frozenset({3})),
        "c": ({26: 3}, False, frozenset()), "c2": ({26: 3}, False, frozenset()), "a2": ({26: 3}, True, frozenset({3}))}
    assert ports["a2"].dscp_to_tc is ports["a"].dscp_to_tc  # one value for the switches with the same globals
    assert len(eos._GLOBALS) == 3


def test_loop_knobs_are_read_from_every_router_bgp_block() -> None:
    """The neighbors' AS-path loop knobs (the deadlock proof reads them) come from the ``router bgp``
    blocks, global and address-family lines, every such block (a VRF's too): the parser reads them
    there instead of scanning the whole file."""
    from aifab.check.parse.frr import SYNTAX as FRR_SYNTAX

    eos_text = ("hostname s1\ninterface Ethernet1\n   ip address 10.0.0.0/31\n!\nrouter bgp 65000\n"
                "   neighbor LEAFS peer group\n   neighbor LEAFS allowas-in 3\n   neighbor 10.0.0.1 peer group LEAFS\n"
                "   !\n   address-family ipv4\n      neighbor 10.0.0.1 as-override\n!\nend\n")
    frr_text = ("hostname s1\n!\nrouter bgp 65000\n neighbor 10.0.0.1 remote-as 65001\n !\n address-family ipv4 unicast\n"
                "  neighbor 10.0.0.1 allowas-in 1\n exit-address-family\nexit\n!\nrouter bgp 65000 vrf X\n"
                " neighbor 10.0.0.1 remote-as 65001\n neighbor 10.0.0.1 remove-private-AS\nexit\n")
    assert split(eos_text, SYNTAX, {}).knobs == {"LEAFS": frozenset({"allowas-in"}), "10.0.0.1": frozenset({"as-override"})}
    assert split(frr_text, FRR_SYNTAX, {}).knobs == {"10.0.0.1": frozenset({"allowas-in", "remove-private-as"})}
    (f,) = parse_eos([("s1", ("s1.cfg",), {"cfg": eos_text})])
    assert f.loop_knobs == {"LEAFS": frozenset({"allowas-in"}), "10.0.0.1": frozenset({"as-override"})}


@pytest.mark.parametrize("platforms", [("eos", "eos"), ("frr", "sonic")])
def test_parser_processes_give_the_same_facts_as_one(tmp_path: Path, platforms: tuple[str, str]) -> None:
    """intent/cluster.yaml grown to 5 SUs (over POOL_THRESHOLD switches: parser processes start) with its
    backend and frontend on ``platforms``: facts parsed in a forked process cross back as tuples and come out equal."""
    backend, frontend = platforms
    text = (ROOT / "intent" / "cluster.yaml").read_text().replace("servers: 128\n", "servers: 160\n")
    head, _, tail = text.partition("frontend:")
    intent = tmp_path / "cluster.yaml"
    intent.write_text(head.replace("platform: eos}", f"platform: {backend}}}") + "frontend:"
                      + tail.replace("platform: eos}", f"platform: {frontend}}}"))
    design = build(intent, tmp_path / "build", check=False).design
    assert len(design.devices()) >= POOL_THRESHOLD
    one, bad_one = parse_build(design, tmp_path / "build" / "configs", jobs=1)
    two, bad_two = parse_build(design, tmp_path / "build" / "configs", jobs=2)
    assert bad_one == bad_two == {}
    assert list(two) == list(one) == [d.name for d in design.devices()]
    assert {f.platform for f in two.values()} == set(platforms)
    assert two == one


def test_shared_chunks_parse_as_the_whole_text() -> None:
    """run_ttp_shared's per-chunk cache gives what ttp gives for each device's whole text."""
    devices = [[f"hostname sw{i}\n", "qos map dscp 26 to traffic-class 3\nqos map dscp 48 to traffic-class 6\n",
                f"router bgp {65000 + i}\n   router-id 10.0.0.{i}\n"] for i in range(3)]
    devices[2][1] = "qos map dscp 26 to traffic-class 4\n"  # this device's map is its own
    shared = run_ttp_shared(DEVICE, devices)
    whole = run_ttp(DEVICE, ["".join(chunks) for chunks in devices])
    assert shared == whole
    assert [len(as_list(r["dscp_maps"])) for r in shared] == [2, 2, 1]


def test_a_chunk_read_in_an_earlier_batch_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_ttp_shared gives ttp only the texts no batch before gave it, with the same results."""
    read: list[str] = []
    real = text_module.run_ttp

    def counting(template: str, texts: list[str]) -> list[dict[str, Any]]:
        read.extend(texts)
        return real(template, texts)

    monkeypatch.setattr(text_module, "_READ", {})
    monkeypatch.setattr(text_module, "run_ttp", counting)
    qos = "qos map dscp 26 to traffic-class 3\n"
    first = run_ttp_shared(DEVICE, [["hostname a\n", qos], ["hostname b\n", qos]])
    assert qos in read and "hostname a\n" in read
    read.clear()
    second = run_ttp_shared(DEVICE, [["hostname a\n", qos], ["hostname c\n", qos]])
    assert read == ["hostname c\n"]  # the rest was read in the first batch
    assert second[0] == first[0] and second[1]["system"] == {"hostname": "c"}
    assert second == run_ttp(DEVICE, ["hostname a\n" + qos, "hostname c\n" + qos])


def _leaf(i: int) -> str:
    """An EOS leaf's text whose hostname, ASN, router ID, aggregate and prefix-list prefix are its own."""
    return (f"hostname leaf{i}\n!\nip prefix-list PL-SERVERS\n   seq 10 permit 10.8.{i}.0/26 le 31\n!\n"
            f"router bgp {65000 + i}\n   router-id 10.0.0.{i}\n   maximum-paths 4\n   neighbor SPINES peer group\n"
            f"   neighbor 10.1.{i}.1 peer group SPINES\n   neighbor 10.1.{i}.1 remote-as 65100\n"
            f"   aggregate-address 10.8.{i}.0/26 summary-only\n!\nend\n")


def test_values_of_one_device_are_masked_so_that_its_chunks_are_the_same_as_its_peers() -> None:
    """Two leaves that differ only in their own values (hostname, ASN, router ID, aggregate, prefix)
    give ttp the same chunks (read once per batch), and each parses back with its own values."""
    one, two = (split(_leaf(i), SYNTAX, {}) for i in (1, 2))
    assert one.chunks == two.chunks
    assert all(MASK in chunk for chunk in one.chunks)
    assert one.masked == ["leaf1", "10.8.1.0/26", "65001", "10.0.0.1", "10.8.1.0/26"]
    facts = parse_eos([(f"leaf{i}", (f"leaf{i}.cfg",), {"cfg": _leaf(i)}) for i in (1, 2)])
    for i, f in enumerate(facts, 1):
        assert f.hostname == f"leaf{i}"
        assert f.bgp is not None and f.bgp.asn == 65000 + i and f.bgp.router_id == f"10.0.0.{i}"
        assert f.bgp.networks == [f"10.8.{i}.0/26"]
        assert f.prefix_lists == {"PL-SERVERS": [f"10.8.{i}.0/26"]}
        assert f.bgp.neighbors[f"10.1.{i}.1"].remote_as == 65100


def test_a_text_holding_the_mask_is_read_as_it_is() -> None:
    """A block that holds :data:`MASK` itself is given to ttp unmasked: nothing of it is put back wrongly."""
    text = _leaf(3).replace("hostname leaf3", f"hostname leaf{MASK}0")
    cut = split(text, SYNTAX, {})
    assert cut.chunks[0] == f"hostname leaf{MASK}0\n"
    (facts,) = parse_eos([("leaf3", ("leaf3.cfg",), {"cfg": text})])
    assert facts.hostname == f"leaf{MASK}0"
    assert facts.bgp is not None and facts.bgp.asn == 65003


def test_devices_are_dealt_once_with_the_larger_share_here() -> None:
    by_platform = {"eos": [f"e{i}" for i in range(100)], "frr": [f"f{i}" for i in range(3)]}
    shares = _shares(by_platform, 2)
    for platform, devices in by_platform.items():
        dealt = [d for share in shares for p, devs in share if p == platform for d in devs]
        assert sorted(dealt) == sorted(devices)
    own, other = (sum(len(devs) for _, devs in share) for share in shares)
    assert own > other
    assert own / other == pytest.approx(OWN_WEIGHT, rel=0.1)


FRR_CONF_TEXT = """hostname r1
interface swp1
 ip address 10.0.0.0/31
 description after the address
exit
interface swp2
 shutdown
 ip address 10.0.0.2/31
exit
router bgp 65001
 neighbor SPINES peer-group
 neighbor SPINES remote-as 65000
 neighbor 10.0.0.1 peer-group SPINES
 neighbor 10.0.0.3 remote-as 65100
 neighbor 10.0.0.3 description spine2
exit
"""
LINKS_SH = """#!/bin/sh
ip link set dev swp1 mtu 9216
ip link set dev swp2 mtu 9000
ip link set dev swp3 up
"""
QOS_SH = """# swp1: a comment that says dev nothing
dcb pfc set dev swp2 prio-pfc all:off 3:on
dcb pfc set dev swp1 prio-pfc all:off 3:on
dcb pfc set dev swp9 prio-pfc all:off 4:on
"""


def test_frr_files_read_per_port_whatever_their_order() -> None:
    """A port's shell lines may be spread over links.sh and qos.sh in any order; a port named only in
    a line SHELL does not read (``up``) gets no interface; a port only in qos.sh gets one."""
    (f,) = parse_frr([("r1", ("r1.frr.conf", "r1.links.sh", "r1.qos.sh"),
                       {"frr.conf": FRR_CONF_TEXT, "links.sh": LINKS_SH, "qos.sh": QOS_SH})])
    got = {i.name: (i.address, i.description, i.shutdown, i.mtu, i.pfc) for i in f.interfaces.values()}
    assert got == {
        "swp1": ("10.0.0.0/31", "after the address", False, 9216, frozenset({3})),
        "swp2": ("10.0.0.2/31", None, True, 9000, frozenset({3})),
        "swp9": (None, None, False, None, frozenset({4})),
    }
    assert f.bgp is not None and {a: (n.remote_as, n.group) for a, n in f.bgp.neighbors.items()} == {
        "10.0.0.1": (65000, "SPINES"), "10.0.0.3": (65100, None)}


def test_sonic_fpm_lines_are_read_past() -> None:
    """SONiC's frr.conf carries ``fpm address``/``no fpm use-next-hop-groups``: the parser takes
    the same facts (hostname, BGP) with them as without them."""
    from aifab.check.parse.sonic import parse as parse_sonic

    golden = ROOT / "tests" / "golden" / "sonic" / "configs"
    texts = {s: (golden / f"be-spine1.{s}").read_text() for s in ("frr.conf", "config_db.json")}
    fpm = "fpm address 127.0.0.1\nno fpm use-next-hop-groups\n"
    assert fpm in texts["frr.conf"]
    files = ("be-spine1.frr.conf", "be-spine1.config_db.json")
    (with_fpm,) = parse_sonic([("be-spine1", files, texts)])
    (without,) = parse_sonic([("be-spine1", files, {**texts, "frr.conf": texts["frr.conf"].replace(fpm, "")})])
    assert with_fpm == without and with_fpm.hostname == "be-spine1"
    assert with_fpm.bgp is not None and len(with_fpm.bgp.neighbors) == 4


@pytest.mark.parametrize(("values", "expected"), [
    ([], True), (["10.0.0.0/31", "1.2.3.4/32"], True), (["10.0.0.0/31", "x"], False),
    (["10.0.0.0/31\n10.0.0.2/31"], False), ([""], False), (["10.0.0.300/31"], False), (["10.0.0.0/33"], False)],
    ids=["none", "all", "one-not", "two-in-one", "empty", "octet", "length"])
def test_all_match_is_every_value_matching_whole(values: list[str], expected: bool) -> None:
    """One expression over every value: each whole, one per line (a value holding a newline is not one)."""
    assert all_match(CIDR, values) is expected
    assert all(cidr(v) is not None for v in values) is expected, "the same as a call per value"

