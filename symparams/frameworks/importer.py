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
from .plan import need

TORCH_ACTIVATIONS = {
    "ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "ELU": "elu", "SELU": "selu", "GELU": "gelu",
    "SiLU": "silu", "Mish": "mish", "Sigmoid": "sigmoid", "Hardsigmoid": "hard_sigmoid", "Tanh": "tanh",
    "Softmax": "softmax", "LogSoftmax": "log_softmax", "Softplus": "softplus", "Softsign": "softsign",
    "Hardswish": "hard_swish", "Exp": "exponential",
}
KERAS_ACTIVATIONS = {"hard_silu": "hard_swish", "leaky_relu": "leaky_relu"}
CONVS = {f"{kind}{n}D" for kind in ("Conv", "DepthwiseConv", "SeparableConv") for n in (1, 2, 3)}
# an exported explicit padding (ZeroPadding named <layer>_pad) folds back into these layers
PADDED = CONVS | {f"{kind}Pooling{n}D" for kind in ("Max", "Average") for n in (1, 2, 3)}
HELPER_CLASSES = {"ChannelsFirst", "ChannelsLast", "Recurrent", "SelfAttention", "PositionEmbedding", "ClassToken",
                  "ClassPool", "Unembed", "Subsample", "ChannelPad", "GlobalPool", "Reshape", "Exp"}


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


def _window(values) -> str:
    values = tuple(int(v) for v in (values if isinstance(values, (tuple, list)) else (values,)))
    if len(set(values)) == 1:
        return str(values[0])
    return "x".join(map(str, values))


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

def _helper_line(cls: str, obj, tag: str) -> str | None:
    """The small custom layers both exporters write, under the same class names."""
    if cls == "PositionEmbedding":
        length = obj.length if hasattr(obj, "length") else obj.weight.shape[0]
        return f"posembed length={int(length)}" + tag
    simple = {"ClassToken": "clstoken", "ClassPool": "clspool", "Unembed": "unembed"}
    if cls in simple:
        return simple[cls] + tag
    if cls == "Subsample":
        return f"subsample {_window(obj.stride)}" + tag
    if cls == "ChannelPad":
        return f"channelpad {obj.channels}" + tag
    return None


# ----------------------------------------------------------------------------- PyTorch

