"""Device files per platform: which outputs exist (the platform record's ``outputs``), how each is
produced, where it is written."""

from __future__ import annotations

import mmap
import os
import tempfile
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Collection
from itertools import accumulate
from pathlib import Path
from typing import Any, TypeVar

from aifab import forked
from aifab.design.model import Design, Device
from aifab.platforms import Platform, platform, resolve
from aifab.render.env import template
from aifab.render.sections import parts_renderer, rebased, renderer
from aifab.render.view import DeviceView, device_view

Producer = Callable[[DeviceView], str]
Parts = dict[str, list[str]]  # file name -> its text in parts (aifab.render.sections.parts_renderer)
T = TypeVar("T")
P = TypeVar("P")
FORK_THRESHOLD = 64  # below this many devices a render process costs more than it saves


def producer(record: Platform, output: str) -> Producer:
    """How ``record`` produces its output ``output`` (an output suffix): a template or a function."""
    ref = record.outputs[output]
    if ":" in ref:
        return resolve(ref)
    return renderer(ref, record.template_root)


def render_device(design: Design, dev: Device, container: bool = False) -> dict[str, str]:
    """The files of one device (file name -> text)."""
    return render_view(device_view(design, dev, container))


def render_view(view: DeviceView, suffixes: Collection[str] | None = None) -> dict[str, str]:
    """The files of the device whose view is ``view`` (file name -> text), or those of its outputs
    named in ``suffixes``."""
    record = platform(view.platform)
    return {f"{view.hostname}.{suffix}": producer(record, suffix)(view) for suffix in record.outputs
            if suffixes is None or suffix in suffixes}


def render_parts(view: DeviceView) -> Parts:
    """:func:`render_view`'s files, each in the parts its template renders them (one part for a
    file a function produces)."""
    record = platform(view.platform)
    out = {}
    for suffix, ref in record.outputs.items():
        name = f"{view.hostname}.{suffix}"
        out[name] = [resolve(ref)(view)] if ":" in ref else parts_renderer(ref, record.template_root)(view)
    return out


def rebased_files(view: DeviceView, parts: Parts, other: DeviceView, suffixes: Collection[str]) -> dict[str, str]:
    """The files named by ``suffixes`` of the device whose view is ``other`` (the same switch as
    ``view`` in another Design), given ``view``'s files in ``parts``: in a template's file, each
    section that reads the same values from both views is not rendered again."""
    record = platform(other.platform)
    out = {}
    for suffix, ref in record.outputs.items():
        if suffix not in suffixes:
            continue
        name, mine = f"{other.hostname}.{suffix}", parts.get(f"{view.hostname}.{suffix}")
        if ":" in ref or mine is None or view.platform != other.platform:
            out[name] = producer(record, suffix)(other)
        else:
            out[name] = rebased(ref, record.template_root, view, mine, other)
    return out


def _snippet(design: Design, dev: Device, name: str) -> str:
    record = platform(dev.platform)
    return template(f"{record.snippet_folder}/{name}", record.template_root).render(d=device_view(design, dev))


