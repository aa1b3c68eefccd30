"""DSL text from an ONNX graph (read with the `onnx` package, shapes from ONNX shape inference).

Each operator symparams has a form for becomes a layer line (Conv, Gemm/MatMul+Add, the pools,
BatchNormalization, Flatten, the activations) or a merge (Add, Concat on the channels, Mul of two
tensors); the graph is then folded into residual/concat forms as the PyTorch and Keras importers
do. The first operator without a form is a clear error naming it and its node. A tensor of rank 4
or more is channels first (NCHW, as PyTorch exports it); rank 2 and 3 are (N, D) and (N, T, D).
"""

from __future__ import annotations

import math
import os
import stat

from .. import limits
from ..errors import DefinitionError, SymparamsError, UsageError
from ..files import read_bounded, shown
from .importer import Node, Numbers, file_text, finish, fold_graph, identifier, parse_back, squeezed, unique_name
from .onnx_fold import FOLDED, Folder, settle
from .onnx_origin import aten_call, folded_batchnorm, had_bias, lost_parameters, module_scopes
from .onnx_partition import partition, regroup
from .onnx_patterns import decomposed
from .onnx_windows import patch_merges, window_attentions
from .plan import need

ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Elu": "elu", "Selu": "selu",
               "Softplus": "softplus", "Softsign": "softsign", "HardSigmoid": "hard_sigmoid",
               "HardSwish": "hard_swish", "Mish": "mish", "Gelu": "gelu", "LeakyRelu": "leaky_relu"}
VIEWS = ("Identity", "Dropout", "Cast", "CastLike")      # a change of element type counts nothing
KNOWN = sorted(set(ACTIVATIONS) | {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "MaxPool", "AveragePool",
                                  "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax", "Shape", "Pad", "ConvTranspose", "Slice", "BatchNormalization", "Flatten", "Reshape", "Transpose",
                                  "Softmax", "LogSoftmax", "Clip", "Constant", "LayerNormalization", *VIEWS})
# operators read only as parts of an attention (see _attention): the scores' scale, the split of a fused
# projection, the head reshapes
ATTENTION_PARTS = {"Expand", "Equal", "Where", "Mod", "Softmax", "MatMul", "Gemm", "Add", "Mul", "Div", "Sqrt", "Transpose", "Reshape", "Unsqueeze",
                   "Squeeze", "Gather", "Slice", "Split", "Cast", "Identity", "Dropout", "Concat"}
# operators read only inside a region onnx_windows matched, and what they are there (refused by name elsewhere)
REGION_ONLY = {"ReduceL2": "the norm of q and k in a window attention's cosine scores (Swin-V2)",
               "Einsum": "the scores and the weighted sum of an attention within the windows or the grid of a map "
                         "(MaxViT)"}
# operators read only as parts of a layer written out op by op (onnx_patterns: layer norm, GELU below opset 17/20)
PATTERN_PARTS = {"Sub", "Pow", "Sqrt", "Div", "Erf", "InstanceNormalization"}
READS = set(KNOWN) | set(FOLDED) | ATTENTION_PARTS | PATTERN_PARTS | set(REGION_ONLY)    # the operators read, and those of shape
# arithmetic folded
# what reads a map put channels last the same way as symparams (the last axis is the channels)
LAST_AXIS = {"LayerNormalization", "MatMul", "Gemm", "Add", "Mul", *ACTIVATIONS, *VIEWS}


def _window(values) -> str:
    values = [int(v) for v in values]
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


class _Graph:
    """The validated graph: its nodes in order, each tensor's inferred shape, the constants known so
    far (initializers, and the shape arithmetic folded by onnx_fold), and each tensor's readers."""

    def __init__(self, model, source, base=None):
        onnx = need("onnx", "onnx")
        from onnx import numpy_helper
        self.source = source
        self.numpy_helper = numpy_helper
        _check_operators(model.graph, source)       # before anything reads or runs a node
        lost = lost_parameters(model.graph)
        if lost:
            raise DefinitionError(
                f"{source}: the model's parameter '{lost[0]}'" + (f" (and {len(lost) - 1} more)" if len(lost) > 1 else "")
                + " is in no operation of the file: the exporter's optimiser took it out (fresh weights: a zero bias "
                "dropped before the batch norm after it was folded, or a computation merged with an equal one); "
                "symparams cannot count it",
                hint="export with optimize=False, or with trained weights")
        if base is not None:
            _small_external(model.graph, base)
        self.base = base
        # square (…, N, N) float tensors of at most limits.MAX_CHECKED_ELEMENTS elements, kept before the weights
        # leave the model: a gathered position bias whose values onnx_windows checks
        # (only where each tensor is, for one stored beside the file)
        self.kept = {}
        for t in model.graph.initializer:
            if len(t.dims) >= 2 and (t.dims[-1] == t.dims[-2] or _external(t)) and \
                    math.prod(t.dims) <= limits.MAX_CHECKED_ELEMENTS and t.data_type in (1, 10, 11, 16):
                self.kept[t.name] = type(t)()
                self.kept[t.name].CopyFrom(t)
        # integer tensors hold indices or sizes, never a learned weight: initializers, and graph inputs (a buffer
        # of an export without its weights, export_params=False: Swin-V2's relative position index)
        self.integers = {t.name for t in model.graph.initializer if t.data_type in (2, 3, 4, 5, 6, 7, 9, 12, 13)} | \
            {i.name for i in model.graph.input if i.type.tensor_type.elem_type in (2, 3, 4, 5, 6, 7, 9, 12, 13)}
        weights = _weights_as_inputs(model, source)
        self.folder = Folder()

        def infer(model):
            return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
        try:
            onnx.checker.check_model(model)
            inferred = infer(model)
            if _unsettled(inferred):
                inferred = infer(settle(model, infer, self.folder))
        except Exception as exc:        # noqa: BLE001 - onnx raises its own kinds
            raise DefinitionError(f"{source}: not a valid ONNX model: {_first_line(exc)}") from None
        model = inferred
        self.graph = model.graph
        # a Constant node of a torch export holds a value computed at export (nn.LayerNorm(elementwise_affine=False)'s
        # ones and zeros), never a parameter
        self.from_torch = model.producer_name == "pytorch"
        self.nodes = list(self.graph.node)          # one list, so a node's position is found by identity
        self.position = {id(node): k for k, node in enumerate(self.nodes)}
        self.consts = {t.name: tensor_value(t, f"{source}: the initializer '{t.name}'") for t in self.graph.initializer}
        self.consts.update(weights)
        self.shapes = {}
        for info in list(self.graph.value_info) + list(self.graph.input) + list(self.graph.output):
            dims = info.type.tensor_type.shape.dim
            self.shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
        self.producer = {out: node for node in self.nodes for out in node.output}
        self.users: dict[str, list] = {}
        for node in self.nodes:
            for i in node.input:
                self.users.setdefault(i, []).append(node)

    def fold(self, node):
        """The outputs of a node of shape arithmetic whose inputs are known constants, folded by
        onnx_fold (bounded); None when a value is unknown or over a bound."""
        return self.folder.fold(node.op_type, [self.consts.get(i) if i else None for i in node.input],
                                self.attrs(node), self.shapes.get(node.input[0]) if node.input else None)

    def const(self, name):
        return self.consts.get(name)

    def attrs(self, node) -> dict:
        from onnx import helper
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _unsettled(model) -> bool:
    """Whether shape inference left a computed tensor without a whole shape (sizes it could not evaluate:
    onnx_fold.settle folds them)."""
    known = {}
    for info in list(model.graph.value_info) + list(model.graph.output):
        t = info.type.tensor_type
        known[info.name] = t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim)
    return any(not known.get(o, False) for node in model.graph.node for o in node.output if o)


STANDARD_DOMAINS = ("", "ai.onnx")


