"""The shape arithmetic of an ONNX graph, evaluated by symparams itself (never by onnx's reference
evaluator, which would run whatever the file holds: a Loop that never ends, a ConstantOfShape of
600 million elements).

Only the operators an exporter uses to compute sizes and paddings are folded (Shape, Gather, Concat,
Unsqueeze, Squeeze, Cast, Constant, Slice, Reshape, Transpose, ConstantOfShape, Range and integer
Add/Sub/Mul/Div/Neg: torch.onnx writes F.pad's padding list with ConstantOfShape, Reshape and Transpose), each on tensors of at most
limits.MAX_FOLDED_ELEMENTS elements, and at most limits.MAX_FOLD_WORK elements over the whole graph.
A result over a bound, or an input this module cannot read, is simply unknown (None): the importer
then reads the graph without that value, or says which node it cannot read.
"""

from __future__ import annotations

import math

from .. import limits

FOLDED = ("Shape", "Gather", "Concat", "Unsqueeze", "Squeeze", "Cast", "Constant", "Slice", "Reshape", "Transpose",
          "ConstantOfShape", "Range", "Add", "Sub", "Mul", "Div", "Neg", "Mod")


class Folder:
    """Folds one graph's constant shape arithmetic, counting the work done."""

    def __init__(self, max_elements: int | None = None, max_work: int | None = None):
        self.max_elements = limits.MAX_FOLDED_ELEMENTS if max_elements is None else max_elements
        self.max_work = limits.MAX_FOLD_WORK if max_work is None else max_work
        self.work = 0

    def small(self, count: int) -> bool:
        """Whether a tensor of `count` elements may be made; counts it as work when so."""
        if count < 0 or count > self.max_elements or self.work + count > self.max_work:
            return False
        self.work += count
        return True

    def fold(self, op: str, inputs: list, attrs: dict, input_shape=None):
        """The outputs of one folded node (a list), or None when a value is unknown or over a bound.
        `inputs` are numpy arrays or None (unknown or absent); `input_shape` is the inferred shape of the
        first input (for Shape)."""
        import numpy as np
        if op not in FOLDED:
            return None
        try:
            with np.errstate(all="ignore"):
                out = getattr(self, "_" + op.lower())(np, inputs, attrs, input_shape)
        except (ValueError, TypeError, IndexError, OverflowError, KeyError, ZeroDivisionError, MemoryError):
            return None
        if out is None or out.size > self.max_elements:
            return None
        return [out]

    # -- one method per operator; each checks the size of its result before making it ----------

    def _constant(self, np, inputs, a, _shape):
        if "value_int" in a:
            return np.array(int(a["value_int"]), dtype=np.int64)
        if "value_ints" in a and self.small(len(a["value_ints"])):
            return np.array([int(v) for v in a["value_ints"]], dtype=np.int64)
        if "value_float" in a:
            return np.array(float(a["value_float"]), dtype=np.float32)
        if "value_floats" in a and self.small(len(a["value_floats"])):
            return np.array([float(v) for v in a["value_floats"]], dtype=np.float32)
        return None          # a `value` tensor is read by the importer (tensor_value); strings are not numbers

    def _shape(self, np, inputs, a, shape):
        if shape is None or any(d is None for d in shape):
            return None
        dims = list(shape)
        start, end = int(a.get("start", 0)), int(a.get("end", len(dims)))
        dims = dims[slice(start, end)]
        return np.array(dims, dtype=np.int64) if self.small(len(dims)) else None

    def _gather(self, np, inputs, a, _shape):
        data, indices = _two(inputs)
        axis = int(a.get("axis", 0))
        if data.ndim == 0 or indices.dtype.kind not in "iu":
            return None
        axis = axis + data.ndim if axis < 0 else axis
        if not 0 <= axis < data.ndim:
            return None
        size = data.shape[axis]
        if np.any(indices < -size) or np.any(indices >= size):
            return None
        count = data.size // max(size, 1) * indices.size
        return np.take(data, indices.astype(np.int64), axis=axis) if self.small(count) else None

    def _concat(self, np, inputs, a, _shape):
        if not inputs or any(x is None for x in inputs):
            return None
        if not self.small(sum(int(x.size) for x in inputs)):
            return None
        return np.concatenate(inputs, axis=int(a["axis"]))

    def _axes(self, inputs, a):
        if len(inputs) > 1 and inputs[1] is not None:
            return [int(v) for v in inputs[1].ravel()]
        return [int(v) for v in a["axes"]] if "axes" in a else None

    def _unsqueeze(self, np, inputs, a, _shape):
        data, axes = inputs[0], self._axes(inputs, a)
        if data is None or axes is None or not self.small(int(data.size)):
            return None
        rank = data.ndim + len(axes)
        if len(set(v % rank for v in axes)) != len(axes) or any(not -rank <= v < rank for v in axes):
            return None
        return np.expand_dims(data, tuple(sorted(v % rank for v in axes)))

    def _squeeze(self, np, inputs, a, _shape):
        data, axes = inputs[0], self._axes(inputs, a)
        if data is None or not self.small(int(data.size)):
            return None
        return np.squeeze(data) if axes is None else np.squeeze(data, axis=tuple(axes))

    def _cast(self, np, inputs, a, _shape):
        from onnx import helper
        data = inputs[0]
        if data is None or not self.small(int(data.size)):
            return None
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(int(a["to"])))
        if dtype.kind not in "iufb":
            return None
        return data.astype(dtype)

    def _slice(self, np, inputs, a, _shape):
        data = inputs[0]
        if data is None:
            return None
        if len(inputs) >= 3:
            starts, ends = inputs[1], inputs[2]
            axes = inputs[3] if len(inputs) > 3 else None
            steps = inputs[4] if len(inputs) > 4 else None
            if starts is None or ends is None or (len(inputs) > 3 and axes is None and inputs[3] is not None):
                return None
        else:                                   # opset < 10: attributes
            starts, ends, axes, steps = (np.array(a[k]) if k in a else None for k in ("starts", "ends", "axes", "steps"))
            if starts is None or ends is None:
                return None
        starts, ends = [int(v) for v in starts.ravel()], [int(v) for v in ends.ravel()]
        axes = list(range(len(starts))) if axes is None else [int(v) for v in np.asarray(axes).ravel()]
        steps = [1] * len(starts) if steps is None else [int(v) for v in np.asarray(steps).ravel()]
        if not len(starts) == len(ends) == len(axes) == len(steps) or 0 in steps:
            return None
        index = [slice(None)] * data.ndim
        for start, end, axis, step in zip(starts, ends, axes, steps):
            if not -data.ndim <= axis < data.ndim:
                return None
            index[axis] = slice(start, end, step)
        if not self.small(int(data.size)):
            return None
        return data[tuple(index)]

    def _reshape(self, np, inputs, a, _shape):
        data, shape = _two(inputs)
        dims = [int(v) for v in shape.ravel()]
        if not self.small(int(data.size)):
            return None
        if not a.get("allowzero", 0):
            dims = [data.shape[k] if d == 0 and k < data.ndim else d for k, d in enumerate(dims)]
        return data.reshape(dims)

    def _transpose(self, np, inputs, a, _shape):
        data = inputs[0]
        if data is None or not self.small(int(data.size)):
            return None
        return np.transpose(data, [int(v) for v in a["perm"]] if "perm" in a else None)

    def _constantofshape(self, np, inputs, a, _shape):
        shape = inputs[0]
        if shape is None:
            return None
        dims = [int(v) for v in shape.ravel()]
        if any(d < 0 for d in dims) or not self.small(math.prod(dims)):     # counted before it is made
            return None
        if "value" in a:
            from onnx import numpy_helper
            if math.prod(a["value"].dims) != 1:
                return None
            value = numpy_helper.to_array(a["value"]).reshape(())
        else:
            value = np.zeros((), np.float32)
        return np.full(dims, value, dtype=value.dtype)

    def _range(self, np, inputs, a, _shape):
        if len(inputs) < 3 or any(x is None or x.size != 1 for x in inputs[:3]):
            return None
        start, limit, delta = (x.reshape(()) for x in inputs[:3])
        if any(x.dtype.kind not in "iu" for x in (start, limit, delta)) or int(delta) == 0:
            return None
        count = max(0, -(-(int(limit) - int(start)) // int(delta)))
        return np.arange(int(start), int(limit), int(delta), dtype=np.int64) if self.small(count) else None

    def _arithmetic(self, np, inputs, fn):
        left, right = _two(inputs)
        if left.dtype.kind not in "iu" or right.dtype.kind not in "iu":
            return None                          # sizes are integers; anything else stays unknown
        shape = np.broadcast_shapes(left.shape, right.shape)
        if not self.small(math.prod(shape)):
            return None
        return fn(left.astype(np.int64), right.astype(np.int64))

    def _add(self, np, inputs, a, _shape):
        return self._arithmetic(np, inputs, lambda x, y: x + y)

    def _sub(self, np, inputs, a, _shape):
        return self._arithmetic(np, inputs, lambda x, y: x - y)

    def _mul(self, np, inputs, a, _shape):
        return self._arithmetic(np, inputs, lambda x, y: x * y)

    def _div(self, np, inputs, a, _shape):
        def divide(x, y):
            if np.any(y == 0):
                raise ZeroDivisionError
            return np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))    # ONNX's integer Div truncates
        return self._arithmetic(np, inputs, divide)

    def _mod(self, np, inputs, a, _shape):
        # torchvision's Swin pads its map to whole windows: (window - size % window) % window
        def remainder(x, y):
            if np.any(y == 0):
                raise ZeroDivisionError
            return np.fmod(x, y) if a.get("fmod", 0) else np.mod(x, y)   # fmod: the dividend's sign
        return self._arithmetic(np, inputs, remainder)

    def _neg(self, np, inputs, a, _shape):
        data = inputs[0]
        if data is None or data.dtype.kind not in "iu" or not self.small(int(data.size)):
            return None
        return -data.astype(np.int64)


