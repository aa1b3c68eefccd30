"""Normalisation-activation layers that need no batch statistics, as timm writes them (its ResNet-V2, RegNet-Z,
VoVNet and EfficientNet variants use them in place of a batch norm and its activation):

- frn [tlu=true|false]: filter response normalisation (Singh & Krishnan 2020, timm's FilterResponseNormTlu2d): each
  channel divided by its root mean square over the positions, a learned scale and shift, and with tlu (the
  thresholded linear unit, the default) the maximum with a learned threshold τ: 3C weights (2C without tlu).
  timm's FilterResponseNormAct2d is `frn tlu=false` and its activation's line.
- evonorm [s0|s0a] [groups=G] [apply_act=true|false]: EvoNorm-S0 (Liu et al. 2020, timm's EvoNorm2dS0 and
  EvoNorm2dS0a): x·σ(v·x) divided by the standard deviation of its group of C/G channels over the positions, then a
  learned scale and shift: 3C weights (v, the scale, the shift; 2C without apply_act, where S0 is the scale and shift
  alone and S0a still divides by the group's deviation).

Each is a 2-D map layer (H x W x C, as timm's, which asserts a 4-D input). Both exports write helpers under timm's
class names, weight names and arguments, so the import reads timm's modules and the exported ones alike."""

from __future__ import annotations

from ..algebra import product
from ..errors import DefinitionError
from .base import BOOL, COUNT, WORD, LayerSpec, Opt, Saved, Weight, register
from .text import one


