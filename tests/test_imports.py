"""The import graph of src/: no cycle anywhere, and every stage imports only from the stages before it.

Every ``import`` and ``from ... import`` statement counts, at module level and inside functions;
relative imports are resolved, and ``from pkg import name`` points at ``pkg.name`` when that is a
module. A package's ``__init__`` that a submodule implicitly runs is not an edge (it is the
submodule's parent, not something it asked for).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _imports(module: str) -> set[str]:
    """The modules of src/ that ``module`` imports."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package(module).split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _cycle() -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for dep in sorted(GRAPH[module]):
            if state.get(dep) == 1:
                return [*path[path.index(dep):], dep]
            if dep not in state and (found := visit(dep)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_walker_resolves_what_a_module_imports() -> None:
    """Function-level imports and ``from pkg import submodule`` are edges to the module imported."""
    assert "aifab.deploy.runner" in GRAPH["aifab.commands.deploy"]  # imported inside a function
    assert "aifab.check.rules.bgp" in GRAPH["aifab.check.rules"]  # from aifab.check.rules import bgp
    assert "aifab.platforms.registry" in GRAPH["aifab.platforms.eos"]
    assert len(GRAPH) > 50


def test_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _stage(module: str) -> str:
    """The top-level unit of ``module``: ``aifab.check`` for ``aifab.check.rules.bgp``."""
    return ".".join(module.split(".")[:2])


def test_stages_form_no_cycle() -> None:
    """Between the top-level packages and modules of aifab, data flows one way (a package that
    imports another is never imported back by it, even through others)."""
    stages: dict[str, set[str]] = {}
    for module, deps in GRAPH.items():
        edges = {_stage(d) for d in deps} - {_stage(module)}
        stages.setdefault(_stage(module), set()).update(edges)
    found = None
    for start in sorted(stages):
        todo, seen = [[start]], {start}
        while todo and found is None:
            path = todo.pop()
            for dep in sorted(stages.get(path[-1], ())):
                if dep == start:
                    found = [*path, dep]
                    break
                if dep not in seen:
                    seen.add(dep)
                    todo.append([*path, dep])
        if found:
            break
    assert found is None, "stages import each other: " + " -> ".join(found or [])


# The pipe, first to last: a stage imports only the stages before it, never one after it (so intent
# imports nothing from design, render, check, plan, deploy or lab; qos nothing from design;
# platforms nothing from any stage).
PIPE = ["aifab.platforms", "aifab.intent", "aifab.qos", "aifab.design", "aifab.render", "aifab.check", "aifab.plan",
        "aifab.deploy", "aifab.lab"]
LAYERS = [(stage, tuple(PIPE[i + 1:])) for i, stage in enumerate(PIPE[:-1])]


@pytest.mark.parametrize(("layer", "forbidden"), LAYERS, ids=[layer for layer, _ in LAYERS])
def test_a_stage_imports_nothing_from_later_stages(layer: str, forbidden: tuple[str, ...]) -> None:
    bad = sorted((module, dep) for module in GRAPH if module == layer or module.startswith(layer + ".")
                 for dep in GRAPH[module] if any(dep == f or dep.startswith(f + ".") for f in forbidden))
    assert not bad, "\n".join(f"{module} imports {dep}" for module, dep in bad)
