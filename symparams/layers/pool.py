"""Pooling and strided subsampling: maxpool, avgpool, global pools, subsample, channelpad."""

from __future__ import annotations

from sympy import Integer

from .. import conventions
from ..algebra import ceil_div, product
from ..errors import DefinitionError, ShapeError
from .base import COUNT, PADDING, WINDOW, Arg, LayerSpec, Opt, register
from .conv import _Windowed


class _Pool(_Windowed):
    family = "pool"
    window_kind = "pool"
    arguments = (Arg("pool", WINDOW, required=False, default=2),)
    options = {"stride": Opt(WINDOW, None), "padding": Opt(PADDING, "valid")}
    formula = "0"

    def configure(self, cfg, shape, ctx):
        if cfg.stride is None:
            cfg["stride"] = cfg.pool        # Keras and PyTorch: the stride defaults to the pool size
        self.check_padding(cfg, ctx)
        if cfg.padding not in ("valid", "same"):
            problem = conventions.pool_padding_error(cfg.padding, cfg.pool, ctx.convention)
            if problem:
                raise DefinitionError(problem)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.pool)) + (shape[-1],)

    def other_ops(self, cfg, shape, out, ctx):
        """One compare (max) or add (average) per window element of each output value."""
        return product(out) * product(cfg.pool)


@register
class MaxPool(_Pool):
    keywords = ("maxpool", "maxpool1d", "maxpool2d", "maxpool3d")
    spatial_rank_of = {"maxpool1d": 1, "maxpool2d": 2, "maxpool3d": 3}
    summary = "maximum over each P window; stride defaults to P"


@register
class AvgPool(_Pool):
    keywords = ("avgpool", "avgpool1d", "avgpool2d", "avgpool3d")
    spatial_rank_of = {"avgpool1d": 1, "avgpool2d": 2, "avgpool3d": 3}
    summary = "average over each P window; stride defaults to P"

    def configure(self, cfg, shape, ctx):
        super().configure(cfg, shape, ctx)
        problem = conventions.avgpool3d_window_error(shape[:-1], cfg.pool, ctx.convention)
        if problem:
            raise ShapeError(problem)


class _GlobalPool(LayerSpec):
    family = "pool"
    min_rank = 2
    formula = "0"

    def kind_name(self, keyword, shape):
        return f"{keyword}{len(shape) - 1}d"

    def output_shape(self, cfg, shape, ctx):
        return (shape[-1],)

    def other_ops(self, cfg, shape, out, ctx):
        return product(shape)


@register
class GlobalAvgPool(_GlobalPool):
    keywords = ("globalavgpool",)
    summary = "average over all spatial positions: H x W x C -> C"


@register
class GlobalMaxPool(_GlobalPool):
    keywords = ("globalmaxpool",)
    summary = "maximum over all spatial positions: H x W x C -> C"


@register
class Subsample(LayerSpec):
    keywords = ("subsample",)
    family = "pool"
    summary = "keep every S-th position (x[::S, ::S]); the parameter-free ResNet option-A shortcut"
    formula = "0"
    arguments = (Arg("stride", WINDOW),)
    min_rank = 2

    def output_shape(self, cfg, shape, ctx):
        return tuple(ceil_div(size, s) for size, s in zip(shape[:-1], cfg.stride)) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        return tuple((Integer(1), s, Integer(0)) for s in cfg.stride)


@register
class ChannelPad(LayerSpec):
    keywords = ("channelpad",)
    family = "pool"
    summary = "zero-pad the channels up to C (ResNet option-A shortcut)"
    formula = "0"
    arguments = (Arg("channels", COUNT),)

    def configure(self, cfg, shape, ctx):
        ctx.require((cfg.channels >= shape[-1]) if (cfg.channels - shape[-1]).is_number else None,
                    f"channelpad {cfg.channels} is fewer than the {shape[-1]} input channels",
                    f"channelpad {cfg.channels} needs at least the {shape[-1]} input channels")

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.channels,)
