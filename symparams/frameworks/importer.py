"""DSL text from a PyTorch module or a Keras model.

Both frameworks are read as a graph of layers and merges (add, concatenate); the graph is
folded back into symparams' composition forms: a fork whose paths meet again in an add is
a `residual` (or `add`), in a concatenation a `concat`. Sequential models, and every form
the exporters write, come back as the same network (same per-layer counts and shapes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import DefinitionError, UsageError
from ..layers.base import kinds
from .plan import need

# the walker's own wrappers (a kind's helper classes are LayerSpec.torch_helpers)
LAYOUT_WRAPPERS = ("ChannelsFirst", "ChannelsLast")


@dataclass
class Node:
    key: object
    op: str                      # 'layer', 'add', 'concat'
    inputs: list = field(default_factory=list)
    line: str = ""


class _Numbers:
    """Writes numbers, turning the chosen kinds into symbols (generalize={'filters': 'f'})."""

    def __init__(self, generalize):
        self.generalize = dict(generalize or {})
        self.base: dict[str, int] = {}

    def __call__(self, kind: str, value) -> str:
        value = int(value)
        symbol = self.generalize.get(kind)
        if symbol is None:
            return str(value)
        base = self.base.setdefault(kind, value)
        if value == base:
            return symbol
        if value % base == 0:
            return f"{value // base}*{symbol}"
        if base % value == 0:
            return f"{symbol}/{base // value}"
        return str(value)

    def lets(self) -> list[str]:
        out = []
        for kind, symbol in self.generalize.items():
            if kind in self.base:
                out.append(f"let {symbol} = {self.base[kind]}")
        return out


def _name(text: str) -> str:
    word = re.sub(r"\W", "_", str(text)).strip("_") or "layer"
    return word if not word[0].isdigit() else "layer_" + word


def _unique(name: str, taken: set) -> str:
    """A module called twice (a shared nn.ReLU) gives rows relu, relu_2, ..."""
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def _shape_text(shape, numbers=None) -> str:
    parts = []
    for k, d in enumerate(shape):
        spatial = len(shape) > 1 and k < len(shape) - 1
        parts.append(numbers("input", d) if numbers is not None and spatial else str(int(d)))
    return " x ".join(parts)


# ----------------------------------------------------------------------------- graph -> DSL

class _Folder:
    def __init__(self, nodes: dict, order: list):
        self.nodes = nodes
        self.order = order
        self.position = {k: i for i, k in enumerate(order)}
        self.users: dict = {k: [] for k in order}
        for k in order:
            for i in nodes[k].inputs:
                if k not in self.users[i]:
                    self.users[i].append(k)

    def descendants(self, v, allowed) -> set:
        seen, stack = set(), [v]
        while stack:
            for u in self.users[stack.pop()]:
                if u in allowed and u not in seen:
                    seen.add(u)
                    stack.append(u)
        return seen

    def ancestors(self, v) -> set:
        seen, stack = {v}, [v]
        while stack:
            for i in self.nodes[stack.pop()].inputs:
                if i not in seen:
                    seen.add(i)
                    stack.append(i)
        return seen

    def reaches(self, v, end, allowed, removed) -> bool:
        seen, stack = {v}, [v]
        while stack:
            x = stack.pop()
            if x == end:
                return True
            for u in self.users[x]:
                if u in allowed and u != removed and u not in seen:
                    seen.add(u)
                    stack.append(u)
        return False

    def join(self, v, end, allowed):
        """The nearest node every path from v to end passes through."""
        below = sorted(self.descendants(v, allowed), key=self.position.get)
        for c in below:
            if c == end or not self.reaches(v, end, allowed, c):
                return c
        raise DefinitionError("cannot read the model's graph as layers and merges")

    def chain(self, start, end, allowed, indent="") -> list[str]:
        out, v = [], start
        while v != end:
            users = [u for u in self.users[v] if u in allowed]
            if len(users) == 1 and self.nodes[users[0]].op == "layer":
                v = users[0]
                out.append(indent + self.nodes[v].line)
                continue
            m = self.join(v, end, allowed)
            below = self.descendants(v, allowed)
            bodies = []
            for i in self.nodes[m].inputs:
                sub = (self.ancestors(i) & below) | {i}
                bodies.append(self.chain(v, i, sub, indent + "    "))
            out.append(self.merge(self.nodes[m].op, bodies, indent))
            v = m
        return out

    @staticmethod
    def merge(op, bodies, indent) -> str:
        if op == "add" and len(bodies) == 2 and not (not bodies[0] and not bodies[1]):
            body, short = bodies if bodies[0] else bodies[::-1]
            text = indent + "residual {\n" + "\n".join(body) + "\n" + indent + "}"
            if short:
                text += " shortcut {\n" + "\n".join(short) + "\n" + indent + "}"
            return text
        word = "add" if op == "add" else "concat"
        parts = [("{\n" + "\n".join(b) + "\n" + indent + "}") if b else "{ }" for b in bodies]
        return indent + word + " " + " ".join(parts)


def _fold(nodes: dict, order: list, input_key, output_key) -> list[str]:
    folder = _Folder(nodes, order)
    return folder.chain(input_key, output_key, set(order))


# ----------------------------------------------------------------------------- layers

@dataclass
class Reader:
    """What a kind's import_torch / import_keras may ask: the framework's nn (PyTorch), the number
    writer (generalize), the row's name (for messages) and a folded explicit padding (Keras)."""
    num: _Numbers
    name: str = ""
    nn: object = None
    padding: list | None = None

    @staticmethod
    def cls(obj) -> str:
        return type(obj).__name__

    @staticmethod
    def bias(layer) -> str:
        return "" if getattr(layer, "use_bias", True) else " bias=false"

    @staticmethod
    def activation(layer) -> str:
        from ..layers.core import ACTIVATION
        return ACTIVATION.keras_word(layer)


