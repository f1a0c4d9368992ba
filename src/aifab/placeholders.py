"""Secret placeholders: how a rendered file marks a value that only the deploy knows.

A rendered file holds ``{{secret:NAME}}`` (not Jinja: templates place it as a value) where a secret
goes; ``aifab.deploy.secrets.inject`` replaces it at push time. Render and deploy both read this
module, so it belongs to neither stage.
"""

from __future__ import annotations

import re

NAME = r"[a-z0-9_.-]+"
PATTERN = re.compile(r"\{\{secret:(" + NAME + r")\}\}")


def placeholder(name: str) -> str:
    """The token a rendered file carries for the secret ``name``."""
    return "{{secret:" + name + "}}"


def secret_names(text: str) -> list[str]:
    """The secrets ``text`` needs, each once, in order of first use."""
    return list(dict.fromkeys(PATTERN.findall(text)))
