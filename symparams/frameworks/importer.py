"""DSL text from a PyTorch module or a Keras model.

Both frameworks are read as a graph of layers and merges (add, concatenate); the graph is
folded back into symparams' composition forms: a fork whose paths meet again in an add is
a `residual` (or `add`), in a concatenation a `concat`. Sequential models, and every form
the exporters write, come back as the same network (same per-layer counts and shapes).
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import math
import re
from dataclasses import dataclass, field

from ..errors import DefinitionError, SymparamsError, UsageError
from ..layers.base import kinds
from ..layers.weightstd import is_timm_standardised
from .plan import need
from .pyramid import TokenMaps, is_map_unit, unit_line
from .timm_cnn import pads_same_in_forward, same_pads
from .torch_cells import cell_line, unroll_cells

# the walker's own wrappers (a kind's helper classes are LayerSpec.torch_helpers)
LAYOUT_WRAPPERS = ("ChannelsFirst", "ChannelsLast")


@dataclass
class Node:
    key: object
    op: str                      # 'layer', 'add', 'concat'
    inputs: list = field(default_factory=list)
    line: str = ""
    name: str = ""               # the row's name= (layers)
    module: object = None        # the framework's layer (compared with the row)
    broadcast: bool = False      # a sum whose operands' shapes differ: `add with NAME` broadcasts, `add { } { }`
                                 # and `residual` want equal shapes


class Numbers:
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
        if base % value == 0 and base // value <= 8:      # f/2, f/4; not 2 classes as f/32
            return f"{symbol}/{base // value}"
        return str(value)

    def lets(self) -> list[str]:
        out = []
        for kind, symbol in self.generalize.items():
            if kind in self.base:
                out.append(f"let {symbol} = {self.base[kind]}")
        return out


def identifier(text: str) -> str:
    """An ASCII identifier the DSL reads (a unicode or punctuated framework name is cleaned)."""
    word = re.sub(r"[^A-Za-z0-9_]", "_", str(text)).strip("_")[:64] or "layer"
    return word if not word[0].isdigit() else "layer_" + word


def unique_name(name: str, taken: set) -> str:
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
        self.emitted: list = []          # layers written, in order (one written twice: not series-parallel)
        self.calls = 0                   # chain() calls: a graph that is not series-parallel (DenseNet's
        self.budget = 4 * len(order) + 16   # concatenations of every earlier feature) would recurse exponentially
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
        self.calls += 1
        if self.calls > self.budget or len(self.emitted) > len(self.order):
            raise DefinitionError("the model's graph is not series-parallel")     # written with named tensors
        out, v = [], start
        while v != end:
            users = [u for u in self.users[v] if u in allowed]
            if len(users) == 1 and self.nodes[users[0]].op == "layer":
                v = users[0]
                out.append(indent + self.nodes[v].line.replace("\n", "\n" + indent))   # a module read as several lines
                self.emitted.append(v)
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
        # a sum of two paths: a residual when the first is the longer (the exporters write the body
        # first) or one is empty; else 'add' keeps the operands' order (the layers' order in the file)
        if op == "add" and len(bodies) == 2 and (bool(bodies[0]) != bool(bodies[1])
                                                 or bodies[0] and len(bodies[0]) >= len(bodies[1])):
            body, short = bodies if len(bodies[0]) >= len(bodies[1]) else bodies[::-1]
            text = indent + "residual {\n" + "\n".join(body) + "\n" + indent + "}"
            if short:
                text += " shortcut {\n" + "\n".join(short) + "\n" + indent + "}"
            return text
        word = op
        parts = [("{\n" + "\n".join(b) + "\n" + indent + "}") if b else "{ }" for b in bodies]
        return indent + word + " " + " ".join(parts)


def fold_graph(nodes: dict, order: list, input_key, output_key) -> list[str]:
    """The graph as composition forms (residual, concat, add, mul) where it is series-parallel,
    else in order with named tensors (save / use / add with / concat with / mul with)."""
    folder = _Folder(nodes, order)
    needed = folder.ancestors(output_key)
    # 'concat with NAME crop' has no branch form; a second input (forward's other tensor arguments) starts a
    # path of its own, which the branch forms (one input, one output) do not have
    # a difference ('sub with NAME') and a sum that broadcasts (x + a 1 x 1 x C context) have the named form only
    if any(nodes[k].op in ("crop", "sub") or nodes[k].broadcast or nodes[k].op == "input" and k != input_key
           or nodes[k].op == "layer" and len(nodes[k].inputs) > 1 for k in needed):
        seq = [k for k in order if k in needed]
        for k in [k for k in seq if nodes[k].op == "input" and k != input_key]:
            seq.remove(k)           # written where it is first read, not where forward lists it
            seq.insert(min(seq.index(u) for u in folder.users[k] if u in seq), k)
        return _named(nodes, seq, input_key)
    layers = [k for k in order if k in needed and nodes[k].op == "layer"]
    try:
        body = folder.chain(input_key, output_key, set(order))
    except DefinitionError:
        body = None
    if body is not None and sorted(map(order.index, folder.emitted)) == sorted(map(order.index, layers)):
        return body
    return _named(nodes, [k for k in order if k in needed], input_key)


def _named(nodes: dict, seq: list, start) -> list[str]:
    """Each node in order; a tensor read later than right after it is saved under its layer's name
    and brought back with `use`, a merge's other operands are read `with` their names (a centre
    crop of one: `concat with NAME crop`)."""
    def source(i):
        return nodes[i].inputs[0] if nodes[i].op == "crop" else i

    seq = [k for k in seq if nodes[k].op != "crop"]
    prev = {k: (seq[i - 1] if i else None) for i, k in enumerate(seq)}
    primary = {}
    for k in seq:
        plain = [i for i in nodes[k].inputs if nodes[i].op != "crop"]
        if nodes[k].inputs:
            if not plain:
                raise DefinitionError("a merge of cropped tensors only has no symparams form")
            # a layer continues from its first operand (an attention's queries; its context is read by name), a
            # difference from the tensor the other is taken from, a concatenation from its first part (the order
            # of its channels)
            primary[k] = plain[0] if nodes[k].op in ("layer", "sub", "concat") or prev[k] not in plain else prev[k]
    named = set()
    for k in seq:
        ins = nodes[k].inputs
        for i in ins:
            # a merge of a tensor with itself (x - x, x + x) reads it `with` its name too
            if i != primary.get(k) or prev[k] != i or (nodes[k].op != "layer" and ins.count(i) > 1):
                named.add(source(i))
    # another input of forward is saved under its own name by its line ('input S as NAME')
    extra = {k for k in seq if nodes[k].op == "input" and k != start}
    taken = {nodes[k].name for k in extra}
    label = {k: nodes[k].name for k in extra}
    for k in seq:
        if k in named and k not in extra:
            base = "t_" + (nodes[k].name or ("input" if k == start else "merge"))
            label[k] = unique_name(base, taken)
    out = []
    if start in named:
        out.append(f"save {label[start]}")
    for k in seq:
        node = nodes[k]
        if k == start:
            continue
        if k in extra:
            out.append(node.line)           # the current tensor from here on
            continue
        if prev[k] != primary[k]:
            out.append(f"use {label[primary[k]]}")
        if node.op == "layer":
            # a second operand of a layer is its context (cross-attention), read by its saved name
            # (a conditional convolution's second operand is its routing weights)
            word = "routing" if node.line.startswith("condconv ") else "context"
            out.append(node.line + "".join(f" {word}={label[source(i)]}" for i in node.inputs
                                           if i != primary[k]))
        else:
            for other in [i for i in node.inputs if i != primary[k]] or [primary[k]]:
                cropped = nodes[other].op == "crop"
                if cropped and node.op != "concat":
                    raise DefinitionError(f"a cropped tensor is {node.op}ed; symparams crops only in "
                                          "'concat with NAME crop'")
                out.append(f"{node.op} with {label[source(other)]}" + (" crop" if cropped else ""))
        if k in named:
            out.append(f"save {label[k]}")
    return out


# ----------------------------------------------------------------------------- layers

@dataclass
class Reader:
    """What a kind's import_torch / import_keras may ask: the framework's nn (PyTorch), the number
    writer (generalize), the row's name (for messages) and a folded explicit padding (Keras)."""
    num: Numbers
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

# modules that are the identity when the model is evaluated (random only while training), without weights:
# torchvision's StochasticDepth, timm's DropPath; counts and shapes are those of their input
_IDENTITY_MODULES = ("StochasticDepth", "DropPath", "DropBlock2d")


def _torch_line(module, name: str, num: Numbers) -> str:
    from ..layers.core import ACTIVATION
    nn = need("torch", "pytorch").nn
    cls = type(module).__name__
    if cls in LAYOUT_WRAPPERS:
        return _torch_line(module.module, name, num)
    if cls in _IDENTITY_MODULES and not any(True for _ in module.parameters()):
        return f"identity name={name}"
    reader = Reader(num, name, nn)
    if isinstance(module, nn.Sequential):
        parts = list(module)
        # a layer and its activation, fused: an activation with an option of its own (a LeakyReLU's slope) is no word
        if len(parts) == 2 and ACTIVATION.torch_word(parts[1]) is not None and not ACTIVATION.slope_option(parts[1]):
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


def _with_option(line: str, option: str) -> str:
    """`option` added to a layer line, before its name= (the last option written)."""
    head, sep, name = line.rpartition(" name=")
    return f"{head} {option}{sep}{name}" if sep else f"{line} {option}"


def _frozen_torch(line: str, module, name: str) -> str:
    """A module whose parameters all have requires_grad=False is `trainable=false`; one with some of each is
    `frozen=NAME` / `frozen=(A, B)` naming the frozen ones (read back against the layer's PyTorch weight names,
    and the import's totals compared with the module's), refused when it reads as several lines."""
    flags = {p.requires_grad for p in module.parameters()}
    if flags == {False} and "\n" in line:
        raise DefinitionError(f"the module '{name}' ({type(module).__name__}) is frozen and reads as several layers; "
                              "symparams freezes one layer line at a time")
    if flags == {False}:
        return _with_option(line, "trainable=false")
    if len(flags) == 2:
        frozen = [n for n, p in module.named_parameters() if not p.requires_grad]
        leaves = _own_names(module, frozen)
        if _is_cell(module) or _is_cell(getattr(module, "cell", None)):
            leaves = [n + "_l0" for n in leaves]    # a cell's weight_ih is its layer's weight_ih_l0 (torch_cells.py)
        weights = _torch_line_weights(line, module) if "\n" not in line else None
        if weights is not None and not set(leaves) <= set(weights):
            leaves = _as_line_weights(module, weights) or leaves
        if "\n" in line or len(set(leaves)) != len(leaves):
            raise DefinitionError(f"the module '{name}' ({type(module).__name__}) has some parameters frozen "
                                  f"({', '.join(frozen)[:120]}) and others trained, and reads as several layers; "
                                  "symparams writes frozen= on one layer line")
        if any("." in leaf for leaf in leaves):     # nn.MultiheadAttention's out_proj.weight: quoted, as written
            return _with_option(line, f'frozen="{", ".join(leaves)}"')
        return _with_option(line, f"frozen={leaves[0]}" if len(leaves) == 1 else f"frozen=({', '.join(leaves)})")
    return line


def _torch_line_weights(line: str, module) -> list[str] | None:
    """The names of the trained weights of the layer `line` in their order, or None. A weight's name does not hang on
    the input's sizes, only on its rank: the line is read on a map, a sequence, a vector and a volume of sizes most
    options divide, and the first reading with as many weights as the module has parameters is taken."""
    from ..engine.network import parse
    from ..errors import SymparamsError
    count = sum(1 for _ in module.parameters())
    for shape in ("64 x 64 x 840", "64 x 840", "840", "16 x 16 x 16 x 840"):
        try:
            net = parse(f"input {shape}\n{line}", convention="pytorch")
        except SymparamsError:
            continue
        names = [w.name for row in net.leaves() for w in row.weights if not w.buffer]
        if len(names) == count:
            return names
    return None


def _as_line_weights(module, weights: list[str]) -> list[str] | None:
    """The frozen parameters of `module` by the line's weight names `weights`, where the module names them
    otherwise: the one weight each parameter's dotted name ends with (a wrapper's module.conv.weight is weight;
    weight_norm's parametrizations.weight.original0 and original1 are weight_g and weight_v), else, for an
    nn.Sequential of parts (a separable convolution's two Conv2d: 0.weight, 1.weight), the line's weights paired with
    its parameters in order, as the export's freeze() pairs them. None when neither says."""
    params = [(n.replace("parametrizations.weight.original0", "weight_g")
               .replace("parametrizations.weight.original1", "weight_v"), p) for n, p in module.named_parameters()]
    out = []
    for n, p in params:
        hits = [w for w in weights if n == w or n.endswith("." + w)]
        if len(hits) != 1:
            break
        if not p.requires_grad:
            out.append(hits[0])
    else:
        if len(set(out)) == len(out):
            return out
    parts = [n for n, _ in params]
    while parts and all("." in n for n in parts) and len({n.split(".", 1)[0] for n in parts}) == 1:
        parts = [n.split(".", 1)[1] for n in parts]         # a wrapper's one child (a layer and its activation)
    if len(parts) == len(weights) and all(n.split(".", 1)[0].isdigit() for n in parts):
        return [w for w, (_, p) in zip(weights, params) if not p.requires_grad]
    return None


def _own_names(module, names: list[str]) -> list[str]:
    """The frozen parameters by the names the layer line's own module gives them: a helper module wrapping one
    nn.LSTM (rnn.weight_ih_l0) drops its one child's prefix; a module holding weights of its own and in children
    (nn.MultiheadAttention: in_proj_weight beside out_proj.weight) keeps its full names."""
    every, names = [n for n, _ in module.named_parameters()], list(names)
    while every and all("." in n for n in every) and len({n.split(".", 1)[0] for n in every}) == 1:
        every, names = [n.split(".", 1)[1] for n in every], [n.split(".", 1)[1] for n in names]
    # a two-part nn.Sequential read as one layer (a layer and its activation, a separable convolution): its
    # position is no name of the layer's (1.bias is the line's bias), where the rest names one parameter alone
    tails = [n.split(".", 1)[1] if n.split(".", 1)[0].isdigit() and "." in n else n for n in every]
    return [tails[every.index(n)] if tails.count(tails[every.index(n)]) == 1 else n for n in names]


def _is_cell(module) -> bool:
    """An nn.LSTMCell/GRUCell/RNNCell (its weights named without the layer index nn.LSTM's have)."""
    cells = getattr(need("torch", "pytorch").nn, "RNNCellBase")
    return isinstance(module, cells)


def _torch_leaf(module) -> bool:
    """A module the tracer keeps whole: a helper class some kind writes, or a two-part nn.Sequential
    that is one layer (a layer and its activation, or a separable convolution)."""
    if type(module).__name__ in _helper_classes():
        return True
    if type(module).__name__ in _IDENTITY_MODULES:      # not traced into: in training mode they draw at random
        return True
    nn = need("torch", "pytorch").nn
    if _is_timm_eca(module):
        return True                 # timm's ECA gate: its forward views the pooled channels as a 1-D signal
    if _is_timm_frn_act(module) or _other_timm_evonorm(module):
        return True                 # timm's FilterResponseNormAct2d: its norm computed in forward, then its act
    if _is_timm_global_context(module):
        return True                 # timm's GlobalContext (GCNet): reshapes the map to its positions in forward
    if _is_timm_split(module):
        return True                 # timm's SplitAttn / SelectiveKernel: reshapes and stacks its paths in forward
    if _is_timm_space_to_depth(module):
        return True                 # timm's SpaceToDepth (TResNet's stem): view, permute, view of the whole map
    if is_timm_standardised(module):
        return True                 # timm's StdConv2d / ScaledStdConv2d: conv weight_std=, its forward reads self.weight
    if pads_same_in_forward(module):
        return True                 # timm's Conv2dSame and kin: padding computed from the input's size in Python
    if _timm_norm_act(module) is not None:
        return True                 # timm's BatchNormAct2d: its forward copies F.batch_norm with self.weight
    if type(module) is not nn.Linear and isinstance(module, nn.Linear) and type(module).__module__.startswith("timm."):
        return True                 # timm's Linear (MobileNetV3's head): nn.Linear whose forward calls F.linear
    if isinstance(module, nn.LayerNorm) and type(module).__name__ == "LayerNorm2d":
        # torchvision's and timm's LayerNorm2d: an nn.LayerNorm over the channels of a channels-first map
        # (permute, layer_norm, permute back), symparams' layernorm on its channels-last map
        return True
    if isinstance(module, nn.GroupNorm) and type(module).__module__.startswith("timm."):
        # timm's GroupNorm and GroupNorm1 (its _gn ResNets, PoolFormer): nn.GroupNorm with a forward of its own
        # that calls F.group_norm with self.weight; the same layer
        return True
    if isinstance(module, nn.LayerNorm) and type(module).__module__.startswith("timm."):
        # timm's LayerNorm: nn.LayerNorm with its own forward (a fast path chosen at run time), the same layer
        return True
    if _timm_attention(module) is not None or _is_maxvit_partition(module) or _timm_swin_unit(module) or \
            _is_timm_attention_pool(module) or _is_eva_attention(module) or _is_timm_partition(module) or \
            _is_timm_attention_rope(module) or _timm_unread_attention(module) is not None or \
            _is_class_block(module) or \
            _timm_rmsnorm(module) is not None:
        return True
    if is_map_unit(module):
        return True                 # PVT-v2's and Twins' attentions: they take a map's tokens and its sizes
    if isinstance(module, nn.Sequential):
        parts = list(module)
        if len(parts) != 2:
            return False
        from ..layers.core import ACTIVATION
        if ACTIVATION.torch_word(parts[1]) is not None and not ACTIVATION.slope_option(parts[1]):
            # a layer and its activation (one with a slope of its own is traced into: two lines); a first part that is itself several layers (StarNet's stem:
            # Sequential(ConvBN(conv, bn), ReLU6)) is traced into instead
            return not isinstance(parts[0], nn.Sequential) or \
                _recognise("import_torch", parts[0], Reader(Numbers(None), "", nn)) is not None
        return _recognise("import_torch", module, Reader(Numbers(None), "", nn)) is not None
    return False


def _helper_classes() -> set:
    names = set(LAYOUT_WRAPPERS)
    for spec in kinds():
        names.update(spec.torch_helpers)
    return names | _unit_classes()


def _unit_classes() -> set:
    """Framework modules a kind reads whole (LayerSpec.torch_leaves: torchvision's ShiftedWindowAttention), kept
    whole by the tracer; they take and give channels-last maps, so they are read between a permute to channels
    last and back."""
    return {name for spec in kinds() for name in getattr(spec, "torch_leaves", ())}


def input_shape_of(value, what="from_torch") -> tuple[int, ...]:
    """A channels-last input shape from a tuple of ints or text like '32x32x3' (a clear error otherwise)."""
    parts = value.replace(" ", "").split("x") if isinstance(value, str) else value
    try:
        parts = list(parts)
    except TypeError:
        parts = None
    if not parts or not all(isinstance(p, int) and not isinstance(p, bool) and p > 0 or
                            isinstance(p, str) and p.isascii() and p.isdigit() and 0 < len(p) < 10 and int(p) > 0
                            for p in parts):
        raise UsageError(f"{what} needs the input shape as positive whole numbers, channels last, e.g. (28, 28, 1) "
                         f"or '28x28x1'; got {str(value)[:80]!r}")
    return tuple(int(p) for p in parts)


def input_shapes_of(value, what="from_torch") -> list[tuple[int, ...]]:
    """One shape per input of forward, in its order: a shape as input_shape_of reads it ((28, 28, 1),
    '28x28x1'), or several — text with commas ('300,300', '88x88x1,88x88x1', as torchinfo's input_size
    list) or a list of shapes ([(300,), (300,)], ['88x88x1', '88x88x1']). A list of digit strings
    (('28', '28', '1')) stays one shape, as before."""
    if isinstance(value, str):
        pieces = [p.strip() for p in value.split(",")]
        return [input_shape_of(p, what) for p in pieces] if len(pieces) > 1 else [input_shape_of(value, what)]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple, str)) for v in value) \
            and not all(isinstance(v, str) and v.strip().isdigit() for v in value):
        out = []
        for v in value:
            out += input_shapes_of(v, what) if isinstance(v, str) else [input_shape_of(v, what)]
        return out
    return [input_shape_of(value, what)]


