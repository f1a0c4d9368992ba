"""The ``aifab`` command: one entry point, one subcommand module per stage.

Each module in ``aifab.commands`` exposes ``register(subparsers)``; its handler returns an
exit code. Errors a user can cause (``AifabError``) end with one message and their exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from aifab import __version__
from aifab.errors import AifabError

COMMANDS = ("build", "check", "review", "deploy", "lab")


def parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered."""
    top = argparse.ArgumentParser(prog="aifab", description="AI cluster network as code: intent -> design -> "
                                  "configs -> checks -> hitless deploy.")
    top.add_argument("--version", action="version", version=f"aifab {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"aifab.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"aifab.commands.{name}":
                raise
            continue
        module.register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except AifabError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aifab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
