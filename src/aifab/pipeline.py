"""The stages chained as plain functions: intent -> design -> artifacts."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aifab import forked
from aifab.artifacts.clab import CEOS_IMAGE, clab_path, write_clab
from aifab.artifacts.inventory import HandKept, hand_kept_for, write_inventory
from aifab.artifacts.plans import CABLING_HEADER, IPPLAN_HEADER, cabling_rows, growth_cabling_rows, ipplan_rows, write_csv
from aifab.check.engine import gather, require_clean
from aifab.check.findings import Finding
from aifab.check.inputs import CheckInputError, Target, load_build_dir
from aifab.check.parse import parse_rendered
from aifab.design import Design, build_design
from aifab.design.load import design_for
from aifab.design.model import design_json_parts
from aifab.design.sizing import grown_intent
from aifab.errors import AifabError
from aifab.gcpause import paused_gc
from aifab.intent import LoadedIntent
from aifab.intent.schema import Intent
from aifab.keepalive import retain
from aifab.render.configs import FORK_THRESHOLD, write_and_consume
from aifab.render.hosts import remove_hosts, write_hosts
from aifab.telemetry.paths import write_gnmi_targets

GROWTH_CABLING = "cabling-growth.csv"  # the cables of an intent laid out for growth still to come


class OutputError(AifabError):
    """The output directory cannot be written."""


@dataclass(frozen=True)
class BuildResult:
    loaded: LoadedIntent
    design: Design
    files: list[Path]
    findings: list[Finding] | None  # warnings and info of the checks (None: not checked)
    hand_kept: Path | None  # the hand-kept inventory folder copied into OUT/inventory (None: none found)


def write_tables(design: Design, intent: Intent, out: Path, hand_kept: HandKept) -> list[Path]:
    """Write design.json, cabling.csv, ipplan.csv and the Nornir inventory into ``out``; for an
    ``intent`` laid out for growth also cabling-growth.csv, the cables still to come (else one an
    earlier build wrote is removed)."""
    files = [out / "design.json", out / "cabling.csv", out / "ipplan.csv"]
    with files[0].open("wb") as fh:
        fh.writelines(design_json_parts(design))
    write_csv(files[1], CABLING_HEADER, cabling_rows(design))
    write_csv(files[2], IPPLAN_HEADER, ipplan_rows(design))
    grown, growth = grown_intent(intent), out / GROWTH_CABLING
    if grown is None:
        growth.unlink(missing_ok=True)
    else:
        write_csv(growth, CABLING_HEADER, growth_cabling_rows(design, build_design(grown)))
        files.append(growth)
    return files + write_inventory(design, out, hand_kept) + write_gnmi_targets(design, out)


def build(intent_path: str | Path, out: Path, check: bool = True, clab: bool = False,
          ceos_image: str = CEOS_IMAGE, jobs: int | None = None, hand_kept: Path | None = None,
          hosts: bool = False, before_write: Callable[[], object] | None = None) -> BuildResult:
    """Derive the Design and write design.json, cabling.csv, ipplan.csv, the configs and the Nornir
    inventory (its connection options from the ``hand_kept`` folder, by default the one
    :func:`~aifab.artifacts.inventory.find_hand_kept` finds above the intent) into ``out``; with
    ``clab`` (and EOS devices) also the containerlab topology, cEOS image ``ceos_image`` (else a
    topology an earlier build left is removed); with ``hosts`` also every host's NIC settings
    (``out/hosts/``, :func:`aifab.render.hosts.write_hosts`). ``before_write`` is called once the
    Design is built, before anything is written (``aifab deploy`` locks a first build's inventory).

    Then (unless ``check`` is False) run the checks on what was written: any error finding
    raises ``CheckFailed`` (exit 1), after every file is written. ``jobs`` bounds the processes
    (default: the CPUs available): on a large design a forked child writes the tables (which the
    checks do not read) while this process and ``jobs - 1`` others render and write the configs and
    parse each config's text as they wrote it, then the rules run on those facts.
    """
    jobs = jobs or len(os.sched_getaffinity(0))
    with paused_gc():  # millions of short-lived acyclic objects: collections cost more than they free
        loaded, design = design_for(intent_path)
        kept = hand_kept_for(intent_path, hand_kept)  # before anything is written
        if before_write is not None:
            before_write()
        beside = jobs > 1 and forked.AVAILABLE and len(design.devices()) >= FORK_THRESHOLD
        with _writing(out), forked.children([(write_tables, (design, loaded.intent, out, kept))] if beside else []) as tables:
            files = [] if beside else write_tables(design, loaded.intent, out, kept)
            configs, _, parsed = write_and_consume(design, out, None, parse_rendered if check else None, jobs)
            files += configs
            if clab:
                files += [p for p in [write_clab(design, out, ceos_image)] if p]
            else:  # a topology an earlier build wrote
                clab_path(design, out).unlink(missing_ok=True)
            if hosts:
                files += write_hosts(design, out)
            else:  # host settings an earlier build wrote
                remove_hosts(out)
            try:  # the checks read the configs just written, parsed as they were rendered
                findings = require_clean(design, out, gather(design, parsed)) if check else None
            finally:  # every file is written before the build ends, checked or not
                files = [path for child in tables for path in child.result()] + files
    retain(design, parsed)  # freed at exit, or never (aifab.keepalive)
    return BuildResult(loaded, design, files, findings, kept.folder)


@contextmanager
def _writing(out: Path) -> Iterator[None]:
    """Create ``out``; a file-system error in the block is an OutputError naming it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise OutputError(f"{out}: cannot write output ({exc.strerror or exc})") from None


@contextmanager
def open_target(path: Path) -> Iterator[Target]:
    """A build directory as is, or an intent file built (without its own checks) into a temporary directory."""
    if path.is_dir():
        yield load_build_dir(path)
        return
    if not path.is_file():
        raise CheckInputError(f"{path}: no such build directory or intent file")
    tmp = Path(tempfile.mkdtemp(prefix="aifab-check-"))
    try:
        yield Target(build(path, tmp, check=False).design, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
