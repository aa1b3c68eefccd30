"""Layers an exporter writes out operator by operator, found in an ONNX graph as small closed patterns.

torch.onnx writes nn.LayerNorm as one LayerNormalization from opset 17 on, and nn.GELU as one Gelu from opset
20; below those (the TorchScript exporter with `opset_version=16`, the dynamo exporter with 17) each is a chain
of elementwise operators and reductions:

- layer norm: m = ReduceMean(x, last axis); d = x - m; s = Sqrt(ReduceMean(d ^ 2) + eps); y = d / s, then
  optionally * gamma and + beta (constants of the last axis' size);
- GELU: y = x * 0.5 * (1 + Erf(x / sqrt(2))), the three products in any order;
- group norm (torch writes nn.GroupNorm so at every opset): the map reshaped to (N, G, -1), an
  InstanceNormalization with a scale of ones and a bias of zeros, reshaped back, times gamma plus beta (C, 1, ...);
  an InstanceNormalization of the map itself with a learned scale and bias (nn.InstanceNorm2d(affine=True)) is
  the same normalisation with G = C.

Each pattern found (every intermediate tensor read only inside it) is one layer line; anything else made of
these operators stays refused by the importer, naming the operator.
"""

from __future__ import annotations

import math

from ..errors import DefinitionError


def decomposed(g, value, learned) -> dict:
    """{index of the pattern's first node: (its node indexes, (x, y, DSL text, node named after))}; `value(name)`
    is a constant's value (numpy) or None; `learned(node, k)` whether a node's input k is a learned tensor of the
    model (importer._learned_argument)."""
    position = g.position
    found = {}

    def only_user(tensor, op):
        users = g.users.get(tensor, [])
        return users[0] if len(users) == 1 and users[0].op_type == op else None

    def scalar(name, wanted, tolerance=1e-3):
        v = value(name)
        return v is not None and v.size == 1 and abs(float(v.reshape(())) - wanted) <= tolerance * max(1.0, abs(wanted))

    def other(node, tensor):
        rest = [i for i in node.input if i != tensor]
        return rest[0] if len(rest) == 1 else None

    for node in g.nodes:
        try:
            if node.op_type == "ReduceMean":
                hit = _layer_norm(g, node, only_user, scalar, other, value)
            elif node.op_type == "Erf":
                hit = _gelu(g, node, only_user, scalar, other)
            elif node.op_type == "InstanceNormalization":
                hit = _group_norm(g, node, only_user, other, value, learned)
            else:
                continue
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            hit = None
        if hit is not None:
            members, info = hit
            indexes = {position[id(m)] for m in members}
            found[min(indexes)] = (indexes, info)
    return found