def from_torch(module, input_shape, generalize=None) -> str:
    """DSL text for a PyTorch module. `input_shape` is symparams' input (channels last, without
    the batch axis), as a tuple or text like '32x32x3'; for a forward with several tensor arguments,
    one shape per argument in forward's order (a list of shapes, or text with commas: '300,300'). The
    module is run once on zeros of those shapes (channels first) so each layer's shape can be compared
    with the network written. Each argument after the first is written `input S as NAME` with its name."""
    torch = need("torch", "pytorch")
    import operator
    from torch import fx

    given = input_shapes_of(input_shape)
    shape = given[0]
    if not isinstance(module, torch.nn.Module):
        raise UsageError(f"from_torch needs an nn.Module, got a {type(module).__name__}")

    if not isinstance(module, torch.nn.Sequential) and \
            _recognise("import_torch", module, Reader(Numbers(None), "", torch.nn)):
        # a bare layer as the whole model (nn.Linear(4, 3)): fx would trace into its F.linear; read it as one layer
        module = torch.nn.Sequential(module)
    # decided before tracing: torch.fx turns every parameter read during the trace into a graph node
    leaves = {id(m) for m in module.modules() if _torch_leaf(m)}

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            return id(m) in leaves or super().is_leaf_module(m, qualname)

    # traced as evaluated: a forward that branches on self.training (GoogLeNet's and Inception-v3's auxiliary
    # classifiers, their named-tuple outputs) gives its inference graph; parameters only training reads are
    # counted as unused ones, as PyTorch counts them
    modes = {m: m.training for m in module.modules()}
    module.eval()
    fixed = _defaulted_arguments(module)
    try:
        with _traced_factories(torch):
            graph = Tracer().trace(module, concrete_args=fixed)
    except Exception as exc:        # noqa: BLE001 - torch.fx raises many kinds
        # a forward that branches on its input's size (timm's VGG head: `if x.shape[-2] < 7`) traces with the
        # sizes known: at the import's input size they are numbers (frameworks/timm_cnn.py)
        graph = _trace_at_size(module, leaves, given, torch)
        if graph is None:
            raise DefinitionError(f"cannot trace the PyTorch module: {str(exc).splitlines()[0][:300]}") from None
    finally:
        for m, training in modes.items():
            m.training = training
    arguments = _forward_inputs(module, graph, fixed, given)
    shapes = _torch_shapes(module, graph, shape, [given[k] for k in range(len(arguments))])
    # a cell stepped over a sequence's time axis (LSTMCell, GRUCell, RNNCell): one call on the whole sequence
    unroll_cells(graph, module, shapes, lambda n: _made_by_forward(n, torch), torch)
    num = Numbers(generalize)
    nodes, order = {}, []
    placeholder = output = None
    names: set[str] = set()
    functions = {torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh", torch.flatten: "flatten",
                 torch.relu_: "relu", torch.sigmoid_: "sigmoid", torch.tanh_: "tanh"}
    functional = torch.nn.functional
    functions.update({getattr(functional, f): f for f in ("relu", "gelu", "silu", "elu", "selu", "mish",
                                                          "softplus", "softsign", "relu6", "hardswish",
                                                          "hardsigmoid")})
    functions.update({functional.relu_: "relu", functional.elu_: "elu", functional.hardswish: "hard_swish",
                      functional.hardsigmoid: "hard_sigmoid"})
    methods = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "flatten": "flatten", "view": "flatten",
               "reshape": "flatten", "relu_": "relu", "sigmoid_": "sigmoid", "tanh_": "tanh"}
    identities = _identity_functions(torch)
    pools = _functional_pools(torch)
    functions.update({functional.softmax: "softmax", functional.log_softmax: "log_softmax", torch.softmax: "softmax",
                      torch.log_softmax: "log_softmax", torch.abs: "abs", torch.abs_: "abs"})
    methods.update({"softmax": "softmax", "log_softmax": "log_softmax", "abs": "abs", "abs_": "abs"})
    scalars: set = set()    # sizes read off tensors (x.size(), x.shape) and arithmetic on them: no layers
    pieces: dict = {}       # a chunk/split node -> (its input, the channel counts of its pieces)
    shuffling: dict = {}    # the steps of view -> transpose -> view (a channel shuffle) -> (input, groups, transposed)
    live = _live(graph)     # the nodes the output depends on (fx keeps calls whose results are overwritten)
    rope_side = _rope_side(graph, module)   # EVA's rotary tables: computed from buffers for its attention only
    pending: dict = {}      # ViT's steps under way: a (b, C, H*W) reshape awaiting its transpose, a class token's expand
    channels_last: set = set()  # nodes between x.permute(0, 2, 3, 1) and its permute back: already symparams' layout
    calls: dict = {}        # id(module) -> its live calls (a weighted module called again: reuse=)
    plain: dict = {}        # such a call's line before trainable= / reuse=
    alias: dict = {}        # a node that is its input again (a cat of one tensor, an inference-time identity)
    unpooling: dict = {}    # the indices of a max pool with return_indices=True -> that pool's node
    states: dict = {}       # a recurrent layer's returned state (or its h, c) -> (that layer's call, what it is)
    made: set = set()       # tensors forward makes (torch.zeros/randn of a size read off x): no layer, no weight
    merges = {operator.add: "add", operator.iadd: "add", torch.add: "add", torch.cat: "concat", torch.concat: "concat",
              operator.mul: "mul", operator.imul: "mul", torch.mul: "mul",
              operator.sub: "sub", operator.isub: "sub", torch.sub: "sub"}
    stacked: dict = {}      # a node after a cat on the batch axis -> k, the tensors stacked (its batch is k times)
    maps = TokenMaps(module, shapes)    # a map's positions as B x N x C tokens (PVT-v2, Twins): the map itself
    for node in graph.nodes:
        args = [alias.get(a, a) for a in _flat(node.args) if isinstance(a, fx.Node) and alias.get(a, a) in nodes]
        if node.op in ("call_function", "call_method") and node not in live:
            continue                        # a result forward throws away (attention's weights in x, _ = ...)
        if node in rope_side:
            continue                        # rotary embeddings made from buffers, read by an attention read whole
        if _summed_stack(node, shapes, torch) is not None:
            continue                        # torch.stack([a, b, ...]) summed at once: read at the sum (below)
        stacked_parts = _summed_stack(node.args[0], shapes, torch) if _sums_first_axis(node, torch) else None
        if stacked_parts is not None:
            # torch.stack([a, b, ...]).sum(dim=0) (timm's parallel blocks): the branches added, a + b + ...
            nodes[node] = Node(node, "add", [alias.get(a, a) for a in stacked_parts])
            order.append(node)
            continue
        if maps.step(node, node.args[0] if node.args and isinstance(node.args[0], fx.Node) else None, alias,
                     channels_last, scalars):
            continue                        # between a map and its tokens, or a size read off either
        for a in args:
            if a in stacked:
                stacked[node] = stacked[a]
        if _made_tensor(node, made, torch):
            made.add(node)                  # torch.zeros(n, x.size(0), h): a value of no layer (an initial state)
            continue
        if node in live:
            _torch_made_problem(node, made, module, torch)
        vit = _torch_vit_step(node, shapes, module, torch, pending)
        if vit is not None:
            kind, value = vit
            if kind == "skip":
                continue
            if kind == "alias":
                alias[node] = alias.get(value, value)
                continue
            line, source = value              # ('layer', (line, input node))
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", [alias.get(source, source)], f"{line} name={name}", name)
            order.append(node)
            continue
        merging = _torch_patch_merging(node, shapes, channels_last)
        if merging is not None:
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"{merging} name={name}", name)
            order.append(node)
            channels_last.add(node)
            continue
        turn = _torch_permute(node, shapes, torch)
        inputs = [a for a in _flat(list(node.args) + list(node.kwargs.values())) if isinstance(a, fx.Node)]
        if turn == "to_last" and not any(a in channels_last for a in inputs):
            alias[node] = args[0]           # NCHW -> NHWC: symparams' own layout (ConvNeXt's block)
            channels_last.add(node)
            continue
        if turn == "to_first" and inputs and inputs[0] in channels_last:
            alias[node] = args[0]           # and back
            continue
        pooled = _channels_last_pool(node, shapes, torch) if any(a in channels_last for a in inputs) else None
        if pooled is not None:
            word, keep = pooled
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"{word} name={name}", name)
            order.append(node)
            if keep:
                channels_last.add(node)     # B x 1 x 1 x C: still channels last
            continue
        if any(a in channels_last for a in inputs) and _size_of(node):
            channels_last.discard(node)     # B, H, W, C = x.shape of the channels-last map: sizes (read below)
        elif any(a in channels_last for a in inputs) and _channels_last_tokens(node, shapes):
            # x.view(B, -1, C) of a B x H x W x C map (timm's patch embedding with NHWC output, dynamic_img_size):
            # its positions as a sequence, which is symparams' own flatten of a channels-last map
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"reshape -1 x {shapes[node.name][-1]} name={name}", name)
            order.append(node)
            continue
        elif any(a in channels_last for a in inputs):
            _channels_last_problem(node, module, functional_names=(_ACTIVATION_WORDS, _matmul_weight))
            channels_last.add(node)
            maps.follow(node, inputs)
        reduction = _torch_reduction(node, shapes, torch)
        split = _torch_split(node, shapes, torch)
        if _torch_pool_indices(node, module, alias, unpooling, torch):
            continue                        # (pooled, indices) of a max pool: the map, and indices for a maxunpool
        if _torch_rnn_output(node, module, alias, live, states, nodes, torch):
            continue                        # output, state = self.lstm(x): the output sequence, or its last state
        if _torch_last_step(node, module, alias, live, nodes, torch):
            continue                        # out[:, -1, :]: the last step
        if _torch_both_ends(node, states, alias, nodes, torch):
            continue                        # torch.cat([h[-2], h[-1]], dim=1): a bidirectional layer's last state
        if node in live:
            _torch_state_problem(node, states)
        shuffle = _torch_shuffle_step(node, shapes, shuffling)
        if split is not None:
            pieces[node] = split            # torch.chunk / split on the channels: read through its getitems
            continue
        if node.op == "call_function" and node.target is operator.getitem and node.args[0] in pieces:
            source, parts = pieces[node.args[0]]
            index = node.args[1]
            if not isinstance(index, int) or not -len(parts) <= index < len(parts):
                raise DefinitionError(f"the operation '{node.name}' takes piece {index} of a channel split")
            index %= len(parts)
            start, size = sum(parts[:index]), parts[index]
            name = unique_name(identifier(node.name), names)
            line = f"slice {size}" + (f" start={start}" if start else "")
            nodes[node] = Node(node, "layer", [alias.get(source, source)], f"{line} name={name}", name)
            order.append(node)
            continue
        if shuffle is not None:
            kind, value = shuffle
            if kind == "step":
                shuffling[node] = value     # (source, groups, transposed): a channel shuffle under way
                continue
            source, groups = value
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", [alias.get(source, source)], f"shuffle {groups} name={name}", name)
            order.append(node)
            continue
        if node.op == "placeholder" and placeholder is not None and (node not in live or node not in arguments):
            continue                        # an argument fixed at its default for the trace (attn_mask=None)
        if node.op == "placeholder" and placeholder is not None:
            # another tensor argument of forward: 'input S as NAME' with the argument's name (a saved tensor too)
            size, word = arguments[node]
            nodes[node] = Node(node, "input", line=f"input {_shape_text(size, num)} as {identifier(word)}",
                               name=identifier(word))
        elif node.op == "placeholder":
            placeholder = node
            nodes[node] = Node(node, "input")
        elif (node.op == "call_method" and node.target == "size") or (
                node.op == "call_function" and node.target in _SIZE_ARITHMETIC
                and any(isinstance(a, fx.Node) and a in scalars for a in _flat(node.args))) or (
                node.op == "call_function" and node.target is getattr and node.args[1:] in (
                    ("shape",), ("device",), ("dtype",))):
            scalars.add(node)                       # x.size(0) in x.view(x.size(0), -1), b, c, h, w = x.size()
            continue
        elif node.op == "get_attr" and node.users and all(_matmul_weight(u, module, shapes) is not None
                                                           for u in node.users) and len(node.users) == 1:
            continue                        # x @ self.w: read at the product, as a dense layer
        elif _matmul_weight(node, module, shapes) is not None:
            weight, tensor = _matmul_weight(node, module, shapes)
            name = unique_name(identifier(weight.target), names)
            line = f"dense {num('units', tensor.shape[1])} bias=false" + (
                "" if tensor.requires_grad else " trainable=false")
            nodes[node] = Node(node, "layer", args[:1], f"{line} name={name}", name)
        elif node.op == "get_attr" and _indexed_scalars(node, module, torch):
            continue                        # self.weights[k]: each element read where it is taken (below)
        elif node.op == "call_function" and node.target is operator.getitem and node.args and \
                node.args[0].op == "get_attr" and _indexed_scalars(node.args[0], module, torch):
            tensor = _attribute(module, node.args[0].target)
            name = unique_name(identifier(f"{node.args[0].target}_{node.args[1]}"), names)
            line = "parameter 1" + ("" if tensor.requires_grad else " trainable=false")
            nodes[node] = Node(node, "layer", [placeholder], f"{line} name={name}", name)
        elif node.op == "get_attr" and list(node.users) and all(u.op == "output" for u in node.users) and \
                isinstance(_attribute(module, node.target), torch.Tensor):
            # forward returns the tensor itself (its input unread): `parameter S` is that output, S its whole shape
            tensor = _attribute(module, node.target)
            name = unique_name(identifier(node.target), names)
            line = f"parameter {' x '.join(str(int(d)) for d in tensor.shape) or '1'}" + (
                " buffer=true" if not isinstance(tensor, torch.nn.Parameter) else "") + (
                "" if tensor.requires_grad or not isinstance(tensor, torch.nn.Parameter) else " trainable=false")
            nodes[node] = Node(node, "layer", [placeholder], f"{line} name={name}", name)
        elif node.op == "get_attr" and len(node.users) == 1 and \
                _reshaped_free_tensor(next(iter(node.users)), module, torch) is not None:
            continue                        # self.gamma.reshape(1, -1, 1, 1): read at the reshape (below)
        elif _reshaped_free_tensor(node, module, torch) is not None:
            tensor, shaped = _reshaped_free_tensor(node, module, torch)
            name = unique_name(identifier(node.args[0].target), names)
            line = f"parameter {_free_shape(node, shaped, shapes)}" + (" buffer=true" if not isinstance(
                tensor, torch.nn.Parameter) else "") + ("" if tensor.requires_grad or not isinstance(
                    tensor, torch.nn.Parameter) else " trainable=false")
            nodes[node] = Node(node, "layer", [placeholder], f"{line} name={name}", name)
        elif node.op == "get_attr":
            # a free nn.Parameter or buffer read in forward: a `parameter` line where it is added or multiplied
            tensor = _attribute(module, node.target)
            if tensor is None or not _only_merged(node):
                raise DefinitionError(f"the module reads the tensor '{node.target}' in forward other than by adding "
                                      "or multiplying it; symparams reads a free tensor only as an operand of + or *")
            name = unique_name(identifier(node.target), names)
            line = f"parameter {_free_shape(node, tensor, shapes)}" + (" buffer=true" if not isinstance(
                tensor, torch.nn.Parameter) else "") + ("" if tensor.requires_grad or not isinstance(
                    tensor, torch.nn.Parameter) else " trainable=false")
            nodes[node] = Node(node, "layer", [placeholder], f"{line} name={name}", name)
        elif node.op == "call_module":
            sub = module.get_submodule(node.target)
            name = unique_name(identifier(node.target), names)
            line = unit_line(sub, name, maps.size_of(node.args[0])) or _torch_mha(node, sub, name, torch) \
                or _timm_norm_act(sub, name, num) \
                or cell_line(node, sub, name, num, torch) \
                or _torch_rnn(sub, name, num, torch) or _timm_attention(sub, name) \
                or _maxvit_partition(sub, name, num) or _timm_swin(sub, name, num) \
                or _timm_attention_pool(sub, name, num, pending.get(node, ("", 0))[1]) \
                or _eva_attention(sub, name) or _timm_attention_rope(sub, name) or _timm_unread(sub, name) \
                or _timm_partition(sub, name, num) or _timm_rmsnorm(sub, name) \
                or _adaptive_pool(node, sub, shapes, name, torch) or _timm_same(node, sub, shapes, name, num) \
                or _timm_eca(node, sub, shapes, name, num) or _timm_space_to_depth(sub, name) \
                or _timm_split_attention(sub, name, num) or _timm_global_context(sub, name, num) \
                or _timm_frn_act(sub, name, num) or _refuse_other_evonorm(sub, name) \
                or _torch_line(sub, name, num)
            if "\n" in line and id(sub) in calls:
                raise DefinitionError(f"the module '{node.target}' ({type(sub).__name__}) reads as several layers and "
                                      "is called again; symparams writes reuse= on one layer line")
            _torch_rnn_initial_state(node, sub, made, torch)
            line = _torch_unpool_source(node, sub, line, unpooling, nodes, torch)
            if any(True for _ in sub.parameters()) and node in live:
                # a module with weights called again runs its weights again, counted once: the call written first
                # owns them, the others say reuse=<its name> (decided once the order is known, below)
                calls.setdefault(id(sub), []).append(node)
                plain[node] = line
            line = _frozen_torch(line, sub, name)
            nodes[node] = Node(node, "layer", args[:1], line, name, sub)
            distinct = list(dict.fromkeys(args))       # attention(x, x, x) reads one tensor
            if len(distinct) > 1:
                nodes[node].inputs = _context_argument(node, sub, line, distinct)
        elif node.op == "call_function" and node.target is torch.nn.functional.pad:
            # F.pad(x, (l, r, t, b)) is the padding module of its mode called: read by the same kinds
            sub = _pad_module(node, shapes, torch)
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], _torch_line(sub, name, num), name, sub)
        elif node.op == "call_function" and node.target in pools:
            # F.max_pool2d(x, 2) is nn.MaxPool2d(2) called: read by the same kind, refused with its messages
            sub = _pool_module(node, pools[node.target], torch)
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], _torch_line(sub, name, num), name, sub)
        elif node.op == "call_function" and node.target in identities or (
                node.op == "call_function" and node.target in (torch.cat, torch.concat) and len(args) == 1
                and len(list(_flat(node.args[:1]))) == 1) or _unchanged(node, torch) or _same_shape_view(node, shapes) \
                or _adds_zero(node):
            alias[node] = args[0]           # stochastic depth when evaluated, a cat of one tensor (DenseNet)
            continue
        elif _rows_to_batch(node, shapes):
            alias[node] = args[0]           # out.view(-1, C) returned: each example's rows, a layout (no layer)
            continue
        elif reduction is not None:
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"{reduction} name={name}", name)
        elif _torch_broadcast_index(node, merges):
            alias[node] = args[0]           # x[:, None]: new axes for a broadcasting + or *, which symparams does itself
            continue
        elif _constant_scale(node) is not None:
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"rescaling {_constant_scale(node)!r} name={name}", name)
        elif _channel_slice(node, shapes) is not None:
            size, start = _channel_slice(node, shapes)
            if size == shapes[node.args[0].name][1]:
                alias[node] = args[0]       # every channel: the tensor itself
                continue
            name = unique_name(identifier(node.name), names)
            line = f"slice {size}" + (f" start={start}" if start else "")
            nodes[node] = Node(node, "layer", args[:1], f"{line} name={name}", name)
        elif node.op == "call_function" and node.target is operator.getitem and _whole_slice(node, shapes):
            alias[node] = args[0]           # x[:, 0:]: a crop to the size it has (crop to=NAME of the same size)
            continue
        elif node.op == "call_function" and node.target is operator.getitem:
            _torch_crop_problem(node, shapes)
            nodes[node] = Node(node, "crop", args[:1])
        elif _batch_stack(node, args, shapes, torch) is not None:
            # torch.cat((a, b), 0) of k vectors: k examples of one batch; per example of the inputs, the k vectors
            # side by side (concat) seen as k x D (reshape): the same values, counts and costs, k rows of D
            k, width = _batch_stack(node, args, shapes, torch)
            joined = _Joined(f"{node.name}_joined")
            nodes[joined] = Node(joined, "concat", args)
            order.append(joined)
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", [joined], f"reshape {k} x {width} name={name}", name)
            stacked[node] = k
        elif node.op == "call_function" and node.target in merges or (
                node.op == "call_method" and node.target in _MERGE_METHODS):
            op = merges[node.target] if node.op == "call_function" else _MERGE_METHODS[node.target]
            _torch_merge_problem(node, op, args, shapes)
            operand_shapes = {tuple(shapes.get(getattr(a, "name", ""), ())) for a in args}
            nodes[node] = Node(node, op, args, broadcast=op == "add" and len(operand_shapes) > 1)
        elif (node.op == "call_function" and node.target in functions) or (
                node.op == "call_method" and node.target in methods):
            word = functions[node.target] if node.op == "call_function" else methods[node.target]
            # inplace= changes where the result is stored, not what it is; GELU's approximate='tanh' (SigLIP's
            # MLPs) changes no weight, shape or saved tensor: gelu, as nn.GELU(approximate='tanh') reads
            extra = [a for a in list(node.args[1:]) + [v for k, v in node.kwargs.items() if k != "inplace" and not (
                word == "gelu" and k == "approximate" and v in ("none", "tanh"))] if not isinstance(a, fx.Node)]
            if word in ("softmax", "log_softmax"):
                extra = _softmax_extra(node, shapes, extra)
            if extra and word in _ACTIVATION_WORDS and node.op == "call_function" and extra == [True] \
                    and "inplace" not in node.kwargs and len(node.args) == 2:
                extra = []                  # F.relu(x, True): the positional inplace
            if word != "flatten" and (len(args) != 1 or extra):
                raise DefinitionError(f"the operation '{node.name}' ({word}) has arguments symparams does not "
                                      f"represent: {_args_text(node)}")
            if word == "flatten" and node.op == "call_function" and list(node.args[1:]) not in ([], [1]):
                raise DefinitionError(f"the operation '{node.name}' flattens from axis {node.args[1]}; symparams' "
                                      "flatten keeps only the batch axis (torch.flatten(x, 1))")
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"{word} name={name}", name)
        elif _swaps_last_two(node) and len(shapes.get(node.name, ())) == 3:
            # x.transpose(1, 2) of a B x T x D sequence (MLP-Mixer's token mixing): D x T, as _compare_torch checks
            name = unique_name(identifier(node.name), names)
            nodes[node] = Node(node, "layer", args[:1], f"transpose name={name}", name)
        elif node.op == "output":
            output = _torch_output(node, alias, states)
            continue
        else:
            raise DefinitionError(f"symparams cannot read the operation '{node.name}' ({node.op} "
                                  f"{getattr(node.target, '__name__', node.target)}) of the module")
        order.append(node)
    _free_tensor_operands(nodes, order, placeholder)
    body = fold_graph(nodes, order, placeholder, output)
    if any(len(c) > 1 for c in calls.values()):
        body = _write_reuse(nodes, order, placeholder, output, body, calls, plain)
    body += _unused_torch(module, graph, names, live)
    # The file states PyTorch's convention: read under Keras' default, batch norm's running statistics
    # would count as (non-trainable) parameters and `summary` would print a total PyTorch never gives.
    text = file_text(num, shape, body, "pytorch")
    _compare_torch(text, nodes, shapes, module, channels_last, stacked, maps.tokens)
    return finish(text, num, shape, body, "pytorch", "pytorch")


