"""Mutation tests: break a rendered file the way a rule guards against; exactly that rule fires there.

Each build is made once per module by the real pipeline (``build(..., check=False)``: design.json
and configs/); every test copies the rendered configs to its tmp_path, edits one file (as text,
or as JSON for SONiC's config_db.json) and runs the real checks on the copy.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from netaddr.strategy.ipv4 import int_to_str

from aifab.check import all_rules, check, run_checks
from aifab.check.context import ip_int
from aifab.check.rules.addressing import one_p2p
from aifab.design.model import Design, Device, Port
from aifab.pipeline import build

ROOT = Path(__file__).parents[1]


@dataclass(frozen=True)
class Built:
    design: Design
    path: Path

    def device(self, name: str) -> Device:
        return next(d for d in self.design.devices() if d.name == name)

    def port(self, device: str, role: str) -> Port:
        return next(p for p in self.device(device).ports if p.role == role)


def _build(intent: Path, out: Path) -> Built:
    return Built(build(intent, out, check=False).design, out)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """intent/cluster.yaml: every switch on EOS."""
    return _build(ROOT / "intent" / "cluster.yaml", tmp_path_factory.mktemp("cluster"))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """intent/lab.yaml: every switch on frr (frr.conf, links.sh, qos.sh)."""
    return _build(ROOT / "intent" / "lab.yaml", tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def sonic(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The lab intent with every switch on SONiC (config_db.json + frr.conf)."""
    tmp = tmp_path_factory.mktemp("sonic")
    intent = tmp / "lab-sonic.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: sonic}"))
    return _build(intent, tmp / "build")


