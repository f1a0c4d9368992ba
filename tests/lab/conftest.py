"""The FRR lab of intent/lab.yaml, brought up once per session and always torn down.

The lab runs under cluster name ``labtest`` (namespaces ``aifab-labtest.*``, state
``/run/aifab-lab/labtest``) so a lab started by hand from intent/lab.yaml is left alone.
Tests using these fixtures skip, with the reason, where the lab cannot run (not root, no
Debian frr or openssh-server). Before the first lab test, what a killed earlier run of these tests
left of its own clusters (state record, namespaces, processes) is taken down: a SIGKILL leaves no
chance to clean up, and ``up`` rightly refuses a degraded lab.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core.task import AggregatedResult, Task
from nornir_napalm.plugins.tasks import napalm_configure

from aifab.design.model import Design
from aifab.lab import Lab, down, missing_requirements, up, wait_established
from aifab.lab.state import default_state_dir
from aifab.lab.system import namespaces
from aifab.pipeline import design_for
from aifab.platforms import platform
from aifab.render import render_device
from tests.lab.helpers import lab_torn_down, require_lab

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = "labtest"


@pytest.fixture(scope="session")
def lab_design() -> Design:
    """The Design of intent/lab.yaml under the test's own cluster name."""
    _, design = design_for(ROOT / "intent" / "lab.yaml")
    return dataclasses.replace(design, cluster=CLUSTER)


@pytest.fixture(scope="session", autouse=True)
def no_leftover_labs(request: pytest.FixtureRequest, lab_design: Design) -> None:
    """Take down the labs of the collected lab tests' clusters (each lab module's ``CLUSTER``) that an
    earlier, killed run left behind, before any lab test runs."""
    if missing_requirements():
        return
    here = Path(__file__).parent
    clusters = {CLUSTER} | {getattr(item.module, "CLUSTER", CLUSTER) for item in request.session.items
                            if here in item.path.parents}
    present = namespaces()
    for cluster in sorted(clusters):
        if default_state_dir(cluster).exists() or any(ns.startswith(f"aifab-{cluster}.") for ns in present):
            removed = down(dataclasses.replace(lab_design, cluster=cluster))
            warnings.warn(f"lab {cluster}: took down what an earlier run left ({len(removed)} namespaces)", stacklevel=1)


@pytest.fixture(scope="session")
def lab(lab_design: Design) -> Iterator[Lab]:
    """The lab up with minimal switch configs; torn down at the end, checking nothing is left."""
    require_lab()
    running = None
    with lab_torn_down(lab_design):
        running = up(lab_design)
        yield running
    assert not running.state_dir.exists(), "lab state directory left after down"


@pytest.fixture(scope="session")
def rendered(lab_design: Design) -> dict[str, str]:
    """Each switch's frr.conf as ``aifab build`` renders it."""
    return {dev.name: render_device(lab_design, dev)[f"{dev.name}.{platform(dev.platform).pushed}"] for dev in lab_design.devices()}


@pytest.fixture(scope="session")
def deployed(lab: Lab, lab_design: Design, rendered: dict[str, str]) -> AggregatedResult:
    """Push every rendered config with real Nornir + NAPALM (replace), then wait for BGP."""
    def push(task: Task) -> None:
        task.run(task=napalm_configure, configuration=rendered[task.host.name], replace=True)

    nr = InitNornir(inventory=lab.nornir_inventory(), runner={"plugin": "threaded", "options": {"num_workers": 10}},
                    logging={"enabled": False})
    try:
        result = nr.run(task=push)
    finally:
        nr.close_connections()
    assert not result.failed, {h: str(r.exception) for h, r in result.failed_hosts.items()}
    wait_established(lab, lab_design, timeout=60)
    return result