def drain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to drain ``dev`` (docs/sources.md#upgrade-rules): EOS quiesce, FRR bgp graceful-shutdown."""
    return _snippet(design, dev, "drain.j2")


def undrain_snippet(design: Design, dev: Device) -> str:
    """Config to merge to undo ``drain_snippet``."""
    return _snippet(design, dev, "undrain.j2")


Rendered = list[tuple[Device, DeviceView, dict[str, str], Parts]]  # devices, their views, files (name -> text) and their parts
Texts = list[tuple[str, str, dict[str, str]]]  # devices (name, platform) and their files (name -> text)
BATCH = 64  # devices whose texts are kept for the consumer at once (the parser waits for at most one more)
OWN_SHARE = 0.08  # of the rendering of configs written to disk, done by the process that parses them (see write_and_consume)
OWN_SHARE_UNWRITTEN = 0.12  # of the rendering of configs kept in memory (aifab review), done by the same
FIXED_WEIGHT = 20  # a device's sections that do not grow with its ports, as so many ports (see _share)


class _Spool:
    """An anonymous in-memory file (memfd; elsewhere an unlinked temporary file) through which a
    forked renderer passes its texts to this process when no config is written: the renderer appends
    them, this process reads each back by offset. Unlike a pipe it never fills: the renderer does not
    wait for the parser."""

    def __init__(self) -> None:
        try:
            self.fd = os.memfd_create("aifab-texts")
        except (AttributeError, OSError):  # no memfd (macOS), or refused (a sandbox): a file no one else sees
            with tempfile.TemporaryFile() as fh:
                self.fd = os.dup(fh.fileno())
        self.end = 0  # where the renderer appends next

    def put(self, text: str) -> tuple[int, int]:
        """Append ``text``; where it is (offset, length in bytes)."""
        data = memoryview(text.encode())
        start = self.end
        while data:
            done = os.pwrite(self.fd, data, self.end)
            data, self.end = data[done:], self.end + done
        return start, self.end - start

    def get(self, where: tuple[int, int]) -> str:
        """The text appended at ``where``."""
        start, size = where
        return os.pread(self.fd, size, start).decode()

    def close(self) -> None:
        os.close(self.fd)


def _write_devices(design: Design, configs: Path | None, consume: Callable[[Rendered], T] | None,
                   parse: Callable[[Texts], P] | None, devices: list[Device],
                   spool: _Spool | None = None,
                   send: Callable[[list[tuple[str, str, Any]]], None] | None = None) -> tuple[list[str], list[T], list[P]]:
    """Render ``devices`` and write them into ``configs`` (None: write nothing); the names of the
    files written, what ``consume`` made of each batch of them and what ``parse`` made of their
    texts. ``send`` (in a forked renderer) is told each batch's devices and file names once they are
    written, or where in ``spool`` their texts are when nothing is written."""
    written: list[str] = []
    consumed: list[T] = []
    parsed: list[P] = []
    batch: Rendered = []
    for i, dev in enumerate(devices, 1):
        view = device_view(design, dev)
        parts = render_parts(view)
        files = {name: "".join(texts) for name, texts in parts.items()}
        if configs is not None:
            for name, text in files.items():
                _write_changed(configs / name, text.encode())
                written.append(name)
        batch.append((dev, view, files, parts))
        if len(batch) == BATCH or i == len(devices):
            if send is not None:
                send([(d.name, d.platform, {n: spool.put(t) for n, t in f.items()} if spool else list(f))
                      for d, _, f, _ in batch])
            if parse is not None:
                parsed.append(parse([(d.name, d.platform, f) for d, _, f, _ in batch]))
            if consume is not None:
                consumed.append(consume(batch))
            batch = []
    return written, consumed, parsed


class _Handoff:
    """How a forked renderer that has rendered its share takes over part of the parsing it left to
    this process, when the parser turns out the slower (how the two compare depends on the machine,
    the platforms and the share this process rendered first). The renderer raises a flag and waits;
    between two batches this process sees it and hands it the last half of the batches it has not
    begun. Parsing a device there costs this process only the unpickling of its facts (~0.06 ms
    against ~0.28 ms to parse it, at 32k GPUs), and neither waits for the other."""

    def __init__(self) -> None:
        self._flag = mmap.mmap(-1, 1)  # shared with the forked renderer: 1 once it is done
        self._read, self._write = os.pipe()  # this process -> the renderer: the first batch it parses

    @property
    def ready(self) -> bool:
        """The renderer has sent every batch and waits for its part."""
        return self._flag[0] == 1

    def wait(self) -> int | None:
        """(In the renderer.) Say every batch is sent; the index of the first batch to parse (its
        count of batches: none), or None when this process is gone."""
        os.close(self._write)  # the parser's end only: a parser gone reads as the end of the pipe
        self._flag[0] = 1
        data = b""
        while len(data) < 8:
            more = os.read(self._read, 8 - len(data))
            if not more:
                return None
            data += more
        return int.from_bytes(data, "little")

    def give(self, first: int) -> None:
        """Tell the renderer to parse its batches from index ``first`` on."""
        os.write(self._write, first.to_bytes(8, "little"))

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)
        self._flag.close()


def _texts(batch: list[tuple[str, str, Any]], configs: Path | None, spool: _Spool | None) -> Texts:
    """A batch a forked renderer sent (devices and where their files are) with the files' texts."""
    if spool is not None:
        return [(dev, kind, {f: spool.get(at) for f, at in where.items()}) for dev, kind, where in batch]
    assert configs is not None
    return [(dev, kind, {f: (configs / f).read_bytes().decode() for f in where}) for dev, kind, where in batch]


def _render_beside(design: Design, configs: Path | None, consume: Callable[[Rendered], T] | None,
                   parse: Callable[[Texts], P], devices: list[Device], spool: _Spool | None, handoff: _Handoff,
                   send: Callable[[Any], None]) -> tuple[list[str], list[T], list[P]]:
    """The forked renderer of two processes: render ``devices``, sending each batch (where its texts
    are) to the parser, then ``None``; then parse the batches the parser hands back (:class:`_Handoff`)."""
    sent: list[list[tuple[str, str, Any]]] = []

    def kept(batch: list[tuple[str, str, Any]]) -> None:
        sent.append(batch)
        send(batch)

    names, consumed, _ = _write_devices(design, configs, consume, None, devices, spool, kept)
    send(None)
    first = handoff.wait()
    return names, consumed, [parse(_texts(b, configs, spool)) for b in sent[len(sent) if first is None else first:]]


