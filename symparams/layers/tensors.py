"""Named tensors: save, use, concat/add/mul with a saved tensor, crop to a saved tensor's size.

The engine (symparams/engine/tensors.py) keeps the saved tensors and puts the one a statement
names into its config as `other` (its shape) and `tensor` (its name as written); these specs say
what the statement does with it. None has weights.
"""

from __future__ import annotations

from itertools import zip_longest

from ..algebra import equal, is_number, product
from ..numeric import integer
from ..errors import ShapeError
from ..wording import math_text
from .base import Deferred, LayerSpec, MustBeZero, Saved, named, register



def shape_text(shape) -> str:
    return " x ".join(str(d) for d in shape) or "a scalar"


def broadcast(a: tuple, b: tuple, ctx, what: str) -> tuple:
    """NumPy broadcasting of two shapes: trailing axes aligned, each pair equal or one of them 1."""
    out = []
    # the missing leading axes are 1 as the derive's numbers are (a SymPy Integer in a symbolic
    # derive): a bare int here would reach the output shape, where SymPy's methods are asked of it
    for x, y in zip_longest(reversed(a), reversed(b), fillvalue=integer(1)):
        if x == 1:
            out.append(y)
            continue
        if y == 1:
            out.append(x)
            continue
        same = equal(x, y)
        if same is False:
            raise ShapeError(f"{what}: {shape_text(a)} and {shape_text(b)} do not broadcast "
                             f"({x} against {y}; each axis must match or be 1)")
        if same is None:
            # the formulas derived here take x = y (where x or y is 1 the output is the other one):
            # the exact test is x = y, so solve and sweep use them only where they hold
            ctx.constraints.append((MustBeZero(x - y),
                                    Deferred(lambda x=x, y=y: f"{what}: {math_text(x)} = {math_text(y)} "
                                                                    f"(or one of them is 1)")))
        out.append(x)
    return tuple(reversed(out))


def centre_crop(big: tuple, small: tuple, ctx, what: str) -> None:
    """Check that `small`'s spatial axes fit in `big`'s (a centre crop takes ⌊(H − h)/2⌋ before)."""
    if len(big) != len(small):
        raise ShapeError(f"{what}: {shape_text(big)} and {shape_text(small)} have different ranks")
    for h_big, h_small in zip(big[:-1], small[:-1]):
        gap = h_big - h_small
        if is_number(gap):
            if gap < 0:
                raise ShapeError(f"{what}: cannot crop {shape_text(big)} to {shape_text(small)} "
                                 f"({h_big} is smaller than {h_small})")
        else:
            ctx.constraints.append((gap + 1, Deferred(lambda h=h_big, s=h_small: f"{what}: the crop fits "
                                                                               f"({math_text(h)} ≥ {math_text(s)})")))


class NamedTensorSpec(LayerSpec):
    """Shared by the named-tensor statements: no weights, no arguments of their own."""
    diagram = "merge"
    # importing from a framework: a saved tensor is a graph edge there, which the importer does not fold back
    unsupported = {"import_torch": "a saved tensor is a plain edge of the PyTorch graph; import reads it as a branch",
                   "import_keras": "a saved tensor is a plain edge of the Keras graph; import reads it as a branch"}

    # the exporters' walkers hand these the current variable: they name, fetch or merge variables, so
    # they are no layer of the built model (check compares the layers that read them)
    writes_layer = False
    @staticmethod
    def saved(out) -> dict:
        return out.__dict__.setdefault("saved", {})

    def torch_forward(self, row, var, out, indent):
        return var

    def emit_keras(self, row, var, out):
        return var

    def emit_torch(self, row, out):         # torch_forward writes the forward code instead
        return None

    def receptive(self, cfg, shape, out, ctx):
        return "unknown" if cfg.get("other") is not None else None


