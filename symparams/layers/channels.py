"""Channel rearrangements without weights: slice (a run of channels: ShuffleNetV2's channel split, GhostNet,
CSP blocks) and shuffle (ShuffleNet's channel shuffle: G groups interleaved). Both act on the last axis
(channels last) and keep every other axis."""

from __future__ import annotations

from ..errors import DefinitionError
from .base import COUNT, INTEGER, Arg, LayerSpec, Opt, named, register
from .text import one


@register
class ChannelSlice(LayerSpec):
    keywords = ("slice",)
    pytorch_classes: dict = {}          # x[:, a:b] / torch.chunk / torch.split: functions, not classes
    keras_classes: dict = {}
    summary = "keeps S channels from start=A on (the last axis): H x W x C -> H x W x S (a channel split's part)"
    formula = "0"
    arguments = (Arg("size", COUNT, doc="S: how many channels"),)
    options = {"start": Opt(INTEGER, 0, doc="A: the first channel kept (0: the first)")}
    diagram = "plain"
    torch_helpers = {"ChannelSlice": '''
class ChannelSlice(nn.Module):
    """size channels from start on (dim 1 of channels-first maps, the last axis of sequences and vectors)."""
    def __init__(self, start, size, dim=1):
        super().__init__()
        self.start, self.size, self.dim = start, size, dim

    def forward(self, x):
        return x.narrow(self.dim, self.start, self.size)
'''}
    keras_helpers = {"ChannelSlice": '''
class ChannelSlice(layers.Layer):
    """size channels from start on (the last axis)."""
    def __init__(self, start, size, **kwargs):
        super().__init__(**kwargs)
        self.start, self.size = start, size

    def call(self, x):
        return x[..., self.start:self.start + self.size]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.size,)
'''}

    def configure(self, cfg, shape, ctx):
        start, size, c = cfg.start, cfg.size, shape[-1]
        ctx.require_positive(c - start - size + 1, lambda: f"slice {size} start={start} goes past the {c} channels")

    def output_shape(self, cfg, shape, ctx):
        return tuple(shape[:-1]) + (cfg.size,)

    def other_ops(self, cfg, shape, out, ctx):
        """0: a view of its input."""
        return 0 * cfg.size

    def output_is_view(self, cfg, shape, out, ctx):
        return True

    def output_layout(self, cfg, shape, out, ctx):
        """A vector's or a sequence's channels are its last axis in the export too: the slice is 'narrowed', rows of
        unit stride that a matrix product reads in place (no copy). On a map it depends on the input (view_layout)."""
        return "narrowed" if len(shape) <= 2 else None

    def view_layout(self, layout, shape=(), cfg=None, source=None):
        """On a channels-first map 'sliced' (strided, but each channel's positions one run of unit stride: flattened
        it is a view whose rows are narrowed); a channel slice of a subsample keeps its gaps between positions
        ('gapped', 'spaced': Subsample.view_layout), copied where its positions are merged (measured, torch 2.14:
        'subsample 2x1; slice 2; contextpool' keeps the copy its reshape makes)."""
        return layout if layout in ("gapped", "spaced") else "sliced"

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "ChannelSlice")
        dim = 1 if len(row.input_shape) >= 3 else -1
        return f"ChannelSlice({one(row.config.start)}, {one(row.config.size)}, dim={dim})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "ChannelSlice")
        return out.emit(f"ChannelSlice({one(row.config.start)}, {one(row.config.size)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) != "ChannelSlice":
            return None
        return f"slice {module.size}" + (f" start={module.start}" if module.start else "")

    import_keras = import_torch


@register
class ChannelShuffle(LayerSpec):
    keywords = ("shuffle",)
    pytorch_classes = named("shuffle", "ChannelShuffle")
    keras_classes: dict = {}
    summary = "channel shuffle with G groups (ShuffleNet): C = G x C/G channels read out transposed, C/G x G"
    formula = "0"
    arguments = (Arg("groups", COUNT, doc="G: the groups interleaved"),)
    diagram = "plain"
    torch_helpers = {"ChannelShuffle": '''
class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: (groups, C / groups) channels read out as (C / groups, groups)."""
    def __init__(self, groups, dim=1):
        super().__init__()
        self.groups, self.dim = groups, dim

    def forward(self, x):
        if self.dim == 1:       # torchvision's channel_shuffle: (b, g, c / g, ...), swap, back
            shape = x.shape
            x = x.reshape(shape[0], self.groups, shape[1] // self.groups, *shape[2:]).transpose(1, 2)
            return x.reshape(shape)
        x = x.movedim(self.dim, -1)
        shape = x.shape
        x = x.reshape(*shape[:-1], self.groups, shape[-1] // self.groups).transpose(-1, -2).reshape(shape)
        return x.movedim(-1, self.dim)
'''}
    keras_helpers = {"ChannelShuffle": '''
class ChannelShuffle(layers.Layer):
    """ShuffleNet's channel shuffle on the last axis."""
    def __init__(self, groups, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups

    def call(self, x):
        shape = keras.ops.shape(x)
        c = shape[-1]
        y = keras.ops.reshape(x, tuple(shape[:-1]) + (self.groups, c // self.groups))
        y = keras.ops.swapaxes(y, -1, -2)
        return keras.ops.reshape(y, shape)

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def configure(self, cfg, shape, ctx):
        groups, c = cfg.groups, shape[-1]
        ctx.require_divides(groups, c, f"shuffle {groups}: the groups do not divide the {c} channels",
                            f"shuffle: {groups} must divide the channels")

    def other_ops(self, cfg, shape, out, ctx):
        """0: values are moved, not computed."""
        return 0 * cfg.groups

    def output_is_view(self, cfg, shape, out, ctx):
        """With one group, or one channel per group, the transpose swaps an axis of size 1: PyTorch's reshape then
        returns a view of the input (the same storage), not a copy."""
        return bool(cfg.groups == 1 or cfg.groups == shape[-1])

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "ChannelShuffle")
        dim = 1 if len(row.input_shape) >= 3 else -1
        return f"ChannelShuffle({one(row.config.groups)}, dim={dim})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "ChannelShuffle")
        return out.emit(f"ChannelShuffle({one(row.config.groups)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "ChannelShuffle":
            groups = getattr(module, "groups", None)
            if not isinstance(groups, int):
                raise DefinitionError(f"'{r.name}': a channel shuffle without a whole number of groups")
            return f"shuffle {groups}"
        return None

    def import_keras(self, layer, r):
        return f"shuffle {layer.groups}" if r.cls(layer) == "ChannelShuffle" else None
