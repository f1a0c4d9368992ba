"""The deploy refuses a commit that would cut its own way in: the address it connects at (read from
the device's diff), or the API its NAPALM driver talks (eAPI on EOS, read from the full config that
replaces the switch's). EOS's ``show session-config diffs`` is a unified diff of the running config
and the session's, made here in the same format from two renders of an EOS switch (no EOS switch
runs here)."""

from __future__ import annotations

import pytest

from aifab.design import build_design
from aifab.difftext import unified_diff
from aifab.plan.way_in import ADDRESS_MOVES, API_OFF, cuts_own_session
from aifab.platforms import platform
from aifab.render.configs import render_device
from tests.helpers import make_intent

EOS = {"ports": 4, "platform": "eos"}


def _config(**management: object) -> tuple[str, str]:
    """be-leaf-su1-r1's EOS config and management address with ``management`` in the intent."""
    intent = make_intent(backend={"switches": {"leaf": EOS, "spine": EOS}},
                         management={"network": "172.16.0.0/16", **management})
    design = build_design(intent)
    leaf = next(d for d in design.devices() if d.name == "be-leaf-su1-r1")
    return render_device(design, leaf)[f"{leaf.name}.cfg"], leaf.management.partition("/")[0]


def _cut(before: str, after: str, reached: str, name: str = "eos") -> tuple[str, str]:
    """What committing ``after`` over ``before`` cuts and why; ("", "") where nothing."""
    return cuts_own_session(unified_diff("be-leaf-su1-r1.cfg", before, after), after, reached, platform(name)) or ("", "")


def _why(before: str, after: str, reached: str, name: str = "eos") -> str:
    return _cut(before, after, reached, name)[1]


def test_a_build_that_turns_eapi_off_is_refused() -> None:
    """management.api: false takes EOS's `management api http-commands` block away (EOS's default is
    `shutdown`): NAPALM's eos driver would lose eAPI mid-commit and no later deploy would reach the switch."""
    before, address = _config()
    after, _ = _config(api=False)
    what, why = _cut(before, after, address)
    assert what == API_OFF
    assert why.startswith("the build turns off management api http-commands (no management api http-commands)"), why
    assert "NAPALM's eos driver" in why and "management.api: true" in why


@pytest.mark.parametrize(("edit", "said"), [
    (("   no shutdown\n   !\n   vrf MGMT", "   shutdown\n   !\n   vrf MGMT"), "management api http-commands shut"),
    (("   vrf MGMT\n      no shutdown", "   vrf MGMT\n      shutdown"), "not on in vrf MGMT"),
    (("   !\n   vrf MGMT\n      no shutdown\n", ""), "not on in vrf MGMT"),
], ids=["shut-whole", "shut-in-mgmt-vrf", "mgmt-vrf-gone"])
def test_eapi_shut_in_the_management_vrf_or_as_a_whole_is_refused(edit: tuple[str, str], said: str) -> None:
    """A hand-kept change to the block (the diff's hunk need not show the block's header)."""
    before, address = _config()
    assert edit[0] in before
    assert said in _why(before, before.replace(edit[0], edit[1], 1), address)


def test_changes_that_keep_eapi_and_the_address_are_not_refused() -> None:
    """A QoS change, eAPI shut in another VRF, gNMI added, and the eAPI change on a platform whose
    driver talks SSH: the deploy goes on."""
    before, address = _config()
    ecn = before.replace("maximum-threshold", "maximum-threshold 1", 1)
    other = before.replace("   vrf MGMT\n      no shutdown", "   vrf MGMT\n      no shutdown\n   !\n   vrf OTHER\n      shutdown", 1)
    gnmi, _ = _config(gnmi=True)
    for after in (ecn, other, gnmi):
        assert after != before
        assert _why(before, after, address) == ""
    off, _ = _config(api=False)
    assert _why(before, off, address, "frr") == ""


def test_a_build_that_moves_the_address_says_that_first() -> None:
    before, address = _config()
    after, moved = _config(network="172.17.0.0/16", api=False)
    assert moved != address
    what, why = _cut(before, after, address)
    assert what == ADDRESS_MOVES and why.startswith(f"the build takes away {address}, the address this deploy reaches it at"), why
    what, why = _cut(before, after, "")  # reached by name: the API is still cut
    assert what == API_OFF and why.startswith("the build turns off management api http-commands"), why