def _recognise(method: str, obj, reader: Reader) -> str | None:
    """The first kind that recognises `obj` (at most one should: tests/kinds/test_every_kind.py)."""
    for _, text in recognisers(method, obj, reader):
        return text
    return None


def recognisers(method: str, obj, reader: Reader):
    """(spec, DSL text) of every kind whose import_torch / import_keras recognises `obj`."""
    for spec in kinds():
        if spec.unsupported_reason(method):
            continue
        text = getattr(spec, method)(obj, reader)
        if text is not None:
            yield spec, text


# ----------------------------------------------------------------------------- PyTorch

def _torch_line(module, name: str, num: _Numbers) -> str:
    from ..layers.core import ACTIVATION
    nn = need("torch", "pytorch").nn
    cls = type(module).__name__
    if cls in LAYOUT_WRAPPERS:
        return _torch_line(module.module, name, num)
    reader = Reader(num, name, nn)
    if isinstance(module, nn.Sequential):
        parts = list(module)
        if len(parts) == 2 and ACTIVATION.torch_word(parts[1]) is not None:
            return _torch_line(parts[0], name, num).rsplit(" name=", 1)[0] + " " + ACTIVATION.torch_word(parts[1]) \
                + f" name={name}"
        text = _recognise("import_torch", module, reader)
        if text is None:
            raise DefinitionError(f"cannot read the nn.Sequential '{name}' as one layer")
        return text + f" name={name}"
    text = _recognise("import_torch", module, reader)
    if text is None:
        raise DefinitionError(f"symparams cannot read the PyTorch module '{name}' ({cls})")
    return text + f" name={name}"


def _torch_leaf(module) -> bool:
    """A module the tracer keeps whole: a helper class some kind writes, or a two-part nn.Sequential
    that is one layer (a layer and its activation, or a separable convolution)."""
    if type(module).__name__ in _helper_classes():
        return True
    nn = need("torch", "pytorch").nn
    if isinstance(module, nn.Sequential):
        parts = list(module)
        if len(parts) != 2:
            return False
        from ..layers.core import ACTIVATION
        if ACTIVATION.torch_word(parts[1]) is not None:
            return True
        return _recognise("import_torch", module, Reader(_Numbers(None), "", nn)) is not None
    return False


def _helper_classes() -> set:
    names = set(LAYOUT_WRAPPERS)
    for spec in kinds():
        names.update(spec.torch_helpers)
    return names