@register
class FilterResponseNorm(LayerSpec):
    keywords = ("frn",)
    pytorch_classes: dict = {}          # timm's FilterResponseNormTlu2d / FilterResponseNormAct2d: read by the import
    keras_classes: dict = {}
    summary = ("filter response normalisation (timm's FilterResponseNormTlu2d): each channel over its RMS on the "
               "positions, a scale and a shift, and the maximum with a learned threshold τ (tlu)")
    formula = "3*C (tlu=false: 2*C)"
    options = {"tlu": Opt(BOOL, True, doc="the thresholded linear unit max(x, τ), C more weights")}
    min_rank = 3
    max_rank = 3
    diagram = "norm"
    letters = {"input": "C"}
    torch_helpers = {"FilterResponseNormTlu2d": '''
class FilterResponseNormTlu2d(nn.Module):
    """Filter response normalisation with its thresholded linear unit (timm's class name, weight names and
    arguments): x / rms(x) over each channel's positions, a scale and a shift, max(x, tau) with apply_act."""
    def __init__(self, num_features, apply_act=True, eps=1e-5):
        super().__init__()
        self.apply_act, self.eps = apply_act, eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.tau = nn.Parameter(torch.zeros(num_features)) if apply_act else None

    def forward(self, x):
        shape = (1, -1, 1, 1)
        x = x * x.square().mean(dim=(2, 3), keepdim=True).add(self.eps).rsqrt()
        x = x * self.weight.view(shape) + self.bias.view(shape)
        return torch.maximum(x, self.tau.view(shape)) if self.tau is not None else x
'''}
    keras_helpers = {"FilterResponseNormTlu2d": '''
class FilterResponseNormTlu2d(layers.Layer):
    """Filter response normalisation on a channels-last map: x / rms(x) over each channel's positions, a scale and
    a shift, max(x, tau) with apply_act."""
    def __init__(self, apply_act=True, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.apply_act, self.eps = apply_act, eps

    def build(self, input_shape):
        c = input_shape[-1]
        self.weight = self.add_weight(shape=(c,), initializer="ones", name="weight")
        self.bias = self.add_weight(shape=(c,), initializer="zeros", name="bias")
        self.tau = self.add_weight(shape=(c,), initializer="zeros", name="tau") if self.apply_act else None

    def call(self, x):
        x = x * keras.ops.rsqrt(keras.ops.mean(keras.ops.square(x), axis=(1, 2), keepdims=True) + self.eps)
        x = x * self.weight + self.bias
        return keras.ops.maximum(x, self.tau) if self.tau is not None else x

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def weights(self, cfg, shape, ctx):
        c = shape[-1]
        return (Weight("weight", (c,)), Weight("bias", (c,))) + ((Weight("tau", (c,)),) if cfg.tlu else ())

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value (the square, the sum of the mean, the product with 1/rms, the scale, the shift; 6 with tlu:
        the maximum) and 3 per channel (the mean's division, ε, the reciprocal root)."""
        return (6 if cfg.tlu else 5) * product(shape) + 3 * shape[-1]

    def receptive(self, cfg, shape, out, ctx):
        """'global': each output reads its channel's RMS over every position."""
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """For the input's gradient: the input (the square's and the product's) and the C reciprocal roots;
        x/rms for the scale's gradient; with tlu the maximum's input (both its gradients read it)."""
        n, c = product(shape), shape[-1]
        saved = (Saved("input", for_input_grad=True), Saved("own", c, for_input_grad=True),
                 Saved("own", n, of=("weight",)))
        return saved + ((Saved("own", n),) if cfg.tlu else ())

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "FilterResponseNormTlu2d")
        return f"FilterResponseNormTlu2d({one(row.input_shape[-1])}" + \
            ("" if row.config.tlu else ", apply_act=False") + ")"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "FilterResponseNormTlu2d")
        act = "" if row.config.tlu else "apply_act=False, "
        return out.emit(f"FilterResponseNormTlu2d({act}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        """timm's FilterResponseNormTlu2d (and the exported one); timm's FilterResponseNormAct2d is read by the
        importer (`frn tlu=false` and its activation's line)."""
        if r.cls(module) != "FilterResponseNormTlu2d":
            return None
        return "frn" if getattr(module, "tau", None) is not None else "frn tlu=false"

    def import_keras(self, layer, r):
        if r.cls(layer) != "FilterResponseNormTlu2d":
            return None
        return "frn" if layer.apply_act else "frn tlu=false"


EVONORM_FORMS = ("s0", "s0a")


@register
class EvoNorm(LayerSpec):
    keywords = ("evonorm",)
    pytorch_classes: dict = {}          # timm's EvoNorm2dS0 / EvoNorm2dS0a: read by the import
    keras_classes: dict = {}
    summary = ("EvoNorm-S0 (timm's EvoNorm2dS0 / S0a): x·σ(v·x) over the deviation of its group of channels on the "
               "positions, a scale and a shift (a batch norm and its activation without batch statistics)")
    formula = "3*C (apply_act=false: 2*C)"
    arguments = ()
    options = {"form": Opt(WORD, "s0", choices=EVONORM_FORMS,
                           doc="s0 (timm's EvoNorm2dS0) or s0a (EvoNorm2dS0a: divides by the deviation even "
                               "without apply_act)"),
               "groups": Opt(COUNT, 32, doc="G: the channel groups each deviation is taken over"),
               "apply_act": Opt(BOOL, True, doc="the nonlinear part x·σ(v·x), C weights v")}
    min_rank = 3
    max_rank = 3
    diagram = "norm"
    letters = {"input": "C", "groups": "G"}
    torch_helpers = {"EvoNorm2dS0": '''
class EvoNorm2dS0(nn.Module):
    """EvoNorm-S0 (timm's class name, weight names and arguments): x * sigmoid(v * x) / the deviation of its group
    of channels over the positions, then a scale and a shift; without apply_act the scale and shift alone."""
    def __init__(self, num_features, groups=32, apply_act=True, eps=1e-5):
        super().__init__()
        self.groups, self.apply_act, self.eps = groups, apply_act, eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.v = nn.Parameter(torch.ones(num_features)) if apply_act else None

    def deviation(self, x):
        b, c, h, w = x.shape
        grouped = x.reshape(b, self.groups, c // self.groups, h, w)
        std = grouped.var(dim=(2, 3, 4), unbiased=False, keepdim=True).add(self.eps).sqrt()
        return std.expand(grouped.shape).reshape(b, c, h, w)

    def forward(self, x):
        shape = (1, -1, 1, 1)
        if self.v is not None:
            x = x * (x * self.v.view(shape)).sigmoid() / self.deviation(x)
        return x * self.weight.view(shape) + self.bias.view(shape)
''', "EvoNorm2dS0a": '''
class EvoNorm2dS0a(EvoNorm2dS0):
    """EvoNorm-S0a (timm's): as S0, but divided by the group's deviation with or without apply_act."""
    def __init__(self, num_features, groups=32, apply_act=True, eps=1e-3):
        super().__init__(num_features, groups=groups, apply_act=apply_act, eps=eps)

    def forward(self, x):
        shape = (1, -1, 1, 1)
        d = self.deviation(x)
        if self.v is not None:
            x = x * (x * self.v.view(shape)).sigmoid()
        x = x / d
        return x * self.weight.view(shape) + self.bias.view(shape)
'''}
    keras_helpers = {"EvoNormS0": '''
class EvoNormS0(layers.Layer):
    """EvoNorm-S0 / S0a on a channels-last map: x * sigmoid(v * x) / the deviation of its group of channels over
    the positions, then a scale and a shift (S0 without apply_act: the scale and shift alone)."""
    def __init__(self, groups=32, apply_act=True, divide=True, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.groups, self.apply_act, self.divide, self.eps = groups, apply_act, divide, eps

    def build(self, input_shape):
        c = input_shape[-1]
        self.weight = self.add_weight(shape=(c,), initializer="ones", name="weight")
        self.bias = self.add_weight(shape=(c,), initializer="zeros", name="bias")
        self.v = self.add_weight(shape=(c,), initializer="ones", name="v") if self.apply_act else None

    def call(self, x):
        if self.divide:
            h, w, c = x.shape[1], x.shape[2], x.shape[3]
            grouped = keras.ops.reshape(x, (-1, h, w, self.groups, c // self.groups))
            std = keras.ops.sqrt(keras.ops.var(grouped, axis=(1, 2, 4), keepdims=True) + self.eps)
            d = keras.ops.reshape(keras.ops.broadcast_to(std, keras.ops.shape(grouped)), keras.ops.shape(x))
        if self.v is not None:
            x = x * keras.ops.sigmoid(x * self.v)
        if self.divide:
            x = x / d
        return x * self.weight + self.bias

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def configure(self, cfg, shape, ctx):
        groups, c = cfg.groups, shape[-1]
        ctx.require_divides(groups, c, f"evonorm groups={groups}: the groups do not divide the {c} channels",
                            f"evonorm: groups must divide the channels")

    def _divides(self, cfg) -> bool:
        """Whether the layer divides by the group deviation: always but in S0 without apply_act."""
        return bool(cfg.apply_act or cfg.form == "s0a")

    def weights(self, cfg, shape, ctx):
        c = shape[-1]
        return (Weight("weight", (c,)), Weight("bias", (c,))) + ((Weight("v", (c,)),) if cfg.apply_act else ())

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value (the scale and the shift); with the deviation 4 more per value (the variance's difference,
        square and sum, the division) and 3 per group (the mean, ε, the root); with apply_act 3 more per value (v·x,
        the sigmoid, the product)."""
        n = product(shape)
        ops = 2 * n
        if self._divides(cfg):
            ops += 4 * n + 3 * cfg.groups
        if cfg.apply_act:
            ops += 3 * n
        return ops

    def receptive(self, cfg, shape, out, ctx):
        """'global' when it divides by the group's deviation over every position, else position by position."""
        return "global" if self._divides(cfg) else None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The scale's input for its gradient (the input itself in S0 without apply_act). With the deviation, for
        the input's gradient: the variance's input (the input), its G roots and the quotient's numerator; the
        divisor laid out over the map (a copy: an expanded view reshaped; with one group, or one channel per group, a
        view of the roots) for
        the numerator's gradient. With
        apply_act, for the input's or v's gradient: v·x's input (the input) and the sigmoid's result."""
        n = product(shape)
        if not self._divides(cfg):
            return (Saved("input", of=("weight",)),)
        numerator = ("input", "v") if cfg.apply_act else ("input",)
        # one group, or one channel per group: the laid-out divisor is a view of the roots (a size-1 axis merges
        # with its neighbour); a symbolic channel count the engine cannot tell equal to the groups counts the copy
        if cfg.groups == 1 or shape[-1] - cfg.groups == 0:
            saved = [Saved("own", cfg.groups, of=numerator), Saved("own", n, of=("weight",))]
        else:
            saved = [Saved("own", cfg.groups, for_input_grad=True), Saved("own", n, of=numerator),
                     Saved("own", n, of=("weight",))]
        if cfg.apply_act:       # the sigmoid's result, the numerator x·σ(v·x)
            return tuple([Saved("input", of=numerator), Saved("own", n, of=numerator),
                          Saved("own", n, for_input_grad=True)] + saved)
        return tuple([Saved("input", for_input_grad=True)] + saved)     # the input is the numerator

    def emit_torch(self, row, out):
        cfg = row.config
        cls = "EvoNorm2dS0a" if cfg.form == "s0a" else "EvoNorm2dS0"
        out.helper(self.torch_helpers, "EvoNorm2dS0")
        if cls != "EvoNorm2dS0":
            out.helper(self.torch_helpers, cls)
        return f"{cls}({one(row.input_shape[-1])}, groups={one(cfg.groups)}" + \
            ("" if cfg.apply_act else ", apply_act=False") + ")"

    def emit_keras(self, row, var, out):
        cfg = row.config
        out.helper(self.keras_helpers, "EvoNormS0")
        divide = "" if self._divides(cfg) else "divide=False, "
        act = "" if cfg.apply_act else "apply_act=False, "
        return out.emit(f"EvoNormS0(groups={one(cfg.groups)}, {act}{divide}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        """timm's EvoNorm2dS0 and EvoNorm2dS0a, and the exported ones (the same class names and attributes)."""
        cls = r.cls(module)
        if cls not in ("EvoNorm2dS0", "EvoNorm2dS0a"):
            return None
        if not hasattr(module, "groups") or not hasattr(module, "v"):
            raise DefinitionError(f"the module '{r.name}' ({cls}) lacks the groups or v of timm's EvoNorm-S0")
        form = " form=s0a" if cls == "EvoNorm2dS0a" else ""
        return f"evonorm{form} groups={int(module.groups)}" + ("" if module.v is not None else " apply_act=false")

    def import_keras(self, layer, r):
        if r.cls(layer) != "EvoNormS0":
            return None
        form = " form=s0a" if layer.divide and not layer.apply_act else ""
        return f"evonorm{form} groups={int(layer.groups)}" + ("" if layer.apply_act else " apply_act=false")
