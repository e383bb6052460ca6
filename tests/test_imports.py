"""The import graph of the package has no cycles, and the stages import in one direction.

The graph is read from the source (AST), so it sees every import, wherever it is written:
module level, inside functions (the CLI's lazy imports that keep `--help` fast), inside
classes. Two kinds of import are not edges:
  - `if TYPE_CHECKING:` blocks: never executed, they only name types for annotations;
  - a package's `__init__` importing its own submodules: a facade re-exporting its parts
    (the CLI registering its commands, `discover.haro`'s lazy attributes).
Checked at two levels: between modules, and between components (the stage packages and the
flat shared modules), which is the picture in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "discover"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str:
    """The module a dotted name lands in (`discover.html.load_html` → `discover.html`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(_resolve(a.name) for a in node.names if a.name.split(".")[0] == "discover")
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the project uses absolute imports)"
            if node.module and node.module.split(".")[0] == "discover":
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    found.add(full if full in MODULES else _resolve(node.module))
    is_package = path.name == "__init__.py"
    return {m for m in found if m and m != module and not (is_package and m.startswith(module + "."))}


GRAPH = {m: _imports(m) for m in MODULES}


def component(module: str) -> str:
    """`discover.pages.extract` → `discover.pages`; flat modules are their own component."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else module


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                scc = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    scc.append(top)
                    if top == node:
                        break
                if len(scc) > 1:
                    found.append(sorted(scc))
    return found


def _component_graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m, targets in GRAPH.items():
        c = component(m)
        out.setdefault(c, set()).update(component(t) for t in targets if component(t) != c)
    return out


def _explain(cycle: list[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{a} -> {b}" for a in cycle for b in sorted(graph[a]) if b in cycle)


def test_the_graph_is_read():
    assert len(MODULES) > 60
    assert "discover.html" in GRAPH["discover.pages.extract"]
    assert "discover.search.query" in GRAPH["discover.webworld.engine"]
    assert "discover.pipeline" in GRAPH["discover.cli.core"]       # a lazy import inside a command
    assert "discover.runtime" not in GRAPH["discover.search.runner"]  # only under TYPE_CHECKING


def test_no_import_cycle_between_modules():
    cycles = _cycles(GRAPH)
    assert not cycles, [_explain(c, GRAPH) for c in cycles]


def test_no_import_cycle_between_stages():
    graph = _component_graph()
    cycles = _cycles(graph)
    assert not cycles, [_explain(c, graph) for c in cycles]


@pytest.mark.parametrize("importer, imported", [
    ("discover.search", "discover.webworld"),   # the real search never needs the offline world
    ("discover.search", "discover.plan"),       # plan imports search (translation), not the reverse
    ("discover.html", "discover"),              # shared helpers import nothing of ours
    ("discover.records", "discover"),
    ("discover.errors", "discover"),
])
def test_stage_direction(importer: str, imported: str):
    bad = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() if m == importer or m.startswith(importer + ".")
                 for t in targets if (t == imported or t.startswith(imported + ".")) and
                 not (t == importer or t.startswith(importer + ".")))
    assert not bad, bad


def test_cycle_detector_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
