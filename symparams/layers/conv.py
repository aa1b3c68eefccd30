"""Convolutions: conv, dwconv (depthwise), sepconv (separable), deconv (transposed)."""

from __future__ import annotations

import functools

from sympy import Integer

from .. import conventions
from ..errors import DefinitionError, ShapeError
from ..algebra import product
from ..shapes import conv_length, dilated_kernel, same_padding_total, transposed_conv_length
from .base import (BOOL, COUNT, KERAS, NONNEG_WINDOW, PADDING, WINDOW, Arg, Config, Context, LayerSpec, Opt,
                   Weight, divides, register)


def spatial_text(shape) -> str:
    return _axes_text(tuple(shape[:-1]))


@functools.lru_cache(maxsize=4096)
def _axes_text(axes) -> str:
    # cached: many layers share their spatial axes, and printing SymPy expressions is slow
    return "x".join(str(d) if d.is_Atom else f"({d})" for d in axes)     # '(n - 2)x(n - 2)'


class _Windowed(LayerSpec):
    """Shared by layers that slide a window over the spatial axes."""
    spatial_rank_of = {}
    min_rank = 2
    window_kind = "conv"

    def kind_name(self, keyword, shape):
        base = keyword.rstrip("123d") if keyword[-2:] in ("1d", "2d", "3d") else keyword
        return f"{base}{len(shape) - 1}d"

    def check_framework(self, kind: str, cfg: Config, shape: tuple, ctx: Context):
        problem = conventions.keras_limitation(kind, cfg, len(shape) - 1, ctx.convention)
        if problem:
            raise DefinitionError(problem)

    def check_padding(self, cfg: Config, ctx: Context):
        if cfg.padding == "same":
            problem = conventions.same_padding_error(self.window_kind, cfg.stride, ctx.convention)
        elif cfg.padding == "valid":
            problem = None
        else:
            problem = conventions.explicit_padding_error(self.window_kind, ctx.convention)
        if problem:
            raise DefinitionError(problem)

    def window_output(self, cfg: Config, shape: tuple, ctx: Context, window) -> list:
        out = []
        for axis, size in enumerate(shape[:-1]):
            pad = cfg.padding if cfg.padding in ("valid", "same") else cfg.padding[axis]
            dilation = cfg.dilation[axis] if "dilation" in cfg else 1
            length = conv_length(size, window[axis], cfg.stride[axis], pad, dilation)
            what = "kernel" if self.window_kind == "conv" else "pool size"
            ctx.require_positive(length, lambda: f"{what} {'x'.join(map(str, window))} does not fit its "
                                                 f"{spatial_text(shape)} input")
            out.append(length)
        return out

    def receptive(self, cfg, shape, out, ctx):
        """(span, stride, zeros before) per spatial axis; 'same' puts the odd zero after (TF/Keras)."""
        window = cfg.kernel if self.window_kind == "conv" else cfg.pool
        moves = []
        for axis, size in enumerate(shape[:-1]):
            dilation = cfg.dilation[axis] if "dilation" in cfg else 1
            span, stride = dilated_kernel(window[axis], dilation), cfg.stride[axis]
            if cfg.padding == "valid":
                before = Integer(0)
            elif cfg.padding == "same":
                total = span - 1 if stride == 1 else same_padding_total(size, window[axis], stride, dilation)
                before = total // 2
            else:
                before = cfg.padding[axis]
            moves.append((span, stride, before))
        return tuple(moves)

    def bias_adds(self, cfg, shape, out, ctx):
        """One addition per output value of a layer with a bias (pooling has none)."""
        return product(out) if cfg.get("bias") else Integer(0)