def _check_operators(graph, source) -> None:
    """Every node is a standard ONNX operator symparams reads: an operator of another domain (a custom
    'Relu') or one without a form (Loop, ConstantOfShape, ...) is refused before any node is read."""
    if len(graph.node) > limits.MAX_ONNX_NODES:
        raise DefinitionError(f"{source}: the ONNX graph has {len(graph.node):,} nodes, more than the "
                              f"{limits.MAX_ONNX_NODES:,} symparams reads (symparams.limits.MAX_ONNX_NODES)")
    # tensors computed from the data (a Shape's output is a size, not data): an operator on constants and sizes
    # only (a shifted window's mask built with ScatterND) is never evaluated and never a layer, so any standard
    # one may appear there
    weights = {t.name for t in graph.initializer}
    # the data is the first input that is no initializer, as from_onnx reads it: the others are weights given as
    # inputs (export_params=False), on which an operator (Swin-V2's ScatterND zeroing the key bias) computes a
    # constant
    dynamic = {i.name for i in graph.input if i.name not in weights}
    dynamic = set(sorted(dynamic, key=[i.name for i in graph.input].index)[:1])
    for index, node in enumerate(graph.node):
        if node.domain not in STANDARD_DOMAINS:
            raise DefinitionError(f"{source}: the ONNX node '{node.name or index}' is the operator {node.op_type} of "
                                  f"the domain '{node.domain}'; symparams reads standard ONNX operators only")
        if node.op_type != "Shape" and any(i in dynamic for i in node.input):
            dynamic.update(node.output)
        elif node.op_type not in ("Loop", "Scan", "If"):
            continue
        if node.op_type not in READS:
            raise DefinitionError(f"{source}: the ONNX node '{node.name or index}' ({node.op_type}): symparams has "
                                  f"no form for the operator {node.op_type}",
                                  hint="it reads " + ", ".join(k for k in KNOWN if k != "Constant"))


def _weights_as_inputs(model, source) -> dict:
    """The initializers too large to fold (the weights), each checked against its dims and taken out of the
    model as a graph input of its type and shape: the checker and shape inference then copy a graph of
    kilobytes, not the hundreds of megabytes of weights (VGG-16: 528 MB, copied twice). Returns each
    weight's dims-only value (tensor_value)."""
    from onnx import helper
    graph = model.graph
    # and every tensor stored outside the file (torch.onnx's default writes each over 256 bytes to
    # model.onnx.data): only its dims are read, that file is never opened
    big = [t for t in graph.initializer if math.prod(t.dims) > limits.MAX_FOLDED_ELEMENTS or _external(t)]
    if not big:
        return {}
    values = {t.name: tensor_value(t, f"{source}: the initializer '{t.name}'") for t in big}
    declared = {i.name for i in graph.input}
    kept = [t for t in graph.initializer if t.name not in values]
    infos = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in big if t.name not in declared]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    graph.input.extend(infos)
    return values


def _small_external(graph, base) -> None:
    """The values of the small tensors (at most limits.MAX_FOLDED_ELEMENTS elements: index lists, sizes) that
    torch.onnx's default export stores in the file beside the model (every tensor over 256 bytes), read into
    the model: only from a regular file in the model's own folder, only the bytes the tensor's dims need. A
    tensor that cannot be read so stays external: its dims only (tensor_value)."""
    from onnx import TensorProto
    for tensor in graph.initializer:
        if tensor.data_location == TensorProto.EXTERNAL and math.prod(tensor.dims) <= limits.MAX_FOLDED_ELEMENTS:
            _small_external_one(tensor, base)


def _small_external_one(tensor, base) -> None:
    """One tensor's bytes read into it from its external file (in the model's folder, bounded by its dims)."""
    import numpy as np
    from onnx import TensorProto, helper
    info = {e.key: e.value for e in tensor.external_data}
    location = info.get("location", "")
    parts = location.replace("\\", "/").split("/")
    if not location or os.path.isabs(location) or ".." in parts or ":" in location:
        return
    try:
        size = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize * math.prod(tensor.dims)
        offset, length = int(info.get("offset", 0)), int(info.get("length", size))
        if length != size or offset < 0:
            return
        # opened without blocking (a FIFO named like the data file would wait for a writer forever), then
        # read only if it is a regular file
        fd = os.open(os.path.join(base, *parts), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return
            handle.seek(offset)
            data = handle.read(size)
    except (OSError, ValueError, TypeError, KeyError):
        return
    if len(data) == size:
        tensor.raw_data = data
        tensor.data_location = TensorProto.DEFAULT
        del tensor.external_data[:]




def _external(tensor) -> bool:
    from onnx import TensorProto
    return tensor.data_location == TensorProto.EXTERNAL


def _first_line(exc) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:300] if text else type(exc).__name__)


def tensor_value(tensor, what: str):
    """A TensorProto's value as a numpy array. A tensor of more than limits.MAX_FOLDED_ELEMENTS elements
    (a weight), or a floating-point one stored outside the file, is only its dims: a read-only array of zeros
    that takes no memory (no importer reads a weight's values); its data length is still checked against its
    dims. An integer tensor stored outside the file is None (unknown): sizes are never guessed."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    dims = [int(d) for d in tensor.dims]
    if any(d < 0 for d in dims):
        raise DefinitionError(f"{what} has a negative dimension {dims}")
    count = math.prod(dims)
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type))
    except Exception:                   # noqa: BLE001 - UNDEFINED and unknown type numbers
        dtype = None
    if tensor.data_type == TensorProto.UNDEFINED or dtype is None or dtype.kind not in "iufbc":
        raise DefinitionError(f"{what} has the element type {tensor.data_type}, not a number type")
    external = tensor.data_location == TensorProto.EXTERNAL
    if external and dtype.kind not in "fc":
        return None             # an integer tensor kept outside the file (an index list): its values are unknown
    if count <= limits.MAX_FOLDED_ELEMENTS and not external:
        try:
            return numpy_helper.to_array(tensor)
        except Exception as exc:        # noqa: BLE001 - numpy and onnx raise several kinds
            raise DefinitionError(f"{what}: its data does not fill its dims {dims} ({_first_line(exc)})") from None
    if not external:
        if tensor.raw_data:
            held, wanted = len(tensor.raw_data), count * dtype.itemsize
        else:
            field = helper.tensor_dtype_to_field(tensor.data_type)
            held, wanted = len(getattr(tensor, field)), count * (2 if dtype.kind == "c" else 1)
        if held != wanted:
            raise DefinitionError(f"{what}: its data ({held:,} values or bytes) does not fill its dims {dims}")
    try:
        return np.broadcast_to(np.zeros((), dtype), dims)
    except ValueError:
        raise DefinitionError(f"{what} has dims {dims}, too large for an array") from None


def _layout(dims) -> tuple:
    """An ONNX shape without the batch axis, in symparams' channels-last order."""
    dims = tuple(dims[1:])
    return dims[1:] + dims[:1] if len(dims) >= 3 else dims


def _node_name(node, index) -> str:
    scopes = module_scopes(node)        # the dynamo exporter's record: the module the node ran in
    if len(scopes) >= 3 and scopes[-2]:
        return identifier(scopes[-2])
    parts = [p for p in (node.name or "").split("/") if p]
    if len(parts) >= 2:
        qual = parts[-2]
        if len(parts) >= 3 and "." in parts[-3] and not qual.startswith(parts[-3]):
            qual = parts[-3] + "_" + qual
        return identifier(qual)
    return identifier(node.name or f"{node.op_type.lower()}_{index}")


