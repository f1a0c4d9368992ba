"""The build's processes: configs rendered in forked children and the tables written beside them
give the same bytes as one process."""

from __future__ import annotations

import filecmp
import os
import time
from pathlib import Path

import pytest

from aifab.forked import AVAILABLE
from aifab.pipeline import OutputError, build
from aifab.render.configs import FORK_THRESHOLD
from tests.test_render_helpers import ROOT

pytestmark = pytest.mark.skipif(not AVAILABLE, reason="needs os.fork (Linux, macOS)")


@pytest.fixture(scope="module")
def cluster_intent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """intent/cluster.yaml grown to 5 SUs: enough switches (over FORK_THRESHOLD) that the build forks."""
    path = tmp_path_factory.mktemp("intent") / "cluster.yaml"
    path.write_text((ROOT / "intent" / "cluster.yaml").read_text().replace("servers: 128\n", "servers: 160\n"))
    return path


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_forked_build_writes_the_same_bytes_as_one_process(cluster_intent: Path, tmp_path: Path) -> None:
    one = build(cluster_intent, tmp_path / "one", jobs=1)
    assert len(one.design.devices()) >= FORK_THRESHOLD, "the intent must be large enough to fork"
    files = _files(tmp_path / "one")
    assert sorted(p.relative_to(tmp_path / "one").as_posix() for p in one.files) == files
    for jobs in (2, 3):
        many = build(cluster_intent, tmp_path / f"j{jobs}", jobs=jobs)
        assert sorted(p.relative_to(tmp_path / f"j{jobs}").as_posix() for p in many.files) == files
        assert _files(tmp_path / f"j{jobs}") == files and many.findings == one.findings
        _same, mismatch, errors = filecmp.cmpfiles(tmp_path / "one", tmp_path / f"j{jobs}", files, shallow=False)
        assert not mismatch and not errors


@pytest.mark.parametrize("blocked", ["configs/LAST", "cabling.csv"])  # written by a render child, the tables child
def test_a_write_error_in_a_child_is_one_output_error(cluster_intent: Path, tmp_path: Path, blocked: str) -> None:
    one = build(cluster_intent, tmp_path / "one", check=False, jobs=1)
    last = one.design.devices()[-1]
    path = tmp_path / "out" / blocked.replace("LAST", next(p.name for p in one.files if p.name.startswith(last.name + ".")))
    path.mkdir(parents=True)  # a directory where a file goes
    with pytest.raises(OutputError, match=rf"^{tmp_path / 'out'}: cannot write output \(Is a directory\)"):
        build(cluster_intent, tmp_path / "out", jobs=2)


def test_rebuild_rewrites_only_files_that_differ(cluster_intent: Path, tmp_path: Path) -> None:
    from aifab.render import write_configs

    design = build(cluster_intent, tmp_path, check=False, jobs=1).design
    paths = sorted((tmp_path / "configs").iterdir())
    kept, longer, same_size = paths[0], paths[1], paths[2]
    os.utime(kept, ns=(1_000_000_000, 1_000_000_000))
    good = {p: p.read_bytes() for p in (longer, same_size)}
    longer.write_bytes(good[longer].replace(b"\n", b"\r\n", 1))
    same_size.write_bytes(good[same_size].replace(b"\n", b"#", 1))
    write_configs(design, tmp_path, jobs=2)
    assert kept.stat().st_mtime_ns == 1_000_000_000  # unchanged: not rewritten
    assert longer.read_bytes() == good[longer] and same_size.read_bytes() == good[same_size]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_build_checks_the_text_it_wrote_as_a_check_of_the_directory_would(cluster_intent: Path, tmp_path: Path,
                                                                           jobs: int) -> None:
    from aifab.check import check
    from aifab.check.parse import parse_build, parse_rendered
    from aifab.pipeline import gather
    from aifab.render.configs import write_and_consume

    design = build(cluster_intent, tmp_path, check=False, jobs=1).design
    paths, _, parsed = write_and_consume(design, tmp_path, None, parse_rendered, jobs)
    facts, unreadable = gather(design, parsed)
    assert (facts, unreadable) == parse_build(design, tmp_path / "configs", jobs=1) and not unreadable
    assert [f.device for batch, _ in parsed for f in batch] == [d.name for d in design.devices()]  # each once, in order
    in_memory = check(design, tmp_path, parsed=(facts, unreadable))
    assert in_memory.findings == check(design, tmp_path).findings and in_memory.parsed == len(paths)


