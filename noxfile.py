"""Sessions: build, tests, lint, review, deploy, lab, bench."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

INTENT = os.environ.get("AIFAB_INTENT", "intent/cluster.yaml")


def install(session: nox.Session, dev: bool = False) -> None:
    session.install("-e", ".[dev]" if dev else ".")


@nox.session
def build(session: nox.Session) -> None:
    """Build the example intent (or the one given after --): design, configs, checks."""
    install(session)
    intent = session.posargs[0] if session.posargs else INTENT
    session.run("aifab", "build", intent, "-o", "build")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (lab tests run where root, frr and sshd are present)."""
    install(session, dev=True)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the source and tests."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "noxfile.py")


@nox.session
def review(session: nox.Session) -> None:
    """Pull-request review of the example intent against a base revision (-- --base REF)."""
    install(session)
    args = session.posargs or ["--base", os.environ.get("AIFAB_REVIEW_BASE", "main")]
    session.run("aifab", "review", INTENT, *args)


@nox.session
def deploy(session: nox.Session) -> None:
    """Build, check and diff every device; pass -- --commit to roll the change out in waves."""
    install(session)
    args = session.posargs or []
    intent = args[0] if args and not args[0].startswith("-") else INTENT
    session.run("aifab", "deploy", intent, *[a for a in args if a != intent])


@nox.session
def lab(session: nox.Session) -> None:
    """The FRR lab of intent/lab.yaml (root): -- up|down|status [INTENT]; default: up, then deploy --commit."""
    install(session)
    if session.posargs:
        session.run("aifab", "lab", *session.posargs, *([] if len(session.posargs) > 1 else ["intent/lab.yaml"]))
        return
    session.run("aifab", "lab", "up", "intent/lab.yaml")
    session.run("aifab", "deploy", "intent/lab.yaml", "-o", "build/lab", "--commit")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: a 32k-GPU cluster through every offline stage, then the aifab build command as a user runs it."""
    install(session, dev=True)
    session.run("python", "bench/bench.py", *session.posargs)
