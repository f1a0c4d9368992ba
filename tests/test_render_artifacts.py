"""Build artifacts: the containerlab topology (against containerlab's own schema), the Nornir inventory
(loaded by real Nornir), drain snippets, and the build directory that ``aifab build`` writes."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from nornir import InitNornir
from ruamel.yaml import YAML

from aifab.artifacts.clab import clab_topology, write_clab
from aifab.artifacts.inventory import HandKept, write_inventory
from aifab.artifacts.plans import write_csv
from aifab.render import drain_snippet, undrain_snippet
from tests.test_render_helpers import LAB, ROOT, lab_design

# containerlab's own schema (third-party data, not committed): AIFAB_CLAB_SCHEMA, else shared/ beside the
# checkout; the schema tests skip, naming the path, where it is absent.
SCHEMA = Path(os.environ.get("AIFAB_CLAB_SCHEMA", ROOT.parent / "shared" / "reference" / "containerlab" / "clab.schema.json"))
regex = pytest.importorskip("regex", reason="containerlab's schema uses \\p{L} classes that need the regex module")


def clab_validator(schema: dict) -> jsonschema.protocols.Validator:
    """containerlab's schema (draft-07) with its patterns matched by ``regex``: they use Unicode
    property classes (``\\p{L}``, ``\\p{N}``) that Python's ``re`` does not know."""
    base = jsonschema.validators.validator_for(schema)

    def pattern(validator, patrn, instance, schema):  # type: ignore[no-untyped-def]
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    return jsonschema.validators.extend(base, {"pattern": pattern})(schema)


@pytest.mark.skipif(not SCHEMA.is_file(), reason=f"containerlab schema not found at {SCHEMA} (set AIFAB_CLAB_SCHEMA)")
def test_clab_topology_validates_against_containerlab_schema(tmp_path: Path) -> None:
    path = write_clab(lab_design("eos"), tmp_path, image="ceos:4.33.1F")
    assert path == tmp_path / "clab" / "lab.clab.yml"
    topo = YAML(typ="safe").load(path.read_text())
    schema = json.loads(SCHEMA.read_text())
    clab_validator(schema).validate(topo)
    assert topo["topology"]["kinds"]["arista_ceos"]["image"] == "ceos:4.33.1F"
    bad = {**topo, "topology": {**topo["topology"], "nodes": {"x": {"kind": "not-a-kind"}}}}
    with pytest.raises(jsonschema.ValidationError):  # the validation is real
        clab_validator(schema).validate(bad)
    with pytest.raises(jsonschema.ValidationError):  # and so are its patterns
        clab_validator(schema).validate({**topo, "mgmt": {**topo["mgmt"], "ipv4-gw": "300.1.1.1"}})


def test_clab_links_are_the_cabling_with_ceos_names() -> None:
    design = lab_design("eos")
    topo = clab_topology(design)
    assert topo is not None
    nodes = topo["topology"]["nodes"]
    assert set(nodes) == {d.name for d in design.devices()}
    for dev in design.devices():
        node = nodes[dev.name]
        assert node["startup-config"] == f"../configs/{dev.name}.cfg"
        assert node["mgmt-ipv4"] == dev.management.split("/")[0]
    links = {tuple(link["endpoints"]) for link in topo["topology"]["links"]}
    cables = {(f"{d.name}:eth{p.name.removeprefix('Ethernet')}", f"{p.peer}:eth{p.peer_port.removeprefix('Ethernet')}")
              for d in design.devices() for p in d.ports if p.role == "uplink"}
    assert links == cables and len(links) == sum(1 for d in design.devices() for p in d.ports if p.role == "uplink")


def test_no_clab_topology_without_eos_devices(tmp_path: Path) -> None:
    assert clab_topology(lab_design("frr")) is None and write_clab(lab_design("frr"), tmp_path) is None


@pytest.mark.parametrize("platform", ["frr", "eos", "sonic"])
def test_nornir_loads_the_built_inventory(platform: str, tmp_path: Path) -> None:
    design = lab_design(platform)
    write_inventory(design, tmp_path, HandKept.read(ROOT / "inventory"))
    inv = tmp_path / "inventory"
    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": {
        "host_file": str(inv / "hosts.yaml"), "group_file": str(inv / "groups.yaml"),
        "defaults_file": str(inv / "defaults.yaml")}}, logging={"enabled": False})
    assert set(nr.inventory.hosts) == {d.name for d in design.devices()}
    for dev in design.devices():
        host = nr.inventory.hosts[dev.name]
        assert host.hostname == dev.management.split("/")[0]
        assert host.platform == platform  # each record's own NAPALM driver
        assert [g.name for g in host.groups] == [platform, dev.fabric, dev.role]
        assert (host["asn"], host["role"], host["rail"], host["os"]) == (dev.asn, dev.role, dev.rail, platform)
        opts = host.get_connection_parameters("napalm")
        assert opts.platform == host.platform and opts.extras["timeout"] == 60
        # the platform group's own options reach the driver (not hidden by defaults or other groups)
        expected = {"eos": {"transport": "https"}, "frr": {"port": 22}, "sonic": {"port": 22, "sudo": True}}[platform]
        assert opts.extras["optional_args"] == expected
        assert host.password is None, "no credentials in the inventory"
    hand_kept = (ROOT / "inventory" / "groups.yaml").read_text() + (ROOT / "inventory" / "defaults.yaml").read_text()
    assert "password" not in hand_kept.replace("never credentials", "")