def _forward_inputs(module, graph, fixed, given) -> dict:
    """forward's tensor arguments (its placeholders not fixed at a default), each with (its shape from `given` in
    forward's order, its name in forward's signature); a count that differs is refused, naming the arguments."""
    import inspect
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    try:        # fx may rename a placeholder (bias -> bias_1): forward's own names, by position
        signature = [p.name for p in inspect.signature(module.forward).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    except (TypeError, ValueError):
        signature = []
    if len(signature) != len(placeholders):
        signature = [str(n.target) for n in placeholders]
    names = [(n, word) for n, word in zip(placeholders, signature) if word not in (fixed or {})
             and not word.startswith("*")]
    if len(names) != len(given):
        listed = ", ".join(f"'{word}'" for _, word in names)
        if len(given) == 1 and len(names) > 1:
            raise UsageError(f"the module's forward takes more than one input ({listed}); give one input shape "
                             f"for each, in forward's order (--input-shape once per input, or "
                             f"'{','.join(['SHAPE'] * len(names))}')")
        raise UsageError(f"{len(given)} input shapes given, but the module's forward takes {len(names)} input"
                         f"{'s' if len(names) != 1 else ''} ({listed})")
    return {n: (shape, word) for (n, word), shape in zip(names, given)}


def _trace_at_size(module, leaves, given, torch):
    """The graph of a module on the meta device traced with its input's sizes known (torch.fx's MetaTracer runs each
    step on meta tensors as it records it, so x.shape and x.size() are numbers and Python branches on them are
    taken as at this input size); None when that fails too, or the module's weights are not on the meta device
    (the trace runs its layers there). The sizes are the import's: the file holds numbers for that size already."""
    import inspect
    import warnings
    from torch.fx.experimental import meta_tracer

    first = next(itertools.chain(module.parameters(), module.buffers()), None)
    if first is None or first.device.type != "meta":
        return None
    try:
        arguments = list(inspect.signature(module.forward).parameters)
    except (TypeError, ValueError):
        return None
    if len(arguments) < len(given):
        return None

    class Proxy(meta_tracer.MetaProxy):
        def size(self, dim=None):
            # MetaProxy.size(0) answers the whole size (it tests `if dim`); x.size(0) is the batch
            meta = getattr(self, "_tensor_meta", None)
            if meta is not None and dim is not None:
                return meta.size(dim)
            return super().size(dim)

    class Tracer(meta_tracer.MetaTracer):
        allow_insert_stateless_mods = False         # the graph names only the module's own submodules

        def is_leaf_module(self, m, qualname):
            return id(m) in leaves or super().is_leaf_module(m, qualname)

        def proxy(self, node):
            return Proxy(node, self)

    examples = {}
    for argument, shape in zip(arguments, given):        # forward's inputs in order, channels first, a batch of 2
        layout = (shape[-1],) + tuple(shape[:-1]) if len(shape) >= 3 else tuple(shape)
        examples[argument] = torch.zeros((2,) + tuple(layout), device="meta")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # steps it cannot run on meta tensors are reported as warnings
            return Tracer().trace(module, meta_args=examples, concrete_args=_defaulted_arguments(module))
    except Exception:               # noqa: BLE001 - the original trace's failure is the one reported
        return None


def _defaulted_arguments(module) -> dict | None:
    """forward's arguments after the input that have a default of None or a bool (timm's ViT:
    forward(x, attn_mask=None)), fixed at that default for the trace: the model as called with one input."""
    import inspect
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    fixed = {p.name: p.default for p in params[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
             and (p.default is None or isinstance(p.default, bool))}
    return fixed or None


def _free_tensor_operands(nodes, order, start) -> None:
    """A free tensor (a `parameter` line: ConvNeXt's layer scale, ViT's position embedding) ignores its input, so
    it is read from the other operand of the one merge that uses it, just before that merge, rather than from
    the network's input: `mul { } { parameter 1 x 1 x C }` folds where each block's fork back to the input
    made the graph one the folder searches exponentially (2^20 paths in ConvNeXt-T's 18 blocks)."""
    users: dict = {}
    for key in order:
        for i in nodes[key].inputs:
            users.setdefault(i, []).append(key)
    for key in list(order):
        node = nodes[key]
        if node.op != "layer" or not node.line.startswith("parameter ") or node.inputs != [start]:
            continue
        merge = users.get(key, [])
        if len(merge) != 1 or nodes[merge[0]].op not in ("add", "mul") or len(nodes[merge[0]].inputs) != 2:
            continue
        other = [i for i in nodes[merge[0]].inputs if i != key]
        if len(other) != 1:
            continue
        node.inputs = other
        order.remove(key)
        order.insert(order.index(merge[0]), key)


def _timm_norm_act(module, name=None, num=None) -> str | None:
    """timm's BatchNormAct2d (EfficientNet, MobileNetV3, RegNet, RexNet, DenseNet, CSPNet... in timm) and GroupNormAct
    (their _gn variants, ResNet-V2 GN): a batch or group norm (an nn.BatchNorm2d / nn.GroupNorm subclass) with its activation and a dropout inside, read whole as `batchnorm` and the
    activation's line (its drop is the identity when evaluated); None when the module is not one, and without a
    name whether it is one. An activation or drop no kind reads is refused by name."""
    torch = need("torch", "pytorch")
    nn = torch.nn
    cls = type(module)
    if not (isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)) and cls.__module__.startswith("timm.")
            and hasattr(module, "act") and hasattr(module, "drop")):
        return None
    if name is None:
        return "batchnorm"
    from ..layers.core import ACTIVATION
    drop, act = module.drop, module.act
    if not (isinstance(drop, (nn.Identity, nn.Dropout)) or type(drop).__name__ in _IDENTITY_MODULES):
        raise DefinitionError(f"the module '{name}' ({cls.__name__}) drops with {type(drop).__name__}; symparams "
                              "reads a dropout or the identity there")
    word = None if isinstance(act, nn.Identity) else ACTIVATION.torch_word(act)
    if word is None and not isinstance(act, nn.Identity):
        raise DefinitionError(f"the module '{name}' ({cls.__name__}) activates with {type(act).__name__}, which no "
                              "symparams activation reads")
    line = _torch_line(module, name, num)        # the batchnorm kind reads it as the _BatchNorm it is
    return line if word is None else f"{line}\n{word}{ACTIVATION.slope_option(act)} name={name}_act"


def _is_timm_space_to_depth(module) -> bool:
    cls = type(module)
    return cls.__name__ == "SpaceToDepth" and cls.__module__.startswith("timm.") and hasattr(module, "bs")


def _timm_space_to_depth(sub, name) -> str | None:
    """timm's SpaceToDepth (TResNet's stem): each bs x bs block of positions into the channels, `spacetodepth bs
    order=tensorflow` (its channels ordered block position first, as TensorFlow's space_to_depth); None for any
    other module."""
    if not _is_timm_space_to_depth(sub):
        return None
    return f"spacetodepth {int(sub.bs)} order=tensorflow name={name}"


def _is_timm_eca(module) -> bool:
    cls = type(module)
    return cls.__name__ == "EcaModule" and cls.__module__.startswith("timm.")


def _timm_eca(node, sub, shapes, name, num) -> str | None:
    """timm's EcaModule (ECA-Net's gate: ECA-ResNets, ECA-VoVNet, the eca_ byobnets), read whole: the map times
    a gate computed from its channels' means taken as a 1-D signal of C positions and one channel, convolved
    along the channels (kernel k, or the 1x1-act-k pair of its rd_channels form), activated, and laid back out
    as 1 x 1 x C to broadcast over the map:
        mul { } { globalavgpool; reshape C x 1; conv 1 k ...; sigmoid; reshape 1 x 1 x C }
    None for any other module."""
    if not _is_timm_eca(sub):
        return None
    source = node.args[0] if node.args else None
    big = shapes.get(getattr(source, "name", ""), ())
    if len(big) != 4:
        raise DefinitionError(f"the module '{name}' (timm EcaModule) gates a map whose shape the import could not "
                              "compute; symparams reads ECA on a channels-first 2-D map")
    c, inner = big[1], identifier(name)
    steps = [f"globalavgpool name={inner}_pool", f"reshape {c} x 1 name={inner}_signal",
             _torch_line(sub.conv, f"{inner}_conv", num)]
    if sub.conv2 is not None:
        steps += [_torch_line(sub.act, f"{inner}_act", num), _torch_line(sub.conv2, f"{inner}_conv2", num)]
    steps += [_torch_line(sub.gate, f"{inner}_gate", num), f"reshape 1 x 1 x {c} name={inner}_map"]
    return "mul { } {\n" + "\n".join("    " + step for step in steps) + "\n}"


def _is_timm_split(module) -> bool:
    cls = type(module)
    return cls.__name__ in ("SplitAttn", "SelectiveKernel") and cls.__module__.startswith("timm.")


def _inner_lines(module, name: str, num) -> list[str]:
    """The lines of a part of a module read whole: none for the identity (an absent norm, a drop that is the
    identity when evaluated), a timm norm-and-activation as its two lines, an nn.Sequential part by part, else the
    module's own line."""
    nn = need("torch", "pytorch").nn
    if module is None or isinstance(module, nn.Identity) or (isinstance(module, nn.Sequential) and not len(module)):
        return []
    if type(module).__name__ in _IDENTITY_MODULES and not any(True for _ in module.parameters()):
        return []
    if pads_same_in_forward(module):
        raise DefinitionError(f"the module '{name}' ({type(module).__name__}) pads 'same' from its input's size inside "
                              "a split attention; symparams reads that padding only where it knows the map's size")
    norm_act = _timm_norm_act(module, name, num)
    if norm_act is not None:
        return norm_act.split("\n")
    if isinstance(module, nn.Sequential) and not _torch_leaf(module):
        return [line for k, part in enumerate(module) for line in _inner_lines(part, f"{name}_{k}", num)]
    return _torch_line(module, name, num).split("\n")


def _timm_split_attention(sub, name, num) -> str | None:
    """timm's SplitAttn (ResNeSt) and SelectiveKernel (SKNet), read whole; None for any other module.

    SplitAttn(radix R, cardinality G): its convolution to R·C channels (G·R groups), norm and activation, then the
    R paths (channels path-major) weighted by a softmax across them computed from their sum's channel means, and
    summed:
        conv R*C K groups=G*R; batchnorm; relu
        mul { } { radixsum R; globalavgpool keepdims; conv A 1 groups=G; batchnorm; relu; conv R*C 1 groups=G;
                  radixsoftmax R groups=G }
        radixsum R
    (R = 1: no sums, and timm's sigmoid in place of the softmax.)
    SelectiveKernel(P paths): each path a convolution, norm and activation (ConvNormAct) on its share of the input's
    channels (split_input) or on all of them, the paths side by side (torch.stack(paths, 1) is that layout), then the
    same weighting (fc_reduce, bn, act, fc_select, a softmax across the paths) and sum."""
    if not _is_timm_split(sub):
        return None
    inner = identifier(name)
    if type(sub).__name__ == "SplitAttn":
        radix, groups = int(sub.radix), int(sub.rsoftmax.cardinality)
        body = _inner_lines(sub.conv, f"{inner}_conv", num) + _inner_lines(sub.bn0, f"{inner}_bn0", num) + \
            _inner_lines(sub.drop, f"{inner}_drop", num) + _inner_lines(sub.act0, f"{inner}_act0", num)
        gate = _inner_lines(sub.fc1, f"{inner}_fc1", num) + _inner_lines(sub.bn1, f"{inner}_bn1", num) + \
            _inner_lines(sub.act1, f"{inner}_act1", num) + _inner_lines(sub.fc2, f"{inner}_fc2", num)
        return _split_weighting(body, gate, radix, groups, inner)
    paths = int(sub.num_paths)
    share = int(sub.in_channels) // paths
    branches = []
    for k, path in enumerate(sub.paths):
        if type(path).__name__ != "ConvNormAct":
            raise DefinitionError(f"the module '{name}' (timm SelectiveKernel) has a path of {type(path).__name__}; "
                                  "symparams reads ConvNormAct paths")
        lines = [f"slice {share}" + (f" start={k * share}" if k else "") + f" name={inner}_split{k}"] \
            if sub.split_input else []
        lines += _inner_lines(path.conv, f"{inner}_paths_{k}_conv", num) + \
            _inner_lines(path.bn, f"{inner}_paths_{k}_bn", num) + \
            _inner_lines(getattr(path, "aa", None), f"{inner}_paths_{k}_aa", num)
        branches.append(lines)
    body = ["concat " + " ".join("{\n" + "".join(f"    {line}\n" for line in lines) + "}" for lines in branches)]
    attn = sub.attn
    gate = _inner_lines(attn.fc_reduce, f"{inner}_attn_fc_reduce", num) + \
        _inner_lines(attn.bn, f"{inner}_attn_bn", num) + _inner_lines(attn.act, f"{inner}_attn_act", num) + \
        _inner_lines(attn.fc_select, f"{inner}_attn_fc_select", num)
    return _split_weighting(body, gate, paths, 1, inner)


def _is_timm_frn_act(module) -> bool:
    cls = type(module)
    return cls.__name__ == "FilterResponseNormAct2d" and cls.__module__.startswith("timm.") and hasattr(module, "act")


def _timm_frn_act(sub, name, num) -> str | None:
    """timm's FilterResponseNormAct2d: filter response normalisation without its threshold, then its activation
    (`frn tlu=false` and the activation's line; none for the identity); None for any other module."""
    if not _is_timm_frn_act(sub):
        return None
    inner = identifier(name)
    return "\n".join([f"frn tlu=false name={inner}"] + _inner_lines(sub.act, f"{inner}_act", num))


def _other_timm_evonorm(module) -> bool:
    """timm's EvoNorm forms other than S0 and S0a (B0/B1/B2: a running variance and batch statistics; S1/S2: an
    activation divided by the group's deviation or RMS), which no kind reads yet."""
    cls = type(module)
    return cls.__name__.startswith("EvoNorm2d") and cls.__name__ not in ("EvoNorm2dS0", "EvoNorm2dS0a") and \
        cls.__module__.startswith("timm.")


def _refuse_other_evonorm(sub, name) -> None:
    if _other_timm_evonorm(sub):
        raise DefinitionError(f"the module '{name}' is timm's {type(sub).__name__}; symparams reads EvoNorm's S0 and "
                              "S0a forms (evonorm), not its B0/B1/B2 (batch statistics) or S1/S2 forms")
    return None


def _is_timm_global_context(module) -> bool:
    cls = type(module)
    return cls.__name__ == "GlobalContext" and cls.__module__.startswith("timm.") and hasattr(module, "mlp_scale")


def _timm_global_context(sub, name, num) -> str | None:
    """timm's GlobalContext (GCNet's block: gcresnet*, gcresnext*, gc_efficientnetv2), read whole; None for any
    other module. Its context is `contextpool keepdims` (use_attn: a softmax over the positions of one logit each)
    or `globalavgpool keepdims`; mlp_scale (fuse_scale) gates the map, `mul { } { context; MLP; gate }`, and mlp_add
    (fuse_add) is added to it (`save x; context; MLP; add with x`: the sum broadcasts the context). With both, the context is computed once and read by both
    MLPs: saved, and the map multiplied and then added through saved names (the weights in timm's order)."""
    if not _is_timm_global_context(sub):
        return None
    inner = identifier(name)
    pool = f"contextpool keepdims name={inner}_conv_attn" if sub.conv_attn is not None else \
        f"globalavgpool keepdims name={inner}_pool"

    def mlp(part, label):
        if type(part).__name__ != "ConvMlp":
            raise DefinitionError(f"the module '{name}' (timm GlobalContext) has a {label} of "
                                  f"{type(part).__name__}; symparams reads timm's ConvMlp there")
        return [line for key in ("fc1", "norm", "act", "drop", "fc2")
                for line in _inner_lines(_dropout_or_none(getattr(part, key)), f"{inner}_{label}_{key}", num)]

    scale = mlp(sub.mlp_scale, "mlp_scale") + _inner_lines(sub.gate, f"{inner}_gate", num) \
        if sub.mlp_scale is not None else None
    add = mlp(sub.mlp_add, "mlp_add") if sub.mlp_add is not None else None
    if scale is None and add is None:
        return f"identity name={inner}"
    if add is None:
        return "mul { } {\n" + "\n".join("    " + step for step in [pool] + scale) + "\n}"
    if scale is None:       # `add { } { }` wants equal shapes; `add with` broadcasts the 1 x 1 x C context
        return "\n".join([f"save {inner}_x", pool] + add + [f"add with {inner}_x"])
    # x * gate(mlp_scale(context)) + mlp_add(context), the add's MLP written first (timm's order of the weights)
    lines = [f"save {inner}_x", pool, f"save {inner}_context"] + add + [f"save {inner}_added", f"use {inner}_context"]
    return "\n".join(lines + scale + [f"mul with {inner}_x", f"add with {inner}_added"])


def _dropout_or_none(module):
    """A dropout of rate 0 (timm's ConvMlp's default) is no layer; any other module is itself."""
    nn = need("torch", "pytorch").nn
    return None if isinstance(module, nn.Dropout) and not module.p else module


def _split_weighting(body, gate, radix, groups, inner) -> str:
    """The lines of a split attention: `body` (R paths side by side on the channels), then its paths weighted by
    the `gate` (from the channel means of the paths' sum) through a softmax across the paths (the sigmoid with
    one path, as timm's RadixSoftmax), and summed. SelectiveKernel always has two paths or more."""
    pool = ([f"radixsum {radix} name={inner}_gap_sum"] if radix > 1 else []) + \
        [f"globalavgpool keepdims name={inner}_gap"]
    if radix > 1:
        weigh = f"radixsoftmax {radix}" + (f" groups={groups}" if groups != 1 else "") + f" name={inner}_rsoftmax"
    else:
        weigh = f"sigmoid name={inner}_rsoftmax"
    steps = pool + gate + [weigh]
    lines = body + ["mul { } {\n" + "\n".join("    " + step for step in steps) + "\n}"]
    if radix > 1:
        lines.append(f"radixsum {radix} name={inner}_sum")
    return "\n".join(lines)


def _adds_zero(node) -> bool:
    """x + 0 or 0 + x (a sum started at 0 in Python: timm's re-parameterisable blocks, MobileOne, FastViT,
    GhostNet-V3, when a branch is absent): the tensor itself."""
    import operator
    torch = need("torch", "pytorch")
    if node.op != "call_function" or node.target not in (operator.add, operator.iadd, torch.add) or \
            len(node.args) != 2 or node.kwargs:
        return False
    zeros = [a for a in node.args if type(a) in (int, float) and a == 0]
    return len(zeros) == 1 and any(hasattr(a, "name") for a in node.args)


def _constant_scale(node):
    """c of x * c, c * x, x.mul(c) for a number c (Inception-ResNet-v2's residual scale 0.17, NFNet's activation
    gamma): symparams' `rescaling c`; None for anything else."""
    import operator
    torch = need("torch", "pytorch")
    if node.op == "call_function" and node.target in (operator.mul, operator.imul, torch.mul):
        operands = list(node.args)
    elif node.op == "call_method" and node.target in ("mul", "mul_"):
        operands = list(node.args)
    else:
        return None
    if len(operands) != 2 or node.kwargs:
        return None
    numbers = [a for a in operands if isinstance(a, (int, float)) and not isinstance(a, bool)]
    tensors = [a for a in operands if hasattr(a, "name")]
    if len(numbers) != 1 or len(tensors) != 1 or (node.op == "call_method" and operands[0] is not tensors[0]):
        return None
    return float(numbers[0])


def _timm_same(node, sub, shapes, name, num) -> str | None:
    """timm's Conv2dSame, MaxPool2dSame, AvgPool2dSame (TensorFlow 'same' padding computed in forward from the
    input's size, frameworks/timm_cnn.py), read at the import's input size: the layer with its symmetric padding=,
    or a `zeropad B after=A` line before it; None for any other module."""
    if not pads_same_in_forward(sub):
        return None
    source = node.args[0] if node.args else None
    big = shapes.get(getattr(source, "name", ""), ())[2:]
    if not big:
        raise DefinitionError(f"the module '{name}' ({type(sub).__name__}) pads 'same' from its input's size, which "
                              "the import could not compute (the module did not run on the input shape)")
    before, after = same_pads(sub, big)
    line = _torch_line(sub, name, num)      # the layer as its kind reads it, without padding (timm's is 0)
    if not any(before + after):
        return line
    if before == after:
        return _with_option(line, f"padding={before[0] if len(set(before)) == 1 else 'x'.join(map(str, before))}")
    pad = f"zeropad {'x'.join(map(str, before))}" + f" after={'x'.join(map(str, after))} name={name}_pad"
    return f"{pad}\n{line}"


def _channel_slice(node, shapes):
    """x[:, a:b] (and x[:, a:b, :, :]) of a channels-first 2-D or 3-D map (not a (b, T, D) sequence): (size, start)
    of symparams' `slice` (GhostNet keeps the first C channels of a concatenation, all of them in most blocks; ReXNet
    adds its shortcut to the first C); None for any other index."""
    import operator
    if node.op != "call_function" or node.target is not operator.getitem or len(node.args) != 2:
        return None
    source, index = node.args
    big = shapes.get(getattr(source, "name", ""), ())
    if not isinstance(index, tuple) or len(big) < 4 or not 2 <= len(index) <= len(big) or \
            not all(isinstance(i, slice) for i in index):
        return None
    if index[0] != slice(None) or any(i != slice(None) for i in index[2:]) or index[1].step not in (None, 1) or \
            not all(isinstance(v, (int, type(None))) for v in (index[1].start, index[1].stop)):
        return None
    start, stop, _ = index[1].indices(big[1])
    return (stop - start, start) if stop > start else None