def from_onnx(model, generalize=None, source: str = "the ONNX model") -> str:
    """DSL text for an ONNX ModelProto (or the path of an .onnx file)."""
    onnx = need("onnx", "onnx")
    base = None                         # the folder a file's external data is found in
    if isinstance(model, (str, bytes, os.PathLike)):
        source = shown(model)
        base = os.path.dirname(os.path.abspath(os.fsdecode(model)))
        data = read_bounded(model, limits.MAX_ONNX_BYTES, what="ONNX file", error=DefinitionError)
        try:
            # from the bytes: a tensor stored outside the file ("external data") is never opened
            model = onnx.load_model_from_string(data)
        except Exception as exc:        # noqa: BLE001 - protobuf raises many kinds
            raise DefinitionError(f"{source}: not an ONNX model ({_first_line(exc)[:160]})") from None
        del data
    if not isinstance(model, onnx.ModelProto):
        raise UsageError(f"from_onnx needs an onnx.ModelProto or the path of an .onnx file, got a "
                         f"{type(model).__name__}")
    g = _Graph(model, source, base)
    inputs = [i for i in g.graph.input if i.name not in g.consts]
    data = inputs[:1]
    if not data:
        raise DefinitionError(f"{source}: the ONNX graph has no input")
    dims = g.shapes.get(data[0].name, ())
    if len(dims) < 2 or any(not d for d in dims[1:]):
        raise DefinitionError(f"{source}: the input '{data[0].name}' has no fixed shape ({dims}); export it with "
                              "fixed sizes")
    # other graph inputs (a PyTorch export's buffers, or every weight of an export without its parameters,
    # export_params=False) are weights, not data: only their declared shapes are read
    for extra in inputs[1:]:
        g.consts.setdefault(extra.name, _declared(extra, g))
    outputs = list(g.graph.output)
    if len(outputs) != 1:
        raise DefinitionError(f"{source}: the ONNX graph has {len(outputs)} outputs; symparams imports one")
    num = Numbers(generalize)
    nodes, order = {}, []
    start = data[0].name
    nodes[start] = Node(start, "input")
    order.append(start)
    alias: dict[str, str] = {}            # a tensor passed through (Identity, Dropout, a folded bias Add)
    names: set[str] = set()
    skip: set[int] = set()
    crops: dict[str, tuple] = {}          # a Slice (of a Slice) -> (the tensor cropped, cut before each axis)
    padded: dict[str, list] = {}          # a Pad folded into the convolution or pool that reads it
    pooled: dict[str, str] = {}           # a Reshape read as part of a global pool -> the pooled tensor
    shuffles: dict[str, tuple] = {}       # a channel shuffle under way -> (its input, groups, transposed yet)
    # maps a Transpose put channels last (ConvNeXt's permute to (N, H, W, C)): symparams' own layout, so no
    # layer is written; only what works on the last axis is read on them until a Transpose puts them back
    last: set[str] = set()
    tokens: dict[str, object] = {}        # a constant Expand-ed (a class token) -> the constant
    flat: dict[str, str] = {}             # a tensor reshaped to one axis, read only by Gathers -> that tensor
    patches: dict[str, int] = {}          # a map reshaped to (N, C, H*W), before its Transpose -> C
    # maps cut into groups of positions (MaxViT's windows and grid; onnx_partition), read as the map channels last
    # -> (the permutation of its positions, "window" or "grid", p, the map's ONNX shape); None: put back
    permuted: dict[str, tuple | None] = {}

    def key_tensor(tensor):
        """The tensor a region reads, past the views (Identity, Dropout) before it."""
        while tensor not in permuted and tensor in g.producer and g.producer[tensor].op_type in VIEWS:
            tensor = g.producer[tensor].input[0]
        return tensor

    def key(tensor):
        return alias.get(tensor, tensor)

    regions = _attentions(g, start)     # first node of each -> (x, y, DSL text, node named after)
    for first, found in decomposed(g, lambda name: _constant_value(g, name),
                                   lambda node, k: _learned_argument(g, node, k)).items():
        if not any(found[0] & members for members, _ in regions.values()):
            regions[first] = found
    dynamic = _dynamic(g, start)
    windows = window_attentions(g, dynamic, lambda name: _constant_value(g, name), lambda name: _checked_value(g, name),
                                lambda name: _learned(g, name))
    windows.update(patch_merges(g, dynamic, lambda name: _constant_value(g, name)))
    for first, found in windows.items():
        if not any(found[0] & members for members, _ in regions.values()):
            regions[first] = found
    for members, _ in regions.values():
        skip.update(members)
    for k, node in enumerate(g.nodes):
        if node.op_type in REGION_ONLY and k not in skip and any(i in dynamic for i in node.input):
            raise DefinitionError(f"{source}: the ONNX node '{node.name or k}' ({node.op_type}): symparams reads "
                                  f"{node.op_type} only as {REGION_ONLY[node.op_type]}, and this one is not")

    def layer(node, text, index, source_tensor):
        name = unique_name(_node_name(node, index), names)
        out = node.output[0]
        norm = folded_batchnorm(node) if node.op_type in ("Conv", "ConvTranspose", "Gemm") else None
        if norm is not None:
            # the exporter's optimiser folded a batch norm into this layer (onnx_origin): written back after it; the
            # node records the batch norm's module, the layer's own name is its weight's (`conv1.weight`)
            inner, bn = out + "\0folded", name
            weight = node.input[1] if len(node.input) > 1 else ""
            name = unique_name(identifier(weight[:-len(".weight")]) if weight.endswith(".weight") else bn + "_layer",
                               names)
            nodes[inner] = Node(inner, "layer", [key(source_tensor)], f"{text} name={name}", name, node)
            order.append(inner)
            nodes[out] = Node(out, "layer", [inner], ("batchnorm" if norm else "batchnorm scale=false center=false")
                              + f" name={bn}", bn, node)
        else:
            nodes[out] = Node(out, "layer", [key(source_tensor)], f"{text} name={name}", name, node)
        order.append(out)

    def biased(node, where, index=2) -> bool:
        """Whether the model's layer had a bias (onnx_origin: the dynamo optimiser's dropped zero biases)."""
        bias = node.input[index] if len(node.input) > index and node.input[index] else None
        if bias is not None and not _learned(g, bias):
            bias = None                 # a computed zero bias (optimize=False: Expand of a CastLike of 0)
        found = had_bias(node, node.input[1], bias)
        if found is None:
            raise DefinitionError(f"{where}: the exporter's optimiser dropped a bias of zeros and the file does not "
                                  "say whether the model had one; export with optimize=False")
        return found

    def read(index, node, where):
        op, a = node.op_type, g.attrs(node)
        if op == "Constant":
            g.consts[node.output[0]] = (tensor_value(a["value"], where) if "value" in a
                                        else (g.fold(node) or [None])[0])
            return
        if op == "Shape":                   # sizes, not data: what is computed from them is a constant
            g.consts[node.output[0]] = (g.fold(node) or [None])[0]
            return
        tensors = [i for i in node.input if i and i not in g.consts]
        if op == "CastLike":
            tensors = tensors if node.input[0] in tensors else []       # its second input gives only a type
        if op in VIEWS and (tensors or op not in FOLDED):
            if tensors:
                alias[node.output[0]] = key(tensors[0])
                if tensors[0] in last:
                    last.add(node.output[0])
            else:
                g.consts[node.output[0]] = g.const(node.input[0])
            return
        if op == "Expand" and not tensors:
            tokens[node.output[0]] = g.const(node.input[0])     # a learned token broadcast over the batch
        if not tensors:
            # computed from constants only: shape arithmetic is folded (bounded); any other operator's
            # value stays unknown, never evaluated
            values = g.fold(node) if op in FOLDED else None
            if values is None and op in ("Transpose", "Reshape", "Unsqueeze", "Squeeze"):
                values = _weight_view(g, node, a)
            for k, out in enumerate(node.output):
                g.consts[out] = values[k] if values is not None and k < len(values) else None
            return
        x = tensors[0]
        in_shape = g.shapes.get(x, ())
        rank = len(in_shape)
        if op == "Transpose" and rank >= 4 and x not in last and list(a.get("perm", [])) == \
                [0, *range(2, rank), 1]:
            alias[node.output[0]] = key(x)          # to channels last: symparams' layout already
            last.add(node.output[0])
            return
        if op == "Transpose" and x in last and list(a.get("perm", [])) == [0, rank - 1, *range(1, rank - 1)]:
            alias[node.output[0]] = key(x)          # back to channels first
            return
        if x in last:
            if op not in LAST_AXIS and not (op == "Pad" and _no_padding(node, g, a)):
                raise DefinitionError(f"{where}: on a map put channels last by a Transpose; symparams reads "
                                      "only operators on the last axis there (" + ", ".join(sorted(LAST_AXIS)) + ")")
            for out in node.output:
                last.add(out)
        if op == "Reshape" and rank == 4 and x not in last and _patch_reshape(node, g, in_shape):
            patches[node.output[0]] = in_shape[1]   # (N, C, H, W) -> (N, C, H*W), then Transpose(0, 2, 1)
            alias[node.output[0]] = key(x)
        elif op == "Transpose" and x in patches and list(a.get("perm", [])) == [0, 2, 1]:
            layer(node, f"reshape -1 x {num('filters', patches[x])}", index, x)
        elif op == "Conv":
            w = g.const(node.input[1])
            if w is None:
                raise DefinitionError(f"{where}: its weight is not a constant")
            kernel = w.shape[2:]
            text = f"conv {num('filters', w.shape[0])} {_window(kernel)}"
            strides = a.get("strides", [1] * len(kernel))
            if set(strides) != {1}:
                text += f" stride={_window(strides)}"
            pads = list(a.get("pads", [0] * 2 * len(kernel)))
            if x in padded and set(pads) == {0}:
                pads = padded[x] * 2
            auto = a.get("auto_pad", b"NOTSET")
            auto = auto.decode() if isinstance(auto, bytes) else auto
            if auto in ("SAME_UPPER", "SAME_LOWER") and set(a.get("strides", [1])) == {1}:
                text += " padding=same"
            elif auto not in ("NOTSET", "VALID"):
                raise DefinitionError(f"{where}: auto_pad={auto} with a stride; export it with explicit pads")
            half = len(pads) // 2
            if pads[:half] != pads[half:]:
                raise DefinitionError(f"{where}: pads {pads} are not symmetric; symparams' conv pads both sides "
                                      "alike")
            if set(pads) != {0}:
                text += f" padding={_window(pads[:half])}"
            dilations = a.get("dilations", [1] * len(kernel))
            if set(dilations) != {1}:
                text += f" dilation={_window(dilations)}"
            if a.get("group", 1) != 1:
                text += f" groups={a['group']}"
            if not biased(node, where):
                text += " bias=false"
            layer(node, text, index, x)
        elif op == "ConvTranspose":
            w = g.const(node.input[1])
            if w is None:
                raise DefinitionError(f"{where}: its weight is not a constant")
            kernel, group = w.shape[2:], a.get("group", 1)
            text = f"deconv {num('filters', w.shape[1] * group)} {_window(kernel)}"
            for option, word in (("strides", "stride"), ("dilations", "dilation")):
                if set(a.get(option, [1])) != {1}:
                    text += f" {word}={_window(a[option])}"
            pads = list(a.get("pads", [0] * 2 * len(kernel)))
            half = len(pads) // 2
            if pads[:half] != pads[half:] or "output_shape" in a or a.get("auto_pad", b"NOTSET") not in (
                    b"NOTSET", "NOTSET"):
                raise DefinitionError(f"{where}: pads {pads} (or an output_shape/auto_pad) symparams' deconv "
                                      "does not represent")
            if set(pads) != {0}:
                text += f" padding={_window(pads[:half])}"
            if set(a.get("output_padding", [0])) != {0}:
                text += f" output_padding={_window(a['output_padding'])}"
            if group != 1:
                text += f" groups={group}"
            if not biased(node, where):
                text += " bias=false"
            layer(node, text, index, x)
        elif op == "Split" and _channel_split(node, g, in_shape, a) is not None:
            start_at = 0                            # x.chunk(k, dim=1) / torch.split on the channels, one slice each
            for out, size in zip(node.output, _channel_split(node, g, in_shape, a)):
                name = unique_name(_node_name(node, index), names)
                text = f"slice {size}" + (f" start={start_at}" if start_at else "")
                nodes[out] = Node(out, "layer", [key(x)], f"{text} name={name}", name, node)
                order.append(out)
                start_at += size
        elif op == "Slice" and _channel_slice(node, g, in_shape) is not None:
            start, size = _channel_slice(node, g, in_shape)
            layer(node, f"slice {size}" + (f" start={start}" if start else ""), index, x)
        elif op == "Reshape" and x in shuffles:
            origin, groups, transposed = shuffles[x]
            back, before = tuple(g.shapes.get(node.output[0], ())), tuple(g.shapes.get(origin, ()))
            if not transposed or (None not in before and before and back != before) or len(back) != len(
                    g.shapes.get(x, ())) - 1:
                raise DefinitionError(f"{where}: reshapes channels in a way symparams does not represent (it reads a "
                                      "channel shuffle: Reshape to (b, g, c/g, ...), Transpose of axes 1 and 2, "
                                      "Reshape back)")
            layer(node, f"shuffle {groups}", index, origin)
        elif op == "Transpose" and x in shuffles and list(a.get("perm", [])) == \
                [0, 2, 1] + list(range(3, len(in_shape))) and not shuffles[x][2]:
            shuffles[node.output[0]] = shuffles[x][:2] + (True,)
        elif op == "Reshape" and _shuffle_start(node, g, x) is not None:
            shuffles[node.output[0]] = (x, _shuffle_start(node, g, x), False)    # the 5-D view of a channel shuffle
        elif op == "Slice":
            rank = len(in_shape)
            starts, ends, axes, steps = (g.const(i) if i else None for i in (list(node.input[1:]) + [""] * 4)[:4])
            origin, befores = (crops[x] if x in crops else (x, [0] * max(rank - 2, 0)))
            ok = starts is not None and rank >= 3
            if ok:
                axes = [int(v) % rank for v in (axes.ravel() if axes is not None else range(len(starts.ravel())))]
                ok = (steps is None or set(int(v) for v in steps.ravel()) == {1}) and all(v >= 2 for v in axes)
            if ok:
                befores = list(befores)
                for axis, cut in zip(axes, starts.ravel()):
                    befores[axis - 2] += int(cut)
                big, small = g.shapes.get(origin, ()), g.shapes.get(node.output[0], ())
                ok = len(big) == len(small) == rank and big[:2] == small[:2] and all(
                    b >= s_ and before == (b - s_) // 2 for b, s_, before in zip(big[2:], small[2:], befores))
                ok = ok and all(u.op_type in ("Concat", "Slice") for u in g.users.get(node.output[0], []))
            if not ok:
                raise DefinitionError(f"{where}: symparams reads a slice only as a centre crop of the spatial axes "
                                      "before a concatenation")
            crops[node.output[0]] = (origin, befores)
            nodes[node.output[0]] = Node(node.output[0], "crop", [key(origin)])
            order.append(node.output[0])
        elif op in ("Gemm", "MatMul"):
            w = g.const(node.input[1])
            if w is None or w.ndim != 2 or (op == "Gemm" and a.get("transA", 0)):
                raise DefinitionError(f"{where}: only a product with a constant weight matrix is a dense layer")
            units = w.shape[0] if (op == "Gemm" and a.get("transB", 0)) else w.shape[1]
            has_bias = op == "Gemm" and biased(node, where)
            if op == "MatMul":
                users = g.users.get(node.output[0], [])
                if len(users) == 1 and users[0].op_type == "Add":
                    other = [i for i in users[0].input if i != node.output[0]]
                    if other and g.const(other[0]) is not None and g.const(other[0]).size == units:
                        has_bias = True
                        skip.add(g.position[id(users[0])])
                        alias[users[0].output[0]] = node.output[0]
                        if x in last:
                            last.add(users[0].output[0])
            layer(node, f"dense {num('units', units)}" + ("" if has_bias else " bias=false"), index, x)
        elif op in ("MaxPool", "AveragePool"):
            kernel = a["kernel_shape"]
            word = "maxpool" if op == "MaxPool" else "avgpool"
            text = f"{word} {_window(kernel)}"
            strides = a.get("strides", [1] * len(kernel))
            if list(strides) != list(kernel):
                text += f" stride={_window(strides)}"
            pads = list(a.get("pads", [0] * 2 * len(kernel)))
            if x in padded and set(pads) == {0}:
                pads = padded[x] * 2
            half = len(pads) // 2
            if pads[:half] != pads[half:]:
                raise DefinitionError(f"{where}: pads {pads} are not symmetric")
            if set(pads) != {0}:
                text += f" padding={_window(pads[:half])}"
            if op == "AveragePool" and set(a.get("pads", [0])) != {0} and not a.get("count_include_pad", 0):
                # ONNX's default leaves the pool's own padding out of the average (PyTorch's
                # count_include_pad=False, PoolFormer's token mixer); a Pad node's zeros are real cells
                text += " count_include_pad=false"
            if a.get("ceil_mode", 0):
                text += " ceil_mode"
            for option, plain in (("dilations", None),):
                value = a.get(option, plain)
                if value not in (plain, [1] * len(kernel)):
                    raise DefinitionError(f"{where}: {option}={value}; symparams' {word} has no such option")
            layer(node, text, index, x)
        elif op in ("GlobalAveragePool", "GlobalMaxPool"):
            word = "globalavgpool" if op == "GlobalAveragePool" else "globalmaxpool"
            layer(node, word + " keepdims", index, x)     # ONNX keeps each spatial axis, of size 1
        elif op in ("ReduceMean", "ReduceMax"):
            rank = len(in_shape)
            axes = a.get("axes")
            if axes is None and len(node.input) > 1 and g.const(node.input[1]) is not None:
                axes = [int(v) for v in g.const(node.input[1]).ravel()]
            spatial = set(range(2, rank)) if rank >= 4 else {1}
            if node.input[0] in pooled:
                rank = len(g.shapes.get(pooled[node.input[0]], ()))
                spatial = set(range(2, rank)) if axes is not None and len(axes) == 1 and axes[0] in (-1, 2) else None
                axes = sorted(spatial or ())
            if axes is None or {v % rank for v in axes} != spatial or rank < 3:
                raise DefinitionError(f"{where}: over axes {axes} of a rank-{rank} tensor; symparams reads a mean or "
                                      "maximum over all positions (a global pool) only")
            keep = bool(a.get("keepdims", 1)) and node.input[0] not in pooled      # ONNX's default keeps them
            layer(node, ("globalavgpool" if op == "ReduceMean" else "globalmaxpool") + (" keepdims" if keep else ""),
                  index, x)
        elif op == "LayerNormalization":
            if a.get("axis", -1) % max(rank, 1) != rank - 1 or (rank >= 4 and x not in last):
                raise DefinitionError(f"{where}: normalises from axis {a.get('axis', -1)} of a rank-{rank} tensor; "
                                      "symparams' layernorm normalises the last axis (channels) only")
            scale, shift = (_learned_argument(g, node, k) for k in (1, 2))
            if shift and not scale:
                raise DefinitionError(f"{where}: a learned bias without a learned scale; symparams' layernorm has a "
                                      "scale, or neither")
            layer(node, "layernorm" if shift else "layernorm bias=false" if scale else "layernorm affine=false",
                  index, x)
        elif op == "Mul" and len(tensors) == 1 and _channel_scale(node, g, in_shape, x in last):
            layer(node, "layerscale", index, x)     # x * gamma, one learned number per channel (ConvNeXt)
        elif op == "BatchNormalization":
            layer(node, "batchnorm", index, x)
        elif op == "Reshape" and [u.op_type for u in g.users.get(node.output[0], [])] in (["ReduceMean"],
                                                                                          ["ReduceMax"]):
            pooled[node.output[0]] = x      # x.flatten(2).mean(-1): a global pool of x (the exporter's GlobalPool)
            alias[node.output[0]] = key(x)
        elif op == "Reshape" and _flat(node, g, in_shape):
            flat[node.output[0]] = x        # every element in one axis, for the Gather of an as_strided (below)
        elif op == "Gather" and x in flat:
            # torch's as_strided as the dynamo exporter writes it: a Gather of the flattened tensor; read when it
            # takes every element back in place (ConvNeXt's pooled 1 x 1 map), a view of it
            origin, indices = flat[x], g.const(node.input[1])
            import numpy as np
            if indices is None or int(a.get("axis", 0)) != 0 or tuple(indices.shape) != tuple(g.shapes.get(origin, ())) \
                    or not np.array_equal(indices.ravel(), np.arange(indices.size)):
                raise DefinitionError(f"{where}: gathers elements of a flattened tensor out of their order "
                                      "(torch's as_strided); symparams reads it only when it keeps every element in place")
            alias[node.output[0]] = key(origin)
            if origin in last:
                last.add(node.output[0])
        elif op == "Pad" and _no_padding(node, g, a):
            alias[node.output[0]] = key(x)          # pads of zero (Swin's windows on a map they divide): x itself
            if x in last:
                last.add(node.output[0])
        elif op == "Pad":
            users = g.users.get(node.output[0], [])
            raw = g.const(node.input[1]) if len(node.input) > 1 else a.get("pads")
            rank = len(in_shape)
            mode = a.get("mode", b"constant")
            pads = [int(v) for v in raw.ravel()] if raw is not None and hasattr(raw, "ravel") else raw
            if (pads is None or len(users) != 1 or users[0].op_type not in ("Conv", "MaxPool", "AveragePool")
                    or mode not in (b"constant", "constant") or rank < 3):
                raise DefinitionError(f"{where}: symparams reads a constant padding right before a convolution or "
                                      "pool only")
            begin, end_ = pads[2:rank], pads[rank + 2:]
            if begin != end_ or pads[:2] != [0, 0] or pads[rank:rank + 2] != [0, 0]:
                raise DefinitionError(f"{where}: pads {pads} are not the same on both sides of each axis; "
                                      "symparams pads symmetrically")
            padded[node.output[0]] = begin
            alias[node.output[0]] = key(x)
        elif op in ("Flatten", "Reshape"):
            out_shape = g.shapes.get(node.output[0], ())
            axis = a.get("axis", 1)
            if (op == "Flatten" and axis != 1) or len(out_shape) != 2:
                raise DefinitionError(f"{where}: gives {out_shape}; symparams reads a reshape to (batch, -1) "
                                      "(flatten) only")
            if len(in_shape) == 2:
                alias[node.output[0]] = key(x)          # already flat
            else:
                layer(node, "flatten", index, x)
        elif op in ACTIVATIONS:
            if op == "LeakyRelu" and abs(a.get("alpha", 0.01) - 0.2) > 1e-6:
                raise DefinitionError(f"{where}: alpha={a.get('alpha', 0.01)}; symparams' leaky_relu has alpha 0.2")
            layer(node, ACTIVATIONS[op], index, x)
        elif op in ("Softmax", "LogSoftmax"):
            rank = len(in_shape)
            axis = a.get("axis", -1)
            channel = 1 if rank >= 4 else rank - 1
            if axis not in (channel, channel - rank):
                raise DefinitionError(f"{where}: over axis {axis}, not the channels")
            layer(node, "softmax" if op == "Softmax" else "log_softmax", index, x)
        elif op == "Clip":
            bounds = [g.const(i) if i else None for i in node.input[1:3]]
            if any(b is not None and b.size != 1 for b in bounds):
                raise DefinitionError(f"{where}: a bound is a tensor of shape {[tuple(b.shape) for b in bounds if b is not None]}, "
                                      "not one number; symparams has relu6 (0 to 6)")
            bounds = [None if b is None else b.reshape(()) for b in bounds]
            low = a.get("min", None if len(bounds) < 1 or bounds[0] is None else float(bounds[0]))
            high = a.get("max", None if len(bounds) < 2 or bounds[1] is None else float(bounds[1]))
            if (low, high) != (0.0, 6.0):
                raise DefinitionError(f"{where}: clips to [{low}, {high}]; symparams has relu6 (0 to 6)")
            layer(node, "relu6", index, x)
        elif op == "Concat" and len(node.input) == 2 and len(tensors) == 1 and \
                _is_token(tokens.get(node.input[0], g.const(node.input[0])), in_shape) and a.get("axis") in (1, -2):
            # a learned (1, 1, D) token before the sequence (Expand-ed over the batch, or a constant already when
            # the dynamo optimiser folded the Expand of a batch of one)
            layer(node, "clstoken", index, x)
        elif op == "Add" and len(tensors) == 1 and rank == 3 and g.const(_other(node, x)) is not None and \
                tuple(g.const(_other(node, x)).shape) in ((1,) + _known(g, node)[1:], _known(g, node)[1:]):
            layer(node, "posembed", index, x)       # a learned (1, T, D) table added to the sequence
        elif op == "Gather" and rank == 3 and a.get("axis", 0) in (1, -2) and g.const(node.input[1]) is not None \
                and g.const(node.input[1]).shape == () and int(g.const(node.input[1])) == 0:
            layer(node, "clspool", index, x)        # x[:, 0]: the class token's output
        elif op == "Concat" and len(node.input) == 1:
            alias[node.output[0]] = key(x)          # torch.cat([x]) (DenseNet's first layer): x itself
        elif op in ("Add", "Mul", "Concat", "Sub"):
            if len(tensors) != len(node.input) or len(tensors) < 2:
                raise DefinitionError(f"{where}: has a constant operand; symparams merges layers' outputs only")
            if len({t in last for t in tensors}) != 1:
                raise DefinitionError(f"{where}: merges a map put channels last with one that is not")
            if op == "Concat":
                rank = len(g.shapes.get(node.output[0], ())) or 4
                channel = 1 if rank >= 4 else rank - 1
                if a.get("axis") not in (channel, channel - rank):
                    raise DefinitionError(f"{where}: concatenates on axis {a.get('axis')}, not the channels")
            # a sum whose operands' shapes differ (x + a 1 x 1 x C context) broadcasts: written `add with NAME`
            shapes = {tuple(g.shapes[t]) if g.shapes.get(t) else None for t in tensors}
            nodes[node.output[0]] = Node(node.output[0], {"Add": "add", "Mul": "mul", "Concat": "concat", "Sub": "sub"}[op],
                                         [key(t) for t in tensors], broadcast=op == "Add" and len(shapes) > 1)
            order.append(node.output[0])
        else:
            raise DefinitionError(f"{where}: symparams has no form for the operator {op}",
                                  hint="it reads " + ", ".join(k for k in KNOWN if k != "Constant"))

    def grouped(index, node, where) -> bool:
        """A map cut into windows or a grid (MaxViT), or put back (onnx_partition): the same map, channels last,
        its positions permuted (no layer); True when read so."""
        data_in = [i for i in node.input[:1] if i in dynamic]
        if node.op_type not in ("Reshape", "Transpose") or not data_in:
            return False
        x = data_in[0]
        if permuted.get(x) is not None:
            perm, kind, p, shape = permuted[x]
            back = regroup(g, x, perm, shape, lambda name: _constant_value(g, name), dynamic)
            if back is None:
                raise DefinitionError(f"{where}: reshapes a map cut into {kind}s of {p} x {p} positions in a way "
                                      "that neither puts each position back where it was nor cuts it into windows "
                                      "or a grid")
            skip.update(back[0])
            alias[back[1]] = key(x)
            if len(back) == 2:
                permuted[back[1]] = None    # the map again, every position in its place
            else:
                last.add(back[1])
                permuted[back[1]] = (back[2], back[3], back[4], shape)
            return True
        if x in last or node.op_type != "Reshape":
            return False
        cut = partition(g, x, lambda name: _constant_value(g, name), dynamic)
        if cut is None:
            return False
        members, t, perm, kind, p = cut
        alias[t] = key(x)
        last.add(t)
        permuted[t] = (perm, kind, p, tuple(g.shapes[x]))
        skip.update(members)
        return True

    for index, node in enumerate(g.nodes):
        if index in regions:
            x_in, y_out, text, named = regions[index][1]
            where = f"{source}: the ONNX node '{named.name or index}' ({named.op_type})"
            if callable(text):              # an attention within the groups of a partitioned map
                text = text(permuted.get(key_tensor(x_in)), where)
            name = unique_name(_node_name(named, index), names)
            nodes[y_out] = Node(y_out, "layer", [key(x_in)], f"{text} name={name}", name, named)
            order.append(y_out)
            if x_in in last:
                last.add(y_out)
            _carry(permuted, last, [x_in], [y_out], where, alias)
            continue
        if index in skip:
            continue
        where = f"{source}: the ONNX node '{node.name or index}' ({node.op_type})"
        try:
            if grouped(index, node, where):
                continue
            read(index, node, where)
            _carry(permuted, last, [i for i in node.input if i in dynamic], [o for o in node.output if o], where,
                   alias)
        except SymparamsError:
            raise
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError, ZeroDivisionError) as exc:
            # a node the checker lets through but whose attributes or inputs are not what its operator
            # takes (a string alpha, a Conv with one input, a MaxPool without kernel_shape)
            detail = f"missing {exc}" if isinstance(exc, KeyError) else _first_line(exc)
            raise DefinitionError(f"{where}: malformed ({detail})") from None
    end = key(outputs[0].name)
    if end not in nodes:
        raise DefinitionError(f"{source}: cannot follow the graph to its output '{outputs[0].name}'")
    _nest_concats(nodes, order)
    body = fold_graph(nodes, order, start, end)
    shape = _layout(dims)
    # stated in the file: batch norm's mean and variance are initializers in the graph, and the count a
    # reader compares with is the exporting framework's (PyTorch's, which holds them as buffers)
    text = file_text(num, shape, body, "pytorch")
    _compare(text, nodes, g, source, last, permuted)
    return finish(text, num, shape, body, "pytorch", "pytorch")


