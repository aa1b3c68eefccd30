"""Swin's (shifted) window attention and patch merging as torch.onnx's default exporter writes them out.

Window attention on a channels-last map x (N, H, W, C): padded, maybe rolled by -S on H and W (`Slice`s and a
`Concat` per axis), partitioned into W x W windows (Reshape, Transpose, Reshape), a qkv projection, the scores
q·kᵀ plus a relative position bias the optimiser has already gathered from its (2W - 1)² x heads table into a
constant (heads, W², W²) (plus, when shifted, a mask computed from constants), Softmax, ·v, an output
projection, the windows put back, rolled back, cropped: y of x's shape. Read as one
`windowattention heads=h window=W [shift=S]` when the region between x and y is closed and holds exactly those
weights, and the bias's values are those of a relative position table (equal for equal offsets): the table's
(2W - 1)² x heads numbers are what the model holds, not the gathered copy. Anything else is left to the
importer, which names the operator it cannot read.

Patch merging: a Concat on the channels of the four strided slices x[:, i::2, j::2, :] (i, j in {0, 1}) of one
channels-last map is `pixelunshuffle 2 order=swin` when the corners are concatenated column by column (Swin's
order), `order=tensorflow` when row by row (space_to_depth); other orders are left to the importer.
"""

from __future__ import annotations

import math

from ..errors import DefinitionError

# what may sit on the way from x to the qkv projection, between the projections and the products, and from
# the output projection back to y
_PLUMBING = {"Pad", "Slice", "Concat", "Reshape", "Transpose", "Gather", "Mul", "Div", "Add", "Softmax", "MatMul",
             "Identity", "Squeeze", "Unsqueeze", "Split", "Dropout", "Cast",
             # Swin-V2's cosine attention: q / max(|q|, eps) on the last axis
             "ReduceL2", "Clip", "Expand", "Max",
             # MaxViT's products written as Einsum
             "Einsum"}


def window_attentions(g, dynamic, value, checked, learned) -> dict:
    """{first node index: (node indexes, (x, y, DSL text, Softmax node))} as importer regions; `value(name)` a
    constant's (small) value, `checked(name)` a constant's full value for a check (bounded) or None,
    `learned(tensor)` whether a constant is a learned tensor."""
    found = {}
    for soft in g.nodes:
        if soft.op_type != "Softmax":
            continue
        try:
            hit = _region(g, soft, dynamic, value, checked, learned)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, ZeroDivisionError):
            hit = None
        if hit is not None:
            members, info = hit
            found[min(members)] = (members, info)
    return found


