"""maxunpool: PyTorch's MaxUnpool, the partial inverse of a max pooling. Each value goes back to the position
its window's maximum came from (the indices a MaxPool with return_indices=True gives), zeros elsewhere: an
H x W x C map becomes ((H − 1)·s − 2p + k) x ((W − 1)·s − 2p + k) x C, with no weights (SegNet's decoder,
torchinfo's autoencoder). `indices=NAME` names the maxpool whose indices it reads: the counts need no
indices, the PyTorch export does (the pool is then written with return_indices=True). Keras has no such
layer."""

from __future__ import annotations

from ..algebra import product
from ..errors import DefinitionError
from .base import NONNEG_WINDOW, STRING, WINDOW, Arg, LayerSpec, Opt, by_rank, register
from .text import ints, window, window_text

KEEP_INDICES = {"KeepIndices": '''
class KeepIndices(nn.Module):
    """A max pooling with return_indices=True that returns the pooled map and keeps the indices for the
    MaxUnpool that reads them (MaxUnpoolFrom)."""
    def __init__(self, pool):
        super().__init__()
        self.pool = pool
        self.indices = None

    def forward(self, x):
        y, self.indices = self.pool(x)
        return y
'''}
UNPOOL_FROM = {"MaxUnpoolFrom": '''
class MaxUnpoolFrom(nn.Module):
    """An nn.MaxUnpool reading the indices its max pooling (a KeepIndices) kept in this forward pass."""
    def __init__(self, source, name, unpool):
        super().__init__()
        while not isinstance(source, KeepIndices):      # under a layout adapter (ChannelsFirst)
            source = source.module
        self.__dict__["source"] = source        # not registered: the pool is its own layer
        self.name = name                        # the pool's name, for symparams import
        self.unpool = unpool

    def forward(self, x):
        return self.unpool(x, self.source.indices)
'''}


def unpooled(row, rows) -> bool:
    """Whether a maxunpool among `rows` reads the indices of the maxpool `row`."""
    return any(r.config.get("keyword") == "maxunpool" and r.config.get("indices") == row.name for r in rows)


@register
class MaxUnpool(LayerSpec):
    keywords = ("maxunpool", "maxunpool1d", "maxunpool2d", "maxunpool3d")
    pytorch_classes = by_rank("maxunpool", "MaxUnpool{}d")
    keras_classes = {}
    spatial_rank_of = {"maxunpool1d": 1, "maxunpool2d": 2, "maxunpool3d": 3}
    summary = ("max unpooling (PyTorch's MaxUnpool): each value back where its max pool's maximum was, zeros "
               "elsewhere; H -> (H − 1)·s − 2p + P per axis; indices=NAME: that maxpool's")
    formula = "0"
    arguments = (Arg("pool", WINDOW, required=False, default=2),)
    options = {"stride": Opt(WINDOW, None), "padding": Opt(NONNEG_WINDOW, 0),
               "indices": Opt(STRING, None, doc="the maxpool (its name) whose indices it reads")}
    min_rank = 2
    diagram = "pool"
    torch_helpers = {**KEEP_INDICES, **UNPOOL_FROM}
    unsupported = {"keras": "Keras has no max unpooling layer (nor pooling that returns its indices)"}

    def kind_name(self, keyword, shape):
        return f"maxunpool{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        if cfg.stride is None:
            cfg["stride"] = cfg.pool            # PyTorch: the stride defaults to the kernel size

    def output_shape(self, cfg, shape, ctx):
        out = []
        for axis, size in enumerate(shape[:-1]):
            length = (size - 1) * cfg.stride[axis] - 2 * cfg.padding[axis] + cfg.pool[axis]
            ctx.require_positive(length, lambda: f"maxunpool {window_text(cfg.pool)} with padding "
                                                 f"{window_text(cfg.padding)} leaves no output on its input")
            out.append(length)
        return tuple(out) + (shape[-1],)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per input value: placed at its index (the output's other values are zeros)."""
        return product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """'unknown': where a value lands depends on the data (its pool's maxima)."""
        return "unknown"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Nothing of its own: its backward gathers the gradient at the indices, which its max pool keeps
        already (the same tensor)."""
        return ()

    def emit_torch(self, row, out):
        cfg, n = row.config, len(row.input_shape) - 1
        source = out.by_row_name.get(cfg.indices) if cfg.indices is not None else None
        if source is None:
            raise DefinitionError(f"{row.name} (line {row.line}): maxunpool is written as PyTorch with the indices of "
                                  "its max pooling: name that earlier maxpool with indices=NAME")
        text = (f"nn.MaxUnpool{n}d({window_text(cfg.pool)}"
                + (f", stride={window_text(cfg.stride)}" if ints(cfg.stride) != ints(cfg.pool) else "")
                + (f", padding={window_text(cfg.padding)}" if set(ints(cfg.padding)) != {0} else "") + ")")
        out.helper(self.torch_helpers, "MaxUnpoolFrom")
        return out.wrap(row, f"MaxUnpoolFrom(self.{source[0]}, {source[0]!r}, {text})")

    def keep_indices(self, row, out, text: str) -> str:
        """A maxpool's module text when a maxunpool reads its indices: return_indices=True under KeepIndices
        (the caller wraps it in the model's layout as usual)."""
        if row.config.padding == "same" or not text.startswith("nn.MaxPool"):
            raise DefinitionError(f"{row.name} (line {row.line}): a maxunpool reads this maxpool's indices, which "
                                  "PyTorch gives for its own padding only (not padding=same or Keras' zeros)")
        out.helper(self.torch_helpers, "KeepIndices")
        return f"KeepIndices({text[:-1]}, return_indices=True))"

    def import_torch(self, module, r):
        indices = None
        if r.cls(module) == "MaxUnpoolFrom":
            module, indices = module.unpool, module.name
        if not isinstance(module, r.nn.modules.pooling._MaxUnpoolNd):
            return None
        text = f"maxunpool {window(module.kernel_size)}"
        if window(module.stride) != window(module.kernel_size):
            text += f" stride={window(module.stride)}"
        if window(module.padding) != "0":
            text += f" padding={window(module.padding)}"
        return text + (f" indices={indices}" if indices else "")
