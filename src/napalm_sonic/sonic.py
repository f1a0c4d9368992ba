"""NAPALM driver for SONiC over SSH: CONFIG_DB through the Generic Config Updater, BGP through FRR.

Device side (every command is SONiC's documented CLI; docs/sonic.md cites each):
- CONFIG_DB: read with ``show runningconfiguration all``; changed with ``config apply-patch``
  (validated first with ``--dry-run``), or ``config reload -y`` for a first install; restored with
  ``config replace`` (or ``config reload -y`` after a first install); saved with ``config save -y``.
- FRR runs in the ``bgp`` container: ``docker exec -i bgp vtysh`` and ``frr-reload.py`` there,
  exactly as the frr driver runs them on a Linux host; FRR files live in ``/etc/frr/aifab`` inside
  the container, CONFIG_DB files in ``workdir`` on the host.
- Revert timer (``commit_config(revert_in=...)``): a shell job on the switch that restores the
  config before the commit (``rollback.config_db.json``, ``rollback.conf``), or the snapshot named by
  ``set_revert_config`` (``revert.config_db.json``, ``revert.conf``: the deploy's snapshot from before
  its drain, so a switch left by a deploy that dies comes back undrained).

Candidate format (``load_replace_candidate``/``load_merge_candidate``): see napalm_sonic.configdb.

``optional_args``: those of the frr driver (port, key_file, known_hosts, netns; ``sudo`` defaults to
True here, since SONiC's ``config`` needs root) and
    workdir       host directory for snapshot and patch files (/etc/sonic/aifab)
    container     the container FRR runs in (bgp)
    frr_reload    path of frr-reload.py inside the container (/usr/lib/frr/frr-reload.py)
    image         the image ``upgrade_software`` installs, with ``{version}``
                  (/host/aifab/sonic-{version}.bin: staged there beforehand)
    reboot_timeout seconds ``upgrade_software`` waits for the switch to answer again (900)
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import time
from pathlib import Path
from typing import Any, Literal

from napalm.base.exceptions import (
    CommandErrorException,
    CommitError,
    MergeConfigException,
    ReplaceConfigException,
)

from napalm_frr import parse
from napalm_frr.base import VtyshDriver
from napalm_frr.ssh import Output
from napalm_sonic import configdb, show
from napalm_sonic.configdb import Candidate, ConfigDb

FRR_DIR = "/etc/frr/aifab"  # inside the bgp container (/etc/sonic/frr on the host)
FRR_MODE = "split-unified"  # DEVICE_METADATA docker_routing_config_mode the FRR part needs (docs/sonic.md)
_FPM = re.compile(r"^\s*(no )?fpm\b")


class SONiCDriver(VtyshDriver):
    """SONiC (config_db.json through the Generic Config Updater, frr.conf through frr-reload.py) over SSH."""

    platform = "sonic"

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60,
                 optional_args: dict[str, Any] | None = None) -> None:
        super().__init__(hostname, username, password, timeout, optional_args, sudo=True, workdir="/etc/sonic/aifab")
        opts = optional_args or {}
        self.container = opts.get("container", "bgp")
        self.image = opts.get("image", "/host/aifab/sonic-{version}.bin")
        self.reboot_timeout = float(opts.get("reboot_timeout", 900))
        self._kind: Literal["replace", "merge"] | None = None
        self._candidate = Candidate(None, None)
        self.commit_method = ""  # what the last commit did to CONFIG_DB: "apply-patch", "reload" or "none"
        self._revert: Candidate | None = None  # what a revert timer restores (set_revert_config); None: rollback.*

    # -- device commands ----------------------------------------------------------------------

    def _failure(self, out: Output) -> str:
        return _errors(out)

    def _bgp(self, *argv: str) -> list[str]:
        """``argv`` run inside the FRR container."""
        return ["docker", "exec", "-i", self.container, *argv]

    def _vtysh(self, command: str) -> str:
        return self._check(self._bgp("vtysh", "-c", command))

    def _write(self, path: str, text: str, in_bgp: bool = False) -> str:
        """Write ``text`` to ``path`` (mode 600) on the host or inside the FRR container."""
        argv = ["sh", "-c", 'umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1"', "sh", path]
        self._check(self._bgp(*argv) if in_bgp else argv, text)
        return path

    def _running(self) -> ConfigDb:
        text = self._check(["show", "runningconfiguration", "all"])
        try:
            return configdb.running(text)
        except ValueError as exc:
            raise CommandErrorException(f"{self.hostname}: show runningconfiguration all: {exc}") from None

    def _frr_running(self) -> str:
        return self._vtysh("show running-config no-header")

    def _frr_test(self, path: str) -> str:
        out = self._run(self._bgp(self.frr_reload, "--test", path))
        if out.rc != 0:
            raise CommandErrorException(f"{self.hostname}: frr-reload.py --test failed: {_errors(out)}")
        return parse.reload_diff(out.stdout)

    # -- configuration ------------------------------------------------------------------------

    def _plan(self, running: ConfigDb) -> tuple[ConfigDb, list[dict[str, Any]], str]:
        """The target CONFIG_DB, the patch to it and how commit applies it ("apply-patch", "reload", "none")."""
        cand = self._candidate.config_db
        if cand is None:
            return running, [], "none"
        target = configdb.target(running, cand, merge=self._kind == "merge")
        patch = configdb.diff(running, target)
        if not patch:
            return target, patch, "none"
        return target, patch, "reload" if configdb.needs_reload(running, cand) else "apply-patch"

    def _load(self, kind: Literal["replace", "merge"], filename: str | None, config: str | None) -> None:
        error = ReplaceConfigException if kind == "replace" else MergeConfigException
        if config is None:
            if filename is None:
                raise error(f"{self.hostname}: give a filename or a config")
            try:
                config = Path(filename).read_text()
            except OSError as exc:
                raise error(f"{self.hostname}: cannot read {filename}: {exc.strerror or exc}") from None
        try:
            cand = configdb.parse(config)
        except ValueError as exc:
            raise error(f"{self.hostname}: {exc}") from None
        mode = (cand.config_db or {}).get("DEVICE_METADATA", {}).get("localhost", {}).get("docker_routing_config_mode")
        if cand.frr is not None and mode not in (None, FRR_MODE):
            raise error(f"{self.hostname}: the candidate sets docker_routing_config_mode {mode!r}, but its FRR part needs "
                        f"{FRR_MODE!r}: the only mode in which SONiC keeps the operator's integrated frr.conf, "
                        "which frr-reload.py requires")
        self.discard_config()
        self._kind, self._candidate = kind, cand
        try:
            if cand.frr is not None:
                path = self._write(f"{FRR_DIR}/candidate.conf", cand.frr, in_bgp=True)
                check = self._run(self._bgp("vtysh", "-C", "-f", path))  # vtysh's own parser, no daemon touched
                if check.rc != 0:
                    raise error(f"{self.hostname}: FRR candidate rejected by vtysh: {_errors(check)}")
                if kind == "replace":
                    doomed = _fpm_deleted(self._frr_test(path))
                    if doomed:
                        raise error(f"{self.hostname}: FRR candidate lacks SONiC's FPM lines, frr-reload.py would run: "
                                    + " | ".join(doomed))
            patch, method = self._plan(self._running())[1:] if cand.config_db is not None else ([], "none")
            if method == "apply-patch":
                out = self._run(["config", "apply-patch", "--dry-run", self._write(self._path("candidate.patch.json"),
                                                                                   json.dumps(patch, indent=1))])
                if out.rc != 0:
                    raise error(f"{self.hostname}: config apply-patch --dry-run refused the patch: {_errors(out)}")
        except CommandErrorException as exc:
            self.discard_config()
            raise error(str(exc)) from None
        except error:
            self.discard_config()
            raise

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """Load a candidate (``{"config_db": ..., "frr": ...}``, a config_db.json or a frr.conf) to replace
        the managed config; raises ReplaceConfigException if vtysh or the Generic Config Updater's dry run refuses it."""
        self._load("replace", filename, config)

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """Load a snippet to apply on top of the running config: FRR lines (``vtysh -f`` on commit)
        and/or CONFIG_DB fields (set, never removed)."""
        self._load("merge", filename, config)

    def compare_config(self) -> str:
        """What commit would do: the CONFIG_DB JSON Patch (and how it is applied), then the FRR changes."""
        if self._kind is None:
            return ""
        out = []
        patch: list[dict[str, Any]] = []
        if self._candidate.config_db is not None:
            running = self._running()
            patch, method = self._plan(running)[1:]
            patch = configdb.shown(running, patch)
        if patch:
            how = "config apply-patch" if method == "apply-patch" else "config reload (first install)"
            out += [f"CONFIG_DB ({how})", "[", ",\n".join(" " + json.dumps(op, sort_keys=True) for op in patch), "]", ""]
        if self._candidate.frr is not None:
            if self._kind == "merge":
                lines = [ln for ln in self._candidate.frr.splitlines() if ln.strip() and ln.strip() != "!"]
                out += ["FRR Lines To Merge", "==================", *lines, ""]
            else:
                out += [self._frr_test(f"{FRR_DIR}/candidate.conf")]
        return "\n".join(out).strip() + "\n" if any(o.strip() for o in out) else ""

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        """Apply the candidate, saving a snapshot of the running config first for ``rollback``.

        CONFIG_DB: ``config apply-patch`` (``config reload`` for a first install, see
        ``configdb.needs_reload``; ``commit_method`` says which); FRR: frr-reload.py (replace) or
        ``vtysh -f`` (merge); then ``config save -y``. If a step fails, the snapshot is restored and
        ReplaceConfigException/MergeConfigException raised with the device's error lines.
        ``revert_in``: seconds after which the device itself restores the snapshot unless
        ``confirm_commit`` is called.
        """
        if self._kind is None:
            raise CommitError(f"{self.hostname}: no candidate loaded")
        if self.has_pending_commit():
            raise CommitError(f"{self.hostname}: a commit is pending confirmation; confirm or roll back first")
        error = ReplaceConfigException if self._kind == "replace" else MergeConfigException
        running = self._running()
        self._write(self._path("rollback.config_db.json"), json.dumps(running, indent=4, sort_keys=True))
        self._write(f"{FRR_DIR}/rollback.conf", self._frr_running(), in_bgp=True)
        target, patch, method = self._plan(running)
        steps: list[list[str]] = []
        if method == "apply-patch":
            steps.append(["config", "apply-patch", self._write(self._path("candidate.patch.json"), json.dumps(patch, indent=1))])
        elif method == "reload":
            path = self._write(self._path("target.config_db.json"), json.dumps(target, indent=4, sort_keys=True))
            steps += [["config", "reload", "-y", path], self._wait_frr()]
        if self._candidate.frr is not None:
            candidate = f"{FRR_DIR}/candidate.conf"
            if self._kind == "replace":
                steps.append(self._bgp(self.frr_reload, "--reload", candidate))
            else:
                steps += [self._bgp("vtysh", "-f", candidate), self._bgp("vtysh", "-c", "write memory")]
        if method != "none":
            steps.append(["config", "save", "-y"])
        restore = self._restore_steps({"apply-patch": "replace", "reload": "reload"}.get(method, "none"))
        for argv in steps:
            out = self._run(argv)
            if out.rc != 0:
                restored = all(self._run(step).rc == 0 for step in restore)
                raise error(f"{self.hostname}: {shlex.join(argv)} failed ({_errors(out)}); "
                            + ("previous config restored" if restored else "restoring the previous config FAILED too"))
        self.commit_method = method
        self.discard_config()
        if revert_in is not None:
            timer = restore if self._revert is None else self._revert_steps(self._revert, target, method)
            self._arm_timer(revert_in, " && ".join(shlex.join(s) for s in timer))

    def set_revert_config(self, config: str | None) -> None:
        """The config a revert timer restores (the deploy's snapshot from before its drain, candidate
        text as ``get_config`` returns it); None: the config saved by the commit (``rollback.*``)."""
        try:
            self._revert = None if config is None else configdb.parse(config)
        except ValueError as exc:
            raise CommitError(f"{self.hostname}: the revert config: {exc}") from None

    def _revert_steps(self, snap: Candidate, after: ConfigDb, method: str) -> list[list[str]]:
        """What a revert timer runs to restore ``snap`` (``set_revert_config``'s snapshot): its CONFIG_DB
        where it differs from ``after`` (what runs once the commit is done; ``config reload`` after a
        first install, as ``_restore_steps``), its frr.conf through frr-reload.py, then ``config save``."""
        steps: list[list[str]] = []
        db = snap.config_db is not None and bool(configdb.diff(after, snap.config_db))
        if db:
            path = self._write(self._path("revert.config_db.json"), json.dumps(snap.config_db, indent=4, sort_keys=True))
            steps += [["config", "reload", "-y", path], self._wait_frr()] if method == "reload" else [["config", "replace", path]]
        if snap.frr is not None:
            steps.append(self._bgp(self.frr_reload, "--reload", self._write(f"{FRR_DIR}/revert.conf", snap.frr, in_bgp=True)))
        return steps + ([["config", "save", "-y"]] if db else [])

    def _wait_frr(self) -> list[str]:
        """Wait (up to 5 minutes) until FRR answers in its container again (``config reload`` restarts it)."""
        probe = shlex.join(self._bgp("vtysh", "-c", "show version"))
        return ["timeout", "300", "sh", "-c", f"until {probe} >/dev/null 2>&1; do sleep 2; done"]

    def _restore_steps(self, config_db: Literal["replace", "reload", "none"]) -> list[list[str]]:
        """Commands that put the snapshot back: CONFIG_DB (``config replace``, ``config reload`` after a
        first install, nothing when it was not changed), FRR, then ``config save``."""
        snapshot = self._path("rollback.config_db.json")
        steps = {"replace": [["config", "replace", snapshot]],
                 "reload": [["config", "reload", "-y", snapshot], self._wait_frr()], "none": []}[config_db]
        steps.append(self._bgp(self.frr_reload, "--reload", f"{FRR_DIR}/rollback.conf"))
        return steps + ([["config", "save", "-y"]] if config_db != "none" else [])

    def discard_config(self) -> None:
        """Drop the loaded candidate (in memory; the files it left are overwritten by the next load)."""
        self._kind, self._candidate = None, Candidate(None, None)

    def rollback(self) -> None:
        """Restore the snapshot of the last commit, read the running config back and compare.

        Raises ReplaceConfigException when a restore step fails or what runs differs from the snapshot.
        """
        snapshot = self._path("rollback.config_db.json")
        saved = self._run(["cat", snapshot])
        if saved.rc != 0 or not saved.stdout.strip():
            raise CommandErrorException(f"{self.hostname}: nothing to roll back to ({snapshot} missing)")
        want = json.loads(saved.stdout)
        self._cancel_timer()
        for argv in self._restore_steps("replace" if configdb.diff(self._running(), want) else "none"):
            out = self._run(argv)
            if out.rc != 0:
                raise ReplaceConfigException(f"{self.hostname}: rollback failed at {shlex.join(argv)}: {_errors(out)}")
        left = configdb.diff(self._running(), want)
        if left:
            raise ReplaceConfigException(f"{self.hostname}: rollback failed: CONFIG_DB differs from the snapshot: "
                                         + "; ".join(f"{op['op']} {op['path']}" for op in left[:5]))
        frr_left = self._frr_test(f"{FRR_DIR}/rollback.conf")
        if frr_left:
            raise ReplaceConfigException(f"{self.hostname}: rollback failed: FRR differs from the snapshot:\n{frr_left}")

    # -- getters --------------------------------------------------------------------------------

    def get_config(self, retrieve: str = "all", full: bool = False, sanitized: bool = False,
                   format: str = "text") -> dict[str, str]:
        """Running and startup configs as a candidate: ``{"config_db": ..., "frr": ...}`` JSON text."""
        if format != "text" or sanitized:
            raise NotImplementedError("configs are returned as text (JSON), unsanitized")
        out = {"running": "", "startup": "", "candidate": ""}
        if retrieve in ("all", "running"):
            out["running"] = _candidate_text(self._running(), self._frr_running())
        if retrieve in ("all", "startup"):
            saved = json.loads(self._check(["cat", "/etc/sonic/config_db.json"]))
            out["startup"] = _candidate_text(saved, self._check(self._bgp("cat", "/etc/frr/frr.conf")))
        if retrieve in ("all", "candidate") and self._kind is not None:
            out["candidate"] = json.dumps({k: v for k, v in vars(self._candidate).items() if v is not None},
                                          indent=4, sort_keys=True)
        return out

    # -- software (docs/sources.md#upgrade-sonic) ------------------------------------------------

    def get_software_version(self) -> str:
        """The version ``show version`` names ("SONiC Software Version", without its ``SONiC.``)."""
        return show.key_values(self._check(["show", "version"])).get("SONiC Software Version", "").removeprefix("SONiC.")

    def upgrade_software(self, version: str, method: Literal["warm-reboot", "fast-reboot"] = "fast-reboot",
                         poll_s: float = 5.0) -> dict[str, Any]:
        """``sonic-installer install -y IMAGE`` (the ``image`` option), then ``warm-reboot`` or
        ``fast-reboot``; reconnect once the switch answers (``reboot_timeout``) and read the version
        back. CommandErrorException when a step fails or the switch does not come back."""
        if method not in ("warm-reboot", "fast-reboot"):
            raise CommandErrorException(f"{self.hostname}: unknown SONiC upgrade method {method!r}")
        self._check(["sonic-installer", "install", "-y", self.image.format(version=version)])
        with contextlib.suppress(Exception):  # the switch goes down: the session may end before any answer
            self._run([method])
        self.close()
        deadline = time.monotonic() + self.reboot_timeout
        while True:
            time.sleep(poll_s)
            try:
                self.open()
                return {"version": self.get_software_version(), "method": method}
            except Exception as exc:  # not back yet
                if time.monotonic() > deadline:
                    raise CommandErrorException(f"{self.hostname}: not back {self.reboot_timeout:.0f} s after "
                                                f"{method}: {type(exc).__name__}: {exc}") from None
                self.close()

    def get_facts(self) -> dict[str, Any]:
        version = show.key_values(self._check(["show", "version"]))
        host = self._check(["sh", "-c", "hostname; cat /proc/uptime"]).splitlines()
        return {
            "hostname": host[0].strip(),
            "fqdn": host[0].strip(),
            "vendor": "SONiC",
            "model": version.get("HwSKU", ""),
            "os_version": version.get("SONiC Software Version", ""),
            "serial_number": version.get("Serial Number", ""),
            "uptime": float(host[1].split()[0]),
            "interface_list": sorted(self.get_interfaces()),
        }

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        descriptions = {r["Interface"]: r.get("Description", "")
                        for r in show.table(self._check(["show", "interfaces", "description"]))}
        return show.interfaces(self._check(["show", "interfaces", "status"]), descriptions)

    def get_interfaces_counters(self) -> dict[str, dict[str, int]]:
        """Per port: packets OK, errors and drops of ``portstat -j`` (since ``sonic-clear counters``)."""
        return show.portstat(self._check(["portstat", "-j"]))

    def get_qos(self) -> dict[str, Any]:
        """QoS as the switch holds it: the QoS, PFC, ECN and buffer tables of the running CONFIG_DB
        (``configdb.QOS_TABLES``) and the lossless priorities per port of ``show pfc priority``."""
        running = self._running()
        return {
            "config_db": {t: running[t] for t in configdb.QOS_TABLES if t in running},
            "lossless_priorities": show.lossless_priorities(self._check(["show", "pfc", "priority"])),
        }

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, str]:
        """Run SONiC CLI commands (``show ...``) on the host; raises CommandErrorException on a failure."""
        if encoding != "text":
            raise NotImplementedError("only text output")
        return {c: self._check(shlex.split(c)) for c in commands}


def _candidate_text(db: ConfigDb, frr: str) -> str:
    return json.dumps({"config_db": db, "frr": frr}, indent=4, sort_keys=True)


def _fpm_deleted(reload_diff: str) -> list[str]:
    """Commands of frr-reload.py's "Lines To Delete" that would remove SONiC's FPM lines (zebra -> fpmsyncd)."""
    section = reload_diff.split("Lines To Add")[0]
    return [ln.strip() for ln in section.splitlines() if _FPM.match(ln)]


def _errors(out: Output, lines: int = 3) -> str:
    """The device's error lines: from the first line naming an error (``Error``, ``Failed``, ``%``),
    CLI usage hints left out; else the last lines of its output."""
    text = [ln.strip() for ln in (out.stderr or out.stdout).splitlines()
            if ln.strip() and not ln.startswith(("Usage:", "Try ", "** DRY RUN"))]
    first = next((i for i, ln in enumerate(text) if re.search(r"error|failed|%", ln, re.IGNORECASE)), None)
    chosen = text[first:first + lines] if first is not None else text[-lines:]
    return " | ".join(chosen) or "no output"
