"""Host NIC settings from the same Design as the switches: each NIC agrees with the leaf port it is
cabled to (docs/sources.md#host-roce), written by `aifab build --hosts`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from aifab.design import build_design
from aifab.intent import load_intent
from aifab.pipeline import build
from aifab.render.hosts import host_script, host_settings

LAB = Path(__file__).parents[1] / "intent" / "lab.yaml"


def intent(tmp_path: Path, platform: str = "frr", extra: tuple[tuple[str, str], ...] = ()) -> Path:
    text = LAB.read_text().replace("platform: frr", f"platform: {platform}")
    for old, new in extra:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "intent.yaml"
    path.write_text(text)
    return path


def test_every_nic_agrees_with_its_leaf_port(tmp_path: Path) -> None:
    design = build_design(load_intent(intent(tmp_path)).intent)
    leaves = {d.name: d for d in design.devices()}
    hosts = host_settings(design)
    assert {h.host for h in hosts} == {h.name for h in design.hosts}
    for h in hosts:
        for n in h.nics:
            leaf = leaves[n.switch]
            port = next(p for p in leaf.ports if p.name == n.switch_port)
            assert port.peer == h.host and port.peer_port == n.nic and port.mtu == n.mtu
            assert port.peer_address == n.address.split("/")[0] and port.address.split("/")[0] == n.gateway
            if n.fabric == "frontend":
                assert n.roce is None
                continue
            q = leaf.qos
            assert n.roce is not None and q is not None
            assert [p for p, on in enumerate(n.roce.pfc) if on] == list(q.lossless_priorities)
            assert n.roce.roce_priority == q.dscp_to_tc[q.roce_dscp] and n.roce.cnp_priority == q.dscp_to_tc[q.cnp_dscp]


def test_script_for_a_gpu_server(tmp_path: Path) -> None:
    design = build_design(load_intent(intent(tmp_path)).intent)
    h = next(x for x in host_settings(design) if x.host == "srv-su1-01")
    text = host_script(design.cluster, h)
    assert "# rail1 -> be-leaf-su1-r1 swp1 (backend, rail 1)\n" in text
    for line in ("ip link set dev rail1 mtu 9216", "ip addr replace 10.0.2.1/31 dev rail1",
                 "mlnx_qos -i rail1 --trust dscp", "mlnx_qos -i rail1 --dscp2prio set,26,3",
                 "mlnx_qos -i rail1 --dscp2prio set,48,6", "mlnx_qos -i rail1 --pfc 0,0,0,1,0,0,0,0",
                 "echo 1 > /sys/class/net/rail1/ecn/roce_np/enable/3", "echo 1 > /sys/class/net/rail1/ecn/roce_rp/enable/3",
                 "echo 48 > /sys/class/net/rail1/ecn/roce_np/cnp_dscp", "echo 6 > /sys/class/net/rail1/ecn/roce_np/cnp_802p_prio",
                 'cma_roce_mode -d "$(rdma_dev rail1)" -p 1 -m 2', 'cma_roce_tos -d "$(rdma_dev rail1)" -t 104',
                 "ip route replace 10.0.2.0/29 via 10.0.2.0 dev rail1",
                 "ip route replace 10.1.2.0/24 nexthop via 10.1.2.0 dev fe1 nexthop via 10.1.2.16 dev fe2"):
        assert line + "\n" in text, line
    assert "mlnx_qos -i fe1" not in text  # the frontend is lossy


def test_a_qos_change_on_the_switch_moves_the_hosts_with_it(tmp_path: Path) -> None:
    qos = ("  cables: {server_leaf: 3, leaf_spine: 20}\n",
           "  cables: {server_leaf: 3, leaf_spine: 20}\n  qos: {roce_dscp: 24, roce_tc: 4, cnp_dscp: 46, cnp_tc: 7}\n")
    design = build_design(load_intent(intent(tmp_path, "eos", (qos,))).intent)
    text = host_script(design.cluster, next(x for x in host_settings(design) if x.host == "srv-su2-02"))
    assert "--pfc 0,0,0,0,1,0,0,0" in text and "--dscp2prio set,24,4" in text and "--dscp2prio set,46,7" in text
    assert "ecn/roce_np/enable/4" in text and "cnp_802p_prio" in text and "-t 96" in text
    assert re.search(r"mtu 9214\n", text)  # EOS's largest MTU, as the leaf port carries it


def test_build_hosts_writes_scripts_and_json_and_removes_them_without(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = intent(tmp_path)
    result = build(path, out, check=False, hosts=True)
    folder = out / "hosts"
    assert {p.name for p in folder.iterdir()} == {f"{h.name}.sh" for h in result.design.hosts} | {"hosts.json", "collect.sh"}
    doc = json.loads((folder / "hosts.json").read_text())
    nic = doc["hosts"][0]["nics"][0]
    assert (nic["nic"], nic["switch"], nic["switch_port"]) == ("rail1", "be-leaf-su1-r1", "swp1")
    assert doc["roce"][nic["roce"]]["pfc_list"] == "0,0,0,1,0,0,0,0"
    assert doc["hosts"][0]["nics"][2]["roce"] is None  # fe1: lossy
    build(path, out, check=False)
    assert not list(folder.glob("*.sh")) and not (folder / "hosts.json").exists()
