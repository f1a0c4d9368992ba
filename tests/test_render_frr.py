"""frr.conf as FRR 8.4 itself writes it: vtysh accepts every file, and real daemons write each one back unchanged.

The write-back test starts zebra, bgpd and bfdd (Debian's FRR 8.4) in a throwaway network
namespace with their own vty socket directory, loads the rendered file with ``vtysh -f``, and
compares ``show running-config`` (read under the device's own UTS hostname, as the lab runs
it) with the file. Everything it starts is stopped by pid and removed, even on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aifab.platforms import platform as record
from aifab.render import drain_snippet, undrain_snippet
from tests.test_render_helpers import lab_design, lab_files

FRR = Path("/usr/lib/frr")
DAEMONS = ("zebra", "bgpd", "bfdd")
VTYSH = shutil.which("vtysh")
needs_vtysh = pytest.mark.skipif(VTYSH is None, reason="vtysh (Debian package frr) is not installed")
needs_daemons = pytest.mark.skipif(
    VTYSH is None or not (FRR / "bgpd").exists() or os.geteuid() != 0 or not shutil.which("unshare"),
    reason="needs root, Debian's frr (zebra, bgpd, bfdd, vtysh) and unshare to run FRR in a network namespace")


def _frr_files(platform: str) -> dict[str, str]:
    return {name: text for name, text in lab_files(platform).items() if name.endswith(".frr.conf")}


@needs_vtysh
@pytest.mark.parametrize("platform", ["frr", "sonic"])
def test_vtysh_dry_run_accepts_every_frr_conf(platform: str, tmp_path: Path) -> None:
    files = _frr_files(platform)
    assert files, "no frr.conf rendered"
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        run = subprocess.run([VTYSH, "-C", "-f", str(path)], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, f"{name}: vtysh -C rejected it:\n{run.stdout}{run.stderr}"


SONIC_FPM = "fpm address 127.0.0.1\nno fpm use-next-hop-groups\n"  # as SONiC's docker_init.sh writes them


def test_sonic_frr_conf_is_frrs_with_the_fpm_lines_where_frr_writes_them() -> None:
    """SONiC's bgp container (split-unified) keeps the FPM lines in frr.conf; a replace must carry
    them. FRR 8.4 with dplane_fpm_nl writes them after ``no zebra nexthop kernel enable``."""
    frr, sonic = _frr_files("frr"), _frr_files("sonic")
    assert "fpm" not in "".join(frr.values())
    for name, text in sonic.items():
        head = text.split("!\n", 1)[0]
        assert head.endswith("no zebra nexthop kernel enable\n" + SONIC_FPM + "service integrated-vtysh-config\n"), name
    assert record("sonic").zebra_modules == ("dplane_fpm_nl",) and record("frr").zebra_modules == ()


@needs_vtysh
def test_vtysh_dry_run_rejects_a_broken_file(tmp_path: Path) -> None:
    """The dry run is a real check: a bad line fails it."""
    text = next(iter(_frr_files("frr").values())).replace(" bgp graceful-restart\n", " bgp graceful-restartt\n")
    path = tmp_path / "broken.frr.conf"
    path.write_text(text)
    assert subprocess.run([VTYSH, "-C", "-f", str(path)], capture_output=True, timeout=30).returncode != 0


def _stop(pids: list[int], wait_s: float = 5.0) -> None:
    """Stop the daemons this test started (by pid): SIGTERM all at once, SIGKILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait_s
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [pid for pid in alive if _running(pid)]
        pids = alive


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class FrrSandbox:
    """FRR instances (zebra, bgpd, bfdd) in throwaway network namespaces; ``close`` removes them all."""

    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.dirs: list[Path] = []
        self.ns_of: dict[Path, str] = {}

    def start(self, tag: str, hostname: str, interfaces: list[str], modules: tuple[str, ...] = ()) -> Path:
        """One instance with ``interfaces`` (veths) and zebra's ``modules``; returns its vty socket directory.

        The daemons start under their own UTS hostname, as in the lab: FRR takes each daemon's
        hostname from the system, not from the ``hostname`` line that vtysh reads.
        """
        ns = f"aifab-rt-{os.getpid()}-{tag}"
        run_dir = Path(tempfile.mkdtemp(prefix="aifab-frr-"))
        self.dirs.append(run_dir)
        shutil.chown(run_dir, "frr", "frr")
        subprocess.run(["ip", "netns", "add", ns], check=True, timeout=10)
        self.namespaces.append(ns)
        self.ns_of[run_dir] = ns
        # A router forwards; with forwarding off zebra would write "no ip forwarding" back.
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                        "net.ipv6.conf.all.forwarding=1"], check=True, timeout=10)
        for k, name in enumerate(n for n in interfaces if n != "lo"):  # each port cabled to a live far end
            subprocess.run(["ip", "-n", ns, "link", "add", name, "type", "veth", "peer", "name", f"peer{k}"],
                           check=True, timeout=10)
            for end in (name, f"peer{k}"):
                subprocess.run(["ip", "-n", ns, "link", "set", end, "up"], check=True, timeout=10)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, timeout=10)
        for d in DAEMONS:
            subprocess.run(["unshare", "--uts", "sh", "-c", 'hostname "$1" && shift && exec "$@"', "sh", hostname,
                            "ip", "netns", "exec", ns, str(FRR / d), "-d", "-F", "datacenter",
                            "--vty_socket", str(run_dir), "-i", str(run_dir / f"{d}.pid"),
                            "-z", str(run_dir / "zserv.api"), "-P", "0", "-f", "/dev/null", "-u", "frr", "-g", "frr",
                            *(f"-M{m}" for m in (modules if d == "zebra" else ()))],
                           check=True, timeout=20, capture_output=True)
        deadline = time.monotonic() + 10
        while not all((run_dir / f"{d}.vty").exists() for d in DAEMONS):
            assert time.monotonic() < deadline, "FRR daemons did not open their vty sockets"
            time.sleep(0.05)
        return run_dir

    def connect(self, a: Path, if_a: str, b: Path, if_b: str) -> None:
        """Cable instance ``a``'s ``if_a`` to instance ``b``'s ``if_b`` (a veth pair across namespaces)."""
        na, nb = self.ns_of[a], self.ns_of[b]
        subprocess.run(["ip", "-n", na, "link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", nb],
                       check=True, timeout=10)
        subprocess.run(["ip", "-n", na, "link", "set", if_a, "up"], check=True, timeout=10)
        subprocess.run(["ip", "-n", nb, "link", "set", if_b, "up"], check=True, timeout=10)

    def close(self) -> None:
        pids = []
        for run_dir in self.dirs:
            for d in DAEMONS:
                with contextlib.suppress(OSError, ValueError):
                    pids.append(int((run_dir / f"{d}.pid").read_text().strip()))
        _stop(pids)
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], timeout=10, capture_output=True)
        for run_dir in self.dirs:
            shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture
