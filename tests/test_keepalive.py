"""keepalive: a library caller's objects are freed as usual; the CLI's quick-exit commands keep them."""

from __future__ import annotations

import subprocess
import sys
import weakref

from aifab import keepalive


class Big:
    pass


def test_retain_keeps_nothing_unless_the_process_will_exit_at_once() -> None:
    obj = Big()
    ref = weakref.ref(obj)
    keepalive.retain(obj)
    del obj
    assert ref() is None


def test_retain_keeps_until_exit_once_turned_on() -> None:
    code = ("import weakref, aifab.keepalive as k\nclass B: pass\nk.keep_until_exit()\nb = B()\nr = weakref.ref(b)\n"
            "k.retain(b)\ndel b\nprint(r() is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"
