"""Batfish adapter: write a snapshot in Batfish's layout, ask the questions, turn answers into Findings.

Run a service beside aifab with ``docker run -p 9996:9996 batfish/allinone`` and point
``aifab check --batfish HOST`` (or ``BATFISH_HOST``) at it. Layout (Batfish "Format of vendor
data"): EOS files in ``configs/`` with the explicit ``!RANCID-CONTENT-TYPE: arista`` header;
FRR routers in ``configs/`` as Cumulus-style concatenated files (hostname, interfaces,
ports.conf, frr.conf); SONiC in ``sonic_configs/<device>/`` (``config_db.json`` + ``frr.conf``);
the Design's cabling as ``batfish/layer1_topology.json``. Each platform's record names its layout
(``batfish``); a platform without one is left out of the snapshot.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from aifab.check.engine import Report
from aifab.check.findings import sort_findings
from aifab.check.parse import device_files
from aifab.check.registry import RULES
from aifab.check.rules.batfish import Answers, Frames, findings_from_answers
from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.platforms import platform


class BatfishError(AifabError):
    """The Batfish service cannot be reached or cannot load the snapshot."""

    exit_code = 2


# ---------------------------------------------------------------- snapshot


def write_snapshot(design: Design, build_dir: Path, dest: Path) -> Path:
    """Lay out the rendered files of ``build_dir`` as a Batfish snapshot in ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "configs").mkdir(parents=True)
    for dev in design.devices():
        layout = platform(dev.platform).batfish
        files = device_files(build_dir / "configs", dev.name, dev.platform)
        if layout is None or not files or not all(f.is_file() for f in files):
            continue
        if layout == "arista":
            text = files[0].read_text(encoding="utf-8")
            (dest / "configs" / f"{dev.name}.cfg").write_text(f"!RANCID-CONTENT-TYPE: arista\n{text}", encoding="utf-8")
        elif layout == "cumulus":
            frr = files[0].read_text(encoding="utf-8")
            text = (f"{dev.name}\n# This file describes the network interfaces\n\n# ports.conf --\n\n"
                    f"frr version\n{frr}\n")
            (dest / "configs" / f"{dev.name}.cfg").write_text(text, encoding="utf-8")
        else:
            folder = dest / "sonic_configs" / dev.name
            folder.mkdir(parents=True)
            for f in files:
                shutil.copyfile(f, folder / ("config_db.json" if f.name.endswith(".json") else "frr.conf"))
    edges = []
    for dev in design.devices():
        for p in dev.ports:
            if p.role != "server":
                edges.append({"node1": {"hostname": dev.name, "interfaceName": p.name},
                              "node2": {"hostname": p.peer, "interfaceName": p.peer_port}})
    (dest / "batfish").mkdir()
    (dest / "batfish" / "layer1_topology.json").write_text(json.dumps({"edges": edges}, indent=1), encoding="utf-8")
    return dest


# ---------------------------------------------------------------- questions


def _node_regex(names: list[str]) -> str:
    return "/^(" + "|".join(names) + ")$/"


def ask(host: str, design: Design, snapshot: Path) -> Frames:
    """Upload the snapshot to the service at ``host`` and answer every question the rules read."""
    from pybatfish.client.session import Session
    from pybatfish.datamodel.flow import HeaderConstraints, PathConstraints

    bf = Session(host=host)
    bf.set_network(f"aifab-{design.cluster}")
    bf.init_snapshot(str(snapshot), name=f"aifab-{design.cluster}", overwrite=True)
    frames: Frames = {q: getattr(bf.q, q)().answer().frame() for q in
                      ("fileParseStatus", "initIssues", "parseWarning", "undefinedReferences",
                       "bgpSessionCompatibility", "bgpSessionStatus")}
    for fab, other in ((design.backend, design.frontend), (design.frontend, design.backend)):
        nodes = _node_regex([d.name for d in fab.devices])
        frames[f"loopbacks:{fab.name}"] = bf.q.reachability(
            pathConstraints=PathConstraints(startLocation=nodes), headers=HeaderConstraints(dstIps=fab.loopbacks),
            actions="FAILURE").answer().frame()
        foreign = ",".join((other.loopbacks, other.p2p, other.servers))
        frames[f"isolation:{fab.name}"] = bf.q.reachability(
            pathConstraints=PathConstraints(startLocation=nodes), headers=HeaderConstraints(dstIps=foreign),
            actions="SUCCESS").answer().frame()
    leaves = _node_regex([d.name for d in design.backend.devices if d.role == "leaf"])
    frames["gpu:backend"] = bf.q.reachability(
        pathConstraints=PathConstraints(startLocation=leaves), headers=HeaderConstraints(dstIps=design.backend.servers),
        actions="FAILURE").answer().frame()
    return frames


def batfish_report(report: Report, design: Design, build_dir: Path, host: str) -> Report:
    """``report`` with the Batfish rules run against the service at ``host`` (their findings added)."""
    with tempfile.TemporaryDirectory(prefix="aifab-batfish-") as tmp:
        snapshot = write_snapshot(design, build_dir, Path(tmp) / "snapshot")
        try:
            frames = ask(host, design, snapshot)
        except Exception as exc:  # pybatfish raises requests' errors and its own; to the user they mean one thing
            raise BatfishError(f"batfish at {host}: {type(exc).__name__}: {exc}") from None
        found = findings_from_answers(Answers(design, frames))
    skipped = {k: v for k, v in report.skipped.items() if RULES[k].scope != "batfish"}
    return replace(report, skipped=skipped, findings=tuple(sort_findings([*report.findings, *found])))
