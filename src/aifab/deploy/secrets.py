"""Device credentials: from the environment or a secrets file outside the repository, never logged."""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML, YAMLError

from aifab.errors import AifabError


class SecretsError(AifabError):
    """The secrets file is missing, malformed, too open, or inside a repository."""


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


def load_credentials(environ: dict[str, str] | None = None) -> Credentials:
    """``AIFAB_USERNAME``/``AIFAB_PASSWORD``, else the YAML file named by ``AIFAB_SECRETS``
    (keys ``username``, ``password``; mode 0600; outside any git work tree)."""
    env = os.environ if environ is None else environ
    if env.get("AIFAB_USERNAME") or env.get("AIFAB_PASSWORD"):
        return Credentials(env.get("AIFAB_USERNAME"), env.get("AIFAB_PASSWORD"))
    name = env.get("AIFAB_SECRETS")
    if not name:
        return Credentials()
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
    if not isinstance(data, dict) or not set(data) <= {"username", "password"}:
        raise SecretsError(f"{path}: expected a mapping with keys username and password")
    return Credentials(data.get("username"), data.get("password"))
