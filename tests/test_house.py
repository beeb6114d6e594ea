"""The shape of the house: imports point down only, never in a circle, and every
import path the documentation shows still works.

The layers below are the map drawn in docs/architecture.md. A module may import
modules of its own layer or of a lower one; an import of a higher layer, or any
circle, fails here with the arrow named. Function-level (lazy) imports count: a
lazy import is still an arrow.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinygrad_mlp"

#: (layer, module prefixes), lowest first. A prefix matches the module and its submodules.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("vocabulary, labels and files", ("names", "labels", "files", "data")),
    ("the δ witness", ("backprop",)),
    ("graph core", ("autograd", "anomaly")),
    ("op rules", ("elementwise", "ops")),
    ("engines", ("value", "tensor", "ops_extra", "losses", "functional", "optim", "init")),
    ("micrograd", ("micrograd",)),
    ("networks", ("nn", "seed")),
    ("captured steps", ("compiled",)),
    ("model record and files", ("record", "io", "interchange")),
    (
        "teaching, training and interop",
        (
            "crosscheck",
            "explain",
            "grade",
            "health",
            "training",
            "sklearn",
            "torch_bridge",
            "onnx",
            "viz",
        ),
    ),
    ("the live studio", ("studio",)),
    ("command line", ("cli", "commands", "__main__")),
]

#: Modules nothing else in the package may import (they sit on top of what they use).
LEAVES = ("micrograd",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    """The package module an import of ``target`` loads (longest existing prefix)."""
    parts = target.split(".")
    while parts:
        name = ".".join(parts)
        if name in modules:
            return name
        parts.pop()
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None) if isinstance(child, ast.If) else None
            if test is not None and "TYPE_CHECKING" in ast.unparse(test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every package module ``name`` imports, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import sub` loads pkg.sub when sub is a module, pkg otherwise
            targets = [
                f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if not target.startswith("tinygrad_mlp"):
                continue
            resolved = _resolve(target, modules)
            if resolved and resolved != name:
                found.add(resolved)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(name: str) -> int | None:
    short = name.removeprefix("tinygrad_mlp").lstrip(".")
    if not short:
        return None
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if short == prefix or short.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return None if best is None else best[0]


def test_every_module_has_a_layer():
    missing = [m for m in _modules() if m != "tinygrad_mlp" and _layer(m) is None]
    assert not missing, f"modules with no layer in tests/test_house.py's LAYERS: {missing}"


def test_no_import_runs_back_up():
    upward = []
    for module, targets in _graph().items():
        here = _layer(module)
        if here is None:
            continue
        for target in targets:
            there = _layer(target)
            if there is not None and there > here:
                upward.append(
                    f"{module} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})"
                )
    assert not upward, "imports running back up:\n" + "\n".join(sorted(upward))


def test_nothing_imports_a_leaf():
    wrong = []
    for module, targets in _graph().items():
        for target in targets:
            for leaf in LEAVES:
                inside = f"tinygrad_mlp.{leaf}"
                if (target == inside or target.startswith(inside + ".")) and not (
                    module == inside or module.startswith(inside + ".")
                ):
                    wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_circle():
    circles = _circles(_graph())
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_circle_finder_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_type_checking_imports_are_not_arrows(tmp_path):
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tinygrad_mlp.cli\n"
    path = tmp_path / "fake.py"
    path.write_text(source)
    modules = {"tinygrad_mlp.cli": path, "tinygrad_mlp.names": path}
    assert _imports("tinygrad_mlp.names", path, modules) == set()


def test_layer_check_sees_a_lazy_upward_import(tmp_path):
    # a function-level import is an arrow too
    source = "def f():\n    from tinygrad_mlp.cli import main\n    return main\n"
    path = tmp_path / "fake.py"
    path.write_text(source)
    modules = {"tinygrad_mlp.cli": path, "tinygrad_mlp.names": path}
    assert _imports("tinygrad_mlp.names", path, modules) == {"tinygrad_mlp.cli"}


# ---------------------------------------------------------------------------
# every import path the documentation shows


DOC_FILES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*.py")]
)
_FROM = re.compile(r"from (tinygrad_mlp[\w.]*) import \(?([\w, \n]+?)\)?(?:\n|$|#)")
_IMPORT = re.compile(r"^\s*import (tinygrad_mlp[\w.]*)", re.MULTILINE)
_AUTODOC = re.compile(r"^::: (tinygrad_mlp[\w.]*)", re.MULTILINE)
_DOTTED = re.compile(r"`(tinygrad_mlp(?:\.\w+)+)")


def _documented() -> list[tuple[str, str | None, str]]:
    found: set[tuple[str, str | None, str]] = set()
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(ROOT))
        for module, names in _FROM.findall(text):
            for part in names.replace("\n", " ").split(","):
                part = part.strip().split(" as ")[0].strip()
                if part and part.isidentifier():
                    found.add((module, part, where))
        for module in _IMPORT.findall(text) + _AUTODOC.findall(text):
            found.add((module, None, where))
        for dotted in _DOTTED.findall(text):
            found.add((dotted, "?", where))
    return sorted(found, key=lambda t: (t[0], t[1] or "", t[2]))


def test_documentation_shows_import_paths():
    assert len(_documented()) > 100


def _importable(module: str, name: str | None) -> bool:
    if name == "?":
        # `tinygrad_mlp.a.b.c`: some prefix is a module and the rest are attributes
        parts = module.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:]:
                    obj = getattr(obj, attr)
            except AttributeError:
                return False
            return True
        return False
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return False
    return name is None or hasattr(obj, name) or _is_submodule(module, name)


def _is_submodule(module: str, name: str) -> bool:
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


@pytest.mark.parametrize(
    ("module", "name", "where"), _documented(), ids=lambda v: str(v) if v else "-"
)
def test_documented_import_path_works(module, name, where):
    shown = f"from {module} import {name}" if name not in (None, "?") else module
    assert _importable(module, name), f"{where} shows {shown}, which does not import"


#: Past this many lines a module's docstring says why it is one idea ("... is long because").
LONG_MODULE = 600


def test_a_long_module_says_why_it_is_one_idea():
    unexplained = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > LONG_MODULE:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "long because" not in " ".join(doc.split()):
                unexplained.append(f"{name} ({text.count(chr(10))} lines)")
    assert not unexplained, "long modules whose docstring does not say why: " + ", ".join(
        unexplained
    )