def _torch_line(module, name: str, num: _Numbers) -> str:
    nn = need("torch", "pytorch").nn
    cls = type(module).__name__
    tag = f" name={name}"
    if cls in ("ChannelsFirst", "ChannelsLast"):
        return _torch_line(module.module, name, num)
    if isinstance(module, nn.Sequential):
        parts = list(module)
        if len(parts) == 2 and type(parts[1]).__name__ in TORCH_ACTIVATIONS:
            return _torch_line(parts[0], name, num).replace(tag, "") + " " + TORCH_ACTIVATIONS[type(parts[1]).__name__] + tag
        if len(parts) == 2 and all(isinstance(p, nn.modules.conv._ConvNd) for p in parts):
            dw, pw = parts
            text = f"sepconv {num('filters', pw.out_channels)} {_window(dw.kernel_size)}" + _conv_opts(dw)
            mult = dw.out_channels // dw.in_channels
            text += (f" multiplier={mult}" if mult != 1 else "") + ("" if pw.bias is not None else " bias=false")
            return text + tag
        raise DefinitionError(f"cannot read the nn.Sequential '{name}' as one layer")
    if cls in TORCH_ACTIVATIONS:
        return TORCH_ACTIVATIONS[cls] + tag
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        text = f"deconv {num('filters', module.out_channels)} {_window(module.kernel_size)}"
        if set(module.stride) != {1}:
            text += f" stride={_window(module.stride)}"
        if set(module.padding) != {0}:
            text += f" padding={_window(module.padding)}"
        if set(module.output_padding) != {0}:
            text += f" output_padding={_window(module.output_padding)}"
        if set(module.dilation) != {1}:
            text += f" dilation={_window(module.dilation)}"
        if module.groups != 1:
            text += f" groups={module.groups}"
        return text + ("" if module.bias is not None else " bias=false") + tag
    if isinstance(module, nn.modules.conv._ConvNd):
        text = f"conv {num('filters', module.out_channels)} {_window(module.kernel_size)}" + _conv_opts(module)
        if module.groups != 1:
            text += f" groups={module.groups}"
        return text + ("" if module.bias is not None else " bias=false") + tag
    if isinstance(module, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)):
        word = "maxpool" if "Max" in cls else "avgpool"
        text = f"{word} {_window(module.kernel_size)}"
        stride = module.stride if module.stride is not None else module.kernel_size
        if _window(stride) != _window(module.kernel_size):
            text += f" stride={_window(stride)}"
        if _window(module.padding) != "0":
            text += f" padding={_window(module.padding)}"
        return text + tag
    if isinstance(module, nn.Linear):
        return f"dense {num('units', module.out_features)}" + ("" if module.bias is not None else " bias=false") + tag
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "batchnorm" + tag
    if isinstance(module, nn.LayerNorm):
        return "layernorm" + tag
    if isinstance(module, nn.GroupNorm):
        return f"groupnorm {module.num_groups}" + tag
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return f"dropout {module.p}" + tag
    if isinstance(module, nn.Flatten):
        return "flatten" + tag
    if isinstance(module, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                           nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
        size = module.output_size if isinstance(module.output_size, tuple) else (module.output_size,)
        if set(size) != {1}:
            raise DefinitionError(f"'{name}': only adaptive pooling to size 1 (a global pool) has a DSL form")
        return ("globalavgpool" if "Avg" in cls else "globalmaxpool") + tag
    if isinstance(module, nn.Identity):
        return "identity" + tag
    if isinstance(module, nn.modules.padding._ConstantPadNd):
        pads = list(module.padding)
        before = [pads[i] for i in range(len(pads) - 2, -1, -2)]
        after = [pads[i + 1] for i in range(len(pads) - 2, -1, -2)]
        text = f"zeropad {_window(before)}"
        return text + (f" after={_window(after)}" if before != after else "") + tag
    if isinstance(module, nn.Upsample):
        return f"upsample {_window(module.scale_factor)}" + tag
    if isinstance(module, nn.Embedding):
        return f"embedding {num('vocabulary', module.num_embeddings)} {num('dim', module.embedding_dim)}" + tag
    if cls == "Recurrent":
        rnn = module.rnn
        word = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}[type(rnn).__name__]
        text = f"{word} {num('units', rnn.hidden_size)}"
        if module.return_sequences:
            text += " return_sequences=true"
        if rnn.bidirectional:
            text += " bidirectional=true"
        if not rnn.bias:
            text += " bias=false"
        if word == "rnn" and rnn.nonlinearity == "relu":
            text += " relu"
        return text + tag
    if cls == "SelfAttention":
        mha = module.attention
        text = f"attention heads={mha.num_heads}"
        if mha.in_proj_bias is None:
            text += " bias=false"
        return text + (" causal=true" if module.causal else "") + tag
    helper = _helper_line(cls, module, tag)
    if helper is not None:
        return helper
    if cls == "GlobalPool":
        return ("globalavgpool" if module.mode == "avg" else "globalmaxpool") + tag
    if cls == "Reshape":
        return "reshape " + "x".join(str(int(d)) for d in module.shape) + tag
    raise DefinitionError(f"symparams cannot read the PyTorch module '{name}' ({cls})")


def _conv_opts(module) -> str:
    text = ""
    if set(module.stride) != {1}:
        text += f" stride={_window(module.stride)}"
    if isinstance(module.padding, str):
        if module.padding == "same":
            text += " padding=same"
    elif set(module.padding) != {0}:
        text += f" padding={_window(module.padding)}"
    if set(module.dilation) != {1}:
        text += f" dilation={_window(module.dilation)}"
    return text


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

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):
            if type(m).__name__ in HELPER_CLASSES:
                return True
            if isinstance(m, nn.Sequential):
                parts = list(m)
                return len(parts) == 2 and (type(parts[1]).__name__ in TORCH_ACTIVATIONS or all(
                    isinstance(p, nn.modules.conv._ConvNd) for p in parts))
            return super().is_leaf_module(m, qualname)

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

def _keras_activation(layer) -> str:
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", None)
    if not name or name == "linear":
        return ""
    return " " + KERAS_ACTIVATIONS.get(name, name)


def _symmetric(padding) -> bool:
    pads = padding if isinstance(padding[0], (tuple, list)) else (padding,)
    return all(isinstance(p, int) or p[0] == p[1] for p in pads)


