"""Kernel settings of an FRR switch: the commands of links.sh and qos.sh (and, for a SONiC switch in
the lab, its interface addresses), each one identifiable setting, compared with the kernel's state.

A candidate bundle is a JSON object ``{"frr.conf": TEXT, "links.sh": TEXT, "qos.sh": TEXT}`` (any
key may be left out; ``"addresses.sh"`` also accepted); any other text is frr.conf alone.

Each command line of a script is one :class:`Setting`. Whether it is in effect is read from the
kernel in one round trip (``ip -j link``, ``ip -j addr``, ``tc -j qdisc``, ``dcb -j <object> show``,
``ethtool``, ``sysctl``): link MTU, admin state, addresses and sysctl values (the ECMP hash policy)
are compared value by value; a qdisc must exist
with its kind, handle and parent; dcb and ethtool must be readable. The parameters of a qdisc, a dcb
map and a link speed are pinned by the record of what the driver applied last (``applied``): tc's
and dcb's JSON read-back differs between iproute2 versions and is not parsed field by field.

:func:`undo` reads, before a setting is first applied, the command that puts its target back
(a link's MTU or state, a sysctl's value, no such address or link): the driver keeps it to take the
setting back when a later replace lacks it.

A setting the kernel cannot hold (``Operation not supported``, an unknown qdisc kind, a missing
tool) is *not applicable*: reported, never a failure, unless it is required. Required: the
``ip link`` and ``ip addr`` settings (a wrong MTU or a missing address breaks the fabric) and the
``sysctl`` ones (an ECMP hash without the UDP source port puts a GPU pair's flows on one uplink). Any other
error (a malformed argument, say) fails the commit.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SCRIPTS = ("links.sh", "addresses.sh", "qos.sh")  # applied in this order: links before FRR, QoS after
FILES = ("frr.conf", *SCRIPTS)
# Errors that mean "this kernel or NIC cannot hold the setting" rather than "the setting is wrong".
CAPABILITY = re.compile(r"Operation not supported|qdisc kind is unknown|command not found|: not found$"
                        r"|No such file or directory|not supported", re.IGNORECASE | re.MULTILINE)
_MARK = "@@aifab"


class BundleError(ValueError):
    """The candidate is a JSON object with a key this driver does not know, or a value that is not text."""


def bundle(text: str) -> dict[str, str]:
    """The files of a candidate: a JSON object of FILES, else ``{"frr.conf": text}``."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return {"frr.conf": text}
    try:
        data = json.loads(stripped)
    except ValueError:
        return {"frr.conf": text}  # "{" never starts an frr.conf line, but be lenient
    if not isinstance(data, dict):
        raise BundleError("the candidate JSON is not an object")
    unknown = sorted(set(data) - set(FILES))
    if unknown:
        raise BundleError(f"unknown candidate file(s) {', '.join(unknown)}; known: {', '.join(FILES)}")
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        raise BundleError(f"candidate file(s) {', '.join(bad)} are not text")
    return dict(data)


@dataclass(frozen=True, slots=True)
class Setting:
    """One command of a script: what it sets, on which device."""

    file: str
    command: str

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command)

    @property
    def dev(self) -> str:
        argv = self.argv
        if argv[0] == "ethtool":
            return argv[2]
        return argv[argv.index("dev") + 1] if "dev" in argv else ""

    @property
    def tool(self) -> str:
        argv = self.argv
        return f"dcb {argv[1]}" if argv[0] == "dcb" else " ".join(argv[:2]) if argv[0] == "tc" else argv[0]

    @property
    def required(self) -> bool:
        """ip link / ip addr and sysctl settings must apply; qdiscs, DCB and link speed may be beyond the kernel."""
        return self.argv[0] in ("ip", "sysctl")

    @property
    def sysctl(self) -> tuple[str, str] | None:
        """(key, value) of a ``sysctl -w key=value`` setting, else None."""
        argv = self.argv
        if argv[0] != "sysctl" or "=" not in argv[-1]:
            return None
        key, _, value = argv[-1].partition("=")
        return key, value

    @property
    def label(self) -> str:
        return f"{self.file}: {self.command}"


def settings(files: Mapping[str, str]) -> list[Setting]:
    """Every command line of the scripts in ``files``, in apply order (comments and ``set`` skipped)."""
    out = []
    for name in SCRIPTS:
        for line in files.get(name, "").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and not line.startswith("set "):
                out.append(Setting(name, line))
    return out


