"""dyt: Dynamic Tanh (Zhu et al. 2025, "Transformers without Normalization"), the element-wise
γ·tanh(α·x) + β that replaces LayerNorm: one learned scalar α and a scale γ and shift β on the last
axis, 2D + 1 weights. Neither framework ships it, so the kind writes its own module for both, with the
same weight names (nothing here differs between the conventions)."""

from __future__ import annotations

from ..algebra import product
from .base import LayerSpec, Saved, Weight, register
from .text import one


@register
class DynamicTanh(LayerSpec):
    keywords = ("dyt",)
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes = {}
    keras_classes = {}
    summary = "Dynamic Tanh γ·tanh(α·x) + β on the last axis D: a learned scalar α, scale and shift (LayerNorm's replacement)"
    formula = "2*D + 1"
    diagram = "norm"
    letters = {"input": "D"}
    torch_helpers = {"DyT": '''
class DyT(nn.Module):
    """gamma * tanh(alpha * x) + beta on the channels (Zhu et al. 2025)."""
    def __init__(self, dim, channels_first=False):
        super().__init__()
        self.alpha = nn.Parameter(torch.full((), 0.5))
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self.channels_first = channels_first

    def forward(self, x):
        shape = (1, -1) + (1,) * (x.dim() - 2) if self.channels_first else (-1,)
        return torch.tanh(self.alpha * x) * self.weight.view(shape) + self.bias.view(shape)
'''}
    keras_helpers = {"DyT": '''
class DyT(layers.Layer):
    """gamma * tanh(alpha * x) + beta on the last axis (Zhu et al. 2025)."""
    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), initializer=keras.initializers.Constant(0.5), name="alpha")
        self.weight = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="weight")
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="bias")

    def call(self, x):
        return keras.ops.tanh(self.alpha * x) * self.weight + self.bias

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def weights(self, cfg, shape, ctx):
        d = shape[-1]
        return (Weight("alpha", ()), Weight("weight", (d,)), Weight("bias", (d,)))

    def other_ops(self, cfg, shape, out, ctx):
        """4 per value: the product with α, tanh, the scale and the shift."""
        return 4 * product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """None: element-wise, position by position."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        # α·x keeps x for α's gradient (none with α frozen); tanh keeps its output, which the product with γ reads too
        return (Saved("input", of=("alpha",)), Saved("own", product(shape)))

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "DyT")
        first = ", channels_first=True" if len(row.input_shape) >= 3 else ""
        return f"DyT({one(row.input_shape[-1])}{first})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "DyT")
        return out.emit(f"DyT({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "dyt" if r.cls(module) == "DyT" else None

    import_keras = import_torch
