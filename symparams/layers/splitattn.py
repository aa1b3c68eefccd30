"""Split attention over R paths, as ResNeSt's split-attention block (Zhang et al. 2020, timm's SplitAttn) and
SKNet's selective kernel (Li et al. 2019, timm's SelectiveKernel) compute it: R maps of C channels each side by
side (R·C channels, path-major: path r is channels r·C .. r·C + C - 1, the layout of timm's
`x.reshape(B, R, C, H, W)` and of `torch.stack(paths, dim=1)` seen as one map), weighted per channel by a softmax
across the paths and summed. Two kinds without weights carry what no other kind says; the rest are convolutions,
norms and a product:

    mul { } { radixsum R; globalavgpool keepdims; conv A 1x1; batchnorm; relu; conv R*C 1x1; radixsoftmax R }
    radixsum R

- radixsum R: the R paths summed, R·C channels -> C (timm: `x.reshape(B, R, C, H, W).sum(1)`).
- radixsoftmax R [groups=G]: timm's RadixSoftmax(R, G): the R·C channels read as G groups of R paths of C/G
  (the layout a grouped 1x1 convolution gives), a softmax across the R paths of each channel, written back
  path-major (R, G, C/G) for the product with the paths; R = 1 is the sigmoid, as timm's.

Both act on the last axis (the channels) at each position; neither has weights. Keras has no such layers: both
export helper layers under the same class names, read back by the import."""

from __future__ import annotations

from ..algebra import product
from .base import COUNT, Arg, LayerSpec, Opt, Saved, register
from .text import one


def _channel_dim(row) -> int:
    """The channels' axis of the exported PyTorch tensor: 1 on a channels-first map, the last otherwise."""
    return 1 if len(row.input_shape) >= 3 else -1


