"""The package's shape, checked from its source with ``ast``: no import cycles, and every import points
down the layers that docs/ARCHITECTURE.md states.

Layers, from the bottom: the database (``db``, the migration runner and every area's ``migrations``),
the ground (``clock``, ``audit``, ``accounts``, ``installs``), the domain areas (``register`` <
``interviews`` < ``reports`` and ``sync``), the demo data, and at the top the web pages, the command
line and the window. A module may import only from its own layer or below (areas only from areas
below them); only the window imports ``webview``; nothing below the web layer imports Flask.
"""
from __future__ import annotations

import ast
from pathlib import Path

import rhi_desk

PACKAGE = Path(rhi_desk.__file__).resolve().parent

# (layer rank, name): a module's layer is the first prefix that matches it.
LAYERS = [
    ("rhi_desk.db", 0), ("rhi_desk.migrations", 0), ("rhi_desk.security", 0),
    ("rhi_desk.clock", 1), ("rhi_desk.audit", 1), ("rhi_desk.accounts", 1), ("rhi_desk.installs", 1),
    ("rhi_desk.register", 2), ("rhi_desk.interviews", 3), ("rhi_desk.intelligence", 3.5),
    ("rhi_desk.reports", 4), ("rhi_desk.sync", 4),
    ("rhi_desk.service", 4),
    ("rhi_desk.actions", 5),
    ("rhi_desk.demo", 6),
    ("rhi_desk.web", 7), ("rhi_desk.cli", 8), ("rhi_desk.desktop", 8),
    ("rhi_desk.__main__", 9), ("rhi_desk", 7),  # the package itself holds create_app (the web layer)
]
LAYER_NAMES = {0: "database", 1: "ground", 2: "register", 3: "interviews", 3.5: "intelligence",
               4: "reports/sync", 5: "actions", 6: "demo", 7: "web", 8: "command line/window", 9: "entry point"}


def layer(module: str) -> int:
    if module.endswith(".migrations"):
        return 0
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/ARCHITECTURE.md")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the module, at any depth (lazy imports count)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                # `from package import module` imports the module; `from module import name` the module.
                candidate = f"{source}.{alias.name}"
                found.append((candidate if candidate in MODULES else source, node.lineno))
    return found


def _parent(module: str, target: str) -> bool:
    """Importing a submodule runs its area package's ``__init__`` (a docstring), which is no dependency.
    The root package is not skipped: it holds create_app, the web layer."""
    return target != "rhi_desk" and module.startswith(target + ".")


def internal_graph() -> dict[str, set[str]]:
    graph = {}
    for module in MODULES:
        graph[module] = {target for target, _ in imports_of(module)
                         if target in MODULES and target != module
                         and not _parent(module, target)}
    return graph


def test_the_package_has_no_import_cycles():
    graph = internal_graph()
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_imports_point_down_the_layers():
    wrong = []
    for module in MODULES:
        for target, line in imports_of(module):
            if target in MODULES and not _parent(module, target) and layer(target) > layer(module):
                wrong.append(f"{module}:{line} ({LAYER_NAMES[layer(module)]}) imports {target} "
                             f"({LAYER_NAMES[layer(target)]})")
    assert wrong == []


def test_only_the_window_imports_webview_and_only_the_web_layer_imports_flask():
    wrong = []
    for module in MODULES:
        for target, line in imports_of(module):
            top = target.split(".")[0]
            if top == "webview" and not module.startswith("rhi_desk.desktop"):
                wrong.append(f"{module}:{line} imports webview")
            # db.py keeps flaskr's get_db()/close_db() for the request's connection (a lazy import).
            if top in ("flask", "flask_wtf", "wtforms", "govuk_frontend_wtf") and layer(module) < 7 \
                    and module != "rhi_desk.db":
                wrong.append(f"{module}:{line} imports {target}")
    assert wrong == []


def test_the_top_of_the_package_holds_at_most_eight_modules_and_none_is_long():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 8, top
    long = {name: n for name, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 800}
    assert long == {}
