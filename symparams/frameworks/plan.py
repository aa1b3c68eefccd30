"""What the exporters share: a numeric, unrolled network and a unique Python name per row.

The exporters write one module (PyTorch) or one layer (Keras) per leaf row, under the
identifier `plan.ident[id(row)]`, so `check` can find each row's counterpart again.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from dataclasses import dataclass, field

import sympy

from ..conventions import KERAS, PYTORCH
from ..errors import DefinitionError, UsageError
from ..engine.fold import frozen_in
from ..layers.base import RATE, spec_for
from ..notation import text as math_text
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
    _every_value_known(evaluated)
    return evaluated.unrolled()


def _every_value_known(net):
    """A symbol that changes no count ('dropout r', 'rescaling s') is still free after evaluate(),
    which asks only for the symbols in shapes and counts; the exported code needs its number, so it
    is named here, at its line, with the way to give it."""
    for _, row in net.walk():
        if not row.is_leaf:
            continue
        spec = spec_for(row)
        kinds = {a.name: a.kind for a in spec.arguments} | {name: o.kind for name, o in spec.options.items()}
        for key, value in row.config.items():
            free = set().union(*(v.free_symbols for v in (value if isinstance(value, tuple) else (value,))
                                 if isinstance(v, sympy.Basic)))
            if not free:
                continue
            name = sorted(str(s) for s in free)[0]
            if kinds.get(key) == RATE and isinstance(value, sympy.Symbol):   # a whole number >= 1: never a rate
                hint = (f"a rate is below 1 and a symbol is a whole number: write the rate in the file "
                        f"({row.config.keyword} 0.1), or a fraction such as 1/{name} and then --set {name}=10")
            else:
                hint = f"give it with --set {name}=... or a 'let {name} = ...' line"
            raise DefinitionError(f"{row.name}: its {key} {math_text(value)} has no value, and the exported "
                                  f"code needs a number for {name}", hint=hint, line=row.line, column=row.column,
                                  source=net.program.source)      # the command names the file


# Names a layer's identifier never takes: Python keywords, what the generated files define or import,
# and every public attribute of nn.Module (a layer is `self.<identifier>` there; `forward`, `training`
# or `to` would replace the Module's own). tests/test_export_names.py checks this against the installed torch.
GENERATED = frozenset({"x", "self", "super", "input", "model", "inputs", "torch", "nn", "F", "keras", "layers",
                       "ops", "os", "build", "Model", "INPUT_SHAPE", "INPUT_DTYPE", "INPUTS", "LAYERS",
                       "example_inputs"})
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double dump_patches eval
extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu load_state_dict modules mtia
named_buffers named_children named_modules named_parameters parameters register_backward_hook register_buffer
register_forward_hook register_forward_pre_hook register_full_backward_hook register_full_backward_pre_hook
register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module register_parameter
register_state_dict_post_hook register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory
state_dict to to_empty train training type xpu zero_grad""".split()) | {"smart_apply"}   # transformers adds it to nn.Module
RESERVED = GENERATED | MODULE_ATTRIBUTES | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
# names the exporters derive from a layer's identifier (Keras: '<name>_pad' before a 'valid' layer)
DERIVED = ("_pad", "_crop")


