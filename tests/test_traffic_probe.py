"""The traffic probe's flows, its counting and its report, without a lab (tests/lab runs it for real)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aifab.lab import flowgen
from aifab.lab.topology import LabError
from aifab.lab.traffic import Flow, FlowResult, Report, _flow_result, flows
from aifab.pipeline import design_for

ROOT = Path(__file__).resolve().parents[1]


def test_flows_cover_every_server_pair_on_every_rail_and_the_frontend() -> None:
    _, design = design_for(ROOT / "intent" / "lab.yaml")
    got = flows(design, per_pair=3)
    gpus = [h for h in design.hosts if h.kind == "gpu"]
    storage = [h for h in design.hosts if h.kind == "storage"]
    rails = {n.rail for h in gpus for n in h.nics if n.fabric == "backend"}
    assert len(got) == 3 * (len(gpus) * (len(gpus) - 1) * len(rails) + 2 * len(gpus) * len(storage))
    assert len({f.sport for f in got}) == len(got), "one source port per flow"
    assert [f.id for f in got] == list(range(len(got)))
    assert {f.group for f in got} == {f"rail{r}" for r in rails} | {"frontend"}
    addr = {n.address.split("/")[0]: (h.name, n) for h in design.hosts for n in h.nics}
    for f in got:
        (src, snic), (dst, dnic) = addr[f.src], addr[f.dst]
        assert (src, dst) == (f.src_host, f.dst_host) and src != dst
        assert snic.fabric == dnic.fabric and snic.rail == dnic.rail


@pytest.mark.parametrize("n", [0, 65])
def test_flows_per_pair_is_bounded(n: int) -> None:
    _, design = design_for(ROOT / "intent" / "lab.yaml")
    with pytest.raises(LabError, match="--flows"):
        flows(design, per_pair=n)


def test_receiver_counts_received_reordered_and_the_longest_gap() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        b.setblocking(False)
        for fid, seq in ((7, 0), (7, 1), (7, 3), (7, 2), (7, 6), (9, 4), (1, 0)):
            a.send(flowgen.PACKET.pack(fid, seq) + bytes(flowgen.PAD))
        a.send(b"x")  # too short: ignored
        stats: dict[int, list[int]] = {}
        flowgen._read(b, stats)
    assert {fid: st[:3] for fid, st in stats.items()} == {7: [5, 1, 2], 9: [1, 0, 4], 1: [1, 0, 0]}


def _result(fid: int, path: str, group: str, sent: int, received: int) -> FlowResult:
    return FlowResult(Flow(fid, "a", "b", group, "10.0.0.1", 49152 + fid, "10.0.0.2", path), sent, received, 0,
                      sent - received)


def test_report_sums_per_path_per_group_and_in_total() -> None:
    report = Report(100.0, 2.0, (_result(0, "s1", "rail1", 200, 150), _result(1, "s2", "rail1", 200, 200),
                                 _result(2, "s1", "rail2", 200, 200)))
    assert report.by_path()["s1"].lost == 50 and report.by_path()["s1"].flows_with_loss == 1
    assert report.by_path()["s2"].lost == 0
    assert report.by_group()["rail1"].sent == 400
    total = report.totals()
    assert (total.flows, total.sent, total.received, total.lost, total.max_gap) == (3, 600, 550, 50, 50)
    assert "lost 50" in report.summary() and "s1 50/400" in report.summary()
    assert report.to_json()["paths"]["s1"]["lost"] == 50


def test_traffic_without_a_running_lab_is_one_line_exit_2(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "aifab", "lab", "traffic", str(ROOT / "intent" / "lab.yaml"),
                          "--state-dir", str(tmp_path / "none"), "--seconds", "1"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "none").exists()


def test_a_loss_at_the_end_of_a_flow_counts_as_its_longest_gap() -> None:
    flow = Flow(0, "a", "b", "rail1", "10.0.0.1", 49152, "10.0.0.2", "s1")
    assert _flow_result(flow, 100, 60, 0, 5, 59).max_gap == 40  # 60..99 never arrived
    assert _flow_result(flow, 100, 95, 0, 5, 99).max_gap == 5
    assert _flow_result(flow, 10, 0, 0, 0, -1).max_gap == 10  # nothing arrived


def test_a_sender_stops_the_flows_of_the_hosts_its_stop_file_lists(tmp_path: Path) -> None:
    """The probe as the job scheduler: a host written to the stop file ends its flows for good, the
    sender acknowledges, the other flows go on (real flowgen processes on the loopback)."""
    stop = tmp_path / "stop"
    stop.write_text("")
    spec = {"flows": [[0, "127.0.0.1", 40001, "127.0.0.1"], [1, "127.0.0.1", 40002, "127.0.0.1"]], "rate": 100,
            "seconds": 2, "stop_file": str(stop), "name": "srv-a", "hosts": {"0": ["srv-a", "srv-b"], "1": ["srv-a", "srv-c"]}}
    sender = subprocess.Popen([sys.executable, "-I", flowgen.__file__, "send", json.dumps(spec)], stdout=subprocess.PIPE, text=True)
    try:
        ack = tmp_path / "stop.srv-a.ack"
        deadline = time.monotonic() + 5
        while not ack.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        stop.write_text("srv-b\n")
        while ack.read_text() != "1" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ack.read_text() == "1", "the sender acknowledged the cordon"
        out, _ = sender.communicate(timeout=10)
    finally:
        sender.kill()
    sent = json.loads(out.strip().splitlines()[-1])
    # a sender that falls behind its pace on a loaded machine stops at its time bound, a few ticks short of 200
    assert 150 <= sent["1"] <= 200, f"a flow of no listed host sends on every tick the sender runs: {sent}"
    assert 20 <= sent["0"] < sent["1"] - 10, f"the cordoned host's flow stopped when listed, not at the end: {sent}"
