"""The sonic driver's offline parts: candidate format, target CONFIG_DB, JSON Patch, CLI tables."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from napalm_sonic import configdb, show
from tests.test_napalm_sonic_driver import DATA

RUNNING = {
    "DEVICE_METADATA": {"localhost": {"hostname": "old", "mac": "0c:42:a1:00:00:01", "buffer_model": "traditional"}},
    "PORT": {"Ethernet0": {"lanes": "0,1,2,3", "mtu": "9100"}, "Ethernet8": {"lanes": "8,9,10,11", "mtu": "9100"}},
    "WRED_PROFILE": {"OLD": {"ecn": "ecn_all"}},
    "FEATURE": {"bgp": {"state": "enabled"}},
}


def apply(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902 add/remove/replace on objects, enough to check ``configdb.diff`` (no arrays)."""
    doc = copy.deepcopy(doc)
    for op in ops:
        *parents, last = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
        node = doc
        for token in parents:
            node = node[token]
        if op["op"] == "remove":
            del node[last]
        else:
            assert (last in node) == (op["op"] == "replace"), op
            node[last] = op["value"]
    return doc


def test_candidate_shapes() -> None:
    both = configdb.parse(json.dumps({"config_db": {"PORT": {}}, "frr": "hostname x\n"}))
    assert (both.config_db, both.frr) == ({"PORT": {}}, "hostname x\n")
    assert configdb.parse('{"PORT": {"Ethernet0": {"mtu": "9216"}}}').config_db == {"PORT": {"Ethernet0": {"mtu": "9216"}}}
    assert configdb.parse("router bgp 1\n bgp graceful-shutdown\n") == configdb.Candidate(None, "router bgp 1\n bgp graceful-shutdown\n")
    assert configdb.parse('{"frr": "!"}').config_db is None


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ("{}", "non-empty object"),
    ('{"frr": 3}', '"frr" must be the frr.conf text'),
    ('{"config_db": []}', "object of CONFIG_DB tables"),
    ('{"PORT": []}', "table PORT must be an object"),
])
def test_bad_candidates_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        configdb.parse(text)


def test_target_merges_device_tables_and_owns_the_others() -> None:
    cand = {"DEVICE_METADATA": {"localhost": {"hostname": "leaf1"}}, "PORT": {"Ethernet0": {"mtu": "9216"}},
            "WRED_PROFILE": {"AIFAB": {"ecn": "ecn_all"}}}
    out = configdb.target(RUNNING, cand)
    assert out["DEVICE_METADATA"]["localhost"] == {"hostname": "leaf1", "mac": "0c:42:a1:00:00:01", "buffer_model": "traditional"}
    assert out["PORT"] == {"Ethernet0": {"lanes": "0,1,2,3", "mtu": "9216"}, "Ethernet8": {"lanes": "8,9,10,11", "mtu": "9100"}}
    assert out["WRED_PROFILE"] == {"AIFAB": {"ecn": "ecn_all"}}
    assert out["FEATURE"] == RUNNING["FEATURE"]
    assert RUNNING["PORT"]["Ethernet0"]["mtu"] == "9100"  # running left as it was
    assert "WRED_PROFILE" not in configdb.target(RUNNING, {"WRED_PROFILE": {}})  # no empty table
    assert configdb.target(RUNNING, {"WRED_PROFILE": {"AIFAB": {}}}, merge=True)["WRED_PROFILE"] == {"OLD": {"ecn": "ecn_all"}, "AIFAB": {}}


def test_diff_escapes_pointer_tokens() -> None:
    old = {"INTERFACE": {"Ethernet0|10.0.0.0/31": {}}}
    new = {"INTERFACE": {"Ethernet0|10.0.0.2/31": {}, "a~b": {"x": "1"}}}
    assert configdb.diff(old, new) == [
        {"op": "remove", "path": "/INTERFACE/Ethernet0|10.0.0.0~131"},
        {"op": "add", "path": "/INTERFACE/Ethernet0|10.0.0.2~131", "value": {}},
        {"op": "add", "path": "/INTERFACE/a~0b", "value": {"x": "1"}},
    ]
    assert apply(old, configdb.diff(old, new)) == new


names = st.text(alphabet="ab/~|", min_size=1, max_size=3)
configs = st.dictionaries(names, st.dictionaries(names, st.dictionaries(names, st.sampled_from(["1", "2"]), max_size=2),
                                                 max_size=3), max_size=3)


@given(configs, configs)
def test_diff_turns_old_into_new(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert apply(old, configdb.diff(old, new)) == new


def test_reload_needed_when_a_restart_only_field_changes() -> None:
    cand = {"DEVICE_METADATA": {"localhost": {"docker_routing_config_mode": "split-unified", "buffer_model": "traditional"}}}
    assert configdb.needs_reload(RUNNING, cand)
    running = copy.deepcopy(RUNNING)
    running["DEVICE_METADATA"]["localhost"]["docker_routing_config_mode"] = "split-unified"
    assert not configdb.needs_reload(running, cand)
    assert not configdb.needs_reload(RUNNING, {"PORT": {}})


def test_running_config_leaves_out_frr_text() -> None:
    assert configdb.running('{"PORT": {}, "bgpraw": "Building configuration..."}') == {"PORT": {}}
    with pytest.raises(ValueError):
        configdb.running("[]")


def test_recorded_sonic_cli_table_cells_may_hold_spaces() -> None:
    rows = show.table((DATA / "show_interfaces_status.txt").read_text())
    assert [r["Interface"] for r in rows] == ["Ethernet0", "Ethernet8", "Ethernet16", "Ethernet24", "Ethernet32"]
    assert rows[0]["Type"] == "QSFP-DD Double Density 8X Pluggable Transceiver" and rows[0]["Asym PFC"] == "off"
    assert rows[4]["Lanes"] == "32,33,34,35,36,37,38,39" and rows[4]["Type"] == "N/A"
    assert show.table("no table here\n") == []


def test_speed_and_key_values() -> None:
    assert (show.speed_mbps("400G"), show.speed_mbps("100M"), show.speed_mbps("2.5G"), show.speed_mbps("N/A")) == (
        400000.0, 100.0, 2500.0, 0.0)
    assert show.key_values("Platform: x86_64\nUptime: 09:12:44 up 3 days\n  indented: no\n") == {
        "Platform": "x86_64", "Uptime": "09:12:44 up 3 days"}
