"""yaml_text writes what libyaml's emitter writes, whether it takes its own fast path or not."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aifab.artifacts.yamlfile import read_yaml, yaml_text

TRICKY = ["yes", "No", "on", "OFF", "null", "Null", "~", "true", "1", "1.0", "1e3", "0x1F", "0o17", "1_000", ".inf",
          "12:30", "2026-01-02", "a: b", "a #b", "-a", "- a", "", " lead", "trail ", "é", "x" * 130, "10.0.0.1/31",
          "Ethernet1/1", "be-leaf-su1-r1", "a.b_c-d", "*ref", "!tag", "@x", "%x", "'q'", '"q"', "[x]", "{x}", "a,b"]


def emitted(data: Any) -> str:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, default_flow_style=False)


scalars = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12), st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False))
leaves = st.one_of(scalars, st.lists(scalars, max_size=3), st.just({}), st.just([]))
documents = st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=8)),
                            st.recursive(leaves, lambda inner: st.dictionaries(st.sampled_from(TRICKY), inner, max_size=3),
                                         max_leaves=8), min_size=1, max_size=5)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_same_text_as_the_emitter(data: dict[str, Any]) -> None:
    assert yaml_text(data) == emitted(data)


def test_a_mapping_or_list_met_twice_is_written_as_the_emitter_writes_it() -> None:
    """The emitter writes an object met twice as an anchor and an alias (hypothesis found it)."""
    for shared in ({}, [], {"a": 1}, [1, 2]):
        data = {"1e3": shared, "A": {"b": shared}}
        assert yaml_text(data) == emitted(data) and "*id001" in emitted(data)


def test_tricky_scalars_as_values_keys_and_items(tmp_path: Any) -> None:
    for text in TRICKY:
        data = {text: {"value": text, "items": [text, 1, None, True], "empty": {}, "none": []}, "host": "10.0.0.1"}
        assert yaml_text(data) == emitted(data), text
        (tmp_path / "x.yaml").write_text(yaml_text(data))
        assert read_yaml(tmp_path / "x.yaml") == data