def test_drain_snippets_per_platform() -> None:
    frr = lab_design("frr")
    leaf = next(d for d in frr.devices() if d.role == "leaf")
    assert drain_snippet(frr, leaf) == f"router bgp {leaf.asn}\n bgp graceful-shutdown\nexit\n"
    assert undrain_snippet(frr, leaf) == f"router bgp {leaf.asn}\n no bgp graceful-shutdown\nexit\n"
    eos = lab_design("eos")
    assert drain_snippet(eos, eos.devices()[0]) == "maintenance\n   unit System\n      quiesce\n"
    assert undrain_snippet(eos, eos.devices()[0]).endswith("      no quiesce\n")


def test_build_writes_the_layout_and_is_reproducible(tmp_path: Path) -> None:
    """``aifab build`` (the real CLI) writes configs, inventory and plans; two builds are byte-identical."""
    outs = [tmp_path / "a", tmp_path / "b"]
    (outs[0] / "configs").mkdir(parents=True)
    (outs[0] / "configs" / "gone-switch.cfg").write_text("stale\n")
    for out in outs:
        run = subprocess.run([sys.executable, "-m", "aifab", "build", str(LAB), "-o", str(out)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
    files = sorted(p.relative_to(outs[0]).as_posix() for p in outs[0].rglob("*") if p.is_file())
    devices = [d.name for d in lab_design("frr").devices()]
    assert {f for f in files if f.startswith("configs/")} == {
        f"configs/{n}.{s}" for n in devices for s in ("frr.conf", "links.sh", "qos.sh")}
    assert {"design.json", "cabling.csv", "ipplan.csv", "inventory/hosts.yaml", "inventory/groups.yaml",
            "inventory/defaults.yaml"} <= set(files)
    _same, mismatch, errors = filecmp.cmpfiles(outs[0], outs[1], files, shallow=False)
    assert not mismatch and not errors


def test_switching_platform_is_one_word_in_the_intent(tmp_path: Path) -> None:
    """``platform: frr`` -> ``platform: eos`` in the intent text, built with the real CLI: EOS configs and a
    containerlab topology (asked with --clab) with the chosen cEOS image; the frr files of the earlier build
    are gone, and so is the topology when a later build does not ask for it."""
    out = tmp_path / "build"
    intent = tmp_path / "lab-eos.yaml"
    intent.write_text(LAB.read_text().replace("platform: frr", "platform: eos"))
    for path, extra in ((LAB, []), (intent, ["--clab", "--ceos-image", "ceos:4.33.1F"])):
        run = subprocess.run([sys.executable, "-m", "aifab", "build", str(path), "-o", str(out), *extra],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
    devices = {d.name for d in lab_design("eos").devices()}
    assert {p.name for p in (out / "configs").iterdir()} == {f"{n}.cfg" for n in devices}
    topo = YAML(typ="safe").load((out / "clab" / "lab.clab.yml").read_text())
    assert topo["topology"]["kinds"]["arista_ceos"]["image"] == "ceos:4.33.1F"
    for extra, code in ((["--ceos-image", "ceos:4.33.1F"], 2), ([], 0)):  # the image alone is a mistake
        run = subprocess.run([sys.executable, "-m", "aifab", "build", str(intent), "-o", str(out), *extra],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert run.returncode == code and "Traceback" not in run.stderr, run.stdout + run.stderr
        assert ("add --clab" in run.stderr) == (code == 2)
    assert not (out / "clab" / "lab.clab.yml").exists() and (out / "configs").is_dir()


@pytest.mark.parametrize("rows", [
    [("a", "b", "1"), ("x", "", "2.5")],  # plain: joined directly
    [("a", "b,c", "1")], [("a", 'say "hi"', "1")], [("a", "two\nlines", "1")], [("a", "cr\r", "1")],  # quoted
    [("a", None, 3)], [("",)], [("only",)],  # not strings, one field
])
def test_write_csv_writes_what_the_csv_module_writes(tmp_path: Path, rows: list[tuple]) -> None:
    import csv

    header = ("h1", "h2", "h3")[:len(rows[0])] if len(rows[0]) > 1 else ("h",)
    write_csv(tmp_path / "fast.csv", header, iter(rows))
    with (tmp_path / "ref.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