def _parse_sent(child: forked.Child, parse: Callable[[list[tuple[str, str, Any]]], P], handoff: _Handoff) -> list[P]:
    """Parse the batches a :func:`_render_beside` child sends, in order, as they come; once it waits,
    hand it the last half of those not begun (its result holds what it makes of them)."""
    parsed: list[P] = []
    queued: deque[list[tuple[str, str, Any]]] = deque()
    stream = child.items()
    done = False
    while not done:
        if handoff.ready or not queued:  # everything sent: read it all; else wait for the next batch
            for batch in stream:
                if batch is None:
                    done = True
                    break
                queued.append(batch)
                if not handoff.ready:
                    break
            else:  # the child died: its result says why
                done = True
            if done:
                theirs = len(queued) // 2
                handoff.give(len(parsed) + len(queued) - theirs)
                for _ in range(theirs):
                    queued.pop()
        if queued:
            parsed.append(parse(queued.popleft()))
    parsed += [parse(batch) for batch in queued]
    return parsed


def _write_changed(path: Path, data: bytes) -> None:
    """Write ``data`` unless ``path`` holds it already: a rebuild leaves unchanged files alone (their
    times too), and reading a file back costs less than truncating and rewriting it."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    path.write_bytes(data)


def _share(devices: list[Device], fraction: float) -> int:
    """How many of the first ``devices`` make ``fraction`` of the work of rendering them all (a
    device's text grows with its ports and sessions)."""
    weights = list(accumulate(len(d.ports) + len(d.neighbors) + FIXED_WEIGHT for d in devices))
    return max(1, bisect_left(weights, weights[-1] * fraction))


def write_configs(design: Design, out: Path, jobs: int = 1) -> list[Path]:
    """Render every device into ``out/configs/`` (removing files a previous build left there that
    this Design does not produce) and return the paths written. With ``jobs`` > 1 and at least
    ``FORK_THRESHOLD`` devices, ``jobs - 1`` forked processes render and write a share each."""
    return write_and_consume(design, out, None, None, jobs)[0]


def write_and_consume(design: Design, out: Path | None, consume: Callable[[Rendered], T] | None,
                      parse: Callable[[Texts], P] | None = None,
                      jobs: int = 1) -> tuple[list[Path], list[T], list[P]]:
    """:func:`write_configs`, ``consume`` called on every batch of up to :data:`BATCH` rendered devices
    by the process that rendered them, while their views and parts are at hand (results picklable:
    forked renderers send them back), and ``parse`` on the text of every batch; the results of each
    in device order. With ``out`` None nothing is written (``aifab review``: the
    texts are only parsed; creating thousands of files costs more system time than the rest).

    With two processes and ``parse``, this one parses the texts: the forked renderer says which files
    it has written and this process reads them back (from the page cache: a text costs far less to
    share than the objects parsed from it), or, when nothing is written, where in a :class:`_Spool`
    it put their texts. This process renders a share first (:data:`OWN_SHARE`, or
    :data:`OWN_SHARE_UNWRITTEN`: parsing a text costs less than rendering and diffing it); once
    done, the renderer parses half of the batches this process has not begun (:class:`_Handoff`):
    a share set too large costs little. With two processes and no ``parse``,
    each renders half. With more, one parser would wait for the renderers: each process renders and
    parses a share, and each forked one sends its facts back."""
    configs = out / "configs" if out is not None else None
    if configs is not None:
        configs.mkdir(parents=True, exist_ok=True)
    devices = design.devices()
    if jobs < 2 or not forked.AVAILABLE or len(devices) < FORK_THRESHOLD:
        names, consumed, parsed = _write_devices(design, configs, consume, parse, devices)
    else:
        here = jobs == 2 and parse is not None  # this process parses the texts, the renderer the last of them
        spool = _Spool() if here and configs is None else None  # the texts only go to parse
        handoff = _Handoff() if here else None
        own = _share(devices, 1 / jobs if not here else OWN_SHARE if configs is not None else OWN_SHARE_UNWRITTEN)
        size = -(-(len(devices) - own) // (jobs - 1))
        shares = [devices[i:i + size] for i in range(own, len(devices), size)]
        calls = [(_render_beside, (design, configs, consume, parse, share, spool, handoff)) if handoff else
                 (_write_devices, (design, configs, consume, parse, share)) for share in shares]
        try:
            with forked.children(calls, streams=True) as others:
                names, consumed, parsed = _write_devices(design, configs, consume, parse, devices[:own])
                for child in others:
                    if handoff is not None:
                        parsed += _parse_sent(child, lambda batch: parse(_texts(batch, configs, spool)), handoff)
                    more, results, theirs = child.result()
                    names += more
                    consumed += results
                    parsed += theirs
        finally:
            if spool is not None:
                spool.close()
            if handoff is not None:
                handoff.close()
    if configs is None:
        return [], consumed, parsed
    written = [configs / name for name in names]
    keep = set(names)
    for stale in configs.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink()
    return written, consumed, parsed
