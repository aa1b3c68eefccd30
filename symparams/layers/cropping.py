"""cropping: P cells cut from both sides of each spatial axis (Q after with after=Q), as Keras' Cropping1D/2D/3D;
in PyTorch a ConstantPad with negative amounts (nn.ZeroPad2d((-1, 1, -1, 1)) in NASNet and PNASNet is a crop of
one row and column before and a zero row and column after: `cropping 1 after=0` then `zeropad 0 after=1`)."""

from __future__ import annotations

from ..numeric import integer
from .base import NONNEG_WINDOW, Arg, Opt, by_rank, register
from .core import ZeroPad
from .text import ints, window


@register
class Cropping(ZeroPad):
    keywords = ("cropping", "cropping1d", "cropping2d", "cropping3d")
    pytorch_classes: dict = {}          # PyTorch crops with a negative ConstantPad (read by zeropad's import)
    keras_classes = by_rank("cropping", "Cropping{}D")
    spatial_rank_of = {"cropping1d": 1, "cropping2d": 2, "cropping3d": 3}
    summary = ("P cells cut from both sides of each spatial axis (after=Q: P before and Q after; Keras' Cropping, "
               "PyTorch's padding by negative amounts)")
    arguments = (Arg("padding", NONNEG_WINDOW, doc="P: cells cut before (and after) on each spatial axis"),)
    options = {"after": Opt(NONNEG_WINDOW, None, doc="Q: cells cut after, when not P")}

    def kind_name(self, keyword, shape):
        return f"cropping{len(shape) - 1}d"

    def configure(self, cfg, shape, ctx):
        after = cfg.after if cfg.after is not None else cfg.padding
        for size, p, q in zip(shape[:-1], cfg.padding, after):
            ctx.require_positive(size - p - q, lambda size=size, p=p, q=q:
                                 f"cropping {p} before and {q} after leaves nothing of the axis of size {size}")

    def receptive(self, cfg, shape, out, ctx):
        """Each output cell is one input cell, P further on: a padding of -P."""
        return tuple((integer(1), integer(1), -p) for p in cfg.padding)

    def output_shape(self, cfg, shape, ctx):
        after = cfg.after if cfg.after is not None else cfg.padding
        return tuple(s - p - q for s, p, q in zip(shape[:-1], cfg.padding, after)) + (shape[-1],)

    def emit_torch(self, row, out):
        """A ConstantPad by the negated amounts: PyTorch's own crop (a new tensor, as NASNet's ZeroPad2d makes)."""
        cfg = row.config
        after = cfg.get("after") or cfg.padding
        return out.wrap(row, out.pad_module(len(row.input_shape) - 1, [-p for p in ints(cfg.padding)],
                                            [-q for q in ints(after)], 0.0))

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        after = cfg.get("after") or cfg.padding
        crops = tuple(zip(ints(cfg.padding), ints(after)))
        return out.emit(f"layers.Cropping{n}D({crops if n > 1 else crops[0]}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return None                     # a negative ConstantPad: ZeroPad.import_torch writes this kind

    def import_keras(self, layer, r):
        """Keras' Cropping layer (one read only by a Concatenate is that concat's centre crop instead)."""
        if not r.cls(layer).startswith("Cropping"):
            return None
        crops = layer.cropping if isinstance(layer.cropping[0], (tuple, list)) else (layer.cropping,)
        before, after = [int(c[0]) for c in crops], [int(c[1]) for c in crops]
        return f"cropping {window(before)}" + (f" after={window(after)}" if before != after else "")