@register
class RadixSum(LayerSpec):
    keywords = ("radixsum",)
    pytorch_classes: dict = {}          # x.reshape(B, R, C, H, W).sum(1): tensor methods, not a class
    keras_classes: dict = {}
    summary = "the R paths of a split attention summed (ResNeSt, SKNet): R·C channels, path-major -> C"
    formula = "0"
    arguments = (Arg("radix", COUNT, doc="R: the paths side by side on the channels"),)
    diagram = "merge"
    letters = {"input": "C", "radix": "R"}
    torch_helpers = {"RadixSum": '''
class RadixSum(nn.Module):
    """The radix paths side by side on the channels (path-major) summed: R*C channels -> C."""
    def __init__(self, radix, dim=1):
        super().__init__()
        self.radix, self.dim = radix, dim

    def forward(self, x):
        d = self.dim % x.dim()
        shape = list(x.shape)
        return x.reshape(shape[:d] + [self.radix, shape[d] // self.radix] + shape[d + 1:]).sum(d)
'''}
    keras_helpers = {"RadixSum": '''
class RadixSum(layers.Layer):
    """The radix paths side by side on the last axis (path-major) summed: R*C channels -> C."""
    def __init__(self, radix, **kwargs):
        super().__init__(**kwargs)
        self.radix = radix

    def call(self, x):
        shape = keras.ops.shape(x)
        return keras.ops.sum(keras.ops.reshape(x, tuple(shape[:-1]) + (self.radix, shape[-1] // self.radix)),
                             axis=-2)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // self.radix,)
'''}

    def configure(self, cfg, shape, ctx):
        radix, c = cfg.radix, shape[-1]
        ctx.require_divides(radix, c, f"radixsum {radix}: the paths do not divide the {c} channels",
                            f"radixsum: {radix} must divide the channels")

    def output_shape(self, cfg, shape, ctx):
        return tuple(shape[:-1]) + (shape[-1] / cfg.radix,)

    def other_ops(self, cfg, shape, out, ctx):
        """(R − 1)·C per position: the additions of the paths."""
        return product(out) * (cfg.radix - 1)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Nothing: a sum's gradient is its output's, spread back over the paths."""
        return ()

    def output_is_view(self, cfg, shape, out, ctx):
        """With one path the sum over an axis of size 1 is still a new tensor (torch.sum copies)."""
        return False

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "RadixSum")
        return f"RadixSum({one(row.config.radix)}, dim={_channel_dim(row)})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "RadixSum")
        return out.emit(f"RadixSum({one(row.config.radix)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"radixsum {int(module.radix)}" if r.cls(module) == "RadixSum" else None

    import_keras = import_torch


@register
class RadixSoftmax(LayerSpec):
    keywords = ("radixsoftmax",)
    pytorch_classes: dict = {}          # timm's RadixSoftmax is read by the import (it is no torch.nn class)
    keras_classes: dict = {}
    summary = ("timm's RadixSoftmax: the R·C channels as G groups of R paths, a softmax across the paths, written "
               "back path-major (the weights of a split attention); R = 1: the sigmoid")
    formula = "0"
    arguments = (Arg("radix", COUNT, doc="R: the paths the softmax runs across"),)
    options = {"groups": Opt(COUNT, 1, doc="G: the cardinality, groups of the grouped 1x1 convolution before")}
    diagram = "plain"
    letters = {"input": "C", "radix": "R", "groups": "G"}
    torch_helpers = {"RadixSoftmax": '''
class RadixSoftmax(nn.Module):
    """timm's RadixSoftmax (its class name and attributes): the channels as (cardinality, radix, rest), a softmax
    across the radix, written back (radix, cardinality, rest); radix 1 is the sigmoid."""
    def __init__(self, radix, cardinality=1, dim=1):
        super().__init__()
        self.radix, self.cardinality, self.dim = radix, cardinality, dim

    def forward(self, x):
        if self.radix == 1:
            return torch.sigmoid(x)
        d = self.dim % x.dim()
        shape = list(x.shape)
        x = x.reshape(shape[:d] + [self.cardinality, self.radix, -1] + shape[d + 1:])
        x = torch.softmax(x, dim=d + 1).transpose(d, d + 1)
        return x.reshape(shape)
'''}
    keras_helpers = {"RadixSoftmax": '''
class RadixSoftmax(layers.Layer):
    """timm's RadixSoftmax on the last axis: (cardinality, radix, rest), a softmax across the radix, written
    back (radix, cardinality, rest); radix 1 is the sigmoid."""
    def __init__(self, radix, cardinality=1, **kwargs):
        super().__init__(**kwargs)
        self.radix, self.cardinality = radix, cardinality

    def call(self, x):
        if self.radix == 1:
            return keras.ops.sigmoid(x)
        shape = keras.ops.shape(x)
        rest = shape[-1] // (self.radix * self.cardinality)
        y = keras.ops.reshape(x, tuple(shape[:-1]) + (self.cardinality, self.radix, rest))
        y = keras.ops.swapaxes(keras.ops.softmax(y, axis=-2), -3, -2)
        return keras.ops.reshape(y, shape)

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def configure(self, cfg, shape, ctx):
        radix, groups, c = cfg.radix, cfg.groups, shape[-1]
        ctx.require_divides(radix * groups, c, f"radixsoftmax {radix} groups={groups}: {radix}·{groups} does not "
                                               f"divide the {c} channels",
                            f"radixsoftmax: radix·groups must divide the channels")

    def other_ops(self, cfg, shape, out, ctx):
        """One per value: the softmax across the paths (the sigmoid with one path), as an activation counts."""
        return product(shape)

    def _view(self, cfg) -> bool:
        """Whether the output is the softmax's own result seen in another shape: the transpose moves only an
        axis of size 1 (one group), so the reshape is a view; the sigmoid's result is the output itself."""
        return bool(cfg.radix == 1 or cfg.groups == 1)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The softmax's (sigmoid's) result, for its gradient: the output itself when it is a view of it, else
        a tensor of its own (the reshape after the transpose copies)."""
        return (Saved("output"),) if self._view(cfg) else (Saved("own", product(shape)),)

    def output_layout(self, cfg, shape, out, ctx):
        """Radix 1 is torch.sigmoid, element-wise: its result keeps its input's strides (a recurrent layer's strided
        sequence stays strided: measured, torch 2.14); the softmax's result is a new tensor."""
        return None if cfg.radix == 1 else "contiguous"

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "RadixSoftmax")
        cfg = row.config
        return f"RadixSoftmax({one(cfg.radix)}, {one(cfg.groups)}, dim={_channel_dim(row)})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "RadixSoftmax")
        cfg = row.config
        return out.emit(f"RadixSoftmax({one(cfg.radix)}, {one(cfg.groups)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        """timm's RadixSoftmax and the exported module (the same class name and attributes). timm's views the
        whole tensor after the batch as (cardinality, radix, rest), the exported one the channels only: the same
        on the 1 x 1 x C map of a split attention, where timm uses it."""
        if r.cls(module) != "RadixSoftmax":
            return None
        radix, groups = int(module.radix), int(module.cardinality)
        return f"radixsoftmax {radix}" + (f" groups={groups}" if groups != 1 else "")

    import_keras = import_torch