def identifier(name: str, kind: str) -> str:
    """An ASCII Python identifier for a layer name: accents dropped, anything else but [A-Za-z0-9_] an
    underscore, no leading underscore (no private or dunder names), never a reserved word."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")[:64]
    if not base:
        base = re.sub(r"[^A-Za-z0-9_]", "_", kind).strip("_") or "layer"
    if base[0].isdigit():
        base = "layer_" + base
    if base in RESERVED or base.isidentifier() is False:
        base = "input_layer" if kind == "input" else base + "_layer"
    return base


def _free(name: str, taken: set) -> bool:
    """Unused, and neither a derived name of a taken one nor the stem of a taken derived name."""
    if name in taken or any(name + end in taken for end in DERIVED):
        return False
    return not any(name.endswith(end) and name[:-len(end)] in taken for end in DERIVED)


def make_plan(net) -> Plan:
    full = numeric(net)
    source = re.sub(r'[^\x21-\x7e]|["\\]', "_", str(getattr(full.program, "file", None) or ""))
    plan = Plan(net=full, source=source)
    taken: set[str] = set()
    for _, row in full.walk():
        if row.kind in ("path", "iteration", "block", "repeat"):
            continue
        base = identifier(row.name, row.kind)
        alias = row.config.get("alias") if row.kind == "input" and row.config else None
        if alias is not None:
            # 'input S as NAME': the model's argument (PyTorch) and keras.Input are named NAME; never a
            # name the forward code gives its own variables (x, x1, x2, ...)
            base = identifier(alias, "input")
            if re.fullmatch(r"x\d*", base):
                base += "_input"
        name, k = base, 2
        while not _free(name, taken):
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        plan.ident[id(row)] = name
        if row.is_leaf:
            plan.leaves.append(row)
    return plan


class Writer:
    """What both exporters' writers share: the plan, its convention, helper classes written once,
    fresh variable names, and each leaf's spec checked against the target framework first."""
    framework = ""                      # PyTorch / Keras, as users read it
    capability = ""                     # emit_torch / emit_keras

    def __init__(self, plan: Plan):
        self.plan = plan
        self.convention = plan.net.convention
        self.helpers: dict[str, str] = {}
        self.counter = 0
        self.embedding = None           # where the last embedding's weight is (a tied head reads it)
        self.layer_of: dict[int, str] = {}  # id(row) -> the module attribute / layer name written for it
        self.by_row_name: dict[str, tuple] = {}    # a row's name -> (module attribute, activation): reuse=NAME

    def layers(self) -> tuple:
        """The name written for each leaf row, in order (None where the row wrote no module or layer)."""
        return tuple(self.layer_of.get(id(row)) for row in self.plan.leaves)

    def helper(self, source_of: dict, name: str) -> None:
        """Write the helper class `name` (its source from a kind's torch_helpers/keras_helpers) once."""
        self.helpers.setdefault(name, source_of[name])

    def saved_tensor(self, name: str) -> str:
        """The variable holding the tensor saved as `name` ('save NAME', 'input S as NAME'): a kind that reads
        a saved tensor (attention's context=) asks it here."""
        from ..layers.tensors import NamedTensorSpec
        return NamedTensorSpec.saved(self)[name]

    def unsupported(self, what: str):
        return unsupported(what, self.framework)

    def name(self, row) -> str:
        return self.plan.name(row)

    def fresh(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def spec(self, row):
        """The leaf's spec, once the kind says it can be written and the framework's limits allow it."""
        spec = spec_for(row)
        reason = spec.unsupported_reason(self.capability)
        if reason:
            raise DefinitionError(f"{row.kind} cannot be written as {self.framework}: {reason}")
        problem = spec.framework_problem(row.config, row.input_shape, KERAS if self.capability == "emit_keras"
                                         else PYTORCH)
        if problem:
            raise DefinitionError(problem)
        return spec


def _under(rows):
    for row in rows:
        yield row
        yield from _under(row.children)


def write_experts(writer, row, write_body) -> list:
    """A mixture of experts' body written once per expert and shared expert by `write_body()` (which returns
    its output variable), all computed densely: the first expert's layers keep the rows' names (so check
    compares them, one expert's count each), the others get '_expert<k>' / '_shared<k>' names."""
    cfg, ident = row.config, writer.plan.ident
    rows = list(_under(row.children[1].children))
    outs = [write_body()]
    first = {id(r): writer.layer_of.get(id(r)) for r in rows}
    taken = set(ident.values())
    for suffix in [f"expert{k}" for k in range(1, int(cfg.experts))] + [f"shared{k}" for k in range(int(cfg.shared))]:
        before = {id(r): ident[id(r)] for r in rows if id(r) in ident}
        for key, name in before.items():
            new = f"{name}_{suffix}"
            while new in taken:
                new += "_"
            taken.add(new)
            ident[key] = new
        outs.append(write_body())
        ident.update(before)
    writer.layer_of.update({key: name for key, name in first.items() if name is not None})
    return outs


def token_input(plan: Plan, row=None) -> bool:
    """Whether the input `row` (the first when None) holds token ids: a vector the layer after it reads
    as tokens (an embedding)."""
    rows = plan.leaves
    at = 0 if row is None else next(k for k, r in enumerate(rows) if r is row)
    return at + 1 < len(rows) and len(rows[at].output_shape) == 1 and spec_for(rows[at + 1]).reads_tokens


def inputs(plan: Plan) -> list:
    """The model's inputs in the network's order (the first, then each 'input S as NAME'), each as
    (row, argument name): the first input is x unless it is named, a named one takes its name (its plan
    identifier). Two inputs of one name (an 'input ... as NAME' in a repeat, unrolled) are refused: each
    pass would need a tensor of its own, which the file does not say."""
    out, seen = [], {}
    for row in plan.leaves:
        if row.kind != "input":
            continue
        alias = row.config.get("alias") if row.config else None
        if alias is not None and alias in seen:
            raise DefinitionError(f"input ... as {alias} (line {row.line}) is reached more than once (inside a "
                                  "repeat?): an exported model takes each input once, so each needs a name "
                                  "of its own")
        seen[alias] = row
        out.append((row, plan.name(row) if alias is not None or out else "x"))
    return out


def unsupported(what: str, framework: str):
    return DefinitionError(f"{what} has no {framework} counterpart that symparams can export")


def need(module: str, extra: str):
    """Import a framework, or raise the one-line error naming the pip extra."""
    import importlib
    import os
    from ..errors import MissingDependencyError, install_command
    if module == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"{module} is not installed; install it with: {install_command(extra)}"
                                     ) from None


def check_target(name: str) -> str:
    if name not in (KERAS, PYTORCH):
        raise UsageError(f"unknown framework '{name}'; use pytorch or keras")
    return name


def frozen_weights(row, convention: str, framework: str) -> tuple:
    """The names `convention` gives the weights `row` says frozen=, or a refusal naming the layer."""
    names = frozen_in(row, convention)
    if names is None:
        raise DefinitionError(f"{row.name} (line {row.line}): frozen= on {row.kind} names weights {framework} lays "
                              "out differently (write the file in that framework's convention, or trainable=false)")
    return names
