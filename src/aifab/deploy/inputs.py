"""What a deploy pushes and with which inventory: each device's candidate built from its platform
record and the rendered files read back from a build, the drain snippets, and the inventory
(given, the running lab's when asked, or the build's).

The candidate is the one :meth:`aifab.platforms.Platform.candidate` builds, which is also what
``aifab review`` diffs (``Platform.pushed_files``). When the inventory connects a device with
another platform's driver (the FRR lab runs every switch with the frr driver), the candidate holds
the files that driver can carry, and ``Rendered.notes`` says per device which files were not
applied and why; never silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aifab.deploy.inventory_files import InventoryError
from aifab.deploy.journal import build_digest
from aifab.deploy.secrets import SecretValues, inject_payload
from aifab.design.model import Design, Device
from aifab.errors import AifabError
from aifab.platforms import Platform, names, platform
from aifab.render import drain_snippet, undrain_snippet

# What the SONiC files carry that the FRR lab cannot (docs/sonic.md, docs/lab.md).
_NOT_IN_LAB = {"config_db.json": "ports (MTU, speed), QoS maps, PFC, ECN (WRED), buffers and the PFC watchdog"}


@dataclass(frozen=True)
class Rendered:
    """What to push: full configs (secrets filled in), and drain/undrain snippets, per device;
    ``secrets`` masks whatever a device echoes back before it is printed or audited."""

    configs: dict[str, str] = field(repr=False)
    drain: dict[str, str]
    undrain: dict[str, str]
    secrets: SecretValues = field(default_factory=SecretValues)
    drained: dict[str, str] = field(default_factory=dict, repr=False)  # the candidate with the drain snippet in it
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per device: files not applied and why

    def digest(self, device: str) -> str:
        """:func:`~aifab.deploy.journal.build_digest` of ``device``'s config, its secrets masked first."""
        return build_digest(self.secrets.mask(self.configs[device]))


class UndeployableError(AifabError):
    """A device's platform has no deploy driver, or a file it pushes is missing from the build."""

    exit_code = 2


def pick_inventory(out: Path, given: Path | None, lab: Path | None = None) -> Path:
    """The inventory chosen explicitly: ``given`` (``--inventory``), else ``lab`` (``--lab``: the
    running lab's of the intent's cluster; InventoryError when that lab is not up), else the
    build's own ``out/inventory``. Never a lab's unless asked for."""
    if given is not None:
        return given
    if lab is not None:
        if not (lab / "hosts.yaml").is_file():
            raise InventoryError(f"{lab}: no running lab inventory (aifab lab up INTENT first)")
        return lab
    return out / "inventory"


def inventory_drivers(inventory: Path) -> dict[str, str]:
    """The NAPALM platform each host of a SimpleInventory connects with (host, then its groups in
    order, then defaults: ``connection_options.napalm.platform``, else ``platform``)."""
    def load(name: str) -> Any:
        path = inventory / f"{name}.yaml"
        return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}

    def driver(entry: Any) -> str | None:
        if not isinstance(entry, dict):
            return None
        napalm = ((entry.get("connection_options") or {}).get("napalm") or {})
        return napalm.get("platform") or entry.get("platform")

    hosts, groups, defaults = load("hosts"), load("groups"), load("defaults")
    out = {}
    for name, host in (hosts or {}).items():
        chain = [host, *((groups or {}).get(g) for g in (host or {}).get("groups", []) or []), defaults]
        found = next((d for d in map(driver, chain) if d), None)
        if found:
            out[name] = found
    return out


def _driver_record(napalm_driver: str, fallback: Platform) -> Platform:
    """The platform record whose driver is ``napalm_driver`` (the device's own when it matches)."""
    if fallback.napalm_driver == napalm_driver:
        return fallback
    return next((platform(n) for n in names() if platform(n).napalm_driver == napalm_driver
                 and platform(n).deploys), fallback)


