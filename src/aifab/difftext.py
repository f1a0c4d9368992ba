"""Unified diffs of rendered files, in linear time where a change keeps every line in place.

``aifab review`` diffs every changed switch's files (2,560 of them under one knob at 32k GPUs):
difflib's matching takes tens of milliseconds per 2,000-line config, where a knob that changes
values leaves both texts with as many lines, compared here line by line.
"""

from __future__ import annotations

import difflib
from itertools import compress
from operator import ne

CONTEXT = 3  # lines of context in a unified diff
CHUNK = 4096  # characters compared at once while looking for where two texts first differ


def _common_prefix(a: str, b: str, limit: int) -> int:
    """The length of the longest common prefix of ``a`` and ``b``, at most ``limit``: chunk by
    chunk, then a binary search in the chunk where they differ (every probe compares in C)."""
    lo = 0
    while lo + CHUNK <= limit and a[lo:lo + CHUNK] == b[lo:lo + CHUNK]:
        lo += CHUNK
    hi = min(limit, lo + CHUNK)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length of the longest common suffix of ``a`` and ``b``, at most ``limit``: as
    :func:`_common_prefix`, from the ends (no reversed copy of either text)."""
    la, lb = len(a), len(b)
    lo = 0
    while lo + CHUNK <= limit and a[la - lo - CHUNK:la - lo] == b[lb - lo - CHUNK:lb - lo]:
        lo += CHUNK
    hi = min(limit, lo + CHUNK)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _equal_ends(old: str, new: str) -> tuple[int, int]:
    """The lengths of the longest common prefix and suffix of two different texts, not overlapping
    in either."""
    head = _common_prefix(old, new, min(len(old), len(new)))
    return head, _common_suffix(old, new, min(len(old), len(new)) - head)


_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # str.splitlines's other line breaks in ASCII


def _plain(text: str) -> bool:
    """Lines end with ``\\n`` and only there (as ``str.splitlines`` would cut it), the last one too."""
    return text.isascii() and text.endswith("\n") and not any(c in text for c in _BREAKS)


def unified_diff(name: str, old: str, new: str) -> str:
    """A unified diff of ``old`` -> ``new``. When both have as many lines (a knob changed values),
    each line is compared with its counterpart: a valid diff in linear time, where difflib's
    matching takes tens of milliseconds per 2,000-line config; and of plain texts only the lines
    between their common first and last lines (with the context) are cut and compared."""
    if old == new:
        return ""
    head, tail = _equal_ends(old, new) if _plain(old) and _plain(new) else (-1, -1)
    if head >= 0 and old.count("\n", head, len(old) - tail) == new.count("\n", head, len(new) - tail):
        # as many lines in both (their equal ends have as many: only what lies between is counted)
        start = old.rfind("\n", 0, head) + 1  # the first line that differs, then CONTEXT lines back
        for _ in range(CONTEXT):
            if start > 0:
                start = old.rfind("\n", 0, start - 1) + 1
        stop = old.find("\n", len(old) - tail)  # past the last line that differs (the rest is the same in
        stop = len(old) if stop < 0 else stop + 1  # both), then CONTEXT lines on
        for _ in range(CONTEXT):
            if stop < len(old):
                stop = old.index("\n", stop) + 1
        return _same_length_diff(name, old[start:stop].splitlines(keepends=True),
                                 new[start:len(new) - len(old) + stop].splitlines(keepends=True),
                                 old.count("\n", 0, start))
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    if not a or len(a) != len(b):
        return "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"))
    return _same_length_diff(name, a, b, 0)


def _same_length_diff(name: str, a: list[str], b: list[str], offset: int) -> str:
    """The unified diff of lines ``a`` -> ``b`` (as many of each), the lines ``offset`` on of two
    files equal around them: every changed line has its context in them."""
    changed = list(compress(range(len(a)), map(ne, a, b)))  # at C speed: most lines are equal
    if not changed:
        return ""
    if not a[-1].endswith("\n") or not b[-1].endswith("\n"):  # a hunk's lines each end with one
        a[-1], b[-1] = a[-1].rstrip("\n") + "\n", b[-1].rstrip("\n") + "\n"
    out = [f"--- a/{name}\n", f"+++ b/{name}\n"]
    runs: list[list[int]] = [[changed[0], changed[0] + 1]]  # [first, end) of each run of changed lines
    for i in changed[1:]:
        if i == runs[-1][1]:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    hunk = [runs[0]]
    for run in [*runs[1:], None]:
        if run is not None and run[0] - hunk[-1][1] < 2 * CONTEXT:  # as difflib does, one line less
            hunk.append(run)
            continue
        start, end = max(0, hunk[0][0] - CONTEXT), min(len(a), hunk[-1][1] + CONTEXT)
        out.append(f"@@ -{offset + start + 1},{end - start} +{offset + start + 1},{end - start} @@\n")
        at = start
        for first, stop in hunk:
            out += [" " + x for x in a[at:first]]
            out += ["-" + x for x in a[first:stop]]
            out += ["+" + x for x in b[first:stop]]
            at = stop
        out += [" " + x for x in a[at:end]]
        hunk = [run] if run is not None else []
    return "".join(out)
