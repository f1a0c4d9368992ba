"""Shared steps of the text parsers (EOS, FRR): cut a file, run ttp, build typed DeviceFacts.

``split`` cuts a file with a platform's :class:`Syntax`: the lines that only name a port or a
session are read by expressions; the rest goes to ttp, each distinct interface body once
(``parse_bodies``) and each chunk of blocks that recurs on many devices once (``run_ttp_shared``).
The few other values of one device alone (its hostname, ASN, router ID, aggregates, prefix-list
entries) are masked in the chunks ttp reads and put back in its result: the chunks are then the same
on every device of a role, and ttp reads each once per batch instead of once per device.
The EOS and FRR templates produce the same shape: ``system.hostname``, ``interfaces[]``,
``prefix_lists[]``, ``route_maps[]`` and ``bgp`` with neighbor/aggregate/network/redistribute lines
joined by ttp (``joinmatches``) and split here, with the neighbor lines the expressions read.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from sys import intern
from typing import Any, NamedTuple

from ttp import ttp

from aifab.check.parse.bgpknobs import loop_knobs
from aifab.check.parse.facts import Bgp, DeviceFacts, Interface, Neighbor
from aifab.platforms import platform as platform_record

# ttp logs a value its template cannot convert; the file's finding (CFG001) names it, located.
logging.getLogger("ttp").setLevel(logging.CRITICAL)


class ParseError(Exception):
    """A rendered file that cannot be read or parsed (the message names the file)."""


@cache
def _parser(template: str) -> ttp:
    """One compiled ttp parser per template per process (compiling costs more than parsing a file)."""
    return ttp(template=template)


def run_ttp(template: str, texts: list[str]) -> list[dict[str, Any]]:
    """Parse ``texts`` with one ttp template; one result dict per text, in order."""
    parser = _parser(template)
    parser.clear_input()
    parser.clear_result()
    for text in texts:
        parser.add_input(text if text.endswith("\n") else text + "\n")
    parser.parse(one=True)
    results = list(parser.result()[0]) if texts else []  # copy: clear_result() empties the list in place
    parser.clear_input()
    parser.clear_result()
    if len(results) != len(texts):
        raise ParseError(f"ttp returned {len(results)} results for {len(texts)} files")
    return [r if isinstance(r, dict) else {} for r in results]


MASK = "\x7f"  # followed by an index, stands in the text ttp reads for a value of one device (no config holds it)
_MASKED = re.compile(MASK + r"(\d+)")


def unmasked(value: Any, values: list[str]) -> Any:
    """``value`` (a ttp result: dicts, lists, strings) with each :data:`MASK` index put back as the
    value it stands for in ``values``."""
    if isinstance(value, str):
        return _MASKED.sub(lambda m: values[int(m[1])], value) if MASK in value else value
    if isinstance(value, dict):
        return {k: unmasked(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [unmasked(v, values) for v in value]
    return value


_READ: dict[str, dict[str, dict[str, Any]]] = {}  # template -> text -> ttp's result, across batches
READ_LIMIT = 4096  # texts whose results are kept per template before they are forgotten


def run_ttp_shared(template: str, devices: list[list[str]], masked: list[list[str]] | None = None) -> list[dict[str, Any]]:
    """Parse each device's text, given as chunks (each the blocks of one kind, in file order), with one
    ttp template; a chunk found in several devices of the batch is parsed once and its result shared,
    and a text parsed in an earlier batch is not parsed again (its masked chunks recur on every switch
    of a role). ``masked``: each device's values its chunks hold masked (:data:`MASK`), put back in
    its result.

    A device's other chunks are parsed together as one text. The results are read-only."""
    seen = Counter(chunk for chunks in devices for chunk in chunks)
    own = ["".join(c for c in chunks if seen[c] == 1) for chunks in devices]
    distinct = list(dict.fromkeys([*own, *(c for c, n in seen.items() if n > 1)]))
    known = _READ.setdefault(template, {})
    new = [text for text in distinct if text not in known]
    if len(known) + len(new) > READ_LIMIT:  # the earlier batches' texts are forgotten
        known.clear()
        new = distinct
    if new:
        known.update(zip(new, run_ttp(template, new), strict=True))
    results = {text: known[text] for text in distinct}
    out = []
    for i, (chunks, text) in enumerate(zip(devices, own, strict=True)):
        values = masked[i] if masked else None
        merged = unmasked(results[text], values) if values and MASK in text else dict(results[text])
        for chunk in chunks:
            if seen[chunk] > 1:
                result = unmasked(results[chunk], values) if values and MASK in chunk else results[chunk]
                for key, value in result.items():
                    merged[key] = as_list(merged[key]) + as_list(value) if key in merged else value
        out.append(merged)
    return out


