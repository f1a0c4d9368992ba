"""The frr NAPALM driver without a device: loading, connection errors, output parsing.

The driver against real FRR and sshd is tested in tests/lab/test_napalm_frr_lab.py.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from napalm import get_network_driver
from napalm.base.exceptions import CommandErrorException, ConnectionException

from napalm_frr import FRRDriver
from napalm_frr.parse import duration_s, os_version, reload_diff, sysfs_speeds


def test_napalm_platform_frr_is_this_driver() -> None:
    assert get_network_driver("frr") is FRRDriver


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that is bound but not listening: connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_refused_connection_is_a_connection_exception(closed_port: int) -> None:
    driver = FRRDriver("127.0.0.1", "root", "pw-not-shown", timeout=5, optional_args={"port": closed_port})
    with pytest.raises(ConnectionException, match=f"127.0.0.1:{closed_port}: cannot connect"):
        driver.open()
    assert "pw-not-shown" not in repr(driver)


def test_a_peer_that_is_not_ssh_is_a_connection_exception() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"220 smtp ready\r\n" * 3)

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        driver = FRRDriver("127.0.0.1", "root", "", timeout=5, optional_args={"port": server.getsockname()[1]})
        with pytest.raises(ConnectionException, match="SSH failed"):
            driver.open()
        t.join(5)


def test_a_hung_sshd_is_named_after_the_timeout() -> None:
    """A peer that accepts the connection and then says nothing (a stopped sshd: the kernel completes
    the handshake): the driver gives up after its timeout and says what it saw."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)  # never accepted: the connection waits in the backlog, as with a stopped sshd
        driver = FRRDriver("127.0.0.1", "root", "", timeout=1, optional_args={"port": server.getsockname()[1]})
        with pytest.raises(ConnectionException, match="connected, but no SSH answer within 1 s"):
            driver.open()


def test_unknown_network_namespace_is_a_connection_exception() -> None:
    driver = FRRDriver("192.0.2.1", "root", "", timeout=5, optional_args={"netns": "aifab-no-such-namespace"})
    with pytest.raises(ConnectionException, match="aifab-no-such-namespace"):
        driver.open()


def test_commands_before_open_say_not_connected() -> None:
    driver = FRRDriver("192.0.2.1", "root", "")
    assert driver.is_alive() == {"is_alive": False}
    with pytest.raises(CommandErrorException, match="not connected"):
        driver.get_facts()


# frr-reload.py --test stdout of FRR 8.4.4 (its log lines go to stderr)
RELOAD_TEST = """
Lines To Delete
===============
no ip route 192.0.2.0/24 Null0
router bgp 65001
 no neighbor 10.0.0.1 description old

Lines To Add
============
router bgp 65001
 neighbor 10.0.0.1 description new
"""


def test_reload_diff_keeps_both_sections_and_drops_rulers() -> None:
    assert reload_diff(RELOAD_TEST) == (
        "Lines To Delete\n===============\nno ip route 192.0.2.0/24 Null0\nrouter bgp 65001\n"
        " no neighbor 10.0.0.1 description old\n\nLines To Add\n============\nrouter bgp 65001\n"
        " neighbor 10.0.0.1 description new\n")
    assert reload_diff("\n") == ""
    assert reload_diff(RELOAD_TEST.split("Lines To Add")[1].join(["Lines To Add", ""])).startswith("Lines To Add\n")


def test_uptime_and_version_parsing() -> None:
    assert duration_s("00:01:02") == 62
    assert duration_s("1d02h03m") == 86400 + 2 * 3600 + 180
    assert duration_s("2w3d04h") == 2 * 604800 + 3 * 86400 + 4 * 3600
    assert os_version("FRRouting 8.4.4 (be-spine1) on Linux(6.1.0).") == "8.4.4"


def test_kernel_speeds_are_read_where_the_kernel_knows_them() -> None:
    text = "/sys/class/net/swp1/speed:400000\n/sys/class/net/swp2/speed:-1\n/sys/class/net/eth0/speed:1000\ngarbage\n"
    assert sysfs_speeds(text) == {"swp1": 400000, "swp2": -1, "eth0": 1000}
