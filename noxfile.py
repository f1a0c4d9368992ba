"""Sessions: build, tests, lint, bench (more join as stages land: review, deploy, lab)."""

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
def bench(session: nox.Session) -> None:
    """Benchmarks: a 32k-GPU cluster through every offline stage."""
    install(session, dev=True)
    session.run("python", "bench/bench.py", *session.posargs)
