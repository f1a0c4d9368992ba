"""``aifab build INTENT [-o OUTDIR]``: derive the design and write its artifacts."""

from __future__ import annotations

import argparse
from pathlib import Path

from aifab.artifacts.clab import CEOS_IMAGE
from aifab.errors import AifabError
from aifab.pipeline import build
from aifab.summary import print_summary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="derive the design and write configs and plans")
    p.add_argument("intent", type=Path, help="intent YAML file")
    p.add_argument("-o", "--out", type=Path, default=Path("build"), help="output directory (default: build)")
    p.add_argument("--clab", action="store_true",
                   help="also write the containerlab cEOS topology of the EOS switches (OUT/clab/<cluster>.clab.yml)")
    p.add_argument("--ceos-image", help=f"with --clab: the topology's cEOS image (default: {CEOS_IMAGE})")
    p.add_argument("--hand-kept", type=Path, metavar="DIR", help="hand-kept Nornir inventory folder (groups.yaml, "
                   "defaults.yaml) copied into OUT/inventory (default: the inventory/ folder found walking up from "
                   "the intent to its repository's root)")
    p.add_argument("--hosts", action="store_true", help="also write every host's NIC settings that agree with its "
                   "switch ports (OUT/hosts/: <host>.sh, hosts.json, collect.sh)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.ceos_image and not args.clab:
        raise AifabError("aifab build: --ceos-image is the image of the containerlab topology: add --clab")
    result = build(args.intent, args.out, clab=args.clab, ceos_image=args.ceos_image or CEOS_IMAGE,
                   hand_kept=args.hand_kept, hosts=args.hosts)
    print_summary(result.design)
    print(f"wrote {len(result.files)} files to {args.out}")
    print(f"hand-kept inventory: {result.hand_kept}" if result.hand_kept else
          f"hand-kept inventory: none found above {args.intent} (--hand-kept DIR): groups without connection options")
    findings = result.findings or []
    for f in findings:
        print(f"{f.severity} {f.rule} {f.where}: {f.message}")
    print(f"checks passed: 0 errors, {len(findings)} warnings or notes (aifab check {args.out} for the report)")
    return 0
