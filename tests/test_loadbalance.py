"""backend.load_balancing end to end: intent -> Design (per-ASIC capabilities) -> every platform's
lines -> parsed back -> LB rules, mutations that break them, and the change kind a review sees."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from aifab.check import run_checks
from aifab.design import build_design
from aifab.design.builder import load_balance
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.intent import load_intent
from aifab.pipeline import build
from aifab.plan.changes import change_set
from aifab.plan.impact import impact_of
from aifab.render import render_device
from aifab.render.loadbalance import linux_policy

ROOT = Path(__file__).parents[1]
LAB = (ROOT / "intent" / "lab.yaml").read_text()


def intent_text(platform: str = "frr", lb: str = "", asic: str = "") -> str:
    text = LAB.replace("platform: frr}", f"platform: {platform}}}")
    if asic:
        text = text.replace("max_mtu: 9216, ports: 4, speed: 400G,", f"max_mtu: 9216, asic: {asic}, ports: 4, speed: 400G,")
    return text.replace("backend:\n", f"backend:\n  load_balancing: {lb}\n", 1) if lb else text


def write(tmp_path: Path, text: str, name: str = "intent.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def design_of(tmp_path: Path, text: str) -> Design:
    return build_design(load_intent(write(tmp_path, text)).intent)


def files_of(design: Design, name: str) -> dict[str, str]:
    dev = next(d for d in design.devices() if d.name == name)
    return {k.removeprefix(f"{name}."): v for k, v in render_device(design, dev).items()}


def test_lab_intent_uses_generic_switches_with_an_asic_line() -> None:
    assert "max_mtu: 9216, ports: 4, speed: 400G," in LAB, "the helpers above edit this line"


def test_default_hashes_the_five_tuple_on_every_backend_switch_only(tmp_path: Path) -> None:
    design = design_of(tmp_path, intent_text())
    assert design.backend.load_balancing is not None
    assert all(d.load_balance is not None and "l4_src_port" in d.load_balance.fields for d in design.backend.devices)
    assert all(d.load_balance is None for d in design.frontend.devices)
    links = files_of(design, "be-spine1")["links.sh"]
    assert "sysctl -w net.ipv4.fib_multipath_hash_policy=1\n" in links
    assert "fib_multipath_hash" not in files_of(design, "fe-spine1")["links.sh"]


@pytest.mark.parametrize(("fields", "policy", "mask"), [
    (("src_ip", "dst_ip"), 0, ""),
    (("src_ip", "dst_ip", "ip_proto", "l4_src_port", "l4_dst_port"), 1, ""),
    (("src_ip", "dst_ip", "l4_src_port"), 3, "0x0013"),
    (("l4_src_port", "l4_dst_port"), 3, "0x0030"),
])
def test_linux_multipath_policy(fields: tuple[str, ...], policy: int, mask: str) -> None:
    assert linux_policy(fields) == (policy, mask)


def test_each_platform_writes_the_asked_fields(tmp_path: Path) -> None:
    lb = "{fields: [src_ip, dst_ip, l4_src_port]}"
    eos = files_of(design_of(tmp_path, intent_text("eos", lb)), "be-leaf-su1-r1")["cfg"]
    assert re.search(r"^ip load-sharing trident fields ip source-ip destination-ip source-port$", eos, re.M)
    sonic = json.loads(files_of(design_of(tmp_path, intent_text("sonic", lb)), "be-leaf-su1-r1")["config_db.json"])
    assert sonic["SWITCH_HASH"] == {"GLOBAL": {"ecmp_hash": ["SRC_IP", "DST_IP", "L4_SRC_PORT"]}}
    links = files_of(design_of(tmp_path, intent_text("frr", lb)), "be-leaf-su1-r1")["links.sh"]
    assert "sysctl -w net.ipv4.fib_multipath_hash_policy=3\nsysctl -w net.ipv4.fib_multipath_hash_fields=0x0013\n" in links


def test_qp_hash_and_dynamic_only_where_platform_and_asic_can(tmp_path: Path) -> None:
    lb = "{roce_qp: true, dynamic: true}"
    tomahawk = design_of(tmp_path, intent_text("eos", lb, "tomahawk-4"))
    leaf = tomahawk.backend.devices[-1].load_balance
    assert leaf is not None and leaf.dynamic and not leaf.roce_qp  # EOS DLB on Strata; no QP hash form there
    cfg = files_of(tomahawk, "be-spine1")["cfg"]
    assert "\nip hardware fib load-balance distribution dynamic\n" in cfg and "payload bytes" not in cfg
    # a Jericho2 switch (no public buffer figure: the design refuses it on a lossless fabric, so the
    # device is placed by hand): the QP hash as a sand profile, no DLB
    spine = tomahawk.backend.devices[0]
    spine = replace(spine, asic="jericho-2", load_balance=load_balance(tomahawk.backend.load_balancing, "eos", "jericho-2"))
    assert spine.load_balance is not None and spine.load_balance.roce_qp and not spine.load_balance.dynamic
    cfg = render_device(tomahawk, spine)["be-spine1.cfg"]
    assert ("load-balance policies\n   load-balance sand profile default\n      fields ip outer dst-ip protocol src-ip\n"
            "      fields l4 outer dst-port src-port\n      fields udp dst-port 4791\n         payload bytes 5-7\n") in cfg
    sonic = design_of(tmp_path, intent_text("sonic", lb, "spectrum-3"))
    db = json.loads(files_of(sonic, "be-spine1")["config_db.json"])
    assert db["SWITCH_HASH"]["GLOBAL"]["ecmp_hash_ipv4_rdma"][-1] == "RDMA_BTH_DEST_QP"
    frr = design_of(tmp_path, intent_text("frr", lb))
    assert not any(d.load_balance.roce_qp or d.load_balance.dynamic for d in frr.backend.devices)


def test_bad_fields_are_located_errors(tmp_path: Path) -> None:
    for lb, what in (("{fields: []}", "at least 1"), ("{fields: [src_ip, qp]}", "src_ip")):
        with pytest.raises(AifabError) as err:
            load_intent(write(tmp_path, intent_text(lb=lb)))
        assert "backend.load_balancing.fields" in str(err.value) and what in str(err.value)


@pytest.fixture(scope="module", params=["frr", "eos", "sonic"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp(request.param)
    path = write(tmp, intent_text(request.param, "{roce_qp: true, dynamic: true}"))
    build(path, tmp / "build", check=False)
    return request.param, tmp / "build"


def _findings(build_dir: Path) -> list[tuple[str, str, str]]:
    from aifab.check.inputs import load_build_dir

    target = load_build_dir(build_dir)
    return [(f.rule, f.device, f.message) for f in run_checks(target.design, target.build_dir)]


def test_clean_build_warns_only_where_qp_or_dynamic_cannot_be_had(built: tuple[str, Path]) -> None:
    platform, path = built
    found = _findings(path)
    assert {r for r, _, _ in found} <= {"LB003"}
    assert all(r != "LB001" and r != "LB002" for r, _, _ in found)
    if platform == "frr":  # Linux has neither: both are named
        assert len([m for r, _, m in found if r == "LB003"]) == 2


MUTATIONS = {  # platform -> (file, pattern, replacement): drop the UDP source port from one switch's hash
    "frr": ("be-spine1.links.sh", r"fib_multipath_hash_policy=1", "fib_multipath_hash_policy=0"),
    "eos": ("be-spine1.cfg", r"(ip load-sharing trident fields ip .*) source-port", r"\1"),
    "sonic": ("be-spine1.config_db.json", r'\s*"L4_SRC_PORT",', ""),
}


def test_a_switch_that_does_not_hash_the_source_port_fails_lb001_and_lb002(built: tuple[str, Path], tmp_path: Path) -> None:
    platform, path = built
    shutil.copytree(path, tmp_path / "b")
    file, pattern, repl = MUTATIONS[platform]
    target = tmp_path / "b" / "configs" / file
    new, n = re.subn(pattern, repl, target.read_text(), count=1)
    assert n == 1
    target.write_text(new)
    found = _findings(tmp_path / "b")
    assert {(r, d) for r, d, _ in found if r != "LB003"} == {("LB001", "be-spine1"), ("LB002", "be-spine1")}
    assert any("not on the UDP source port" in m for r, _, m in found if r == "LB001")


def test_an_l3_only_intent_fails_on_every_backend_switch(tmp_path: Path) -> None:
    path = write(tmp_path, intent_text("frr", "{fields: [src_ip, dst_ip]}"))
    build(path, tmp_path / "build", check=False)
    found = _findings(tmp_path / "build")
    design = build_design(load_intent(path).intent)
    assert {d for r, d, _ in found if r == "LB001"} == {d.name for d in design.backend.devices}
    assert not [r for r, _, _ in found if r == "LB002"]


def test_a_hash_change_is_one_hitless_fact(tmp_path: Path) -> None:
    old = design_of(tmp_path, intent_text("eos"))
    new = design_of(tmp_path, intent_text("eos", "{fields: [src_ip, dst_ip, l4_src_port, l4_dst_port]}"))
    changes = change_set(old, new)
    facts = [f for f in changes.facts if f.kind == "load-balancing"]
    assert len(facts) == 1 and len(facts[0].devices) == len(new.backend.devices)
    assert "ECMP load balancing src_ip dst_ip ip_proto l4_src_port l4_dst_port -> src_ip dst_ip l4_src_port l4_dst_port" in facts[0].text
    assert all(impact_of("load-balancing", p) == ("hitless", True) for p in ("eos", "frr", "sonic"))


def test_the_readers_take_every_form_the_platforms_write() -> None:
    from aifab.check.parse import bgpknobs, hashing

    sand = ("!\nload-balance policies\n   load-balance sand profile default\n      fields ip outer dst-ip src-ip\n"
            "      fields l4 outer src-port\n      fields udp dst-port 4791\n         payload bytes 5-7\n!\n"
            "ip hardware fib load-balance distribution dynamic\n!\n")
    assert hashing.eos(sand) == {"src_ip", "dst_ip", "l4_src_port", "roce_qp", "dynamic"}
    assert hashing.eos("!\nip routing\n!\n") == frozenset()
    assert hashing.linux("sysctl -w net.ipv4.fib_multipath_hash_policy=2\n") == {"src_ip", "dst_ip"}
    assert hashing.linux("sysctl -w net.ipv4.fib_multipath_hash_policy=3\nsysctl -w net.ipv4.fib_multipath_hash_fields=0x0012\n") \
        == {"dst_ip", "l4_src_port"}
    assert hashing.sonic({"SWITCH_HASH": {"GLOBAL": {"ecmp_hash": "SRC_IP,L4_SRC_PORT",
                                                     "ecmp_hash_ipv4_rdma": "SRC_IP,RDMA_BTH_DEST_QP"}}}) == \
        {"src_ip", "l4_src_port", "roce_qp"}
    eos_bgp = "router bgp 65001\n   neighbor LEAFS allowas-in 3\n   neighbor 10.0.1.1 remove-private-as all\n"
    assert bgpknobs.loop_knobs(eos_bgp) == {"LEAFS": {"allowas-in"}, "10.0.1.1": {"remove-private-as"}}
    frr_bgp = "router bgp 65001\n address-family ipv4 unicast\n  neighbor SPINES remove-private-AS all\n  neighbor SPINES as-override\n"
    assert bgpknobs.loop_knobs(frr_bgp) == {"SPINES": {"remove-private-as", "as-override"}}