Body = tuple[str, str]  # an interface's body before and after its address line (a key: not joined per port)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_DOTTED = rf"{_OCTET}(?:\.{_OCTET}){{3}}"  # an IPv4 address: a dotted quad, each part 0-255
CIDR = re.compile(rf"{_DOTTED}/(?:3[0-2]|[12]?\d)")  # an IPv4 address with a prefix length (0-32)
IPV4 = re.compile(_DOTTED)


def all_match(pattern: re.Pattern[str], values: list[str]) -> bool:
    """Every one of ``values`` (strings of one line) matches ``pattern`` whole: one regular expression
    over them all instead of a call per value."""
    if not values:
        return True
    text = "\n".join(values)
    return text.count("\n") == len(values) - 1 and not re.search(rf"^(?!(?:{pattern.pattern})$)", text, re.M)


def ipv4(value: Any) -> str | None:
    """``value`` when it is a bare IPv4 address (a dotted quad, each part 0-255), else None."""
    return value if isinstance(value, str) and IPV4.fullmatch(value) else None


def cidr(value: Any) -> str | None:
    """``value`` when it is an IPv4 address with a prefix length (0-32), else None: the rules read
    addresses as integers, and a port whose address is not one has none (a finding, not a crash)."""
    return value if isinstance(value, str) and CIDR.fullmatch(value) else None


@dataclass(frozen=True)
class Syntax:
    """The lines of a platform's text that only name one port or one session, read by anchored
    regular expressions over the whole text instead of ttp (docs/checks.md, Speed). A line they do
    not take (an address in an unusual place, a secondary) stays in the text ttp reads. Only IPv4
    neighbors are read (the fabrics are IPv4); other address neighbor lines are dropped."""

    interface: re.Pattern[str]  # splits text into other text and (name, description, before, address, after)
    remote_as: re.Pattern[str]  # an address neighbor's remote-as: (address, value)
    member: re.Pattern[str]  # an address neighbor's peer group: (address, group)
    address_neighbor: re.Pattern[str]  # any line of an address neighbor
    read: tuple[str, ...]  # first words of the top-level blocks ttp reads
    kind: re.Pattern[str]  # matches the start of a block ttp reads: which of ``read`` it is
    own: dict[str, re.Pattern[str]]  # block kind -> a line in it holding a value of one device alone:
    # (the line up to it, the value)


def syntax(indent: str, group_word: str, read: tuple[str, ...], own: dict[str, tuple[str, ...]] | None = None) -> Syntax:
    """The expressions for a platform that indents one level by ``indent`` and spells peer group
    membership ``group_word``. An interface's ``description`` is taken where the platform writes it
    (first), its address from the first ``ip`` line. ``own``: for a kind of block (one of ``read``),
    expressions of the start of a line in it whose next word is a value of one device alone (masked
    in the text ttp reads, see :data:`MASK`)."""
    i = re.escape(indent)
    end = r"(?![^\n])"  # at the end of its line
    # Possessive quantifiers (``*+``, ``?+``): nothing after a part needs it to give back text, and
    # the engine then keeps no backtracking state per line (~30 % less time at 32k GPUs).
    return Syntax(
        interface=re.compile(rf"\ninterface ([^\n]++)(?:\n{i}description ([^\n]*+))?+((?:\n{i}(?!ip)[^\n]*+)*+)"
                             rf"(?:\n{i}ip address ({CIDR.pattern}){end})?+((?:\n{i}[^\n]*+)*+)"),
        remote_as=re.compile(rf"\n{i}neighbor (\d\S*+) remote-as (\S++){end}"),  # the address is checked
        member=re.compile(rf"\n{i}neighbor (\d\S*+) {re.escape(group_word)} (\S++){end}"),  # by neighbors()
        address_neighbor=re.compile(rf"\n{i}neighbor \d[^\n]*+"),
        read=read,
        kind=re.compile("|".join(map(re.escape, read))),  # the first of ``read`` that matches, as startswith
        own={kind: re.compile(rf"^((?:{'|'.join(starts)}))([^{MASK}\s]++)", re.M) for kind, starts in (own or {}).items()})