def _region(g, soft, dynamic, value, checked, learned):
    import numpy as np
    producer, users, pos = g.producer, g.users, g.position

    def data(node):
        return [i for i in node.input if i in dynamic]

    def weight(name):
        while name and name not in g.consts and name in producer and producer[name].op_type == "Identity":
            name = producer[name].input[0]
        return g.consts.get(name)

    # the scores: back from the Softmax over Reshape and the Adds/Muls of constants to q·kᵀ
    t, biases, scales = soft.input[0], [], []
    while True:
        node = producer[t]
        if node.op_type in ("Add", "Mul", "Div", "Reshape") and len(data(node)) == 1:
            if node.op_type == "Add":
                biases.append(next(i for i in node.input if i not in dynamic))
            elif node.op_type == "Mul":
                scales.append(next(i for i in node.input if i not in dynamic))
            t = data(node)[0]
            continue
        break
    scores = producer[t]
    if not _product(g, scores, "scores") or len(data(scores)) != 2:
        return None
    # heads and the window from the scores' shape (..., heads, N, N)
    shape = tuple(g.shapes.get(scores.output[0], ()))
    if len(shape) < 3 or shape[-1] != shape[-2] or None in shape[-3:]:
        return None
    heads, n = shape[-3], shape[-1]
    w = math.isqrt(n)
    if w * w != n or w < 2:
        return None
    # the bias: one learned constant (heads, N, N) that is a relative position table gathered, or (Swin-V2) the
    # continuous position bias an MLP computes from the relative coordinates; maybe a mask
    masks = [b for b in biases if _mask(g, b)]
    table = [b for b in biases if learned(b) and b not in masks]
    if len(table) != 1 or len(masks) > 1:
        return None
    cpb = _continuous_bias(g, table[0], heads, weight)
    # Swin-V2's cosine attention: the scores scaled by exp(a learned logit scale per head, clipped)
    logit = [leaf for leaf in (_logit_scale(g, i, weight) for i in scales) if leaf is not None]
    if (cpb is None) != (not logit) or len(logit) > 1:
        return None
    gathered = checked(table[0]) if cpb is None else None
    if gathered is not None and (gathered.size != heads * n * n or not _relative(gathered.reshape(heads, n, n), w, np)):
        return None
    # forward from softmax·v to the output projection, then back to a map of x's shape
    out = soft.output[0]
    while len(users.get(out, [])) == 1 and users[out][0].op_type in ("Identity", "Dropout"):
        out = users[out][0].output[0]
    after = users.get(out, [])
    if len(after) != 1 or not _product(g, after[0], "values"):
        return None
    t, proj = after[0].output[0], None
    while proj is None:
        nxt = users.get(t, [])
        if len(nxt) != 1:
            return None
        if nxt[0].op_type in ("MatMul", "Gemm") and len(data(nxt[0])) == 1:
            proj = nxt[0]
        elif nxt[0].op_type not in ("Transpose", "Reshape", "Identity", "Dropout"):
            return None
        t = nxt[0].output[0]
    # backward to the qkv projection and its input, then through the partition/roll/pad to x
    projections, stack, seen = [], data(scores) + [i for i in data(after[0]) if i != out], set()
    while stack:
        tensor = stack.pop()
        if tensor in seen:
            continue
        seen.add(tensor)
        node = producer[tensor]
        if node.op_type in ("MatMul", "Gemm") and len(data(node)) == 1:
            projections.append(node)
        elif node.op_type in _PLUMBING and node.op_type not in ("MatMul", "Softmax", "Pad", "Concat"):
            stack.extend(data(node))
        else:
            return None
    if len({p.input[0] for p in projections}) != 1:
        return None
    x = projections[0].input[0]
    while producer.get(x) is not None:
        node = producer[x]
        if node.op_type in ("Reshape", "Transpose", "Slice", "Pad") and len(data(node)) == 1:
            x = data(node)[0]
        elif node.op_type == "Concat" and len(data(node)) == 2 and all(
                producer.get(i) is not None and producer[i].op_type == "Slice" for i in data(node)) and \
                len({producer[i].input[0] for i in data(node)}) == 1:
            x = producer[data(node)[0]].input[0]          # a roll: two slices of one tensor joined
        else:
            break
    map_shape = tuple(g.shapes.get(x, ()))
    if len(map_shape) != 4 or None in map_shape:
        return None
    # y: from the output projection (and its bias) through the windows put back, the roll back and the crop
    t = proj.output[0]
    while True:
        nxt = users.get(t, [])
        if len(nxt) == 1 and (nxt[0].op_type in ("Reshape", "Transpose", "Slice", "Identity", "Dropout") or (
                nxt[0].op_type == "Add" and len(data(nxt[0])) == 1)):
            t = nxt[0].output[0]
        elif len(nxt) == 2 and all(u.op_type == "Slice" for u in nxt) and \
                {v.op_type for u in nxt for v in users.get(u.output[0], [])} == {"Concat"} and \
                len({v.output[0] for u in nxt for v in users.get(u.output[0], [])}) == 1:
            t = users[nxt[0].output[0]][0].output[0]          # a roll: two slices joined
        else:
            break
    y = t
    if tuple(g.shapes.get(y, ())) != map_shape:
        return None
    # the region: every node on a path from x to y, closed
    below, stack = set(), [x]
    while stack:
        for u in users.get(stack.pop(), []):
            k = pos[id(u)]
            if k not in below and u.op_type != "Shape":
                below.add(k)
                stack.extend(o for o in u.output if o in dynamic and o != y)
    above, stack = set(), [pos[id(producer[y])]]
    while stack:
        k = stack.pop()
        if k in above:
            continue
        above.add(k)
        stack.extend(pos[id(producer[i])] for i in data(g.nodes[k]) if i != x and i in producer)
    members = below & above
    weights, read = 0, set(masks) | {table[0]} | set(scales if logit else ())
    for k in members:
        node = g.nodes[k]
        if node.op_type not in _PLUMBING:
            return None
        if any(i != x and pos[id(producer[i])] not in members for i in data(node)):
            return None
        for o in node.output:
            if o != y and any(pos[id(u)] not in members and u.op_type != "Shape" for u in users.get(o, [])):
                return None
        for i in node.input:
            if i and i not in dynamic and i not in read and learned(i):
                read.add(i)
                count = _learned_size(g, i, weight, learned)
                if count is None:
                    return None
                weights += count
    c = map_shape[-1]
    qkv = [p for p in projections]
    if len(qkv) != 1 or heads < 1 or c % heads:
        return None
    # qkv (C x 3C) and proj (C x C), with or without their biases: nothing else learned in the region
    plain = 3 * c * c + c * c
    if cpb is not None and int(weight(logit[0]).size) != heads:
        return None         # Swin-V2's logit scale: one per head (its count, with the cpb MLP's, the DSL's own)
    if weights == plain + 3 * c + c:
        bias = ""
    elif weights == plain + c:
        bias = " bias=false"
    else:
        return None
    # MaxViT: the attention reads a map cut into G groups of N positions already, (1, G, N, C), and its scores are
    # (1, G, heads, N, N): windowattention on the map, its window or grid from the cut (onnx_partition) the importer
    # knows when it reaches x
    grouped = len(shape) == 5 and shape[1] == map_shape[1] and map_shape[2] == n and map_shape[0] == 1
    shift = 0 if grouped else _shift(g, members, x, map_shape, value)
    if shift is None or grouped and any(_slices_positions(g, g.nodes[k], value) for k in members):
        return None
    if gathered is None and cpb is None:
        # everything else is a window attention, but whether the bias is a relative position table ((2W - 1)² x
        # heads numbers) or a learned bias of every pair (heads x W⁴) only its values tell
        raise DefinitionError(
            f"{g.source}: the ONNX node '{soft.name}' (Softmax) is a window attention whose position bias "
            f"'{table[0]}' ({heads} x {n} x {n}) has no values in the file (exported without its weights, "
            "export_params=False, or too large to check): symparams cannot tell a relative position table from a "
            "bias of every pair", hint="export with the weights (export_params=True)")
    text = f"windowattention heads={heads} window={w}" + (f" shift={shift}" if shift else "") + bias
    if cpb is not None:
        text += f" cpb={cpb[0]} cosine=true"
    if grouped:
        def in_groups(cut, where, text=text):
            if cut is None or cut[2] != w:
                raise DefinitionError(f"{where}: an attention within groups of {n} positions of a map that symparams "
                                      f"cannot tell are {w} x {w} windows or a {w} x {w} grid of it")
            return text + (" grid=true" if cut[1] == "grid" else "")
        return members, (x, y, in_groups, soft)
    return members, (x, y, text, soft)


