"""What the exporters share: a numeric, unrolled network and a unique Python name per row.

The exporters write one module (PyTorch) or one layer (Keras) per leaf row, under the
identifier `plan.ident[id(row)]`, so `check` can find each row's counterpart again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..conventions import KERAS, PYTORCH
from ..errors import DefinitionError, UsageError
from ..layers.base import spec_for
from ..layers.text import ints, one, window_text  # noqa: F401  (the exporters' numbers)


@dataclass
class Plan:
    net: object                       # numeric, unrolled Network
    ident: dict = field(default_factory=dict)    # id(row) -> python identifier
    leaves: list = field(default_factory=list)   # leaf rows in order (the input first)
    source: str = ""

    def name(self, row) -> str:
        return self.ident[id(row)]


def numeric(net):
    """The network with every symbol at its value (or default) and numeric repeats unrolled."""
    evaluated = net.evaluate()
    return evaluated.unrolled()


def make_plan(net) -> Plan:
    full = numeric(net)
    source = re.sub(r'["\\\s]', "_", str(getattr(full.program, "file", None) or ""))
    plan = Plan(net=full, source=source)
    taken: set[str] = set()
    for _, row in full.walk():
        if row.kind in ("path", "iteration", "block", "repeat"):
            continue
        base = re.sub(r"\W", "_", row.name).strip("_") or row.kind
        if base[0].isdigit():
            base = "layer_" + base
        if base in ("x", "self", "input", "model", "inputs", "torch", "nn", "F", "keras", "layers", "ops"):
            base = base + "_layer" if row.kind != "input" else "input_layer"
        name, k = base, 2
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        plan.ident[id(row)] = name
        if row.is_leaf:
            plan.leaves.append(row)
    return plan


def token_input(plan: Plan) -> bool:
    """Whether the input holds token ids (an embedding reads it)."""
    rows = plan.leaves
    return len(rows) > 1 and len(rows[0].output_shape) == 1 and spec_for(rows[1]).reads_tokens


def unsupported(what: str, framework: str):
    return DefinitionError(f"{what} has no {framework} counterpart that symparams can export")


def need(module: str, extra: str):
    """Import a framework, or raise the one-line error naming the pip extra."""
    import importlib
    import os
    from ..errors import MissingDependencyError
    if module == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"{module} is not installed; install it with: pip install 'symparams[{extra}]'"
                                     ) from None


def require_installed(module: str, extra: str) -> None:
    """Like need(), without importing the framework (export only writes text)."""
    import importlib.util
    from ..errors import MissingDependencyError
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingDependencyError(f"{module} is not installed; install it with: pip install 'symparams[{extra}]'")


def check_target(name: str) -> str:
    if name not in (KERAS, PYTORCH):
        raise UsageError(f"unknown framework '{name}'; use pytorch or keras")
    return name
