"""The shape of ccc/: no module imports one that imports it back, and no private name crosses a module.

import-linter (`make lint`, `.importlinter`) checks that imports point down the layers; this checks what a
layers contract cannot see: circles inside one layer (two rules importing each other, say).
"""
import ast
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def _ours(module: str) -> bool:
    return module.startswith("ccc")


def test_no_module_imports_one_that_imports_it_back():
    """Every import in ccc/ (functions' too) leads to a module with no way back to the importer."""
    graph = grimp.build_graph("ccc", cache_dir=None)
    circles = []
    for importer in sorted(filter(_ours, graph.modules)):
        for imported in sorted(filter(_ours, graph.find_modules_directly_imported_by(importer))):
            if importer.startswith(imported + ".") or imported.startswith(importer + "."):
                continue  # a package and its own modules: importing a package runs its __init__, not a circle
            chain = graph.find_shortest_chain(importer=imported, imported=importer)
            if chain:
                circles.append(" -> ".join((importer, *chain)))
    assert circles == []


def test_no_private_name_is_imported_from_another_module():
    """`from ccc.x import _name` would tie a module to another's insides; public names only."""
    found = []
    for path in sorted((ROOT / "ccc").rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("ccc")):
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}" for alias in node.names
                          if alias.name.startswith("_") and alias.name != "__version__"]
    assert found == []
