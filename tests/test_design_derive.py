"""A Design derived from another where only policy differs (aifab.design.derive) equals the one
built from scratch, for every policy key; anything else is left to the build."""

from __future__ import annotations

from copy import deepcopy
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from aifab.design import Design, build_design
from aifab.design.derive import POLICY, derive
from aifab.errors import DesignError
from aifab.intent import load_intent
from aifab.intent.schema import Intent
from aifab.platforms import platform
from aifab.render.configs import rebased_files, render_parts, render_view
from aifab.render.sections import Section, _sections
from aifab.render.view import device_view, rebased_view, view_inputs

ROOT = Path(__file__).parents[1]
INTENTS = ("cluster.yaml", "lab.yaml")


@cache
def _head(name: str) -> tuple[Intent, Design]:
    intent = load_intent(ROOT / "intent" / name).intent
    return intent, build_design(intent)


def _changed(name: str, path: str, value: Any) -> Intent:
    data = deepcopy(_head(name)[0].model_dump(exclude_unset=True))
    *keys, last = path.split(".")
    at = data
    for key in keys:
        at = at.setdefault(key, {})
    at[last] = value
    return Intent.model_validate(data)


POLICY_CHANGES = [
    ("backend.qos.ecn.max_kb", 1200), ("backend.qos.ecn.min_kb", 200), ("backend.qos.ecn.probability", 20),
    ("backend.qos.watchdog.detection_ms", 300), ("backend.qos.watchdog.enabled", False),
    ("backend.qos.watchdog.action", "forward"),
    ("backend.bgp.hold_s", 15), ("backend.bgp.bfd", False), ("frontend.bgp.keepalive_s", 2),
    ("upgrade.soak_s", 120), ("upgrade.drain_wait_s", 10), ("upgrade.cordon_timeout_s", 60),
    ("upgrade.uncordon_command", "scontrol update nodename={hosts} state=resume"), ("upgrade.graceful_restart_s", 900), ("upgrade.bgp_timers", "reset-now"),
    ("upgrade.cordon_command", "scontrol update nodename={hosts} state=drain reason={reason}"),
    ("management.ntp", ["10.250.0.9"]), ("management.syslog", []), ("management.api", False), ("management.gnmi", True),
    ("management.users", [{"name": "admin"}, {"name": "ops", "role": "network-operator"}]),
    ("management.aaa", {"radius": ["10.250.0.20"]}), ("management.snmp", {"community": True}),
    ("telemetry.sflow", {"collectors": ["10.250.0.30"]}), ("telemetry.queue_monitor", True), ("telemetry.gnmi", True),
    ("telemetry.thresholds", {"drops": 10}),
]


@pytest.mark.parametrize("name", INTENTS)
@pytest.mark.parametrize(("path", "value"), POLICY_CHANGES)
def test_a_policy_change_derives_the_design_a_build_makes(name: str, path: str, value: Any) -> None:
    intent, design = _head(name)
    other = _changed(name, path, value)
    derived = derive(design, intent, other)
    assert derived is not None, path
    built = build_design(other)
    assert derived == built, path
    assert derived != design or built == design  # the change reached the Design where it reaches a build


def test_every_policy_key_has_a_change_under_test() -> None:
    tested = {tuple(path.split(".")) for path, _ in POLICY_CHANGES}
    for key in POLICY:
        assert any(t[:len(key)] == key for t in tested), key


@pytest.mark.parametrize(("path", "value"), [
    ("backend.mtu", 4200), ("backend.servers", 64), ("backend.cables.leaf_spine", 10),
    ("backend.qos.roce_dscp", 24), ("backend.qos.lossless_weight", 60), ("backend.qos.small_packet_pct", 50),
    ("frontend.qos.lossless", True), ("upgrade.min_capacity_pct", 50),
    ("upgrade.os_version", {"eos": "4.32.1F"}), ("management.network", "192.168.8.0/22"),
    ("cluster", "pod2"), ("backend.load_balancing.dynamic", True),
])
def test_any_other_change_is_built(path: str, value: Any) -> None:
    intent, design = _head("cluster.yaml")
    assert derive(design, intent, _changed("cluster.yaml", path, value)) is None


