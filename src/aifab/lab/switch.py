"""One lab switch: FRR (zebra, bgpd, bfdd, staticd) and sshd in the switch's namespaces.

The switch runs in its network namespace plus its own UTS namespace (hostname = device name)
and mount namespace, where the switch's own directories are bind-mounted on ``/etc/frr``,
``/etc/ssh``, ``/var/log`` and ``/root`` (the host's dotfiles stay out) and a private tmpfs
covers ``/run``. So ``vtysh``,
``frr-reload.py`` and ``/etc/frr/frr.conf`` work over SSH with their default paths, exactly
as on a real box.

Per switch, ``<state>/nodes/<name>/`` holds ``frr/`` (frr.conf, vtysh.conf), ``ssh/``
(sshd_config, host key, authorized_keys), ``log/`` (sshd.log, frr/frr-reload.log), ``root/``,
``boot.sh`` and ``boot.log``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from aifab.lab.system import DAEMONS, FRR_DIR, netns_pids, process_name, run
from aifab.lab.topology import LabError, Switch

FRR_USER = "frr"
# sshd is the last process boot.sh starts; its presence means the switch booted.
PROCESSES = (*DAEMONS, "sshd")


def minimal_config(name: str) -> str:
    """The config a switch boots with when no rendered config is given (docs/sources.md#frr-datacenter)."""
    return (f"frr defaults datacenter\nhostname {name}\nno zebra nexthop kernel enable\n"
            "service integrated-vtysh-config\n!\n")


def node_dir(state_dir: Path, name: str) -> Path:
    """The switch's directory in the lab state."""
    return state_dir / "nodes" / name


def prepare(switch: Switch, state_dir: Path, config: str, authorized_key: str, zebra_modules: tuple[str, ...] = ()) -> Path:
    """Write the switch's files (FRR config, sshd config and keys, boot script); returns the boot script.

    ``zebra_modules``: modules zebra loads (``-M``), those the platform's frr.conf needs."""
    home = node_dir(state_dir, switch.name)
    frr, ssh, log, root = home / "frr", home / "ssh", home / "log", home / "root"
    for d in (frr, ssh, log, root):
        d.mkdir(parents=True, exist_ok=True, mode=0o700 if d is root else 0o755)
    shutil.chown(frr, FRR_USER, FRR_USER)
    for path, text in ((frr / "frr.conf", config), (frr / "vtysh.conf", "service integrated-vtysh-config\n")):
        path.write_text(text)
        shutil.chown(path, FRR_USER, FRR_USER)
        path.chmod(0o640)
    key = ssh / "ssh_host_ed25519_key"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{switch.name}-host", "-f", str(key)], switch.name)
    (ssh / "authorized_keys").write_text(authorized_key)
    (ssh / "authorized_keys").chmod(0o600)
    (ssh / "sshd_config").write_text("\n".join([  # paths as the switch sees them
        f"ListenAddress {switch.address}",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "AuthorizedKeysFile /etc/ssh/authorized_keys",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PrintMotd no",
        "Subsystem sftp internal-sftp",
        "",
    ]))
    q = shlex.quote
    modules = "".join(f" -M {q(m)}" for m in zebra_modules)
    daemons = "\n".join(f"{FRR_DIR / d} -d -F datacenter -P 0 -f /dev/null -u frr -g frr{modules if d == 'zebra' else ''}"
                        for d in DAEMONS)
    boot = home / "boot.sh"
    boot.write_text(f"""#!/bin/sh
# Runs inside: ip netns exec {switch.netns} unshare --uts --mount --propagation private
set -e
hostname {q(switch.name)}
mount --bind {q(str(frr))} /etc/frr
mount --bind {q(str(ssh))} /etc/ssh
mount --bind {q(str(log))} /var/log
mount --bind {q(str(root))} /root
mount -t tmpfs -o mode=0755 aifab-run /run
mkdir -p /run/frr /run/sshd
chown frr:frr /run/frr
sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.fib_multipath_hash_policy=1
{daemons}
vtysh -b
/usr/sbin/sshd -E /var/log/sshd.log
""")
    return boot


def start(switch: Switch, boot: Path) -> subprocess.Popen:
    """Start the boot script in the switch's namespaces (returns at once; ``wait`` on the result)."""
    log = boot.parent / "boot.log"
    with log.open("w") as out:
        return subprocess.Popen(
            ["ip", "netns", "exec", switch.netns, "unshare", "--uts", "--mount", "--propagation", "private",
             "/bin/sh", str(boot)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def check_boot(switch: Switch, proc: subprocess.Popen, boot: Path, timeout: float = 60.0) -> None:
    """Wait for the boot script; raise ``LabError`` with its log if it failed."""
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -1
    if rc != 0:
        tail = (boot.parent / "boot.log").read_text(errors="replace").strip().splitlines()[-3:]
        raise LabError(f"{switch.name}: boot failed (exit {rc}): {' | '.join(tail)}")


def running(switch: Switch) -> dict[str, int]:
    """The switch's lab processes that are alive: name -> pid."""
    found = {}
    for pid in netns_pids(switch.netns):
        name = process_name(pid)
        if name in PROCESSES and name not in found:
            found[name] = pid
    return found


def vtysh(switch: Switch, command: str, timeout: float = 15.0) -> str:
    """Run a vtysh command on the switch from the host (through its namespaces, not SSH)."""
    zebra = running(switch).get("zebra")
    if zebra is None:
        raise LabError(f"{switch.name}: zebra is not running")
    try:
        res = subprocess.run(["nsenter", "-t", str(zebra), "-n", "-m", "-u", "vtysh", "-c", command],
                             capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise LabError(f"{switch.name}: vtysh -c {command!r} timed out") from None
    if res.returncode != 0:
        raise LabError(f"{switch.name}: vtysh -c {command!r} exited {res.returncode}: {res.stdout.strip()}")
    return res.stdout
