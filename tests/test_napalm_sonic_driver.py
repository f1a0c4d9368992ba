"""The sonic NAPALM driver against a recorded-output double of its SSH session.

No SONiC switch runs here: ``RecordedSession`` answers each command from tests/data/sonic/
(outputs written from SONiC's and FRR's documented formats, see the README there) and fails on
any command without a recording, so these tests pin the exact commands the driver sends. What
they do not cover: that a real switch accepts the patch, the reload and the timer.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from napalm import get_network_driver
from napalm.base.exceptions import CommitError, MergeConfigException, ReplaceConfigException

from napalm_frr.ssh import Output
from napalm_sonic import SONiCDriver
from napalm_sonic.configdb import QOS_TABLES

DATA = Path(__file__).parent / "data" / "sonic"
GOLDEN = Path(__file__).parent / "golden" / "sonic" / "configs"
WRITE = "sh -c 'umask 077 && mkdir -p \"$(dirname \"$1\")\" && cat > \"$1\"' sh "
BGP = "docker exec -i bgp "
RELOAD = BGP + "/usr/lib/frr/frr-reload.py"
WORK, FRR = "/etc/sonic/aifab", "/etc/frr/aifab"
PENDING = f"sh -c 'test -s \"$1\" && kill -0 \"$(cat \"$1\")\" 2>/dev/null' sh {WORK}/pending"
CANCEL = f"sh -c 'kill -- -\"$(cat \"$1\")\" 2>/dev/null; rm -f \"$1\"' sh {WORK}/pending"
SHOW_ALL = "show runningconfiguration all"
WAIT_FRR = "timeout 300 sh -c 'until docker exec -i bgp vtysh -c '\"'\"'show version'\"'\"' >/dev/null 2>&1; do sleep 2; done'"


def ok(stdout: str = "") -> Output:
    return Output(0, stdout, "")


def data(name: str) -> str:
    return (DATA / name).read_text()


class RecordedSession:
    """Stands in for napalm_frr.ssh.Session: answers recorded commands, fails on any other.

    ``recordings`` maps a command (shlex-joined argv) to one Output, answered every time, or a
    list of Outputs, answered in turn (one call more than recorded fails). The driver's file
    writes (its ``sh -c 'umask 077 ...'``) and ``cat`` of a written file act on ``files``.
    """

    alive = True

    def __init__(self, recordings: dict[str, Output | list[Output]]) -> None:
        self.recordings = {k: list(v) if isinstance(v, list) else v for k, v in recordings.items()}
        self.calls: list[str] = []
        self.files: dict[str, str] = {}

    def run(self, argv: list[str], stdin: str | None = None) -> Output:
        cmd = shlex.join(argv)
        self.calls.append(cmd)
        for prefix in (WRITE, BGP + WRITE):
            if cmd.startswith(prefix) and stdin is not None:
                self.files[cmd[len(prefix):]] = stdin
                return ok()
        if cmd.startswith("cat ") and cmd[4:] in self.files:
            return ok(self.files[cmd[4:]])
        if cmd not in self.recordings:
            raise AssertionError(f"the driver sent a command with no recording: {cmd}")
        answer = self.recordings[cmd]
        if isinstance(answer, list):
            if not answer:
                raise AssertionError(f"the driver sent {cmd} once more than recorded")
            return answer.pop(0)
        return answer

    def sent(self, prefix: str) -> list[str]:
        """The commands sent that start with ``prefix``, file writes left out."""
        return [c for c in self.calls if c.startswith(prefix)]

    def close(self) -> None:
        self.alive = False


def candidate(frr: bool = True, db: bool = True, mode: str = "split-unified") -> str:
    """What the deploy hands over: the golden be-leaf-su1-r1 config_db.json (in FRR config ``mode``) and
    frr.conf in one JSON object."""
    out: dict[str, Any] = {}
    if db:
        out["config_db"] = json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())
        out["config_db"]["DEVICE_METADATA"]["localhost"]["docker_routing_config_mode"] = mode
    if frr:
        out["frr"] = (GOLDEN / "be-leaf-su1-r1.frr.conf").read_text()
    return json.dumps(out)


def driver(session: RecordedSession) -> SONiCDriver:
    dev = SONiCDriver("be-leaf-su1-r1", "admin", "pw-not-shown")
    dev._session = session  # type: ignore[assignment]
    return dev


def base(running: str = "show_runningconfiguration_all.json") -> dict[str, Output | list[Output]]:
    """The recordings of a healthy switch that runs ``running``."""
    return {
        SHOW_ALL: ok(data(running)),
        f"{BGP}vtysh -C -f {FRR}/candidate.conf": ok(),
        f"{RELOAD} --test {FRR}/candidate.conf": ok(data("frr_reload_test.txt")),
        f"config apply-patch --dry-run {WORK}/candidate.patch.json": ok("** DRY RUN EXECUTION **\nPatch applied successfully.\n"),
        PENDING: Output(1, "", ""),
        f"{BGP}vtysh -c 'show running-config no-header'": ok("frr defaults datacenter\nhostname be-leaf-su1-r1\n"),
    }


EXPECTED_PATCH = [
    {"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9216"},
    {"op": "remove", "path": "/INTERFACE/Ethernet8|10.9.9.0~131"},
    {"op": "add", "path": "/PFC_WD", "value": json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())["PFC_WD"]},
    # the recorded switch runs without the management VRF that aifab's config_db.json enables
    {"op": "add", "path": "/MGMT_VRF_CONFIG", "value": {"vrf_global": {"mgmtVrfEnabled": "true"}}},
    {"op": "replace", "path": "/WRED_PROFILE/AIFAB_LOSSLESS/green_min_threshold", "value": "1048576"},
    # the recorded switch predates the port profile lists and per-speed FEC aifab now renders (docs/catalog.md)
    *({"op": "add", "path": f"/{table}", "value": json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())[table]}
      for table in ("BUFFER_PORT_INGRESS_PROFILE_LIST", "BUFFER_PORT_EGRESS_PROFILE_LIST")),
    *({"op": "add", "path": f"/PORT/{port}/fec", "value": "rs"} for port in ("Ethernet0", "Ethernet8", "Ethernet16", "Ethernet24")),
    # and the ECMP hash (backend.load_balancing)
    {"op": "add", "path": "/SWITCH_HASH", "value": json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())["SWITCH_HASH"]},
]


def test_napalm_platform_sonic_is_this_driver() -> None:
    assert get_network_driver("sonic") is SONiCDriver
    assert "pw-not-shown" not in repr(SONiCDriver("h", "admin", "pw-not-shown"))


def test_recorded_sonic_load_and_compare_limit_the_patch_to_managed_tables() -> None:
    s = RecordedSession(base())
    dev = driver(s)
    dev.load_replace_candidate(config=candidate())
    patch = json.loads(s.files[f"{WORK}/candidate.patch.json"])
    assert sorted(patch, key=lambda op: op["path"]) == sorted(EXPECTED_PATCH, key=lambda op: op["path"])
    touched = {op["path"].split("/")[1] for op in patch}
    assert not touched & {"FEATURE", "FLEX_COUNTER_TABLE", "SSH_SERVER", "MGMT_INTERFACE"}
    assert not any(op["op"] == "remove" and op["path"].startswith(("/DEVICE_METADATA", "/PORT")) for op in patch)
    assert s.sent("config apply-patch --dry-run") == [f"config apply-patch --dry-run {WORK}/candidate.patch.json"]
    assert s.files[f"{FRR}/candidate.conf"].startswith("frr defaults datacenter\n")

    diff = dev.compare_config()
    assert diff.startswith("CONFIG_DB (config apply-patch)\n[\n")
    # each value taken away shown as the switch runs it (not in the patch it applies)
    assert '{"op": "replace", "path": "/PORT/Ethernet0/mtu", "value": "9216", "was": "9100"}' in diff
    assert '{"op": "remove", "path": "/INTERFACE/Ethernet8|10.9.9.0~131", "was": {}}' in diff
    assert "was" not in s.files[f"{WORK}/candidate.patch.json"]
    from aifab.plan.waves import changed_lines

    assert {'"mtu": "9100"', '"mtu": "9216"'} <= set(changed_lines(diff)), "the old value, read as a removed line"
    assert "Lines To Add\n============\nrouter bgp 4200000001\n neighbor 10.0.1.2 description be-spine2" in diff
    assert not s.sent("config apply-patch " + WORK)  # nothing applied by load or compare


def test_recorded_sonic_commit_applies_patch_then_frr_then_saves() -> None:
    s = RecordedSession(base() | {
        f"config apply-patch {WORK}/candidate.patch.json": ok("Patch applied successfully.\n"),
        f"{RELOAD} --reload {FRR}/candidate.conf": ok(),
        "config save -y": ok(),
    })
    dev = driver(s)
    dev.load_replace_candidate(config=candidate())
    s.calls.clear()
    dev.commit_config()
    assert dev.commit_method == "apply-patch"
    steps = [c for c in s.calls if not c.startswith((WRITE, BGP + WRITE))]
    assert steps == [PENDING, SHOW_ALL, f"{BGP}vtysh -c 'show running-config no-header'",
                     f"config apply-patch {WORK}/candidate.patch.json", f"{RELOAD} --reload {FRR}/candidate.conf",
                     "config save -y"]
    snapshot = json.loads(s.files[f"{WORK}/rollback.config_db.json"])
    assert "bgpraw" not in snapshot and snapshot["FEATURE"]["bgp"]["state"] == "enabled"
    assert s.files[f"{FRR}/rollback.conf"].startswith("frr defaults datacenter")
    assert dev.compare_config() == ""  # candidate consumed
    with pytest.raises(CommitError, match="no candidate"):
        dev.commit_config()


def test_recorded_sonic_first_install_uses_config_reload_with_the_unmanaged_tables_kept() -> None:
    s = RecordedSession(base("show_runningconfiguration_all.factory.json") | {
        f"config reload -y {WORK}/target.config_db.json": ok("Running command: /usr/local/bin/sonic-cfggen ...\n"),
        WAIT_FRR: ok(),
        f"{RELOAD} --reload {FRR}/candidate.conf": ok(),
        "config save -y": ok(),
    })
    dev = driver(s)
    dev.load_replace_candidate(config=candidate())
    assert not s.sent("config apply-patch")  # no dry run: the Generic Config Updater is not used for a first install
    assert dev.compare_config().startswith("CONFIG_DB (config reload (first install))")
    dev.commit_config()
    assert dev.commit_method == "reload"
    assert s.calls[-4:] == [f"config reload -y {WORK}/target.config_db.json", WAIT_FRR,
                            f"{RELOAD} --reload {FRR}/candidate.conf", "config save -y"]
    target = json.loads(s.files[f"{WORK}/target.config_db.json"])
    golden = json.loads((GOLDEN / "be-leaf-su1-r1.config_db.json").read_text())
    assert target["FEATURE"]["lldp"]["state"] == "enabled" and "SSH_SERVER" in target
    assert target["DEVICE_METADATA"]["localhost"]["mac"] == "0c:42:a1:00:00:01"
    assert target["DEVICE_METADATA"]["localhost"]["docker_routing_config_mode"] == "split-unified"
    assert target["BUFFER_PG"] == golden["BUFFER_PG"] and target["WRED_PROFILE"] == golden["WRED_PROFILE"]
    assert not s.sent("config apply-patch")


def test_recorded_sonic_refused_patch_restores_the_snapshot_and_raises_the_device_error() -> None:
    s = RecordedSession(base() | {
        f"config apply-patch {WORK}/candidate.patch.json": Output(2, "", data("config_apply_patch_refused.txt")),
        f"config replace {WORK}/rollback.config_db.json": ok("Config replaced successfully.\n"),
        f"{RELOAD} --reload {FRR}/rollback.conf": ok(),
        "config save -y": ok(),
    })
    dev = driver(s)
    dev.load_replace_candidate(config=candidate())
    with pytest.raises(ReplaceConfigException) as err:
        dev.commit_config()
    assert "Must condition" in str(err.value) and "previous config restored" in str(err.value)
    assert s.calls[-3:] == [f"config replace {WORK}/rollback.config_db.json", f"{RELOAD} --reload {FRR}/rollback.conf",
                            "config save -y"]
    assert not s.sent(f"{RELOAD} --reload {FRR}/candidate.conf")


def test_recorded_sonic_dry_run_refusal_fails_the_load() -> None:
    s = RecordedSession(base() | {f"config apply-patch --dry-run {WORK}/candidate.patch.json":
                                  Output(2, "** DRY RUN EXECUTION **\n", data("config_apply_patch_refused.txt"))})
    dev = driver(s)
    with pytest.raises(ReplaceConfigException, match=r"dry-run refused the patch: .*Must condition"):
        dev.load_replace_candidate(config=candidate())
    assert dev.compare_config() == ""


def test_recorded_sonic_frr_part_in_a_mode_where_sonic_owns_frr_conf_is_refused() -> None:
    s = RecordedSession({})
    for mode in ("split", "unified"):
        with pytest.raises(ReplaceConfigException, match=f"docker_routing_config_mode '{mode}', but its FRR part needs 'split-unified'"):
            driver(s).load_replace_candidate(config=candidate(mode=mode))
    assert s.calls == []  # refused before touching the device


def test_recorded_sonic_frr_candidate_without_fpm_lines_is_refused() -> None:
    s = RecordedSession(base() | {f"{RELOAD} --test {FRR}/candidate.conf": ok(data("frr_reload_test_fpm.txt"))})
    with pytest.raises(ReplaceConfigException, match=re.escape("no fpm address 127.0.0.1 | fpm use-next-hop-groups")):
        driver(s).load_replace_candidate(config=candidate())


def rollback_session(after: list[str], **extra: Output) -> RecordedSession:
    """A switch whose last commit saved the recorded running config as its snapshot; ``after`` are
    the CONFIG_DB recordings ``show runningconfiguration all`` answers in turn."""
    s = RecordedSession(base() | {
        SHOW_ALL: [ok(data(name)) for name in after],
        CANCEL: ok(),
        f"config replace {WORK}/rollback.config_db.json": ok("Config replaced successfully.\n"),
        f"{RELOAD} --reload {FRR}/rollback.conf": ok(),
        "config save -y": ok(),
        f"{RELOAD} --test {FRR}/rollback.conf": ok("\nLines To Delete\n===============\n\nLines To Add\n============\n"),
    } | extra)
    snapshot = json.loads(data("show_runningconfiguration_all.json"))
    snapshot.pop("bgpraw")
    s.files[f"{WORK}/rollback.config_db.json"] = json.dumps(snapshot)
    return s


def test_recorded_sonic_rollback_restores_and_verifies() -> None:
    s = rollback_session(["show_runningconfiguration_all.after.json", "show_runningconfiguration_all.json"])
    driver(s).rollback()
    assert s.calls[1:] == [CANCEL, SHOW_ALL, f"config replace {WORK}/rollback.config_db.json",
                           f"{RELOAD} --reload {FRR}/rollback.conf", "config save -y", SHOW_ALL,
                           f"{RELOAD} --test {FRR}/rollback.conf"]


def test_recorded_sonic_rollback_of_an_frr_only_change_leaves_config_db_alone() -> None:
    s = rollback_session(["show_runningconfiguration_all.json", "show_runningconfiguration_all.json"])
    driver(s).rollback()
    assert not s.sent("config ")
    assert s.sent(RELOAD) == [f"{RELOAD} --reload {FRR}/rollback.conf", f"{RELOAD} --test {FRR}/rollback.conf"]


def test_recorded_sonic_rollback_that_does_not_match_raises() -> None:
    s = rollback_session(["show_runningconfiguration_all.after.json", "show_runningconfiguration_all.after.json"])
    with pytest.raises(ReplaceConfigException, match=r"rollback failed: CONFIG_DB differs from the snapshot: .*"
                                                     r"replace /PORT/Ethernet0/mtu"):
        driver(s).rollback()


def test_recorded_sonic_rollback_whose_frr_does_not_match_raises() -> None:
    s = rollback_session(["show_runningconfiguration_all.json", "show_runningconfiguration_all.json"],
                         **{f"{RELOAD} --test {FRR}/rollback.conf": ok(data("frr_reload_test.txt"))})
    with pytest.raises(ReplaceConfigException, match="FRR differs from the snapshot:\nLines To Delete"):
        driver(s).rollback()


def timer_of(seconds: int, steps: str) -> str:
    """The command that arms a revert timer running ``steps`` after ``seconds``."""
    return shlex.join(["sh", "-c", 'setsid sh -c "$1" </dev/null >/dev/null 2>&1 & echo $! > "$2"', "sh",
                       f"sleep {seconds} && {steps}; rm -f {WORK}/pending", f"{WORK}/pending"])


def test_recorded_sonic_revert_timer_is_armed_and_confirmed() -> None:
    timer = timer_of(300, f"config replace {WORK}/rollback.config_db.json && {RELOAD} --reload {FRR}/rollback.conf && "
                          "config save -y")
    s = RecordedSession(base() | {
        f"config apply-patch {WORK}/candidate.patch.json": ok("Patch applied successfully.\n"),
        f"{RELOAD} --reload {FRR}/candidate.conf": ok(),
        "config save -y": ok(),
        timer: ok(),
        PENDING: [Output(1, "", ""), ok(), ok(), Output(1, "", "")],
        CANCEL: ok(),
    })
    dev = driver(s)
    dev.load_replace_candidate(config=candidate())
    dev.commit_config(revert_in=300)
    assert s.calls[-1] == timer
    assert dev.has_pending_commit()
    dev.confirm_commit()
    assert s.calls[-1] == CANCEL
    assert not dev.has_pending_commit()


DRAIN = "router bgp 4200000001\n bgp graceful-shutdown\n!\n"


def test_recorded_sonic_revert_timer_restores_the_deploys_snapshot_not_the_drained_config() -> None:
    """With ``set_revert_config`` (the deploy's snapshot from before its drain), the drain's timer puts
    back the snapshot's frr.conf, and the change's timer its CONFIG_DB and frr.conf: a switch left by a
    deploy that dies comes back undrained, not to the drained config its commit started from."""
    drain_timer = timer_of(40, f"{RELOAD} --reload {FRR}/revert.conf")
    change_timer = timer_of(300, f"config replace {WORK}/revert.config_db.json && {RELOAD} --reload {FRR}/revert.conf && "
                                 "config save -y")
    s = RecordedSession(base() | {
        f"{BGP}vtysh -f {FRR}/candidate.conf": ok(),
        f"{BGP}vtysh -c 'write memory'": ok(),
        f"config apply-patch {WORK}/candidate.patch.json": ok("Patch applied successfully.\n"),
        f"{RELOAD} --reload {FRR}/candidate.conf": ok(),
        "config save -y": ok(),
        drain_timer: ok(),
        change_timer: ok(),
        PENDING: [Output(1, "", ""), ok(), ok(), Output(1, "", ""), ok()],
        CANCEL: ok(),
    })
    dev = driver(s)
    snapshot = dev.get_config(retrieve="running")["running"]  # what the deploy snapshots on SONiC
    dev.set_revert_config(snapshot)
    dev.load_merge_candidate(config=DRAIN)
    dev.commit_config(revert_in=40)
    assert s.calls[-1] == drain_timer, "CONFIG_DB unchanged by the drain: only FRR is put back"
    assert s.files[f"{FRR}/revert.conf"] == json.loads(snapshot)["frr"]
    assert "graceful-shutdown" not in s.files[f"{FRR}/revert.conf"]
    assert "graceful-shutdown" in s.files[f"{FRR}/candidate.conf"]
    assert dev.has_pending_commit()
    dev.confirm_commit()  # the deploy's hand-over, just before the wave's commit
    dev.load_replace_candidate(config=candidate())
    dev.commit_config(revert_in=300)
    assert s.calls[-1] == change_timer
    assert json.loads(s.files[f"{WORK}/revert.config_db.json"]) == json.loads(snapshot)["config_db"]
    assert "graceful-shutdown" not in s.files[f"{FRR}/revert.conf"]


def test_recorded_sonic_revert_timer_after_a_first_install_reloads_the_snapshot() -> None:
    s = RecordedSession(base("show_runningconfiguration_all.factory.json") | {
        f"config reload -y {WORK}/target.config_db.json": ok(),
        WAIT_FRR: ok(),
        f"{RELOAD} --reload {FRR}/candidate.conf": ok(),
        "config save -y": ok(),
    })
    dev = driver(s)
    snapshot = dev.get_config(retrieve="running")["running"]
    dev.set_revert_config(snapshot)
    dev.load_replace_candidate(config=candidate())
    timer = timer_of(60, f"config reload -y {WORK}/revert.config_db.json && {WAIT_FRR} && "
                         f"{RELOAD} --reload {FRR}/revert.conf && config save -y")
    s.recordings[timer] = ok()
    dev.commit_config(revert_in=60)
    assert dev.commit_method == "reload" and s.calls[-1] == timer
    assert json.loads(s.files[f"{WORK}/revert.config_db.json"]) == json.loads(snapshot)["config_db"]


def test_recorded_sonic_revert_config_none_goes_back_to_the_commits_own_snapshot_and_bad_text_is_refused() -> None:
    s = RecordedSession(base() | {
        f"{BGP}vtysh -f {FRR}/candidate.conf": ok(),
        f"{BGP}vtysh -c 'write memory'": ok(),
        timer_of(40, f"{RELOAD} --reload {FRR}/rollback.conf"): ok(),
    })
    dev = driver(s)
    with pytest.raises(CommitError, match=r"be-leaf-su1-r1: the revert config: candidate is not valid JSON"):
        dev.set_revert_config("{not json")
    dev.set_revert_config(json.dumps({"frr": "hostname x\n"}))
    dev.set_revert_config(None)
    dev.load_merge_candidate(config=DRAIN)
    dev.commit_config(revert_in=40)
    assert s.calls[-1] == timer_of(40, f"{RELOAD} --reload {FRR}/rollback.conf")
    assert f"{FRR}/revert.conf" not in s.files


def test_recorded_sonic_merge_of_a_drain_snippet_runs_vtysh_and_keeps_config_db() -> None:
    s = RecordedSession(base() | {
        f"{BGP}vtysh -f {FRR}/candidate.conf": ok(),
        f"{BGP}vtysh -c 'write memory'": ok(),
    })
    dev = driver(s)
    dev.load_merge_candidate(config="router bgp 4200000001\n bgp graceful-shutdown\n!\n")
    assert dev.compare_config() == "FRR Lines To Merge\n==================\nrouter bgp 4200000001\n bgp graceful-shutdown\n"
    dev.commit_config()
    assert s.sent(SHOW_ALL) == [SHOW_ALL]  # only for the snapshot
    assert dev.commit_method == "none" and not s.sent("config apply-patch") and not s.sent("config reload")
    assert s.calls[-2:] == [f"{BGP}vtysh -f {FRR}/candidate.conf", f"{BGP}vtysh -c 'write memory'"]
    assert not s.sent("config save")  # CONFIG_DB unchanged: its saved file is not rewritten


def test_recorded_sonic_merge_of_a_config_db_fragment_never_removes() -> None:
    s = RecordedSession(base())
    dev = driver(s)
    dev.load_merge_candidate(config=json.dumps({"config_db": {"INTERFACE": {"Ethernet32": {}},
                                                              "PORT": {"Ethernet32": {"admin_status": "up"}}}}))
    patch = json.loads(s.files[f"{WORK}/candidate.patch.json"])
    assert patch == [{"op": "add", "path": "/INTERFACE/Ethernet32", "value": {}},
                     {"op": "replace", "path": "/PORT/Ethernet32/admin_status", "value": "up"}]
    with pytest.raises(MergeConfigException, match=re.escape("config_db entry PORT|Ethernet32 must be an object")):
        dev.load_merge_candidate(config='{"config_db": {"PORT": {"Ethernet32": "up"}}}')


def test_recorded_sonic_getters() -> None:
    s = RecordedSession(base() | {
        "show version": ok(data("show_version.txt")),
        "sh -c 'hostname; cat /proc/uptime'": ok("be-leaf-su1-r1\n263000.52 1024000.10\n"),
        "show interfaces status": ok(data("show_interfaces_status.txt")),
        "show interfaces description": ok(data("show_interfaces_description.txt")),
        "show pfc priority": ok(data("show_pfc_priority.txt")),
        f"{BGP}vtysh -c 'show interface json'": ok(data("vtysh_show_interface.json")),
        f"{BGP}vtysh -c 'show bgp vrf all summary json'": ok(data("vtysh_show_bgp_vrf_all_summary.json")),
        f"{BGP}vtysh -c 'show bgp vrf all neighbors json'": ok(data("vtysh_show_bgp_vrf_all_neighbors.json")),
        f"{BGP}vtysh -c 'show ip route 10.0.0.4 json'": ok(data("vtysh_show_ip_route.json")),
        "cat /etc/sonic/config_db.json": ok(data("show_runningconfiguration_all.factory.json")),
        f"{BGP}cat /etc/frr/frr.conf": ok("frr defaults datacenter\n"),
    })
    dev = driver(s)
    facts = dev.get_facts()
    assert (facts["hostname"], facts["model"], facts["os_version"], facts["serial_number"], facts["uptime"]) == (
        "be-leaf-su1-r1", "Mellanox-SN4700-O8C48", "SONiC.202405.0-1a2b3c4d", "MT2231X00042", 263000.52)
    assert facts["interface_list"] == ["Ethernet0", "Ethernet16", "Ethernet24", "Ethernet32", "Ethernet8"]

    ifs = dev.get_interfaces()
    assert ifs["Ethernet24"] | {} == {"is_up": False, "is_enabled": True, "description": "SPINE_be-spine2", "last_flapped": -1.0,
                                      "mtu": 9216, "speed": 400000.0, "mac_address": ""}
    assert ifs["Ethernet32"]["is_enabled"] is False and ifs["Ethernet32"]["mtu"] == 9100

    assert dev.get_interfaces_ip() == {"Ethernet16": {"ipv4": {"10.0.1.1": {"prefix_length": 31}}},
                                       "Loopback0": {"ipv4": {"10.0.0.3": {"prefix_length": 32}}}}
    bgp = dev.get_bgp_neighbors()["global"]
    assert bgp["router_id"] == "10.0.0.3"
    assert (bgp["peers"]["10.0.1.0"]["is_up"], bgp["peers"]["10.0.1.2"]["is_up"]) == (True, False)
    assert bgp["peers"]["10.0.1.0"]["address_family"]["ipv4"]["received_prefixes"] == 5
    routes = dev.get_route_to("10.0.0.4")["10.0.0.4/32"]
    assert sorted(r["outgoing_interface"] for r in routes if r["current_active"]) == ["Ethernet16", "Ethernet24"]

    qos = dev.get_qos()
    assert set(qos["config_db"]) == set(QOS_TABLES) - {"PFC_WD"}  # the recorded switch has no PFC watchdog yet
    assert qos["config_db"]["PORT_QOS_MAP"]["Ethernet0"]["pfc_enable"] == "3"
    assert qos["lossless_priorities"] == {"Ethernet0": [3], "Ethernet8": [3], "Ethernet16": [3], "Ethernet24": [3]}

    configs = dev.get_config()
    running, startup = json.loads(configs["running"]), json.loads(configs["startup"])
    assert set(running) == {"config_db", "frr"} and "bgpraw" not in running["config_db"]
    assert running["config_db"]["PORT"]["Ethernet0"]["mtu"] == "9100" and running["frr"].startswith("frr defaults")
    assert startup["config_db"]["DEVICE_METADATA"]["localhost"]["hostname"] == "sonic" and configs["candidate"] == ""
    assert dev.cli(["show version"])["show version"].startswith("\nSONiC Software Version")
