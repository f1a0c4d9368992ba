"""``aifab review INTENT [--base REF] [-o DIR]``: what a pull request does to the fabric: review.md
(one PR comment), plan.json, plan.csv and diffs.patch (docs/review.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="diff an intent against a git revision: change set, verdict, waves, checks")
    p.add_argument("intent", type=Path, help="intent YAML file (in a git work tree)")
    p.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    p.add_argument("-o", "--out", type=Path, default=Path("build/review"),
                   help="output directory: review.md, plan.json, plan.csv, diffs.patch (default: build/review)")
    p.add_argument("--report", type=Path, default=None, help="write the Markdown here too (default: OUT/review.md)")
    p.add_argument("--allow-recabling", action="store_true",
                   help="plan a change that re-cables the fabric anyway (default: verdict re-cabling, exit 1)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aifab.paths import PathError, writable_dir, writable_file
    from aifab.review import review
    from aifab.review_report import to_review_markdown, write_outputs

    path = args.report or args.out / "review.md"
    writable_dir(args.out, "the review's outputs")
    writable_file(path, "the review report")
    result = review(args.intent, args.base, allow_recabling=args.allow_recabling)
    try:
        written = write_outputs(result, args.out)
        text = written["review.md"].read_text()
        if path != written["review.md"]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(to_review_markdown(result))
    except OSError as exc:  # a full disk, or a file of the outputs that is a directory
        raise PathError(f"{exc.filename or path}: cannot write the review's outputs ({exc.strerror or exc})") from None
    sys.stdout.write(text)
    print(f"\nreview: {result.verdict}; written to {path}, {written['plan.json']}, {written['plan.csv']}, {written['diffs.patch']}", file=sys.stderr)
    return 1 if result.failed else 0