@register
class Conv(_Windowed):
    keywords = ("conv", "conv1d", "conv2d", "conv3d")
    spatial_rank_of = {"conv1d": 1, "conv2d": 2, "conv3d": 3}
    family = "conv"
    summary = "convolution with F filters of size K"
    formula = "F*(prod(K)*C/groups + 1); without bias F*prod(K)*C/groups"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "groups": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True

    def configure(self, cfg, shape, ctx):
        channels = shape[-1]
        if cfg.groups != 1:     # 1 divides everything; skip formatting the messages (slow for SymPy)
            ctx.require(divides(cfg.groups, channels),
                        f"groups={cfg.groups} does not divide the {channels} input channels",
                        f"groups={cfg.groups} must divide the input channels {channels}")
            ctx.require(divides(cfg.groups, cfg.filters), f"groups={cfg.groups} does not divide the {cfg.filters} "
                        "filters", f"groups={cfg.groups} must divide the filters {cfg.filters}")
        self.check_padding(cfg, ctx)
        self.check_framework("conv", cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        per_group = shape[-1] / cfg.groups
        kernel_name, bias_name = conventions.weight_names(ctx.convention)
        if ctx.convention == KERAS:
            kernel = tuple(cfg.kernel) + (per_group, cfg.filters)
        else:
            kernel = (cfg.filters, per_group) + tuple(cfg.kernel)
        out = (Weight(kernel_name, kernel),)
        if cfg.bias:
            out += (Weight(bias_name, (cfg.filters,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        return product(out[:-1]) * cfg.filters * product(cfg.kernel) * shape[-1] / cfg.groups


@register
class DepthwiseConv(_Windowed):
    keywords = ("dwconv", "dwconv1d", "dwconv2d", "dwconv3d", "depthwiseconv")
    spatial_rank_of = {"dwconv1d": 1, "dwconv2d": 2, "dwconv3d": 3}
    family = "conv"
    summary = "depthwise convolution: each input channel convolved with M filters of its own"
    formula = "prod(K)*C*M + C*M"
    arguments = (Arg("kernel", WINDOW),)
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "multiplier": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True

    def kind_name(self, keyword, shape):
        return f"dwconv{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        self.check_padding(cfg, ctx)
        self.check_framework("dwconv", cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (shape[-1] * cfg.multiplier,)

    def weights(self, cfg, shape, ctx):
        channels, mult = shape[-1], cfg.multiplier
        if ctx.convention == KERAS:
            out = (Weight("depthwise_kernel", tuple(cfg.kernel) + (channels, mult)),)
        else:
            out = (Weight("weight", (channels * mult, Integer(1)) + tuple(cfg.kernel)),)
        if cfg.bias:
            out += (Weight("bias", (channels * mult,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        return product(out) * product(cfg.kernel)


@register
class SeparableConv(_Windowed):
    keywords = ("sepconv", "sepconv1d", "sepconv2d", "separableconv")
    spatial_rank_of = {"sepconv1d": 1, "sepconv2d": 2}
    family = "conv"
    summary = "depthwise convolution (multiplier M) followed by a 1x1 convolution to F filters"
    formula = "prod(K)*C*M + C*M*F + F"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "multiplier": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True

    def kind_name(self, keyword, shape):
        return f"sepconv{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        self.check_padding(cfg, ctx)
        self.check_framework("sepconv", cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        channels, mult = shape[-1], cfg.multiplier
        ones = (Integer(1),) * len(cfg.kernel)
        out = (Weight("depthwise_kernel", tuple(cfg.kernel) + (channels, mult)),
               Weight("pointwise_kernel", ones + (channels * mult, cfg.filters)))
        if cfg.bias:
            out += (Weight("bias", (cfg.filters,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """The depthwise pass, then the 1x1 pointwise pass, both at the output positions."""
        return product(out[:-1]) * shape[-1] * cfg.multiplier * (product(cfg.kernel) + cfg.filters)


@register
class TransposedConv(_Windowed):
    keywords = ("deconv", "deconv1d", "deconv2d", "deconv3d", "convtranspose")
    spatial_rank_of = {"deconv1d": 1, "deconv2d": 2, "deconv3d": 3}
    family = "conv"
    summary = "transposed convolution with F filters of size K"
    formula = "prod(K)*C*F/groups + F"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "output_padding": Opt(NONNEG_WINDOW, None), "groups": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True

    def kind_name(self, keyword, shape):
        return f"deconv{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        ctx.require(divides(cfg.groups, shape[-1]), f"groups={cfg.groups} does not divide the {shape[-1]} input channels")
        ctx.require(divides(cfg.groups, cfg.filters), f"groups={cfg.groups} does not divide the {cfg.filters} filters")
        self.check_framework("deconv", cfg, shape, ctx)
        if cfg.padding == "same" and not conventions.transposed_conv_uses_keras_rules(ctx.convention):
            raise DefinitionError("PyTorch transposed convolutions have no padding='same'; give an explicit padding")
        if cfg.padding not in ("valid", "same"):
            problem = conventions.explicit_padding_error("deconv", ctx.convention)
            if problem:
                raise DefinitionError(problem)
        if cfg.output_padding is not None:
            problem = conventions.output_padding_error(cfg.output_padding, cfg.stride, cfg.dilation, ctx.convention)
            if problem:
                raise DefinitionError(problem)

    def output_shape(self, cfg, shape, ctx):
        keras_rules = conventions.transposed_conv_uses_keras_rules(ctx.convention)
        out = []
        for axis, size in enumerate(shape[:-1]):
            pad = cfg.padding if cfg.padding in ("valid", "same") else cfg.padding[axis]
            op = cfg.output_padding[axis] if cfg.output_padding is not None else None
            length = transposed_conv_length(size, cfg.kernel[axis], cfg.stride[axis], pad, op, cfg.dilation[axis],
                                            keras_rules=keras_rules)
            ctx.require_positive(length, f"padding {pad} is too large for the {spatial_text(shape)} input")
            out.append(length)
        return tuple(out) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        channels = shape[-1]
        if ctx.convention == KERAS:
            kernel = tuple(cfg.kernel) + (cfg.filters / cfg.groups, channels)
            out = (Weight("kernel", kernel),)
        else:
            out = (Weight("weight", (channels, cfg.filters / cfg.groups) + tuple(cfg.kernel)),)
        if cfg.bias:
            out += (Weight("bias", (cfg.filters,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """Each input position scatters its C values through the whole kernel."""
        return product(shape) * cfg.filters / cfg.groups * product(cfg.kernel)

    def receptive(self, cfg, shape, out, ctx):
        return "unknown"

