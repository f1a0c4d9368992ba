"""NAPALM driver for FRR on Linux over SSH: frr-reload.py for diff and commit, vtysh JSON for getters.

Device side: ``vtysh`` and ``/usr/lib/frr/frr-reload.py`` (Debian's frr-pythontools) run through
the SSH session, as root or with ``sudo``. The driver keeps its files in a work directory on
the device (default ``/etc/frr/napalm``): ``candidate.conf`` (the loaded candidate),
``rollback.conf`` (the running config saved by the last commit), ``revert.conf``, ``revert.sh``
and ``revert.kernel.json`` (the frr.conf, the kernel settings and their record a commit-confirm
timer restores when ``set_revert_config`` named them), ``pending`` (the pid of that timer),
``kept-addresses`` (below). A commit or rollback is refused, writing nothing, while a daemon its
config configures is down (``down_daemons``).

An interface address the kernel held before a committed frr.conf first configured it (the
management address DHCP or the OS set up) is the switch's own: zebra deletes an address its config
no longer has, so a later replace without it (a rollback to a snapshot from before, the revert
timer) would take the way in away, cutting the SSH session mid-command. The commit that first
configures it records it in ``kept-addresses``; every frr-reload.py run puts back, in the same
shell, each recorded address that was there before the run and is gone after it.

``optional_args``:
    port          SSH port (22)
    key_file      private key file for public-key login (with or instead of the password)
    known_hosts   known_hosts file holding the device's host key (default: ~/.ssh/known_hosts);
                  unknown or changed host keys are always rejected
    netns         open the TCP connection inside this network namespace (/var/run/netns/<name>)
    sudo          run device commands with ``sudo -n`` (False)
    workdir       device directory for candidate and rollback files (/etc/frr/napalm)
    frr_reload    path of frr-reload.py on the device (/usr/lib/frr/frr-reload.py)
    install       how ``upgrade_software`` installs a version: a shell command with ``{version}``,
                  or ``record`` (only the version file changes: the FRR lab); unset: refused
Unknown keys are ignored (Nornir may pass ``ssh_config_file``).

A candidate is frr.conf text, or a bundle ``{"frr.conf": ..., "links.sh": ..., "qos.sh": ...}``
whose scripts' commands are kernel settings (``napalm_frr.kernel``): compare_config adds the ones
not in effect under "Kernel Settings To Apply", commit_config applies them after frr.conf, and
``kernel.json`` in the work directory records what was applied, what the kernel cannot hold, and
the state each target had before aifab first set it, which a replace bundle without that setting
puts back ("Kernel Settings Taken Back").
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any, Literal

from napalm.base.exceptions import (
    CommandErrorException,
    CommitError,
    MergeConfigException,
    ReplaceConfigException,
)

from napalm_frr import kernel, parse, software
from napalm_frr.base import VtyshDriver
from napalm_frr.ssh import Output

STARTUP = "/etc/frr/frr.conf"
# The daemon that takes a top-level frr.conf statement (zebra takes the rest: interfaces, hostname, ...).
_DAEMON_OF = (("router bgp", "bgpd"), ("bfd", "bfdd"), ("ip route ", "staticd"), ("ipv6 route ", "staticd"))
KEPT = "kept-addresses"  # the interface addresses the switch held before a committed frr.conf configured them
_EMPTY: dict[str, Any] = {"settings": [], "applied": [], "unapplied": {}, "baseline": {}}  # no kernel record
_SECRET = re.compile(r"^(\s*.*\b(?:password|authentication-key|message-digest-key \d+ md5)\s+)\S+.*$", re.MULTILINE)


class FRRDriver(VtyshDriver):
    """FRR (frr.conf, vtysh) over SSH."""

    platform = "frr"

    def __init__(self, hostname: str, username: str, password: str, timeout: int = 60,
                 optional_args: dict[str, Any] | None = None) -> None:
        super().__init__(hostname, username, password, timeout, optional_args, sudo=False, workdir="/etc/frr/napalm")
        opts = optional_args or {}
        self.install: str | None = opts.get("install")
        self._candidate: Literal["replace", "merge"] | None = None
        self._revert_files: dict[str, str] | None = None  # what a revert timer restores (set_revert_config)
        self._settings: list[kernel.Setting] = []  # the loaded candidate's kernel settings
        self._bundle = False  # the loaded candidate is a bundle: a replace takes back the kernel settings it lacks
        self.kernel_report: dict[str, str] = {}  # after commit: settings the kernel could not hold -> why

    # -- device commands ----------------------------------------------------------------------

    def _failure(self, out: Output) -> str:
        return _tail(out)

    def _vtysh(self, command: str) -> str:
        return self._check(["vtysh", "-c", command])

    def _write(self, name: str, text: str) -> str:
        """Write a file into the work directory on the device (mode 600); returns its path."""
        path = self._path(name)
        self._check(["sh", "-c", 'umask 077 && mkdir -p "$1" && cat > "$2"', "sh", self.workdir, path], text)
        return path

    def _running(self) -> str:
        return self._vtysh("show running-config no-header")

    def _reload(self, path: str) -> Output:
        """Apply a full config with frr-reload.py (line by line; it saves frr.conf when done),
        keeping the addresses of ``kept-addresses`` (:meth:`_keeping`)."""
        return self._run(["sh", "-c", self._keeping(f'{shlex.quote(self.frr_reload)} --reload "$1"'), "sh", path])

    def _keeping(self, reload: str) -> str:
        """Shell text running ``reload`` (an frr-reload.py command line) and then putting back each
        address of ``kept-addresses`` that the kernel held before it and not after; its exit status
        is ``reload``'s. One shell: the SSH session may ride on such an address."""
        kept = shlex.quote(self._path(KEPT))
        present = '[ -n "$(ip -o addr show dev "$dev" to "$(host_of "$cidr")" 2>/dev/null)" ]'  # "$dev" has "$cidr"
        return ('host_of() { case "$1" in *:*) echo "${1%/*}/128";; *) echo "${1%/*}/32";; esac; }; held=""; '
                f'if [ -s {kept} ]; then while read -r dev cidr; do if {present}; then held="$held $dev,$cidr"; fi; '
                f'done < {kept}; fi; {reload}; rc=$?; for e in $held; do dev="${{e%%,*}}"; cidr="${{e#*,}}"; '
                f'{present} || ip addr add "$cidr" dev "$dev" 2>/dev/null; done; exit $rc')

    def _keep_addresses(self, running: str, candidate: str) -> None:
        """Record in ``kept-addresses`` the interface addresses ``candidate`` configures that the
        running frr.conf does not and the kernel holds already: the switch's own (see the module)."""
        claimed = parse.interface_addresses(candidate) - parse.interface_addresses(running)
        if not claimed:
            return
        state = kernel.parse_state(self._run(["sh", "-c", kernel.read_script([])]).stdout)
        new = sorted((dev, cidr) for dev, cidr in claimed if cidr in state.addrs.get(dev, set()))
        if new:
            out = self._run(["cat", self._path(KEPT)])
            known = out.stdout if out.rc == 0 else ""
            lines = dict.fromkeys([*known.splitlines(), *(f"{dev} {cidr}" for dev, cidr in new)])
            self._write(KEPT, "".join(f"{line}\n" for line in lines if line.strip()))

    # -- configuration ------------------------------------------------------------------------

    def _load(self, kind: Literal["replace", "merge"], filename: str | None, config: str | None) -> None:
        error = ReplaceConfigException if kind == "replace" else MergeConfigException
        if config is None:
            if filename is None:
                raise error(f"{self.hostname}: give a filename or a config")
            try:
                config = Path(filename).read_text()
            except OSError as exc:
                raise error(f"{self.hostname}: cannot read {filename}: {exc.strerror or exc}") from None
        config = self._load_bundle(kind, config, error)
        path = self._write("candidate.conf", config)
        check = self._run(["vtysh", "-C", "-f", path])  # vtysh's own parser, no daemon touched
        if check.rc != 0:
            self._run(["rm", "-f", path])
            self._candidate = None
            raise error(f"{self.hostname}: candidate rejected by vtysh: {_tail(check)}")
        self._candidate = kind

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """Load a full frr.conf as the candidate; raises ReplaceConfigException if vtysh rejects it."""
        self._load("replace", filename, config)

    def load_merge_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        """Load config lines to apply on top of the running config (``vtysh -f`` on commit)."""
        self._load("merge", filename, config)

    def compare_config(self) -> str:
        """What commit would do: frr-reload.py --test output (replace), or the lines to apply (merge)."""
        if self._candidate is None:
            return ""
        if self._settings or (self._candidate == "replace" and self._bundle):
            return _join(self._compare_frr(), self._kernel_diff())
        return self._compare_frr()

    def _compare_frr(self) -> str:
        if self._candidate == "merge":
            lines = [ln for ln in self._check(["cat", self._path("candidate.conf")]).splitlines()
                     if ln.strip() and ln.strip() != "!"]
            return "\n".join(["Lines To Merge", "==============", *lines, ""])
        out = self._run([self.frr_reload, "--test", self._path("candidate.conf")])
        if out.rc != 0:
            raise CommandErrorException(f"{self.hostname}: frr-reload.py --test failed: {_errors(out)}")
        return parse.reload_diff(out.stdout)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        """Apply the candidate, saving the running config first for ``rollback``.

        ``revert_in``: seconds after which the device itself restores the saved config unless
        ``confirm_commit`` is called (a timer process on the device). If applying fails, the
        saved config is restored and ReplaceConfigException/MergeConfigException raised.
        """
        if self._candidate is None:
            raise CommitError(f"{self.hostname}: no candidate loaded")
        if self.has_pending_commit():
            raise CommitError(f"{self.hostname}: a commit is pending confirmation; confirm or roll back first")
        candidate_text = self._check(["cat", self._path("candidate.conf")])
        self._require_daemons(candidate_text)
        kind, error = self._candidate, (ReplaceConfigException if self._candidate == "replace" else MergeConfigException)
        running = self._running()
        rollback = self._write("rollback.conf", running)
        self._keep_addresses(running, candidate_text)
        candidate = self._path("candidate.conf")
        if kind == "replace":
            out = self._reload(candidate)
        else:
            out = self._run(["vtysh", "-f", candidate])
            if out.rc == 0:
                out = self._run(["vtysh", "-c", "write memory"])
        if out.rc != 0:
            restored = self._reload(rollback).rc == 0
            raise error(f"{self.hostname}: commit failed ({_errors(out)}); "
                        + ("previous config restored" if restored else "restoring the previous config FAILED too"))
        self._run(["rm", "-f", candidate])
        self._candidate = None
        if self._settings or (kind == "replace" and self._bundle):
            self._commit_kernel(rollback, error)
        elif kind == "replace":  # a plain frr.conf replace: the kernel record is no longer the one to roll back to
            self._run(["rm", "-f", self._path("rollback.kernel.json")])
        if revert_in is not None:
            self._arm_timer(revert_in, self._revert_command(rollback))

    def set_revert_config(self, config: str | None) -> None:
        """The config a revert timer restores (the deploy's snapshot from before its drain): frr.conf
        text, or a bundle whose kernel settings the timer runs again after frr.conf (each line on
        its own, as far as the kernel takes it); None: the running config saved by the commit
        (``rollback.conf``)."""
        try:
            self._revert_files = None if config is None else kernel.bundle(config)
        except kernel.BundleError as exc:
            raise CommitError(f"{self.hostname}: the revert config: {exc}") from None

    def _revert_command(self, rollback: str) -> str:
        """The shell command a revert timer runs."""
        reload, files = shlex.quote(self.frr_reload), self._revert_files
        if files is None:
            return f"sh -c {shlex.quote(self._keeping(f'{reload} --reload {shlex.quote(rollback)}'))}"
        revert = shlex.quote(self._write('revert.conf', files.get('frr.conf', '')))
        command = f"sh -c {shlex.quote(self._keeping(f'{reload} --reload {revert}'))}"
        wanted, record = kernel.settings(files), self._kernel_record()
        settings = self._released(wanted, record) + wanted
        if settings:
            script = self._write("revert.sh", "".join(f"{s.command}\n" for s in settings))
            command += f"; sh {shlex.quote(script)}"
        kept = self._write("revert.kernel.json", json.dumps(self._reverted(wanted, record)))
        return f"{command}; cp {shlex.quote(kept)} {shlex.quote(self._path('kernel.json'))}"

    @staticmethod
    def _reverted(wanted: list[kernel.Setting], record: dict[str, Any]) -> dict[str, Any]:
        """The record once a revert timer has run ``wanted`` (``revert.sh``, no read-back there): an
        ``ip``/``sysctl`` setting counts as applied (compared by value, read back at the next commit or
        restore), another only where ``record`` has it applied already (else the next commit runs it
        again); the pre-aifab state of the targets ``wanted`` sets is kept, the others were put back."""
        applied, commands = set(record["applied"]), {s.command for s in wanted}
        keep = {kernel.target_key(s) for s in wanted}
        return {"settings": [s.label for s in wanted],
                "applied": [s.command for s in wanted if s.required or s.command in applied],
                "unapplied": {c: why for c, why in record["unapplied"].items() if c in commands},
                "baseline": {k: label for k, label in record["baseline"].items() if k in keep}}

    def down_daemons(self, config: str | None = None) -> list[str]:
        """The daemons ``config`` (default: the running config) configures that are not running."""
        text = self._running() if config is None else config
        need = {"zebra"} | {daemon for line in text.splitlines() for start, daemon in _DAEMON_OF
                            if line.startswith(start) or (daemon == "bfdd" and " bfd" in line)}
        running = set(self._vtysh("show daemons").split())
        return sorted(need - running)

    def _require_daemons(self, config: str) -> None:
        """Refuse (CommitError, nothing written) while a daemon ``config`` configures is down:
        frr-reload.py would save a frr.conf without that daemon's section."""
        down = self.down_daemons(config)
        if down:
            raise CommitError(f"{self.hostname}: {', '.join(down)} is not running; nothing applied or saved")

    def discard_config(self) -> None:
        """Drop the loaded candidate."""
        self._run(["rm", "-f", self._path("candidate.conf")])
        self._candidate = None
        self._settings = []

    def rollback(self) -> None:
        """Restore the running config saved by the last commit (stopping a pending revert timer)."""
        rollback = self._path("rollback.conf")
        if self._run(["test", "-s", rollback]).rc != 0:
            raise CommandErrorException(f"{self.hostname}: nothing to roll back to ({rollback} missing)")
        self._require_daemons(self._check(["cat", rollback]))
        self._cancel_timer()
        out = self._reload(rollback)
        if out.rc != 0:
            raise ReplaceConfigException(f"{self.hostname}: rollback failed: {_errors(out)}")
        self._rollback_kernel()

    # -- kernel settings (links.sh, qos.sh): napalm_frr.kernel ---------------------------------

    def _load_bundle(self, kind: str, config: str, error: type[Exception]) -> str:
        """Split a candidate bundle: keep its kernel settings, return its frr.conf text."""
        try:
            files = kernel.bundle(config)
        except kernel.BundleError as exc:
            raise error(f"{self.hostname}: {exc}") from None
        if "frr.conf" not in files:
            raise error(f"{self.hostname}: the candidate bundle has no frr.conf")
        self._settings, self.kernel_report = kernel.settings(files), {}
        self._bundle = config.lstrip().startswith("{")
        if kind == "merge" and self._settings:
            raise error(f"{self.hostname}: a merge candidate carries frr.conf lines only, not scripts")
        return files["frr.conf"]

    def _kernel_record(self, name: str = "kernel.json") -> dict[str, Any]:
        out = self._run(["cat", self._path(name)])
        try:
            data = json.loads(out.stdout) if out.rc == 0 and out.stdout.strip() else {}
        except ValueError:
            data = {}
        return {"settings": data.get("settings", []), "applied": data.get("applied", []),
                "unapplied": data.get("unapplied", {}), "baseline": data.get("baseline", {})}

    def _kernel_state(self, wanted: list[kernel.Setting]) -> kernel.KernelState:
        return kernel.parse_state(self._run(["sh", "-c", kernel.read_script(wanted)]).stdout)

    def _kernel_status(self, wanted: list[kernel.Setting], record: dict[str, Any]
                       ) -> list[tuple[kernel.Setting, bool | None, str]]:
        """Each setting: (setting, True in effect / False to apply / None cannot be held, why)."""
        state, applied, unapplied = self._kernel_state(wanted), set(record["applied"]), record["unapplied"]
        out = []
        for s in wanted:
            ok, why = kernel.in_effect(s, state, applied)
            if ok is False and s.command in unapplied and not s.required:
                ok, why = None, unapplied[s.command]  # refused at the last commit, unchanged since
            out.append((s, ok, why))
        return out

    def _kernel_diff(self) -> str:
        record = self._kernel_record()
        todo = [s.label for s, ok, _ in self._kernel_status(self._settings, record) if ok is False]
        released = self._released(self._settings, record)
        back = [s.label for s, ok, _ in self._kernel_status(released, _EMPTY) if ok is False] if released else []
        out = []
        for title, lines in (("Kernel Settings To Apply", todo), ("Kernel Settings Taken Back", back)):
            if lines:
                out += [title, "=" * len(title), *lines, ""]
        return "\n".join(out)

    @staticmethod
    def _released(wanted: list[kernel.Setting], record: dict[str, Any]) -> list[kernel.Setting]:
        """The commands that return each target the record holds a pre-aifab state for, and ``wanted``
        does not set, to that state (a replace takes back what its candidate lacks)."""
        keep = {kernel.target_key(s) for s in wanted}
        return [kernel.Setting(*label.split(": ", 1)) for key, label in record["baseline"].items() if key not in keep]

    def kernel_not_applicable(self) -> dict[str, str]:
        """The loaded candidate's kernel settings this kernel cannot hold: label -> reason."""
        return {s.label: why for s, ok, why in self._kernel_status(self._settings, self._kernel_record()) if ok is None}

    def _apply(self, wanted: list[kernel.Setting], record: dict[str, Any]) -> tuple[list[str], dict[str, str], dict[str, str]]:
        """Run every setting not in effect, all in one round trip (:func:`kernel.apply_script`);
        returns (applied commands, not applicable, failures). A child qdisc of one that did not
        apply is not run: not applicable where the kernel cannot hold its parent, else failed."""
        applied, todo, handles = [], [], {}
        for s, ok, _why in self._kernel_status(wanted, record):
            if ok is True:
                applied.append(s.command)
                continue
            todo.append((s, handles.get(kernel.tc_parent(s))))
            if handle := kernel.tc_handle(s):
                handles[handle] = len(todo) - 1
        if not todo:
            return applied, {}, {}
        out = self._run(["sh", "-c", kernel.apply_script(todo)])
        results = kernel.parse_applied(out.stdout, out.stderr, len(todo))
        unapplied: dict[str, str] = {}
        failed: dict[str, str] = {}
        causes: dict[int, tuple[bool, str]] = {}  # index -> (the kernel cannot hold it, why) of each that did not apply
        for i, ((s, after), (rc, stdout, stderr)) in enumerate(zip(todo, results, strict=True)):
            if rc == 0:
                applied.append(s.command)
                continue
            parent = kernel.tc_parent(s)
            if rc is None and after is not None and parent is not None:  # not run: its parent did not apply
                beyond, why = causes[i] = causes[after]
                error = f"its parent qdisc {parent[1]} was not applied ({why})"
            else:
                error = ((kernel.reason(stderr or stdout) or f"exit {rc}") if rc != -1 else
                         f"not run: the script stopped before it ({kernel.reason(out.stderr) or f'exit {out.rc}'})")
                beyond = rc != -1 and kernel.cannot_hold(error)
                causes[i] = (beyond, error)
            if s.required or not beyond:
                failed[s.label] = error
            else:
                unapplied[s.command] = error
        return applied, unapplied, failed

    def _replace_kernel(self, wanted: list[kernel.Setting], record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Make ``wanted`` the kernel settings in place of ``record``'s: first each target the record
        holds a pre-aifab state for and ``wanted`` does not set is returned to that state (read back),
        then every setting of ``wanted`` not in effect is run. The pre-aifab state of each target
        ``wanted`` sets for the first time is read before. Returns the new record and the failures."""
        baseline = dict(record["baseline"])
        applied_before = set(record["applied"])
        prior = {kernel.target(kernel.Setting(*label.split(": ", 1))) for label in record["settings"]
                 if label.partition(": ")[2] in applied_before}
        first = [s for s in wanted if kernel.target_key(s) not in baseline and kernel.target(s) not in prior]
        state = self._kernel_state(first) if first else kernel.KernelState()
        for s in first:
            if back := kernel.undo(s, state):
                baseline[kernel.target_key(s)] = f"{s.file}: {back}"
        released = self._released(wanted, {"baseline": baseline})
        failed: dict[str, str] = {}
        if released:
            _, _, failed = self._apply(released, _EMPTY)
            failed |= {s.label: why or "not in effect" for s, ok, why in self._kernel_status(released, _EMPTY)
                       if ok is not True and s.label not in failed}
        keep = {kernel.target_key(s) for s in wanted}
        baseline = {key: label for key, label in baseline.items() if key in keep}
        applied, unapplied, failures = self._apply(wanted, record)
        return ({"settings": [s.label for s in wanted], "applied": applied, "unapplied": unapplied,
                 "baseline": baseline}, failed | failures)

    def _commit_kernel(self, rollback: str, error: type[Exception]) -> None:
        """Apply the committed candidate's kernel settings (taking back, where the pre-aifab state is
        known, those a replace bundle lacks); a required one failing restores the old state."""
        wanted, self._settings, self.kernel_report = self._settings, [], {}
        previous = self._kernel_record()
        self._write("rollback.kernel.json", json.dumps(previous))
        record, failed = self._replace_kernel(wanted, previous)
        self._write("kernel.json", json.dumps(record))
        if failed:
            restored = self._reload(rollback).rc == 0
            self._rollback_kernel()
            detail = " | ".join(f"{k}: {v}" for k, v in list(failed.items())[:3])
            raise error(f"{self.hostname}: kernel settings failed ({detail}); "
                        + ("previous config restored" if restored else "restoring the previous config FAILED too"))
        self.kernel_report = {s.label: record["unapplied"][s.command] for s in wanted if s.command in record["unapplied"]}

    def _rollback_kernel(self) -> None:
        """Put back the kernel settings recorded before the last commit (when there is such a record),
        taking back what that commit set for the first time."""
        if self._run(["test", "-s", self._path("rollback.kernel.json")]).rc != 0:
            return
        previous = self._kernel_record("rollback.kernel.json")
        wanted = [kernel.Setting(*label.split(": ", 1)) for label in previous["settings"]]
        record, _ = self._replace_kernel(wanted, self._kernel_record())
        self._write("kernel.json", json.dumps(record))

    def get_candidate_snapshot(self) -> str:
        """The device's state as a replace candidate: a bundle of the running frr.conf and the kernel
        settings of the last commit's record (``kernel.json``) that are in effect or that this kernel
        cannot hold, one script per file. Loading and committing it puts back both, and the record:
        a setting the kernel cannot hold stays known as such, not one to apply at the next deploy
        (settings added since cannot be taken away: a qdisc or DCB map stays)."""
        scripts: dict[str, list[str]] = {}
        record = self._kernel_record()
        kept = set(record["applied"]) | set(record["unapplied"])
        for label in record["settings"]:
            file, _, command = label.partition(": ")
            if command in kept:
                scripts.setdefault(file, []).append(command)
        return json.dumps({"frr.conf": self._running(),
                           **{f: "\n".join(lines) + "\n" for f, lines in scripts.items()}}, sort_keys=True)

    def kernel_beyond(self, config: str) -> list[str]:
        """The kernel settings in effect by the last commit's record that ``config`` (a candidate
        bundle, e.g. a snapshot) has no setting for: committing it cannot take them away."""
        try:
            covered = {kernel.target_key(s) for s in kernel.settings(kernel.bundle(config))}
        except kernel.BundleError:
            covered = set()
        record = self._kernel_record()
        covered |= set(record["baseline"])  # a replace without these puts back their pre-aifab state
        applied = set(record["applied"])
        return [label for label in record["settings"] if label.partition(": ")[2] in applied
                and kernel.target_key(kernel.Setting(*label.split(": ", 1))) not in covered]

    def get_kernel_settings(self) -> dict[str, dict[str, str]]:
        """The last committed bundle's kernel settings read back: label -> {"state": "in effect" |
        "differs" | "not applicable", "reason": ...}."""
        record = self._kernel_record()
        wanted = [kernel.Setting(*label.split(": ", 1)) for label in record["settings"]]
        names = {True: "in effect", False: "differs", None: "not applicable"}
        return {s.label: {"state": names[ok], "reason": why} for s, ok, why in self._kernel_status(wanted, record)}

    # -- getters --------------------------------------------------------------------------------

    def get_config(self, retrieve: str = "all", full: bool = False, sanitized: bool = False,
                   format: str = "text") -> dict[str, str]:
        """Running (``show running-config``), startup (/etc/frr/frr.conf) and candidate configs."""
        if format != "text":
            raise NotImplementedError("FRR configs are text only")
        out = {"running": "", "startup": "", "candidate": ""}
        if retrieve in ("all", "running"):
            out["running"] = self._running()
        if retrieve in ("all", "startup"):
            out["startup"] = self._check(["cat", STARTUP])
        if retrieve in ("all", "candidate") and self._candidate is not None:
            out["candidate"] = self._check(["cat", self._path("candidate.conf")])
        if sanitized:
            out = {k: _SECRET.sub(r"\1<removed>", v) for k, v in out.items()}
        return out

    # -- software ------------------------------------------------------------------------------

    def get_software_version(self) -> str:
        """The version the switch says it runs: the driver's version file (what the last upgrade
        installed), else FRR's own ``show version``."""
        out = self._run(["cat", software.VERSION_FILE])
        if out.rc == 0 and out.stdout.strip():
            return out.stdout.strip()
        return parse.os_version(self._vtysh("show version"))

    def upgrade_software(self, version: str, down_s: float = 2.0, timeout: float = 60.0) -> dict[str, Any]:
        """Install ``version`` (``optional_args["install"]``), restart every FRR daemon (stopped
        ``down_s``) and read the version back; the daemons restarted and the seconds per phase.
        CommandErrorException when installing or restarting fails, or no install method is set."""
        if not self.install:
            raise CommandErrorException(f"{self.hostname}: no install method: set optional_args install "
                                        "(a command with {version}, or record)")
        if self.install != "record":
            self._check(["sh", "-c", self.install.format(version=shlex.quote(version))])
        self._check(["sh", "-c", 'umask 022 && printf "%s\\n" "$1" > "$2"', "sh", version, software.VERSION_FILE])
        out = self._run(["python3", "-", str(down_s), str(timeout)], software.RESTART)
        if out.rc != 0:
            raise CommandErrorException(f"{self.hostname}: restarting FRR failed: {_tail(out)}")
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise CommandErrorException(f"{self.hostname}: the restart said {out.stdout[-200:]!r}") from None
        return {**result, "version": self.get_software_version()}

    def get_facts(self) -> dict[str, Any]:
        version = self._vtysh("show version")
        host = self._check(["sh", "-c", "hostname; cat /proc/uptime; uname -m; "
                            "cat /sys/class/dmi/id/product_serial 2>/dev/null || true"]).splitlines()
        hostname = host[0].strip()
        return {
            "hostname": hostname,
            "fqdn": hostname,
            "vendor": "FRRouting",
            "model": f"Linux {host[2].strip()}",
            "os_version": self.get_software_version() if self._run(["test", "-s", software.VERSION_FILE]).rc == 0
                          else parse.os_version(version),
            "serial_number": host[3].strip() if len(host) > 3 else "",
            "uptime": float(host[1].split()[0]),
            "interface_list": sorted(self._json("show interface json")),
        }

    def get_interfaces(self) -> dict[str, dict[str, Any]]:
        """``show interface json``; a speed zebra does not know (0: it reads a port's speed 15 s after
        the port appears) is the kernel's (``/sys/class/net/NAME/speed``), where the kernel knows it."""
        out = parse.interfaces(self._json("show interface json"))
        if any(not i["speed"] for i in out.values()):
            kernel = parse.sysfs_speeds(self._check(["sh", "-c", "grep -H . /sys/class/net/*/speed 2>/dev/null || true"]))
            for name, i in out.items():
                if not i["speed"] and kernel.get(name, 0) > 0:
                    i["speed"] = float(kernel[name])
        return out

    def get_interfaces_counters(self) -> dict[str, dict[str, int]]:
        """Every interface's counters as the kernel keeps them (/sys/class/net/*/statistics)."""
        return parse.sysfs_counters(self._check(["sh", "-c", "grep -r . /sys/class/net/*/statistics/ || true"]))

    def get_ecn_marked(self) -> dict[str, int]:
        """Packets marked CE per interface by its RED qdiscs with ECN (``tc -s -j qdisc show``);
        empty when no interface has one (qos.sh's RED not applied, or no ``red`` qdisc in the kernel)."""
        text = self._check(["tc", "-s", "-j", "qdisc", "show"])
        try:
            return parse.ecn_marked(json.loads(text or "[]"))
        except ValueError:
            raise CommandErrorException(f"{self.hostname}: tc -s -j qdisc show returned no JSON: {text[:200]!r}") from None

    def cli(self, commands: list[str], encoding: str = "text") -> dict[str, str]:
        """Run vtysh commands; raises CommandErrorException on one vtysh rejects."""
        if encoding != "text":
            raise NotImplementedError("only text output")
        return {c: self._vtysh(c) for c in commands}


def _join(*parts: str) -> str:
    return "\n".join(p.rstrip("\n") for p in parts if p.strip()) + ("\n" if any(p.strip() for p in parts) else "")


def _tail(out: Output, lines: int = 3) -> str:
    text = (out.stderr.strip() or out.stdout.strip()).splitlines()
    return " | ".join(text[-lines:]) or "no output"


def _errors(out: Output) -> str:
    """The ERROR lines of frr-reload.py (else the last lines of its output)."""
    errors = [ln for ln in (out.stdout + out.stderr).splitlines() if "ERROR" in ln or "%" in ln]
    return " | ".join(e.strip() for e in errors[-3:]) or _tail(out)