def sandbox() -> Iterator[FrrSandbox]:
    box = FrrSandbox()
    try:
        yield box
    finally:
        box.close()


def _written_back(run_dir: Path, hostname: str) -> str:
    """``show running-config`` from the line after ``frr version`` (the file omits the version banner)."""
    show = subprocess.run(
        ["unshare", "--uts", "sh", "-c", 'hostname "$1" && exec vtysh --vty_socket "$2" -c "show running-config"',
         "sh", hostname, str(run_dir)], capture_output=True, text=True, timeout=30, check=True).stdout
    return show[show.index("frr defaults"):]


@needs_daemons
@pytest.mark.parametrize("platform", ["frr", "sonic"])
def test_frr_writes_every_rendered_file_back_unchanged(platform: str, sandbox: FrrSandbox, tmp_path: Path) -> None:
    design = lab_design(platform)
    files = _frr_files(platform)
    for i, dev in enumerate(design.devices()):
        name = f"{dev.name}.frr.conf"
        path = tmp_path / name
        path.write_text(files[name])
        run_dir = sandbox.start(f"{platform[0]}{i}", dev.name, [p.name for p in dev.ports] + ["eth0"],
                                record(platform).zebra_modules)
        load = subprocess.run([VTYSH, "--vty_socket", str(run_dir), "-f", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert load.returncode == 0, f"{name}: vtysh -f failed:\n{load.stdout}{load.stderr}"
        assert _written_back(run_dir, dev.name) == files[name], f"{name}: FRR normalises it differently"


@needs_daemons
def test_non_default_bgp_timers_and_no_bfd_write_back_unchanged(sandbox: FrrSandbox, tmp_path: Path) -> None:
    """A fabric's timers differ from FRR's datacenter defaults: rendered where FRR writes them."""
    from aifab.design import build_design
    from aifab.intent import load_intent
    from aifab.render import render_device

    intent = load_intent(Path(__file__).parents[1] / "intent" / "lab.yaml").intent
    fe = intent.frontend.model_copy(update={"bgp": intent.frontend.bgp.model_copy(update={"keepalive_s": 5, "hold_s": 15, "bfd": False})})
    design = build_design(intent.model_copy(update={"frontend": fe}))
    dev = next(d for d in design.frontend.devices if d.role == "leaf")
    text = render_device(design, dev)[f"{dev.name}.frr.conf"]
    assert " timers bgp 5 15\n" in text and " bfd" not in text
    path = tmp_path / "leaf.frr.conf"
    path.write_text(text)
    run_dir = sandbox.start("timers", dev.name, [p.name for p in dev.ports] + ["eth0"])
    subprocess.run([VTYSH, "--vty_socket", str(run_dir), "-f", str(path)], check=True, capture_output=True, timeout=60)
    assert _written_back(run_dir, dev.name) == text
    backend_leaf = next(d for d in design.backend.devices if d.role == "leaf")
    assert "timers bgp" not in render_device(design, backend_leaf)[f"{backend_leaf.name}.frr.conf"], "defaults stay implicit"


def _vtysh_json(run_dir: Path, command: str) -> dict:
    out = subprocess.run([VTYSH, "--vty_socket", str(run_dir), "-c", command], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return json.loads(out or "{}")


def _wait(what: str, probe, timeout_s: float = 45.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


@needs_daemons
def test_rendered_configs_peer_advertise_only_loopback_and_server_block_and_drain_with_gshut(
        sandbox: FrrSandbox, tmp_path: Path) -> None:
    """Two rendered routers (a leaf and a spine) on one real cable: the session comes up, the spine
    learns exactly the leaf's loopback and server block, and the drain snippet (``bgp
    graceful-shutdown``) makes FRR 8.4 on the spine set local-preference 0 with no inbound policy
    (FRR honours GSHUT from eBGP peers natively); the undrain snippet restores it."""
    design = lab_design("frr")
    leaf = next(d for d in design.backend.devices if d.name == "be-leaf-su1-r1")
    up = next(p for p in leaf.ports if p.role == "uplink")
    spine = next(d for d in design.backend.devices if d.name == up.peer)
    files = _frr_files("frr")
    runs = {}
    for i, dev in enumerate((leaf, spine)):
        path = tmp_path / f"{dev.name}.frr.conf"
        path.write_text(files[path.name])
        cabled = up.name if dev is leaf else up.peer_port
        runs[dev.name] = sandbox.start(f"g{i}", dev.name, [p.name for p in dev.ports if p.name != cabled] + ["eth0"])
        load = subprocess.run([VTYSH, "--vty_socket", str(runs[dev.name]), "-f", str(path)],
                              capture_output=True, text=True, timeout=60)
        assert load.returncode == 0, load.stdout + load.stderr
    sandbox.connect(runs[leaf.name], up.name, runs[spine.name], up.peer_port)
    s = runs[spine.name]
    leaf_ip = up.address.split("/")[0]

    def learned() -> dict:
        routes = _vtysh_json(s, f"show bgp ipv4 unicast neighbors {leaf_ip} routes json").get("routes", {})
        return routes if set(routes) == {f"{leaf.loopback}/32", *leaf.server_subnets} else {}

    _wait("the spine to learn the leaf's loopback and server block", learned)

    def local_pref(prefix: str) -> int | None:
        paths = _vtysh_json(s, f"show bgp ipv4 unicast {prefix} json").get("paths", [])
        return next((p.get("locPrf", 100) for p in paths if p.get("peer", {}).get("peerId") == leaf_ip), None)

    prefix = f"{leaf.loopback}/32"
    assert local_pref(prefix) == 100
    for snippet, expected in ((drain_snippet(design, leaf), 0), (undrain_snippet(design, leaf), 100)):
        path = tmp_path / "snippet.conf"
        path.write_text(snippet)
        subprocess.run([VTYSH, "--vty_socket", str(runs[leaf.name]), "-f", str(path)], check=True,
                       capture_output=True, timeout=30)
        _wait(f"local-preference {expected} on the spine", lambda e=expected: local_pref(prefix) == e)


@needs_vtysh
def test_frr_ecmp_wider_than_frr_allows_is_left_at_frr_maximum(tmp_path: Path) -> None:
    """FRR 8.4 (Debian) accepts maximum-paths 1-256 and writes nothing at 256: wider designs omit the line."""
    import dataclasses

    from aifab.render import render_device

    design = lab_design("frr")
    leaf = next(d for d in design.devices() if d.role == "leaf")
    for paths, line in ((255, "  maximum-paths 255\n"), (256, None), (600, None)):
        text = render_device(design, dataclasses.replace(leaf, max_paths=paths))[f"{leaf.name}.frr.conf"]
        assert (line in text) if line else ("maximum-paths" not in text)
        path = tmp_path / "wide.frr.conf"
        path.write_text(text)
        assert subprocess.run([VTYSH, "-C", "-f", str(path)], capture_output=True, timeout=30).returncode == 0
