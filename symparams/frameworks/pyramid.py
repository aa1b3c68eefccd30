"""The PyTorch import of pyramid vision transformers (timm's PVT-v2 and Twins; SegFormer-like models): their
attentions read whole, and the token sequence of a map.

These models hold a map as tokens: a B x N x C tensor that is a B x H x W x C map's positions in rows (N = H·W),
with the sizes (H, W) passed beside it. Their attentions need the map (a strided reduction, windows), their
norms and MLPs act position by position. symparams keeps the map, H x W x C: each step between the map and its
tokens is a layout, written as nothing, and what runs on the tokens is read as on the map:
- a channels-last map reshaped to B x N x C (PVT-v2's stage: x.reshape(B, -1, C)), or a channels-first map
  flattened and transposed (x.flatten(2).transpose(1, 2): Twins' patch embedding, PVT-v2's MLP after its
  depthwise conv, Twins' position-encoding generator) becomes tokens;
- tokens transposed and viewed as B x C x H x W (the MLP's and the PEG's depthwise conv), or reshaped to
  B x H x W x C (the end of a stage), become the map again;
- x.shape and x.size() of either are sizes, not layers.
A step becomes tokens only where every path from it reads them position by position (LayerNorm, Linear,
activations, + and * of two such tensors) until a module that needs the map (one read whole here), a view back
to a map, a read of their sizes or their mean over the positions; elsewhere (a class token concatenated, a
position embedding added, another attention, the output) the import reads as before (a ViT's patches become a
sequence). While they are tokens, the channels-last rules hold: only LayerNorm, Linear, activations, + and *
(and these modules) are read, anything else is refused by name.

Read whole, on the map:
- timm pvt_v2's Attention and twins' GlobalSubSampleAttn: `srattention` (layers/srattention.py);
- twins' LocallyGroupedAttn (LSA): `windowattention heads=H window=ws relbias=false` (attention within each
  ws x ws window, the map padded to whole windows, no position bias). Its output projection runs on the map's
  positions after the crop and windowattention's on the padded windows', so the FLOPs differ where ws does not
  divide the map: refused there by name."""

from __future__ import annotations

import operator

from ..errors import DefinitionError
from .plan import need

_SRA = {("timm.models.pvt_v2", "Attention"), ("timm.models.twins", "GlobalSubSampleAttn")}
_LSA = {("timm.models.twins", "LocallyGroupedAttn")}


def _key(module) -> tuple:
    cls = type(module)
    return cls.__module__, cls.__name__


def is_map_unit(module) -> bool:
    """A module read whole that takes tokens and the map's sizes: the tracer keeps it whole."""
    return _key(module) in _SRA | _LSA


def unit_line(module, name: str, size) -> str | None:
    """The DSL line of a map unit called on tokens of an H x W map (`size`, or None when its input is not known
    as tokens), None for other modules."""
    if not is_map_unit(module):
        return None
    nn = need("torch", "pytorch").nn
    if size is None:
        raise DefinitionError(f"the module '{name}' ({type(module).__name__}) reads a map's tokens, but its input "
                              "is not the token sequence of a map symparams followed")
    if _key(module) in _SRA:
        from ..layers.srattention import timm_line
        return f"{timm_line(module, name, nn)} name={name}"
    c, ws = module.qkv.in_features, int(module.ws)
    if module.qkv.out_features != 3 * c or module.proj.in_features != c or module.proj.out_features != c or \
            module.proj.bias is None or c % module.num_heads:
        raise DefinitionError(f"the module '{name}' (timm LocallyGroupedAttn) has projections of another width "
                              "than its input's or an unbiased output projection; symparams reads Twins' locally "
                              "grouped attention as windowattention relbias=false")
    if any(int(s) % ws for s in size):
        raise DefinitionError(f"the module '{name}' (timm LocallyGroupedAttn) pads its {size[0]}x{size[1]} map to "
                              f"whole {ws}x{ws} windows and projects only the unpadded positions; symparams' "
                              "windowattention projects the padded ones (another FLOP count): import at a size "
                              f"whose maps {ws} divides")
    return f"windowattention heads={module.num_heads} window={ws} relbias=false" + \
        ("" if module.qkv.bias is not None else " bias=false") + f" name={name}"