class Split(NamedTuple):
    """One file cut by a :class:`Syntax`."""

    chunks: list[str]  # the blocks ttp reads, one chunk per kind (``Syntax.read``), address neighbors removed
    names: list[str]  # each interface, in file order, with its
    descriptions: list[str | None]
    addresses: list[str | None]
    bodies: list[Body]  # the rest of its block (equal bodies are one object)
    remote: dict[str, str]  # address neighbor -> remote-as
    member: dict[str, str]  # address neighbor -> peer group
    masked: list[str]  # the values masked in ``chunks``, by index (see :data:`MASK`)
    rest: str  # the text outside the interface blocks (the top-level lines a parser scans for more)
    knobs: dict[str, frozenset[str]]  # BGP neighbors' loop knobs, from the ``router bgp`` blocks (bgpknobs)


_BLOCK = re.compile(r"\n(?=\S)")  # a line at column 0 starts a block
_GROUPS = 5  # of Syntax.interface


def split(text: str, how: Syntax, canon: dict[Body, Body]) -> Split:
    """Cut one file's text; equal interface bodies become one object, the first in ``canon``."""
    if text.startswith("interface "):  # the expression finds a block after a newline
        text = "\n" + text
    parts = how.interface.split(text)
    step = _GROUPS + 1
    bodies = [canon.setdefault(body, body) for body in zip(parts[3::step], parts[5::step], strict=True)]
    chunks: dict[str, str] = {}
    remote: dict[str, str] = {}
    member: dict[str, str] = {}
    masked: list[str] = []
    own = how.own if MASK not in text else {}  # a text holding the mask itself is read as it is
    rest = "".join(parts[::step])
    knobs: dict[str, frozenset[str]] = {}

    def mask(m: re.Match[str]) -> str:
        masked.append(m[2])
        return f"{m[1]}{MASK}{len(masked) - 1}"

    for block in _BLOCK.split(rest):
        m = how.kind.match(block)
        if m is None:
            continue
        kind = m[0]
        if kind == "router bgp ":
            for name, found in loop_knobs(block).items():
                knobs[name] = knobs.get(name, frozenset()) | found
            remote.update(how.remote_as.findall(block))
            member.update(how.member.findall(block))
            block = how.address_neighbor.sub("", block)
        if kind in own:
            block = own[kind].sub(mask, block)
        chunks[kind] = chunks.get(kind, "") + (block if block.endswith("\n") else block + "\n")
    names = list(map(intern, parts[1::step]))  # the same few hundred names on every device: one string each
    return Split(list(chunks.values()), names, parts[2::step], parts[4::step], bodies, remote, member, masked, rest,
                 knobs)


def parse_bodies(template: str, bodies: set[Body]) -> dict[Body, dict[str, Any]]:
    """``template``'s ``interfaces`` result for each distinct interface body (the name excluded)."""
    order = list(bodies)
    parsed = run_ttp(template, ["".join(f"interface {i}{pre}{post}\n" for i, (pre, post) in enumerate(order))])[0] if order else {}
    by_index = {r["name"]: r for r in as_list(parsed.get("interfaces"))}
    if len(by_index) != len(order):
        raise ParseError(f"ttp read {len(by_index)} of {len(order)} distinct interface bodies")
    out = {}
    for i, body in enumerate(order):
        raw = dict(by_index[str(i)])
        raw.pop("name", None)
        out[body] = raw
    return out


def cut_and_parse(texts: Iterable[str], how: Syntax, device_template: str,
                  body_template: str) -> tuple[list[tuple[Split, dict[str, Any]]], dict[Body, dict[str, Any]]]:
    """Each text cut by ``how`` with ``device_template``'s result for its chunks, and
    ``body_template``'s result for each distinct interface body (texts are consumed one by one)."""
    canon: dict[Body, Body] = {}
    cut = [split(text, how, canon) for text in texts]
    parsed = run_ttp_shared(device_template, [c.chunks for c in cut], [c.masked for c in cut])
    return list(zip(cut, parsed, strict=True)), parse_bodies(body_template, set(canon))