def from_torch(module, input_shape, generalize=None) -> str:
    """DSL text for a PyTorch module. `input_shape` is symparams' input (channels last, without
    the batch axis), as a tuple or text like '32x32x3'."""
    torch = need("torch", "pytorch")
    import operator
    from torch import fx, nn

    if isinstance(input_shape, str):
        shape = tuple(int(p) for p in input_shape.replace(" ", "").split("x"))
    else:
        shape = tuple(int(d) for d in input_shape)
    if not shape:
        raise UsageError("from_torch needs the input shape, e.g. (28, 28, 1)")

    # decided before tracing: torch.fx turns every parameter read during the trace into a graph node
    leaves = {id(m) for m in module.modules() if _torch_leaf(m)}

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return id(m) in leaves or super().is_leaf_module(m, qualname)

    try:
        graph = Tracer().trace(module)
    except Exception as exc:        # noqa: BLE001 - torch.fx raises many kinds
        raise DefinitionError(f"cannot trace the PyTorch module: {exc}") from None
    num = _Numbers(generalize)
    nodes, order = {}, []
    placeholder = output = None
    names: set[str] = set()
    functions = {torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh", torch.flatten: "flatten"}
    functions.update({getattr(torch.nn.functional, f): f for f in ("relu", "gelu", "silu", "elu", "selu", "mish",
                                                                  "softplus", "softsign")})
    methods = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "flatten": "flatten", "view": "flatten",
               "reshape": "flatten"}
    for node in graph.nodes:
        args = [a for a in _flat(node.args) if isinstance(a, fx.Node) and a in nodes]
        if node.op == "placeholder":
            placeholder = node
            nodes[node] = Node(node, "input")
        elif node.op == "call_method" and node.target == "size":
            continue                                # x.size(0) in x.view(x.size(0), -1)
        elif node.op == "call_module":
            sub = module.get_submodule(node.target)
            nodes[node] = Node(node, "layer", args[:1], _torch_line(sub, _unique(_name(node.target), names), num))
        elif node.op == "call_function" and node.target in (operator.add, operator.iadd, torch.add):
            nodes[node] = Node(node, "add", args)
        elif node.op == "call_function" and node.target in (torch.cat, torch.concat):
            nodes[node] = Node(node, "concat", args)
        elif (node.op == "call_function" and node.target in functions) or (
                node.op == "call_method" and node.target in methods):
            word = functions[node.target] if node.op == "call_function" else methods[node.target]
            nodes[node] = Node(node, "layer", args[:1], f"{word} name={_unique(_name(node.name), names)}")
        elif node.op == "output":
            output = args[0]
            continue
        else:
            raise DefinitionError(f"symparams cannot read the operation {node.op} {node.target} of the module")
        order.append(node)
    body = _fold(nodes, order, placeholder, output)
    head = num.lets() + [f"input {_shape_text(shape, num)}"]
    return "\n".join(head + body) + "\n"


def _flat(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _flat(a)
        else:
            yield a


# ----------------------------------------------------------------------------- Keras

def _symmetric(padding) -> bool:
    pads = padding if isinstance(padding[0], (tuple, list)) else (padding,)
    return all(isinstance(p, int) or p[0] == p[1] for p in pads)


def _keras_line(layer, name, num, padding=None) -> str:
    text = _recognise("import_keras", layer, Reader(num, name, padding=padding))
    if text is None:
        raise DefinitionError(f"symparams cannot read the Keras layer '{name}' ({type(layer).__name__})")
    return text + f" name={name}"


def _pad_folds() -> set:
    """Keras classes an exported explicit padding (a ZeroPadding named <layer>_pad) folds back into."""
    return {cls for spec in kinds() for cls in spec.keras_pad_folds}


def from_keras(model, generalize=None) -> str:
    """DSL text for a Keras model (Sequential or functional)."""
    need("keras", "keras")
    num = _Numbers(generalize)
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 1:
        raise DefinitionError("symparams reads Keras models with exactly one input")
    shape = tuple(inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise DefinitionError("the Keras model's input shape has unknown sizes; give keras.Input(shape=...) numbers")
    producer = {}
    nodes, order = {}, []
    start = ("input",)
    nodes[start] = Node(start, "input")
    order.append(start)
    producer[id(inputs[0])] = start
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    pads = {}
    by_name = {layer.name: layer for layer in layers}
    for layer in layers:
        cls = type(layer).__name__
        node = layer._inbound_nodes[0]
        tensors = list(node.input_tensors)
        keys = []
        for t in tensors:
            key = producer.get(id(t))
            if key is None:
                raise DefinitionError(f"cannot follow the input of the Keras layer '{layer.name}'")
            if key not in keys or cls in ("Add", "Concatenate"):
                keys.append(key)
        out = node.output_tensors[0]
        folded = by_name.get(layer.name[:-4]) if layer.name.endswith("_pad") else None
        if cls.startswith("ZeroPadding") and type(folded).__name__ in _pad_folds() and folded.padding == "valid" \
                and _symmetric(layer.padding):
            pads[layer.name[:-4]] = (layer, keys)
            producer[id(out)] = keys[0]            # folded into the convolution that follows
            continue
        key = (layer.name,)
        if cls == "Add":
            nodes[key] = Node(key, "add", keys)
        elif cls == "Concatenate":
            nodes[key] = Node(key, "concat", keys)
        else:
            padding = None
            if layer.name in pads:
                pad_layer, _ = pads[layer.name]
                padding = [p[0] for p in (pad_layer.padding if isinstance(pad_layer.padding[0], (tuple, list))
                                          else (pad_layer.padding,))]
            nodes[key] = Node(key, "layer", keys[:1], _keras_line(layer, _name(layer.name), num, padding))
        producer[id(out)] = key
        order.append(key)
    output = producer[id(model.outputs[0])]
    body = _fold(nodes, order, start, output)
    head = num.lets() + [f"input {_shape_text(shape, num)}"]
    return "\n".join(head + body) + "\n"