def _adaptive_pool(node, sub, shapes, name, torch) -> str | None:
    """nn.AdaptiveAvgPool2d((7, 7)) and its kin to an output size other than 1, read at the import's input size
    as the fixed pool it is there (kernel = stride = input / output on each axis: VGG's and AlexNet's (7, 7) and
    (6, 6) of a 7 x 7 and 6 x 6 map are `avgpool 1`); refused, naming the sizes, when an axis is not a multiple
    of its output size (its windows then differ in size). Size 1 is the global pool its kind reads."""
    nn = torch.nn
    kinds_ = {getattr(nn, f"Adaptive{mode}Pool{n}d"): word for mode, word in (("Avg", "avgpool"), ("Max", "maxpool"))
              for n in (1, 2, 3)}
    word = kinds_.get(type(sub))
    if word is None:
        return None
    source = node.args[0] if node.args else None
    big = shapes.get(getattr(source, "name", ""), ())[2:]
    size = sub.output_size if isinstance(sub.output_size, tuple) else (sub.output_size,) * max(len(big), 1)
    if set(size) == {1} or not big or len(size) != len(big):
        return None                         # the global pool (or no shapes to read it at)
    if getattr(sub, "return_indices", False):
        return None                         # the pool kinds refuse it by name
    size = tuple(b if s is None else s for s, b in zip(size, big))
    if any(b % s for s, b in zip(size, big)):
        raise DefinitionError(f"the module '{name}' ({type(sub).__name__}) pools a {'x'.join(map(str, big))} map to "
                              f"{'x'.join(map(str, size))}: its windows differ in size; symparams reads adaptive "
                              "pooling where each axis is a multiple of its output size (at the import's input size)")
    kernel = [b // s for s, b in zip(size, big)]
    return f"{word} {'x'.join(map(str, kernel)) if len(set(kernel)) > 1 else kernel[0]} name={name}"


def _attribute(module, target: str):
    """The tensor a get_attr node reads (a dotted path into the module), or None."""
    obj = module
    for part in target.split("."):
        obj = getattr(obj, part, None)
    torch = need("torch", "pytorch")
    return obj if isinstance(obj, torch.Tensor) else None


def _torch_permute(node, shapes, torch):
    """'to_last' for x.permute(0, 2, ..., 1) of a channels-first map (torchvision's ConvNeXt: Permute([0, 2, 3, 1])
    before its LayerNorm and Linears), 'to_first' for x.permute(0, -1, 1, ...), None for anything else."""
    if not ((node.op == "call_method" and node.target == "permute") or
            (node.op == "call_function" and node.target is torch.permute)) or not node.args:
        return None
    dims = node.kwargs.get("dims", list(node.args[1:]))
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = list(dims[0])
    rank = len(shapes.get(getattr(node.args[0], "name", ""), ()))
    if rank < 3 or not all(isinstance(d, int) for d in dims) or len(dims) != rank:
        return None
    dims = [d % rank for d in dims]
    if dims == [0] + list(range(2, rank)) + [1]:
        return "to_last"
    if dims == [0, rank - 1] + list(range(1, rank - 1)):
        return "to_first"
    return None


def _channels_last_pool(node, shapes, torch):
    """A mean or maximum over every spatial axis of a channels-last B x H x W x C map (timm's NHWC head:
    x.mean((1, 2))): (globalavgpool / globalmaxpool [keepdims], keepdim); None for anything else."""
    if not ((node.op == "call_method" and node.target in ("mean", "amax")) or
            (node.op == "call_function" and node.target in (torch.mean, torch.amax))) or not node.args:
        return None
    rank = len(shapes.get(getattr(node.args[0], "name", ""), ()))
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    dims = (dims,) if isinstance(dims, int) else tuple(dims) if isinstance(dims, (list, tuple)) else None
    keep = node.kwargs.get("keepdim", node.args[2] if len(node.args) > 2 else False)
    if rank < 3 or dims is None or not all(isinstance(d, int) for d in dims) or not isinstance(keep, bool) or \
            {d % rank for d in dims} != set(range(1, rank - 1)):
        return None
    word = "globalavgpool" if node.target in ("mean", torch.mean) else "globalmaxpool"
    return word + (" keepdims" if keep else ""), keep


def _torch_patch_merging(node, shapes, channels_last) -> str | None:
    """torchvision's Swin patch merging step, _patch_merging_pad(x) on a channels-last B x H x W x C map (each 2 x 2
    block's four positions concatenated on the channels; torch.fx keeps the function whole): `pixelunshuffle 2`
    order=swin when H and W are even (the function pads odd sizes, which pixelunshuffle does not): the four
    positions column by column in the channels, x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]."""
    if node.op != "call_function" or getattr(node.target, "__name__", "") != "_patch_merging_pad" or \
            not getattr(node.target, "__module__", "").startswith("torchvision.") or \
            not node.args or node.args[0] not in channels_last:
        return None
    shape = shapes.get(node.args[0].name, ())
    if len(shape) != 4 or shape[1] % 2 or shape[2] % 2:
        raise DefinitionError(f"the operation '{node.name}' (Swin's patch merging) pads an odd-sized "
                              f"{'x'.join(map(str, shape[1:3])) or 'unknown'} map; symparams' pixelunshuffle 2 "
                              "takes even sizes")
    return "pixelunshuffle 2 order=swin"


def _sums_first_axis(node, torch) -> bool:
    """x.sum(dim=0) / x.sum(0) / torch.sum(x, 0) of one tensor, without keepdim."""
    if not ((node.op == "call_method" and node.target == "sum") or
            (node.op == "call_function" and node.target is torch.sum)) or not node.args:
        return False
    dims = node.args[1:2] or [node.kwargs.get("dim")]
    return dims[0] in (0, (0,), [0]) and not node.kwargs.get("keepdim", False) and len(node.args) <= 2


def _summed_stack(node, shapes, torch) -> list | None:
    """The tensors of torch.stack([a, b, ...]) (on a new first axis) whose only use is its sum over that axis,
    each of one shape; None for anything else."""
    if getattr(node, "op", None) != "call_function" or node.target is not torch.stack or not node.args:
        return None
    parts = node.args[0]
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    users = list(node.users)
    if not isinstance(parts, (list, tuple)) or len(parts) < 2 or dim != 0 or len(users) != 1 or \
            not _sums_first_axis(users[0], torch) or not all(hasattr(a, "name") for a in parts) or \
            len({tuple(shapes.get(a.name, ())) for a in parts}) != 1:
        return None
    return list(parts)


def _size_of(node) -> bool:
    """x.shape, x.size() or x.size(i): sizes, not a tensor."""
    return (node.op == "call_method" and node.target == "size") or (
        node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",))


def _channels_last_tokens(node, shapes) -> bool:
    """x.view(B, -1, C) / x.reshape(B, H * W, C) / x.flatten(1, 2) of a channels-last B x H x W x C map: its
    positions in row order as a B x HW x C sequence."""
    if node.op != "call_method" or node.target not in ("view", "reshape", "flatten") or not node.args or \
            not hasattr(node.args[0], "name"):
        return False
    big, out = shapes.get(node.args[0].name, ()), shapes.get(node.name, ())
    if node.target == "flatten" and tuple(node.args[1:]) not in ((1, 2), (1, -2)):
        return False
    return len(big) == 4 and len(out) == 3 and out[0] == big[0] and out[1] == big[1] * big[2] and out[2] == big[3]


def _channels_last_problem(node, module, functional_names) -> None:
    """Between a permute to channels last and back, what reads the same in symparams' layout: modules acting on
    the last axis (LayerNorm, Linear), activations, and adding or multiplying; anything else is refused by name."""
    import operator
    torch = need("torch", "pytorch")
    words, _ = functional_names
    if node.op == "call_module":
        sub = module.get_submodule(node.target)
        if isinstance(sub, (torch.nn.LayerNorm, torch.nn.Linear, torch.nn.GELU, torch.nn.ReLU, torch.nn.SiLU,
                            torch.nn.Dropout, torch.nn.Identity)) or type(sub).__name__ in _IDENTITY_MODULES \
                or type(sub).__name__ in _unit_classes() or _timm_swin_unit(sub) or _is_timm_partition(sub) \
                or is_map_unit(sub):
            return
    elif node.op == "call_function" and (node.target in (operator.add, operator.mul, torch.add, torch.mul) or
                                         getattr(node.target, "__name__", "") in words):
        return
    elif node.op == "call_method" and node.target in words + ("contiguous",):
        return
    elif node.op == "output":
        return
    raise DefinitionError(f"the operation '{node.name}' ({getattr(node.target, '__name__', node.target)}) acts on a "
                          "tensor permuted to channels last; symparams reads only LayerNorm, Linear, activations, "
                          "+ and * there (ConvNeXt's block) before the permute back")


def _matmul_weight(node, module, shapes):
    """(the get_attr node, its tensor) when `node` is x @ W, torch.mm(x, W) or torch.matmul(x, W) with W a free
    2-D nn.Parameter on the right and x a traced tensor whose last axis is W's rows (a linear layer without
    bias, ParameterFCNet's torch.mm(x, self.a)); None for anything else."""
    import operator
    torch = need("torch", "pytorch")
    if node.op != "call_function" or node.target not in (torch.mm, torch.matmul, operator.matmul) \
            or len(node.args) != 2 or node.kwargs:
        return None
    x, w = node.args
    if getattr(w, "op", None) != "get_attr" or getattr(x, "op", None) in (None, "get_attr"):
        return None
    tensor = _attribute(module, w.target)
    if not isinstance(tensor, torch.nn.Parameter) or tensor.dim() != 2:
        return None
    shape = shapes.get(x.name, ())
    # the last axis is the features of a vector or a sequence; of a channels-first map it is the width
    if not 2 <= len(shape) <= 3 or shape[-1] != tensor.shape[0]:
        return None
    return w, tensor


def _only_merged(node) -> bool:
    """Whether every use of the node is an add or a multiplication (x + self.pos_embed, x * self.gamma)."""
    import operator
    torch = need("torch", "pytorch")
    merges = (operator.add, operator.iadd, operator.mul, operator.imul, torch.add, torch.mul)
    return bool(node.users) and all(u.op == "call_function" and u.target in merges or
                                    u.op == "call_method" and u.target in _MERGE_METHODS for u in node.users)


# x.mul(y), x.add(y) (timm's ConvNeXt: x.mul(self.gamma.reshape(1, -1, 1, 1))): merges as * and + are
_MERGE_METHODS = {"add": "add", "add_": "add", "mul": "mul", "mul_": "mul", "sub": "sub", "sub_": "sub"}


def _reshaped_free_tensor(node, module, torch):
    """The tensor of a free nn.Parameter or buffer reshaped by whole numbers (self.gamma.reshape(1, -1, 1, 1)) and
    only added or multiplied, reshaped; None for anything else. The reshape node is the `parameter` line."""
    if node.op != "call_method" or node.target not in ("reshape", "view") or not node.args or \
            getattr(node.args[0], "op", None) != "get_attr" or len(node.args[0].users) != 1 or node.kwargs:
        return None
    sizes = list(node.args[1:])
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = list(sizes[0])
    tensor = _attribute(module, node.args[0].target)
    if tensor is None or not sizes or not all(isinstance(d, int) for d in sizes) or not _only_merged(node):
        return None
    try:
        return tensor, tensor.detach().reshape(sizes)
    except RuntimeError:
        return None


def _free_shape(node, tensor, shapes) -> str:
    """A free tensor's shape in symparams' layout: NumPy broadcasting against the other operand lines the
    trailing axes up, so the tensor is padded with leading 1s to the operand's rank, the batch axis dropped,
    and a channels-first map's channels moved last (ViT's (1, 197, 768) -> 197 x 768, (1, C, 1, 1) -> 1 x 1 x C)."""
    dims = [int(d) for d in tensor.shape]
    rank = max([len(shapes.get(a.name, ())) for u in node.users for a in u.args if hasattr(a, "name")
                and a is not node] + [len(dims)])
    if len(dims) > rank:
        raise DefinitionError(f"the tensor '{node.target}' has more axes ({len(dims)}) than what it is combined with")
    dims = [1] * (rank - len(dims)) + dims
    if rank >= 2 and dims[0] == 1:
        dims = dims[1:]                 # the batch axis
    elif len(dims) == rank and rank >= 2:
        raise DefinitionError(f"the tensor '{node.target}' of shape {tuple(tensor.shape)} differs across the batch; "
                              "symparams' tensors hold one example")
    if rank >= 4:
        dims = dims[1:] + dims[:1]      # channels first -> channels last
    return " x ".join(str(d) for d in dims) or "1"


def _indexed_scalars(node, module, torch) -> bool:
    """Whether a free 1-D nn.Parameter is read only element by element (self.weights[k], each index once), each
    element only added or multiplied (a learned weight per block: x + self.weights[k] * block(x))."""
    import operator
    tensor = _attribute(module, node.target)
    if not isinstance(tensor, torch.nn.Parameter) or tensor.dim() != 1 or not node.users:
        return False
    indices = []
    for u in node.users:
        if not (u.op == "call_function" and u.target is operator.getitem and isinstance(u.args[1], int)
                and _only_merged(u)):
            return False
        indices.append(u.args[1] % tensor.shape[0])
    # every element read once: the count is the tensor's (an element read twice would be counted twice)
    return sorted(indices) == list(range(tensor.shape[0]))


def _write_reuse(nodes, order, start, end, body, calls, plain) -> list[str]:
    """A module called more than once: the call written first in the file keeps its line (and trainable=false
    when frozen), every other call becomes the same line with reuse=<that row's name>; folded again."""
    text = "\n".join(body)

    def position(node):
        found = re.search(rf"name={re.escape(nodes[node].name)}(?![\w])", text)
        return found.start() if found else len(text)

    for group in calls.values():
        if len(group) < 2:
            continue
        owner = min(group, key=position)
        for node in group:
            if node is not owner:
                nodes[node].line = _with_option(plain[node], f"reuse={nodes[owner].name}")
            else:
                nodes[node].line = _frozen_torch(plain[node], nodes[node].module, nodes[node].name)
    return fold_graph(nodes, order, start, end)


def _live(graph) -> set:
    """The traced nodes the output is computed from."""
    out = [n for n in graph.nodes if n.op == "output"]
    seen, stack = set(out), list(out)
    while stack:
        for i in stack.pop().all_input_nodes:
            if i not in seen:
                seen.add(i)
                stack.append(i)
    return seen


def _unused_torch(module, graph, names: set, live: set) -> list[str]:
    """Parameters the module owns but its traced forward never reads (or reads only for a result it throws
    away), counted as PyTorch and torchinfo count them: `parameter` lines between a save and a use of the
    output, so the network's shape is kept."""
    used = set()
    for node in graph.nodes:
        if node not in live:
            continue
        if node.op == "call_module":
            used.update(id(p) for p in module.get_submodule(node.target).parameters())
        elif node.op == "get_attr":
            tensor = _attribute(module, node.target)
            if tensor is not None:
                used.add(id(tensor))
    unused = [(n, p) for n, p in module.named_parameters() if id(p) not in used]
    if not unused:
        return []
    keep = unique_name("t_output", names)
    out = [f"save {keep}"]
    for n, p in unused:
        shape = " x ".join(str(int(d)) for d in p.shape) or "1"
        out.append(f"parameter {shape}{'' if p.requires_grad else ' trainable=false'} name={unique_name(identifier(n), names)}"
                   f"    # owned, never used in forward")
    out.append(f"use {keep}")
    return out


def _functional_pools(torch) -> dict:
    """F.max_pool{1,2,3}d / F.avg_pool{1,2,3}d -> (the nn class, its constructor's arguments in the function's
    order after the input)."""
    functional, nn = torch.nn.functional, torch.nn
    out = {}
    for n in (1, 2, 3):
        out[getattr(functional, f"max_pool{n}d")] = (getattr(nn, f"MaxPool{n}d"), (
            "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"))
        out[getattr(functional, f"avg_pool{n}d")] = (getattr(nn, f"AvgPool{n}d"), (
            "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad") + (("divisor_override",) if n > 1
                                                                                   else ()))
    return out


def _pad_module(node, shapes, torch):
    """The nn padding module F.pad(x, pad, mode, value) is (constant 0, reflect, replicate), refused by name for a
    padding that is not numbers, another mode, a constant other than 0, or pads beyond the map's spatial axes."""
    from torch import fx
    names = ("pad", "mode", "value")
    given = dict(zip(names, node.args[1:]))
    given.update({k: v for k, v in node.kwargs.items() if k in names})
    pad, mode, value = given.get("pad"), given.get("mode", "constant"), given.get("value")
    rank = len(shapes.get(getattr(node.args[0], "name", ""), ()))
    ok = isinstance(pad, (list, tuple)) and pad and len(pad) % 2 == 0 and \
        all(isinstance(p, int) and not isinstance(p, fx.Node) for p in pad) and \
        not any(k not in names for k in node.kwargs) and len(node.args) <= 4
    n = len(pad) // 2 if ok else 0
    if not ok or not 1 <= n <= 3 or (rank and rank != n + 2) or mode not in ("constant", "reflect", "replicate") \
            or (mode == "constant" and value not in (None, 0, 0.0)):
        raise DefinitionError(f"the operation '{node.name}' (pad) has arguments symparams does not represent: "
                              f"{_args_text(node)}; it reads F.pad of a map's spatial axes with zeros, reflection or "
                              "replication")
    cls = {"constant": "ZeroPad", "reflect": "ReflectionPad", "replicate": "ReplicationPad"}[mode]
    return getattr(torch.nn, f"{cls}{n}d")(tuple(pad))


def _pool_module(node, how, torch):
    """The nn pooling module a functional pooling call is (its arguments by position or name)."""
    from torch import fx
    cls, names = how
    given = dict(zip(names, node.args[1:]))
    given.update({k: v for k, v in node.kwargs.items() if k in names})
    unknown = [k for k in node.kwargs if k not in names]
    values = list(given.values())
    if unknown or len(node.args) - 1 > len(names) or any(isinstance(v, fx.Node) for v in _flat(values)):
        raise DefinitionError(f"the operation '{node.name}' ({node.target.__name__}) has arguments symparams does "
                              f"not represent: {_args_text(node)}")
    if given.get("stride") in ((), []):
        given["stride"] = None
    try:
        return cls(**given)
    except (TypeError, ValueError) as exc:      # values the module itself refuses
        raise DefinitionError(f"the operation '{node.name}' ({node.target.__name__}) has arguments symparams does "
                              f"not represent: {_args_text(node)} ({str(exc).splitlines()[0][:120]})") from None


def _unchanged(node, torch) -> bool:
    """A call that returns its input's values and shape: a move or cast (x.to(device), x.float(), x.type(torch.float)),
    .contiguous(), .detach(), .clone(), and dropout functions (the identity when the model is evaluated)."""
    from torch import fx
    functional = torch.nn.functional
    if node.op == "call_method" and node.target in ("to", "type", "float", "double", "half", "bfloat16", "cpu", "cuda",
                                                    "contiguous", "detach", "clone"):
        return not any(isinstance(a, fx.Node) for a in _flat(list(node.args[1:]) + list(node.kwargs.values())))
    return node.op == "call_function" and node.target in (functional.dropout, functional.dropout1d,
                                                          functional.dropout2d, functional.dropout3d,
                                                          functional.alpha_dropout)


def _softmax_extra(node, shapes, extra) -> list:
    """softmax over the channels (dim=1 on a channels-first map, the last axis otherwise) is symparams'
    softmax; its dim is dropped from the arguments left to refuse. Any other axis stays (a refusal)."""
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    rank = len(shapes.get(getattr(node.args[0], "name", ""), ()))
    # F.softmax records its _stacklevel and dtype=None: neither changes the result
    rest = [a for a in node.args[2:] if a is not None] + [v for k, v in node.kwargs.items()
                                                          if k not in ("dim", "_stacklevel") and v is not None]
    if isinstance(dim, int) and rank and dim % rank == _channel_axis(rank):
        return rest
    return list(extra)


_ACTIVATION_WORDS = ("relu", "gelu", "silu", "elu", "selu", "mish", "softplus", "softsign", "relu6", "hard_swish",
                     "hard_sigmoid", "sigmoid", "tanh")


def _identity_functions(torch) -> tuple:
    """Functions that return their input when the model is evaluated (torchvision's stochastic_depth)."""
    found = []
    try:
        from torchvision.ops import stochastic_depth      # not a dependency: only when the model uses it
        found.append(stochastic_depth)
    except Exception:       # noqa: BLE001 - torchvision missing or broken beside this torch
        pass
    return tuple(found)


_SIZE_ARITHMETIC = tuple(getattr(__import__("operator"), f) for f in ("getitem", "floordiv", "mul", "add", "sub",
                                                                      "truediv", "mod", "eq", "ne", "lt", "le", "gt",
                                                                      "ge"))


def _torch_vit_step(node, shapes, module, torch, pending):
    """torchvision's ViT, read step by step (None for anything else):
    - torch._assert(h == image_size, ...) on sizes: ('skip', None);
    - x.reshape(n, C, h * w) / x.flatten(2) of a channels-first map, then .permute(0, 2, 1) / .transpose(1, 2):
      ('skip') then ('layer', ('reshape -1 x C', map)) -- the patches as a sequence;
    - self.class_token (1 x 1 x D) .expand(n, -1, -1), then torch.cat([token, x], dim=1): ('skip') twice, then
      ('layer', ('clstoken', x));
    - x[:, 0] of a sequence: ('layer', ('clspool', x)); x[:, I]: ('layer', ('clspool token=I', x));
    - torch.cat of N such tokens and x: ('layer', ('clstoken tokens=N', x)); x / c: ('layer', ('rescaling 1/c', x));
    - x[:, N:].mean(dim=1) of a sequence (timm's avg head): ('skip'), then ('layer', ('globalavgpool prefix=N', x));
    - [0] of an nn.MultiheadAttention's (output, weights): ('alias', the attention)."""
    import operator
    if node.op == "call_function" and node.target is torch._assert:
        return "skip", None
    args = node.args
    if node.op == "get_attr":
        tensor = _attribute(module, node.target)
        users = list(node.users)
        if isinstance(tensor, torch.nn.Parameter) and tensor.dim() == 3 and tensor.shape[0] == 1 \
                and len(users) == 1 and users[0].op == "call_method" and users[0].target == "expand" \
                and _prepended(users[0], torch):
            pending[users[0]] = ("token", tensor)
            return "skip", None
        if isinstance(tensor, torch.nn.Parameter) and tuple(tensor.shape[:2]) == (1, 1) and tensor.dim() == 3 \
                and len(users) == 1 and users[0].op == "call_method" and users[0].target == "expand" \
                and _class_blocks_read(users[0], module):
            pending[users[0]] = ("classtoken", tensor)      # CaiT's class token, put in front at its first block
            return "skip", None
        return None
    if node in pending and pending[node][0] == "token":
        return "skip", None
    cait = _cait_class_step(node, module, torch, pending)
    if cait is not None:
        return cait
    source = args[0] if args else None
    if node.op == "call_method" and node.target in ("reshape", "view", "flatten") and hasattr(source, "name"):
        big, out = shapes.get(source.name, ()), shapes.get(node.name, ())
        if len(big) == 4 and len(out) == 3 and out[:2] == big[:2] and out[2] == big[2] * big[3] and \
                (node.target != "flatten" or list(args[1:]) in ([2], [2, -1])):
            users = list(node.users)
            if len(users) == 1 and _swaps_last_two(users[0]):
                pending[users[0]] = ("patches", source, big[1])
                return "skip", None
        return None
    if node in pending and pending[node][0] == "patches":
        _, origin, channels = pending[node]
        return "layer", (f"reshape -1 x {channels}", origin)
    if node.op == "call_function" and node.target in (torch.cat, torch.concat) and args and \
            isinstance(args[0], (list, tuple)) and len(args[0]) >= 2 and args[0][0] in pending:
        dim = node.kwargs.get("dim", args[1] if len(args) > 1 else 0)
        *tokens, rest = args[0]
        if dim in (1, -2) and all(t in pending and pending[t][0] == "token" for t in tokens):
            # DeiT-distilled: cat((cls_token, dist_token, x), 1), the tokens in the order the file writes them;
            # timm's register tokens (a 1 x R x D parameter after the class token) are R more of them
            learned = [pending[t][1] for t in tokens]
            count = sum(int(t.shape[1]) for t in learned)
            frozen = {t.requires_grad for t in learned}
            if len(frozen) == 2:
                raise DefinitionError(f"the operation '{node.name}' prepends tokens some of which are frozen and "
                                      "others trained; symparams freezes a clstoken line whole")
            return "layer", ("clstoken" + (f" tokens={count}" if count > 1 else "")
                             + ("" if frozen == {True} else " trainable=false"), rest)
        return None
    scaled = _constant_division(node)
    if scaled is not None:
        return "layer", scaled
    if node in pending and pending[node][0] == "tokenmean":
        _, origin, prefix = pending[node]
        return "layer", ("globalavgpool" + (f" prefix={prefix}" if prefix else ""), origin)
    if node.op == "call_function" and node.target is operator.getitem and hasattr(source, "name"):
        index = args[1]
        if index == (slice(None), 0) and len(shapes.get(source.name, ())) == 3:
            return "layer", ("clspool", source)
        if isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None) and isinstance(index[1], int) \
                and index[1] > 0 and len(shapes.get(source.name, ())) == 3:
            return "layer", (f"clspool token={index[1]}", source)      # DeiT's distillation token, x[:, 1]
        pooled = _pool_prefix(node, shapes, module)
        if pooled is not None:
            user, prefix = pooled
            pending[user] = ("poolprefix", prefix)     # the pool's keys and values skip the first N tokens
            return "alias", source
        mean = _token_mean(node, shapes)
        if mean is not None:
            pending[mean] = ("tokenmean", source, index[1].start or 0)
            return "skip", None
        if index == 0 and source.op == "call_module" and \
                isinstance(module.get_submodule(source.target), torch.nn.MultiheadAttention):
            return "alias", source
    return None


def _is_class_block(module) -> bool:
    """timm's LayerScaleBlockClassAttn (CaiT's class-attention block) or the export's: read whole."""
    return type(module).__name__ == "LayerScaleBlockClassAttn" and hasattr(module, "gamma_1")


def _class_block_call(node, module) -> bool:
    return node.op == "call_module" and _is_class_block(module.get_submodule(node.target)) and len(node.args) == 2


def _class_blocks_read(expand, module) -> bool:
    """A learned 1 x 1 x D token's .expand(B, -1, -1) read only as the class token of a CaiT class-attention
    block (its second argument)."""
    users = list(expand.users)
    return len(users) == 1 and _class_block_call(users[0], module) and users[0].args[1] is expand


def _cait_class_step(node, module, torch, pending):
    """CaiT's class-attention stage, on symparams' one sequence [class token; patches]:
    - the class token's expand, read by the first block: ('skip');
    - blk(x, cls) with the class token: ('layer', ('clstoken' then 'classattention ...', x));
    - blk(x, cls) with the previous block's class token and the same patches x: ('layer', ('classattention ...',
      the previous block)) -- the block keeps the patches and updates the class token;
    - torch.cat((cls, x), dim=1) of the last block's class token and those patches: ('alias', the last block).
    A block that reads other patches than the first did, or its class token used otherwise, is refused by name;
    None for any other node."""
    from ..layers.cait import class_attention_line
    if node in pending and pending[node][0] == "classtoken":
        return "skip", None
    if _class_block_call(node, module):
        x, cls = node.args
        if cls in pending and pending[cls][0] == "classtoken":
            token = pending[cls][1]
            pending[node] = ("classstream", x)
            line = class_attention_line(module.get_submodule(node.target), torch.nn)
            return "layer", ("clstoken" + ("" if token.requires_grad else " trainable=false") + f"\n{line}", x)
        if cls in pending and pending[cls][0] == "classstream" and pending[cls][1] is x and len(cls.users) == 1:
            pending[node] = ("classstream", x)
            return "layer", (class_attention_line(module.get_submodule(node.target), torch.nn), cls)
        raise DefinitionError(f"the operation '{node.name}' calls a CaiT class-attention block on other patches or "
                              "class token than the stage's; symparams reads the stage on one sequence [class token; "
                              "patches]")
    if node.op == "call_function" and node.target in (torch.cat, torch.concat) and node.args and \
            isinstance(node.args[0], (list, tuple)) and len(node.args[0]) == 2:
        cls, x = node.args[0]
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        if cls in pending and pending[cls][0] == "classstream":
            if pending[cls][1] is not x or dim not in (1, -2) or len(cls.users) != 1:
                raise DefinitionError(f"the operation '{node.name}' joins a CaiT class token with other patches "
                                      "than its blocks read; symparams reads the stage on one sequence [class "
                                      "token; patches]")
            return "alias", cls
    return None


def _prepended(expand, torch) -> bool:
    """A learned token's .expand(B, -1, -1) read only by torch.cat(..., dim=1) as one of the tensors before the
    last (the sequence): class, distillation and register tokens put in front of the patches."""
    users = list(expand.users)
    if len(users) != 1 or users[0].op != "call_function" or users[0].target not in (torch.cat, torch.concat):
        return False
    cat = users[0]
    parts = cat.args[0] if cat.args else cat.kwargs.get("tensors")
    dim = cat.kwargs.get("dim", cat.args[1] if len(cat.args) > 1 else 0)
    return isinstance(parts, (list, tuple)) and expand in parts[:-1] and parts[-1] is not expand and dim in (1, -2)


def _same_shape_view(node, shapes) -> bool:
    """x.view(...) / x.reshape(...) that gives back its input's shape (timm's ViT without a class token:
    x.view(B, -1, C) of a B x N x C sequence): the tensor itself, not a flatten."""
    if node.op != "call_method" or node.target not in ("view", "reshape") or not hasattr(node.args[0], "name"):
        return False
    before, after = shapes.get(node.args[0].name), shapes.get(node.name)
    return before is not None and after is not None and tuple(before) == tuple(after)


def _token_prefix(node, shapes) -> int | None:
    """N for x[:, N:] (a getitem node) of a B x T x D sequence: the tokens after the first N; None for any other
    index."""
    index, source = node.args[1], node.args[0]
    if not (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None) and
            isinstance(index[1], slice) and index[1].stop is None and index[1].step in (None, 1) and
            isinstance(index[1].start, (int, type(None))) and len(shapes.get(source.name, ())) == 3):
        return None
    return index[1].start or 0


