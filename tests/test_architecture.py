"""The layer rule and the import graph, read from the source (AST; no module is imported).

ui/ imports rag's public API only (the package ``rag``, never ``rag.something``); rag/ imports
index/; index/ imports neither. Inside each package no two modules import each other, directly
or round a longer loop. Every import counts: module level, inside functions, and under
``if TYPE_CHECKING:``. Known exceptions are listed below with the work that removes them; an
exception that is gone must leave its list too, so the lists only shrink.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "rag", "ui")

# What each package may import of the others: (package, allowed module or package prefix) pairs.
MAY_IMPORT = {
    "index": (),
    "rag": ("index",),
    "ui": ("rag",),  # the package itself only: see _allowed
}

KNOWN_LAYER_EXCEPTIONS: dict[tuple[str, str], str] = {}
"""(importer, imported) -> why it is allowed for now and what removes it."""

KNOWN_CYCLES: dict[frozenset, str] = {}
"""Modules that import each other today -> what removes the cycle."""


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module of this project, dotted
    where: str  # file:line


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _known(name: str) -> str | None:
    """The project module ``name`` names: itself, or the nearest package or module above it (a name in it)."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in MODULES:
            return ".".join(parts)
        parts.pop()
    return None


def _imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):  # every import, at any depth
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from rag import models`` imports the module rag.models; ``from rag import Assistant`` the package.
            names = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem for alias in node.names]
        for name in names:
            target = _known(name)
            if target is not None and target != module:
                found.append(Import(module, target, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports_of(module, path)]


def _package(module: str) -> str:
    return module.split(".")[0]


def _allowed(imp: Import) -> bool:
    source, target = _package(imp.source), _package(imp.target)
    if source == target:
        return True
    if source == "ui":
        return imp.target == "rag"  # rag's public API: the package, not its modules
    return target in MAY_IMPORT[source]


def _cycles() -> list[set[str]]:
    """Groups of modules of one package that import each other (strongly connected, more than one module)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        if _package(imp.source) == _package(imp.target):
            graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is a few hundred edges, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _describe(group: set[str]) -> str:
    edges = sorted({f"{i.source} -> {i.target} ({i.where})" for i in IMPORTS if i.source in group and i.target in group})
    return " <-> ".join(sorted(group)) + ":\n    " + "\n    ".join(edges)


def test_the_graph_is_read():
    # A parser that found nothing would pass every rule below.
    assert {"rag", "rag.assistant", "index.corpus_index", "ui.app"} <= set(MODULES)
    assert any(i.source == "ui.app" and i.target == "rag" for i in IMPORTS)
    assert any(i.source.startswith("rag.") and _package(i.target) == "index" for i in IMPORTS)
    # Relative and function-level imports count: ui.app imports ui.render, rag.cli imports ui.app inside a function.
    assert any(i.source == "ui.app" and i.target == "ui.render" for i in IMPORTS)


def test_layers_ui_rag_index():
    """ui imports only the package rag; rag imports index (and never ui); index imports neither."""
    found = {}
    for imp in IMPORTS:
        if not _allowed(imp):
            found.setdefault((imp.source, imp.target), []).append(imp.where)
    new = {edge: where for edge, where in found.items() if edge not in KNOWN_LAYER_EXCEPTIONS}
    assert not new, "imports across the layers:\n" + "\n".join(
        f"  {s} imports {t} ({', '.join(w)})" for (s, t), w in sorted(new.items()))
    gone = sorted(set(KNOWN_LAYER_EXCEPTIONS) - set(found))
    assert not gone, f"these known exceptions no longer occur; delete them from KNOWN_LAYER_EXCEPTIONS: {gone}"


def test_no_import_cycles_inside_a_package():
    groups = _cycles()
    new = [g for g in groups if frozenset(g) not in KNOWN_CYCLES]
    assert not new, "modules that import each other:\n" + "\n".join(_describe(g) for g in new)
    gone = [sorted(c) for c in KNOWN_CYCLES if set(c) not in groups]
    assert not gone, f"these known cycles are gone; delete them from KNOWN_CYCLES: {gone}"


# ---- rag's public API ------------------------------------------------------------------------------
def _readme_api_names() -> set[str]:
    """The names README's "Python API" section gives: imported from rag in its example, or written `Name`."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    code, _, prose = section.partition("\n```\n")
    names = {n.strip() for line in re.findall(r"^from rag import (.+)$", code, re.M) for n in line.split(",")}
    names |= set(re.findall(r"`(?:rag\.)?([A-Za-z][A-Za-z0-9_]*)`", prose)) - {"rag", "Python"}
    return names


def test_rag_exports_exactly_what_the_readme_documents():
    import rag

    documented, exported = _readme_api_names(), set(rag.__all__)
    assert documented - exported == set(), "README names these, but rag does not export them"
    assert exported - documented == set(), "rag exports these; document them in README's Python API section"
    assert len(rag.__all__) == len(exported)  # no name twice
    for name in rag.__all__:
        assert getattr(rag, name) is not None


def test_the_ui_uses_only_names_rag_exports():
    import rag

    used = set()
    for module, path in MODULES.items():
        if _package(module) == "ui":
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "rag" and not node.level:
                    used |= {alias.name for alias in node.names}
    assert used and used <= set(rag.__all__), sorted(used - set(rag.__all__))