def _consumed(rendered: list) -> list[tuple[int, str, int]]:
    return [(os.getpid(), dev.name, sum(map(len, files.values()))) for dev, _, files, _ in rendered]


def _texts(batch: list) -> list[tuple[int, str, int]]:
    return [(os.getpid(), name, sum(map(len, files.values()))) for name, _, files in batch]


@pytest.mark.parametrize("jobs", [2, 3])
def test_renderers_consume_their_devices_and_of_two_processes_one_parses_the_texts(cluster_intent: Path, tmp_path: Path,
                                                                           jobs: int) -> None:
    from aifab.render.configs import write_and_consume

    design = build(cluster_intent, tmp_path, check=False, jobs=1).design
    names = [d.name for d in design.devices()]
    _, consumed, parsed = write_and_consume(design, tmp_path / "many", _consumed, _texts, jobs)
    by_consumer = [row for batch in consumed for row in batch]
    by_parser = [row for batch in parsed for row in batch]
    assert [name for _, name, _ in by_consumer] == names == [name for _, name, _ in by_parser]
    assert len({pid for pid, _, _ in by_consumer}) == jobs  # the consumer ran in each renderer, this one too
    if jobs == 2:  # the texts parsed here, but those of the batches handed back to the renderer when it was done first
        here = [pid == os.getpid() for pid, _, _ in by_parser]
        assert here[0] and here == sorted(here, reverse=True)
    else:  # each renderer parses its own share
        assert [pid for pid, _, _ in by_parser] == [pid for pid, _, _ in by_consumer]
    assert [size for _, _, size in by_consumer] == [size for _, _, size in by_parser]  # the text read back is the text rendered


def _slow_texts(batch: list) -> list[tuple[int, str, str]]:
    time.sleep(0.02)  # a parser slower than the renderer (how the two compare depends on the machine and platforms)
    return [(os.getpid(), name, "".join(files.values())) for name, _, files in batch]


@pytest.mark.parametrize("write", [False, True])
def test_a_renderer_done_first_parses_the_last_half_of_the_batches_not_begun(cluster_intent: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            write: bool) -> None:
    """With two processes and a parser slower than the renderer (made so here), once the forked
    renderer has rendered every device it parses the last of the batches this process has not begun.
    Every text is parsed once, in order, as rendered, whichever process parsed it."""
    from aifab.render import configs
    from aifab.render.configs import write_and_consume

    design = build(cluster_intent, tmp_path / "build", check=False, jobs=1).design
    on_disk = {p.name: p.read_text() for p in (tmp_path / "build" / "configs").iterdir()}
    monkeypatch.setattr(configs, "BATCH", 2)  # many batches, each parsed in 20 ms: the renderer is done long before
    _, _, parsed = write_and_consume(design, tmp_path / "many" if write else None, None, _slow_texts, 2)
    rows = [row for batch in parsed for row in batch]
    assert [name for _, name, _ in rows] == [d.name for d in design.devices()]
    assert "".join(text for _, _, text in rows) == "".join(on_disk[n] for d in design.devices()
                                                         for n in sorted(on_disk) if n.startswith(f"{d.name}."))
    here = [pid == os.getpid() for pid, _, _ in rows]
    theirs = len(here) - sum(here)
    assert here[0] and here == sorted(here, reverse=True)  # this process parsed the first, the renderer the last
    assert theirs >= len(rows) // 4, f"the renderer parsed {theirs} of {len(rows)} devices"