def _channel_split(node, g, in_shape, a):
    """The sizes of a Split of the channels (axis 1 of a map, the last of a sequence) into known parts, else None."""
    rank = len(in_shape)
    channel = 1 if rank >= 3 else rank - 1
    if rank < 2 or int(a.get("axis", 0)) % rank != channel or not isinstance(in_shape[channel], int):
        return None
    c = in_shape[channel]
    sizes = g.const(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("split")
    if sizes is None:
        parts = a.get("num_outputs", len(node.output))
        step = -(-c // parts)                   # ONNX: equal parts, the last one smaller
        sizes = [min(step, c - k * step) for k in range(parts)]
    sizes = [int(v) for v in (sizes.ravel() if hasattr(sizes, "ravel") else sizes)]
    if len(sizes) != len(node.output) or sum(sizes) != c or min(sizes) < 1:
        return None
    return sizes


def _channel_slice(node, g, in_shape):
    """(start, size) of a Slice of the channels (axis 1 of a map, the last of a sequence) with step 1, else None."""
    rank = len(in_shape)
    starts, ends, axes, steps = (g.const(i) if i else None for i in (list(node.input[1:]) + [""] * 4)[:4])
    if starts is None or ends is None or axes is None or rank < 2 or starts.size != 1 or axes.size != 1:
        return None
    channel = 1 if rank >= 3 else rank - 1
    if int(axes.ravel()[0]) % rank != channel or (steps is not None and int(steps.ravel()[0]) != 1):
        return None
    c = in_shape[channel]
    if not isinstance(c, int):
        return None
    start, end = int(starts.ravel()[0]), int(ends.ravel()[0])
    start, end = (start + c if start < 0 else start), min(end + c if end < 0 else end, c)
    return (start, end - start) if 0 <= start < end else None


def _shuffle_start(node, g, x):
    """The groups of a Reshape that opens a channel shuffle: (b, c, ...) -> (b, g, c/g, ...) read by a Transpose."""
    big, out = tuple(g.shapes.get(x, ())), tuple(g.shapes.get(node.output[0], ()))
    users = g.users.get(node.output[0], [])
    if len(out) < 4 or not isinstance(out[1], int) or not isinstance(out[2], int) or out[1] < 2 or \
            len(users) != 1 or users[0].op_type != "Transpose":
        return None
    # shape inference may not know the input's sizes (a concatenation of slices): then its rank is enough
    known = len(big) == len(out) - 1 and None not in big
    if known and not (out[:1] == big[:1] and out[3:] == big[2:] and out[1] * out[2] == big[1]):
        return None
    return out[1] if known or len(big) in (0, len(out) - 1) else None


# what may sit between an attention's input and its output besides the projections and the two products
_ATTENTION_PLUMBING = {"Transpose", "Reshape", "Unsqueeze", "Squeeze", "Gather", "Slice", "Split", "Identity",
                       "Dropout", "Mul", "Div", "Add", "Cast", "Softmax", "MatMul", "Gemm", "Concat"}


def _attentions(g, start) -> dict:
    """Multi-head self-attention as an exporter writes it out (nn.MultiheadAttention, timm's Attention,
    F.scaled_dot_product_attention decomposed): a Softmax between a product of two computed tensors and another,
    fed by projections with constant weights from one tensor x and leading through an output projection to a
    tensor y of x's shape. Each such region, closed (nothing inside read from outside but x and constants, nothing
    inside read from outside but y) and holding exactly the weights of `attention heads=H`, is that one layer.
    Returns {index of the region's first node: (its node indexes, (x, y, DSL text, the Softmax node))}."""
    producer, users = {}, {}
    for k, node in enumerate(g.nodes):
        for out in node.output:
            producer[out] = k
        for i in node.input:
            users.setdefault(i, []).append(k)
    dynamic = {start}               # tensors computed from the input (a Shape's output is a fixed size)
    for node in g.nodes:
        if node.op_type != "Shape" and any(i in dynamic for i in node.input):
            dynamic.update(node.output)

    def weight(name):
        """The constant 2-D (or 1-D) tensor behind `name` (an initializer, maybe through the exporter's Identity)."""
        while name not in g.consts and name in producer and g.nodes[producer[name]].op_type == "Identity":
            name = g.nodes[producer[name]].input[0]
        return g.consts.get(name)

    def data_inputs(k):
        return [i for i in g.nodes[k].input if i in dynamic]

    found = {}
    for s_index, soft in enumerate(g.nodes):
        if soft.op_type != "Softmax" or soft.input[0] not in producer:
            continue
        try:
            region = _attention_region(g, s_index, producer, users, dynamic, data_inputs, weight)
        except (KeyError, IndexError, TypeError, ValueError):
            region = None
        if region is not None:
            members, info = region
            found[min(members)] = (members, info)
    return found


def _attention_region(g, s_index, producer, users, dynamic, data_inputs, weight):
    soft = g.nodes[s_index]
    # scores: MatMul(q, k^T), maybe scaled or masked after
    k = producer[soft.input[0]]
    while g.nodes[k].op_type in ("Mul", "Div", "Add") and len(data_inputs(k)) == 1:
        k = producer[data_inputs(k)[0]]
    scores = k
    if g.nodes[scores].op_type != "MatMul" or len(data_inputs(scores)) != 2:
        return None
    after = [u for u in users.get(soft.output[0], []) if g.nodes[u].op_type not in ("Identity", "Dropout")]
    out = soft.output[0]
    while len(users.get(out, [])) == 1 and g.nodes[users[out][0]].op_type in ("Identity", "Dropout"):
        out = g.nodes[users[out][0]].output[0]
    after = users.get(out, [])
    if len(after) != 1 or g.nodes[after[0]].op_type != "MatMul" or len(data_inputs(after[0])) != 2:
        return None
    # forward from probs @ v to the output projection, then through reshapes to y
    t = g.nodes[after[0]].output[0]
    out_proj = None
    while out_proj is None:
        nxt = users.get(t, [])
        if len(nxt) != 1:
            return None
        node = g.nodes[nxt[0]]
        if node.op_type in ("MatMul", "Gemm") and len(data_inputs(nxt[0])) == 1:
            out_proj = nxt[0]
        elif node.op_type not in ("Transpose", "Reshape", "Identity", "Dropout", "Flatten"):
            return None
        t = node.output[0]
    while len(users.get(t, [])) == 1:
        node = g.nodes[users[t][0]]
        if node.op_type == "Add" and len(data_inputs(users[t][0])) == 1:
            pass
        elif node.op_type not in ("Transpose", "Reshape", "Identity", "Dropout"):
            break
        t = node.output[0]
    y = t
    # backward from the scores and the values to the projections' common input
    values = [i for i in data_inputs(after[0]) if i != out]
    projections, stack, seen = [], data_inputs(scores) + values, set()
    inputs = set()
    while stack:
        tensor = stack.pop()
        if tensor in seen:
            continue
        seen.add(tensor)
        k2 = producer.get(tensor)
        if k2 is None:
            return None
        node = g.nodes[k2]
        if node.op_type in ("MatMul", "Gemm") and len(data_inputs(k2)) == 1:
            projections.append(k2)
            inputs.add(data_inputs(k2)[0])
        elif node.op_type in _ATTENTION_PLUMBING and node.op_type not in ("MatMul", "Softmax"):
            stack.extend(data_inputs(k2))
        else:
            return None
    if len(inputs) != 1 or not projections:
        return None
    x = inputs.pop()
    shape_y = g.shapes.get(y)
    while tuple(g.shapes.get(x, ())) != tuple(shape_y or ()) and x in producer and \
            g.nodes[producer[x]].op_type in ("Transpose", "Reshape", "Identity") and len(data_inputs(producer[x])) == 1:
        x = data_inputs(producer[x])[0]
    shape_x = g.shapes.get(x)
    if not shape_x or tuple(shape_x) != tuple(shape_y or ()) or None in shape_x or len(shape_x) != 3:
        return None
    # the region: every node on a path from x to y
    below, stack = set(), [x]
    while stack:
        for u in users.get(stack.pop(), []):
            if u not in below and g.nodes[u].op_type != "Shape":
                below.add(u)
                stack.extend(o for o in g.nodes[u].output if o in dynamic and o != y)
    above, stack = set(), [producer[y]]
    while stack:
        k2 = stack.pop()
        if k2 in above:
            continue
        above.add(k2)
        stack.extend(producer[i] for i in data_inputs(k2) if i != x and i in producer)
    members = below & above
    for k2 in members:
        node = g.nodes[k2]
        if node.op_type not in _ATTENTION_PLUMBING:
            return None
        if any(i != x and producer.get(i) not in members for i in data_inputs(k2)):
            return None
        for o in node.output:
            if o != y and any(u not in members and g.nodes[u].op_type != "Shape" for u in users.get(o, [])):
                return None
    # its weights: the projections' matrices and biases, and nothing else of more than one number
    d = shape_x[-1]
    mats, biases = [], {}
    out_path = {out_proj}
    for k2 in sorted(members):
        node = g.nodes[k2]
        consts = [weight(i) for i in node.input if i and i not in dynamic]
        consts = [c for c in consts if c is not None and c.size > 1 and c.ndim >= 1]
        if node.op_type in ("MatMul", "Gemm") and k2 in projections + [out_proj]:
            mat = consts[0]
            if mat.ndim != 2:
                return None
            a = g.attrs(node)
            rows, cols = (mat.shape[::-1] if a.get("transB", 0) else mat.shape)
            mats.append((k2, rows, cols))
            if len(consts) > 1:
                biases[k2] = consts[1].size
            elif node.op_type == "Gemm":
                kept = had_bias(node, node.input[1], None)      # a zero bias the dynamo optimiser dropped
                if kept is None:
                    return None
                if kept:
                    biases[k2] = cols
        elif node.op_type == "Add" and consts:
            src = producer.get(data_inputs(k2)[0])
            if src not in projections + [out_proj] or len(consts) != 1:
                return None
            biases[src] = consts[0].size
        elif node.op_type in ("Reshape", "Slice", "Gather", "Split", "Unsqueeze", "Squeeze", "Transpose", "Concat"):
            continue
        elif consts:
            return None         # another learned tensor (a relative position table, a norm): not plain attention
    heads_shape = g.shapes.get(soft.input[0], ())
    if len(heads_shape) == 4 and isinstance(heads_shape[1], int):
        heads = heads_shape[1]
    elif len(heads_shape) == 3 and isinstance(heads_shape[0], int) and shape_x[0]:
        heads = heads_shape[0] // shape_x[0]
    else:
        return None
    ins = [(k2, r, c) for k2, r, c in mats if k2 != out_proj]
    outs = [(k2, r, c) for k2, r, c in mats if k2 == out_proj]
    if sum(c for _, _, c in ins) != 3 * d or any(r != d for _, r, _ in ins) or outs[0][1:] != (d, d) or heads < 1 \
            or d % heads:
        return None
    in_bias = sum(v for k2, v in biases.items() if k2 != out_proj)
    out_bias = biases.get(out_proj, 0)
    words = {(3 * d, d): "", (0, 0): " bias=false", (3 * d, 0): " bias=qkv", (2 * d, d): " bias=qvo",
             (0, d): " bias=o"}          # timm's qkv_bias=False: the output projection keeps its bias
    if (in_bias, out_bias) not in words:
        return None
    text = f"attention heads={heads}" + words[(in_bias, out_bias)]
    return members, (x, y, text, soft)


def _weight_view(g, node, a):
    """A weight transposed or reshaped (the dynamo exporter without its optimiser writes nn.Linear as
    MatMul(x, Transpose(W))): another dims-only weight of the new shape, [value], or None. Its values are
    never read, so none is computed, whatever the weight's size."""
    import numpy as np
    value = g.const(node.input[0])
    if value is None or value.size <= 1:
        return None
    if node.op_type == "Transpose":
        perm = [int(v) for v in a.get("perm", range(value.ndim))[::-1 if "perm" not in a else 1]]
        if sorted(perm) != list(range(value.ndim)):
            return None
        dims = [value.shape[k] for k in perm]
    else:
        dims = tuple(g.shapes.get(node.output[0], ()))
        if not dims or any(not isinstance(d, int) for d in dims) or math.prod(dims) != value.size:
            return None
    return [np.broadcast_to(np.zeros((), value.dtype), dims)]


def _no_padding(node, g, a) -> bool:
    raw = g.const(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("pads")
    if raw is None:
        return False
    values = [int(v) for v in (raw.ravel() if hasattr(raw, "ravel") else raw)]
    return bool(values) and set(values) == {0}


def _dynamic(g, start) -> set:
    """The tensors computed from the data input (a Shape's output is a size, not data)."""
    dynamic = {start}
    for node in g.nodes:
        if node.op_type != "Shape" and any(i in dynamic for i in node.input):
            dynamic.update(node.output)
    return dynamic


def _checked_value(g, name):
    """The whole value of a constant kept for a check (a window attention's gathered position bias: its values
    tell whether it is a relative position table), read from the file or the one beside it; None otherwise."""
    import numpy as np
    value = g.consts.get(name)
    if value is not None and not (value.size > 1 and all(st == 0 for st in value.strides)):
        return value
    node = g.producer.get(name)
    if node is not None and node.op_type in ("Reshape", "Transpose", "Unsqueeze", "Squeeze", "Identity"):
        # the optimiser folds a table's Gather but may leave the reshapes after it in the graph
        source = _checked_value(g, node.input[0])
        shape = tuple(g.shapes.get(name, ()))
        if source is None:
            return None
        if node.op_type == "Transpose":
            perm = g.attrs(node).get("perm")
            return np.transpose(source, perm) if perm is not None else None
        if node.op_type == "Identity":
            return source
        return source.reshape(shape) if shape and None not in shape and math.prod(shape) == source.size else None
    tensor = g.kept.get(name)
    if tensor is None:
        return None
    from onnx import TensorProto, numpy_helper
    if tensor.data_location == TensorProto.EXTERNAL:
        if g.base is None:
            return None
        copy = type(tensor)()
        copy.CopyFrom(tensor)
        _small_external_one(copy, g.base)
        if copy.data_location == TensorProto.EXTERNAL:
            return None
        tensor = copy
    try:
        return numpy_helper.to_array(tensor)
    except Exception:               # noqa: BLE001 - onnx raises several kinds
        return None


def _learned_argument(g, node, index) -> bool:
    """Whether input `index` of a node is a learned tensor: present, fed by a constant (_learned), and a
    tensor in the PyTorch call the dynamo exporter recorded (nn.LayerNorm(elementwise_affine=False) is
    written with a scale of ones and a bias of zeros that the model does not hold)."""
    if len(node.input) <= index or not node.input[index] or not _learned(g, node.input[index]):
        return False
    call = aten_call(node)
    # where the weight and bias are among the recorded call's arguments: layer_norm(input, normalized_shape,
    # weight, bias, eps), group_norm(input, groups, weight, bias, eps), instance_norm(input, weight, bias, ...);
    # a Mul/Add of a group norm's scale/shift records the group_norm call
    at = {"layer_norm": 2, "native_layer_norm": 2, "group_norm": 2, "native_group_norm": 2, "instance_norm": 1}
    if call is not None and call[0] in at:
        # the norm's own node: input 1 the weight, 2 the bias; a group norm's Mul is its weight, its Add its bias
        k = at[call[0]] + {"Mul": 0, "Add": 1}.get(node.op_type, index - 1)
        return len(call[1]) > k and call[1][k] != "None"
    return True


def _constant_value(g, name):
    """A constant's value before the graph is read: an initializer, or a Constant node's small tensor."""
    if not name:
        return None
    if name in g.consts:
        return g.consts[name]
    node = g.producer.get(name)
    if node is not None and node.op_type == "Identity":
        return _constant_value(g, node.input[0])        # the TorchScript exporter's shared initializers
    if node is None or node.op_type != "Constant":
        return None
    a = g.attrs(node)
    if "value" in a and math.prod(a["value"].dims) <= limits.MAX_FOLDED_ELEMENTS:
        try:
            return tensor_value(a["value"], name)
        except SymparamsError:
            return None
    return (g.folder.fold("Constant", [], a) or [None])[0] if "value" not in a else None


def _learned(g, tensor) -> bool:
    """Whether a tensor holds learned values: a constant, a graph input, or computed from one (not through
    a Shape). The dynamo exporter without its optimiser gives a convolution without bias a bias of zeros
    computed from a Constant 0 and the weight's Shape: nothing learned. A Constant node is a learned tensor
    in a hand-made file, not in a torch export."""
    producer = g.producer
    seen, stack = set(), [tensor]
    while stack:
        t = stack.pop()
        if t in seen or not t:
            continue
        seen.add(t)
        node = producer.get(t)
        if node is None:
            # an initializer or a graph input; an integer one holds indices, and a single number met on the way
            # (a mask's fill value) is a constant of the computation
            small = t != tensor and g.consts.get(t) is not None and g.consts[t].size <= 1
            if t in g.integers or small:
                continue
            return True
        if node.op_type == "Constant":
            if g.from_torch:
                continue        # torch.onnx writes every parameter and buffer as an initializer (or graph input)
            a = g.attrs(node)
            value = a.get("value")
            if value is None or math.prod(value.dims) > 1:
                return True     # a tensor written in the graph (a hand-made file's weight)
        elif node.op_type in ("CastLike", "Expand", "Reshape", "Tile", "Slice", "Unsqueeze", "Squeeze"):
            stack.append(node.input[0])     # the others give a type or sizes
        elif node.op_type != "Shape":
            stack.extend(node.input)
    return False


def _declared(info, g):
    """A weight given as a graph input: a read-only array of zeros of its declared shape (no memory), or None
    when a size is not fixed."""
    import numpy as np
    dims = g.shapes.get(info.name, ())
    if not dims or any(not isinstance(d, int) for d in dims):
        return None
    return np.broadcast_to(np.zeros((), np.float32), dims)


def _known(g, node) -> tuple:
    """The inferred shape of a node's output (known when its input's is not: after a class token's Concat)."""
    return tuple(g.shapes.get(node.output[0], ()))


def _other(node, x):
    return next(i for i in node.input if i != x)


def _is_token(value, in_shape) -> bool:
    return value is not None and len(in_shape) == 3 and tuple(value.shape) == (1, 1, in_shape[-1])


def _flat(node, g, in_shape) -> bool:
    """A Reshape of a whole tensor of known shape to one axis whose readers are all Gathers."""
    out = tuple(g.shapes.get(node.output[0], ()))
    users = g.users.get(node.output[0], [])
    return len(out) == 1 and bool(in_shape) and None not in in_shape and out == (math.prod(in_shape),) \
        and bool(users) and all(u.op_type == "Gather" for u in users)


def _patch_reshape(node, g, in_shape) -> bool:
    """A Reshape of a map (N, C, H, W) to (N, C, H*W) read by a Transpose(0, 2, 1) only: ViT's patches."""
    out = tuple(g.shapes.get(node.output[0], ()))
    users = g.users.get(node.output[0], [])
    return len(out) == 3 and None not in in_shape and out == (in_shape[0], in_shape[1], in_shape[2] * in_shape[3]) \
        and len(users) == 1 and users[0].op_type == "Transpose" and list(g.attrs(users[0]).get("perm", [])) == [0, 2, 1]


def _nest_concats(nodes, order) -> None:
    """A concatenation of t1..tn where one of t1..t(n-1) was already made (DenseNet's torch.cat of the list of
    every feature so far) reads as that concatenation joined with tn: the same values, and a graph that folds
    into nested `concat` forms instead of every feature read by every later layer."""
    made = {}
    for k in order:
        node = nodes[k]
        if node.op != "concat":
            continue
        written = tuple(node.inputs)
        if len(written) >= 3 and written[:-1] in made:
            node.inputs = [made[written[:-1]], written[-1]]
        made.setdefault(written, k)


def _channel_scale(node, g, in_shape, channels_last) -> bool:
    """Whether a Mul's constant operand holds one number per channel (shape (C, 1, 1) on a channels-first
    map, (C,) on channels last or a sequence): a learned layer scale."""
    consts = [g.const(i) for i in node.input if i in g.consts]
    if len(consts) != 1 or consts[0] is None or not in_shape:
        return False
    shape, rank = tuple(consts[0].shape), len(in_shape)
    channel = 1 if rank >= 4 and not channels_last else rank - 1
    c = in_shape[channel]
    wanted = (c,) + (1,) * (rank - 2) if channel == 1 else (c,)
    return isinstance(c, int) and c > 1 and shape[-len(wanted):] == wanted and set(shape[:-len(wanted)]) <= {1}


def _carry(permuted, last, inputs, outputs, where, alias) -> None:
    """A position-wise operator's outputs hold the positions of its partitioned inputs in the same order; inputs
    partitioned differently (a window-cut map added to a grid-cut one) have no meaning on the map. A tensor read
    as another (a bias Add folded into its dense layer) is looked up as that one."""
    def cut(tensor):
        return permuted[tensor] if tensor in permuted else permuted.get(alias.get(tensor))
    cuts = {id(cut(i)[0]): cut(i) for i in inputs if cut(i) is not None}
    if not cuts:
        return
    if len(cuts) > 1 or any(cut(i) is None for i in inputs):
        raise DefinitionError(f"{where}: combines maps whose positions are grouped differently (windows, a grid, "
                              "or not at all)")
    for out in outputs:
        if out not in last:
            raise DefinitionError(f"{where}: reads a map cut into groups of positions other than position by "
                                  "position")
        permuted[out] = next(iter(cuts.values()))


def _compare(text, nodes, g, source, last=(), permuted=None) -> None:
    """Each imported layer's output shape against ONNX shape inference's; a difference names the node. A map cut
    into groups (onnx_partition) has its positions in another shape: only their number and the channels compare."""
    import math as _math
    net = parse_back(text, "pytorch")
    got = {r.name: r for r in net.unrolled().leaves()}
    for out, node in nodes.items():
        if node.op != "layer" or node.name not in got:
            continue
        theirs = g.shapes.get(out)
        if not theirs or any(d is None for d in theirs):
            continue
        mine = got[node.name].output_shape
        if permuted and permuted.get(out) is not None:
            theirs_cells = (_math.prod(theirs[1:-1]), theirs[-1])
            mine_cells = (_math.prod(int(d) for d in mine[:-1]), int(mine[-1]))
            if theirs_cells != mine_cells:
                raise DefinitionError(f"{source}: the ONNX node '{node.module.name}' ({node.module.op_type}) gives "
                                      f"{theirs_cells[0]} positions of {theirs_cells[1]} channels but reads as a "
                                      f"layer giving {'x'.join(str(int(d)) for d in mine)}")
            continue
        if squeezed(mine) != squeezed(tuple(theirs[1:]) if out in last else _layout(theirs)):
            raise DefinitionError(f"{source}: the ONNX node '{node.module.name}' ({node.module.op_type}) gives "
                                  f"{'x'.join(map(str, _layout(theirs)))} (channels last) but reads as a layer giving "
                                  f"{'x'.join(str(int(d)) for d in mine)}")
