"""aifab: an AI cluster's network as code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aifab")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"