def _product(g, node, which) -> bool:
    """Whether a node is an attention's q·kᵀ ("scores") or probabilities·v ("values"): a MatMul, or an Einsum over
    shared leading axes (MaxViT's "BGHID,BGHJD->BGHIJ" and "BGHIJ,BGHJD->BGHID")."""
    if node.op_type == "MatMul":
        return True
    if node.op_type != "Einsum" or len(node.input) != 2:
        return False
    equation = g.attrs(node).get("equation", b"")
    equation = (equation.decode() if isinstance(equation, bytes) else str(equation)).replace(" ", "")
    if "->" not in equation or equation.count(",") != 1 or "." in equation:
        return False
    left, out = equation.split("->")
    a, b = left.split(",")
    if not (len(a) == len(b) == len(out) >= 3) or not a[:-2] == b[:-2] == out[:-2] or len(set(a)) != len(a):
        return False
    if which == "scores":           # ...id, ...jd -> ...ij
        return a[-1] == b[-1] and out[-2:] == a[-2] + b[-2] and a[-2] != b[-2] and a[-1] not in out
    return a[-1] == b[-2] and out[-2:] == a[-2] + b[-1] and a[-2] != b[-1] and a[-1] not in out   # ...ij, ...jd


def _slices_positions(g, node, value) -> bool:
    """Whether a node slices other than the last axis (a chunk of the qkv projection cuts the channels only)."""
    if node.op_type != "Slice":
        return False
    rank = len(g.shapes.get(node.input[0], ()))
    axes = value(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    return rank == 0 or axes is None or any(int(v) % rank != rank - 1 for v in axes.ravel())


def _source(g, tensor, ops):
    """The node producing `tensor` past any of `ops` (reshapes, casts), or None."""
    node = g.producer.get(tensor)
    while node is not None and node.op_type in ops:
        node = g.producer.get(node.input[0])
    return node


_VIEWS = ("Unsqueeze", "Squeeze", "Reshape", "Transpose", "Cast", "Identity")


def _continuous_bias(g, tensor, heads, weight):
    """Swin-V2's continuous position bias: 16·sigmoid(MLP(relative coordinates))[relative index], the MLP a
    Linear(2, H) with bias, a ReLU and a Linear(H, heads) without bias, all on constants. (H, the MLP's weights
    counted) when `tensor` is one, else None. Its count does not depend on the index's values: the same MLP
    weights whatever pairs it is gathered for."""
    node = _source(g, tensor, _VIEWS)
    if node is None or node.op_type != "Mul":
        return None
    sig = next((n for n in (_source(g, i, _VIEWS) for i in node.input) if n is not None and n.op_type == "Sigmoid"),
               None)
    gather = _source(g, sig.input[0], _VIEWS) if sig is not None else None
    index = gather.input[1] if gather is not None and gather.op_type == "Gather" else None
    while index in g.producer and g.producer[index].op_type == "Identity":      # equal buffers shared
        index = g.producer[index].input[0]
    if index is None or weight(index) is None or (weight(index).dtype.kind not in "iu" and index not in g.integers):
        return None
    second = _source(g, gather.input[0], _VIEWS)
    if second is None or second.op_type != "MatMul":
        return None
    w2 = weight(second.input[1])
    relu = _source(g, second.input[0], _VIEWS)
    add = _source(g, relu.input[0], _VIEWS) if relu is not None and relu.op_type == "Relu" else None
    if w2 is None or w2.ndim != 2 or w2.shape[1] != heads or add is None or add.op_type not in ("Add", "Gemm"):
        return None
    if add.op_type == "Gemm":
        w1, b1 = weight(add.input[1]), weight(add.input[2]) if len(add.input) > 2 else None
    else:
        first = next((_source(g, i, ()) for i in add.input if _source(g, i, ()) is not None and
                      _source(g, i, ()).op_type == "MatMul"), None)
        b1 = next((weight(i) for i in add.input if weight(i) is not None), None)
        w1 = weight(first.input[1]) if first is not None else None
    if w1 is None or b1 is None or w1.ndim != 2 or 2 not in w1.shape or b1.size != w2.shape[0]:
        return None
    hidden = w2.shape[0]
    return hidden, 2 * hidden + hidden + hidden * heads


def _logit_scale(g, tensor, weight):
    """The learned tensor of a scale exp(clip(t)) (Swin-V2's logit scale per head), or None."""
    node = _source(g, tensor, _VIEWS)
    if node is None or node.op_type != "Exp":
        return None
    clip = _source(g, node.input[0], _VIEWS)
    leaf = clip.input[0] if clip is not None and clip.op_type in ("Clip", "Min") else None
    return leaf if leaf is not None and weight(leaf) is not None else None


def _learned_size(g, tensor, weight, learned):
    """The elements of the learned tensors a constant input of the region is computed from (a weight, or
    Swin-V2's qkv bias with its key part zeroed by a ScatterND of computed zeros): each tensor once; a single number (a scale
    written as a constant) counts nothing; None when a learned tensor's size is unknown."""
    c = weight(tensor)
    if c is not None:
        return int(c.size) if c.size > 1 else 0
    total, seen, stack = 0, set(), [tensor]
    while stack:
        t = stack.pop()
        if not t or t in seen or not learned(t):
            continue
        seen.add(t)
        node = g.producer.get(t)
        if node is None or node.op_type == "Identity":
            c = weight(t)
            if c is None:
                return None
            total += int(c.size) if c.size > 1 else 0
        else:
            stack.extend(node.input)
    return total


def _mask(g, tensor) -> bool:
    """Whether a constant added to the scores is a shifted window's mask: a selection (Where) of fill values
    computed from the windows' positions, reached through reshapes."""
    node = g.producer.get(tensor)
    while node is not None and node.op_type in ("Unsqueeze", "Reshape", "Transpose", "Cast", "Identity"):
        node = g.producer.get(node.input[0])
    return node is not None and node.op_type == "Where"


def _relative(bias, w, np) -> bool:
    """Whether bias[h, i, j] depends only on the offset between window positions i and j (a gathered table)."""
    rows, cols = np.divmod(np.arange(w * w), w)
    offset = (rows[:, None] - rows[None, :] + w - 1) * (2 * w - 1) + (cols[:, None] - cols[None, :] + w - 1)
    for h in range(bias.shape[0]):
        if np.unique(bias[h]).size < 2:
            return False        # one value everywhere (a bias set to zeros): a table or not, the values cannot tell
        table = np.full((2 * w - 1) ** 2, np.nan)
        table[offset.ravel()] = bias[h].ravel()
        if not np.array_equal(table[offset], bias[h]):
            return False
    return True


def _shift(g, members, x, map_shape, value):
    """The roll before the windows (S: the cut of the two slices joined back to front on H and W), 0 without one,
    None when the region's slices are not such a roll."""
    cuts = set()
    for k in members:
        node = g.nodes[k]
        if node.op_type != "Slice" or node.input[0] != x and g.producer.get(node.input[0]) is None:
            continue
        starts, ends = (value(node.input[i]) if len(node.input) > i else None for i in (1, 2))
        if starts is None or ends is None:
            return None
        for v in list(starts.ravel()) + list(ends.ravel()):
            v = int(v)
            if 0 < v < max(map_shape[1], map_shape[2]):
                cuts.add(v)
    if not cuts:
        return 0
    if len(cuts) == 1:
        return cuts.pop()
    # the roll before and the roll back cut at S and at H - S: the smaller is the shift when they pair so
    low = min(cuts)
    return low if cuts <= {low, map_shape[1] - low, map_shape[2] - low} else None


BLOCK_CORNERS = {((0, 0), (1, 0), (0, 1), (1, 1)): "swin", ((0, 0), (0, 1), (1, 0), (1, 1)): "tensorflow"}


def patch_merges(g, dynamic, value) -> dict:
    """Swin's patch merging: a Concat on the channels of x[:, i::2, j::2, :] for (i, j) in {0, 1}², each a Slice
    of a Slice of one channels-last map x: {first node index: (node indexes, (x, y, "pixelunshuffle 2 order=…",
    Concat))}."""
    found = {}
    for cat in g.nodes:
        if cat.op_type != "Concat" or len(cat.input) != 4 or any(i not in dynamic for i in cat.input):
            continue
        out = tuple(g.shapes.get(cat.output[0], ()))
        if len(out) != 4 or int(g.attrs(cat).get("axis", 0)) % 4 != 3:
            continue
        members, sources, corners = {g.position[id(cat)]}, set(), []
        for tensor in cat.input:
            start = {1: None, 2: None}
            while tensor in g.producer and g.producer[tensor].op_type == "Slice":
                node = g.producer[tensor]
                starts, ends, axes, steps = (value(node.input[k]) if len(node.input) > k and node.input[k] else None
                                             for k in (1, 2, 3, 4))
                if starts is None or axes is None or steps is None or starts.size != 1 or axes.size != 1:
                    break
                axis, step = int(axes.ravel()[0]) % 4, int(steps.ravel()[0])
                if axis not in (1, 2) or step != 2 or start[axis] is not None or int(starts.ravel()[0]) not in (0, 1):
                    break
                start[axis] = int(starts.ravel()[0])
                members.add(g.position[id(node)])
                tensor = node.input[0]
            sources.add(tensor)
            corners.append((start[1], start[2]))
        # the channel order is the order of the concatenated corners (row, column): Swin's patch merging takes them
        # column by column, TensorFlow's space_to_depth row by row; any other order has no form
        order = BLOCK_CORNERS.get(tuple(corners))
        if len(sources) != 1 or order is None:
            continue
        x = sources.pop()
        shape = tuple(g.shapes.get(x, ()))
        if len(shape) != 4 or None in shape or shape[1] % 2 or shape[2] % 2:
            continue
        inside = {g.nodes[k].output[0] for k in members}
        if any(u is not None and g.position[id(u)] not in members
               for t in inside - {cat.output[0]} for u in g.users.get(t, [])):
            continue
        found[min(members)] = (members, (x, cat.output[0], f"pixelunshuffle 2 order={order}", cat))
    return found
