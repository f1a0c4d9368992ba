"""aifab: an AI cluster's network as code."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed package's metadata at first use: importing
    ``importlib.metadata`` costs ~20 ms, which a command that never asks for it does not pay."""
    if name != "__version__":
        raise AttributeError(f"module 'aifab' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("aifab")
    except PackageNotFoundError:  # running from a source tree without installation
        value = "0.0.0+source"
    globals()["__version__"] = value
    return value