def settle(model, infer, folder: Folder, rounds: int = 8):
    """The model with its shape arithmetic folded into Constant nodes, until no new value is found.

    The TorchScript exporter writes sizes it computed from the map (Swin's padding to whole windows,
    `(W - H % W) % W`, then the padded map's Shape divided into windows) as operators onnx's shape inference
    does not evaluate (Mod, integer Div of a Shape): every tensor after them would have no shape. Here the graph
    is walked in order: a node of shape arithmetic whose inputs are known (constants, the Shape of a tensor whose
    shape is known) is folded into a Constant; any other node's output types are inferred by onnx from its
    inputs' types and the constant values it reads (`infer_node_outputs`), so the sizes after a folded padding
    are known in the same walk. A round of whole-graph inference (`infer(model)`) between walks picks up what a
    single node's inference cannot."""
    import onnx
    from onnx import helper, numpy_helper
    opsets = list(model.opset_import)
    domain_version = {o.domain or "": o.version for o in opsets}
    for _ in range(rounds):
        inferred = infer(model)
        types = {info.name: info.type for info in
                 list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
        for t in model.graph.initializer:
            types.setdefault(t.name, helper.make_tensor_type_proto(t.data_type, list(t.dims)))

        def shape_of(name):
            tt = types.get(name)
            if tt is None or not tt.tensor_type.HasField("shape"):
                return None
            return tuple(d.dim_value if d.HasField("dim_value") else None for d in tt.tensor_type.shape.dim)

        values, tensors = {}, {}
        for t in model.graph.initializer:
            if t.data_type in (6, 7) and math.prod(t.dims) <= folder.max_elements:      # int32/int64 sizes
                values[t.name], tensors[t.name] = numpy_helper.to_array(t), t
        nodes, changed = [], False
        for node in model.graph.node:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            out = None
            if node.op_type == "Constant":
                if "value" in attrs and math.prod(attrs["value"].dims) <= folder.max_elements:
                    out = [numpy_helper.to_array(attrs["value"])]
                else:
                    out = folder.fold("Constant", [], attrs)
            elif node.op_type in FOLDED and len(node.output) == 1 and (
                    node.op_type == "Shape" or all(not i or i in values for i in node.input)):
                out = folder.fold(node.op_type, [values.get(i) if i else None for i in node.input], attrs,
                                  shape_of(node.input[0]) if node.input else None)
                if out is not None and out[0].dtype.kind in "iub":
                    node = helper.make_node("Constant", [], list(node.output), name=node.name,
                                            value=numpy_helper.from_array(out[0]))
                    changed = True
                else:
                    out = None
            if out is not None and out[0].dtype.kind in "iub":
                values[node.output[0]] = out[0]
                tensors[node.output[0]] = numpy_helper.from_array(out[0], node.output[0])
                types[node.output[0]] = helper.make_tensor_type_proto(tensors[node.output[0]].data_type,
                                                                      list(out[0].shape))
            elif any(shape_of(o) is None or None in shape_of(o) for o in node.output if o):
                _infer_node(onnx, node, types, tensors, domain_version, opsets)
            nodes.append(node)
        if not changed:
            return model
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    return model


def _infer_node(onnx, node, types, tensors, domain_version, opsets) -> None:
    """One node's output types from its inputs' (onnx's own inference for that operator), into `types`; nothing
    when onnx cannot tell."""
    try:
        schema = onnx.defs.get_schema(node.op_type, domain_version.get(node.domain or "", 1), node.domain or "")
        inputs = {i: types[i] for i in node.input if i and i in types}
        data = {i: tensors[i] for i in node.input if i in tensors}
        got = onnx.shape_inference.infer_node_outputs(schema, node, inputs, data, opset_imports=opsets)
    except Exception:               # noqa: BLE001 - onnx raises its own kinds; the type stays unknown
        return
    for name, found in got.items():
        if found.tensor_type.HasField("shape"):
            types[name] = found


def _two(inputs):
    if len(inputs) < 2 or inputs[0] is None or inputs[1] is None:
        raise ValueError("an operand is unknown")
    return inputs[0], inputs[1]
