"""grn: ConvNeXt-V2's global response normalisation (Woo et al. 2023). Each channel's L2 norm over the
positions, divided by the mean of those norms over the channels, rescales the input; a learned scale γ
and shift β of C each, and the input added back: x + γ·(x·N(x)) + β, 2C weights. Neither framework ships
it (timm's GlobalResponseNorm is the reference PyTorch users have), so the kind writes its own module for
both, the PyTorch one under timm's class name, weight names and channels_last flag: the import reads
timm's module and the exported one alike."""

from __future__ import annotations

from ..algebra import product
from .base import LayerSpec, Saved, Weight, register
from .text import one


@register
class GlobalResponseNorm(LayerSpec):
    keywords = ("grn", "globalresponsenorm")
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes = {}
    keras_classes = {}
    summary = ("global response normalisation (ConvNeXt-V2) on the C channels of a map or sequence: "
               "x + γ·x·‖x‖/mean‖x‖ + β, a scale and a shift of C each")
    formula = "2*C"
    min_rank = 2
    diagram = "norm"
    letters = {"input": "C"}
    torch_helpers = {"GlobalResponseNorm": '''
class GlobalResponseNorm(nn.Module):
    """ConvNeXt-V2's GRN: x + weight * (x * N(x)) + bias, N(x) each channel's L2 norm over the positions
    divided by the channels' mean norm (timm's class name, weight names and channels_last flag)."""
    def __init__(self, dim, eps=1e-6, channels_last=True):
        super().__init__()
        self.eps, self.channels_last = eps, channels_last
        self.weight = nn.Parameter(torch.zeros(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        channel = x.dim() - 1 if self.channels_last else 1
        positions = [d for d in range(1, x.dim()) if d != channel]
        norm = torch.linalg.vector_norm(x, dim=positions, keepdim=True)
        scale = norm / (norm.mean(dim=channel, keepdim=True) + self.eps)
        shape = [1] * x.dim()
        shape[channel] = -1
        return x + self.bias.view(shape) + self.weight.view(shape) * (x * scale)
'''}
    keras_helpers = {"GRN": '''
class GRN(layers.Layer):
    """ConvNeXt-V2's GRN on the last axis: x + gamma * (x * N(x)) + beta, N(x) each channel's L2 norm over
    the positions divided by the channels' mean norm."""
    def __init__(self, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.eps = eps

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="gamma")
        self.beta = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="beta")

    def call(self, x):
        positions = list(range(1, len(x.shape) - 1))
        norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(x), axis=positions, keepdims=True))
        scale = norm / (keras.ops.mean(norm, axis=-1, keepdims=True) + self.eps)
        return x + self.beta + self.gamma * (x * scale)

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def weights(self, cfg, shape, ctx):
        c = shape[-1]
        return (Weight("gamma", (c,)), Weight("beta", (c,)))

    def other_ops(self, cfg, shape, out, ctx):
        """6 per value (the square and the sum of the norm, the product with N(x), the scale, the shift, the
        input added back) and 3 per channel plus 2 (the root, the mean over the channels, the division; ε)."""
        return 6 * product(shape) + 3 * shape[-1] + 2

    def receptive(self, cfg, shape, out, ctx):
        """'global': each output reads the norms of whole channels, every position of the map."""
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """For the input's gradient: the input and the norms (C) of vector_norm, the norms and the divisor
        (1) of the division, the scale N(x) (C) of x·N(x); x·N(x) for γ's gradient (not with γ frozen)."""
        c = shape[-1]
        return (Saved("input", for_input_grad=True), Saved("own", c, for_input_grad=True),
                Saved("own", 1, for_input_grad=True), Saved("own", c, for_input_grad=True),
                Saved("own", product(shape), of=("gamma",)))

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "GlobalResponseNorm")
        first = ", channels_last=False" if len(row.input_shape) >= 3 else ""
        return f"GlobalResponseNorm({one(row.input_shape[-1])}{first})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "GRN")
        return out.emit(f"GRN({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        # timm.layers.GlobalResponseNorm and the exported module (the same class name): channels_last=True
        # reads symparams' own layout (inside a block permuted to channels last), False a channels-first map
        return "grn" if r.cls(module) == "GlobalResponseNorm" else None

    def import_keras(self, layer, r):
        return "grn" if r.cls(layer) == "GRN" else None
