"""The scheduler hand-off of a cordon wave (issue 11, item 5): which servers and GPUs, as names and
compressed ranges (``srv-su1-[01-32]``), and the commands ``upgrade.cordon_command`` /
``uncordon_command`` become for it. Pure: ``aifab.deploy.cordon`` runs them, the review shows them.

A template is split once like a shell line (``shlex``) and each word's placeholders are filled in
(``str.format``): a value never becomes more than its one word and no shell ever reads it, so a
host list cannot inject anything. Host names are checked against ``HOST`` first (no leading dash:
never an option of the program). With ``{host}`` the command runs once per server.
"""

from __future__ import annotations

import re
import shlex
import string
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aifab.design.model import Design
from aifab.errors import AifabError
from aifab.plan.changes import natural_sorted
from aifab.plan.waves import Wave
from aifab.render.view import natural_key

HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")  # a host name (RFC 1123 label characters, and dots)
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


class HandoffError(AifabError):
    """A cordon hand-off that cannot be made safely (a host name a command must not carry)."""


def compress(names: list[str] | tuple[str, ...]) -> list[str]:
    """Names as ranges, natural order: srv-su1-01 .. srv-su1-32 -> ``srv-su1-[01-32]``;
    gaps give ``srv-su1-[01-04,07]``; a name without a trailing number stays as it is."""
    groups: dict[str, list[str]] = defaultdict(list)
    plain: list[str] = []
    for name in names:
        m = _NUMBERED.match(name)
        if m:
            groups[m.group(1)].append(m.group(2))
        else:
            plain.append(name)
    out: list[tuple[tuple[Any, ...], str]] = [(natural_key(p), p) for p in plain]
    for prefix, digits in groups.items():
        width = min(len(d) for d in digits) if any(d.startswith("0") for d in digits) else 0
        numbers = [int(d) for d in digits]
        nums = sorted(set(numbers))
        runs: list[tuple[int, int]] = []
        for n in nums:
            if runs and n == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], n)
            else:
                runs.append((n, n))
        def fmt(n: int, width: int = width) -> str:
            return f"{n:0{width}d}"
        if len(nums) == 1:
            text = f"{prefix}{fmt(nums[0])}"
        else:
            text = prefix + "[" + ",".join(fmt(a) if a == b else f"{fmt(a)}-{fmt(b)}" for a, b in runs) + "]"
        out.append((natural_key(f"{prefix}{nums[0]}"), text))
    return [text for _, text in sorted(out)]


@dataclass(frozen=True, slots=True)
class CordonWave:
    """The servers one wave cordons, and what the scheduler is told about them."""

    wave: int
    servers: tuple[str, ...]  # natural order
    gpus: int
    devices: tuple[str, ...]  # the switches whose change needs the cordon
    cluster: str

    @property
    def ranges(self) -> list[str]:
        return compress(self.servers)

    @property
    def reason(self) -> str:
        return f"aifab {self.cluster} wave {self.wave}: {','.join(compress(self.devices))}"

    def fields(self) -> dict[str, str]:
        """The placeholders of a cordon command (``aifab.intent.schema.COMMAND_FIELDS``) but ``host``."""
        return {"hosts": ",".join(self.servers), "hosts_range": ",".join(self.ranges), "count": str(len(self.servers)),
                "gpus": str(self.gpus), "wave": str(self.wave), "reason": self.reason, "cluster": self.cluster}


def cordon_wave(design: Design, wave: Wave) -> CordonWave | None:
    """The cordon of ``wave`` (None when it cordons nothing), from its changes' own cordon lists (a
    wave resumed from the journal carries them too)."""
    servers = natural_sorted({s for c in wave.changes for s in c.cordon})
    if not servers:
        return None
    hosts = {h.name: h for h in design.hosts}
    gpus = sum(sum(1 for n in hosts[s].nics if n.fabric == "backend") for s in servers if s in hosts)
    devices = tuple(natural_sorted(c.device for c in wave.changes if c.cordon))
    return CordonWave(wave.index, tuple(servers), gpus, devices, design.cluster)


def argvs(template: str, cw: CordonWave) -> list[list[str]]:
    """The argument vectors ``template`` runs for ``cw``: one, or one per server with ``{host}``.
    HandoffError when a server's name is not a plain host name."""
    bad = [s for s in cw.servers if not HOST.match(s)]
    if bad:
        raise HandoffError(f"wave {cw.wave}: server name {bad[0]!r} is not a host name a cordon command may carry")
    words = shlex.split(template)
    per_host = any(f == "host" for w in words for _, f, _, _ in string.Formatter().parse(w))
    fields = cw.fields()
    return [[w.format(**fields, host=h) for w in words] for h in (cw.servers if per_host else ("",))]


def shown(argv: list[str]) -> str:
    """One argument vector as a shell would need it typed (for plans, logs and the audit)."""
    return shlex.join(argv)


def commands(design: Design, cw: CordonWave) -> dict[str, list[str]]:
    """The commands the deploy runs before (``cordon``) and after (``uncordon``) the wave, as shown
    text (empty lists where the intent has no command)."""
    up = design.upgrade
    return {what: [shown(a) for a in argvs(t, cw)] if t else []
            for what, t in (("cordon", up.cordon_command), ("uncordon", up.uncordon_command))}
