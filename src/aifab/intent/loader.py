"""Load an intent file: YAML with line numbers, pydantic validation (the semantic checks run once, in the design).

Every problem is reported as ``FILE:LINE: dotted.key: what is wrong (got X)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from aifab.errors import IntentError, Loc, Problem
from aifab.intent.schema import Intent
from aifab.intent.yaml_bounds import MAX_BYTES, Refusal, decode, position, round_trip, scan


class LoadedIntent:
    """A validated intent together with the source it came from, for locating problems."""

    def __init__(self, path: Path, intent: Intent, tree: Any) -> None:
        self.path = path
        self.intent = intent
        self._tree = tree

    def line_of(self, loc: Loc) -> int:
        """Best line for a key path: the key itself, else its nearest existing parent."""
        return line_of(self._tree, loc)

    def error(self, problems: list[Problem]) -> IntentError:
        """Turn problems (e.g. from a DesignError) into a located IntentError."""
        return IntentError(problems, [format_problem(self.path, self._tree, p) for p in problems])


def line_of(tree: Any, loc: Loc) -> int:
    """1-based line of the deepest key of ``loc`` present in the ruamel tree."""
    node, line = tree, 1
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            owner = _owner(node, part)
            if owner is None:
                break
            line = owner.lc.key(part)[0] + 1
            node = owner[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _owner(node: CommentedMap, key: object) -> CommentedMap | None:
    """The mapping that holds ``key`` as written: ``node`` itself, or a map merged in by ``<<``."""
    if key in (node.lc.data or {}):
        return node
    for merged in getattr(node, "merge", None) or ():
        source = merged[1] if isinstance(merged, tuple) else merged  # older ruamel: (position, map)
        if isinstance(source, CommentedMap) and key in source:
            return _owner(source, key)
    return None


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_problem(path: Path, tree: Any, problem: Problem) -> str:
    """``FILE:LINE: dotted.key: message (got X)``."""
    got = "" if problem.got is None else f" (got {_short(problem.got)})"
    return f"{path}:{line_of(tree, problem.loc)}: {problem.key}: {problem.message}{got}"


def _value_at(tree: Any, loc: Loc) -> object:
    node = tree
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _pydantic_problems(tree: Any, exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind, msg = err["type"], err["msg"]
        if kind == "missing":
            problems.append(Problem(loc, "required key is missing"))
            continue
        if kind == "extra_forbidden":
            problems.append(Problem(loc, "unknown key", None))
            continue
        msg = msg.removeprefix("Value error, ")
        got = _value_at(tree, loc)
        problems.append(Problem(loc, msg, got if not isinstance(got, dict | list) else None))
    return problems


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _refused(path: Path, what: str, refusal: Refusal) -> str:
    got = "" if refusal.got is None else f" (got {refusal.got})"
    return f"{path}:{refusal.line}: {what}: {refusal.message} at column {refusal.column}{got}"


def load_intent(path: str | Path) -> LoadedIntent:
    """Read, parse and validate an intent file against its schema.

    Raises IntentError listing every problem with file, line and key. What only the design can
    judge (pools that fit, a fabric that can be built) is checked once, by ``build_design``, whose
    problems ``LoadedIntent.error`` locates the same way (``aifab.design.load.design_for``).
    """
    path = Path(path)
    tree = _read_tree(path)
    try:
        intent = Intent.model_validate(_plain(tree))
    except ValidationError as exc:
        problems = _pydantic_problems(tree, exc)
        raise IntentError(problems, [format_problem(path, tree, p) for p in problems]) from None
    load_user_catalog(path.parent / CATALOG_DIR)
    return LoadedIntent(path, intent, tree)


def _read_tree(path: Path) -> CommentedMap:
    """Read and parse one YAML mapping with line numbers (IntentError, located, if it is not one)."""
    try:
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise IntentError([], [f"{path}:0: (file): larger than {MAX_BYTES} bytes; an intent is a few KB"])
        if path.exists() and not path.is_file() and not path.is_dir():
            raise IntentError([], [f"{path}:0: (file): not a regular file"])  # a FIFO or a device would block or never end
        text = decode(path.read_bytes())
    except FileNotFoundError:
        raise IntentError([], [f"{path}:0: (file): no such file"]) from None
    except OSError as exc:
        raise IntentError([], [f"{path}:0: (file): cannot read ({exc.strerror or exc.__class__.__name__})"]) from None
    if isinstance(text, Refusal):
        raise IntentError([], [_refused(path, "(file)", text)])
    try:
        refusal = scan(text)
        if refusal is not None:
            raise IntentError([], [_refused(path, "(yaml)", refusal)])
        tree = round_trip().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "malformed YAML"
        raise IntentError([], [f"{path}:{line}: (yaml): malformed YAML: {what}"]) from None
    except ReaderError as exc:  # a character YAML does not allow, e.g. a control character
        line, column = position(text, exc.position)
        raise IntentError([], [f"{path}:{line}: (yaml): malformed YAML: {exc.reason} at column {column} "
                               f"(got {chr(exc.character)!r})"]) from None
    except YAMLError as exc:
        raise IntentError([], [f"{path}:0: (yaml): malformed YAML: {exc}"]) from None
    if not isinstance(tree, CommentedMap):
        what = "a list" if isinstance(tree, list) else "an empty file" if tree is None else "a single value"
        raise IntentError([], [f"{path}:1: (top): expected a mapping of keys, not {what}"])
    return tree


CATALOG_DIR = "catalog"  # beside the intent: the user's own switch models, one or more *.yaml files


def load_user_catalog(folder: Path) -> list[str]:
    """Register the switch models of ``folder/*.yaml`` (a mapping of model name to its fields, see
    ``aifab.intent.catalog_file``) in ``aifab.catalog``; the names registered. IntentError, located at
    file, line and key, for a bad entry or a name the catalog already holds with other fields."""
    from aifab.catalog import lookup, register
    from aifab.intent.catalog_file import CatalogFile

    names: list[str] = []
    for file in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        tree = _read_tree(file)
        try:
            models = CatalogFile.model_validate(_plain(tree)).models()
        except ValidationError as exc:
            problems = _pydantic_problems(tree, exc)
            raise IntentError(problems, [format_problem(file, tree, p) for p in problems]) from None
        for model in models:
            known = lookup(model.name)
            if known is None:
                register(model)
            elif known != model:
                problem = Problem((model.name,), "already in the catalog with other fields; use another name")
                raise IntentError([problem], [format_problem(file, tree, problem)])
            names.append(model.name)
    return names