@register
class Save(NamedTensorSpec):
    keywords = ("save",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "save NAME: names the current tensor (it passes through unchanged)"
    formula = "0"

    def receptive(self, cfg, shape, out, ctx):
        return None

    def output_is_view(self, cfg, shape, out, ctx):
        return True

    def tensor_named(self, cfg):
        return (cfg.tensor, None, False)

    def torch_forward(self, row, var, out, indent):
        self.saved(out)[row.config.tensor] = var
        return var

    def emit_keras(self, row, var, out):
        self.saved(out)[row.config.tensor] = var
        return var


@register
class Use(NamedTensorSpec):
    keywords = ("use",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "use NAME: continues from a saved tensor"
    formula = "0"

    def tensor_named(self, cfg):
        """Its output is the saved tensor."""
        return (None, cfg.tensor, True)

    def output_shape(self, cfg, shape, ctx):
        return tuple(cfg.other)

    def torch_forward(self, row, var, out, indent):
        return self.saved(out)[row.config.tensor]

    def emit_keras(self, row, var, out):
        return self.saved(out)[row.config.tensor]


def crop_pads(big, small) -> list:
    """(before, after) per spatial axis of a centre crop from `big` to `small` (numbers)."""
    pads = []
    for a, b in zip(big[:-1], small[:-1]):
        gap = int(a) - int(b)
        pads.append((gap // 2, gap - gap // 2))
    return pads


def torch_crop(var, pads, rank: int) -> str:
    """A slicing expression that crops `var`'s spatial axes: images and volumes are channels-first
    in the exported forward (N, C, H, W), sequences stay as they are (N, T, D)."""
    first_spatial = 2 if rank >= 3 else 1
    parts = [":"] * first_spatial + [f"{b}:-{a}" if a else f"{b}:" for b, a in pads]
    return f"{var}[{', '.join(parts)}]"


def keras_crop(out, var, pads, row) -> str:
    n = len(pads)
    text = pads[0] if n == 1 else tuple(pads)
    return out.emit(f'layers.Cropping{n}D({text}, name="{out.name(row)}_crop")', var)


@register
class ConcatWith(NamedTensorSpec):
    keywords = ("concat with",)
    pytorch_classes = {}
    keras_classes = named("concat with", "Concatenate")
    summary = "concat with NAME [crop]: the current tensor and a saved one side by side on the channels"
    formula = "0"

    def tensor_named(self, cfg):
        return (None, cfg.tensor, False)

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
                    ctx.constraints.append((MustBeZero(a - b), Deferred(lambda a=a, b=b, t=cfg.tensor:
                                                           f"concat with {t}: {math_text(a)} = {math_text(b)}")))
        return tuple(shape[:-1]) + (shape[-1] + other[-1],)

    def _other(self, row, out, crop_torch):
        other = self.saved(out)[row.config.tensor]
        if not row.config.get("crop"):
            return other
        pads = crop_pads(row.config.other, row.input_shape)
        return crop_torch(other, pads) if crop_torch else keras_crop(out, other, pads, row)

    def torch_forward(self, row, var, out, indent):
        other = self._other(row, out, lambda v, pads: torch_crop(v, pads, len(row.input_shape)))
        dim = 1 if len(row.output_shape) >= 3 else -1
        result = out.fresh()
        out.forward.append(f"{indent}{result} = torch.cat([{var}, {other}], dim={dim})  # line {row.line}")
        return result

    def emit_keras(self, row, var, out):
        other = self._other(row, out, None)
        return out.emit(f'layers.Concatenate(name="{out.plan.name(row)}")', f"[{var}, {other}]", row)


class _ElementwiseWith(NamedTensorSpec):
    """An element-wise merge of the current tensor with a saved one, NumPy broadcasting: the shape,
    the PyTorch forward and the Keras layer differ only in the operator."""
    operator = ""           # the Python operator the PyTorch forward writes
    keras_layer = ""        # the Keras merge layer

    def tensor_named(self, cfg):
        return (None, cfg.tensor, False)

    def output_shape(self, cfg, shape, ctx):
        return broadcast(tuple(shape), tuple(cfg.other), ctx, f"{self.keyword} {cfg.tensor}")

    def output_layout(self, cfg, shape, out, ctx):
        """The current tensor is the first operand: with no broadcasting PyTorch writes the result with its strides
        (None: laid out as the input, a recurrent layer's time-major sequence stays one); a broadcast result is new."""
        return None if tuple(shape) == tuple(out) == tuple(cfg.other) else "contiguous"

    def torch_forward(self, row, var, out, indent):
        result = out.fresh()
        mine = out.broadcast(var, row.input_shape, row.output_shape)
        other = out.broadcast(self.saved(out)[row.config.tensor], row.config.other, row.output_shape)
        out.forward.append(f"{indent}{result} = {mine} {self.operator} {other}  # line {row.line}")
        return result

    def emit_keras(self, row, var, out):
        other = self.saved(out)[row.config.tensor]
        return out.emit(f'layers.{self.keras_layer}(name="{out.plan.name(row)}")', f"[{var}, {other}]", row)


@register
class AddWith(_ElementwiseWith):
    keywords = ("add with",)
    pytorch_classes = {}
    keras_classes = named("add with", "Add")
    summary = "add with NAME: element-wise sum with a saved tensor (NumPy broadcasting)"
    formula = "0"
    operator, keras_layer = "+", "Add"

    def other_ops(self, cfg, shape, out, ctx):
        """1 per output value: the sum."""
        return product(out)


@register
class MulWith(_ElementwiseWith):
    keywords = ("mul with",)
    pytorch_classes = {}
    keras_classes = named("mul with", "Multiply")
    summary = "mul with NAME: element-wise product with a saved tensor (NumPy broadcasting)"
    formula = "0"
    operator, keras_layer = "*", "Multiply"

    def other_ops(self, cfg, shape, out, ctx):
        """1 per output value: the product."""
        return product(out)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """A product keeps each factor for the other's gradient: the current tensor if the saved one
        ('other') is trained, the saved one if the current is."""
        return (Saved("input", for_other_grad=True), Saved("other", for_input_grad=True))


@register
class SubWith(_ElementwiseWith):
    keywords = ("sub with",)
    pytorch_classes = {}
    keras_classes = named("sub with", "Subtract")
    summary = "sub with NAME: element-wise difference, the current tensor minus a saved one (NumPy broadcasting)"
    formula = "0"
    operator, keras_layer = "-", "Subtract"

    def other_ops(self, cfg, shape, out, ctx):
        """1 per output value: the difference."""
        return product(out)


@register
class CropTo(NamedTensorSpec):
    keywords = ("crop to",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "crop to=NAME: centre-crops the spatial axes to a saved tensor's (⌊(H − h)/2⌋ before)"
    formula = "0"

    def tensor_named(self, cfg):
        return (None, cfg.tensor, False)

    def output_shape(self, cfg, shape, ctx):
        other = tuple(cfg.other)
        centre_crop(tuple(shape), other, ctx, f"crop to={cfg.tensor}")
        return tuple(other[:-1]) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        """The crop shifts every position's offset by ⌊(H − h)/2⌋: not followed (yet)."""
        return "unknown"

    def torch_forward(self, row, var, out, indent):
        result = out.fresh()
        pads = crop_pads(row.input_shape, row.config.other)
        out.forward.append(f"{indent}{result} = {torch_crop(var, pads, len(row.input_shape))}  # line {row.line}")
        return result

    def emit_keras(self, row, var, out):
        return keras_crop(out, var, crop_pads(row.input_shape, row.config.other), row)

    def output_is_view(self, cfg, shape, out, ctx):
        """A crop is a slice: a view keeping the whole storage."""
        return True
