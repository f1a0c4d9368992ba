"""The ``aifab`` command: one entry point, one subcommand module per stage.

Each module in ``aifab.commands`` exposes ``register(subparsers)``; its handler returns an
exit code. Errors a user can cause (``AifabError``) end with one message and their exit code.
Only the module of the command being run is imported (napalm, nornir and pybatfish are slow to load).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import aifab
from aifab.errors import AifabError
from aifab.keepalive import keep_until_exit

COMMANDS = ("build", "check", "review", "deploy", "drain", "undrain", "health", "lab")
# Commands that only read and write files, each closed before the command returns: after them the
# process leaves at once instead of freeing the Design object by object (~0.5 s at 32k GPUs).
QUICK_EXIT = frozenset({"build", "check", "review"})


class _Version(argparse.Action):
    """``--version``: the version is read (package metadata) only when asked for."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        print(f"aifab {aifab.__version__}")
        parser.exit()


def parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or only ``only``)."""
    top = argparse.ArgumentParser(prog="aifab", description="AI cluster network as code: intent -> design -> "
                                  "configs -> checks -> hitless deploy.")
    top.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"aifab.commands.{name}").register(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else argv
    command = _command(argv)
    if command is None and "--version" in argv:
        print(f"aifab {aifab.__version__}")
        return 0
    top = parser(command if command in COMMANDS else None)
    args, extra = top.parse_known_args(argv)
    if extra:  # argparse fills an optional DEVICE... list once, before the options: names after them join it
        if not isinstance(getattr(args, "devices", None), list) or any(e.startswith("-") for e in extra):
            top.parse_args(argv)  # says which arguments it does not know (exit 2)
        args.devices += extra
    try:
        return int(args.handler(args) or 0)
    except AifabError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aifab: interrupted", file=sys.stderr)
        return 130


def _command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def run() -> None:
    """The console entry point (``aifab``, ``python -m aifab``): :func:`main`, then exit with its code;
    after a :data:`QUICK_EXIT` command, with ``os._exit`` once the output is flushed."""
    quick = _command(sys.argv[1:]) in QUICK_EXIT
    if quick:
        keep_until_exit()
    code = main()
    if quick:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: nothing more can be said
            pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
