"""What the FRR and SONiC drivers share: the SSH session, device commands, the revert timer and the
getters that read FRR through vtysh (``napalm_frr.parse``)."""

from __future__ import annotations

import json
import shlex
from abc import ABCMeta, abstractmethod
from typing import Any

from napalm.base import NetworkDriver
from napalm.base.exceptions import CommandErrorException, CommitConfirmException

from napalm_frr import parse
from napalm_frr.ssh import Output, Session


class VtyshDriver(NetworkDriver, metaclass=ABCMeta):
    """A driver for a device reached over SSH whose routing is FRR.

    A subclass defines ``_vtysh`` (run one vtysh command) and ``_failure`` (why a command failed), and
    passes its defaults for ``sudo`` and ``workdir`` to ``__init__``.
    """

    def __init__(self, hostname: str, username: str, password: str, timeout: int,
                 optional_args: dict[str, Any] | None, sudo: bool, workdir: str) -> None:
        opts = optional_args or {}
        self.hostname, self.username, self.password, self.timeout = hostname, username, password, timeout
        self.port = int(opts.get("port", 22))
        self.key_file: str | None = opts.get("key_file")
        self.known_hosts: str | None = opts.get("known_hosts")
        self.netns: str | None = opts.get("netns")
        self.sudo = bool(opts.get("sudo", sudo))
        self.workdir: str = opts.get("workdir", workdir)
        self.frr_reload: str = opts.get("frr_reload", "/usr/lib/frr/frr-reload.py")
        self._session: Session | None = None

    def __repr__(self) -> str:  # never shows the password
        return f"{type(self).__name__}({self.username}@{self.hostname}:{self.port})"

    # -- connection -------------------------------------------------------------------------

    def open(self) -> None:
        """Connect and log in; raises ConnectionException (ConnectAuthError for bad credentials)."""
        self._session = Session(self.hostname, self.port, self.username, self.password, self.key_file,
                                self.known_hosts, self.netns, float(self.timeout), self.sudo)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": self._session is not None and self._session.alive}

    # -- device commands ----------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return f"{self.workdir}/{name}"

    def _run(self, argv: list[str], stdin: str | None = None) -> Output:
        if self._session is None:
            raise CommandErrorException(f"{self.hostname}: not connected (call open() first)")
        return self._session.run(argv, stdin)

    def _check(self, argv: list[str], stdin: str | None = None) -> str:
        out = self._run(argv, stdin)
        if out.rc != 0:
            raise CommandErrorException(f"{self.hostname}: {shlex.join(argv)} exited {out.rc}: {self._failure(out)}")
        return out.stdout

    @abstractmethod
    def _failure(self, out: Output) -> str:
        """The lines of a failed command's output that say why."""

    @abstractmethod
    def _vtysh(self, command: str) -> str:
        """The output of one vtysh command; CommandErrorException when vtysh rejects it."""

    def _json(self, command: str) -> Any:
        text = self._vtysh(command)
        try:
            return json.loads(text or "{}")
        except ValueError:
            raise CommandErrorException(f"{self.hostname}: {command!r} returned no JSON: {text[:200]!r}") from None

    # -- revert timer (commit_config's ``revert_in``) -------------------------------------------

    def _arm_timer(self, revert_in: int, restore: str) -> None:
        """Start the device-side timer that runs the shell command ``restore`` after ``revert_in`` seconds."""
        timer = f"sleep {int(revert_in)} && {restore}; rm -f {shlex.quote(self._path('pending'))}"
        self._check(["sh", "-c", 'setsid sh -c "$1" </dev/null >/dev/null 2>&1 & echo $! > "$2"', "sh",
                     timer, self._path("pending")])

    def has_pending_commit(self) -> bool:
        """True while a commit made with ``revert_in`` waits for ``confirm_commit``."""
        return self._run(["sh", "-c", 'test -s "$1" && kill -0 "$(cat "$1")" 2>/dev/null', "sh",
                          self._path("pending")]).rc == 0

    def _cancel_timer(self) -> None:
        self._run(["sh", "-c", 'kill -- -"$(cat "$1")" 2>/dev/null; rm -f "$1"', "sh", self._path("pending")])

    def confirm_commit(self) -> None:
        """Keep the pending commit (stop the revert timer)."""
        if not self.has_pending_commit():
            raise CommitConfirmException(f"{self.hostname}: no commit is pending confirmation")
        self._cancel_timer()

    # -- getters (vtysh) ------------------------------------------------------------------------

    def get_interfaces_ip(self) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
        return parse.interfaces_ip(self._json("show interface json"))

    def get_bgp_neighbors(self) -> dict[str, dict[str, Any]]:
        return parse.bgp_neighbors(self._json("show bgp vrf all summary json"),
                                   self._json("show bgp vrf all neighbors json"))

    def get_bgp_neighbors_detail(self, neighbor_address: str = "") -> dict[str, dict[int, list[dict[str, Any]]]]:
        """Per VRF and remote AS: each session's negotiated and configured timers and prefix counts."""
        out = parse.bgp_neighbors_detail(self._json("show bgp vrf all neighbors json"))
        if neighbor_address:
            out = {vrf: {asn: [p for p in peers if p["remote_address"] == neighbor_address] for asn, peers in by_as.items()}
                   for vrf, by_as in out.items()}
        return out

    def get_bfd_peers(self) -> dict[str, str]:
        """BFD sessions: peer address -> status (``show bfd peers json``)."""
        return parse.bfd_peers(self._json("show bfd peers json"))

    def clear_bgp_sessions(self, hard: bool = True) -> None:
        """Reset every BGP session (``clear bgp *``; ``soft`` re-sends and re-asks routes only).
        A hard reset makes new timers take effect: FRR negotiates the hold time only in OPEN."""
        self._vtysh("clear bgp *" if hard else "clear bgp * soft")

    def get_route_to(self, destination: str = "", protocol: str = "", longer: bool = False) -> dict[str, list[dict[str, Any]]]:
        """Routes to ``destination`` (longest match for an address, the exact prefix for a CIDR)."""
        if not destination:
            raise CommandErrorException(f"{self.hostname}: get_route_to needs a destination")
        family = "ipv6" if ":" in destination else "ip"
        command = f"show {family} route {destination}" + (" longer-prefixes" if longer else "") + " json"
        return parse.routes(self._json(command), protocol)
