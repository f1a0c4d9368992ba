"""The Design of an intent that differs from another only in policy, made from that one's Design.

A review derives the Design of the intent at its base revision beside the new one. Most changes
are policy (an ECN threshold, the PFC watchdog, BGP timers, the rollout, the way in, telemetry),
which moves no port, address or session: :func:`derive` then makes the other Design from the one
at hand, the same device, port and session objects with the policy replaced, instead of deriving
every port again (1.5 s at 32k GPUs). Any other difference returns None: build it. A test holds
the result equal to ``build_design`` for every key of :data:`POLICY`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from aifab.design.builder import access_policy, bgp_policy, telemetry_policy, upgrade_policy
from aifab.design.model import Design
from aifab.design.models import resolve_switches
from aifab.design.validate import intent_problems
from aifab.intent.schema import Intent
from aifab.qos.buffers import FabricQos
from aifab.qos.policy import qos_problems

# Intent keys (and everything under them) that change policy objects only, never a port or a session.
POLICY: tuple[tuple[str, ...], ...] = (
    ("backend", "qos", "ecn"), ("backend", "qos", "watchdog"), ("backend", "bgp"), ("frontend", "bgp"),
    *(("upgrade", k) for k in ("graceful_restart_s", "drain_wait_s", "soak_s", "bgp_timers", "cordon_command",
                               "uncordon_command", "cordon_timeout_s")),
    *(("management", k) for k in ("users", "aaa", "ntp", "syslog", "snmp", "api", "gnmi")),
    ("telemetry",),
)


def changed_keys(a: Any, b: Any, at: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The key paths where two dumped intents differ (a list or a value is one key)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            yield from changed_keys(a.get(key), b.get(key), (*at, key))
    elif a != b:
        yield at


def _policy(key: tuple[str, ...]) -> bool:
    return any(key[:len(p)] == p for p in POLICY)


def derive(design: Design, intent: Intent, other: Intent) -> Design | None:
    """``other``'s Design from ``design`` (``intent``'s) where the two intents differ only in
    :data:`POLICY` keys; None where they differ otherwise or ``other`` does not build (build it
    to say why)."""
    keys = set(changed_keys(intent.model_dump(), other.model_dump()))
    if not all(map(_policy, keys)):
        return None
    resolved, problems = resolve_switches(other)
    if problems or intent_problems(resolved) or qos_problems(resolved):
        return None
    backend = replace(design.backend, bgp=bgp_policy(resolved.backend))
    if any(k[:2] == ("backend", "qos") for k in keys):
        qos = FabricQos(resolved.backend.qos, backend.mtu, "backend")
        devices = []
        for dev in backend.devices:
            policy = qos.policy(dev.platform)
            ecn, plan = policy.ecn, dev.buffers
            if ecn is not None and policy.lossless and plan is not None and ecn.max_bytes >= plan.lossless_queue_bytes:
                return None  # ECN would never mark: the build says so (qos.buffers.fit_problems)
            devices.append(replace(dev, qos=policy))
        backend = replace(backend, devices=tuple(devices))
    return replace(design, backend=backend, frontend=replace(design.frontend, bgp=bgp_policy(resolved.frontend)),
                   upgrade=upgrade_policy(resolved), access=access_policy(resolved.management, resolved.telemetry),
                   telemetry=telemetry_policy(resolved.telemetry))