def _pool_prefix(node, shapes, module):
    """x[:, N:] of a B x T x D sequence read only by timm's AttentionPoolLatent (its ViT's map head after N class or
    register tokens): (that call's node, N), which reads as `attentionpool ... prefix=N`; None otherwise."""
    start = _token_prefix(node, shapes)
    if start is None:
        return None
    users = list(node.users)
    if len(users) != 1 or users[0].op != "call_module" or users[0].args[:1] != (node,) or \
            not _is_timm_attention_pool(module.get_submodule(users[0].target)):
        return None
    return users[0], start


def _constant_division(node):
    """x / c for a number c (DeiT-distilled's head: (x + x_dist) / 2): ('rescaling 1/c', x); None otherwise."""
    import operator
    if node.op != "call_function" or node.target is not operator.truediv or len(node.args) != 2 or \
            not hasattr(node.args[0], "name") or isinstance(node.args[1], bool) or \
            not isinstance(node.args[1], (int, float)) or node.args[1] == 0:
        return None
    return f"rescaling {1 / node.args[1]!r}", node.args[0]


def _token_mean(node, shapes):
    """x[:, N:] of a B x T x D sequence read only by .mean(dim=1) (timm's avg head after its N class tokens): that
    mean's node, which reads as `globalavgpool prefix=N`; None for any other index."""
    if _token_prefix(node, shapes) is None:
        return None
    users = list(node.users)
    if len(users) != 1 or users[0].op != "call_method" or users[0].target != "mean":
        return None
    user = users[0]
    dim = user.kwargs.get("dim", user.args[1] if len(user.args) > 1 else None)
    keep = user.kwargs.get("keepdim", user.args[2] if len(user.args) > 2 else False)
    return user if dim in (1, -2, (1,), [1]) and not keep else None


def _torch_broadcast_index(node, merges) -> bool:
    """x[:, None, ...] (then .movedim(-1, 1) when the result is channels first): the batch axis kept and only new
    axes of size 1 after it, read by + or * alone (the export's broadcast of a vector over a sequence or a map).
    symparams' merges broadcast as NumPy does, so these steps write nothing."""
    import operator

    def new_axes(n) -> bool:
        if not (n.op == "call_function" and n.target is operator.getitem and isinstance(n.args[1], tuple)):
            return False
        first, *rest = n.args[1]
        return first == slice(None) and bool(rest) and all(r is None for r in rest)

    def to_first(n) -> bool:
        return n.op == "call_method" and n.target == "movedim" and tuple(n.args[1:]) == (-1, 1)

    def merged(n) -> bool:
        return bool(n.users) and all(u.op == "call_function" and merges.get(u.target) in ("add", "mul")
                                     for u in n.users)

    if to_first(node):
        return new_axes(node.args[0]) and merged(node)
    return new_axes(node) and (merged(node) or (len(node.users) == 1 and to_first(next(iter(node.users)))
                                                and merged(next(iter(node.users)))))


def _torch_rnn(sub, name: str, num, torch) -> str | None:
    """A bare nn.RNN / nn.LSTM / nn.GRU called on the sequence: its output sequence is `rnn|lstm|gru U
    return_sequences=true`, one line per stacked layer (num_layers=N: PyTorch's weight_*_l0 ... _l{N-1}, the
    layers after the first reading the one before; its inter-layer dropout is the identity when evaluated).
    batch_first=False is read as the same layer: which tensor axis holds the steps is a layout that changes
    no count (T steps of a batch of B, or B steps of T, run the same gates the same number of times), and the
    file's recurrent axis is its T (the state it also returns is read by _torch_rnn_output)."""
    cells = {torch.nn.RNN: "rnn", torch.nn.LSTM: "lstm", torch.nn.GRU: "gru"}
    cell = cells.get(type(sub))
    if cell is None:
        return None
    if getattr(sub, "proj_size", 0):
        raise DefinitionError(f"the module '{name}' is LSTM(proj_size={sub.proj_size}); symparams' lstm has no "
                              "projection of its hidden state")
    text = f"{cell} {num('units', sub.hidden_size)} return_sequences=true"
    text += " bidirectional=true" if sub.bidirectional else ""
    text += "" if sub.bias else " bias=false"
    text += " relu" if cell == "rnn" and sub.nonlinearity == "relu" else ""
    if sub.num_layers == 1:
        return f"{text} name={name}"
    lines = []
    for layer in range(sub.num_layers):
        if layer and sub.dropout:
            lines.append(f"dropout {sub.dropout}")
        lines.append(f"{text} name={name}_l{layer}")
    return "\n".join(lines)


