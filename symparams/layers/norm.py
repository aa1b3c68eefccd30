"""Normalisation: batchnorm, layernorm, groupnorm."""

from __future__ import annotations

from .. import conventions
from ..algebra import product
from .base import COUNT, Arg, LayerSpec, Saved, Weight, divides, register
from .text import one


def scale_and_shift(channels, convention) -> tuple[Weight, Weight]:
    scale, shift = conventions.norm_weight_names(convention)
    return Weight(scale, (channels,)), Weight(shift, (channels,))


@register
class BatchNorm(LayerSpec):
    keywords = ("batchnorm", "bn")
    summary = "batch normalisation over the channels C (the last axis)"
    formula = "keras: 4*C, of which 2*C non-trainable; pytorch: 2*C (+ 2*C buffers)"
    diagram = "norm"
    letters = {"input": "C"}

    def weights(self, cfg, shape, ctx):
        (mean, variance), buffer = conventions.batch_statistics(ctx.convention)
        c = shape[-1]
        return scale_and_shift(c, ctx.convention) + (Weight(mean, (c,), trainable=False, buffer=buffer),
                                                     Weight(variance, (c,), trainable=False, buffer=buffer))

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value: at inference the statistics fold into one scale and one shift."""
        return 2 * product(shape)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.BatchNorm{max(len(row.input_shape) - 1, 1)}d({one(row.input_shape[-1])})")

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.BatchNormalization({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "batchnorm" if isinstance(module, r.nn.modules.batchnorm._BatchNorm) else None

    def import_keras(self, layer, r):
        return "batchnorm" if r.cls(layer) == "BatchNormalization" else None


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Training: its input and the batch mean and inverse deviation per channel (float32, one
        pair for the whole batch; the running statistics are buffers, not activations)."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * shape[-1], dtype="stat", per_example=False))

@register
class LayerNorm(LayerSpec):
    keywords = ("layernorm", "ln")
    summary = "layer normalisation over the last axis D"
    formula = "2*D"
    diagram = "norm"
    letters = {"input": "C"}

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value: mean, variance, normalise, scale, shift."""
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        return scale_and_shift(shape[-1], ctx.convention)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.LayerNorm({one(row.input_shape[-1])})", channels_first=False)

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.LayerNormalization({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "layernorm" if isinstance(module, r.nn.LayerNorm) else None

    def import_keras(self, layer, r):
        return "layernorm" if r.cls(layer) == "LayerNormalization" else None


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, and the mean and inverse deviation of each normalised row (float32); Megatron's
        accounting keeps only the input."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * product(shape[:-1]), dtype="stat"))

@register
class GroupNorm(LayerSpec):
    keywords = ("groupnorm",)
    summary = "group normalisation: the C channels in G groups"
    formula = "2*C"
    arguments = (Arg("groups", COUNT),)
    diagram = "norm"
    letters = {"input": "C", "groups": "G"}

    def configure(self, cfg, shape, ctx):
        ctx.require(divides(cfg.groups, shape[-1]), f"groups={cfg.groups} does not divide the {shape[-1]} channels",
                    f"groups={cfg.groups} must divide the channels {shape[-1]}")

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value: mean, variance, normalise, scale, shift."""
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        return scale_and_shift(shape[-1], ctx.convention)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.GroupNorm({one(row.config.groups)}, {one(row.input_shape[-1])})")

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.GroupNormalization({one(row.config.groups)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"groupnorm {module.num_groups}" if isinstance(module, r.nn.GroupNorm) else None

    def import_keras(self, layer, r):
        return f"groupnorm {layer.groups}" if r.cls(layer) == "GroupNormalization" else None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, and the mean and inverse deviation of each group (float32)."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * cfg.groups, dtype="stat"))
