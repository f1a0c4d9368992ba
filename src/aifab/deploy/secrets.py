"""Secrets, never in the repository, an artifact or a log: the deploy's own login (``Credentials``) and
the values the rendered configs leave as placeholders (``{{secret:NAME}}``, ``aifab.placeholders``):
password hashes, SSH keys, AAA keys, SNMP secrets. Both come from the environment or the YAML file
named by ``AIFAB_SECRETS`` (mode 0600, outside any git work tree).

``inject_payload`` fills every placeholder of what is about to be pushed (``inject`` does one text)
and returns the ``SecretValues`` used; ``SecretValues.mask`` turns any text that may echo a value
(a diff, a device's error) back into placeholders before it is printed or audited."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError

from aifab.errors import AifabError
from aifab.placeholders import PATTERN, placeholder, secret_names


class SecretsError(AifabError):
    """The secrets file is missing, malformed, too open, or inside a repository; or a config needs a
    secret nobody gave, or a value that cannot be placed (exit 2, before anything is touched)."""


MIN_LENGTH = 8  # shorter values are not secrets worth the name, and masking them would mangle diffs
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"'\\]")  # placed in EOS lines, JSON strings and shell quotes
_FORMS = {  # what a secret of this kind must look like (a clear-text password is refused)
    "password": (re.compile(r"\$6\$(rounds=\d+\$)?[^$\s]{1,16}\$[./0-9A-Za-z]{86}"), "a SHA-512 crypt hash ($6$salt$..., e.g. from "
                 "`mkpasswd -m sha-512`), not a clear-text password"),
    "ssh_key": (re.compile(r"(ssh-(rsa|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-\S+) [A-Za-z0-9+/=]+( [^\n]*)?"),
                "an SSH public key line (ssh-ed25519 AAAA... comment)"),
}


@dataclass(frozen=True)
class Credentials:
    """Username and password for the devices; ``repr`` never shows the password."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)


def _inside_repo(path: Path) -> bool:
    try:
        res = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--is-inside-work-tree"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0 and res.stdout.strip() == "true"


def _secrets_file(env: Mapping[str, str]) -> tuple[Path | None, dict[str, Any]]:
    """The file named by ``AIFAB_SECRETS`` and its mapping ({} without one)."""
    name = env.get("AIFAB_SECRETS")
    if not name:
        return None, {}
    path = Path(name).expanduser().resolve()
    if not path.is_file():
        raise SecretsError(f"{path}: AIFAB_SECRETS names no readable file")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsError(f"{path}: secrets file is readable by others; chmod 600 it")
    if _inside_repo(path):
        raise SecretsError(f"{path}: secrets file is inside a git work tree; keep it outside the repository")
    try:
        data = YAML(typ="safe").load(path.read_text())
    except YAMLError:
        raise SecretsError(f"{path}: malformed YAML") from None
    if not isinstance(data, dict) or not set(data) <= {"username", "password", "secrets"}:
        raise SecretsError(f"{path}: expected a mapping with keys username, password and secrets")
    return path, data


def load_credentials(environ: dict[str, str] | None = None) -> Credentials:
    """``AIFAB_USERNAME``/``AIFAB_PASSWORD``, else the YAML file named by ``AIFAB_SECRETS``
    (keys ``username``, ``password``; mode 0600; outside any git work tree)."""
    env = os.environ if environ is None else environ
    if env.get("AIFAB_USERNAME") or env.get("AIFAB_PASSWORD"):
        return Credentials(env.get("AIFAB_USERNAME"), env.get("AIFAB_PASSWORD"))
    _, data = _secrets_file(env)
    return Credentials(data.get("username"), data.get("password"))


def env_name(secret: str) -> str:
    """The environment variable that gives ``secret``: ``users.admin.ssh_key`` -> ``AIFAB_SECRET_USERS_ADMIN_SSH_KEY``."""
    return "AIFAB_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", secret).upper()


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{users: {admin: {password: X}}}`` (or ``{"users.admin.password": X}``) -> ``{"users.admin.password": X}``."""
    if not isinstance(data, dict):
        return {prefix.rstrip("."): data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out |= _flatten(value, f"{prefix}{key}.")
    return out


@dataclass(frozen=True)
class SecretValues:
    """The secret values of one deploy, by name; ``repr`` never shows them."""

    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by its placeholder (longest first)."""
        for name, value in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
            if value in text:
                text = text.replace(value, placeholder(name))
        return text


def _problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the secret ``name`` (never quoting the value), or None."""
    if not isinstance(value, str):
        return "is not a string"
    if len(value) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    if _UNSAFE.search(value):
        return "holds a quote, a backslash or a control character (it is placed in EOS, JSON and shell text)"
    kind = name.rsplit(".", 1)[-1]
    if kind in _FORMS and not _FORMS[kind][0].fullmatch(value):
        return f"must be {_FORMS[kind][1]}"
    return None


def load_secrets(needed: Mapping[str, Iterable[str]], environ: Mapping[str, str] | None = None) -> SecretValues:
    """The value of every secret in ``needed`` (secret name -> the devices whose configs need it), from
    ``AIFAB_SECRET_<NAME>`` or the ``secrets:`` mapping of the ``AIFAB_SECRETS`` file. A secret nobody
    gave, or a value that cannot be placed, is one SecretsError naming a device and the secret."""
    env = os.environ if environ is None else environ
    path, data = _secrets_file(env) if needed else (None, {})
    raw = data.get("secrets") or {}
    if not isinstance(raw, dict):
        raise SecretsError(f"{path}: secrets: expected a mapping of names to values")
    given = _flatten(raw)
    values: dict[str, str] = {}
    for name, users in needed.items():
        devices = sorted(users)
        where = devices[0] + (f" (and {len(devices) - 1} more devices)" if len(devices) > 1 else "")
        value = env.get(env_name(name), given.get(name))
        if value is None:
            source = f"the secrets: mapping of {path}" if path else "an AIFAB_SECRETS file's secrets: mapping"
            raise SecretsError(f"{where}: needs the secret {name}: give it in {source} or as ${env_name(name)}")
        if (why := _problem(name, value)) is not None:
            raise SecretsError(f"{where}: the secret {name} {why}")
        values[name] = value
    return SecretValues(values)


def inject(text: str, secrets: SecretValues) -> str:
    """``text`` with each ``{{secret:NAME}}`` replaced by its value (every NAME must be in ``secrets``)."""
    return PATTERN.sub(lambda m: secrets.values[m.group(1)], text)


def inject_payload(payload: Mapping[str, Mapping[str, str]], environ: Mapping[str, str] | None = None
                   ) -> tuple[dict[str, dict[str, str]], SecretValues]:
    """What is pushed (device -> {file: text}) with every placeholder filled, and the values used (to
    mask whatever a device echoes back). Raises SecretsError before anything is touched."""
    needed: dict[str, set[str]] = {}
    for device, files in payload.items():
        for text in files.values():
            for name in secret_names(text):
                needed.setdefault(name, set()).add(device)
    secrets = load_secrets(needed, environ)
    return {dev: {f: inject(text, secrets) for f, text in files.items()} for dev, files in payload.items()}, secrets