def as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _lines(value: Any) -> list[str]:
    """A ``joinmatches`` value: one string of lines, or absent."""
    return str(value).splitlines() if value else []


def neighbors(lines: list[str], group_word: str, remote: dict[str, str] | None = None,
              member: dict[str, str] | None = None) -> tuple[dict[str, Neighbor], dict[str, int | None]]:
    """``neighbor X ...`` lines (without the keyword) -> neighbors by address, and peer groups' remote-as.

    ``X`` is an address or a peer group name; a neighbor without remote-as takes its group's.
    ``group_word`` is how the platform spells membership: ``peer group`` (EOS) or ``peer-group`` (FRR).
    ``remote`` (name -> remote-as word) and ``member`` (name -> peer group) hold lines a parser read
    before; ``lines`` add to them.
    """
    remote = dict(remote or {})
    member = dict(member or {})
    groups: dict[str, int | None] = {}
    for line in lines:
        name, _, rest = line.partition(" ")
        if rest == group_word:
            groups[name] = None
        elif rest.startswith("remote-as "):
            remote[name] = rest.split()[1]
        elif rest.startswith(group_word + " "):
            member[name] = rest[len(group_word) + 1:].strip()
    asn = {name: int(value) if value.isdigit() else -1 for name, value in remote.items()}  # ``external``: no number
    for g in groups:
        groups[g] = asn.get(g)
    names = [name for name in dict.fromkeys([*remote, *member]) if name not in groups]  # a peer group is none
    if not all_match(IPV4, names):  # one expression over them all; rarely one is not an IPv4 address
        names = [name for name in names if IPV4.fullmatch(name)]  # (the fabrics are IPv4)
    interned = {group: intern(group) for group in set(member.values())}
    out = {}
    for name in names:
        group = member.get(name)
        out[name] = Neighbor(name, asn.get(name, groups.get(group) if group else None), group and interned[group])
    return out, groups


def device_facts(device: str, platform: str, files: tuple[str, ...], parsed: dict[str, Any],
                 ifaces: dict[str, Interface], group_word: str,
                 remote: dict[str, str] | None = None, member: dict[str, str] | None = None) -> DeviceFacts:
    """Typed facts from a text parser's result, its interfaces, and neighbor lines read outside ttp."""
    facts = DeviceFacts(device, platform, files, hostname=(parsed.get("system") or {}).get("hostname"), interfaces=ifaces)
    lo = ifaces.get(platform_record(platform).loopback)
    facts.loopback = lo.address.partition("/")[0] if lo and lo.address else None
    for raw in as_list(parsed.get("prefix_lists")):
        entries = facts.prefix_lists.setdefault(raw["name"], [])
        for line in _lines(raw.get("entries")):
            words = line.split()  # "10 permit 10.0.0.0/24 ge 32"
            if len(words) >= 3 and words[1] == "permit" and cidr(words[2]):
                entries.append(words[2])
    for raw in as_list(parsed.get("route_maps")):
        lists = facts.route_maps.setdefault(raw["name"], [])
        if raw.get("action", "permit") == "permit" and raw.get("prefix_list"):
            lists.append(raw["prefix_list"])
    bgp = parsed.get("bgp")
    if isinstance(bgp, list):
        bgp = bgp[0] if bgp else None
    if bgp and "asn" in bgp:
        for key in ("asn", "maximum_paths"):
            if not str(bgp.get(key) or 0).isdigit():
                raise ParseError(f"{device}: {key.replace('_', '-')} {bgp[key]!r} is not a number")
        nbrs, groups = neighbors(_lines(bgp.get("neighbor_lines")), group_word, remote, member)
        redistribute = []
        for line in _lines(bgp.get("redistribute_lines")):
            words = line.split()  # "connected route-map RM"
            redistribute.append(words[2] if len(words) >= 3 and words[1] == "route-map" else "")
        facts.bgp = Bgp(
            asn=int(bgp["asn"]), router_id=bgp.get("router_id"),
            maximum_paths=int(bgp["maximum_paths"]) if bgp.get("maximum_paths") else None,
            neighbors=nbrs, groups=groups,
            networks=[p for p in (line.split()[0] for line in _lines(bgp.get("network_lines")) + _lines(bgp.get("aggregate_lines")))
                      if cidr(p)],
            redistribute=redistribute)
    return facts