def _keras_line(layer, name, num, padding=None) -> str:
    cls = type(layer).__name__
    tag = f" name={name}"
    act = _keras_activation(layer)
    bias = "" if getattr(layer, "use_bias", True) else " bias=false"

    def conv_opts():
        text = ""
        if set(layer.strides) != {1}:
            text += f" stride={_window(layer.strides)}"
        if padding is not None:
            text += f" padding={_window(padding)}"
        elif layer.padding == "same":
            text += " padding=same"
        if set(layer.dilation_rate) != {1}:
            text += f" dilation={_window(layer.dilation_rate)}"
        return text

    if cls in ("Conv1D", "Conv2D", "Conv3D"):
        groups = f" groups={layer.groups}" if layer.groups != 1 else ""
        return f"conv {num('filters', layer.filters)} {_window(layer.kernel_size)}{conv_opts()}{groups}{bias}{act}{tag}"
    if cls in ("DepthwiseConv1D", "DepthwiseConv2D"):
        mult = f" multiplier={layer.depth_multiplier}" if layer.depth_multiplier != 1 else ""
        return f"dwconv {_window(layer.kernel_size)}{conv_opts()}{mult}{bias}{act}{tag}"
    if cls in ("SeparableConv1D", "SeparableConv2D"):
        mult = f" multiplier={layer.depth_multiplier}" if layer.depth_multiplier != 1 else ""
        return (f"sepconv {num('filters', layer.filters)} {_window(layer.kernel_size)}{conv_opts()}{mult}{bias}"
                f"{act}{tag}")
    if cls in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
        op = f" output_padding={_window(layer.output_padding)}" if layer.output_padding is not None else ""
        return f"deconv {num('filters', layer.filters)} {_window(layer.kernel_size)}{conv_opts()}{op}{bias}{act}{tag}"
    if "Pooling" in cls and "Global" not in cls:
        word = "maxpool" if cls.startswith("Max") else "avgpool"
        text = f"{word} {_window(layer.pool_size)}"
        if _window(layer.strides) != _window(layer.pool_size):
            text += f" stride={_window(layer.strides)}"
        if padding is not None:          # zeros, then the pool: the Keras convention's explicit padding
            return text + f" padding={_window(padding)}" + tag
        return text + (" padding=same" if layer.padding == "same" else "") + tag
    if cls.startswith("GlobalAveragePooling"):
        return "globalavgpool" + tag
    if cls.startswith("GlobalMaxPooling"):
        return "globalmaxpool" + tag
    if cls == "Dense":
        return f"dense {num('units', layer.units)}{bias}{act}{tag}"
    if cls == "BatchNormalization":
        return "batchnorm" + tag
    if cls == "LayerNormalization":
        return "layernorm" + tag
    if cls == "GroupNormalization":
        return f"groupnorm {layer.groups}" + tag
    if cls == "Dropout":
        return f"dropout {layer.rate}" + tag
    if cls == "Flatten":
        return "flatten" + tag
    if cls == "Identity":
        return "identity" + tag
    if cls == "Activation":
        return (act.strip() or "linear") + tag
    if cls == "ReLU":
        return ("relu6" if layer.max_value == 6 else "relu") + tag
    if cls == "Reshape":
        return "reshape " + "x".join(str(int(d)) for d in layer.target_shape) + tag
    if cls.startswith("ZeroPadding"):
        pads = layer.padding
        pads = pads if isinstance(pads[0], (tuple, list)) else (pads,)
        before, after = [p[0] for p in pads], [p[1] for p in pads]
        return f"zeropad {_window(before)}" + (f" after={_window(after)}" if before != after else "") + tag
    if cls.startswith("UpSampling"):
        return f"upsample {_window(layer.size)}" + tag
    if cls == "Embedding":
        return f"embedding {num('vocabulary', layer.input_dim)} {num('dim', layer.output_dim)}" + tag
    if cls in ("SimpleRNN", "LSTM", "GRU", "Bidirectional"):
        inner = layer.forward_layer if cls == "Bidirectional" else layer
        word = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}[type(inner).__name__]
        text = f"{word} {num('units', inner.units)}"
        if inner.return_sequences:
            text += " return_sequences=true"
        if cls == "Bidirectional":
            text += " bidirectional=true"
        if not inner.use_bias:
            text += " bias=false"
        return text + tag
    if cls == "MultiHeadAttention":
        text = f"attention heads={layer.num_heads} key_dim={layer.key_dim}"
        return text + ("" if layer.use_bias else " bias=false") + tag
    helper = _helper_line(cls, layer, tag)
    if helper is not None:
        return helper
    raise DefinitionError(f"symparams cannot read the Keras layer '{name}' ({cls})")


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
        if cls.startswith("ZeroPadding") and type(folded).__name__ in PADDED and folded.padding == "valid" \
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