def _torch_rnn_output(node, module, alias, live, states, nodes, torch) -> bool:
    """`out, state = self.lstm(x)` (x, _ = ...): the output sequence is the recurrent layer's node. Its state
    (h for RNN/GRU, (h, c) for LSTM, one row per layer and direction) is remembered in `states` (node ->
    (the layer's call, 'state' | 'h' | 'c')): returned from forward as it is, it is the layer's own result
    (the network's output is the other tensor); its last row h[-1] of a one-direction layer read in forward
    is the layer's last state, the rnn/lstm/gru line without return_sequences (and then its sequence must
    be unread); a bidirectional layer's h[-2] and h[-1] are remembered for their cat (_torch_both_ends). Any
    other reading of a state is a located refusal (_torch_state_problem)."""
    import operator
    if not (node.op == "call_function" and node.target is operator.getitem):
        return False
    source, index = node.args[0], node.args[1]
    if source in states:
        call, what = states[source]
        sub = module.get_submodule(call.target)
        if what == "state" and isinstance(sub, torch.nn.LSTM) and index in (0, 1):
            states[node] = (call, "hc"[index])
            return True
        rows = sub.num_layers * (2 if sub.bidirectional else 1)
        if what == "h" and isinstance(index, int) and index in (-1, rows - 1, -2, rows - 2) and (
                sub.bidirectional or index in (-1, rows - 1)):
            if any(n in live for n in call.users if n.args[1] == 0):
                raise DefinitionError(f"the forward reads both the sequence and the last state of '{call.target}' "
                                      f"('{node.name}'); a symparams recurrent line gives one of them")
            if sub.bidirectional:       # one direction's last state: only as cat([h[-2], h[-1]]) (_torch_both_ends)
                states[node] = (call, "forward" if index in (-2, rows - 2) else "backward")
                return True
            _last_state(nodes[call])
            alias[node] = call
            return True
        raise DefinitionError(f"the forward reads {'the cell state' if what == 'c' else 'the state'} of "
                              f"'{call.target}' as {source.name}[{index}] ('{node.name}'); symparams reads a "
                              "recurrent layer's sequence, or the last row h[-1] of its hidden state when it has "
                              "one direction (the rnn/lstm/gru line without return_sequences)")
    if source.op != "call_module" or type(module.get_submodule(source.target)) not in (
            torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        return False
    if index == 0:
        alias[node] = source
        return True
    lstm = isinstance(module.get_submodule(source.target), torch.nn.LSTM)
    states[node] = (source, "state" if lstm else "h")
    return True


def _rows_to_batch(node, shapes) -> bool:
    """x.view(-1, C) / x.reshape(-1, C) of a B x ... x C tensor, returned from forward as it is (torchinfo's
    LSTMNet: its decoder's T x V scores per example as B·T rows): each example's values, in its order, with
    the batch axis taking the leading ones. A layout that changes no count; read only as the output, since
    a layer after it would see rows where the file has a sequence."""
    if node.op != "call_method" or node.target not in ("view", "reshape") or not node.users or \
            any(u.op != "output" for u in node.users):
        return False
    before, after = shapes.get(getattr(node.args[0], "name", ""), ()), shapes.get(node.name, ())
    return len(before) >= 3 and len(after) == 2 and after[-1] == before[-1] and \
        after[0] == math.prod(before[:-1]) and node.args[1] == -1


# tensor factories given a size: torch.randn(x.size(0), 2), torch.zeros(layers, x.size(0), hidden)
_FACTORIES = ("zeros", "ones", "randn", "rand", "empty", "full")


@contextlib.contextmanager
def _traced_factories(torch):
    """While tracing, torch.zeros/ones/randn/rand/empty/full called with a size read off a traced tensor
    (`torch.randn(x.size(0), 2, device=x.device)`, an initial state made from the batch size) are recorded as
    graph nodes: torch.fx hands such a size over as a Proxy, which the factory itself refuses. Calls with
    plain numbers run as they are. The functions are put back when the trace ends, however it ends."""
    from torch import fx
    originals = {name: getattr(torch, name) for name in _FACTORIES}

    def recorded(factory):
        @functools.wraps(factory)
        def call(*args, **kwargs):
            proxy = next((a for a in _flat(list(args) + list(kwargs.values())) if isinstance(a, fx.Proxy)), None)
            if proxy is None:
                return factory(*args, **kwargs)
            return proxy.tracer.create_proxy("call_function", factory, args, kwargs)
        return call

    for name, factory in originals.items():
        setattr(torch, name, recorded(factory))
    try:
        yield
    finally:
        for name, factory in originals.items():
            setattr(torch, name, factory)


_MOVES = ("to", "type", "float", "double", "half", "bfloat16", "cpu", "cuda", "contiguous", "detach", "clone",
          "requires_grad_")


def _made_tensor(node, made, torch) -> bool:
    """A tensor forward makes rather than computes from its input: a factory call (zeros, randn, ...) with a
    size of numbers and sizes read off the input, or such a tensor moved or cast (`.to(x.device)`)."""
    if node.op == "call_function" and node.target in tuple(getattr(torch, n) for n in _FACTORIES):
        return True
    return node.op == "call_method" and node.target in _MOVES and bool(node.args) and node.args[0] in made


def _made_by_forward(node, torch) -> bool:
    """node is a tensor forward makes (a factory call, or one moved or cast), seen from the node alone."""
    from torch import fx
    inputs = {a for a in node.all_input_nodes if isinstance(a, fx.Node) and _made_by_forward(a, torch)}
    return _made_tensor(node, inputs, torch)


def _torch_made_problem(node, made, module, torch) -> None:
    """A made tensor read by anything but a recurrent layer's initial state (its values change no count, its
    shape is the state's): a located refusal rather than a layer silently left without an operand."""
    read = [a for a in node.all_input_nodes if a in made]
    if not read or node.op == "output":
        return
    if node.op == "call_module" and isinstance(module.get_submodule(node.target), (torch.nn.RNN, torch.nn.LSTM,
                                                                                     torch.nn.GRU)) \
            and node.args and node.args[0] not in made:
        return
    what = read[0].target if isinstance(read[0].target, str) else read[0].target.__name__
    where = f"'{node.name}'"
    if node.op == "call_module":
        sub = module.get_submodule(node.target)
        where = f"the module '{node.target}' ({type(sub).__name__})"
        if isinstance(sub, torch.nn.RNNCellBase):
            raise DefinitionError(f"{where} is a recurrent cell stepped in forward from a state it makes "
                                  f"('{read[0].name}', {what}(...)); symparams has the whole recurrent layers "
                                  "(nn.LSTM/GRU/RNN: lstm, gru, rnn) and no cell kind")
    raise DefinitionError(f"the forward reads a tensor it makes ('{read[0].name}', {what}(...)) in {where}; "
                          "symparams reads such a tensor only as a recurrent layer's initial state "
                          "(nn.LSTM/GRU/RNN(x, h0))")


def _leaves(value):
    """The values inside a forward's result: tuples, lists and dicts (its values, nested) opened."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _torch_output(node, alias, states):
    """The tensor forward returns, inside any nesting of tuples, lists and dicts (torchinfo's nested dict):
    symparams' network has one output, so exactly one tensor must leave, besides a recurrent layer's state
    returned as it is (the layer's own result, computed whichever output the file follows). None values
    (an optional output left empty) are no tensor; any other constant or a second tensor is a refusal."""
    from torch import fx
    values = list(_leaves(node.args))
    tensors = list(dict.fromkeys(alias.get(v, v) for v in values if isinstance(v, fx.Node) and v not in states))
    others = [v for v in values if not isinstance(v, fx.Node) and v is not None]
    if len(tensors) != 1 or others:
        named = ", ".join(f"'{v.name}'" if isinstance(v, fx.Node) else repr(v)[:40] for v in tensors + others)
        raise DefinitionError(f"the module returns {len(tensors) + len(others)} values ({named[:200]}); symparams "
                              "imports a module with one output tensor (a recurrent layer's state aside)")
    return tensors[0]


def _last_state(layer) -> None:
    """The recurrent node's last line gives its last state (return_sequences dropped)."""
    head, _, last = layer.line.rpartition("\n")
    layer.line = (head + "\n" if head else "") + last.replace(" return_sequences=true", "")


def _torch_both_ends(node, states, alias, nodes, torch) -> bool:
    """torch.cat([h[-2], h[-1]], dim=1) of a bidirectional layer's state: the last layer's forward and backward
    final states side by side, which is the bidirectional rnn/lstm/gru line without return_sequences (as the
    exported Recurrent module gives it)."""
    if not (node.op == "call_function" and node.target in (torch.cat, torch.concat) and node.args):
        return False
    parts = node.args[0]
    if not (isinstance(parts, (list, tuple)) and len(parts) == 2 and all(p in states for p in parts)):
        return False
    (call, first), (other, second) = states[parts[0]], states[parts[1]]
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    if call is not other or (first, second) != ("forward", "backward") or dim not in (1, -1):
        return False
    _last_state(nodes[call])
    alias[node] = call
    return True


def _torch_rnn_initial_state(node, sub, made, torch) -> None:
    """nn.LSTM/GRU/RNN(x, h0) with h0 (or (h0, c0)) a tensor forward makes, zeros or random
    (`torch.zeros(layers, x.size(0), hidden)`): the same layer, its initial state's values changing no count;
    an initial state computed from the input (an encoder's state handed to a decoder) has no form."""
    if not isinstance(sub, (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)):
        return
    from torch import fx
    given = [a for a in _flat(list(node.args[1:]) + list(node.kwargs.values())) if isinstance(a, fx.Node)]
    computed = [a for a in given if a not in made]
    if computed:
        raise DefinitionError(f"the module '{node.target}' ({type(sub).__name__}) starts from a state forward "
                              f"computes ('{computed[0].name}'); symparams' recurrent layers start from a state of "
                              "no layer (zeros, or a tensor forward makes)")


def _torch_last_step(node, module, alias, live, nodes, torch) -> bool:
    """out[:, -1] (out[:, -1, :]; out[-1] sequence first) of a one-direction recurrent layer's output sequence,
    read while the sequence is not: its last step, the rnn/lstm/gru line without return_sequences."""
    import operator
    if not (node.op == "call_function" and node.target is operator.getitem and node.args[0] in alias):
        return False
    call = alias[node.args[0]]
    if call.op != "call_module" or call not in nodes:
        return False
    sub = module.get_submodule(call.target)
    if not isinstance(sub, (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)) or sub.bidirectional:
        return False
    index = node.args[1]
    everything = slice(None)
    last = (everything, -1) if sub.batch_first else (-1,)
    if not isinstance(index, tuple):
        index = (index,)
    if index not in (last, last + (everything,)):
        return False
    if any(u is not node for u in node.args[0].users if u in live):
        raise DefinitionError(f"the forward reads both the sequence and the last step of '{call.target}' "
                              f"('{node.name}'); a symparams recurrent line gives one of them")
    layer = nodes[call]
    head, _, tail = layer.line.rpartition("\n")
    layer.line = (head + "\n" if head else "") + tail.replace(" return_sequences=true", "")
    alias[node] = call
    return True


def _torch_state_problem(node, states) -> None:
    """A recurrent layer's state read by anything but the indexing _torch_rnn_output reads, or the output."""
    for arg in node.all_input_nodes:
        if arg in states and node.op != "output":
            call, what = states[arg]
            raise DefinitionError(f"the forward passes the {'cell state' if what == 'c' else 'state'} of "
                                  f"'{call.target}' ('{arg.name}') to '{node.name}'; symparams reads a recurrent "
                                  "layer's sequence, or the last row h[-1] of its hidden state when it has one "
                                  "direction")


def _torch_pool_indices(node, module, alias, unpooling, torch) -> bool:
    """Reads `pooled, indices = self.pool(x)` of a MaxPool with return_indices=True: the pooled map is the pool's
    node (an alias), the indices are remembered for the MaxUnpool that reads them (and for nothing else)."""
    import operator
    if not (node.op == "call_function" and node.target is operator.getitem and node.args[0].op == "call_module"):
        return False
    pool = module.get_submodule(node.args[0].target)
    if not (isinstance(pool, torch.nn.modules.pooling._MaxPoolNd) and pool.return_indices):
        return False
    if node.args[1] == 0:
        alias[node] = node.args[0]
        return True
    for user in node.users:
        if user.op != "call_module" or not isinstance(module.get_submodule(user.target),
                                                      torch.nn.modules.pooling._MaxUnpoolNd) or user.args[1:] != (node,):
            raise DefinitionError(f"the indices of the max pooling '{node.args[0].target}' go to '{user.name}'; "
                                  "symparams reads a max pool's indices only as a MaxUnpool's second argument")
    unpooling[node] = node.args[0]
    return True


def _torch_unpool_source(node, sub, line: str, unpooling, nodes, torch) -> str:
    """A MaxUnpool's line with indices= naming the max pool whose indices it reads (its second argument)."""
    if not isinstance(sub, torch.nn.modules.pooling._MaxUnpoolNd):
        return line
    if len(node.args) != 2 or node.kwargs or node.args[1] not in unpooling:
        raise DefinitionError(f"the module '{node.target}' (MaxUnpool) is called with {len(node.args)} arguments; "
                              "symparams reads MaxUnpool(pooled, indices) with the indices of a max pooling")
    return _with_option(line, f"indices={nodes[unpooling[node.args[1]]].name}")


def _swaps_last_two(node) -> bool:
    """x.permute(0, 2, 1) or x.transpose(1, 2) of a rank-3 tensor."""
    if node.op != "call_method" or node.target not in ("permute", "transpose"):
        return False
    dims = list(node.args[1:])
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = list(dims[0])
    if node.target == "permute":
        return [d % 3 for d in dims if isinstance(d, int)] == [0, 2, 1]
    return len(dims) == 2 and {d % 3 for d in dims if isinstance(d, int)} == {1, 2}


def _context_argument(node, sub, line, args) -> list:
    """A module called with a second tensor: the exporter's cross-attention (ProjectedAttention(x, context)) reads
    as `attention ... context=NAME`, a CondConv2d(x, routing_weights) as `condconv ... routing=NAME`, NAME the saved
    tensor _named writes for that operand; any other module is refused, as its line would say nothing of that
    tensor."""
    if type(sub).__name__ == "ProjectedAttention" and line.startswith("attention ") and len(args) == 2:
        return list(args)
    if type(sub).__name__ == "CondConv2d" and line.startswith("condconv ") and len(args) == 2:
        return list(args)           # forward(x, routing_weights): condconv ... routing=NAME
    raise DefinitionError(f"the module '{node.target}' ({type(sub).__name__}) is called with {len(args)} tensors; "
                          "symparams reads a module call with one input (and attention with a context)")


def _torch_mha(node, sub, name, torch) -> str | None:
    """A bare nn.MultiheadAttention called as self-attention, attention(x, x, x) batch first, as torchvision's
    ViT calls it: `attention heads=H` (bias=false without biases); None when it is not one."""
    if not isinstance(sub, torch.nn.MultiheadAttention):
        return None
    q = node.args[0] if node.args else None
    same = len(node.args) == 3 and node.args[1] is q and node.args[2] is q
    if not same or not sub.batch_first or not sub._qkv_same_embed_dim or sub.bias_k is not None \
            or sub.add_zero_attn or any(k not in ("need_weights", "attn_mask") or (k == "attn_mask" and v is not None)
                                        for k, v in node.kwargs.items()):
        raise DefinitionError(f"the module '{node.target}' (MultiheadAttention) is called in a way symparams does not "
                              "represent; it reads self-attention attention(x, x, x) with batch_first=True, no bias_k, "
                              "no add_zero_attn and no mask")
    return f"attention heads={sub.num_heads}" + ("" if sub.in_proj_bias is not None else " bias=false") + \
        f" name={name}"


def _timm_attention_norms(module, heads, head_dim, nn) -> tuple[str, list]:
    """The options of timm's norms inside an attention: q_norm and k_norm over each head's head_dim (one module
    each, shared by the heads: qk_norm=layernorm or rmsnorm) and `norm` over the heads' output before proj
    (scale_norm=layernorm or rmsnorm), and the problems of a norm symparams does not count alike (another kind,
    another width, a LayerNorm without its scale or shift)."""
    def kind(norm, width):
        if isinstance(norm, (nn.Identity, type(None))):
            return "none"
        shape = tuple(getattr(norm, "normalized_shape", ()) or ())
        if shape != (width,):
            return None
        if isinstance(norm, nn.LayerNorm):
            return "layernorm" if norm.weight is not None and norm.bias is not None else None
        rms = isinstance(norm, nn.RMSNorm) or (type(norm).__name__ in ("RmsNorm", "RmsNormFp32")
                                               and type(norm).__module__.startswith("timm."))
        return "rmsnorm" if rms and getattr(norm, "weight", None) is not None \
            and getattr(norm, "bias", None) is None else None
    q, k = (kind(getattr(module, part, None), head_dim) for part in ("q_norm", "k_norm"))
    out = kind(getattr(module, "norm", None), heads * head_dim)
    problems = []
    if q is None or k is None or q != k:
        problems.append("a q/k norm other than one LayerNorm or RMS norm of each head's width for q and for k")
    if out is None:
        problems.append("a norm before its output projection other than a LayerNorm or RMS norm of the heads' "
                        "output")
    options = ("" if q in (None, "none") or q != k else f" qk_norm={q}") + \
        ("" if out in (None, "none") else f" scale_norm={out}")
    return options, problems


def _timm_attention(module, name=None) -> str | None:
    """timm's Attention (its ViT, DeiT, BEiT-free blocks): qkv Linear(d, 3hk), proj Linear(hk, d), as `attention
    heads=H` (key_dim=k when h·k is not d; bias=false when neither projection has a bias; qk_norm= and scale_norm=
    for its q/k norms and its norm before proj); None when the module is not one. Read whole (its forward reshapes
    and permutes the heads, which the import does not follow); a variant symparams' attention does not count alike
    (another norm, a gate, one projection biased and the other not) is refused."""
    cls = type(module)
    if cls.__name__ != "Attention" or not cls.__module__.startswith("timm.") or not hasattr(module, "qkv"):
        return None
    if name is None:
        return "attention"
    nn = need("torch", "pytorch").nn
    if cls.__module__ == "timm.models.fastvit":
        return _fastvit_attention(module, name, nn)
    if not isinstance(module.qkv, nn.Linear) or not isinstance(getattr(module, "proj", None), nn.Linear):
        # LeViT's Attention: its qkv and proj are Linear + BatchNorm units (and proj starts with an activation)
        raise DefinitionError(f"the module '{name}' (timm Attention) has a qkv of {type(module.qkv).__name__} and a "
                              f"proj of {type(getattr(module, 'proj', None)).__name__}; symparams reads timm's "
                              "Attention with Linear projections")
    d, heads = module.qkv.in_features, module.num_heads
    head_dim = module.qkv.out_features // (3 * heads)
    bias = _timm_attention_bias(module)
    norms, problems = _timm_attention_norms(module, heads, head_dim, nn)
    problems += [what for what, present in (
        ("a gate", getattr(module, "gate", None) is not None),
        ("free biases other than q_bias and v_bias together", bias is None),
        ("a width other than its input's", module.qkv.out_features != 3 * heads * head_dim
         or module.proj.in_features != heads * head_dim or module.proj.out_features != d))
        if present]
    if problems:
        raise DefinitionError(f"the module '{name}' (timm Attention) has {', '.join(problems)}; symparams reads timm's "
                              "Attention as attention")
    key_dim = "" if heads * head_dim == d else f" key_dim={head_dim}"
    return f"attention heads={heads}{key_dim}" + bias + norms + _timm_relbias(module, name) + f" name={name}"


def _fastvit_attention(module, name, nn) -> str:
    """FastViT's Attention takes a B x C x H x W map and flattens it to tokens inside its forward: attention over
    every position of the map, which is `srattention` without a reduction (sr=1: q, k and v from the map itself;
    one qkv Linear holds the weights of q and kv). Read as `attention` it would meet a map, which that kind does
    not take (a file that does not read back)."""
    c = module.qkv.in_features if isinstance(module.qkv, nn.Linear) else None
    if c is None or not isinstance(getattr(module, "proj", None), nn.Linear) or module.qkv.out_features != 3 * c \
            or module.proj.in_features != c or module.proj.out_features != c or module.proj.bias is None \
            or c % module.num_heads:
        raise DefinitionError(f"the module '{name}' (timm FastViT Attention) has projections of another width than "
                              "its input's, an unbiased output projection or heads that do not divide its channels; "
                              "symparams reads it as srattention (attention over every position of the map)")
    return f"srattention heads={module.num_heads}" + ("" if module.qkv.bias is not None else " qkv_bias=false") + \
        f" name={name}"


def _timm_attention_bias(module) -> str | None:
    """The attention's bias option from timm's projections: all four biased (''), none (' bias=false'), or BEiT's
    free q_bias and v_bias parameters with an unbiased qkv Linear (its k bias is a zero buffer, not a weight) and a
    biased output projection (' bias=qvo'); qkv_bias=False with the biased proj timm always builds (' bias=o'), a
    biased qkv and an unbiased proj (' bias=qkv'); None for any other mix, which the attention kind does not count."""
    qkv_bias, out_bias = module.qkv.bias is not None, module.proj.bias is not None
    free = getattr(module, "q_bias", None) is not None, getattr(module, "v_bias", None) is not None
    if free == (True, True) and not qkv_bias and out_bias and \
            tuple(module.q_bias.shape) == tuple(module.v_bias.shape) == (module.qkv.out_features // 3,):
        return " bias=qvo"
    if free != (False, False):
        return None
    return {(True, True): "", (False, False): " bias=false", (False, True): " bias=o", (True, False): " bias=qkv"}[
        (qkv_bias, out_bias)]


def _timm_relbias(module, name) -> str:
    """BEiT's relative position bias: a learned (2W-1)^2 + 3 x heads table per block, gathered into a heads x T x T
    bias added to the scores: read as relbias=N (the same N x heads weights and the same addition per score;
    symparams' relbias gathers it by T5's buckets instead of BEiT's 2-D offsets, which changes no count)."""
    table = getattr(module, "relative_position_bias_table", None)
    if table is None:
        return ""
    rows, heads = tuple(table.shape)
    if heads != module.num_heads:
        raise DefinitionError(f"the module '{name}' (timm Attention) has a relative position table of {heads} "
                              f"columns for {module.num_heads} heads")
    return f" relbias={rows}"


def _is_timm_attention_pool(module) -> bool:
    cls = type(module)
    return cls.__name__ == "AttentionPoolLatent" and cls.__module__.startswith("timm.")


def _timm_attention_pool(module, name, num, prefix=0) -> str | None:
    """timm's AttentionPoolLatent (SigLIP's map head), read whole: `attentionpool heads=H [latent=L]
    [qkv_bias=false] [prefix=N]` for the latent query, q, kv and proj, then its norm and MLP on the pooled tokens
    as `residual { layernorm; dense; act; dense }`, and with L > 1 latent tokens its pool (x[:, 0]: clspool; the
    mean: globalavgpool). A variant whose weights attentionpool does not count alike (a position embedding,
    q/k norms, widths other than the input's, no query projection, timm's pre-logits mode without proj and MLP, a
    1 x D sequence kept) is refused by name. None when the module is not one."""
    if not _is_timm_attention_pool(module):
        return None
    nn = need("torch", "pytorch").nn
    d = module.kv.in_features
    latent = int(module.latent.shape[1])
    mlp = module.mlp
    problems = [what for what, present in (
        ("a position embedding", module.pos_embed is not None),
        ("q/k norms", not (isinstance(module.q_norm, nn.Identity) and isinstance(module.k_norm, nn.Identity))),
        ("no query projection or widths other than its input's",
         not isinstance(module.q, nn.Linear) or module.q.in_features != d or module.q.out_features != d
         or module.kv.out_features != 2 * d or (module.q.bias is None) != (module.kv.bias is None)),
        ("no output projection and MLP (pre-logits mode)",
         not isinstance(module.proj, nn.Linear) or module.proj.out_features != d or module.proj.bias is None
         or mlp is None or type(mlp).__name__ != "Mlp"),
        ("its latent tokens kept as a sequence", module.pool not in ("token", "avg") and latent == 1))
        if present]
    if problems:
        raise DefinitionError(f"the module '{name}' (timm AttentionPoolLatent) has {', '.join(problems)}; symparams "
                              "reads timm's attention pool of the input's width with its norm and MLP as attentionpool")
    inner = identifier(name)
    line = f"attentionpool heads={module.num_heads}" + (f" latent={latent}" if latent != 1 else "") + \
        ("" if module.q.bias is not None else " qkv_bias=false") + (f" prefix={prefix}" if prefix else "") + \
        f" name={inner}_attn"
    ffn = [] if isinstance(module.norm, nn.Identity) else [_torch_line(module.norm, f"{inner}_norm", num)]
    ffn += [_torch_line(mlp.fc1, f"{inner}_fc1", num), _torch_line(mlp.act, f"{inner}_act", num)]
    ffn += [] if isinstance(mlp.norm, nn.Identity) else [_torch_line(mlp.norm, f"{inner}_mlp_norm", num)]
    ffn += [_torch_line(mlp.fc2, f"{inner}_fc2", num)]
    tail = [] if latent == 1 else [f"clspool name={inner}_token"] if module.pool == "token" else \
        [f"globalavgpool name={inner}_mean"] if module.pool == "avg" else []
    return "\n".join([line, "residual {"] + ["    " + f for f in ffn] + ["}"] + tail)


def _is_eva_attention(module) -> bool:
    cls = type(module)
    return cls.__name__ == "EvaAttention" and cls.__module__.startswith("timm.")


def _eva_attention(module, name) -> str | None:
    """timm's EvaAttention (EVA, EVA-02), read whole: `attention heads=H` with BEiT's bias reading (a qkv Linear
    without bias, free q_bias and v_bias, k's a zero buffer, a biased proj: bias=qvo; or separate q/k/v Linears,
    k's unbiased); its rotary embeddings rotate q and k in place with a table computed from buffers, which adds no
    weight (as in the attention of Llama-style configs). Its q/k norms and its norm before proj (scale_norm, EVA-02
    CLIP) read as qk_norm= and scale_norm=; a head width other than D/H as key_dim=. Another norm, a gate or
    other widths are refused by name. None when the module is not one."""
    if not _is_eva_attention(module):
        return None
    nn = need("torch", "pytorch").nn
    d, heads = module.proj.out_features, module.num_heads
    head_dim = getattr(module, "head_dim", None) or d // heads
    width = heads * head_dim
    fused = module.qkv is not None
    if fused:
        widths_ok = module.qkv.in_features == d and module.qkv.out_features == 3 * width
        free = module.q_bias is not None
        bias = " bias=qvo" if free and module.qkv.bias is None and module.proj.bias is not None else \
            " bias=o" if not free and module.qkv.bias is None and module.proj.bias is not None else None
    else:
        widths_ok = all(p.in_features == d and p.out_features == width
                        for p in (module.q_proj, module.k_proj, module.v_proj))
        q, k, v = (p.bias is not None for p in (module.q_proj, module.k_proj, module.v_proj))
        bias = {(True, False, True): " bias=qvo", (False, False, False): " bias=o"}.get((q, k, v)) \
            if module.proj.bias is not None else None
    norms, problems = _timm_attention_norms(module, heads, head_dim, nn)
    problems += [what for what, present in (
        ("a gate", module.gate is not None),
        ("projections of other widths than heads x head_dim", not widths_ok or module.proj.in_features != width),
        ("biases other than q and v with a biased proj", bias is None)) if present]
    if problems:
        raise DefinitionError(f"the module '{name}' (timm EvaAttention) has {', '.join(problems)}; symparams reads "
                              "EVA's attention with q/v biases as attention bias=qvo")
    key_dim = "" if width == d else f" key_dim={head_dim}"
    return f"attention heads={heads}{key_dim}{bias}{norms} name={name}"


# timm attention modules with no symparams form yet, and what each does that the language does not say: kept whole by
# the tracer so that the refusal names the construct rather than a permute inside it
_TIMM_UNREAD_ATTENTION = {
    "ClassAttn": "class attention (CaiT: the class token alone queries itself and the patches) outside timm's "
                 "LayerScaleBlockClassAttn, which symparams reads whole as classattention",
    "XCA": "cross-covariance attention (XCiT: attention between channels, with a learned temperature per head)",
}


def _timm_unread_attention(module) -> str | None:
    cls = type(module)
    return _TIMM_UNREAD_ATTENTION.get(cls.__name__) if cls.__module__.startswith("timm.") else None


def _timm_unread(module, name) -> None:
    """Refuses, by name, a timm attention module symparams has no form for (None for any other module)."""
    what = _timm_unread_attention(module)
    if what is not None:
        raise DefinitionError(f"the module '{name}' (timm {type(module).__name__}) is {what}; symparams has no "
                              "such attention yet")
    return None


def _is_timm_attention_rope(module) -> bool:
    cls = type(module)
    return cls.__name__ == "AttentionRope" and cls.__module__.startswith("timm.")


def _timm_attention_rope(module, name) -> str | None:
    """timm's AttentionRope (its rope ViTs, the PE towers), read whole as EvaAttention is: `attention heads=H`
    with kv_heads=G for its grouped keys and values (num_kv_heads), key_dim= for a head width other than D/H, the
    bias of q, k, v together (qkv_bias) and of proj (bias=false|qkv|o), qk_norm= and scale_norm= for its norms; its
    rotary table rotates q and k with no weight. A gate, another norm or an output width other than its input's is
    refused by name. None when the module is not one."""
    if not _is_timm_attention_rope(module):
        return None
    nn = need("torch", "pytorch").nn
    heads, kv_heads, head_dim = module.num_heads, module.num_kv_heads, module.head_dim
    parts = (module.qkv,) if module.qkv is not None else (module.q_proj, module.k_proj, module.v_proj)
    d = parts[0].in_features
    widths = (3 * heads * head_dim,) if module.qkv is not None else \
        (heads * head_dim, kv_heads * head_dim, kv_heads * head_dim)
    biased = {p.bias is not None for p in parts}
    norms, problems = _timm_attention_norms(module, heads, head_dim, nn)
    problems += [what for what, present in (
        ("a gate", module.gate is not None),
        ("projections of other widths than heads x head_dim and an output of its input's width",
         any(p.in_features != d or p.out_features != w for p, w in zip(parts, widths))
         or module.proj.in_features != heads * head_dim or module.proj.out_features != d),
        ("a bias on some of q, k and v only", len(biased) != 1)) if present]
    if problems:
        raise DefinitionError(f"the module '{name}' (timm AttentionRope) has {', '.join(problems)}; symparams reads "
                              "timm's rope attention as attention")
    bias = {(True, True): "", (False, False): " bias=false", (False, True): " bias=o", (True, False): " bias=qkv"}[
        (biased.pop(), module.proj.bias is not None)]
    kv = "" if kv_heads == heads else f" kv_heads={kv_heads}"
    key_dim = "" if heads * head_dim == d else f" key_dim={head_dim}"
    return f"attention heads={heads}{kv}{key_dim}{bias}{norms} name={name}"


def _rope_side(graph, module) -> set:
    """The nodes that only make EVA's rotary table: they read no input (buffers, constants and the input's sizes
    only) and every use
    ends in the rope= argument of an EvaAttention or AttentionRope read whole, which counts it (no weights) itself."""
    from torch import fx
    from_input: set = set()
    for n in graph.nodes:
        if _size_of(n):
            continue            # the input's sizes (DINOv3's grid of H x W patches) are numbers, not its values
        if n.op == "placeholder" or any(isinstance(a, fx.Node) and a in from_input
                                        for a in _flat(list(n.args) + list(n.kwargs.values()))):
            from_input.add(n)
    side: set = set()
    torch = need("torch", "pytorch")
    for n in reversed(list(graph.nodes)):
        if n in from_input or n.op in ("placeholder", "output") or not n.users:
            continue
        if (n.op == "get_attr" and isinstance(_attribute(module, n.target), torch.nn.Parameter)) or \
                (n.op == "call_module" and any(True for _ in module.get_submodule(n.target).parameters())):
            continue            # learned frequencies (rope 'mixed'): weights, read (or refused) where they are used

        def rope_use(user, n=n) -> bool:
            if user in side:
                return True
            sub = module.get_submodule(user.target) if user.op == "call_module" else None
            return sub is not None and (_is_eva_attention(sub) or _is_timm_attention_rope(sub)) and \
                n not in _flat(user.args) and all(v is n for k, v in user.kwargs.items() if k == "rope" and v is n) \
                and any(v is n for v in user.kwargs.values())
        if all(rope_use(u) for u in n.users):
            side.add(n)
    return side


def _timm_rmsnorm(module, name=None) -> str | None:
    """timm's RmsNorm over the last axis with a learned scale (AIMv2's and other ViTs' norms; its forward calls
    timm's own rms_norm with self.weight): symparams' rmsnorm, D weights; None for anything else (without a scale,
    or over several axes, it is traced into and refused where it reads its tensors)."""
    cls = type(module)
    if cls.__name__ != "RmsNorm" or not cls.__module__.startswith("timm.") or \
            getattr(module, "weight", None) is None or len(tuple(module.normalized_shape)) != 1 or \
            getattr(module, "bias", None) is not None:
        return None
    return "rmsnorm" if name is None else f"rmsnorm name={name}"


def _is_timm_partition(module) -> bool:
    cls = type(module)
    return cls.__name__ == "PartitionAttentionCl" and cls.__module__.startswith("timm.")


def _timm_partition(module, name, num) -> str | None:
    """timm's MaxViT PartitionAttentionCl (maxvit_*_tf, maxvit_*_rw), read whole on its channels-last map as
    torchvision's PartitionAttentionLayer is:
        residual { layernorm; windowattention heads=H window=P [grid=true] }
        residual { layernorm; dense 4C; act; dense C }
    (its window or grid partition, attention within each P x P group, and the partition undone). Its relative
    position table, TensorFlow's (heads, 2P-1, 2P-1) or timm's ((2P-1)^2, heads), holds windowattention's
    (2P-1)^2 x heads weights. A non-square partition, unbiased projections, widths other than its input's, another
    position bias (rmlp's MLP), layer scale or a norm in its MLP is refused by name. None when the module is not
    one."""
    if not _is_timm_partition(module):
        return None
    nn = need("torch", "pytorch").nn
    attn, mlp = module.attn, module.mlp
    c = attn.qkv.in_features
    size = _square_pair(module.partition_size)
    table = getattr(attn.rel_pos, "relative_position_bias_table", None)
    heads = attn.num_heads
    problems = [what for what, present in (
        ("a partition that is not square", size is None),
        ("projections without biases or of another width",
         attn.qkv.out_features != 3 * c or attn.proj.in_features != c or attn.proj.out_features != c
         or attn.qkv.bias is None or attn.proj.bias is None),
        (f"a position bias other than a (2P-1)^2 x heads table or timm's RelPosMlp ({type(attn.rel_pos).__name__})",
         size is None or (_timm_rel_pos_mlp(attn.rel_pos, size, heads, nn) is None and (
             table is None or table.numel() != (2 * size - 1) ** 2 * heads
             or type(attn.rel_pos).__name__ not in ("RelPosBiasTf", "RelPosBias")))),
        ("a layer scale other than a learned C-vector (timm's LayerScale)",
         not all(_timm_layer_scale(ls, c, nn) is not None for ls in (module.ls1, module.ls2))),
        ("an MLP other than fc1, act, fc2", type(mlp).__name__ != "Mlp" or not isinstance(mlp.norm, nn.Identity)))
        if present]
    if problems:
        raise DefinitionError(f"the module '{name}' (timm PartitionAttentionCl) has {', '.join(problems)}; symparams "
                              "reads MaxViT's partition attention block as windowattention")
    inner = identifier(name)
    attn_lines = [_torch_line(module.norm1, f"{inner}_norm1", num),
                  f"windowattention heads={heads} window={size}" + ("" if module.partition_block else " grid=true")
                  + (_timm_rel_pos_mlp(attn.rel_pos, size, heads, nn) or "") + f" name={inner}_attn"]
    ffn = [_torch_line(module.norm2, f"{inner}_norm2", num), _torch_line(mlp.fc1, f"{inner}_fc1", num),
           _torch_line(mlp.act, f"{inner}_act", num), _torch_line(mlp.fc2, f"{inner}_fc2", num)]
    # MaxxViT-v2's layer scale: each residual branch ends in x * gamma (MaxViT's are identities)
    attn_lines += _timm_layer_scale(module.ls1, c, nn, f"{inner}_ls1")
    ffn += _timm_layer_scale(module.ls2, c, nn, f"{inner}_ls2")
    return "\n".join(["residual {"] + ["    " + a for a in attn_lines] + ["}", "residual {"] + ["    " + f for f in ffn]
                     + ["}"])


def _timm_rel_pos_mlp(module, window, heads, nn) -> str | None:
    """' cpb=H cpb_form=rmlp' for timm's RelPosMlp in its 'cr' mode (MaxViT-rmlp, MaxxViT): an MLP 2 -> H -> heads,
    both layers biased, ReLU and a dropout of 0.125 between them, on the (2W-1)^2 log-spaced offsets of a square W x
    W window, no prefix tokens, its output added to the scores; None for anything else (another mode, MLP or
    window)."""
    if type(module).__name__ != "RelPosMlp" or not type(module).__module__.startswith("timm."):
        return None
    mlp = module.mlp
    fc1, fc2 = getattr(mlp, "fc1", None), getattr(mlp, "fc2", None)
    drop = getattr(mlp, "drop1", None)
    if module.mode != "cr" or module.prefix_tokens or tuple(module.window_size) != (window, window) \
            or type(mlp).__name__ != "Mlp" or not isinstance(fc1, nn.Linear) or not isinstance(fc2, nn.Linear) \
            or fc1.in_features != 2 or fc2.in_features != fc1.out_features or fc2.out_features != heads \
            or fc1.bias is None or fc2.bias is None or not isinstance(mlp.act, nn.ReLU) \
            or not isinstance(drop, nn.Dropout) or drop.p != 0.125 or not isinstance(mlp.norm, nn.Identity) \
            or not isinstance(module.bias_act, nn.Identity) or module.bias_gain is not None:
        return None
    return f" cpb={fc1.out_features} cpb_form=rmlp"


def _timm_layer_scale(module, channels, nn, name="") -> list | None:
    """The lines of timm's layer scale on a channels-last branch: [] for an identity, a `layerscale` (its gamma,
    one learned number per channel, multiplied in) for timm's LayerScale of `channels`; None for anything else."""
    if isinstance(module, nn.Identity):
        return []
    gamma = getattr(module, "gamma", None)
    if type(module).__name__ != "LayerScale" or not type(module).__module__.startswith("timm.") or gamma is None \
            or tuple(gamma.shape) != (channels,) or len(list(module.parameters())) != 1:
        return None
    line = "layerscale" + (f" name={name}" if name else "")
    return [_frozen_torch(line, module, name) if name and not gamma.requires_grad else line]


def _is_maxvit_partition(module) -> bool:
    cls = type(module)
    return cls.__name__ == "PartitionAttentionLayer" and cls.__module__.startswith("torchvision.")


def _maxvit_partition(module, name, num) -> str | None:
    """torchvision's MaxViT PartitionAttentionLayer, read whole (its window partition is view/permute on a
    channels-first map, and the attention and MLP run on the partitioned tensor, position by position): a pre-norm
    attention residual and an MLP residual on the H x W x C map,
        residual { layernorm; windowattention heads=H window=P [grid=true] }
        residual { layernorm; dense 4C; gelu; dense C }
    (the attention's window is the partition size: P x P blocks for "window", a P x P grid for "grid"); None
    when the module is not one."""
    if not _is_maxvit_partition(module):
        return None
    nn = need("torch", "pytorch").nn
    norm, attention, *rest = list(module.attn_layer)
    size = int(math.isqrt(attention.max_seq_len))
    c = attention.to_qkv.in_features
    if attention.n_heads * attention.head_dim != c or size * size != attention.max_seq_len or \
            attention.to_qkv.bias is None or attention.merge.bias is None or \
            tuple(attention.relative_position_bias_table.shape) != ((2 * size - 1) ** 2, attention.n_heads) or \
            not all(isinstance(m, nn.Dropout) for m in rest):
        raise DefinitionError(f"the module '{name}' (MaxViT PartitionAttentionLayer) has an attention other than "
                              "heads x head_dim = channels with biased projections and a (2P-1)^2 x heads table")
    inner = identifier(name)
    attn = [_torch_line(norm, f"{inner}_attn_norm", num),
            f"windowattention heads={attention.n_heads} window={size}" +
            (" grid=true" if module.partition_type == "grid" else "") + f" name={inner}_attn"]
    mlp = [_torch_line(m, f"{inner}_mlp_{k}", num) for k, m in enumerate(module.mlp_layer)]
    return "\n".join(["residual {"] + ["    " + a for a in attn] + ["}", "residual {"] + ["    " + m for m in mlp]
                     + ["}"])


_TIMM_SWIN_UNITS = {"timm.models.swin_transformer": ("SwinTransformerBlock", "PatchMerging"),
                    "timm.models.swin_transformer_v2": ("SwinTransformerV2Block", "PatchMerging"),
                    "timm.models.swin_transformer_v2_cr": ("SwinTransformerV2CrBlock", "PatchMerging")}


def _timm_swin_unit(module) -> bool:
    cls = type(module)
    return cls.__name__ in _TIMM_SWIN_UNITS.get(cls.__module__, ())


def _timm_swin(module, name, num) -> str | None:
    """timm's Swin blocks, read whole on their channels-last B x H x W x C map (their forward reads the sizes off
    the tensor, pads, rolls and partitions it; none of that has a layer-by-layer form):
    - SwinTransformerBlock: residual { layernorm; windowattention heads=H window=W [shift=S] } and
      residual { layernorm; dense 4C; gelu; dense C } (the block's own window and shift: timm shrinks a window
      larger than the map and drops its shift, as windowattention does);
    - PatchMerging: pixelunshuffle 2 order=swin, layernorm, dense 2C bias=false.
    timm's Swin-V2 (swin_transformer_v2) normalises after each branch instead, and merges before its norm:
    - SwinTransformerV2Block: residual { windowattention ... cpb=H cosine=true; layernorm } and
      residual { dense 4C; gelu; dense C; layernorm }, its q and v biases `bias=qv`;
    - PatchMerging: pixelunshuffle 2 order=swin, dense 2C bias=false, layernorm.
    timm's Swin-V2-CR (swin_transformer_v2_cr) is post-norm too, its position-bias MLP over all W^4 pairs:
    - SwinTransformerV2CrBlock: residual { windowattention ... cpb=H cpb_form=pairs cosine=true; layernorm },
      residual { dense 4C; gelu; dense C; layernorm } and, where the block has one, its extra norm: layernorm;
    - PatchMerging: pixelunshuffle 2 order=swin, layernorm, dense 2C bias=false (Swin's order).
    None when the module is none of these."""
    if not _timm_swin_unit(module):
        return None
    inner = identifier(name)
    v2 = type(module).__module__ == "timm.models.swin_transformer_v2"
    if type(module).__name__ == "SwinTransformerV2CrBlock":
        return _timm_swin_v2_block(module, name, num)
    if type(module).__name__ == "PatchMerging":
        merge, norm = "pixelunshuffle 2 order=swin" + f" name={inner}_merge", _torch_line(module.norm, f"{inner}_norm", num)
        reduction = _torch_line(module.reduction, f"{inner}_reduction", num)
        return "\n".join([merge, reduction, norm] if v2 else [merge, norm, reduction])
    if v2:
        return _timm_swin_v2_block(module, name, num)
    attn, mlp = module.attn, module.mlp
    c = attn.qkv.in_features
    window = _square_pair(module.window_size)
    shift = _square_pair(module.shift_size)
    nn = need("torch", "pytorch").nn
    table = getattr(attn, "relative_position_bias_table", None)
    if window is None or shift is None or attn.qkv.out_features != 3 * c or attn.proj.bias is None or \
            table is None or tuple(table.shape) != ((2 * window - 1) ** 2, attn.num_heads) or \
            not isinstance(mlp.norm, nn.Identity):
        raise DefinitionError(f"the module '{name}' (timm SwinTransformerBlock) has a window that is not square, heads "
                              "x head_dim other than its width, no output bias, another position bias or a norm in "
                              "its MLP; symparams reads timm's plain Swin block")
    line = f"windowattention heads={attn.num_heads} window={window}" + (f" shift={shift}" if shift else "") + \
        ("" if attn.qkv.bias is not None else " bias=false")
    block = [_torch_line(module.norm1, f"{inner}_norm1", num), f"{line} name={inner}_attn"]
    ffn = [_torch_line(module.norm2, f"{inner}_norm2", num), _torch_line(mlp.fc1, f"{inner}_fc1", num),
           _torch_line(mlp.act, f"{inner}_act", num), _torch_line(mlp.fc2, f"{inner}_fc2", num)]
    return "\n".join(["residual {"] + ["    " + a for a in block] + ["}", "residual {"] + ["    " + m for m in ffn]
                     + ["}"])


def _timm_swin_v2_block(module, name, num) -> str:
    """timm's SwinTransformerV2Block and SwinTransformerV2CrBlock (see _timm_swin): the attention and the MLP
    each normalised before the sum."""
    from ..layers.windows import cr_options, v2_options
    nn = need("torch", "pytorch").nn
    cls = f"timm {type(module).__name__}"
    cr = type(module).__name__ == "SwinTransformerV2CrBlock"
    attn, mlp, inner = module.attn, module.mlp, identifier(name)
    c = attn.qkv.in_features
    window, shift = _square_pair(module.window_size), _square_pair(module.shift_size)
    # V2 holds learned q and v biases beside an unbiased qkv; CR a biased qkv
    if window is None or shift is None or attn.qkv.out_features != 3 * c or \
            (attn.qkv.bias is None if cr else attn.qkv.bias is not None) or \
            attn.proj.bias is None or getattr(attn, "relative_position_bias_table", None) is not None or \
            not isinstance(getattr(mlp, "norm", None), nn.Identity):
        raise DefinitionError(f"the module '{name}' ({cls}) has a window that is not square, heads x head_dim other "
                              "than its width, another qkv bias, no output bias, a position table or a norm in its "
                              "MLP; symparams reads timm's plain Swin-V2 blocks")
    if cr:
        bias, options = "", cr_options(attn, name, cls, nn)
    else:
        bias = " bias=qv" if attn.q_bias is not None else " bias=false"
        options = v2_options(attn, name, cls, nn)
    line = f"windowattention heads={attn.num_heads} window={window}" + (f" shift={shift}" if shift else "") + bias + \
        options
    block = [f"{line} name={inner}_attn", _torch_line(module.norm1, f"{inner}_norm1", num)]
    ffn = [_torch_line(mlp.fc1, f"{inner}_fc1", num), _torch_line(mlp.act, f"{inner}_act", num),
           _torch_line(mlp.fc2, f"{inner}_fc2", num), _torch_line(module.norm2, f"{inner}_norm2", num)]
    extra = getattr(module, "norm3", None)      # CR's norm on the main branch, after both residuals
    tail = [] if extra is None or isinstance(extra, nn.Identity) else [_torch_line(extra, f"{inner}_norm3", num)]
    return "\n".join(["residual {"] + ["    " + a for a in block] + ["}", "residual {"] + ["    " + m for m in ffn]
                      + ["}"] + tail)


def _square_pair(value):
    """One side from a window or shift given per axis ((7, 7) -> 7), None when the sides differ."""
    sides = {int(v) for v in value} if isinstance(value, (list, tuple)) else {int(value)}
    return sides.pop() if len(sides) == 1 else None


def _channel_axis(rank: int) -> int:
    """The channels' axis in the traced (exporter's) layout: 1 for maps, the last for sequences and vectors."""
    return 1 if rank >= 3 else rank - 1


def _torch_split(node, shapes, torch):
    """(input, channel counts) of x.chunk(k, dim) / torch.split(x, sizes, dim) on the channel axis, else None."""
    chunking = (node.op == "call_method" and node.target in ("chunk", "split")) or (
        node.op == "call_function" and node.target in (torch.chunk, torch.split))
    if not chunking or not node.args:
        return None
    source = node.args[0]
    shape = shapes.get(getattr(source, "name", ""), ())
    if not shape:
        return None
    how = node.args[1] if len(node.args) > 1 else node.kwargs.get("chunks", node.kwargs.get("split_size_or_sections"))
    dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
    rank = len(shape)
    axis = _channel_axis(rank)
    if rank == 3 and isinstance(dim, int) and dim % rank == 2 and _linear_output(_through_pointwise(source)):
        # a Linear's B x T x F output (after its activation and dropout, as gMLP's gating unit splits it) is a
        # sequence, its features the channels (timm's GluMlp)
        axis = 2
    if not isinstance(dim, int) or dim % rank != axis:
        raise DefinitionError(f"the operation '{node.name}' splits axis {dim}; symparams' slice takes channels only")
    c = shape[axis]
    name = node.target if isinstance(node.target, str) else node.target.__name__
    if isinstance(how, int) and name == "chunk":
        size = -(-c // how)
        parts = [min(size, c - k * size) for k in range(how) if c - k * size > 0]
    elif isinstance(how, int):
        parts = [min(how, c - k) for k in range(0, c, how)]
    elif isinstance(how, (list, tuple)) and all(isinstance(v, int) for v in how):
        parts = list(how)
    else:
        raise DefinitionError(f"the operation '{node.name}' splits by {how!r}; symparams reads whole numbers")
    return source, parts


def _through_pointwise(node):
    """The node an activation, dropout or identity module (a chain of them) reads: the tensor whose layout the
    result keeps."""
    from ..layers.core import ACTIVATION
    nn = need("torch", "pytorch").nn
    while getattr(node, "op", None) == "call_module" and node.args and node.graph.owning_module is not None:
        sub = node.graph.owning_module.get_submodule(node.target)
        if not (isinstance(sub, (nn.Dropout, nn.Identity)) or ACTIVATION.torch_word(sub) is not None):
            break
        node = node.args[0]
    return node


def _linear_output(node) -> bool:
    """Whether `node` is an nn.Linear module's call (its rank-3 output is a sequence to symparams)."""
    if getattr(node, "op", None) != "call_module":
        return False
    sub = node.graph.owning_module.get_submodule(node.target) if node.graph.owning_module is not None else None
    nn = need("torch", "pytorch").nn
    return isinstance(sub, nn.Linear)


def _torch_shuffle_step(node, shapes, shuffling):
    """ShuffleNet's channel shuffle as torchvision writes it: x.view(b, g, c // g, h, w), .transpose(1, 2),
    (.contiguous()), .view(b, c, h, w). Returns ('step', state) for the steps before the last, ('shuffle',
    (input, groups)) for the last view, None for anything else."""
    if node.op not in ("call_method", "call_function") or not node.args:
        return None
    import torch
    functions = {torch.transpose: "transpose", torch.reshape: "reshape", torch.flatten: "flatten"}
    target = node.target if node.op == "call_method" else functions.get(node.target)
    if target is None:
        return None
    source = node.args[0]
    out = shapes.get(node.name, ())
    if target in ("view", "reshape") and source not in shuffling:
        shape = shapes.get(getattr(source, "name", ""), ())
        if len(shape) >= 3 and len(out) == len(shape) + 1 and out[0] == shape[0] and out[3:] == shape[2:]                 and out[1] * out[2] == shape[1] and out[1] > 1:
            return "step", (source, out[1], False)
        return None
    state = shuffling.get(source)
    if state is None:
        return None
    origin, groups, transposed = state
    if target == "transpose" and not transposed and set(node.args[1:3]) == {1, 2}:
        return "step", (origin, groups, True)
    if target == "contiguous":
        return "step", state
    if target in ("view", "reshape", "flatten") and transposed and \
            out == shapes.get(getattr(origin, "name", ""), ()):
        return "shuffle", (origin, groups)
    raise DefinitionError(f"the operation '{node.name}' ({target}) reshapes channels in a way symparams does not "
                          "represent (it reads a channel shuffle: view to (b, g, c/g, ...), transpose(1, 2), view back)")


def _torch_reduction(node, shapes, torch) -> str | None:
    """A mean or maximum over every spatial axis of a channels-first map (x.mean((2, 3)), torch.mean(x, [2, 3],
    keepdim=True), F.adaptive_avg_pool2d(x, 1)) as a global pool, keepdims as written; None for anything else."""
    functional = torch.nn.functional
    target = node.target
    if node.op == "call_function" and target in (functional.adaptive_avg_pool1d, functional.adaptive_avg_pool2d,
                                                 functional.adaptive_avg_pool3d, functional.adaptive_max_pool2d):
        size = node.args[1] if len(node.args) > 1 else node.kwargs.get("output_size")
        if size in (1, (1,), (1, 1), (1, 1, 1), [1, 1]):
            return ("globalmaxpool" if "max" in target.__name__ else "globalavgpool") + " keepdims"
        return None
    if not ((node.op == "call_method" and target in ("mean", "amax")) or
            (node.op == "call_function" and target in (torch.mean, torch.amax))):
        return None
    source = node.args[0] if node.args else None
    rank = len(shapes.get(getattr(source, "name", ""), ()))
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    dims = (dims,) if isinstance(dims, int) else tuple(dims) if isinstance(dims, (list, tuple)) else None
    keep = node.kwargs.get("keepdim", node.args[2] if len(node.args) > 2 else False)
    if rank < 3 or dims is None or not all(isinstance(d, int) for d in dims) or not isinstance(keep, bool):
        return None
    if rank == 3 and {d % rank for d in dims} == {1} and not keep:
        # x.mean(dim=1) of a B x T x D sequence (MLP-Mixer's and ResMLP's avg head): the mean of the tokens
        return "globalavgpool" if target in ("mean", torch.mean) else "globalmaxpool"
    if {d % rank for d in dims} != set(range(2, rank)):
        return None
    word = "globalavgpool" if target in ("mean", torch.mean) else "globalmaxpool"
    return word + (" keepdims" if keep else "")


def _args_text(node) -> str:
    return ", ".join([str(a) for a in node.args] + [f"{k}={v}" for k, v in node.kwargs.items()])[:200]


def _torch_shapes(module, graph, shape, several=None) -> dict:
    """Each traced node's output shape (the exporter's layout: channels first from rank 3 on, batch
    axis included) from one run in eval mode on a batch of two zeros (floats, else token ids; with
    several inputs, each input float or token ids, floats tried first); empty when the module runs
    on none of them (the shapes are then not compared)."""
    torch = need("torch", "pytorch")
    from torch import fx
    from torch.fx.passes.shape_prop import ShapeProp
    several = several or [shape]
    layouts = [(s[-1],) + tuple(s[:-1]) if len(s) >= 3 else tuple(s) for s in several]
    modes = {m: m.training for m in module.modules()}
    # a module built on the meta device is run on a meta input: shapes without memory
    first = next(itertools.chain(module.parameters(), module.buffers()), None)
    device = first.device if first is not None and first.device.type == "meta" else None
    try:
        gm = fx.GraphModule(module, graph)
        gm.eval()
        # float everywhere, token ids everywhere, then (few inputs) each mix: a first try that works is kept
        kinds = [(torch.float32,) * len(layouts), (torch.long,) * len(layouts)]
        if 1 < len(layouts) <= 3:
            kinds += [c for c in itertools.product((torch.float32, torch.long), repeat=len(layouts)) if c not in kinds]
        for dtypes in kinds:
            try:
                with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):    # fx prints the failure
                    ShapeProp(gm).propagate(*[torch.zeros((2,) + tuple(layout), dtype=dtype, device=device)
                                              for layout, dtype in zip(layouts, dtypes)])
                break
            except Exception:       # noqa: BLE001 - the module decides what it accepts
                continue
        else:
            return {}
    except Exception:               # noqa: BLE001
        return {}
    finally:
        for m, training in modes.items():
            m.training = training
    out = {}
    for node in gm.graph.nodes:
        meta = node.meta.get("tensor_meta")
        if meta is not None and hasattr(meta, "shape"):
            out[node.name] = tuple(int(d) for d in meta.shape)
    return out


def _centre_crop(big, small, befores) -> bool:
    """Whether cutting `befores` off each spatial axis of `big` down to `small` is a centre crop
    (⌊(H − h)/2⌋ before, as symparams' crop takes)."""
    return len(big) == len(small) == len(befores) and all(
        b >= s and before == (b - s) // 2 for b, s, before in zip(big, small, befores))


def _whole_slice(node, shapes) -> bool:
    """x[:, 0:, ...]: slices that keep every position of a tensor whose shape is known to stay the same."""
    index = node.args[1] if len(node.args) > 1 else None
    source = node.args[0].name if hasattr(node.args[0], "name") else ""
    return (isinstance(index, tuple) and all(isinstance(i, slice) and i.start in (None, 0) and i.stop is None
                                             and i.step in (None, 1) for i in index)
            and source in shapes and shapes.get(node.name) == shapes[source])


def _torch_crop_problem(node, shapes) -> None:
    """x[:, :, a:-b, c:-d] (what the exporter writes for a crop) on a channels-first tensor."""
    index = node.args[1] if len(node.args) > 1 else None
    big, small = shapes.get(node.args[0].name if hasattr(node.args[0], "name") else "", ()), shapes.get(node.name, ())
    ok = isinstance(index, tuple) and len(index) == len(big) >= 3 and all(isinstance(i, slice) for i in index) \
        and all(i == slice(None) for i in index[:2]) and all(i.step in (None, 1) for i in index)
    if ok:
        ok = _centre_crop(big[2:], small[2:], [i.start or 0 for i in index[2:]])
    if not ok:
        raise DefinitionError(f"the operation '{node.name}' indexes a tensor ({_args_text(node)}); symparams reads "
                              "only a centre crop of the spatial axes before a concatenation")


def _torch_merge_problem(node, op, args, shapes) -> None:
    """add/cat/mul of traced tensors only (no constant operand), cat on the channels (axis 1)."""
    from torch import fx
    tensors = list(_flat(node.args[:1])) if op == "concat" else list(node.args)
    extra = {k: v for k, v in node.kwargs.items() if not (op == "concat" and k == "dim")}
    if len(args) < 2 or extra or not all(isinstance(a, fx.Node) for a in tensors):
        raise DefinitionError(f"the operation '{node.name}' ({op} of {_args_text(node)}) is not a merge of layers' "
                              "outputs; symparams represents adding, multiplying or concatenating tensors only")
    if op == "concat":
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        rank = len(shapes.get(node.name, ())) or 4
        channel = 1 if rank >= 4 else rank - 1          # the exporter's layout
        if dim not in (channel, channel - rank):
            raise DefinitionError(f"the operation '{node.name}' concatenates on axis {dim}, not the channels "
                                  "(axis 1); symparams' concat joins the channels")


@dataclass(frozen=True)
class _Joined:
    """The key of a node the import adds to the traced graph (a batch cat's side-by-side join)."""
    name: str


def _batch_stack(node, args, shapes, torch):
    """(k, D) when `node` is torch.cat of k traced (batch, D) tensors of one shape on axis 0 (the batch), else None."""
    if node.op != "call_function" or node.target not in (torch.cat, torch.concat) or not node.args:
        return None
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    tensors = list(_flat(node.args[:1]))
    sizes = [shapes.get(getattr(t, "name", None)) for t in tensors]
    if dim not in (0, -2) or len(tensors) < 2 or len(args) != len(tensors) or any(s is None for s in sizes):
        return None
    if any(len(s) != 2 or s != sizes[0] for s in sizes):
        return None
    return len(tensors), sizes[0][1]


def _compare_torch(text, nodes, shapes, module, channels_last=frozenset(), stacked=None, tokens=None) -> None:
    """Each imported layer's count and shape against the module's own; a difference names the layer (after a
    cat on the batch axis of k tensors, PyTorch's batch is k times the input's: k rows per example here; a map's
    B x N x C tokens, `tokens`: node -> (H, W), are the H x W x C map here)."""
    from .torch_export import to_channels_last
    net = parse_back(text, "pytorch")
    got = {r.name: r for r in net.unrolled().leaves()}
    for node in nodes.values():
        if node.op != "layer" or node.name not in got or node.line.startswith("parameter "):
            continue            # a free tensor: its shape is the broadcast operand's, its count the total's
        row = got[node.name]
        if node.module is not None and " reuse=" not in node.line:     # a reused module: counted at its first call
            own = sum(p.numel() for p in node.module.parameters())
            if int(row.params) != own:
                raise DefinitionError(f"the module '{node.name}' ({type(node.module).__name__}) has {own} parameters "
                                      f"but reads as '{_line_of(text, node.name)}' with {int(row.params)}: it has an "
                                      "option symparams does not represent")
        torch_shape = shapes.get(node.key.name)
        if torch_shape:
            mine = tuple(torch_shape[1:]) if node.key in channels_last else to_channels_last(torch_shape[1:])
            if node.key in (tokens or {}):
                mine = tuple(tokens[node.key]) + (torch_shape[-1],)
            if (stacked or {}).get(node.key):
                mine = (stacked[node.key],) + tuple(mine)
            if getattr(node.key, "op", None) == "call_module" and _is_class_block(
                    module.get_submodule(node.key.target)) and tuple(mine[:1]) == (1,):
                # a CaiT class-attention block returns the class token alone; here it returns the sequence
                # [class token; patches] with the patches unchanged, so only the width is the module's
                mine = (int(row.output_shape[0]),) + tuple(mine[1:])
            if squeezed(row.output_shape) != squeezed(mine):   # AdaptiveAvgPool2d(1) keeps 1x1
                raise DefinitionError(f"the module '{node.name}' gives {'x'.join(map(str, mine))} (channels last) but "
                                      f"reads as '{_line_of(text, node.name)}' giving "
                                      f"{'x'.join(str(int(d)) for d in row.output_shape)}: it has an option "
                                      "symparams does not represent")
    total = sum(p.numel() for p in module.parameters())
    if int(net.params) != total:
        raise DefinitionError(f"the imported network counts {int(net.params)} parameters, the module {total} "
                              "(parameters outside the traced forward, or a layer symparams does not represent)")
    trained = sum(p.numel() for p in module.parameters() if p.requires_grad)
    if int(net.trainable_params) != trained:
        raise DefinitionError(f"the imported network trains {int(net.trainable_params)} parameters, the module "
                              f"{trained} (requires_grad=False on parameters outside the imported layers)")


def squeezed(shape) -> tuple:
    return tuple(int(d) for d in shape if int(d) != 1)


def _read_by_concat_only(layer) -> bool:
    """Whether every layer reading this Keras layer's output is a Concatenate (a U-Net's crop of its skip
    connection: `concat with NAME crop`); another crop is the cropping kind's line."""
    users = [getattr(n, "operation", None) for n in getattr(layer, "_outbound_nodes", ())]
    return bool(users) and all(type(u).__name__ == "Concatenate" for u in users)


def _line_of(text, name) -> str:
    for line in text.splitlines():
        if line.rstrip().endswith(f"name={name}"):
            return line.strip()[:120]
    return name


def parse_back(text, convention):
    from ..engine.network import parse
    try:
        return parse(text, convention=convention).evaluate()
    except SymparamsError as exc:
        # most often the model does not run at the input size asked for (windows or blocks that do not tile it,
        # position tables sized for another map): say so before asking for a report
        raise DefinitionError(f"the import wrote text symparams cannot read back ({exc})",
                              hint="check that the model runs at this input size (--input-shape; many are built "
                                   "for one size, e.g. 256 x 256 for timm's *_256 models); if it does, please "
                                   "report this model") from None


_NAME_OPTION = re.compile(r"[ \t]+name=\w+")


def finish(text, num, shape, body, convention, head=None) -> str:
    """With generalize=, the file as a person writes it: runs of identical statements (layer
    names aside) become `repeat k { ... }`; it must count what the layer-by-layer text counts."""
    if not num.generalize:
        return text
    short = file_text(num, shape, _compact(body), head)
    if short != text:
        full, back = parse_back(text, convention), parse_back(short, convention)
        if int(full.params) != int(back.params) or tuple(full.output_shape) != tuple(back.output_shape):
            return text
    return short


def _compact(body: list[str]) -> list[str]:
    keys = [_NAME_OPTION.sub("", stmt) for stmt in body]
    out, i = [], 0
    while i < len(keys):
        period, count = 1, 1
        for p in range(1, min(16, (len(keys) - i) // 2) + 1):
            k = 1
            while keys[i + k * p: i + (k + 1) * p] == keys[i:i + p]:
                k += 1
            if k >= 2 and p * k > period * count:
                period, count = p, k
        if count >= 2:
            inner = "\n".join("    " + line for stmt in _compact(keys[i:i + period]) for line in stmt.split("\n"))
            out.append(f"repeat {count} {{\n{inner}\n}}")
            i += period * count
        else:
            out.append(body[i])
            i += 1
    return out


def file_text(num, shape, body, convention=None) -> str:
    """The file: its convention when it needs one, its lets (each with its default: the input line registers its
    numbers first), the input and the body."""
    first = f"input {_shape_text(shape, num)}"
    head = [f"convention {convention}"] if convention else []
    return "\n".join(head + num.lets() + [first] + body) + "\n"


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
    num = Numbers(generalize)
    inputs = list(getattr(model, "inputs", None) or [])
    if not inputs:
        raise DefinitionError("the Keras model has no inputs; symparams imports models built on keras.Input")
    outputs = list(getattr(model, "outputs", None) or [])
    if len(outputs) != 1:
        raise DefinitionError(f"the Keras model has {len(outputs)} outputs; symparams imports models with exactly one")
    if any(d is None for t in inputs for d in tuple(t.shape[1:])):
        raise DefinitionError("the Keras model's input shape has unknown sizes; give keras.Input(shape=...) numbers")
    shape = tuple(inputs[0].shape[1:])
    producer = {}
    nodes, order = {}, []
    start = ("input",)
    nodes[start] = Node(start, "input")
    order.append(start)
    producer[id(inputs[0])] = start
    for k, tensor in enumerate(inputs[1:], 2):
        # another keras.Input: 'input S as NAME' with its name (written where it is first read)
        word = identifier(getattr(tensor, "name", None) or f"input_{k}")
        key = ("input", k)
        nodes[key] = Node(key, "input", line=f"input {_shape_text(tuple(tensor.shape[1:]), num)} as {word}", name=word)
        order.append(key)
        producer[id(tensor)] = key
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    pads = {}
    by_name = {layer.name: layer for layer in layers}
    names: set[str] = set()
    repeats = _keras_repeats(layers)
    for layer in layers:
        cls = type(layer).__name__
        if len(layer._inbound_nodes) != 1:
            raise DefinitionError(f"the Keras layer '{layer.name}' ({cls}) is called {len(layer._inbound_nodes)} "
                                  "times (shared weights); symparams imports each layer called once")
        node = layer._inbound_nodes[0]
        tensors = list(node.input_tensors)
        keys = []
        for t in tensors:
            key = producer.get(id(t))
            if key is None:
                raise DefinitionError(f"cannot follow the input of the Keras layer '{layer.name}'")
            if key not in keys or cls in ("Add", "Concatenate", "Multiply", "Subtract"):
                keys.append(key)
        if len(node.output_tensors) != 1:
            raise DefinitionError(f"the Keras layer '{layer.name}' ({cls}) gives {len(node.output_tensors)} outputs; "
                                  "symparams reads layers with one")
        out = node.output_tensors[0]
        folded = by_name.get(layer.name[:-4]) if layer.name.endswith("_pad") else None
        if cls.startswith("ZeroPadding") and type(folded).__name__ in _pad_folds() and folded.padding == "valid" \
                and _symmetric(layer.padding):
            pads[layer.name[:-4]] = (layer, keys)
            producer[id(out)] = keys[0]            # folded into the convolution that follows
            continue
        if cls == "RepeatVector" and layer.name in repeats.values():
            producer[id(out)] = keys[0]            # read by the recurrent layer after it as its steps=N
            continue
        key = (layer.name,)
        if cls.startswith("Cropping") and _read_by_concat_only(layer):
            crops = layer.cropping if isinstance(layer.cropping[0], (tuple, list)) else (layer.cropping,)
            big = tuple(int(d) for d in tensors[0].shape[1:-1])
            small = tuple(int(d) for d in out.shape[1:-1])
            if not _centre_crop(big, small, [c[0] for c in crops]):
                raise DefinitionError(f"the Keras layer '{layer.name}' is {cls}(cropping={layer.cropping}); symparams "
                                      "reads only a centre crop before a concatenation")
            nodes[key] = Node(key, "crop", keys[:1])
            producer[id(out)] = key
            order.append(key)
            continue
        if cls in ("Add", "Concatenate", "Multiply", "Subtract"):
            if cls == "Concatenate" and layer.axis not in (-1, len(out.shape) - 1):
                raise DefinitionError(f"the Keras layer '{layer.name}' is Concatenate(axis={layer.axis}); symparams' "
                                      "concat joins the channels (the last axis)")
            nodes[key] = Node(key, {"Add": "add", "Concatenate": "concat", "Multiply": "mul", "Subtract": "sub"}[cls],
                              keys, broadcast=cls == "Add" and len({tuple(t.shape) for t in tensors}) > 1)
        else:
            padding = None
            if layer.name in pads:
                pad_layer, _ = pads[layer.name]
                padding = [p[0] for p in (pad_layer.padding if isinstance(pad_layer.padding[0], (tuple, list))
                                          else (pad_layer.padding,))]
            name = unique_name(identifier(layer.name), names)
            line = _keras_line(layer, name, num, padding)
            if layer.name in repeats:
                line = _with_option(line, f"steps={by_name[repeats[layer.name]].n}")
            if not layer.trainable and layer.weights:        # frozen: counted, not trained
                line = _with_option(line, "trainable=false")
            elif layer.weights:
                line = _keras_frozen(layer, line)
            nodes[key] = Node(key, "layer", keys[:1], line, name, layer)
            if len(keys) > 1:
                # attention(query, value) on another tensor: cross-attention, 'context=NAME'; no other layer
                # reads two tensors in one line
                if cls not in ("MultiHeadAttention", "GroupedQueryAttention") or len(keys) != 2 \
                        or not line.startswith("attention "):
                    raise DefinitionError(f"the Keras layer '{layer.name}' ({cls}) reads {len(keys)} tensors; "
                                          "symparams reads a layer with one input (and attention with a context)")
                nodes[key].inputs = keys
        producer[id(out)] = key
        order.append(key)
    output = producer[id(outputs[0])]
    body = fold_graph(nodes, order, start, output)
    text = file_text(num, shape, body)
    _compare_keras(text, nodes, model)
    return finish(text, num, shape, body, "keras")


def _keras_repeats(layers) -> dict:
    """{recurrent layer: the RepeatVector(N) it alone reads}: one vector read at each of N steps, `steps=N` on
    the rnn/lstm/gru line (how symparams exports steps=N to Keras)."""
    readers: dict = {}
    for layer in layers:
        for node in layer._inbound_nodes:
            for t in node.input_tensors:
                readers.setdefault(id(t), []).append(layer)
    out = {}
    for layer in layers:
        if type(layer).__name__ != "RepeatVector" or len(layer._inbound_nodes) != 1:
            continue
        after = readers.get(id(layer._inbound_nodes[0].output_tensors[0]), [])
        if len(after) == 1 and type(after[0]).__name__ in ("SimpleRNN", "LSTM", "GRU"):
            out[after[0].name] = layer.name
    return out


# variables Keras creates non-trainable (statistics, not weights a user froze): symparams' kinds count them so
_KERAS_STATE = ("moving_mean", "moving_variance", "mean", "variance", "count")


def _line_weights(layer, line: str) -> list:
    """(name, shape) of the weights `line` gives the layer under Keras' convention, [] when its input shape is
    not known here."""
    from ..engine.network import parse
    try:
        first = layer.input[0] if isinstance(layer.input, (list, tuple)) else layer.input    # attention: the query
        shape = tuple(int(d) for d in first.shape[1:])
        net = parse(f"input {'x'.join(map(str, shape))}\n{line}", convention="keras")
        return [(w.name, tuple(int(d) for d in w.shape)) for w in net.layers[-1].weights if not w.buffer]
    except Exception:       # noqa: BLE001 - any layer Keras cannot say its input of: the variable's own name
        return []


def _symparams_name(variable, own: list) -> str:
    """The name symparams' line gives a Keras variable (frozen=): its own name when the line has a weight of
    that name; else the weight the variable's path ends with (MultiHeadAttention's attention_output/kernel is
    output_kernel); else the one weight of its shape (a DepthwiseConv2D's 'kernel' is depthwise_kernel, a
    helper layer's variable is the weight it holds); else its own name, which the read-back then refuses."""
    names = [n for n, _ in own]
    if variable.name in names:
        return variable.name
    path = variable.path.replace("/", "_")
    by_path = [n for n in names if path.endswith("_" + n)]
    if len(by_path) == 1:
        return by_path[0]
    by_shape = [n for n, shape in own if shape == tuple(int(d) for d in variable.shape)]
    return by_shape[0] if len(by_shape) == 1 else variable.name


def _keras_frozen(layer, line: str) -> str:
    """A trainable layer with some variables set variable.trainable = False: `frozen=NAME` naming them (the
    import's trainable total is compared with the model's afterwards)."""
    variables = [v for v in layer.weights if not v.trainable and v.name not in _KERAS_STATE]
    if not variables:
        return line
    own = _line_weights(layer, line)
    frozen = [_symparams_name(v, own) for v in variables]
    if "\n" in line or type(layer).__name__ == "Bidirectional" or len(set(frozen)) != len(frozen):
        raise DefinitionError(f"the Keras layer '{layer.name}' has some variables frozen ({', '.join(frozen)[:120]}) "
                              "and others trained, and no one line names them; symparams writes frozen= on one "
                              "layer line")
    return _with_option(line, f"frozen={frozen[0]}" if len(frozen) == 1 else f"frozen=({', '.join(frozen)})")


def _compare_keras(text, nodes, model) -> None:
    """Each imported layer's count and output shape against the Keras layer's; a difference names it."""
    net = parse_back(text, "keras")
    got = {r.name: r for r in net.unrolled().leaves()}
    for node in nodes.values():
        if node.op != "layer" or node.name not in got:
            continue
        row, layer = got[node.name], node.module
        own = int(layer.count_params())
        if int(row.params) != own:
            raise DefinitionError(f"the Keras layer '{layer.name}' ({type(layer).__name__}) has {own} parameters but "
                                  f"reads as '{_line_of(text, node.name)}' with {int(row.params)}: it has an option "
                                  "symparams does not represent")
        theirs = tuple(int(d) for d in layer._inbound_nodes[0].output_tensors[0].shape[1:])
        mine = tuple(int(d) for d in row.output_shape)
        if mine != theirs:
            raise DefinitionError(f"the Keras layer '{layer.name}' gives {'x'.join(map(str, theirs))} but reads as "
                                  f"'{_line_of(text, node.name)}' giving {'x'.join(map(str, mine))}: it has an option "
                                  "symparams does not represent")
    if int(net.params) != int(model.count_params()):
        raise DefinitionError(f"the imported network counts {int(net.params)} parameters, the Keras model "
                              f"{int(model.count_params())}")
    trained = sum(math.prod(int(d) for d in w.shape) for w in model.trainable_weights)
    if int(net.trainable_params) != trained:
        raise DefinitionError(f"the imported network trains {int(net.trainable_params)} parameters, the Keras "
                              f"model {trained}")
