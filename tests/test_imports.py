"""The import structure DESIGN section 2 fixes: data sets without TensorFlow, no cycles.

The graph is read from the source with `ast`, so it covers every module (also those whose
dependencies are not installed) and needs no import. Only module-level imports count: an
import inside a function is how a module reaches up the layers lazily on purpose (a
command loading TensorFlow only when it runs), and it cannot make a cycle at import time.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> folder, as pyproject's [tool.setuptools.package-dir] installs them
FOLDERS = {"humanizer": ROOT / "humanizer", "humanizer.export": ROOT / "export",
           "humanizer.daemon": ROOT / "daemon"}
TRAIN_EXTRA = ("tensorflow", "keras", "tf2onnx", "onnx")
ABOVE_DATASETS = ("humanizer.training", "humanizer.evaluation", "humanizer.commands",
                  "humanizer.cli")


def sources() -> dict[str, Path]:
    """Every module of humanizer (the export and daemon folders included) and its file."""
    found = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def is_main_guard(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` - runs as __main__, never as the module itself."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__")


def imported(tree: ast.Module, module: str, is_package: bool, everywhere: bool) -> set[str]:
    """The names a module imports: at module level (class bodies, if/try blocks included),
    or with `everywhere` also inside functions."""
    names: set[str] = set()
    here = module if is_package else module.rpartition(".")[0]

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if everywhere:
                    visit(node.body)
            elif is_main_guard(node) and not everywhere:
                continue
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit([n for n in getattr(node, field, []) if isinstance(n, ast.AST)])

    visit(tree.body)
    return names


def graph() -> dict[str, set[str]]:
    """Module -> the humanizer modules it imports, inside functions too (a lazy import is
    still a dependency: a cycle through one is a cycle)."""
    modules = sources()
    edges = {}
    for name, path in modules.items():
        names = imported(ast.parse(path.read_text()), name, path.name == "__init__.py", True)
        # `from humanizer import encoding` names the module humanizer.encoding; a name
        # that is no module (`from humanizer import __version__`) is the package itself
        edges[name] = {n if n in modules else n.rpartition(".")[0] for n in names
                       if n.split(".")[0] == "humanizer"} & set(modules) - {name}
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := walk(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_the_graph_sees_the_known_layers():
    edges = graph()
    assert "humanizer.datasets.aligned" in edges["humanizer.datasets.grid"]
    assert "humanizer.datasets.catalog" in edges["humanizer.training.loop"]
    assert "humanizer.engine" in edges["humanizer.evaluation"]
    assert "humanizer.export.onnx_export" in edges["humanizer.training.ship"]
    assert any(name.startswith("humanizer.daemon.") for name in edges)


def test_a_cycle_is_found():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_humanizer_modules():
    found = cycle(graph())
    assert found is None, "import cycle: " + " -> ".join(found)


DATASETS = sorted(name for name in sources() if name.startswith("humanizer.datasets"))


def test_datasets_import_nothing_above_them():
    """Not even inside a function: the data sets are below training and evaluation."""
    for name in DATASETS:
        path = sources()[name]
        names = imported(ast.parse(path.read_text()), name, path.name == "__init__.py", True)
        wrong = sorted(n for n in names if n.split(".")[0] in TRAIN_EXTRA
                       or n.startswith(ABOVE_DATASETS))
        assert not wrong, f"{name} imports {', '.join(wrong)}"


@pytest.mark.parametrize("module", DATASETS)
def test_a_dataset_module_loads_no_tensorflow(module):
    check = (f"import sys, {module}; "
             f"loaded = [m for m in {TRAIN_EXTRA!r} if m in sys.modules]; "
             "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
