"""The layout of docs/architecture.md, kept true: imports point one way, with no cycle.

Every import in the package is read from the source (module level and inside functions):
the core (the catalogue, the registry, the numerics) imports only the core; the I/O layer
the core and itself; the views the core, I/O and themselves; the command line anything.
Within a layer, no module may reach itself again.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "actgrad"

LAYERS = {"core": 0, "io": 1, "views": 2, "cli": 3}
#: third-party modules only the outer layers may use
PRESENTATION = ("rich", "typer", "click", "orjson", "plotille")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("io", "views", "cli"):
        return parts[1]
    if module == "actgrad.__main__":
        return "cli"
    return "core"


def _runtime_nodes(tree: ast.AST):
    """Every node that can run: all but the bodies of `if TYPE_CHECKING:` (type-only imports)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and (
                node.test.id == "TYPE_CHECKING"):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports(module: str, source: str | None = None) -> set[str]:
    """Every module this one imports (actgrad's own, and the top-level name of others)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:  # `from . import registry` imports the module actgrad.registry
                sub = f"{target}.{a.name}"
                found.add(sub if sub in MODULES else target)
    own = {m for m in found if m in MODULES}
    return own | {m.split(".")[0] for m in found - own}


GRAPH = {m: {i for i in imports(m) if i in MODULES and i != m} for m in MODULES}


def test_the_package_has_the_layers_the_document_names():
    assert {layer(m) for m in MODULES} == set(LAYERS)
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for m in MODULES:  # every module is accounted for in the document
        short = m.replace("actgrad.", "", 1).replace(".", "/")
        if m != "actgrad" and not short.endswith("__main__"):
            assert short in text, f"docs/architecture.md does not mention {short}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_inwards(module):
    mine = LAYERS[layer(module)]
    outward = sorted(i for i in GRAPH[module] if LAYERS[layer(i)] > mine)
    assert not outward, f"{module} ({layer(module)}) imports an outer layer: {outward}"
    if layer(module) == "core":
        third = sorted(imports(module) & set(PRESENTATION))
        assert not third, f"the core module {module} imports presentation libraries {third}"


def test_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_the_checker_sees_function_level_imports():
    """The tests above can fail: imports inside functions, relative or not, are all seen."""
    src = ("import numpy\n"
           "def f():\n    from .io import writers\n    from .views.plot import sample\n"
           "    import rich.table\n")
    assert imports("actgrad.registry", src) == {
        "numpy", "actgrad.io.writers", "actgrad.views.plot", "rich"}
    assert imports("actgrad.numerics.gradcheck", "def f():\n    from ..cli import app\n") == {
        "actgrad.cli.app"}
    # a type-only import never runs, so it is no dependency
    assert imports("actgrad.numerics.rigorous",
                   "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from ..registry import A\n") == set()


def test_import_actgrad_loads_only_the_core():
    import subprocess
    import sys

    code = ("import sys, actgrad; actgrad.get('sigmoid').deriv(0.0);"
            " print(' '.join(sorted(m for m in sys.modules if m.startswith('actgrad')"
            " or m.split('.')[0] in %r)))" % (PRESENTATION + ("mpmath", "flint"),))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=60, check=True)
    loaded = r.stdout.split()
    assert loaded and all(layer(m) == "core" for m in loaded if m.startswith("actgrad")), loaded
    assert not [m for m in loaded if not m.startswith("actgrad")], loaded
