"""Normalisation: batchnorm, layernorm, groupnorm."""

from __future__ import annotations

from .. import conventions
from ..algebra import product
from .base import COUNT, KERAS, Arg, LayerSpec, Weight, divides, register


@register
class BatchNorm(LayerSpec):
    keywords = ("batchnorm", "bn")
    family = "norm"
    summary = "batch normalisation over the channels C (the last axis)"
    formula = "keras: 4*C, of which 2*C non-trainable; pytorch: 2*C (+ 2*C buffers)"

    def weights(self, cfg, shape, ctx):
        return conventions.batchnorm_weights(shape[-1], ctx.convention)

    def other_ops(self, cfg, shape, out, ctx):
        """Inference: the statistics fold into one scale and one shift per value."""
        return 2 * product(shape)


@register
class LayerNorm(LayerSpec):
    keywords = ("layernorm", "ln")
    family = "norm"
    summary = "layer normalisation over the last axis D"
    formula = "2*D"

    def other_ops(self, cfg, shape, out, ctx):
        """Mean, variance, normalise, scale, shift: 5 per value."""
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        d = shape[-1]
        if ctx.convention == KERAS:
            return (Weight("gamma", (d,)), Weight("beta", (d,)))
        return (Weight("weight", (d,)), Weight("bias", (d,)))


@register
class GroupNorm(LayerSpec):
    keywords = ("groupnorm",)
    family = "norm"
    summary = "group normalisation: the C channels in G groups"
    formula = "2*C"
    arguments = (Arg("groups", COUNT),)

    def configure(self, cfg, shape, ctx):
        ctx.require(divides(cfg.groups, shape[-1]), f"groups={cfg.groups} does not divide the {shape[-1]} channels",
                    f"groups={cfg.groups} must divide the channels {shape[-1]}")

    def other_ops(self, cfg, shape, out, ctx):
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        c = shape[-1]
        if ctx.convention == KERAS:
            return (Weight("gamma", (c,)), Weight("beta", (c,)))
        return (Weight("weight", (c,)), Weight("bias", (c,)))
