"""affine: a learned scale and shift per channel, α·x + β on the last axis (timm's Affine: ResMLP's normalisation
in place of a LayerNorm, with no statistics)."""

from __future__ import annotations

from ..algebra import product
from ..errors import DefinitionError
from .base import LayerSpec, Saved, Weight, register
from .text import one


@register
class Affine(LayerSpec):
    keywords = ("affine",)
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes: dict = {}          # timm's Affine is not a torch.nn class
    keras_classes: dict = {}
    summary = ("a learned scale and shift per channel on the last axis, α·x + β (timm's Affine: ResMLP's "
               "statistics-free norm)")
    formula = "2*D"
    diagram = "norm"
    letters = {"input": "D"}
    torch_helpers = {"Affine": '''
class Affine(nn.Module):
    """alpha * x + beta per channel (timm's Affine; dim 1 of channels-first maps, else the last axis)."""
    def __init__(self, dim, channels_first=False):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))
        self.channels_first = channels_first

    def forward(self, x):
        if self.channels_first:
            view = (1, -1) + (1,) * (x.dim() - 2)
            return torch.addcmul(self.beta.view(view), self.alpha.view(view), x)
        return torch.addcmul(self.beta, self.alpha, x)
'''}
    keras_helpers = {"Affine": '''
class Affine(layers.Layer):
    """alpha * x + beta per channel (the last axis)."""
    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="alpha")
        self.beta = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="beta")

    def call(self, x):
        return x * self.alpha + self.beta

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def weights(self, cfg, shape, ctx):
        return (Weight("alpha", (shape[-1],)), Weight("beta", (shape[-1],)))

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value: the product with its channel's scale and the shift."""
        return 2 * product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """None: a learned scale and shift per channel, position by position."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """addcmul(β, α, x) keeps x for α's gradient (nothing with α frozen; α and β are parameters)."""
        return (Saved("input", of=("alpha",)),)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Affine")
        first = ", channels_first=True" if len(row.input_shape) >= 3 else ""
        return f"Affine({one(row.input_shape[-1])}{first})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "Affine")
        return out.emit(f"Affine({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        """The exported Affine, and timm's (alpha and beta of shape 1 x 1 x D, on a B x T x D sequence)."""
        if r.cls(module) != "Affine":
            return None
        alpha, beta = getattr(module, "alpha", None), getattr(module, "beta", None)
        dims = [tuple(getattr(t, "shape", ())) for t in (alpha, beta)]
        if len(set(dims)) != 1 or not dims[0] or dims[0][:-1] not in ((), (1, 1)):
            raise DefinitionError(f"the module '{r.name}' (Affine) has an alpha and a beta of shapes "
                                  f"{tuple(getattr(alpha, 'shape', ()))} and {tuple(getattr(beta, 'shape', ()))}; "
                                  "symparams reads an Affine with one scale and one shift per channel")
        return "affine"

    def import_keras(self, layer, r):
        return "affine" if r.cls(layer) == "Affine" else None