@dataclass
class KernelState:
    """The kernel's state as read in one round trip."""

    links: dict[str, dict] = field(default_factory=dict)  # ip -j link, by name
    addrs: dict[str, set[str]] = field(default_factory=dict)  # ip -j addr: "10.0.1.0/31" per interface
    qdiscs: list[dict] = field(default_factory=list)  # tc -j qdisc
    errors: dict[str, str] = field(default_factory=dict)  # "dcb pfc swp1" / "ethtool swp1" -> error (absent: readable)
    sysctls: dict[str, str] = field(default_factory=dict)  # sysctl key -> value as the kernel prints it
    outputs: dict[str, str] = field(default_factory=dict)  # "ethtool swp1" -> its text


def read_script(wanted: Iterable[Setting]) -> str:
    """A shell script printing everything :func:`parse_state` needs (one SSH round trip)."""
    lines = [f'echo "{_MARK} link"; ip -j link show', f'echo "{_MARK} addr"; ip -j addr show',
             f'echo "{_MARK} qdisc"; tc -j qdisc show']
    keys = sorted({kv[0] for s in wanted if (kv := s.sysctl)})
    if keys:
        lines.append(f'echo "{_MARK} sysctl"; sysctl {" ".join(shlex.quote(k) for k in keys)} 2>/dev/null')
    probes = sorted({(s.tool, s.dev) for s in wanted if s.tool.startswith(("dcb", "ethtool"))})
    for tool, dev in probes:
        cmd = (f"dcb -j {tool.split()[1]} show dev {shlex.quote(dev)}" if tool.startswith("dcb")
               else f"ethtool {shlex.quote(dev)}")
        lines.append(f'echo "{_MARK} probe {tool} {dev}"; {cmd} 2>&1; echo "{_MARK} rc $?"')
    return "\n".join(lines) + "\n"


def apply_script(todo: Sequence[tuple[Setting, int | None]]) -> str:
    """A shell script running each setting of ``todo`` in order (one SSH round trip for them all):
    a setting paired with the index of an earlier one (the qdisc it hangs under) runs only when
    that one exited 0. Each command's output is framed on both streams for :func:`parse_applied`."""
    lines = []
    for i, (s, after) in enumerate(todo):
        run = (f'printf "\\n{_MARK} run {i}\\n"; printf "\\n{_MARK} run {i}\\n" >&2; '
               f"{shlex.join(s.argv)} </dev/null; r{i}=$?")
        if after is not None:
            run = f'if [ "$r{after}" = 0 ]; then {run}; else r{i}=skip; fi'
        lines.append(f'{run}; printf "\\n{_MARK} rc {i} %s\\n" "$r{i}"')
    return "\n".join(lines) + "\n"


def parse_applied(stdout: str, stderr: str, count: int) -> list[tuple[int | None, str, str]]:
    """The output of :func:`apply_script` for its ``count`` settings: (exit code, stdout, stderr) of
    each; exit code None for one skipped because the one it ran after failed, -1 for one the script
    never reached (its result is missing)."""
    outs, errs = _framed(stdout), _framed(stderr)
    codes: dict[int, int | None] = {}
    for line in stdout.splitlines():
        if line.startswith(f"{_MARK} rc "):
            index, _, code = line[len(_MARK) + 4:].partition(" ")
            codes[int(index)] = None if code == "skip" else int(code)
    return [(codes.get(i, -1), outs.get(i, ""), errs.get(i, "")) for i in range(count)]


def _framed(text: str) -> dict[int, str]:
    """Each command's part of one stream of an :func:`apply_script` run, by index."""
    parts: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(f"{_MARK} run "):
            current = parts.setdefault(int(line[len(_MARK) + 5:]), [])
        elif line.startswith(f"{_MARK} rc "):
            current = None
        elif current is not None:
            current.append(line)
    return {i: "\n".join(body).strip() for i, body in parts.items()}