def _waits(handoff: object) -> int | None:
    return handoff.wait()  # type: ignore[attr-defined]


def test_a_renderer_whose_parser_is_gone_does_not_wait_for_it() -> None:
    """The forked renderer waits for the batches it is handed; when the parser closes its end without
    handing any (it died, or was interrupted), the renderer's wait ends with None instead of never."""
    from aifab import forked
    from aifab.render.configs import _Handoff

    handoff = _Handoff()
    child = forked.Child(_waits, handoff)
    deadline = time.monotonic() + 10
    while not handoff.ready:  # the child is waiting
        assert time.monotonic() < deadline, "the renderer never said it was done"
        time.sleep(0.01)
    handoff.close()
    assert child.result() is None


def test_a_rendered_text_that_does_not_parse_is_named_as_on_disk(tmp_path: Path) -> None:
    from aifab.check.parse import parse_build, parse_rendered

    intent = tmp_path / "lab-sonic.yaml"
    intent.write_text((ROOT / "intent" / "lab.yaml").read_text().replace("platform: frr}", "platform: sonic}"))
    design = build(intent, tmp_path / "out", check=False, jobs=1).design
    configs = tmp_path / "out" / "configs"
    rendered = [(d.name, d.platform, {p.name: p.read_text() for p in sorted(configs.glob(f"{d.name}.*"))})
                for d in design.devices()]
    broken = rendered[1][0]
    rendered[1][2][f"{broken}.config_db.json"] = '{"PORT": {'
    (configs / f"{broken}.config_db.json").write_text('{"PORT": {')
    facts, unreadable = parse_rendered(rendered)
    on_disk, bad_on_disk = parse_build(design, configs, jobs=1)
    assert list(unreadable) == [broken] and unreadable == bad_on_disk
    assert unreadable[broken].startswith(f"{broken}.config_db.json: invalid JSON at line 1")
    assert {f.device: f for f in facts} == on_disk and broken not in on_disk


def _whole(batch: list) -> list[tuple[str, dict[str, str]]]:
    return [(name, files) for name, _, files in batch]


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_rendering_without_writing_gives_the_parser_the_texts_a_build_writes(cluster_intent: Path, tmp_path: Path,
                                                                             jobs: int) -> None:
    """``aifab review`` renders without writing (out None): nothing is written anywhere, and the parser
    gets every device's texts, in order, as a build writes them (with two processes through the
    renderer's spool, not the file system)."""
    from aifab.render.configs import write_and_consume

    design = build(cluster_intent, tmp_path / "build", check=False, jobs=1).design
    configs = tmp_path / "build" / "configs"
    before = set(tmp_path.rglob("*"))
    paths, consumed, parsed = write_and_consume(design, None, _consumed, _whole, jobs)
    assert paths == [] and set(tmp_path.rglob("*")) == before
    texts = [row for batch in parsed for row in batch]
    assert [name for name, _ in texts] == [d.name for d in design.devices()]
    assert [dev for batch in consumed for _, dev, _ in batch] == [d.name for d in design.devices()]
    on_disk = {p.name: p.read_text() for p in configs.iterdir()}
    assert {n: t for _, files in texts for n, t in files.items()} == on_disk


def test_without_memfd_the_texts_pass_through_a_temporary_file(cluster_intent: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Where memfd_create is missing or refused (macOS, a sandbox), the spool is an unlinked temporary
    file: the parser still gets every text as a build writes it."""
    from aifab.render.configs import write_and_consume

    def refused(name: str, flags: int = 0) -> int:
        raise PermissionError(1, "Operation not permitted")

    design = build(cluster_intent, tmp_path / "build", check=False, jobs=1).design
    monkeypatch.setattr(os, "memfd_create", refused, raising=False)
    _, _, parsed = write_and_consume(design, None, None, _whole, 2)
    on_disk = {p.name: p.read_text() for p in (tmp_path / "build" / "configs").iterdir()}
    assert {n: t for batch in parsed for _, files in batch for n, t in files.items()} == on_disk