def test_a_policy_the_build_refuses_is_left_to_the_build() -> None:
    """An ECN max a lossless queue never reaches, and ECN min above max: no Design, as a build says."""
    intent, design = _head("cluster.yaml")
    for change in ({"max_kb": 100000}, {"min_kb": 900, "max_kb": 800}):
        other = _changed("cluster.yaml", "backend.qos.ecn", change)
        assert derive(design, intent, other) is None
        with pytest.raises(DesignError):
            build_design(other)


@pytest.mark.parametrize("name", ["frr", "eos", "sonic"])
@pytest.mark.parametrize(("path", "value"), [
    ("backend.qos.ecn.max_kb", 1200), ("backend.qos.watchdog.enabled", False), ("backend.bgp.hold_s", 15),
    ("upgrade.graceful_restart_s", 900), ("management.ntp", ["10.250.0.9"]), ("telemetry.gnmi", True),
    ("backend.mtu", 4200),  # not policy: every view made whole
])
def test_a_view_rebased_from_the_other_design_is_the_view_made_whole(name: str, path: str, value: Any) -> None:
    """What the review diffs against: the base view made from the new one equals the base view."""
    intent = _head("cluster.yaml")[0].on_platform(name)
    design = build_design(intent)
    other = _changed("cluster.yaml", path, value).on_platform(name)
    base = derive(design, intent, other) or build_design(other)
    old = {d.name: d for d in base.devices()}
    for dev in design.devices():
        shared = view_inputs(base, dev.fabric)
        assert rebased_view(device_view(design, dev), dev, shared, old[dev.name]) == device_view(base, old[dev.name]), dev.name


@pytest.mark.parametrize("name", ["frr", "eos", "sonic"])
@pytest.mark.parametrize(("path", "value"), [
    ("backend.qos.ecn.max_kb", 1200), ("backend.qos.watchdog.detection_ms", 300), ("backend.bgp.hold_s", 15),
    ("backend.bgp.bfd", False), ("management.users", [{"name": "admin"}, {"name": "ops", "role": "network-operator"}]),
    ("telemetry.sflow", {"collectors": ["10.250.0.30"]}),
    ("backend.mtu", 4200),  # not policy: the ports section renders again
])
def test_base_files_rebased_from_the_new_ones_are_the_files_rendered_whole(name: str, path: str, value: Any) -> None:
    """What the review diffs against: each changed switch's base files, with the new side's text kept
    for every section that reads the same values in both views, equal the base files rendered whole."""
    intent = _head("cluster.yaml")[0].on_platform(name)
    design = build_design(intent)
    other = _changed("cluster.yaml", path, value).on_platform(name)
    base = derive(design, intent, other) or build_design(other)
    old = {d.name: d for d in base.devices()}
    changed = 0
    for dev in design.devices():
        view = device_view(design, dev)
        was = rebased_view(view, dev, view_inputs(base, dev.fabric), old[dev.name])
        pushed = platform(dev.platform).pushed_files
        whole = render_view(was, pushed)
        assert rebased_files(view, render_parts(view), was, pushed) == whole, dev.name
        changed += whole != render_view(view, pushed)
    unpushed = {("management.users", "frr"), ("management.users", "sonic"), ("telemetry.sflow", "frr")}  # not in their pushed files
    assert bool(changed) == ((path, name) not in unpushed), "the change alters some switch's files"


def test_a_policy_change_renders_again_only_the_sections_that_read_it() -> None:
    """EOS: an ECN change re-renders the qos profile, not the ports or BGP sections."""
    intent = _head("cluster.yaml")[0].on_platform("eos")
    design = build_design(intent)
    other = _changed("cluster.yaml", "backend.qos.ecn.max_kb", 1200).on_platform("eos")
    base = derive(design, intent, other)
    assert base is not None
    dev = design.backend.devices[0]
    view = device_view(design, dev)
    was = rebased_view(view, dev, view_inputs(base, dev.fabric), base.backend.devices[0])
    record = platform(dev.platform)
    sections = {p.tpl.name: p.same(view, was) for p in _sections(record.outputs["cfg"], record.template_root) or []
                if isinstance(p, Section)}
    assert sections["eos/ethernet_interfaces.j2"] and sections["eos/router_bgp.j2"]
    assert not sections["eos/qos_profile.j2"]
