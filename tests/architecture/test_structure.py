"""The package's structure, read from its source (nothing is imported): imports flow one way and
never in a cycle, modules and functions stay small, public signatures take keywords.

    cli -> api -> tasks -> {train, decode, analysis} -> models -> nn -> data

Imports inside functions count: hiding one there does not hide a cycle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "seqlab"


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its file, functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, path.name == "__init__.py")
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith(PACKAGE + ".") and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: imports_of(m, p, known) for m, p in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = 1, stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node], _ = 2, stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to: ``seqlab.tasks.lm`` -> tasks."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "seqlab"


@dataclass(frozen=True)
class Function:
    where: str  # path:line name
    lines: int
    positional: int
    public: bool


def functions(path: Path) -> list[Function]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node: ast.AST, owner: str, public_owner: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name, public_owner and not child.name.startswith("_"))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = child.args.posonlyargs + child.args.args
                if owner and args and args[0].arg in ("self", "cls"):
                    args = args[1:]
                name = child.name
                public = public_owner and (not name.startswith("_") or name == "__init__")
                shown = path.relative_to(SRC) if path.is_relative_to(SRC) else path.name
                where = f"{shown}:{child.lineno} {owner + '.' if owner else ''}{name}"
                out.append(Function(where, child.end_lineno - child.lineno + 1, len(args), public))
                visit(child, "", False)  # nested functions are private

    visit(tree, "", True)
    return out


# the layers, from the bottom: a module may import its own layer and those below, never above
RANKS = {
    "errors": 0,
    "extras": 0,
    "data": 1,
    "config": 2,
    "nn": 3,
    "models": 4,
    "runtime": 4.5,
    "decode": 5,
    "analysis": 5,
    "train": 5,
    "tasks": 6,
    "api": 6.5,
    "serve": 7,
    "export": 7,
    "cli": 8,
    "__main__": 9,
    "seqlab": 9,
}

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MAX_POSITIONAL = 4


def test_no_module_imports_itself_back():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layers_import_downwards_and_never_in_a_cycle():
    layers: dict[str, set[str]] = {}
    upward = []
    for module, deps in import_graph().items():
        for dep in deps:
            a, b = layer_of(module), layer_of(dep)
            if a == b:
                continue
            layers.setdefault(a, set()).add(b)
            if RANKS[b] > RANKS[a]:
                upward.append(f"{module} imports {dep} ({a} is below {b})")
    assert not upward, "\n".join(upward)
    cycle = find_cycle(layers)
    assert cycle is None, "cycle between subpackages: " + " -> ".join(cycle or [])


def test_every_layer_has_a_rank():
    assert {layer_of(m) for m in modules()} <= set(RANKS)


def test_modules_and_functions_stay_small():
    long_modules = [
        f"{path.relative_to(SRC)}: {n} lines"
        for path in modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long_modules, long_modules
    long_functions = [
        f"{f.where}: {f.lines} lines"
        for path in modules().values()
        for f in functions(path)
        if f.lines > MAX_FUNCTION_LINES
    ]
    assert not long_functions, long_functions


def test_public_functions_take_at_most_four_positional_parameters():
    offenders = [
        f"{f.where}: {f.positional}"
        for path in modules().values()
        for f in functions(path)
        if f.public and f.positional > MAX_POSITIONAL
    ]
    assert not offenders, offenders


def test_the_checks_can_fail(tmp_path):
    """The readers see what they must: a cycle, a hidden import, a long positional list."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    source = "def f(a, b, c, d, e):\n    from seqlab.tasks import load_run\n    return a\n"
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    known = {"seqlab.tasks", "seqlab.data"}
    assert imports_of("seqlab.data.probe", probe, known) == {"seqlab.tasks"}
    (f,) = functions(probe)
    assert f.positional == 5 and f.public and f.lines == 3
