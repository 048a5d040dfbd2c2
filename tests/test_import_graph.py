"""The import graph of the application packages (issue 14; docs/architecture.md, Layers).

Counts every import, a function's own included: a module that imports another lazily still
depends on it.  Only imports under ``if TYPE_CHECKING:`` are left out: they never run.  No two
modules depend on each other (directly or around a ring; e.g. services.plans ↔ services.tasks
and services.entities ↔ services.libraries were such rings), and no module imports a layer
above its own.  ``lint-imports`` checks the same with the contracts in pyproject.toml; this
test keeps the rule inside pytest.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the top: blueprints and the CLI side by side (neither imports the other), then down.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("blueprints", "cli"),
    ("services",),
    ("workflows",),
    ("persistence",),
    ("models",),
    ("infrastructure",),
)
PACKAGES = tuple(p for layer in LAYERS for p in layer)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        for node in ast.walk(tree):
            if node in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def rings(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_rings_finds_a_ring():
    assert rings({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_ring_among_the_modules():
    graph = import_graph()
    assert "services.libraries" in graph["services.entities"]  # lazy imports are counted
    assert "models.schemes" not in graph["models.plans"]  # imports for the type checker are not
    assert rings(graph) == []


def _layer(module: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if module.split(".")[0] in layer)


def test_nothing_imports_upward_or_sideways():
    """A module imports only its own package and the layers below; blueprints and the CLI,
    side by side at the top, do not import each other."""
    wrong = sorted(
        f"{m} → {t}" for m, ts in import_graph().items() for t in ts
        if m.split(".")[0] != t.split(".")[0] and _layer(t) <= _layer(m)
    )
    assert wrong == []


def test_services_do_not_import_blueprints():
    upward = sorted(
        f"{m} → {t}" for m, ts in import_graph().items() if not m.startswith(("blueprints", "cli"))
        for t in ts if t.startswith(("blueprints", "cli"))
    )
    assert upward == []


# ------------------------------------------------------------------ private names

PRIVATE_SCOPE = ("services", "workflows", "blueprints", "models")
# Private names still imported across modules while another branch of issue 14 removes them:
# one current-user helper replaces every blueprint's _me().
BEING_REMOVED = {
    ("blueprints.inspections.views", "_me"),
}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(module: str, source: str, modules: set[str]) -> list[tuple[str, str]]:
    """(module, name) of every private name ``module`` takes from another of ``modules``:
    ``from m import _x`` (lazy imports too) or ``m._x`` on an imported module."""
    found: list[tuple[str, str]] = []
    aliases: dict[str, str] = {}  # a local name bound to a module of ``modules``
    package = module if module in modules and _is_package(module) else module.rpartition(".")[0]
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for a in node.names:
                if f"{base}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{base}.{a.name}"
                elif base in modules and base != module and _private(a.name):
                    found.append((base, a.name))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname and a.name in modules:
                    aliases[a.asname] = a.name
                elif a.name.split(".")[0] in {m.split(".")[0] for m in modules}:
                    aliases[a.name.split(".")[0]] = a.name.split(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            target = _dotted(node.value, aliases)
            if target in modules and target != module:
                found.append((target, node.attr))
    return found


def _is_package(module: str) -> bool:
    return (ROOT / module.replace(".", "/") / "__init__.py").exists()


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The module an expression such as ``persistence.audit`` or ``audit`` names, if any."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def test_private_imports_finds_each_form():
    modules = {"pkg", "pkg.a", "pkg.b"}
    source = (
        "from __future__ import annotations\n"
        "import pkg.a\n"
        "from pkg import b\n"
        "from pkg.a import _hidden, public, __version__\n"
        "def f():\n"
        "    from pkg.b import _lazy\n"
        "    return b._attr, pkg.a._deep, b.__name__, b.public\n"
    )
    assert sorted(private_imports("pkg.c", source, modules)) == [
        ("pkg.a", "_deep"), ("pkg.a", "_hidden"), ("pkg.b", "_attr"), ("pkg.b", "_lazy"),
    ]


def test_no_module_imports_another_modules_private_names():
    modules: dict[str, Path] = {}
    for package in PRIVATE_SCOPE:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    names = set(modules)
    found = sorted(
        f"{m} takes {t}.{n}" for m, path in modules.items()
        for t, n in private_imports(m, path.read_text(encoding="utf-8"), names) if (t, n) not in BEING_REMOVED
    )
    assert found == []
