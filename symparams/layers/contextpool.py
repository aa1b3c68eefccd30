"""contextpool: global context pooling (Cao et al. 2019, GCNet; timm's GlobalContext with use_attn): a 1x1
convolution of the C channels to one logit per position (C weights and a bias), a softmax over all the positions,
and the channels' sum weighted by it: H x W x C -> C (1 x 1 x C with keepdims). timm's block then runs one or two
small MLPs on that context and multiplies the map by the gate of one (fuse_scale) or adds the other (fuse_add);
those are their own lines (conv, layernorm, an activation, `mul { } { }` / `add { } { }`), so the kind is the
pooling step alone. Neither framework ships it under a class: both exports write a helper, the PyTorch one with
timm's weight names (conv_attn), read back by the import."""

from __future__ import annotations

from ..algebra import product
from ..numeric import integer
from .base import BOOL, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one


@register
class ContextPool(LayerSpec):
    keywords = ("contextpool",)
    pytorch_classes: dict = {}          # timm's GlobalContext is read by the importer; torch.nn has none
    keras_classes: dict = {}
    summary = ("global context pooling (GCNet, timm's GlobalContext): a 1x1 convolution to one logit per position, "
               "a softmax over the positions, the channels summed with those weights: H x W x C -> C")
    formula = "C + 1"
    options = {"keepdims": Opt(BOOL, False, doc="keep the spatial axes as 1 x 1 (the gate's input in timm)")}
    min_rank = 3
    max_rank = 3
    diagram = "pool"
    letters = {"input": "C"}
    torch_helpers = {"ContextPool": '''
class ContextPool(nn.Module):
    """GCNet's context modelling (timm's GlobalContext's attention pooling, its weight names): a 1x1 convolution
    to one logit per position, a softmax over the positions, the channels' sum weighted by it."""
    def __init__(self, channels, keepdims=False):
        super().__init__()
        self.keepdims = keepdims
        self.conv_attn = nn.Conv2d(channels, 1, kernel_size=1, bias=True)

    def forward(self, x):
        b, c, h, w = x.shape
        attn = torch.softmax(self.conv_attn(x).reshape(b, 1, h * w), dim=-1).unsqueeze(3)
        context = x.reshape(b, c, h * w).unsqueeze(1) @ attn
        return context.view(b, c, 1, 1) if self.keepdims else context.view(b, c)
'''}
    keras_helpers = {"ContextPool": '''
class ContextPool(layers.Layer):
    """GCNet's context modelling on a channels-last map: a 1x1 convolution to one logit per position, a softmax
    over the positions, the channels' sum weighted by it."""
    def __init__(self, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims

    def build(self, input_shape):
        self.weight = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform", name="weight")
        self.bias = self.add_weight(shape=(1,), initializer="zeros", name="bias")

    def call(self, x):
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        flat = keras.ops.reshape(x, (-1, h * w, c))
        attn = keras.ops.softmax(keras.ops.matmul(flat, self.weight) + self.bias, axis=1)
        context = keras.ops.sum(flat * attn, axis=1)
        return keras.ops.reshape(context, (-1, 1, 1, c)) if self.keepdims else context

    def compute_output_shape(self, input_shape):
        c = input_shape[-1]
        return (input_shape[0], 1, 1, c) if self.keepdims else (input_shape[0], c)
'''}

    def output_shape(self, cfg, shape, ctx):
        return (integer(1), integer(1), shape[-1]) if cfg.keepdims else (shape[-1],)

    def weights(self, cfg, shape, ctx):
        # the names frozen= takes: the exported module's conv_attn.weight and conv_attn.bias, Keras' own two
        return (Weight("weight", (1, shape[-1])), Weight("bias", (1,)))

    def macs(self, cfg, shape, out, ctx):
        """2·H·W·C: the logit of each position (a 1x1 convolution to one channel), and the channels' sum weighted
        by the softmax (a matrix product of the C x HW map with the HW weights)."""
        return 2 * product(shape)

    def bias_adds(self, cfg, shape, out, ctx):
        return product(shape[:-1])

    def other_ops(self, cfg, shape, out, ctx):
        """1 per position: the softmax over the H·W logits."""
        return product(shape[:-1])

    def gradients(self, cfg, shape, out, ctx):
        """The convolution's kernel gradient and its input's; the weighted sum's for the map (its input) and for
        the softmax weights (computed from the input and the convolution's weights). Each H·W·C."""
        n = product(shape)
        return (Gradient(n, ("weight",)), Gradient(n, ("input",)), Gradient(n, ("input",)),
                Gradient(n, ("input", "weight", "bias")))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The input (the convolution's operand: Conv2d keeps a strided input as it is), the weighted sum's operand
        (x.reshape(b, c, h·w): the input itself where its positions merge into one axis; a copy of a subsample's
        map whose positions do not ('gapped': Subsample.view_layout), which the matrix product keeps. A channels-last
        map (a dense layer's result, 'strided') merges its positions) and the softmax's
        H·W weights (its own gradient and the sum's operand)."""
        return (Saved("input"), Saved("input", layout=("contiguous", "broadcast", "sliced", "spaced", "strided")),
                Saved("own", product(shape[:-1])))

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "ContextPool")
        keep = ", keepdims=True" if row.config.keepdims else ""
        return f"ContextPool({one(row.input_shape[-1])}{keep})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "ContextPool")
        keep = "keepdims=True, " if row.config.keepdims else ""
        return out.emit(f"ContextPool({keep}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) != "ContextPool":
            return None
        return "contextpool" + (" keepdims" if module.keepdims else "")

    import_keras = import_torch