def parse_state(stdout: str) -> KernelState:
    """The output of :func:`read_script` as a KernelState."""
    state = KernelState()
    sections: list[tuple[str, list[str]]] = []
    for line in stdout.splitlines():
        if line.startswith(_MARK + " "):
            sections.append((line[len(_MARK) + 1:], []))
        elif sections:
            sections[-1][1].append(line)
    probe = ""
    for head, body in sections:
        text = "\n".join(body).strip()
        if head == "link":
            state.links = {e["ifname"]: e for e in _json_list(text)}
        elif head == "addr":
            state.addrs = {e["ifname"]: {f"{a['local']}/{a['prefixlen']}" for a in e.get("addr_info", [])}
                           for e in _json_list(text)}
        elif head == "qdisc":
            state.qdiscs = _json_list(text)
        elif head == "sysctl":
            for line in body:
                key, sep, value = line.partition(" = ")
                if sep:
                    state.sysctls[key.strip()] = value.strip()
        elif head.startswith("probe "):
            probe = head.removeprefix("probe ")
            state.outputs[probe] = text
        elif head.startswith("rc ") and probe:
            if head != "rc 0":
                state.errors[probe] = reason(state.outputs.get(probe, "")) or f"exit {head[3:]}"
            probe = ""
    return state


def _json_list(text: str) -> list[dict]:
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def in_effect(s: Setting, state: KernelState, applied: set[str]) -> tuple[bool | None, str]:
    """(True, "") in effect; (False, why) to apply; (None, why) the kernel cannot hold it (read fails)."""
    argv = s.argv
    if (kv := s.sysctl) is not None:
        key, want = kv
        got = state.sysctls.get(key)
        if got is None:
            return False, f"{key} not readable"
        try:
            same = int(got, 0) == int(want, 0)
        except ValueError:
            same = got == want
        return (True, "") if same else (False, f"{key} is {got}")
    if argv[:3] == ["ip", "link", "add"]:  # a device (a loopback): there or not
        return (True, "") if argv[3] in state.links else (False, f"{argv[3]} does not exist")
    if argv[:3] == ["ip", "link", "set"]:
        link = state.links.get(s.dev)
        if link is None:
            return False, f"{s.dev} does not exist"
        if "mtu" in argv:
            want = int(argv[argv.index("mtu") + 1])
            return (True, "") if link.get("mtu") == want else (False, f"mtu is {link.get('mtu')}")
        if argv[-1] in ("up", "down"):
            up = "UP" in link.get("flags", [])
            return (True, "") if up == (argv[-1] == "up") else (False, "up" if up else "down")
        return (s.command in applied), "not applied by aifab"
    if argv[:3] == ["ip", "link", "del"]:
        return (False, f"{argv[3]} exists") if argv[3] in state.links else (True, "")
    if argv[:2] == ["ip", "addr"] or argv[:2] == ["ip", "address"]:
        cidr, held = argv[3], argv[3] in state.addrs.get(s.dev, set())
        if argv[2] == "del":
            return (False, f"{cidr} on {s.dev}") if held else (True, "")
        return (True, "") if held else (False, f"{cidr} not on {s.dev}")
    if argv[0] in ("dcb", "ethtool"):
        key = f"{s.tool} {s.dev}"
        if key in state.errors:
            return None, state.errors[key]
        if argv[0] == "ethtool" and "speed" in argv:
            m = re.search(r"Speed:\s*(\d+)Mb/s", state.outputs.get(key, ""))
            if not m or m.group(1) != argv[argv.index("speed") + 1]:
                return False, f"speed is {m.group(1) + 'Mb/s' if m else 'unknown'}"
        return (True, "") if s.command in applied else (False, "not applied by aifab")
    if argv[:2] == ["tc", "qdisc"]:
        handle = argv[argv.index("handle") + 1] if "handle" in argv else ""
        kind = next((w for w in argv[argv.index("handle") + 2:] if not w.startswith("-")), "") if handle else ""
        root = "root" in argv
        parent = argv[argv.index("parent") + 1] if "parent" in argv else ""
        for q in state.qdiscs:
            if q.get("dev", s.dev) != s.dev or q.get("handle") != handle:
                continue
            if (root and q.get("root")) or (parent and q.get("parent") == parent):
                if q.get("kind") != kind:
                    return False, f"qdisc {handle} is {q.get('kind')}"
                return (True, "") if s.command in applied else (False, "parameters not applied by aifab")
        return False, f"no {kind} qdisc {handle} on {s.dev}"
    return (s.command in applied), "not applied by aifab"


