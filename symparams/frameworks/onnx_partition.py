"""A map cut into groups of positions by reshapes and transposes, and put back: MaxViT's window and grid partitions.

torchvision's MaxViT runs its block and grid attention on (N, G, P, C) tensors: the (N, C, H, W) map reshaped to
(N, C, H/p, p, W/p, p), transposed, reshaped to G groups of P = p² positions, channels last (and, for the grid,
the two middle axes swapped: groups of positions H/p apart). What happens there until the inverse reshapes is
position-wise (layer norms, the MLP, residual additions) or attention within each group, so the partitioned
tensor reads as the map itself, channels last, with its positions permuted; the permutation is computed here by
running the reshapes on the positions' indexes (bounded by limits.MAX_CHECKED_ELEMENTS), never assumed from the
operators' names: it says whether the groups are p x p windows or a p x p grid, and the way back is accepted only
when it undoes exactly that permutation.
"""

from __future__ import annotations

import math

from .. import limits

_MOVES = ("Reshape", "Transpose")


def _chain(g, tensor, value, dynamic):
    """The Reshape/Transpose nodes read one after another from `tensor` (each output read by the next only, sizes
    aside), and the tensors after each."""
    chain = []
    while True:
        users = [u for u in g.users.get(tensor, []) if u.op_type != "Shape"]
        if len(users) != 1 or users[0].op_type not in _MOVES or users[0].input[0] != tensor or \
                any(i in dynamic for i in users[0].input[1:]):
            return chain
        node = users[0]
        if node.op_type == "Reshape" and value(node.input[1]) is None and \
                None in tuple(g.shapes.get(node.output[0], (None,))):
            return chain
        chain.append(node)
        tensor = node.output[0]


def _run(g, chain, array):
    """`array` moved by the chain's reshapes (to each output's inferred shape) and transposes; None when a shape is
    not known."""
    import numpy as np
    for node in chain:
        if node.op_type == "Transpose":
            perm = g.attrs(node).get("perm")
            if perm is None or len(perm) != array.ndim:
                return None
            array = np.transpose(array, perm)
        else:
            shape = tuple(g.shapes.get(node.output[0], ()))
            if not shape or None in shape or math.prod(shape) != array.size:
                return None
            array = array.reshape(shape)
    return array


def partition(g, x, value, dynamic):
    """(member node indexes, the partitioned tensor, its permutation, "window" or "grid", p) when the
    reshapes and transposes read from the (1, C, H, W) map x make p x p windows or a p x p grid of it, channels last;
    else None. The permutation: for each element of the partitioned tensor, the index of the map's element it holds."""
    import numpy as np
    shape = tuple(g.shapes.get(x, ()))
    if len(shape) != 4 or None in shape or shape[0] != 1 or math.prod(shape) > limits.MAX_CHECKED_ELEMENTS:
        return None
    chain = _chain(g, x, value, dynamic)
    # a real partition goes through more axes than the map has (N, C, H/p, p, W/p, p); a plain transpose to channels
    # last is the importer's own
    if not any(len(g.shapes.get(n.output[0], ())) > 4 for n in chain):
        return None
    found = _follow(g, chain, np.arange(math.prod(shape)).reshape(shape), shape)
    return found if found is not None and len(found) == 5 else None


def regroup(g, t, perm, shape, value, dynamic):
    """From the partitioned tensor t (holding the (1, C, H, W) map's elements in the order `perm`): (member node
    indexes, the map) when its reshapes and transposes put every element back in its place; (member node indexes,
    the tensor, its permutation, kind, p) when they cut the map into other groups (the dynamo exporter goes from
    MaxViT's windows to its grid without the map between); else None."""
    t_shape = tuple(g.shapes.get(t, ()))
    if not t_shape or None in t_shape or math.prod(t_shape) != perm.size:
        return None
    return _follow(g, _chain(g, t, value, dynamic), perm.reshape(t_shape), shape)


def _follow(g, chain, array, shape):
    """The longest start of the chain after which `array` (map indexes) is the map in place, or the map cut into
    windows or a grid, channels last (see regroup); None when no start is."""
    import numpy as np
    _, c, h, w = shape
    for end in range(len(chain), 0, -1):
        steps = chain[:end]
        out = tuple(g.shapes.get(steps[-1].output[0], ()))
        moved = _run(g, steps, array)
        if moved is None:
            continue
        members = {g.position[id(n)] for n in steps}
        if out == tuple(shape) and np.array_equal(moved.reshape(-1), np.arange(moved.size)):
            return members, steps[-1].output[0]
        if len(out) != 4 or out[-1] != c:
            continue
        grouped = moved.reshape(out[1], out[2], c)
        if not np.array_equal(grouped // (h * w), np.broadcast_to(np.arange(c), grouped.shape)):
            continue                        # the last axis must be the channels, in order
        kind = _groups(grouped[:, :, 0] % (h * w), h, w, np)
        if kind is not None:
            return members, steps[-1].output[0], moved.reshape(-1), kind[0], kind[1]
    return None


def _groups(positions, h, w, np):
    """("window", p) when each row of `positions` (flat H x W indexes) is a p x p window in row-major order,
    ("grid", p) when it is p x p positions H/p and W/p apart in row-major order; else None."""
    groups, size = positions.shape
    p = math.isqrt(size)
    if p * p != size or groups * size != h * w or h % p or w % p:
        return None
    rows, cols = np.divmod(positions, w)
    i, j = np.divmod(np.arange(size), p)
    for kind, step in (("window", (1, 1)), ("grid", (h // p, w // p))):
        if np.array_equal(rows - rows[:, :1], np.broadcast_to(i * step[0], rows.shape)) and \
                np.array_equal(cols - cols[:, :1], np.broadcast_to(j * step[1], cols.shape)):
            return kind, p
    return None
