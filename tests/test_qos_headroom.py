"""PFC headroom arithmetic against the worked values of docs/sources.md#headroom and #sonic-cell-model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aifab.intent.schema import SPEEDS_GBPS
from aifab.qos.headroom import PAUSE_QUANTA, CellAsic, cell_occupancy, headroom_cell, headroom_ieee

# docs/sources.md#headroom, worked values
IEEE_9216 = {
    (400, 5): 78_936, (400, 100): 126_436, (400, 300): 226_436,
    (800, 5): 81_436, (800, 100): 176_436, (800, 300): 376_436,
}
IEEE_400G_4096 = {5: 68_696, 100: 116_196, 300: 216_196}
# docs/sources.md#sonic-cell-model, Spectrum-2/3 parameters, 400G / MTU 9216 on a 4-lane port
CELL_400G = {5: (159_744, 178_176), 100: (265_216, 283_648), 300: (487_424, 505_856)}


@pytest.mark.parametrize(("speed", "length"), sorted(IEEE_9216))
def test_ieee_worked_values_mtu_9216(speed: int, length: int) -> None:
    assert headroom_ieee(speed, length, 9216) == pytest.approx(IEEE_9216[speed, length], rel=0.01)


@pytest.mark.parametrize("length", sorted(IEEE_400G_4096))
def test_ieee_worked_values_400g_mtu_4096(length: int) -> None:
    assert headroom_ieee(400, length, 4096) == pytest.approx(IEEE_400G_4096[length], rel=0.01)


@pytest.mark.parametrize("length", sorted(CELL_400G))
def test_cell_worked_values_400g_4_lanes(length: int) -> None:
    xoff, size = CELL_400G[length]
    h = headroom_cell(400, length, 9216, lanes=4)
    assert h.xoff == pytest.approx(xoff, rel=0.01)
    assert h.size == pytest.approx(size, rel=0.01)
    assert h.xon == 18 * 1024  # pipeline latency of Spectrum-2/3


def test_pause_quanta_cover_every_intent_speed() -> None:
    """Every speed the intent accepts has a peer response time; the facts' four are as published."""
    assert set(PAUSE_QUANTA) == set(SPEEDS_GBPS)
    assert {s: PAUSE_QUANTA[s] for s in (100, 200, 400, 800)} == {100: 394, 200: 453, 400: 905, 800: 905}


def test_ieee_unknown_speed_is_an_error() -> None:
    with pytest.raises(ValueError, match="300G"):
        headroom_ieee(300, 5, 9216)


def test_ieee_fractional_cable_rounds_up_once() -> None:
    # 2 * 2.5 m * 5 ns/m * 100 Gb/s / 8 = 312.5 bytes on the wire -> one extra byte, not two
    assert headroom_ieee(100, 2.5, 1500) == 2 * 1500 + 313 + 394 * 64 + 84


def test_cell_8_lane_port_doubles_pipeline_and_adds_an_mtu() -> None:
    four, eight = headroom_cell(400, 5, 9216, lanes=4), headroom_cell(400, 5, 9216, lanes=8)
    assert eight.xoff == four.xoff
    assert eight.xon == 2 * 18 * 1024 - 1024
    assert eight.size == eight.xoff + eight.xon + 9216


def test_cell_shared_headroom_pool_reserves_only_xon() -> None:
    h = headroom_cell(400, 100, 9216, shared_headroom_pool=True)
    assert h.size == h.xon == 18 * 1024


def test_cell_occupancy_both_branches() -> None:
    assert cell_occupancy(144, 100) == pytest.approx(144 / 64)  # big cells: cell_size / 64
    assert cell_occupancy(96, 100) == pytest.approx(2 * 96 / 97)  # small cells: 2c / (1 + c)
    assert cell_occupancy(144, 0) == 1  # no small packets: a byte is a byte


def test_cell_fewer_small_packets_need_less_headroom() -> None:
    assert headroom_cell(400, 30, 9216, small_packet_pct=50).xoff < headroom_cell(400, 30, 9216).xoff


def test_cell_gearbox_delay_adds_headroom() -> None:
    assert headroom_cell(400, 5, 9216, asic=CellAsic(gearbox_delay_ns=400)).xoff > headroom_cell(400, 5, 9216).xoff


@given(st.sampled_from(SPEEDS_GBPS), st.floats(0.5, 2000), st.floats(0.5, 2000), st.integers(1500, 9216))
def test_headroom_grows_with_cable_length(speed: int, a: float, b: float, mtu: int) -> None:
    short, long_ = sorted((a, b))
    assert headroom_ieee(speed, short, mtu) <= headroom_ieee(speed, long_, mtu)
    cs, cl = headroom_cell(speed, short, mtu), headroom_cell(speed, long_, mtu)
    assert cs.xoff <= cl.xoff and cs.size <= cl.size
    assert cl.xoff % 1024 == 0 and cl.size % 1024 == 0 and cl.xon % 1024 == 0
