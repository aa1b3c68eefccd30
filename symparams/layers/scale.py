"""Per-channel scaling: layerscale (learned), normalization (Keras Normalization: statistics),
rescaling (a constant)."""

from __future__ import annotations

from .. import conventions
from ..algebra import product
from .base import BOOL, NUMBER, Arg, LayerSpec, Opt, Saved, Weight, named, register
from .text import one


def _number_text(value) -> str:
    """A scale or offset as the DSL and the frameworks read it back."""
    return str(value) if value.is_Integer else repr(float(value))


@register
class LayerScale(LayerSpec):
    keywords = ("layerscale",)
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes = {}
    keras_classes = {}
    summary = "a learned per-channel scale on the last axis (ConvNeXt, CaiT)"
    formula = "D"
    diagram = "norm"
    letters = {"input": "D"}
    torch_helpers = {"LayerScale": '''
class LayerScale(nn.Module):
    """A learned scale per channel (the last axis of channels-last input)."""
    def __init__(self, dim, channels_first=False):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), 1e-6))
        self.channels_first = channels_first

    def forward(self, x):
        if self.channels_first:
            return x * self.gamma.view(1, -1, *([1] * (x.dim() - 2)))
        return x * self.gamma
'''}
    keras_helpers = {"LayerScale": '''
class LayerScale(layers.Layer):
    """A learned scale per channel (as keras.applications.convnext writes it)."""
    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def weights(self, cfg, shape, ctx):
        return (Weight("gamma", (shape[-1],)),)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per value: the product with its channel's scale."""
        return product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """None: a learned scale per channel, position by position."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """x·γ keeps x for γ's gradient (none with γ frozen; γ itself is a parameter)."""
        return (Saved("input", of=("gamma",)),)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "LayerScale")
        first = ", channels_first=True" if len(row.input_shape) >= 3 else ""
        return f"LayerScale({one(row.input_shape[-1])}{first})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "LayerScale")
        return out.emit(f"LayerScale({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "layerscale" if r.cls(module) == "LayerScale" else None

    import_keras = import_torch


@register
class Normalization(LayerSpec):
    keywords = ("normalization",)
    pytorch_classes = {}
    keras_classes = named("normalization", "Normalization")
    summary = ("Keras Normalization on the last axis C: adapted, a mean, a variance and a sample count "
               "(2C + 1 non-trainable); 'fixed': given as constants (0)")
    formula = "2*C + 1 non-trainable; fixed: 0"
    options = {"fixed": Opt(BOOL, False, doc="mean and variance given as constants: no weights")}
    diagram = "norm"
    letters = {"input": "C"}
    torch_helpers = {"Normalization": '''
class Normalization(nn.Module):
    """(x - mean) / sqrt(variance) per channel, with the statistics as buffers (Keras Normalization)."""
    def __init__(self, channels, fixed=False, channels_first=True):
        super().__init__()
        self.fixed, self.channels_first = fixed, channels_first
        shape = (1, channels) if channels_first else (channels,)
        if fixed:
            self.mean, self.variance = 0.0, 1.0
        else:
            self.register_buffer("mean", torch.zeros(channels))
            self.register_buffer("variance", torch.ones(channels))
            self.register_buffer("count", torch.zeros(()))

    def forward(self, x):
        if self.fixed:
            return (x - self.mean) / self.variance ** 0.5
        view = (1, -1) + (1,) * (x.dim() - 2) if self.channels_first else (-1,)
        return (x - self.mean.view(view)) / self.variance.view(view).sqrt()
'''}

    def weights(self, cfg, shape, ctx):
        if cfg.fixed:
            return ()
        c, buffer = shape[-1], conventions.normalization_statistics(ctx.convention)
        return (Weight("mean", (c,), trainable=False, buffer=buffer),
                Weight("variance", (c,), trainable=False, buffer=buffer),
                Weight("count", (), trainable=False, buffer=buffer))

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value: subtract the mean, divide by the standard deviation."""
        return 2 * product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """None: a fixed shift and scale per channel, position by position."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """(x - mean) / sqrt(variance): the divisor, one per channel for the whole batch (made from the
        statistics each pass); nothing with constants (fixed)."""
        return () if cfg.fixed else (Saved("own", shape[-1], dtype="stat", per_example=False),)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Normalization")
        first = "" if len(row.input_shape) >= 3 else ", channels_first=False"
        return f"Normalization({one(row.input_shape[-1])}" + (", fixed=True" if row.config.fixed else "") + f"{first})"

    def emit_keras(self, row, var, out):
        fixed = "mean=0.0, variance=1.0, " if row.config.fixed else ""
        return out.emit(f"layers.Normalization({fixed}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) != "Normalization":
            return None
        return "normalization fixed" if module.fixed else "normalization"

    def import_keras(self, layer, r):
        if r.cls(layer) != "Normalization":
            return None
        return "normalization" if layer.weights else "normalization fixed"


@register
class Rescaling(LayerSpec):
    keywords = ("rescaling",)
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes = {}
    keras_classes = named("rescaling", "Rescaling")
    summary = "multiplies by a constant S and adds an offset (Keras Rescaling): no weights"
    formula = "0"
    arguments = (Arg("scale", NUMBER, required=False, default=1),)
    options = {"offset": Opt(NUMBER, 0)}
    diagram = "plain"
    torch_helpers = {"Rescaling": '''
class Rescaling(nn.Module):
    """x * scale + offset (Keras Rescaling)."""
    def __init__(self, scale=1.0, offset=0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset
'''}

    def other_ops(self, cfg, shape, out, ctx):
        """1 per value (2 with an offset): the product and the sum."""
        return product(shape) * (2 if cfg.offset != 0 else 1)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        return ()

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Rescaling")
        return f"Rescaling({_number_text(row.config.scale)}, {_number_text(row.config.offset)})"

    def emit_keras(self, row, var, out):
        cfg = row.config
        return out.emit(f"layers.Rescaling({_number_text(cfg.scale)}, offset={_number_text(cfg.offset)}, "
                        f"{out.tag(row)})", var, row)

    def _text(self, scale, offset) -> str:
        text = "rescaling" + ("" if float(scale) == 1.0 else f" {float(scale)!r}")
        return text + ("" if float(offset) == 0.0 else f" offset={float(offset)!r}")

    def import_torch(self, module, r):
        return self._text(module.scale, module.offset) if r.cls(module) == "Rescaling" else None

    def import_keras(self, layer, r):
        return self._text(layer.scale, layer.offset) if r.cls(layer) == "Rescaling" else None
