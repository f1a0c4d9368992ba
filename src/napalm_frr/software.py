"""The frr software-upgrade step, device side: install the version, stop every FRR daemon, wait,
start them again with the saved config, and read back the version the switch runs.

Installing is ``optional_args["install"]``: a shell command with ``{version}`` (``apt-get install -y
--allow-downgrades frr={version}``), or ``record`` where no package can change (the FRR lab): the
version is written to ``VERSION_FILE`` alone. The driver keeps that file either way, and reports its
content as the running version (``get_facts()["os_version"]``) once the daemons are back: the claim is
what the switch says after the restart, never what was asked.

The restart runs on the switch as one python3 program (frr-reload.py needs python3 there anyway):
every daemon with a pid file in ``/run/frr`` (but watchfrr) is stopped with SIGTERM, as ``systemctl
stop frr`` does (bgpd tells its peers, zebra withdraws its routes): bgpd first (its Cease reaches the
peers before BFD can go down, so they behave the same on every run), then the other routing
daemons together, zebra last; after ``down_s`` each is started again with its own command line,
zebra first, and ``vtysh -b`` loads the saved ``/etc/frr/frr.conf`` (which holds the drain, when the deploy drained it).
"""

from __future__ import annotations

VERSION_FILE = "/etc/frr/aifab-version"

RESTART = r'''
import glob, json, os, signal, subprocess, sys, time
down, timeout = float(sys.argv[1]), float(sys.argv[2])
procs = {}
for path in glob.glob("/run/frr/*.pid"):
    name = os.path.basename(path)[:-4]
    if name == "watchfrr":
        continue
    try:
        pid = int(open(path).read().strip())
        argv = open(f"/proc/{pid}/cmdline", "rb").read().rstrip(b"\0").split(b"\0")
    except (OSError, ValueError):
        continue
    procs[name] = (pid, [a.decode() for a in argv])
if "zebra" not in procs:
    sys.exit("zebra is not running: nothing to restart")
begin = time.monotonic()
each = {}
rest = [n for n in procs if n not in ("bgpd", "zebra")]
for group in [g for g in (["bgpd"], rest, ["zebra"]) if set(g) <= set(procs) and g]:  # bgpd, the others, zebra
    t = time.monotonic()
    for name in group:
        os.kill(procs[name][0], signal.SIGTERM)
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{procs[n][0]}") for n in group):
        if time.monotonic() > deadline:
            for name in group:
                if os.path.exists(f"/proc/{procs[name][0]}"):
                    os.kill(procs[name][0], signal.SIGKILL)
            deadline += 5
        time.sleep(0.02)
    each.update({name: round(time.monotonic() - t, 3) for name in group})
stopped = time.monotonic()
time.sleep(down)
for name in sorted(procs, key=lambda n: n != "zebra"):
    subprocess.run(procs[name][1], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
subprocess.run(["vtysh", "-b"], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
want = set(procs)
deadline = time.monotonic() + timeout
while True:
    shown = subprocess.run(["vtysh", "-c", "show daemons"], capture_output=True, text=True)
    if want <= set(shown.stdout.split()):
        break
    if time.monotonic() > deadline:
        sys.exit("daemons not back after the restart: " + ", ".join(sorted(want - set(shown.stdout.split()))))
    time.sleep(0.1)
print(json.dumps({"daemons": sorted(procs), "stop_s": round(stopped - begin, 3), "stop_each_s": each,
                  "start_s": round(time.monotonic() - stopped - down, 3)}))
'''
