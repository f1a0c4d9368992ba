"""An SSH session that runs commands on the device and returns their exit code and output."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paramiko
from napalm.base.exceptions import CommandTimeoutException, ConnectAuthError, ConnectionClosedException, ConnectionException

from napalm_frr import netns


@dataclass(frozen=True)
class Output:
    """What a remote command returned."""

    rc: int
    stdout: str
    stderr: str


class Session:
    """One SSH connection (paramiko) with host-key checking; commands run through the login shell.

    Unknown or changed host keys are rejected. ``known_hosts`` names the file of trusted keys
    (else the user's ``~/.ssh/known_hosts``). ``netns`` opens the TCP socket inside that network
    namespace. ``sudo`` prefixes every command with ``sudo -n``.
    """

    def __init__(self, host: str, port: int, username: str, password: str | None, key_file: str | None,
                 known_hosts: str | None, netns_name: str | None, timeout: float, sudo: bool) -> None:
        self.host, self.port, self.timeout, self.sudo = host, port, timeout, sudo
        self._closed_why = ""  # why this end closed the connection (a device that stopped answering)
        self._client = paramiko.SSHClient()
        try:
            if known_hosts:
                self._client.load_host_keys(known_hosts)
            else:
                self._client.load_system_host_keys()
        except OSError as exc:
            raise ConnectionException(f"{host}: cannot read known_hosts {known_hosts}: {exc.strerror or exc}") from None
        self._client.set_missing_host_key_policy(paramiko.RejectPolicy())
        where = f"{host}:{port}" + (f" (network namespace {netns_name})" if netns_name else "")
        try:
            sock = netns.connect(host, port, timeout, netns_name)
        except OSError as exc:
            raise ConnectionException(f"{where}: cannot connect: {exc.strerror or exc}") from None
        start = time.monotonic()
        try:
            self._client.connect(host, port=port, username=username, password=password or None, key_filename=key_file,
                                 sock=sock, timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                                 allow_agent=False, look_for_keys=False)
        except paramiko.BadHostKeyException:
            sock.close()
            raise ConnectionException(f"{where}: host key does not match known_hosts (rejected)") from None
        except paramiko.AuthenticationException:
            sock.close()
            raise ConnectAuthError(f"{where}: authentication failed for user {username}") from None
        except (paramiko.SSHException, OSError) as exc:
            sock.close()
            if time.monotonic() - start >= timeout:  # paramiko's own words for it vary ("No existing session")
                raise ConnectionException(f"{where}: connected, but no SSH answer within {timeout:g} s (sshd hung, or "
                                          "the switch's control plane overloaded)") from None
            raise ConnectionException(f"{where}: SSH failed: {exc}") from None

    @property
    def alive(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _deadline(self, transport: paramiko.Transport, expired: threading.Event) -> Iterator[None]:
        """paramiko waits for the device to accept a command, and for its exit status, without a
        timeout: a device that stops answering would hang the caller for ever. After ``timeout`` the
        connection is closed (``expired`` set), which ends the wait: a connection whose device does
        not answer is of no use any more."""
        def expire() -> None:
            expired.set()
            transport.close()

        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
        if expired.is_set():
            raise EOFError("deadline")

    def run(self, argv: list[str], stdin: str | None = None) -> Output:
        """Run ``argv`` on the device (quoted for its shell, ``sudo -n`` in front when asked)."""
        command = shlex.join(["sudo", "-n", *argv] if self.sudo else argv)
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionClosedException(f"{self.host}: SSH connection is closed{self._closed_why}")
        expired = threading.Event()
        try:
            with self._deadline(transport, expired):  # paramiko's own channel timeout is later: this one decides
                chan = transport.open_session(timeout=2 * self.timeout)
                chan.settimeout(self.timeout)
                chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode())
            chan.shutdown_write()
            err: list[bytes] = []
            reader = threading.Thread(target=_read_to_end, args=(chan.makefile_stderr("rb"), err), daemon=True)
            reader.start()
            out = chan.makefile("rb").read()
            reader.join(self.timeout)
            with self._deadline(transport, expired):
                rc = chan.recv_exit_status()
            chan.close()
        except TimeoutError:
            raise CommandTimeoutException(f"{self.host}: {argv[0]} did not finish in {self.timeout:g} s") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if expired.is_set():
                why = f"no answer to {argv[0]} within {self.timeout:g} s (sshd hung, or the switch's control plane overloaded)"
                self._closed_why = f" after {why}"
                raise CommandTimeoutException(f"{self.host}: {why}: connection closed") from None
            raise ConnectionClosedException(f"{self.host}: SSH channel failed: {exc}") from None
        return Output(rc, out.decode(errors="replace"), b"".join(err).decode(errors="replace"))


def _read_to_end(stream: paramiko.ChannelStderrFile, into: list[bytes]) -> None:
    """Read a channel's stderr to its end (in a thread beside the stdout read). A timeout or a closed
    channel ends it quietly: the stdout read meets the same and the command's caller is told; left
    unhandled, it printed a traceback on the deploy's stderr."""
    try:
        into.append(stream.read())
    except (OSError, EOFError, paramiko.SSHException):
        return
