"""No file a user hands seqlab may run code: read from the source (nothing imported), no
``torch.load`` is called without ``weights_only=True``, no ``pickle.load``/``loads`` or
``Unpickler`` at all, and no ``np.load`` that allows pickles. The one pickle reader is gensim's
``KeyedVectors.load``, behind the user's own ``trust_pickle`` opt-in (``_load_kv``).

A marker file cannot show this: torch's default ``weights_only=True`` refuses a pickled marker
anyway, so only the source says whether a call would run one."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "seqlab"

#: (module, function, call) allowed to unpickle: the opt-in reader of gensim vectors
ALLOWED = {("data/vectors.py", "_load_kv", "KeyedVectors.load")}


def _name(node: ast.expr) -> str:
    """``a.b.c`` for a call's function, as written."""
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def _keyword(call: ast.Call, name: str) -> object:
    for k in call.keywords:
        if k.arg == name:
            return k.value.value if isinstance(k.value, ast.Constant) else "not a constant"
    return None


def unsafe(call: ast.Call, aliases: dict[str, str]) -> str | None:
    """Why this call may run a pickle, or None."""
    name = _name(call.func)
    head, _, rest = name.partition(".")
    name = f"{aliases[head]}.{rest}" if rest and head in aliases else aliases.get(name, name)
    if name == "torch.load" and _keyword(call, "weights_only") is not True:
        return "torch.load without weights_only=True"
    if name in ("pickle.load", "pickle.loads", "pickle.Unpickler", "dill.load", "joblib.load"):
        return name
    if name in ("numpy.load", "np.load") and _keyword(call, "allow_pickle") not in (None, False):
        return "np.load with allow_pickle"
    if name.endswith("KeyedVectors.load"):
        return "KeyedVectors.load"
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it was imported as (``from torch import load as f``: f -> torch.load)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update({a.asname or a.name: a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    return out


def findings(source: str, module: str) -> set[tuple[str, str, str]]:
    """(module, enclosing function, reason) for every call of ``source`` that may unpickle."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    out = set()

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and (reason := unsafe(child, aliases)):
                out.add((module, where, reason))
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, child.name if inner else where)

    visit(tree, "<module>")
    return out


def test_no_call_in_src_can_unpickle_without_the_users_opt_in():
    found = set()
    for path in sorted(SRC.rglob("*.py")):
        found |= findings(path.read_text(encoding="utf-8"), path.relative_to(SRC).as_posix())
    assert found == ALLOWED


def test_the_scan_sees_each_unsafe_form():
    """The scanner itself: every unsafe spelling is found, every safe one passes."""
    unsafe_forms = [
        "import torch\ndef f(p):\n    return torch.load(p)",
        "import torch\ndef f(p):\n    return torch.load(p, weights_only=False)",
        "from torch import load\ndef f(p):\n    return load(p, map_location='cpu')",
        "import torch as t\ndef f(p):\n    return t.load(p)",
        "import pickle\ndef f(b):\n    return pickle.loads(b)",
        "from pickle import load as read\ndef f(fh):\n    return read(fh)",
        "import pickle\ndef f(fh):\n    return pickle.Unpickler(fh).load()",
        "import numpy as np\ndef f(p):\n    return np.load(p, allow_pickle=True)",
    ]
    for source in unsafe_forms:
        assert findings(source, "m.py"), source
    safe_forms = [
        "import torch\ndef f(p):\n    return torch.load(p, weights_only=True)",
        "import numpy as np\ndef f(p):\n    return np.load(p, allow_pickle=False)",
        "import json\ndef f(fh):\n    return json.load(fh)",
        "import safetensors.torch as st\ndef f(p):\n    return st.load_file(p)",
    ]
    for source in safe_forms:
        assert not findings(source, "m.py"), source
