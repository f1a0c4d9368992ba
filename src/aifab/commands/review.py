"""``aifab review INTENT [--base REF]``: what a pull request does to the fabric, as Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="diff an intent against a git revision: changed devices, waves, checks")
    p.add_argument("intent", type=Path, help="intent YAML file (in a git work tree)")
    p.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    p.add_argument("-o", "--out", type=Path, default=Path("build/review"), help="build directory (default: build/review)")
    p.add_argument("--report", type=Path, default=None, help="write the Markdown here too (default: OUT/review.md)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aifab.paths import PathError, writable_dir, writable_file
    from aifab.review import review, to_review_markdown

    path = args.report or args.out / "review.md"
    writable_dir(args.out, "the review build")
    writable_file(path, "the review report")
    result = review(args.intent, args.base, args.out)
    text = to_review_markdown(result)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise PathError(f"{path}: cannot write the review report ({exc.strerror or exc})") from None
    sys.stdout.write(text)
    print(f"\nreview written to {path}", file=sys.stderr)
    return 1 if result.failed else 0
