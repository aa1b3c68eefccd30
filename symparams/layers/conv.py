"""Convolutions: conv, dwconv (depthwise), sepconv (separable), deconv (transposed)."""

from __future__ import annotations

import functools
from dataclasses import replace

from ..numeric import integer
from .. import conventions
from ..algebra import as_int, product, ratio
from ..errors import DefinitionError
from ..wording import math_text   # messages write sizes as the summary does: (n − 2)x(n − 2)
from ..shapes import conv_length, dilated_kernel, same_padding_total, transposed_conv_length
from .base import (BOOL, COUNT, NONNEG_WINDOW, PADDING, WINDOW, Arg, Config, Context, Gradient, LayerSpec, Opt,
                   Saved, Weight, by_rank, register)
from .text import ints, one, window, window_text
from . import weightnorm, weightstd


def spatial_text(shape) -> str:
    return _axes_text(tuple(shape[:-1]))


@functools.lru_cache(maxsize=4096)
def _axes_text(axes) -> str:
    # cached: many layers share their spatial axes, and printing SymPy expressions is slow
    return "x".join(math_text(d) if d.is_Atom else f"({math_text(d)})" for d in axes)     # '(n − 2)x(n − 2)'


class Windowed(LayerSpec):
    """Shared by layers that slide a window over the spatial axes."""
    spatial_rank_of = {}
    min_rank = 2
    window_kind = "conv"
    diagram = "conv"

    def kind_name(self, keyword, shape):
        base = keyword.rstrip("123d") if keyword[-2:] in ("1d", "2d", "3d") else keyword
        return f"{base}{len(shape) - 1}d"

    limit_kind = "conv"         # what conventions.explicit_padding_error calls it

    def framework_problem(self, cfg, shape, framework):
        problem = conventions.keras_limitation(cfg, framework) or self.keras_refusal(cfg, shape, framework)
        if problem is None and cfg.padding not in ("valid", "same"):
            problem = conventions.explicit_padding_error(self.limit_kind, framework)
        return problem

    def keras_refusal(self, cfg, shape, framework) -> str | None:
        """What Keras 3 has no layer for in this kind (None: nothing beyond the shared limits)."""
        return None

    def check_framework(self, cfg: Config, shape: tuple, ctx: Context):
        problem = self.framework_problem(cfg, shape, ctx.convention)
        if problem:
            raise DefinitionError(problem)

    def check_padding(self, cfg: Config, ctx: Context):
        if cfg.padding == "same":
            problem = conventions.same_padding_error(self.window_kind, cfg.stride, ctx.convention)
            if problem:
                raise DefinitionError(problem)

    # -- frameworks: what every convolution writes and reads the same way -----------------
    def torch_conv(self, row, out, in_channels, out_channels, groups, bias: bool, kernel=None) -> tuple[str, str]:
        """(nn.ConvNd text, the padding module before it or None)."""
        cfg, n = row.config, len(row.input_shape) - 1
        kernel = cfg.kernel if kernel is None else kernel
        pad = out.strided_same_pad(row, kernel)
        text = (f"nn.Conv{n}d({in_channels}, {out_channels}, kernel_size={window_text(kernel)}"
                + out.window_opts(row.config, pad) + (f", groups={groups}" if groups != 1 else "")
                + ("" if bias else ", bias=False") + ")")
        return text, pad

    def keras_layer(self, row, var, out, head: str, extra: str = "") -> str:
        """layers.<head>(..., strides, padding, dilation, extra, bias, activation, name) after any explicit padding."""
        var = out.explicit_padding(row, var)
        pad_text, strides, dilation, bias = out.options(row.config)
        return out.emit(f"layers.{head}{strides}{pad_text}{dilation}{extra}{bias}{out.activation(row)}, "
                        f"{out.tag(row)})", var, row)

    @staticmethod
    def torch_opts(module) -> str:
        """stride=, padding= and dilation= of a PyTorch convolution, as DSL options."""
        text = ""
        if set(module.stride) != {1}:
            text += f" stride={window(module.stride)}"
        if isinstance(module.padding, str):
            if module.padding == "same":
                text += " padding=same"
        elif set(module.padding) != {0}:
            text += f" padding={window(module.padding)}"
        if set(module.dilation) != {1}:
            text += f" dilation={window(module.dilation)}"
        return text

    @staticmethod
    def keras_opts(layer, r) -> str:
        """stride=, padding= and dilation= of a Keras convolution (r.padding: a folded explicit padding)."""
        text = ""
        if layer.padding == "causal":
            raise DefinitionError(f"the Keras layer '{r.name}' has padding='causal' (all on the left); symparams' "
                                  "conv pads symmetrically (padding=same or a number)")
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise DefinitionError(f"the Keras layer '{r.name}' is channels first; symparams reads channels last")
        if set(layer.strides) != {1}:
            text += f" stride={window(layer.strides)}"
        if r.padding is not None:
            text += f" padding={window(r.padding)}"
        elif layer.padding == "same":
            text += " padding=same"
        if set(layer.dilation_rate) != {1}:
            text += f" dilation={window(layer.dilation_rate)}"
        return text

    def window_output(self, cfg: Config, shape: tuple, ctx: Context, window) -> list:
        out = []
        for axis, size in enumerate(shape[:-1]):
            pad = cfg.padding if cfg.padding in ("valid", "same") else cfg.padding[axis]
            dilation = cfg.dilation[axis] if "dilation" in cfg else 1
            length = conv_length(size, window[axis], cfg.stride[axis], pad, dilation)
            what = "kernel" if self.window_kind == "conv" else "pool size"
            ctx.require_positive(length, lambda: f"{what} {'x'.join(map(math_text, window))} does not fit its "
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
                before = integer(0)
            elif cfg.padding == "same":
                total = span - 1 if stride == 1 else same_padding_total(size, window[axis], stride, dilation)
                before = total // 2
            else:
                before = cfg.padding[axis]
            moves.append((span, stride, before))
        return tuple(moves)

    def bias_adds(self, cfg, shape, out, ctx):
        """One addition per output value of a layer with a bias (pooling has none)."""
        return product(out) if cfg.get("bias") else integer(0)


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """A convolution keeps its input (the weight is a parameter)."""
        return (self.kept_input(cfg, shape, style),)

    def kept_input(self, cfg, shape, style="pytorch") -> Saved:
        """The input, or, for PyTorch's padding='same' with an odd total padding d·(k - 1) on some
        axis, the copy it makes first with the odd zero after on those axes (the even part is the
        convolution's own padding), which it keeps instead."""
        if style != "pytorch" or self.window_kind != "conv" or cfg.get("padding") != "same":
            return Saved("input")
        window = cfg.kernel
        totals = [(cfg.dilation[axis] if "dilation" in cfg else 1) * (window[axis] - 1) for axis in range(len(window))]
        if not any(as_int(t) is not None and as_int(t) % 2 == 1 for t in totals):
            return Saved("input")           # symmetric (or symbolic: taken as symmetric)
        extra = [as_int(t) % 2 if as_int(t) is not None else 0 for t in totals]
        return Saved("own", product([size + e for size, e in zip(shape[:-1], extra)]) * shape[-1])

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence the export runs it channels first between two transposes: a convolution's
        result comes back as a strided view, a pool's laid out as its input was. A convolution of one
        input channel depends on its input (view_layout)."""
        if len(shape) != 2:
            return "contiguous"
        if self.window_kind != "conv":
            return None
        one = as_int(shape[-1]) == 1 and as_int(out[-1]) not in (1, None)
        return None if one and self.kept_input(cfg, shape).what == "input" else "strided"

    def view_layout(self, layout, shape=(), cfg=None, source=None):
        """A convolution of one channel of a contiguous (batch, T, 1) sequence: its transpose has the channel stride 1,
        which PyTorch's convolution reads as channels last, so it writes its result channels last and the transpose
        back is contiguous (measured, torch 2.14: 'input 8x1; conv 3 2 relu; dense 4' keeps no copy at batch 2). Any
        other input (a strided view, a free tensor's expand, the padded copy of padding='same') comes back strided, and so
        does a result of one channel (output_layout: a next convolution of it does not see channels last)."""
        if self.window_kind != "conv":
            return layout
        return "contiguous" if layout == "contiguous" and source == "contiguous" else "strided"

@register
class Conv(Windowed):
    keywords = ("conv", "conv1d", "conv2d", "conv3d")
    pytorch_classes = by_rank("conv", "Conv{}d", "LazyConv{}d")
    keras_classes = by_rank("conv", "Conv{}D", "Convolution{}D")
    spatial_rank_of = {"conv1d": 1, "conv2d": 2, "conv3d": 3}
    summary = "convolution with F filters of size K"
    formula = "F*(prod(K)*C/groups + 1); without bias F*prod(K)*C/groups; weight_norm=true or weight_std=scaled: + F"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "groups": Opt(COUNT, 1), "bias": Opt(BOOL, True), "weight_norm": weightnorm.OPTION,
               "weight_std": weightstd.OPTION}
    takes_activation = True
    letters = {"input": "C_in", "filters": "C_out"}
    keras_pad_folds = ("Conv1D", "Conv2D", "Conv3D")
    torch_helpers = weightstd.HELPERS

    def keras_refusal(self, cfg, shape, framework):
        return weightnorm.problem(cfg, framework) or weightstd.problem(cfg, framework)

    def configure(self, cfg, shape, ctx):
        channels = shape[-1]
        if cfg.groups != 1:     # 1 divides everything; skip formatting the messages (slow for SymPy)
            ctx.require_divides(cfg.groups, channels,
                                f"groups={cfg.groups} does not divide the {channels} input channels",
                                f"groups={cfg.groups} must divide the input channels {channels}")
            ctx.require_divides(cfg.groups, cfg.filters, f"groups={cfg.groups} does not divide the {cfg.filters} "
                                "filters", f"groups={cfg.groups} must divide the filters {cfg.filters}")
        self.check_padding(cfg, ctx)
        weightstd.check(cfg)
        self.check_framework(cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        per_group = ratio(shape[-1], cfg.groups)
        kernel_name, bias_name = conventions.weight_names(ctx.convention)
        kernel = Weight(kernel_name, conventions.conv_kernel(cfg.kernel, per_group, cfg.filters, ctx.convention))
        out = weightnorm.weights(cfg, kernel, cfg.filters, 0 if ctx.convention != "keras" else len(kernel.shape) - 1)
        if cfg.bias:
            out += (Weight(bias_name, (cfg.filters,)),)
        return out + weightstd.weights(cfg, len(kernel.shape))

    def _kernel_values(self, cfg, shape):
        return product(cfg.kernel) * shape[-1] / cfg.groups * cfg.filters

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """A convolution keeps its input (the weight is a parameter); weight_norm=true: the norms and the kernel
        it computes too (layers/weightnorm.py); weight_std: its statistics and the kernel it computes
        (layers/weightstd.py)."""
        kernel = self._kernel_values(cfg, shape)
        return (self.kept_input(cfg, shape, style),) + weightnorm.saved(cfg, kernel, cfg.filters, always=True) \
            + weightstd.saved(cfg, kernel, cfg.filters)

    def once_costs(self, cfg, shape, out, ctx):
        """weight_std: the kernel standardised once per forward pass (element operations; layers/weightstd.py)."""
        ops = weightstd.once_ops(cfg, self._kernel_values(cfg, shape), cfg.filters)
        return {"ops": ops} if ops else {}

    def macs(self, cfg, shape, out, ctx):
        """H_out·W_out·F·∏k·C/groups."""
        return product(out[:-1]) * cfg.filters * product(cfg.kernel) * shape[-1] / cfg.groups

    def emit_torch(self, row, out):
        cfg = row.config
        text, pad = self.torch_conv(row, out, one(row.input_shape[-1]), one(cfg.filters), one(cfg.groups), cfg.bias)
        return out.wrap(row, weightstd.torch_text(cfg, weightnorm.torch_text(cfg, text), out), pad=pad)

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        groups = f", groups={one(cfg.groups)}" if cfg.groups != 1 else ""
        return self.keras_layer(row, var, out, f"Conv{n}D({one(cfg.filters)}, {window_text(cfg.kernel)}", groups)

    def import_torch(self, module, r):
        conv = r.nn.modules.conv
        standardising = module if r.cls(module) == "StdConv" else None     # the export's weight_std helper
        if standardising is not None:
            module = module.conv
        if not isinstance(module, conv._ConvNd) or isinstance(module, conv._ConvTransposeNd):
            return None
        text = f"conv {r.num('filters', module.out_channels)} {window(module.kernel_size)}" + self.torch_opts(module)
        if module.groups != 1:
            text += f" groups={module.groups}"
        return text + ("" if module.bias is not None else " bias=false") + weightnorm.torch_option(module, r.name) \
            + weightstd.torch_option(standardising if standardising is not None else module, r.name)

    def import_keras(self, layer, r):
        if r.cls(layer) not in self.keras_pad_folds:
            return None
        groups = f" groups={layer.groups}" if layer.groups != 1 else ""
        return (f"conv {r.num('filters', layer.filters)} {window(layer.kernel_size)}{self.keras_opts(layer, r)}{groups}"
                f"{r.bias(layer)}{r.activation(layer)}")


    def backward_macs(self, cfg, shape, out, ctx, input_grad=True, counted=False):
        """Weight and input gradients, the forward's MACs each. torch.utils.flop_counter counts a
        grouped weight gradient as if it were not grouped: groups x the real products."""
        m = self.macs(cfg, shape, out, ctx)
        return (cfg.groups if counted else 1) * m + (m if input_grad else 0)

@register
class DepthwiseConv(Windowed):
    keywords = ("dwconv", "dwconv1d", "dwconv2d", "dwconv3d", "depthwiseconv")
    pytorch_classes = {}
    keras_classes = by_rank("dwconv", "DepthwiseConv{}D", ranks=(1, 2))
    spatial_rank_of = {"dwconv1d": 1, "dwconv2d": 2, "dwconv3d": 3}
    summary = "depthwise convolution: each input channel convolved with M filters of its own"
    formula = "prod(K)*C*M + C*M"
    arguments = (Arg("kernel", WINDOW),)
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "multiplier": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True
    limit_kind = "dwconv"

    def keras_refusal(self, cfg, shape, framework):
        if framework == conventions.KERAS and len(shape) - 1 == 3:
            return "Keras has no 3-D depthwise convolution (use --convention pytorch)"
        return None
    letters = {"input": "C_in"}
    keras_pad_folds = ("DepthwiseConv1D", "DepthwiseConv2D")
    unsupported = {"import_torch": "PyTorch has no depthwise layer: the export is an nn.Conv with groups=C, "
                                   "read back as conv ... groups=C (the same weights)"}

    def kind_name(self, keyword, shape):
        return f"dwconv{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        self.check_padding(cfg, ctx)
        self.check_framework(cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (shape[-1] * cfg.multiplier,)

    def weights(self, cfg, shape, ctx):
        channels, mult = shape[-1], cfg.multiplier
        out = (Weight(*conventions.depthwise_kernel(cfg.kernel, channels, mult, ctx.convention)),)
        if cfg.bias:
            out += (Weight("bias", (channels * mult,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """H_out·W_out·C·M·∏k."""
        return product(out) * product(cfg.kernel)

    def emit_torch(self, row, out):
        c, cfg = one(row.input_shape[-1]), row.config
        text, pad = self.torch_conv(row, out, c, c * one(cfg.multiplier), c, cfg.bias)
        return out.wrap(row, text, pad=pad)

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        mult = f", depth_multiplier={one(cfg.multiplier)}" if cfg.multiplier != 1 else ""
        return self.keras_layer(row, var, out, f"DepthwiseConv{n}D({window_text(cfg.kernel)}", mult)

    def import_keras(self, layer, r):
        if r.cls(layer) not in self.keras_pad_folds:
            return None
        mult = f" multiplier={layer.depth_multiplier}" if layer.depth_multiplier != 1 else ""
        return f"dwconv {window(layer.kernel_size)}{self.keras_opts(layer, r)}{mult}{r.bias(layer)}{r.activation(layer)}"


    def backward_macs(self, cfg, shape, out, ctx, input_grad=True, counted=False):
        """As Conv with groups = C (the flop counter's weight gradient: C x the real products)."""
        m = self.macs(cfg, shape, out, ctx)
        return (shape[-1] if counted else 1) * m + (m if input_grad else 0)

@register
class SeparableConv(Windowed):
    keywords = ("sepconv", "sepconv1d", "sepconv2d", "separableconv")
    pytorch_classes = {}
    keras_classes = by_rank("sepconv", "SeparableConv{}D", "SeparableConvolution{}D", ranks=(1, 2))
    spatial_rank_of = {"sepconv1d": 1, "sepconv2d": 2}
    summary = "depthwise convolution (multiplier M) followed by a 1x1 convolution to F filters"
    formula = "prod(K)*C*M + C*M*F + F"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "multiplier": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True
    limit_kind = "sepconv"
    letters = {"input": "C_in", "filters": "C_out"}
    keras_pad_folds = ("SeparableConv1D", "SeparableConv2D")

    def kind_name(self, keyword, shape):
        return f"sepconv{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        self.check_padding(cfg, ctx)
        self.check_framework(cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        channels, mult = shape[-1], cfg.multiplier
        ones = (integer(1),) * len(cfg.kernel)
        out = (Weight("depthwise_kernel", tuple(cfg.kernel) + (channels, mult)),
               Weight("pointwise_kernel", ones + (channels * mult, cfg.filters)))
        if cfg.bias:
            out += (Weight("bias", (cfg.filters,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """H_out·W_out·C·M·(∏k + F): the depthwise pass, then the 1x1 pointwise pass, at the output positions."""
        return product(out[:-1]) * shape[-1] * cfg.multiplier * (product(cfg.kernel) + cfg.filters)

    def emit_torch(self, row, out):
        cfg, n = row.config, len(row.input_shape) - 1
        c, m = one(row.input_shape[-1]), one(cfg.multiplier)
        depthwise, pad = self.torch_conv(row, out, c, c * m, c, False)
        text = (f"nn.Sequential({depthwise}, nn.Conv{n}d({c * m}, {one(cfg.filters)}, kernel_size=1"
                + ("" if cfg.bias else ", bias=False") + "))")
        return out.wrap(row, text, pad=pad)

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        mult = f", depth_multiplier={one(cfg.multiplier)}" if cfg.multiplier != 1 else ""
        return self.keras_layer(row, var, out, f"SeparableConv{n}D({one(cfg.filters)}, {window_text(cfg.kernel)}",
                                mult)

    def import_torch(self, module, r):
        """An nn.Sequential of a depthwise and a 1x1 convolution (what emit_torch writes)."""
        parts = list(module) if isinstance(module, r.nn.Sequential) else []
        if len(parts) != 2 or not all(isinstance(p, r.nn.modules.conv._ConvNd) for p in parts):
            return None
        dw, pw = parts
        text = f"sepconv {r.num('filters', pw.out_channels)} {window(dw.kernel_size)}" + self.torch_opts(dw)
        mult = dw.out_channels // dw.in_channels
        return text + (f" multiplier={mult}" if mult != 1 else "") + ("" if pw.bias is not None else " bias=false")

    def import_keras(self, layer, r):
        if r.cls(layer) not in self.keras_pad_folds:
            return None
        mult = f" multiplier={layer.depth_multiplier}" if layer.depth_multiplier != 1 else ""
        return (f"sepconv {r.num('filters', layer.filters)} {window(layer.kernel_size)}{self.keras_opts(layer, r)}"
                f"{mult}{r.bias(layer)}{r.activation(layer)}")


    def gradients(self, cfg, shape, out, ctx):
        """The depthwise pass as DepthwiseConv (its kernel's gradient counted C x by the flop counter, as a
        grouped one); the pointwise pass's kernel gradient, and its input's, which the depthwise pass computes
        from the layer's input and its kernel (no gradient when neither needs one)."""
        depthwise = product(out[:-1]) * shape[-1] * cfg.multiplier * product(cfg.kernel)
        pointwise = self.macs(cfg, shape, out, ctx) - depthwise
        return (Gradient(shape[-1] * depthwise, ("depthwise_kernel",)), Gradient(depthwise, ("input",)),
                Gradient(pointwise, ("pointwise_kernel",)), Gradient(pointwise, ("input", "depthwise_kernel")))

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, and the depthwise pass's output (the pointwise convolution's input); the input only where the
        depthwise pass is recorded (its input or its kernel needs a gradient)."""
        return (replace(self.kept_input(cfg, shape, style), of=("input", "depthwise_kernel")),
                Saved("own", product(out[:-1]) * shape[-1] * cfg.multiplier))

    def optimizer_shapes(self, cfg, shape, out, ctx):
        """The two passes as the convention's framework stores them (PyTorch: two Conv weights,
        (C·M, 1, *K) and (F, C·M, 1, ...)), which a factored optimiser factors over their last two axes."""
        cm, ones = shape[-1] * cfg.multiplier, (integer(1),) * len(cfg.kernel)
        shapes = [conventions.depthwise_kernel(tuple(cfg.kernel), shape[-1], cfg.multiplier, ctx.convention)[1],
                  conventions.conv_kernel(ones, cm, cfg.filters, ctx.convention)]
        return shapes + ([(cfg.filters,)] if cfg.bias else [])

@register
class TransposedConv(Windowed):
    keywords = ("deconv", "deconv1d", "deconv2d", "deconv3d", "convtranspose")
    pytorch_classes = by_rank("deconv", "ConvTranspose{}d", "LazyConvTranspose{}d")
    keras_classes = by_rank("deconv", "Conv{}DTranspose", "Convolution{}DTranspose")
    spatial_rank_of = {"deconv1d": 1, "deconv2d": 2, "deconv3d": 3}
    summary = "transposed convolution with F filters of size K"
    formula = "prod(K)*C*F/groups + F"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "output_padding": Opt(NONNEG_WINDOW, None), "groups": Opt(COUNT, 1), "bias": Opt(BOOL, True)}
    takes_activation = True
    limit_kind = "deconv"

    def keras_refusal(self, cfg, shape, framework):
        if framework == conventions.KERAS and as_int(cfg.get("groups", 1)) != 1:
            return "Keras transposed convolutions have no groups= (use --convention pytorch)"
        return None
    letters = {"input": "C_in", "filters": "C_out"}

    def kind_name(self, keyword, shape):
        return f"deconv{len(shape) - 1}d"

    def framework_problem(self, cfg, shape, framework):
        problem = super().framework_problem(cfg, shape, framework)
        if problem is None and cfg.output_padding is not None:
            problem = conventions.output_padding_error(cfg.output_padding, cfg.stride, cfg.dilation, framework)
        return problem

    def configure(self, cfg, shape, ctx):
        ctx.require_divides(cfg.groups, shape[-1], f"groups={cfg.groups} does not divide the {shape[-1]} input channels",
                            f"groups={cfg.groups} must divide the input channels {shape[-1]}")
        ctx.require_divides(cfg.groups, cfg.filters, f"groups={cfg.groups} does not divide the {cfg.filters} filters",
                            f"groups={cfg.groups} must divide the filters {cfg.filters}")
        if cfg.padding == "same" and not conventions.transposed_conv_uses_keras_rules(ctx.convention):
            raise DefinitionError("PyTorch transposed convolutions have no padding='same'; give an explicit padding")
        self.check_framework(cfg, shape, ctx)

    def output_shape(self, cfg, shape, ctx):
        keras_rules = conventions.transposed_conv_uses_keras_rules(ctx.convention)
        out = []
        for axis, size in enumerate(shape[:-1]):
            pad = cfg.padding if cfg.padding in ("valid", "same") else cfg.padding[axis]
            op = cfg.output_padding[axis] if cfg.output_padding is not None else None
            length = transposed_conv_length(size, cfg.kernel[axis], cfg.stride[axis], pad, op, cfg.dilation[axis],
                                            keras_rules=keras_rules)
            ctx.require_positive(length, lambda pad=pad: f"padding {pad} is too large for the {spatial_text(shape)} input")
            out.append(length)
        return tuple(out) + (cfg.filters,)

    def weights(self, cfg, shape, ctx):
        kernel_name, bias_name = conventions.weight_names(ctx.convention)
        kernel = conventions.transposed_kernel(cfg.kernel, shape[-1], ratio(cfg.filters, cfg.groups), ctx.convention)
        out = (Weight(kernel_name, kernel),)
        if cfg.bias:
            out += (Weight(bias_name, (cfg.filters,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """H_in·W_in·C·F/groups·∏k: each input position scatters its C values through the whole kernel."""
        return product(shape) * cfg.filters / cfg.groups * product(cfg.kernel)

    def receptive(self, cfg, shape, out, ctx):
        return "unknown"

    def emit_torch(self, row, out):
        cfg, shape, n = row.config, row.input_shape, len(row.input_shape) - 1
        padding, output_padding = cfg.padding, cfg.output_padding
        if conventions.transposed_conv_uses_keras_rules(out.convention):
            padding, output_padding = self._keras_sized(row, out)
        text = (f"nn.ConvTranspose{n}d({one(shape[-1])}, {one(cfg.filters)}, kernel_size={window_text(cfg.kernel)}"
                + (f", stride={window_text(cfg.stride)}" if set(ints(cfg.stride)) != {1} else "")
                + (f", padding={window_text(padding)}" if padding != "valid" else "")
                + (f", output_padding={window_text(output_padding)}" if output_padding is not None else "")
                + (f", groups={one(cfg.groups)}" if cfg.groups != 1 else "")
                + ("" if cfg.bias else ", bias=False")
                + (f", dilation={window_text(cfg.dilation)}" if set(ints(cfg.dilation)) != {1} else "") + ")")
        return out.wrap(row, text)

    @staticmethod
    def _keras_sized(row, out):
        """PyTorch padding and output_padding giving a Keras-sized transposed convolution (the same
        output length; Keras crops 'same' outputs asymmetrically, so values at the edges may differ)."""
        cfg, shape = row.config, row.input_shape
        pads, extras = [], []
        for axis, size in enumerate(shape[:-1]):
            s, d, k = one(cfg.stride[axis]), one(cfg.dilation[axis]), one(cfg.kernel[axis])
            rest = one(row.output_shape[axis]) - ((one(size) - 1) * s + d * (k - 1) + 1)   # = output_padding - 2p
            p = 0 if rest >= 0 else (1 - rest) // 2
            extra = rest + 2 * p
            if extra >= max(s, d):
                raise out.unsupported("this Keras-sized transposed convolution")
            pads.append(p)
            extras.append(extra)
        return (pads if any(pads) else "valid"), (extras if any(extras) else None)

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        op = f", output_padding={window_text(cfg.output_padding)}" if cfg.output_padding is not None else ""
        pad_text, strides, dilation, bias = out.options(cfg)
        return out.emit(f"layers.Conv{n}DTranspose({one(cfg.filters)}, {window_text(cfg.kernel)}{strides}{pad_text}{op}"
                        f"{dilation}{bias}{out.activation(row)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if not isinstance(module, r.nn.modules.conv._ConvTransposeNd):
            return None
        text = f"deconv {r.num('filters', module.out_channels)} {window(module.kernel_size)}"
        if set(module.stride) != {1}:
            text += f" stride={window(module.stride)}"
        if set(module.padding) != {0}:
            text += f" padding={window(module.padding)}"
        if set(module.output_padding) != {0}:
            text += f" output_padding={window(module.output_padding)}"
        if set(module.dilation) != {1}:
            text += f" dilation={window(module.dilation)}"
        if module.groups != 1:
            text += f" groups={module.groups}"
        return text + ("" if module.bias is not None else " bias=false")

    def import_keras(self, layer, r):
        if r.cls(layer) not in ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
            return None
        op = f" output_padding={window(layer.output_padding)}" if layer.output_padding is not None else ""
        return (f"deconv {r.num('filters', layer.filters)} {window(layer.kernel_size)}{self.keras_opts(layer, r)}{op}"
                f"{r.bias(layer)}{r.activation(layer)}")
    def backward_macs(self, cfg, shape, out, ctx, input_grad=True, counted=False):
        """As Conv (the flop counter counts the grouped weight gradient groups x)."""
        m = self.macs(cfg, shape, out, ctx)
        return (cfg.groups if counted else 1) * m + (m if input_grad else 0)

