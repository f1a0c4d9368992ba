"""The stages chained as plain functions: intent -> design -> artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aifab.artifacts.clab import CEOS_IMAGE, clab_path, write_clab
from aifab.artifacts.inventory import write_inventory
from aifab.artifacts.plans import CABLING_HEADER, IPPLAN_HEADER, cabling_rows, ipplan_rows, write_csv
from aifab.check.engine import require_clean
from aifab.check.findings import Finding
from aifab.design import Design, build_design, design_json
from aifab.errors import AifabError, DesignError
from aifab.intent import LoadedIntent, load_intent
from aifab.render import write_configs


class OutputError(AifabError):
    """The output directory cannot be written."""


@dataclass(frozen=True)
class BuildResult:
    loaded: LoadedIntent
    design: Design
    files: list[Path]
    findings: list[Finding] | None  # warnings and info of the checks (None: not checked)


def design_for(intent_path: str | Path) -> tuple[LoadedIntent, Design]:
    """Load and validate an intent and derive its Design; errors name file, line and key."""
    loaded = load_intent(intent_path)
    try:
        return loaded, build_design(loaded.intent)
    except DesignError as exc:
        raise loaded.error(exc.problems) from None


def build(intent_path: str | Path, out: Path, check: bool = True, clab: bool = False,
          ceos_image: str = CEOS_IMAGE) -> BuildResult:
    """Derive the Design and write design.json, cabling.csv, ipplan.csv, the configs and the Nornir
    inventory into ``out``; with ``clab`` (and EOS devices) also the containerlab topology, cEOS
    image ``ceos_image`` (else a topology an earlier build left is removed).

    Then (unless ``check`` is False) run the checks on what was written: any error finding
    raises ``CheckFailed`` (exit 1).
    """
    loaded, design = design_for(intent_path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = [out / "design.json", out / "cabling.csv", out / "ipplan.csv"]
        files[0].write_bytes(design_json(design))
        write_csv(files[1], CABLING_HEADER, cabling_rows(design))
        write_csv(files[2], IPPLAN_HEADER, ipplan_rows(design))
        files += write_configs(design, out) + write_inventory(design, out)
        if clab:
            files += [p for p in [write_clab(design, out, ceos_image)] if p]
        else:  # a topology an earlier build wrote
            clab_path(design, out).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write output ({exc.strerror or exc})") from None
    # last: the checks read every file written above
    findings = require_clean(design, out) if check else None
    return BuildResult(loaded, design, files, findings)