def _swap(node) -> bool:
    """x.transpose(1, 2) / x.transpose(-1, -2) / x.permute(0, 2, 1) of a rank-3 tensor."""
    if node.op != "call_method" or not node.args:
        return False
    if node.target == "transpose":
        return {a % 3 for a in node.args[1:] if isinstance(a, int)} == {1, 2} and len(node.args) == 3
    if node.target == "permute":
        dims = node.args[1:]
        dims = list(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else list(dims)
        return dims == [0, 2, 1]
    return False


def _regroup(node, torch) -> bool:
    """A reshape, view or flatten (method or function) whose result is a new shape of the same values."""
    return (node.op == "call_method" and node.target in ("reshape", "view", "flatten")) or \
        (node.op == "call_function" and node.target in (torch.reshape, torch.flatten))


class TokenMaps:
    """The token sequences of maps met while importing one module, and the steps between them and the maps (see
    the module's docstring). `tokens`: node -> (H, W) of its map; every such node is also channels last."""

    def __init__(self, module, shapes):
        self.module, self.shapes = module, shapes
        self.tokens: dict = {}
        self.pending: dict = {}     # a B x C x N step under way -> (the map or tokens it came from, (H, W), kind)
        self.torch = need("torch", "pytorch")

    def _shape(self, node) -> tuple:
        return tuple(self.shapes.get(getattr(node, "name", ""), ()))

    def size_of(self, node):
        return self.tokens.get(node)

    def _passes(self, node) -> bool:
        """A step the tokens go through as they are (position by position), for the look-ahead."""
        torch = self.torch
        if node.op == "call_module":
            sub = self.module.get_submodule(node.target)
            return isinstance(sub, (torch.nn.LayerNorm, torch.nn.Linear, torch.nn.GELU, torch.nn.ReLU,
                                    torch.nn.SiLU, torch.nn.Dropout, torch.nn.Identity)) or \
                type(sub).__name__ in ("DropPath", "StochasticDepth")
        merge = (node.op == "call_function" and node.target in (operator.add, operator.iadd, operator.mul,
                                                                   operator.imul, torch.add, torch.mul)) or \
            (node.op == "call_method" and node.target in ("add", "add_", "mul", "mul_"))
        if merge:
            # not with a free tensor (a position embedding of N x C, self.pos_embed or its view): it is laid out
            # by position, which the map does not hold
            return not any(getattr(a, "op", None) == "get_attr" or (
                getattr(a, "op", None) == "call_method" and getattr(a.args[0], "op", None) == "get_attr")
                for a in list(node.args) + list(node.kwargs.values()))
        return node.op == "call_method" and node.target == "contiguous"

    def _needs_map(self, node) -> bool:
        """Whether tokens made at `node` are read only position by position until a module that needs the map or a
        view back to a map reads them, or their sizes are read, or their mean over the positions taken (Twins'
        last stage after its position-encoding generator): on every path. One that leaves by another step (a
        class token concatenated, a position embedding added, an attention that flattens the map, the output)
        keeps the import's other readings."""
        torch, seen, todo = self.torch, {node}, [node]
        while todo:
            for user in todo.pop().users:
                if user in seen:
                    continue
                seen.add(user)
                if (user.op == "call_module" and is_map_unit(self.module.get_submodule(user.target))) or \
                        (_regroup(user, torch) and len(self._shape(user)) == 4) or \
                        (_swap(user) and all(_regroup(u, torch) and len(self._shape(u)) == 4 for u in user.users)):
                    continue
                elif self._passes(user):
                    todo.append(user)
                elif not self._ends(user):
                    return False
        return True

    def _ends(self, node) -> bool:
        """A read of the tokens that ends there and needs no map: their sizes, or their mean over the positions."""
        if node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",):
            return True
        if node.op == "call_method" and node.target == "size":
            return True
        dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
        return node.op == "call_method" and node.target == "mean" and dims in (1, (1,), [1]) and \
            len(self._shape(node.args[0])) == 3

    def step(self, node, source, alias, channels_last, scalars) -> bool:
        """Read `node` if it is a step between a map and its tokens, or a size read off either (True: done, the
        node is an alias, a size or a step under way); False for anything else. `source` is its first input."""
        torch = self.torch
        if node.op == "call_function" and node.target is getattr and node.args[1:] == ("shape",) and \
                (source in self.tokens or source in channels_last):
            scalars.add(node)           # B, H, W, C = x.shape
            return True
        if node.op == "call_method" and node.target == "size" and (source in self.tokens or source in channels_last):
            scalars.add(node)
            return True
        if source is None:
            return False
        before, after = self._shape(source), self._shape(node)
        if source in self.pending and _regroup(node, torch) and len(after) == 4:
            origin, size, kind = self.pending.pop(source)
            if kind != "tokens" or tuple(after[2:]) != tuple(size):
                raise DefinitionError(f"the operation '{node.name}' views the tokens of a {size[0]}x{size[1]} map "
                                      f"as {'x'.join(map(str, after[1:]))}; symparams reads them back as the same "
                                      "map only")
            alias[node] = origin        # tokens transposed and viewed B x C x H x W: the map, channels first
            return True
        if source in self.pending and _swap(node):
            origin, size, kind = self.pending.pop(source)
            if kind != "map":
                raise DefinitionError(f"the operation '{node.name}' transposes a map's tokens back and forth")
            self._tokens(node, origin, size, alias, channels_last)
            return True
        if source in self.tokens and _regroup(node, torch) and len(after) == 4:
            size = self.tokens[source]
            if tuple(after[1:3]) != tuple(size) or after[3] != before[-1]:
                raise DefinitionError(f"the operation '{node.name}' reshapes the tokens of a {size[0]}x{size[1]} "
                                      f"map to {'x'.join(map(str, after[1:]))}; symparams reads them back as the "
                                      "same map only (B x H x W x C)")
            alias[node] = alias.get(source, source)     # the map, channels last again
            channels_last.add(node)
            return True
        if source in self.tokens and _swap(node) and len(list(node.users)) == 1 and \
                _regroup(next(iter(node.users)), torch):
            self.pending[node] = (alias.get(source, source), self.tokens[source], "tokens")
            return True
        if len(before) == 4 and len(after) == 3 and _regroup(node, torch) and after[0] == before[0]:
            if source in channels_last and source not in self.tokens and after[1] == before[1] * before[2] \
                    and after[2] == before[3] and self._needs_map(node):
                self._tokens(node, alias.get(source, source), tuple(before[1:3]), alias, channels_last)
                return True         # B x H x W x C -> B x N x C
            if source not in channels_last and after[1] == before[1] and after[2] == before[2] * before[3] \
                    and len(list(node.users)) == 1 and _swap(next(iter(node.users))) \
                    and self._needs_map(next(iter(node.users))):
                self.pending[node] = (alias.get(source, source), tuple(before[2:]), "map")
                return True         # B x C x H x W -> B x C x N, then its transpose
        return False

    def _tokens(self, node, origin, size, alias, channels_last) -> None:
        alias[node] = origin
        self.tokens[node] = tuple(int(s) for s in size)
        channels_last.add(node)

    def follow(self, node, inputs) -> None:
        """A node read position by position from tokens is tokens of the same map."""
        for a in inputs:
            if a in self.tokens:
                self.tokens[node] = self.tokens[a]
                return
