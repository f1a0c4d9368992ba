"""Sessions: build, tests, lint, review, deploy, lab, bench."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import nox
from nox.command import CommandFailed

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

INTENT = os.environ.get("AIFAB_INTENT", "intent/cluster.yaml")


# Debian packages the lab tests need: frr + frr-pythontools (the lab's routers, frr-reload.py),
# openssh-server (sshd per lab switch), sudo (the FRR driver's sudo prefix is tested for real),
# iproute2 and iputils-ping (namespaces, veths, pings between lab hosts), ethtool (links.sh sets
# port speeds with it and the FRR driver reads them, as on a real FRR switch).
LAB_PACKAGES = ("frr", "frr-pythontools", "openssh-server", "sudo", "iproute2", "iputils-ping", "ethtool")

# Run in the session's venv: what aifab itself says the lab lacks (the lab tests skip on the same probe).
LAB_PROBE = "import json; from aifab.lab import missing_requirements; print(json.dumps(missing_requirements()))"


# A command that touches switches or a lab stops safely on Ctrl-C (a deploy finishes or rolls back
# the devices in hand and undrains, pytest tears its labs down): nox waits for it. By default nox
# sends SIGTERM 0.3 s after the SIGINT, which the deploy takes as a second signal (abort at once,
# switches left drained), then SIGKILL. A second Ctrl-C still reaches the command and aborts it.
SAFE_STOP = {"interrupt_timeout": None}


# Arista AVD's EOS config generator, the judge of aifab's EOS syntax (tests/test_render_eos_avd.py):
# installed without its dependencies, as anta's would upgrade the cryptography NAPALM's SSH runs on;
# what get_device_config needs (jinja2, PyYAML) aifab has.
AVD = ("pyavd==6.4.0", "pyavd-utils==0.0.7", "deepmerge==4.0.0")


def install(session: nox.Session, dev: bool = False) -> None:
    """aifab into the session's virtualenv (with ``dev``, the test tools and :data:`AVD` too); with
    ``nox --no-venv`` the environment is used as it is."""
    if session.venv_backend != "none":
        session.install("-e", ".[dev]" if dev else ".")
        if dev:
            session.install("--no-deps", *AVD)


def missing_packages() -> list[str] | None:
    """The lab's Debian packages not installed here; None without dpkg (not Debian)."""
    if shutil.which("dpkg-query") is None:
        return None
    res = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *LAB_PACKAGES],
                         capture_output=True, text=True, check=False)
    installed = {line.split()[0] for line in res.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in LAB_PACKAGES if p not in installed]


def lab_setup(session: nox.Session) -> str | None:
    """Make the lab runnable where this session may (root with apt-get); else say why its tests skip.

    Installs the missing packages with one ``apt-get update`` and one ``apt-get install``, and does
    nothing when all are present. Returns None when the lab tests will run, else the one-line reason.
    Fails the session when it installed everything and the lab still cannot run (no silent skip in CI).
    """
    root, apt = os.geteuid() == 0, shutil.which("apt-get") is not None
    missing = missing_packages()
    if missing and root and apt:
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.log("installing the lab's Debian packages: " + " ".join(missing))
        session.run("apt-get", "update", "-qq", env=env, external=True, silent=True)
        session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env, external=True,
                    silent=True)
        missing = missing_packages()
    probe = str(session.run("python", "-c", LAB_PROBE, silent=True)).strip().splitlines()[-1]
    lacking = json.loads(probe)
    if not lacking:
        return None
    if root and apt:
        session.error("the lab cannot run although its packages are installed: " + "; ".join(lacking))
    reasons = [] if root else ["not root"]
    if not apt:
        reasons.append("no apt-get")
    if missing:
        reasons.append("needs " + ", ".join(missing))
    elif missing is None or root:
        reasons.append("needs " + "; ".join(item for item in lacking if not item.startswith("root")))
    return "; ".join(reasons)


@nox.session
def build(session: nox.Session) -> None:
    """Build the example intent (or the one given after --): design, configs, checks."""
    install(session)
    intent = session.posargs[0] if session.posargs else INTENT
    session.run("aifab", "build", intent, "-o", "build")


@nox.session
def tests(session: nox.Session) -> None:
    """Run every test; as root on Debian, first install the lab's packages when any is missing."""
    install(session, dev=True)
    skipped = lab_setup(session)
    try:
        session.run("pytest", *session.posargs, **SAFE_STOP)
    except CommandFailed as exc:
        if exc.return_code == 5:  # pytest: no tests collected
            session.error("pytest collected no tests: check the paths or -k/-m given after --")
        raise
    finally:
        if skipped:
            session.warn(f"lab tests skipped: {skipped}")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the source and tests."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "noxfile.py")


@nox.session
def review(session: nox.Session) -> None:
    """Pull-request review against a base revision: -- [INTENT] [--base REF] [-o DIR] (default: the
    example intent, base $AIFAB_REVIEW_BASE or main)."""
    install(session)
    args = list(session.posargs)
    intent = args.pop(0) if args and not args[0].startswith("-") else INTENT
    if "--base" not in args and not any(a.startswith("--base=") for a in args):
        args += ["--base", os.environ.get("AIFAB_REVIEW_BASE", "main")]
    session.run("aifab", "review", intent, *args)


@nox.session
def deploy(session: nox.Session) -> None:
    """Build, check and diff every device; pass -- --commit to roll the change out in waves."""
    install(session)
    args = session.posargs or []
    intent = args[0] if args and not args[0].startswith("-") else INTENT
    session.run("aifab", "deploy", intent, *[a for a in args if a != intent], **SAFE_STOP)


@nox.session
def lab(session: nox.Session) -> None:
    """The FRR lab of intent/lab.yaml (root): -- up|down|status [INTENT]; default: up, then deploy --commit."""
    install(session)
    if session.posargs:
        session.run("aifab", "lab", *session.posargs, *([] if len(session.posargs) > 1 else ["intent/lab.yaml"]),
                    **SAFE_STOP)
        return
    session.run("aifab", "lab", "up", "intent/lab.yaml", **SAFE_STOP)
    session.run("aifab", "deploy", "intent/lab.yaml", "-o", "build/lab", "--lab", "--commit", **SAFE_STOP)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: a 32k-GPU cluster through every offline stage, then the aifab build command as a user runs it."""
    install(session, dev=True)
    session.run("python", "bench/bench.py", *session.posargs, **SAFE_STOP)
