"""The shape of the code, read from the source with `ast`: layers, cycles, size of publisher/.

    channels/   imports nothing of ours        drafts/     imports nothing of ours
    schedules/  imports drafts/, channels/      publisher/  imports all; nothing imports it
    publisher/flows/ never imports the faces (publisher/web/, publisher/api/)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("channels", "drafts", "schedules", "publisher")
ALLOWED = {
    "channels": {"channels"},
    "drafts": {"drafts"},
    "schedules": {"schedules", "drafts", "channels"},
    "publisher": set(PACKAGES),
}
FACES = ("publisher.web", "publisher.api")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:  # Alembic's scripts, run by Alembic, not imported
                continue
            found[_module_name(path)] = path
    return found


MODULES = _sources()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every import in the file, at any depth, resolved to ours."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield (submodule if submodule in MODULES else base), node.lineno


def _ours(target: str) -> bool:
    return target.split(".")[0] in PACKAGES


GRAPH = {name: {(t, line) for t, line in _imports(name, path) if _ours(t)}
         for name, path in MODULES.items()}


def test_it_finds_the_four_packages() -> None:
    assert {name.split(".")[0] for name in MODULES} == set(PACKAGES)
    assert "publisher.flows.editing" in MODULES


@pytest.mark.parametrize("package", PACKAGES)
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    upward = [f"{name}:{line} imports {target}"
              for name, edges in GRAPH.items() if name.split(".")[0] == package
              for target, line in edges if target.split(".")[0] not in ALLOWED[package]]
    assert upward == []


def test_flows_never_import_the_faces() -> None:
    wrong = [f"{name}:{line} imports {target}"
             for name, edges in GRAPH.items() if name.startswith("publisher.flows")
             for target, line in edges if target.startswith(FACES)]
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), plus self-imports."""
    edges = {name: sorted({t for t, _ in targets if t in MODULES and t != name})
             for name, targets in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return found


def test_there_is_no_import_cycle_even_through_imports_inside_functions() -> None:
    assert _cycles() == []


def test_the_top_of_publisher_holds_at_most_sixteen_modules() -> None:
    top = sorted(p.name for p in (ROOT / "publisher").glob("*.py"))
    assert len(top) <= 16, top


def _module_level_calls(path: Path) -> list[tuple[int, str]]:
    """Calls made as statements when the module is imported (not inside a def or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [(node.lineno, ast.unparse(node.value.func)) for node in tree.body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]


def test_no_module_does_anything_when_imported_but_define_names() -> None:
    """A web module may set up its own blueprint (`bp.…`, Flask's idiom, applied when the app
    registers it); the `publisher` command wires its subcommands. Nothing else acts on import:
    no hooks installed, no lists filled."""
    acting = [f"{name}:{line} {func}()" for name, path in MODULES.items()
              for line, func in _module_level_calls(path)
              if not func.startswith("bp.") and (name, func) != ("publisher.cli",
                                                                  "cli_app.register")]
    assert acting == []


def test_nothing_keeps_hook_lists_to_be_filled_by_importers() -> None:
    hooks = [f"{name}:{node.lineno}" for name, path in MODULES.items()
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Name)
             and "hook" in node.id.lower().replace("webhook", "")]  # webhooks are a feature
    assert hooks == []


# The API's resource modules add their routes to the one API blueprint (publisher.api.base.bp)
# with decorators, so publisher.api.init_app imports them for that. Left for the API's owner.
API_ROUTES = "publisher.api"


def test_no_module_is_imported_only_for_its_side_effects() -> None:
    unused = [f"{name}:{number}" for name, path in MODULES.items() if name != API_ROUTES
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if "noqa: F401" in line]
    assert unused == []
