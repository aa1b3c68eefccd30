"""Named tensors: save, use, concat/add/mul with a saved tensor, crop to a saved tensor's size.

The engine (symparams/engine/tensors.py) keeps the saved tensors and puts the one a statement
names into its config as `other` (its shape) and `tensor` (its name as written); these specs say
what the statement does with it. None has weights.
"""

from __future__ import annotations

from itertools import zip_longest

from sympy import Integer

from ..algebra import equal, product
from ..errors import ShapeError
from .base import LayerSpec, Saved, register

ONE = Integer(1)


def shape_text(shape) -> str:
    return " x ".join(str(d) for d in shape) or "a scalar"


def broadcast(a: tuple, b: tuple, ctx, what: str) -> tuple:
    """NumPy broadcasting of two shapes: trailing axes aligned, each pair equal or one of them 1."""
    out = []
    for x, y in zip_longest(reversed(a), reversed(b), fillvalue=ONE):
        if x == ONE:
            out.append(y)
            continue
        if y == ONE:
            out.append(x)
            continue
        same = equal(x, y)
        if same is False:
            raise ShapeError(f"{what}: {shape_text(a)} and {shape_text(b)} do not broadcast "
                             f"({x} against {y}; each axis must match or be 1)")
        if same is None:
            ctx.constraints.append((None, f"{what}: {x} = {y} (or one of them is 1)"))
        out.append(x)
    return tuple(reversed(out))


def centre_crop(big: tuple, small: tuple, ctx, what: str) -> None:
    """Check that `small`'s spatial axes fit in `big`'s (a centre crop takes ⌊(H − h)/2⌋ before)."""
    if len(big) != len(small):
        raise ShapeError(f"{what}: {shape_text(big)} and {shape_text(small)} have different ranks")
    for h_big, h_small in zip(big[:-1], small[:-1]):
        gap = h_big - h_small
        if gap.is_number:
            if gap < 0:
                raise ShapeError(f"{what}: cannot crop {shape_text(big)} to {shape_text(small)} "
                                 f"({h_big} is smaller than {h_small})")
        else:
            ctx.constraints.append((gap + 1, f"{what}: {h_big} >= {h_small} (the crop fits)"))


class NamedTensorSpec(LayerSpec):
    """Shared by the named-tensor statements: no weights, no arguments of their own."""
    diagram = "merge"
    # what consumers cannot do with them yet, with the reason users see
    unsupported = {"pytorch": "named tensors (save/use/with/crop) are not exported to PyTorch yet",
                   "keras": "named tensors (save/use/with/crop) are not exported to Keras yet"}

    def receptive(self, cfg, shape, out, ctx):
        return "unknown" if cfg.get("other") is not None else None


@register
class Save(NamedTensorSpec):
    keywords = ("save",)
    summary = "save NAME: names the current tensor (it passes through unchanged)"
    formula = "0"

    def receptive(self, cfg, shape, out, ctx):
        return None


    def output_is_view(self, cfg, shape, out, ctx):
        return True

@register
class Use(NamedTensorSpec):
    keywords = ("use",)
    summary = "use NAME: continues from a saved tensor"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        return tuple(cfg.other)


@register
class ConcatWith(NamedTensorSpec):
    keywords = ("concat with",)
    summary = "concat with NAME [crop]: the current tensor and a saved one side by side on the channels"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        other = tuple(cfg.other)
        if len(other) != len(shape):
            raise ShapeError(f"concat with {cfg.tensor}: the current tensor is {shape_text(shape)} but "
                             f"{cfg.tensor} is {shape_text(other)} (different ranks)")
        if cfg.get("crop"):
            centre_crop(other, shape, ctx, f"concat with {cfg.tensor} crop")
        else:
            for a, b in zip(shape[:-1], other[:-1]):
                same = equal(a, b)
                if same is False:
                    raise ShapeError(f"concat with {cfg.tensor}: the current tensor is {shape_text(shape)} but "
                                     f"{cfg.tensor} is {shape_text(other)}; all axes but the channels must match",
                                     hint="'concat with NAME crop' centre-crops NAME to the current size first")
                if same is None:
                    ctx.constraints.append((None, f"concat with {cfg.tensor}: {a} = {b}"))
        return tuple(shape[:-1]) + (shape[-1] + other[-1],)


@register
class AddWith(NamedTensorSpec):
    keywords = ("add with",)
    summary = "add with NAME: element-wise sum with a saved tensor (NumPy broadcasting)"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        return broadcast(tuple(shape), tuple(cfg.other), ctx, f"add with {cfg.tensor}")

    def other_ops(self, cfg, shape, out, ctx):
        """1 per output value: the sum."""
        return product(out)


@register
class MulWith(NamedTensorSpec):
    keywords = ("mul with",)
    summary = "mul with NAME: element-wise product with a saved tensor (NumPy broadcasting)"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        return broadcast(tuple(shape), tuple(cfg.other), ctx, f"mul with {cfg.tensor}")

    def other_ops(self, cfg, shape, out, ctx):
        """1 per output value: the product."""
        return product(out)


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """A product keeps both factors: the current tensor and the saved one (counted as its own,
        as symparams does not follow which storage a name refers to)."""
        return (Saved("input"), Saved("own", product(cfg.other)))

@register
class CropTo(NamedTensorSpec):
    keywords = ("crop to",)
    summary = "crop to=NAME: centre-crops the spatial axes to a saved tensor's (⌊(H − h)/2⌋ before)"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        other = tuple(cfg.other)
        centre_crop(tuple(shape), other, ctx, f"crop to={cfg.tensor}")
        return tuple(other[:-1]) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        """The crop shifts every position's offset by ⌊(H − h)/2⌋: not followed (yet)."""
        return "unknown"

    def output_is_view(self, cfg, shape, out, ctx):
        """A crop is a slice: a view keeping the whole storage."""
        return True
