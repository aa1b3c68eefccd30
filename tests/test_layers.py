"""The layering of symparams is data (the import-linter `layers` contract in pyproject.toml) and
this test holds the code to it: each layer imports only the layers below it, imports inside
functions included. Also: the low layers load alone, and no module takes another's private names
(import-linter sees modules, not names: that part is a small walker of our own)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_module

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symparams"


def _lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the package under root, with root's pyproject.toml (no cache: a fresh look)."""
    need_module("importlinter")
    return subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command;"
                           " sys.exit(lint_imports_command())", "--no-cache"],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_every_layer_imports_only_the_layers_below_it():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "symparams layers point down KEPT" in result.stdout


def test_every_module_has_a_place_in_the_layers():
    """A new module or package of symparams must be placed in the contract (import-linter checks
    only the modules it is told about)."""
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    placed = {name.strip() for contract in config["tool"]["importlinter"]["contracts"]
              for layer in contract.get("layers", []) for name in layer.replace(":", "|").split("|")}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert sorted(modules - placed) == [], "add them to [tool.importlinter] in pyproject.toml"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(PACKAGE, root / "symparams", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "grammar", root / "grammar")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize("where, planted", [
    # an upward import inside a function: lazy, and still a dependency the contract refuses
    ("layers/core.py", "\n\ndef _planted():\n    from ..printers.text import render\n    return render\n"),
    ("engine/rows.py", "\nfrom .. import cost  # planted at the top\n"),
    ("cost.py", "\n\ndef _planted():\n    from .sweep import lambdify\n    return lambdify\n"),
])
def test_a_planted_upward_import_breaks_the_contract(tmp_path, where, planted):
    root = _copy(tmp_path)
    path = root / "symparams" / where
    path.write_text(path.read_text(encoding="utf-8") + planted, encoding="utf-8")
    result = _lint(root)
    assert result.returncode != 0, result.stdout[-2000:]
    importer = "symparams." + where[:-3].replace("/", ".")
    assert "BROKEN" in result.stdout and importer in result.stdout, result.stdout[-2000:]


def test_the_low_layers_load_alone():
    """Importing the layer kinds loads no engine, printer, framework or command, and no SymPy: their
    messages write sizes through wording.py, which imports the notation module when a message is
    made (a derive on ints, summary --numbers, never imports SymPy: numeric.py)."""
    code = ("import sys, symparams.layers; print(' '.join(sorted(m for m in sys.modules "
            "if m.startswith('symparams') or m == 'sympy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.split()
    assert "symparams.layers.conv" in loaded and "symparams.wording" in loaded
    assert "symparams.notation" not in loaded and "sympy" not in loaded
    higher = [m for m in loaded if (m + ".").split(".")[1] in ("commands", "printers", "frameworks", "engine", "cost",
                                                      "memory", "solve", "sweep", "api", "web", "cli")]
    assert higher == [], higher


# ----------------------------------------------------------------------------- private names

def _module_name(path: Path, root: Path) -> str:
    parts = (root.name,) + path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def private_imports(root: Path = PACKAGE) -> list[str]:
    """`from other import _name` and `other._name` where other is another module of the package."""
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    found = []
    for name, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        ours = set()            # local names bound to modules of the package
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _resolve(name, path, node)
                if not source.startswith(root.name):
                    continue
                for alias in node.names:
                    if f"{source}.{alias.name}" in modules:
                        ours.add(alias.asname or alias.name)
                    elif alias.name.startswith("_") and not alias.name.startswith("__") and source != name:
                        found.append(f"{name}:{node.lineno} imports {source}.{alias.name}")
            elif isinstance(node, ast.Import):
                ours |= {a.asname for a in node.names if a.asname and a.name.startswith(root.name)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ours
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_module_takes_another_modules_private_names():
    assert private_imports() == []


def test_the_private_name_walker_finds_both_forms(tmp_path):
    pkg = tmp_path / "symparams"
    (pkg / "sub").mkdir(parents=True)
    for f in ("__init__.py", "sub/__init__.py"):
        (pkg / f).write_text("")
    (pkg / "a.py").write_text("def _hidden():\n    pass\n")
    (pkg / "sub" / "b.py").write_text("from ..a import _hidden\nfrom .. import a\n\n\ndef f():\n    return a._hidden\n")
    assert private_imports(pkg) == ["symparams.sub.b:1 imports symparams.a._hidden",
                                    "symparams.sub.b:6 uses a._hidden"]


# ----------------------------------------------------------------------------- circles

def test_no_modules_import_in_a_circle():
    """Inside one layer too (printers.latex <-> printers.diagram was one): every import counts, lazy
    ones included, except the allowed upward imports the contract lists."""
    grimp = need_module("grimp")
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    allowed = {tuple(s.strip() for s in line.split("->")) for contract in config["tool"]["importlinter"]["contracts"]
               for line in contract.get("ignore_imports", [])}
    sys.path.insert(0, str(ROOT))
    try:
        graph = grimp.build_graph("symparams", cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))
    edges = {m: {t for t in graph.find_modules_directly_imported_by(m) if (m, t) not in allowed}
             for m in graph.modules}
    circles = [c for c in _strongly_connected(edges) if len(c) > 1]
    assert circles == [], circles


def _strongly_connected(edges: dict) -> list[list[str]]:
    """Tarjan's components, iteratively."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def test_the_circle_finder_finds_one():
    assert [c for c in _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) if len(c) > 1] == \
        [["a", "b", "c"]]