def target(s: Setting) -> tuple[str, ...]:
    """What ``s`` sets: two settings with one target replace each other (another MTU of one link,
    other parameters of one qdisc); a setting whose target no other setting has cannot be undone by one."""
    argv = s.argv
    if (kv := s.sysctl) is not None:
        return ("sysctl", kv[0])
    if argv[:3] == ["ip", "link", "add"]:
        return ("link", argv[3])
    if argv[:3] == ["ip", "link", "set"]:
        return ("ip link", s.dev, "mtu" if "mtu" in argv else "state" if argv[-1] in ("up", "down") else argv[-1])
    if argv[:2] in (["ip", "addr"], ["ip", "address"]):
        return ("addr", s.dev, argv[3])
    if argv[0] in ("dcb", "ethtool"):
        return (s.tool, s.dev)
    if (handle := tc_handle(s)) is not None:
        return ("tc", *handle)
    return ("command", s.command)


def target_key(s: Setting) -> str:
    """``s``'s target as a JSON key (a record keeps the pre-aifab state per target)."""
    return json.dumps(list(target(s)))


def undo(s: Setting, state: KernelState) -> str | None:
    """The command that returns what ``s`` sets to what ``state`` (read before ``s`` is applied)
    holds: the link's MTU or admin state, the sysctl's value, no such address, no such link.
    None where the state cannot be read back as a command (qdiscs, DCB maps, ethtool), or where
    ``state`` does not show the target."""
    argv = s.argv
    if (kv := s.sysctl) is not None:
        now = state.sysctls.get(kv[0])
        return None if now is None else f"sysctl -w {kv[0]}={now}"
    if argv[:3] == ["ip", "link", "add"]:
        return None if argv[3] in state.links else f"ip link del {shlex.quote(argv[3])}"
    if argv[:3] == ["ip", "link", "set"] and (link := state.links.get(s.dev)) is not None:
        dev = shlex.quote(s.dev)
        if "mtu" in argv:
            return f"ip link set dev {dev} mtu {link['mtu']}" if "mtu" in link else None
        if argv[-1] in ("up", "down"):
            return f"ip link set dev {dev} {'up' if 'UP' in link.get('flags', []) else 'down'}"
        return None
    if argv[:2] in (["ip", "addr"], ["ip", "address"]) and argv[2] in ("add", "replace") and s.dev in state.links:
        return None if argv[3] in state.addrs.get(s.dev, set()) else f"ip addr del {argv[3]} dev {shlex.quote(s.dev)}"
    return None


def tc_handle(s: Setting) -> tuple[str, str] | None:
    """(dev, "1:") for a tc qdisc setting with a handle, else None."""
    argv = s.argv
    return (s.dev, argv[argv.index("handle") + 1]) if argv[:2] == ["tc", "qdisc"] and "handle" in argv else None


def tc_parent(s: Setting) -> tuple[str, str] | None:
    """(dev, "1:") of the qdisc a tc setting's ``parent 1:3`` class belongs to, else None."""
    argv = s.argv
    if argv[:2] != ["tc", "qdisc"] or "parent" not in argv:
        return None
    return s.dev, argv[argv.index("parent") + 1].split(":")[0] + ":"


def reason(text: str) -> str:
    """An error's last line without the shell's prefix (``sh: 12: ethtool: not found`` -> ``ethtool: not found``)."""
    lines = text.strip().splitlines()
    return re.sub(r"^(?:ba)?sh: (?:line )?\d+: ", "", lines[-1].strip()) if lines else ""


def cannot_hold(error: str) -> bool:
    """True when a command's error says the kernel or NIC cannot hold the setting (not that it is wrong)."""
    return bool(CAPABILITY.search(error))


def summarize(items: Mapping[str, str]) -> list[str]:
    """Not-applied settings (label -> why) in a few lines: one per script, tool and reason, naming the
    interfaces (``qos.sh: dcb app, dcb ets on swp1 swp2: Operation not supported``); other items as they are."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    out = []
    for label, why in items.items():
        file, sep, command = label.partition(": ")
        if not sep or file not in SCRIPTS:
            out.append(f"{label}: {why}" if why else label)
            continue
        s = Setting(file, command)
        tools, devs = groups.setdefault((file, why), ([], []))
        for seq, value in ((tools, s.tool), (devs, s.dev)):
            if value not in seq:
                seq.append(value)
    out += [f"{file}: {', '.join(tools)} on {' '.join(devs)}: {why}" for (file, why), (tools, devs) in groups.items()]
    return out
