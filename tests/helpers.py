"""Intent construction helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from aifab.intent.schema import Intent


def make_intent(backend: dict[str, Any] | None = None, frontend: dict[str, Any] | None = None, **top: Any) -> Intent:
    """A valid intent with roomy pools; keyword dicts override the defaults."""
    be: dict[str, Any] = {
        "servers": 4, "gpus_per_server": 2, "servers_per_su": 2,
        "switches": {"leaf": {"ports": 4}, "spine": {"ports": 4}},
        "pools": {"loopbacks": "10.0.0.0/16", "p2p": "10.1.0.0/16", "servers": "10.2.0.0/15"},
    }
    fe: dict[str, Any] = {
        "storage_nodes": 1,
        "switches": {"leaf": {"ports": 8}, "spine": {"ports": 8}},
        "pools": {"loopbacks": "10.100.0.0/16", "p2p": "10.101.0.0/16", "servers": "10.102.0.0/15"},
    }
    be.update(backend or {})
    fe.update(frontend or {})
    return Intent.model_validate({"cluster": "t", "backend": be, "frontend": fe,
                                  "management": {"network": "172.16.0.0/16"}, **top})
