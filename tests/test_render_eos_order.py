"""EOS section order as AVD's eos_cli_config_gen renders it (docs/sources.md#avd-order), so a diff
against AVD output shows only real differences."""

from __future__ import annotations

import re

from tests.test_render_helpers import lab_design, lab_files


def test_qos_map_dscp_lines_are_in_dscp_order() -> None:
    files = lab_files("eos")
    for dev in lab_design("eos").devices():
        lines = re.findall(r"^qos map dscp ([\d ]+) to traffic-class \d$", files[f"{dev.name}.cfg"], re.M)
        firsts = [int(line.split()[0]) for line in lines]
        assert len(firsts) > 2 and firsts == sorted(firsts), dev.name
        every = [int(v) for line in lines for v in line.split()]
        assert sorted(every) == list(range(64)), f"{dev.name}: each DSCP mapped once"


def test_timers_bgp_is_third_in_router_bgp() -> None:
    files = lab_files("eos")
    for dev in lab_design("eos").devices():
        text = files[f"{dev.name}.cfg"]
        body = text.split("\nrouter bgp ", 1)[1].split("\n")[1:4]
        assert [line.split()[0] for line in body] == ["router-id", "no", "timers"], dev.name
        assert body[1] == "   no bgp default ipv4-unicast" and body[2].startswith("   timers bgp ")