def lab_addresses(config_db_json: str) -> str:
    """A SONiC device's interface addresses (CONFIG_DB ``INTERFACE`` and ``LOOPBACK_INTERFACE`` keys
    ``NAME|CIDR``) as ip commands, what SONiC's intfmgrd puts on the kernel: each loopback a device
    of its own (a bridge without ports, as the lab's boot makes it: the dummy module may be missing),
    then the addresses."""
    db = json.loads(config_db_json)
    loopbacks = dict.fromkeys(key.partition("|")[0] for key in db.get("LOOPBACK_INTERFACE", {}))
    lines = ["set -eu"]
    lines += [line for name in loopbacks for line in (f"ip link add {name} type bridge", f"ip link set dev {name} up")]
    for table in ("LOOPBACK_INTERFACE", "INTERFACE"):
        for key in sorted(db.get(table, {})):
            name, _, cidr = key.partition("|")
            if cidr:
                lines.append(f"ip addr replace {cidr} dev {name}")
    return "\n".join(lines) + "\n"


def device_candidate(dev: Device, files: Mapping[str, str], napalm_driver: str | None = None
                     ) -> tuple[str, tuple[str, ...]]:
    """The candidate for ``dev`` and, when its driver cannot carry every pushed file, one note per
    file not applied. ``files``: rendered suffix -> text."""
    record = platform(dev.platform)
    driver = _driver_record(napalm_driver or record.napalm_driver or "", record)
    if driver is record:
        return record.candidate(files), ()
    carried = {s: t for s, t in files.items() if s in driver.pushed_files}
    notes = tuple(f"{s} not applied: the inventory connects it with the {driver.napalm_driver} driver, "
                  f"which has no {record.name} to take it"
                  + (f" ({_NOT_IN_LAB[s]} not on the switch)" if s in _NOT_IN_LAB else "")
                  for s in record.pushed_files if s not in carried)
    bundle = {key: carried.get(s, "") for s, key in driver.bundle.items()}
    if record.name == "sonic" and driver.name == "frr" and "config_db.json" in files:
        bundle["addresses.sh"] = lab_addresses(files["config_db.json"])
        notes = (*notes, "config_db.json: only its interface addresses applied (ip addr, as SONiC's intfmgrd would)")
    if not driver.bundle:
        return carried.get(driver.pushed, ""), notes
    return json.dumps(bundle, sort_keys=True), notes


def _with_drain(candidate: str, snippet: str) -> str:
    """The candidate with the drain snippet added to its FRR or EOS text (in a bundle: its frr part)."""
    if candidate.lstrip().startswith("{"):
        data = json.loads(candidate)
        key = "frr.conf" if "frr.conf" in data else "frr"
        data[key] = data.get(key, "") + snippet
        return json.dumps(data, sort_keys=True)
    return candidate + snippet


def rendered_from(design: Design, out: Path, drivers: Mapping[str, str] | None = None) -> Rendered:
    """What ships is what was checked: each device's candidate from its pushed files, read back from
    ``out/configs``. ``drivers``: device -> NAPALM platform the inventory connects it with.

    Secret placeholders are filled in (``aifab.deploy.secrets``). Raises UndeployableError (exit 2)
    naming every device whose platform does not deploy or whose pushed file is missing, or
    SecretsError naming a missing secret, before anything is touched."""
    drivers = drivers or {}
    bad, files = [], {}
    for dev in design.devices():
        record = platform(dev.platform)
        if not record.deploys or not record.napalm_driver:
            bad.append(f"{dev.name}: platform {record.name} has no deploy driver")
            continue
        got = {}
        for suffix in record.pushed_files:
            path = out / "configs" / f"{dev.name}.{suffix}"
            try:
                got[suffix] = path.read_text()
            except OSError as exc:
                bad.append(f"{dev.name}: cannot read {path} ({exc.strerror or exc})")
        files[dev.name] = got
    if bad:
        raise UndeployableError("cannot deploy, nothing touched:\n  " + "\n  ".join(bad))
    files, secrets = inject_payload(files)
    configs, notes = {}, {}
    for dev in design.devices():
        configs[dev.name], note = device_candidate(dev, files[dev.name], drivers.get(dev.name))
        if note:
            notes[dev.name] = note
    drain = {d.name: drain_snippet(design, d) for d in design.devices()}
    return Rendered(
        configs=configs,
        drain=drain,
        undrain={d.name: undrain_snippet(design, d) for d in design.devices()},
        secrets=secrets,
        drained={n: _with_drain(configs[n], drain[n]) for n in configs},
        notes=notes,
    )
