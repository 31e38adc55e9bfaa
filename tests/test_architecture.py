"""The layers hold: optviz is a plain library, ui/ the web layer, no import cycles.

Read from the source with `ast` (nothing is imported), so a function-level import
counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("optviz", "ui")
MAX_LINES = 450
PLOTLY_INTERNALS = ROOT / "optviz" / "plots" / "plotly_internals.py"


def sources(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sources(*LAYERS)}


def imported(path: Path) -> set[str]:
    """Every module the file at `path` imports (see `imports_in`)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> set[str]:
    """Every module `source` imports, anywhere in it (function bodies too), as absolute
    dotted names: `from optviz import rules` gives optviz.rules where that is a module,
    relative imports are resolved against `package`."""
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in MODULES)
    return found


def graph() -> dict[str, set[str]]:
    """Edges between our own modules."""
    return {name: {m for m in imported(path) if m in MODULES and m != name}
            for name, path in MODULES.items()}


def test_the_library_knows_nothing_of_the_web() -> None:
    for path in sources("optviz"):
        mods = imported(path)
        web = sorted(m for m in mods if m.split(".")[0] in ("streamlit", "ui", "pages"))
        assert not web, f"{path.relative_to(ROOT)} imports {web}"
        text = path.read_text(encoding="utf-8")
        for word in ("streamlit", "query_params", "session_state"):
            assert word not in text, f"{path.relative_to(ROOT)} mentions {word}"


def test_no_import_cycles() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for nxt in sorted(edges[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for node in sorted(edges):
        visit(node, [])


def test_the_cycle_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function-level import that closes a loop (rules -> settings -> rules) is seen."""
    loop = "def later():\n    from optviz import settings\n"
    assert imports_in(loop, "optviz") >= {"optviz.settings"}
    edges = graph()
    assert "optviz.rules" in edges["optviz.settings"]
    edges["optviz.rules"] |= imports_in(loop, "optviz") & set(MODULES)
    monkeypatch.setattr(sys.modules[__name__], "graph", lambda: edges)
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_no_import_cycles()


def test_relative_imports_are_resolved() -> None:
    assert imports_in("from .common import PROG\n", "optviz.cli") >= {"optviz.cli.common"}
    assert imports_in("from . import rules\n", "optviz") >= {"optviz.rules"}


@pytest.mark.parametrize("path", sources("optviz"), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_files_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by concern"


def test_plotly_internals_live_in_one_module() -> None:
    private = re.compile(r"\._(frame_objs|props|orphan_props|layout_obj|validate|"
                         r"compound_array_props)\b|_validate\s*=")
    assert PLOTLY_INTERNALS.exists()
    users = [str(p.relative_to(ROOT)) for p in sources("optviz", "ui", "pages")
             if p != PLOTLY_INTERNALS and private.search(p.read_text(encoding="utf-8"))]
    assert users == []
    assert private.search(PLOTLY_INTERNALS.read_text(encoding="utf-8"))


def test_pages_are_thin() -> None:
    """Pages draw widgets and figures; they define no classes and hold no CSV writing."""
    for path in sources("pages"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)], path.name
        assert "csv" not in {m.split(".")[0] for m in imported(path)}, path.name