@pytest.fixture(scope="module")
def trident(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The lab intent on EOS with a Trident 4 backend: the one ASIC family EOS configures with
    ``platform trident mmu`` (lines the BUF rules read back)."""
    tmp = tmp_path_factory.mktemp("trident")
    intent = tmp / "lab-trident.yaml"
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: eos}")
    intent.write_text(text.replace("max_mtu: 9216, ports: 4, speed: 400G,", "max_mtu: 9216, asic: trident-4, ports: 4, speed: 400G,"))
    return _build(intent, tmp / "build")


def copy_configs(built: Built, tmp_path: Path) -> Path:
    shutil.copytree(built.path / "configs", tmp_path / "configs")
    return tmp_path


def mutate(built: Built, tmp_path: Path, file: str, pattern: str, replacement: str) -> Path:
    """Copy the rendered configs and replace the first match of ``pattern`` (a multiline regex) in ``file``."""
    out = copy_configs(built, tmp_path)
    path = out / "configs" / file
    new, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {file}"
    path.write_text(new)
    return out


def mutate_json(built: Built, tmp_path: Path, file: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Copy the rendered configs and edit one config_db.json through ``edit``."""
    out = copy_configs(built, tmp_path)
    path = out / "configs" / file
    db = json.loads(path.read_text())
    edit(db)
    path.write_text(json.dumps(db, indent=4, sort_keys=True))
    return out


def block(interface: str) -> str:
    """Regex prefix that stays inside one interface block (``\\g<1>`` keeps it)."""
    return rf"(^interface {interface}\n(?:[ ]+.*\n)*?)"


def own_qos(b: Built, device: str, interface: str, pattern: str, replacement: str) -> tuple[str, str]:
    """(pattern, replacement) giving ``interface`` of ``device`` its QoS as lines of its own instead of
    the switch's ``qos profile``, with ``pattern`` replaced by ``replacement`` in them (EOS takes QoS
    lines on a port as it takes them in a profile)."""
    text = (b.path / "configs" / f"{device}.cfg").read_text()
    name, lines = re.search(r"^qos profile (\S+)\n((?:   .*\n)*)", text, re.M).groups()  # type: ignore[union-attr]
    mutated, count = re.subn(pattern, replacement, lines, count=1, flags=re.M)
    assert count == 1, f"{pattern!r} not found in qos profile {name}"
    return block(interface) + rf"   service-profile {name}\n", r"\g<1>" + mutated.replace("\\", "\\\\")


def fired(design: Design, build_dir: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Rule ids that fired, and (device, subject) pairs named."""
    findings = run_checks(design, build_dir)
    return {f.rule for f in findings}, {(f.device, f.subject) for f in findings}


def test_clean_lab_build_has_no_findings(lab: Built) -> None:
    assert run_checks(lab.design, lab.path) == []


def test_clean_cluster_build_has_no_findings(cluster: Built) -> None:
    assert run_checks(cluster.design, cluster.path) == []


def test_clean_sonic_build_has_no_findings(sonic: Built) -> None:
    assert run_checks(sonic.design, sonic.path) == []


# ---------------------------------------------------------------- EOS (intent/cluster.yaml)

LEAF, LEAF2 = "be-leaf-su1-r1", "be-leaf-su1-r2"


def eos_case(b: Built, rule_id: str) -> tuple[str, str, str, str, tuple[str, str]]:
    """(file, pattern, replacement, (device, subject) that must be named) breaking ``rule_id`` on EOS."""
    r1, r2 = b.device(LEAF), b.device(LEAF2)
    up, srv, srv2 = b.port(LEAF, "uplink"), b.port(LEAF, "server"), b.port(LEAF2, "server")
    fe_servers = b.design.frontend.servers
    fe_peer = b.design.frontend.devices[0].ports[-1].address.partition("/")[0]
    f1, f2 = f"{LEAF}.cfg", f"{LEAF2}.cfg"
    return {
        "BGP001": (f1, r"^(router bgp .*\n)", r"\g<1>   neighbor 10.99.0.1 remote-as 4200000000\n", (LEAF, "10.99.0.1")),
        "BGP002": (f1, rf"^   neighbor {up.peer_address} remote-as \d+", f"   neighbor {up.peer_address} remote-as 4200000099",
                   (LEAF, up.peer_address)),
        "BGP003": (f1, rf"^   neighbor {up.peer_address} peer group SPINES\n   neighbor {up.peer_address} remote-as \d+\n", "",
                   (LEAF, up.peer_address)),
        "BGP004": (f2, rf"^   router-id {r2.loopback}$", f"   router-id {r1.loopback}", (LEAF2, "")),
        "BGP005": (f1, r"^   maximum-paths \d+", "   maximum-paths 16", (LEAF, "")),
        "ADDR001": (f2, rf"^   ip address {r2.loopback}/32", f"   ip address {r1.loopback}/32", (LEAF2, "")),
        "ADDR002": (f2, rf"^   ip address {srv2.address}$", f"   ip address {srv.address}", (LEAF2, srv2.name)),
        "ADDR003": (f1, rf"^   ip address {up.address}$", f"   ip address {up.address[:-3]}/30", (LEAF, up.name)),
        "MTU001": (f1, block(up.name) + r"   mtu \d+", r"\g<1>   mtu 9000", (LEAF, up.name)),
        "MTU002": (f1, block(srv.name) + r"   mtu \d+", r"\g<1>   mtu 1500", (LEAF, srv.name)),
        "ISO002": (f1, r"^(   seq 10 permit \S+ le 31\n)", rf"\g<1>   seq 20 permit {fe_servers}\n", (LEAF, fe_servers)),
        "ISO003": (f1, r"^(router bgp .*\n)", rf"\g<1>   neighbor {fe_peer} remote-as 4200100001\n", (LEAF, fe_peer)),
        "TOPO001": (f1, block(up.name) + r"   speed \S+", r"\g<1>   speed 200g-8", (LEAF, "")),
        "CFG002": (f1, r"^hostname .*$", "hostname be-leaf-su9-r9", (LEAF, "")),
        "QOS001": (f1, *own_qos(b, LEAF, up.name, r"^   priority-flow-control priority 3 no-drop", "   priority-flow-control priority 4 no-drop"),
                   (LEAF, up.name)),
        "QOS002": (f1, r"^qos map dscp 26 to traffic-class 3$", "qos map dscp 26 to traffic-class 4", (LEAF, "")),
        "QOS003": (f1, *own_qos(b, LEAF, srv.name, r"^(   tx-queue 6\n)      priority strict", r"\g<1>      no priority"), (LEAF, srv.name)),
        "QOS004": (f1, *own_qos(b, LEAF, srv.name, r"^(   tx-queue 3\n(?:      .*\n)*?)      random-detect ecn .*\n", r"\g<1>"),
                   (LEAF, srv.name)),
        "QOS005": (f1, *own_qos(b, LEAF, up.name, r"(      random-detect ecn) minimum-threshold (\d+) kbytes maximum-threshold (\d+) kbytes",
                                r"\g<1> minimum-threshold \g<3> kbytes maximum-threshold \g<2> kbytes"), (LEAF, up.name)),
        "QOS006": (f1, r"^priority-flow-control pause watchdog default timeout .*\n", "", (LEAF, "")),
        "BUF001": (f1, r"^    ingress headroom \d+$", "    ingress headroom 50000", (LEAF, up.name)),
        "BUF002": (f1, r"^platform trident mmu headroom-pool limit \d+$", "platform trident mmu headroom-pool limit 1000",
                   (LEAF, "")),
    }[rule_id]


EOS_RULES = ["BGP001", "BGP002", "BGP003", "BGP004", "BGP005", "ADDR001", "ADDR002", "ADDR003", "MTU001", "MTU002",
             "ISO002", "ISO003", "TOPO001", "CFG002", "QOS001", "QOS002", "QOS003", "QOS004", "QOS005", "QOS006"]


@pytest.mark.parametrize(("a", "b", "same"), [
    ("10.0.0.0/31", "10.0.0.1/31", True), ("10.0.0.1/31", "10.0.0.0/31", True), ("10.0.0.1/31", "10.0.0.2/31", False),
    ("10.0.0.0/31", "10.0.0.0/31", False), ("10.0.0.0/30", "10.0.0.1/30", False), ("10.0.0.0/31", "10.0.0.1/30", False),
    ("10.0.0.0/31", "10.0.1.1/31", False), ("10.0.0.254/31", "10.0.0.255/31", True),
])
def test_one_p2p_is_two_ends_of_one_slash_31(a: str, b: str, same: bool) -> None:
    assert one_p2p(a, b) is same


@pytest.mark.parametrize("rule_id", EOS_RULES)
def test_eos_mutation_fires_exactly_its_rule(cluster: Built, tmp_path: Path, rule_id: str) -> None:
    file, pattern, replacement, where = eos_case(cluster, rule_id)
    rules, named = fired(cluster.design, mutate(cluster, tmp_path, file, pattern, replacement))
    assert rules == {rule_id}
    assert where in named


def test_a_port_naming_an_undefined_qos_profile_is_reported(cluster: Built, tmp_path: Path) -> None:
    """A typo in a port's ``service-profile`` leaves the port without QoS: the QoS rules name it."""
    srv = cluster.port(LEAF, "server")
    out = mutate(cluster, tmp_path, f"{LEAF}.cfg", block(srv.name) + r"   service-profile AIFAB-QOS$",
                 r"\g<1>   service-profile AIFAB-QOS-TYPO")
    findings = run_checks(cluster.design, out)
    assert findings and all(f.rule.startswith("QOS") for f in findings)
    assert {f.rule for f in findings if (f.device, f.subject) == (LEAF, srv.name)} >= {"QOS004"}


@pytest.mark.parametrize("rule_id", ["BUF001", "BUF002"])
def test_eos_mmu_mutation_fires_exactly_its_rule(trident: Built, tmp_path: Path, rule_id: str) -> None:
    """The buffer rules on the lines of EOS's Trident MMU dialect (a Tomahawk EOS switch has none)."""
    assert trident.design.backend.devices[0].asic == "trident-4"
    file, pattern, replacement, where = eos_case(trident, rule_id)
    rules, named = fired(trident.design, mutate(trident, tmp_path, file, pattern, replacement))
    assert rules == {rule_id}
    assert where in named


def test_clean_trident_build_has_no_findings(trident: Built) -> None:
    assert run_checks(trident.design, trident.path) == []


def test_mtu_above_the_model_maximum_fires_mtu003(cluster: Built, tmp_path: Path) -> None:
    """intent/cluster.yaml asks MTU 9216 on 7060X5-64PE leaves; EOS takes at most 9214 (the design clamps).
    A port edited back to 9216 is above the model's maximum: MTU003 names it."""
    up = cluster.port(LEAF, "uplink")
    assert (up.mtu, cluster.device(LEAF).max_mtu) == (9214, 9214)
    out = mutate(cluster, tmp_path, f"{LEAF}.cfg", block(up.name) + r"   mtu \d+", r"\g<1>   mtu 9216")
    findings = run_checks(cluster.design, out)
    assert ("MTU003", LEAF, up.name) in {(f.rule, f.device, f.subject) for f in findings}
    assert all(f.rule.startswith("MTU") for f in findings)


def test_what_is_not_an_ipv4_address_is_a_finding_not_a_crash(cluster: Built, tmp_path: Path) -> None:
    """An address out of range is no address (ADDR004 names the port, no other ADDR rule); an IPv6 neighbor
    and a prefix longer than /32 are not IPv4 facts and are not read (the fabrics are IPv4)."""
    up = cluster.port(LEAF, "uplink")
    out = mutate(cluster, tmp_path, f"{LEAF}.cfg", rf"^   ip address {up.address}$", "   ip address 10.0.0.300/31")
    path = out / "configs" / f"{LEAF2}.cfg"
    text = re.sub(r"^(router bgp .*\n)", r"\g<1>   neighbor 2001:db8::1 remote-as 4200000000\n", path.read_text(), count=1, flags=re.M)
    path.write_text(re.sub(r"^(   seq 10 permit \S+ le 31\n)", r"\g<1>   seq 20 permit 10.0.0.0/40\n", text, count=1, flags=re.M))
    findings = run_checks(cluster.design, out)
    on_leaf = {(f.rule, f.subject) for f in findings if f.device == LEAF}
    assert ("ADDR004", up.name) in on_leaf
    assert not {r for r, _ in on_leaf} & {"ADDR003", "ADDR005"}, on_leaf  # one rule names the address
    assert [f for f in findings if f.device == LEAF2] == []


def test_missing_config_fires_only_cfg001(cluster: Built, tmp_path: Path) -> None:
    out = copy_configs(cluster, tmp_path)
    (out / "configs" / "be-spine1.cfg").unlink()
    findings = run_checks(cluster.design, out)
    assert [(f.rule, f.device) for f in findings] == [("CFG001", "be-spine1")]
    assert "be-spine1.cfg" in findings[0].message


# ---------------------------------------------------------------- frr (intent/lab.yaml)


def test_frr_wrong_peer_asn_fires_bgp002(lab: Built, tmp_path: Path) -> None:
    up = lab.port(LEAF, "uplink")
    out = mutate(lab, tmp_path, f"{LEAF}.frr.conf", rf"^ neighbor {up.peer_address} remote-as \d+",
                 f" neighbor {up.peer_address} remote-as 65001")
    assert fired(lab.design, out) == ({"BGP002"}, {(LEAF, up.peer_address)})


def test_frr_frontend_prefix_advertised_into_backend_fires_iso002(lab: Built, tmp_path: Path) -> None:
    fe = lab.design.frontend.servers
    out = mutate(lab, tmp_path, f"{LEAF}.frr.conf", r"^(  aggregate-address .*\n)", rf"\g<1>  aggregate-address {fe} summary-only\n")
    assert fired(lab.design, out) == ({"ISO002"}, {(LEAF, fe)})


def test_frr_pfc_priority_4_on_one_end_fires_qos001(lab: Built, tmp_path: Path) -> None:
    up = lab.port(LEAF, "uplink")
    out = mutate(lab, tmp_path, f"{LEAF}.qos.sh", rf"^(dcb pfc set dev {up.name} prio-pfc all:off) 3:on", r"\g<1> 4:on")
    findings = run_checks(lab.design, out)
    assert [(f.rule, f.device, f.subject) for f in findings] == [("QOS001", LEAF, up.name)]
    assert f"{up.peer} {up.peer_port} has 3" in findings[0].message


def test_frr_missing_ecn_on_one_port_fires_qos004(lab: Built, tmp_path: Path) -> None:
    srv = lab.port(LEAF, "server")
    out = mutate(lab, tmp_path, f"{LEAF}.qos.sh", rf"^tc qdisc replace dev {srv.name} parent .* red .*\n", "")
    assert fired(lab.design, out) == ({"QOS004"}, {(LEAF, srv.name)})


def test_frr_short_headroom_fires_buf001(lab: Built, tmp_path: Path) -> None:
    up = lab.port(LEAF, "uplink")
    out = mutate(lab, tmp_path, f"{LEAF}.qos.sh", rf"^(dcb buffer set dev {up.name} .* buffer-size 3):\d+", r"\g<1>:50000")
    assert fired(lab.design, out) == ({"BUF001"}, {(LEAF, up.name)})


def test_frr_mtu_mismatch_in_links_sh_fires_mtu001(lab: Built, tmp_path: Path) -> None:
    up = lab.port(LEAF, "uplink")
    out = mutate(lab, tmp_path, f"{LEAF}.links.sh", rf"^ip link set dev {up.name} mtu \d+", f"ip link set dev {up.name} mtu 1500")
    assert fired(lab.design, out) == ({"MTU001"}, {(LEAF, up.name)})



def test_frr_links_sh_without_a_last_newline_reads_its_last_mtu(lab: Built, tmp_path: Path) -> None:
    """links.sh's last line without its newline is still its own line (it was read as one with
    qos.sh's first: an MTU of '9216#!/bin/sh' crashed BUF001); its MTU changed there fires MTU001."""
    out = copy_configs(lab, tmp_path)
    path = out / "configs" / f"{LEAF}.links.sh"
    lines = path.read_text().rstrip("\n").split("\n")
    name = re.fullmatch(r"ip link set dev (\S+) mtu \d+", next(ln for ln in reversed(lines) if " mtu " in ln)).group(1)  # type: ignore[union-attr]
    cut = max(i for i, ln in enumerate(lines) if " mtu " in ln)
    lines[cut] = f"ip link set dev {name} mtu 1500"
    path.write_text("\n".join(lines[:cut + 1]))
    assert fired(lab.design, out) == ({"MTU001"}, {(LEAF, name)})


def test_frr_a_qos_sh_value_no_command_takes_fires_cfg001_not_a_crash(lab: Built, tmp_path: Path) -> None:
    """A stray word on a dcb line (``... 63:0 0``: dcb refuses it) makes the device's files unreadable
    (CFG001 naming them), where it raised ValueError out of ``aifab check``."""
    srv = lab.port(LEAF, "server")
    out = mutate(lab, tmp_path, f"{LEAF}.qos.sh", rf"^(dcb app replace dev {srv.name} dscp-prio .*)$", r"\g<1> 0")
    findings = run_checks(lab.design, out)
    assert [(f.rule, f.device) for f in findings] == [("CFG001", LEAF)]
    assert f"{LEAF}.qos.sh" in findings[0].message and "a value its command does not take" in findings[0].message


# ---------------------------------------------------------------- SONiC (lab intent on sonic)

SONIC_DB = f"{LEAF}.config_db.json"


def _set(table: str, key: str, field: str, value: str) -> Callable[[dict[str, Any]], None]:
    def edit(db: dict[str, Any]) -> None:
        db[table][key][field] = value
    return edit


def sonic_case(b: Built, rule_id: str) -> tuple[Callable[[dict[str, Any]], None], set[tuple[str, str]]]:
    """(config_db edit, every (device, subject) the findings must name) breaking ``rule_id`` on SONiC."""
    up = b.port(LEAF, "uplink")
    ups = {(LEAF, p.name) for p in b.device(LEAF).ports if p.role == "uplink"}
    return {
        # PFC moved to priority 4 on one end, its watchdog with it (else DLK002 fires too)
        "QOS001": (lambda db: db["PORT_QOS_MAP"][up.name].update(pfc_enable="4", pfcwd_sw_enable="4"), {(LEAF, up.name)}),
        "QOS003": (_set("SCHEDULER", "scheduler.6", "type", "DWRR"), {(LEAF, "")}),
        "QOS005": (_set("WRED_PROFILE", "AIFAB_LOSSLESS", "green_min_threshold", "4194304"), {(LEAF, "")}),
        "QOS006": (lambda db: db["PFC_WD"].pop(up.name), {(LEAF, up.name)}),
        "BUF001": (_set("BUFFER_PROFILE", up.buffer.profile if up.buffer else "", "size", "100000"), ups),
        "BUF002": (_set("BUFFER_PROFILE", up.buffer.profile if up.buffer else "", "size", "40000000"), {(LEAF, "")}),
        "MTU001": (_set("PORT", up.name, "mtu", "9100"), {(LEAF, up.name)}),
        "CFG002": (_set("DEVICE_METADATA", "localhost", "hostname", "be-leaf-su9-r9"), {(LEAF, "")}),
    }[rule_id]


@pytest.mark.parametrize("rule_id", ["QOS001", "QOS003", "QOS005", "QOS006", "BUF001", "BUF002", "MTU001", "CFG002"])
def test_sonic_mutation_fires_exactly_its_rule(sonic: Built, tmp_path: Path, rule_id: str) -> None:
    edit, where = sonic_case(sonic, rule_id)
    rules, named = fired(sonic.design, mutate_json(sonic, tmp_path, SONIC_DB, edit))
    assert rules == {rule_id}
    assert named == where


def test_sonic_invalid_json_fires_cfg001_naming_the_file(sonic: Built, tmp_path: Path) -> None:
    out = copy_configs(sonic, tmp_path)
    (out / "configs" / SONIC_DB).write_text('{"PORT": {')
    findings = run_checks(sonic.design, out)
    assert [(f.rule, f.device) for f in findings] == [("CFG001", LEAF)]
    assert findings[0].message.startswith(f"{SONIC_DB}: invalid JSON at line 1")



def _dscp(db: dict[str, Any], value: Any) -> None:
    db["DSCP_TO_TC_MAP"][next(iter(db["DSCP_TO_TC_MAP"]))]["26"] = value


@pytest.mark.parametrize(("edit", "said"), [
    (lambda db: _dscp(db, "x"), "traffic class of DSCP 26: 'x' is not a number"),
    (lambda db: _dscp(db, {"tc": "3"}), 'field \'26\': {"tc": "3"} is not a string'),
    (lambda db: _dscp(db, None), "field '26': null is not a string"),
    (lambda db: db["QUEUE"][next(iter(db["QUEUE"]))].update(scheduler=["scheduler.6"]), 'field \'scheduler\': ["scheduler.6"] is not a string'),
    (lambda db: db.update(PORT=[]), "PORT is not an object of entries"),
], ids=["dscp-map-word", "dscp-map-object", "dscp-map-null", "queue-list", "table-list"])
def test_sonic_values_config_db_cannot_hold_fire_cfg001_not_a_crash(sonic: Built, tmp_path: Path,
                                                                   edit: Callable[[dict[str, Any]], None], said: str) -> None:
    """A CONFIG_DB value of the wrong type (SONiC's YANG models refuse it) makes the device's files
    unreadable (CFG001 naming the file, table and field), where it raised TypeError or ValueError
    out of ``aifab check``."""
    findings = run_checks(sonic.design, mutate_json(sonic, tmp_path, SONIC_DB, edit))
    assert [(f.rule, f.device) for f in findings] == [("CFG001", LEAF)]
    assert SONIC_DB in findings[0].message and said in findings[0].message, findings[0].message


# ---------------------------------------------------------------- Design-level (ISO001)


def test_design_sharing_a_switch_between_fabrics_fires_iso001(lab: Built) -> None:
    be_spine = lab.device("be-spine1")
    fe = lab.design.frontend
    shared = replace(fe.devices[0], name=be_spine.name)
    design = replace(lab.design, frontend=replace(fe, devices=(shared, *fe.devices[1:])))
    report = check(design)  # no build directory: the Design-scope rules only
    assert {(f.rule, f.device) for f in report.findings} >= {("ISO001", be_spine.name)}
    assert {f.rule for f in report.findings} == {"ISO001"}
    assert "CFG001" in report.skipped and "BGP002" in report.skipped


def test_design_cable_between_fabrics_fires_iso001(lab: Built) -> None:
    leaf = lab.device(LEAF)
    up = lab.port(LEAF, "uplink")
    fe_spine = lab.design.frontend.devices[0].name
    moved = replace(leaf, ports=tuple(replace(p, peer=fe_spine) if p is up else p for p in leaf.ports))
    be = lab.design.backend
    design = replace(lab.design, backend=replace(be, devices=tuple(moved if d is leaf else d for d in be.devices)))
    findings = run_checks(design)
    assert [(f.rule, f.device, f.subject) for f in findings] == [("ISO001", LEAF, up.name)]
    assert "frontend" in findings[0].message


def test_sonic_headroom_follows_the_intents_small_packet_share(tmp_path: Path) -> None:
    """BUF001 recomputes the cell model with the share the Design used, so a valid intent stays clean."""
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: sonic}")
    intent = tmp_path / "lab-sonic-50.yaml"
    intent.write_text(text.replace("  cables: {server_leaf: 3, leaf_spine: 20}\n",
                                   "  cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {small_packet_pct: 50}\n", 1))
    built = _build(intent, tmp_path / "build")
    assert {p.buffer.small_packet_pct for d in built.design.backend.devices for p in d.ports if p.buffer} == {50}
    assert run_checks(built.design, built.path) == []
    up = built.port(LEAF, "uplink")
    assert up.buffer is not None
    short = mutate_json(built, tmp_path / "short", SONIC_DB, _set("BUFFER_PROFILE", up.buffer.profile, "size", str(up.buffer.size - 1024)))
    assert fired(built.design, short)[0] == {"BUF001"}


def test_intent_without_watchdog_warns_qos007_and_still_builds(tmp_path: Path) -> None:
    text = (ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: eos}")
    intent = tmp_path / "lab-no-wd.yaml"
    intent.write_text(text.replace("  cables: {server_leaf: 3, leaf_spine: 20}\n",
                                   "  cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {watchdog: {enabled: false}}\n", 1))
    design = build(intent, tmp_path / "build").design  # checks run: warnings do not fail the build
    findings = run_checks(design, tmp_path / "build")
    assert [(f.rule, f.severity.value, f.fabric, f.device) for f in findings] == [("QOS007", "warning", "backend", "")]


def test_rules_give_the_same_findings_in_one_process_and_in_two(cluster: Built, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked rule process (the costly rules) and this one together report what one process does."""
    from aifab import forked
    from aifab.check import engine

    monkeypatch.setattr(engine, "POOL_THRESHOLD", 1)  # the cluster's 60 switches: under the threshold, no fork
    started: list[str] = []
    child = forked.Child

    def counted(func: Callable[..., Any], *args: Any, streams: bool = False) -> forked.Child:
        started.append(func.__qualname__)
        return child(func, *args, streams=streams)

    monkeypatch.setattr(forked, "Child", counted)
    out = copy_configs(cluster, tmp_path)
    mutated = ("BGP002", "ISO003", "ADDR002", "TOPO001", "ADDR003", "QOS001")  # both halves
    costly = {r.id for r in all_rules() if r.costly}
    assert costly == {"ADDR001", "ADDR002", "BGP001", "BGP002", "BGP003", "BGP004", "BGP005", "ISO001", "ISO002", "ISO003",
                      "TOPO001"}
    assert {r for r in mutated if r in costly} and {r for r in mutated if r not in costly}
    for rule_id in mutated:
        file, pattern, replacement, _ = eos_case(cluster, rule_id)
        path = out / "configs" / file
        path.write_text(re.sub(pattern, replacement, path.read_text(), count=1, flags=re.M))
    serial = run_checks(cluster.design, out, jobs=1)
    assert not started
    two = run_checks(cluster.design, out, jobs=2)
    assert started.count("_run") == 1  # the costly rules ran in a forked process
    assert {f.rule for f in serial} == set(mutated)
    assert two == serial


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_callers_work_beside_the_rules_runs_here_once_while_the_forked_ones_run(
        cluster: Built, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``check(beside=...)``: the caller's own work (the review's change set and plan) is done once, by
    this process, after its own rules; with two jobs while the forked process with the costly rules
    is still there (not yet waited for), with one after every rule."""
    import os

    from aifab.check import engine

    monkeypatch.setattr(engine, "POOL_THRESHOLD", 1)  # the rules fork on this small build too
    calls: list[tuple[int, list[str]]] = []

    def beside() -> None:
        tid = os.getpid()
        children = Path(f"/proc/{tid}/task/{tid}/children").read_text().split()
        calls.append((os.getpid(), children))

    report = check(cluster.design, cluster.path, jobs=jobs, beside=beside)
    assert [pid for pid, _ in calls] == [os.getpid()]
    assert bool(calls[0][1]) == (jobs == 2)  # the rules' child, forked and not yet reaped
    assert report.findings == check(cluster.design, cluster.path, jobs=1).findings


# ---------------------------------------------------------------- addresses on every platform (ADDR004, ADDR005)


def address_mutation(b: Built, platform: str, kind: str, value: str) -> tuple[str, str, str, str]:
    """(file, pattern, replacement, subject) that puts ``value`` as the address of LEAF's ``kind``
    interface (server port, uplink, loopback or management) in its text config."""
    dev = b.device(LEAF)
    naming = {"eos": ("Loopback0", "Management1", "   ", "cfg"), "frr": ("lo", "eth0", " ", "frr.conf")}[platform]
    name, old = {
        "server": (b.port(LEAF, "server").name, b.port(LEAF, "server").address),
        "uplink": (b.port(LEAF, "uplink").name, b.port(LEAF, "uplink").address),
        "loopback": (naming[0], f"{dev.loopback}/32"),
        "management": (naming[1], dev.management),
    }[kind]
    return (f"{LEAF}.{naming[3]}", block(name) + rf"{naming[2]}ip address {re.escape(old)}$",
            rf"\g<1>{naming[2]}ip address {value}", name)


ADDRESS_CASES = [
    # (kind, value, rule): unreadable addresses are ADDR004's, readable ones off the plan ADDR005's
    ("server", "{s}.999/31", "ADDR004"),
    ("server", "{s}.0/99", "ADDR004"),
    ("server", "{s}.x/31", "ADDR004"),
    ("server", "{free}/31", "ADDR005"),  # in the pool, held by no one (10.0.2.254/31 on the lab)
    ("loopback", "{lo}.250/32", "ADDR005"),
    ("loopback", "{lo}.250/33", "ADDR004"),
    ("management", "{m}.250/22", "ADDR005"),
]


def _fill(b: Built, value: str) -> str:
    srv, dev = b.port(LEAF, "server").address, b.device(LEAF)
    pool = b.design.backend.servers
    free = int_to_str(ip_int(pool.split("/")[0]) + 2 ** (32 - int(pool.split("/")[1])) - 2)
    return value.format(s=srv.rsplit(".", 1)[0], lo=dev.loopback.rsplit(".", 1)[0],
                        m=dev.management.rsplit(".", 1)[0], free=free)


@pytest.mark.parametrize(("kind", "value", "rule_id"), ADDRESS_CASES)
@pytest.mark.parametrize("platform", ["eos", "frr"])
def test_address_off_the_design_fires_exactly_its_rule(cluster: Built, lab: Built, tmp_path: Path, platform: str,
                                                       kind: str, value: str, rule_id: str) -> None:
    b = cluster if platform == "eos" else lab
    if kind == "management":  # the management network's own length
        value = value.replace("/22", "/" + b.device(LEAF).management.split("/")[1])
    file, pattern, replacement, subject = address_mutation(b, platform, kind, _fill(b, value))
    rules, named = fired(b.design, mutate(b, tmp_path, file, pattern, replacement))
    assert rules == {rule_id}
    assert named == {(LEAF, subject)}


def test_an_interface_the_design_does_not_address(lab: Built, tmp_path: Path) -> None:
    out = mutate(lab, tmp_path, f"{LEAF}.frr.conf", r"^(interface lo\n)", r"interface dummy9\n ip address 10.0.99.1/24\nexit\n!\n\g<1>")
    assert fired(lab.design, out) == ({"ADDR005"}, {(LEAF, "dummy9")})


def test_loopback_without_address(lab: Built, tmp_path: Path) -> None:
    dev = lab.device(LEAF)
    out = mutate(lab, tmp_path, f"{LEAF}.frr.conf", rf"^ ip address {dev.loopback}/32\n", "")
    rules, named = fired(lab.design, out)
    assert "ADDR005" in rules and (LEAF, "lo") in named


@pytest.mark.parametrize(("value", "rule_id"), [("999", "ADDR004"), ("100", "ADDR005")])
def test_sonic_server_address_off_the_design(sonic: Built, tmp_path: Path, value: str, rule_id: str) -> None:
    srv = sonic.port(LEAF, "server")

    def edit(db: dict[str, Any]) -> None:
        db["INTERFACE"].pop(f"{srv.name}|{srv.address}")
        db["INTERFACE"][f"{srv.name}|{srv.address.rsplit('.', 1)[0]}.{value}/31"] = {}

    rules, named = fired(sonic.design, mutate_json(sonic, tmp_path, SONIC_DB, edit))
    assert rules == {rule_id}
    assert named == {(LEAF, srv.name)}


def test_aifab_check_fails_a_build_with_addresses_off_the_design(lab: Built, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI: the three edits of one file are three errors, exit 1."""
    from aifab.cli import main

    shutil.copy(lab.path / "design.json", tmp_path / "design.json")
    srv = [p for p in lab.device(LEAF).ports if p.role == "server"]
    base = srv[0].address.rsplit(".", 1)[0]
    out = mutate(lab, tmp_path, f"{LEAF}.frr.conf", rf"^ ip address {srv[0].address}$", f" ip address {base}.999/31")
    conf = out / "configs" / f"{LEAF}.frr.conf"
    conf.write_text(conf.read_text().replace(f" ip address {srv[1].address}\n", f" ip address {base}.100/31\n"))
    assert main(["check", str(out), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {(f["rule"], f["device"], f["subject"]) for f in findings} == {
        ("ADDR004", LEAF, srv[0].name), ("ADDR005", LEAF, srv[1].name)}
