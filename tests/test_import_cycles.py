"""No module of symparams imports another that (through its own module-level imports) imports it
back. Imports inside functions are lazy, run after every module has loaded, and are allowed."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "symparams"


def _module_name(path: Path, root: Path) -> str:
    parts = (root.name,) + path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(tree: ast.Module):
    """Import nodes run when the module loads: at the top, or under if/try at the top
    (not under `if TYPE_CHECKING:`, which never runs)."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, (ast.With,)):
            todo += node.body


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.level and node.module else (node.module if not node.level
                                                                                      else base)
                # `from . import x` and `from .pkg import mod` name modules; `from .mod import f` names one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}        # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_no_module_imports_in_a_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "modules import in a circle: " + " -> ".join(cycle)


def test_the_checker_finds_a_circle(tmp_path):
    # the checker itself can fail: a planted a -> b -> a is reported
    pkg = tmp_path / "symparams"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub.b import thing\n\ndef lazy():\n    from . import c\n")
    (pkg / "sub" / "b.py").write_text("from .. import a\nthing = 1\n")
    (pkg / "c.py").write_text("from .a import lazy\n")
    cycle = find_cycle(import_graph(pkg))
    assert cycle == ["symparams.a", "symparams.sub.b", "symparams.a"]


def test_the_package_is_walked():
    graph = import_graph()
    assert "symparams.engine.fold" in graph["symparams.engine.network"]
    assert "symparams.layers.base" in graph["symparams.engine.binding"]
