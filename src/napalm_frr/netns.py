"""Open a TCP connection from inside a Linux network namespace.

Python 3.11 has no ``os.setns``; ``setns(2)`` is called through ctypes. It moves only the
calling thread, so the socket is opened in a short-lived thread: the socket keeps the
namespace it was created in and can be used from any thread afterwards.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"

_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name: str) -> None:
    """Move the calling thread into the named network namespace (``/var/run/netns/<name>``)."""
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into network namespace {name!r}: {os.strerror(err)}")
    finally:
        os.close(fd)


def connect(host: str, port: int, timeout: float, netns: str | None = None) -> socket.socket:
    """A connected TCP socket to ``host:port``, opened inside ``netns`` when given.

    Raises ``OSError`` (``FileNotFoundError`` for an unknown namespace) like ``socket.create_connection``.
    """
    if netns is None:
        return socket.create_connection((host, port), timeout=timeout)
    box: dict[str, object] = {}

    def opener() -> None:
        try:
            enter_netns(netns)
            box["sock"] = socket.create_connection((host, port), timeout=timeout)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=opener, name=f"netns-connect-{netns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["sock"]  # type: ignore[return-value]
