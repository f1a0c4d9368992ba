"""Large objects kept until the process exits, for commands that leave with ``os._exit``.

Freeing a 32k-GPU Design and the facts parsed from its configs object by object takes 0.3 s (several
seconds at 131k GPUs) and gains nothing when the process ends right after. The CLI turns this on
for those commands (``aifab.cli.QUICK_EXIT``); a library caller never keeps anything.
"""

from __future__ import annotations

_kept: list[object] = []
_on = False


def keep_until_exit() -> None:
    """From now on, :func:`retain` keeps what it is given (the process will end with ``os._exit``)."""
    global _on
    _on = True


def exiting() -> bool:
    """True when the process will end with ``os._exit`` once the command is done."""
    return _on


def retain(*objects: object) -> None:
    """Keep ``objects`` alive until the process exits, when :func:`keep_until_exit` was called; else nothing."""
    if _on:
        _kept.extend(objects)