def _last_axis(g, node, value, rank) -> bool:
    a = g.attrs(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = value(node.input[1])
        axes = None if axes is None else [int(v) for v in axes.ravel()]
    return axes is not None and len(axes) == 1 and rank > 0 and int(axes[0]) % rank == rank - 1 \
        and int(a.get("keepdims", 1)) == 1


def _layer_norm(g, mean, only_user, scalar, other, value):
    x = mean.input[0]
    rank = len(g.shapes.get(x, ()))
    if not _last_axis(g, mean, value, rank):
        return None
    sub = only_user(mean.output[0], "Sub")
    if sub is None or list(sub.input) != [x, mean.output[0]]:
        return None
    d = sub.output[0]
    users = g.users.get(d, [])
    if len(users) != 2:
        return None
    square = next((u for u in users if u.op_type == "Pow" and u.input[0] == d and scalar(u.input[1], 2.0)), None) or \
        next((u for u in users if u.op_type == "Mul" and list(u.input) == [d, d]), None)
    divide = next((u for u in users if u.op_type == "Div" and u.input[0] == d), None)
    if square is None or divide is None:
        return None
    variance = only_user(square.output[0], "ReduceMean")
    if variance is None or not _last_axis(g, variance, value, rank):
        return None
    plus = only_user(variance.output[0], "Add")
    eps = value(other(plus, variance.output[0]) or "") if plus is not None else None
    if eps is None or eps.size != 1 or not 0 <= float(eps.reshape(())) < 1e-2:
        return None             # eps: any small number
    root = only_user(plus.output[0], "Sqrt")
    if root is None or list(divide.input) != [d, root.output[0]] or only_user(root.output[0], "Div") is not divide:
        return None
    members, y, width = [mean, sub, square, variance, plus, root, divide], divide.output[0], g.shapes.get(x, (None,))[-1]
    words = []
    for op in ("Mul", "Add"):
        step = only_user(y, op)
        if step is None:
            break
        learned = value(other(step, y)) if other(step, y) is not None else None
        if learned is None or learned.size != width or learned.ndim < 1 or learned.shape[-1] != width or not width:
            break
        members.append(step)
        words.append(op)
        y = step.output[0]
    text = {("Mul", "Add"): "layernorm", ("Mul",): "layernorm bias=false", (): "layernorm affine=false"}.get(tuple(words))
    if text is None:
        return None
    return members, (x, y, text, mean)


def _gelu(g, erf, only_user, scalar, other):
    scale = g.producer.get(erf.input[0])
    if scale is None or len(g.users.get(scale.output[0], [])) != 1:
        return None
    if scale.op_type == "Div" and scalar(scale.input[1], math.sqrt(2.0)):
        x = scale.input[0]
    elif scale.op_type == "Mul" and scalar(other(scale, scale.input[0]) or "", 1 / math.sqrt(2.0)):
        x = scale.input[0]
    elif scale.op_type == "Mul" and scalar(scale.input[0], 1 / math.sqrt(2.0)):
        x = scale.input[1]
    else:
        return None
    one = only_user(erf.output[0], "Add")
    if one is None or not scalar(other(one, erf.output[0]) or "", 1.0):
        return None
    members, t, by_x, by_half = [scale, erf, one], one.output[0], False, False
    for _ in range(2):          # (1 + erf) * x * 0.5, in either order
        step = only_user(t, "Mul")
        if step is None:
            return None
        rest = other(step, t)
        if rest == x and not by_x:
            by_x = True
        elif rest is not None and not by_half and scalar(rest, 0.5):
            by_half = True
        else:
            return None
        members.append(step)
        t = step.output[0]
    return members, (x, t, "gelu", erf)


def _group_norm(g, norm, only_user, other, value, learned):
    import numpy as np
    shaped = g.producer.get(norm.input[0])
    x_shape = None
    if shaped is not None and shaped.op_type == "Reshape":
        x = shaped.input[0]
        x_shape, grouped = tuple(g.shapes.get(x, ())), tuple(g.shapes.get(shaped.output[0], ()))
        if len(x_shape) < 3 or None in x_shape or len(grouped) != 3 or grouped[:1] != x_shape[:1] or \
                not grouped[1] or x_shape[1] % grouped[1]:
            return None
        scale, shift = value(norm.input[1]), value(norm.input[2]) if len(norm.input) > 2 else None
        if scale is None or shift is None or not (np.all(scale == 1) and np.all(shift == 0)):
            return None         # the groups' own scale and shift: ones and zeros, not the model's
        back = only_user(norm.output[0], "Reshape")
        # back to x's shape: inferred so, or (the TorchScript exporter) given as Shape(x), which onnx's shape
        # inference does not follow
        size = g.producer.get(back.input[1]) if back is not None else None
        if back is None or len(g.users.get(shaped.output[0], [])) != 1 or not (
                tuple(g.shapes.get(back.output[0], ())) == x_shape or
                (size is not None and size.op_type == "Shape" and size.input[0] == x and not g.attrs(size))):
            return None
        members, y, groups = [shaped, norm, back], back.output[0], grouped[1]
        words = []
        for op in ("Mul", "Add"):
            step = only_user(y, op)
            rest = other(step, y) if step is not None else None
            const = value(rest) if rest is not None else None
            if const is None or const.size != x_shape[1] or const.shape[-len(x_shape) + 1:][:1] not in \
                    ((x_shape[1],), ()) or not learned(step, list(step.input).index(rest)):
                break
            members.append(step)
            words.append(op)
            y = step.output[0]
        if words != ["Mul", "Add"]:
            raise DefinitionError(f"{g.source}: the ONNX node '{norm.name}' (InstanceNormalization) is a group norm "
                                  f"of {groups} groups without a learned scale and shift (GroupNorm(affine=False)); "
                                  "symparams' groupnorm always has its scale and shift")
        return members, (x, y, f"groupnorm {groups}", norm)
    x = norm.input[0]
    x_shape = tuple(g.shapes.get(x, ()))
    if len(x_shape) < 3 or not x_shape[1] or len(norm.input) < 3 or not (learned(norm, 1) and learned(norm, 2)):
        return None             # InstanceNorm without a learned scale and shift: no symparams form
    return [norm], (x, norm.output[0], f"groupnorm {x_shape[1]}", norm)
