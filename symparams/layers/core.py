"""Core layers: input, dense, flatten, dropout, reshape, zeropad, upsample, identity and
standalone activations."""

from __future__ import annotations

from sympy import Integer

from .. import conventions
from ..algebra import as_int, equal, product
from ..errors import DefinitionError, ShapeError
from .base import (ACTIVATIONS, BOOL, COUNT, DIMS, KERAS, NONNEG_WINDOW, RATE, WINDOW, Arg, LayerSpec, Opt,
                   Weight, register)


@register
class Input(LayerSpec):
    keywords = ("input",)
    family = "core"
    summary = "the input: T x D (sequence), H x W x C (image), D x H x W x C (volume), N (vector or tokens)"
    formula = "0"
    arguments = (Arg("shape", DIMS),)
    is_input = True

    def configure(self, cfg, shape, ctx):
        if len(cfg.shape) > 4:
            raise DefinitionError(f"an input has at most 4 axes (D x H x W x C); got {len(cfg.shape)}")
        for dim in cfg.shape:
            ctx.require_positive(dim, f"input size {dim} must be at least 1")

    def output_shape(self, cfg, shape, ctx):
        return tuple(cfg.shape)

    def receptive(self, cfg, shape, out, ctx):
        return "start" if len(out) >= 2 else None


@register
class Dense(LayerSpec):
    keywords = ("dense", "fc")
    family = "core"
    summary = "fully connected: U units on the last axis"
    formula = "U*(in + 1); without bias U*in"
    arguments = (Arg("units", COUNT),)
    options = {"bias": Opt(BOOL, True)}
    takes_activation = True

    def configure(self, cfg, shape, ctx):
        # Per-token dense on a T x D sequence is ordinary (transformers); on an image or volume it
        # is usually a forgotten flatten.
        if len(shape) > 2:
            ctx.warn(f"dense on a {'x'.join(map(str, shape))} input acts on the last axis only "
                     "(as Keras Dense and PyTorch Linear do); put 'flatten' before it to connect every value")

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.units,)

    def weights(self, cfg, shape, ctx):
        kernel_name, bias_name = conventions.weight_names(ctx.convention)
        kernel = (shape[-1], cfg.units) if ctx.convention == KERAS else (cfg.units, shape[-1])
        out = (Weight(kernel_name, kernel),)
        if cfg.bias:
            out += (Weight(bias_name, (cfg.units,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """in x out at every position (T positions on a T x D sequence)."""
        return product(shape) * cfg.units

    def bias_adds(self, cfg, shape, out, ctx):
        return product(out) if cfg.bias else Integer(0)


@register
class Flatten(LayerSpec):
    keywords = ("flatten",)
    family = "core"
    summary = "all axes into one: H x W x C -> H*W*C"
    formula = "0"

    def output_shape(self, cfg, shape, ctx):
        return (product(shape),)


@register
class Dropout(LayerSpec):
    keywords = ("dropout",)
    family = "core"
    summary = "zeroes a fraction R of the values while training"
    formula = "0"
    arguments = (Arg("rate", RATE),)


@register
class Reshape(LayerSpec):
    keywords = ("reshape",)
    family = "core"
    summary = "the same values in a new shape; one axis may be -1 (inferred)"
    formula = "0"
    arguments = (Arg("shape", DIMS),)

    def output_shape(self, cfg, shape, ctx):
        target = list(cfg.shape)
        total = product(shape)
        unknown = [i for i, d in enumerate(target) if d == -1]
        if len(unknown) > 1:
            raise DefinitionError("reshape can infer only one axis (-1)")
        for d in target:
            if d != -1 and d.is_number and not d >= 1:
                raise ShapeError(f"reshape sizes must be at least 1 (or -1 once), got {d}")
        if unknown:
            known = product(d for d in target if d != -1)
            inferred = total / known
            if inferred.is_number and not inferred.is_integer:
                raise ShapeError(f"cannot reshape {len(shape)}-axis input of {total} values into {known}-sized pieces")
            target[unknown[0]] = inferred
        same = equal(product(target), total)
        if same is False:
            raise ShapeError(f"reshape to {'x'.join(map(str, target))} needs {product(target)} values; "
                             f"the input has {total}")
        if same is None:
            ctx.constraints.append((None, f"reshape: {product(target)} = {total}"))
        return tuple(target)

    def receptive(self, cfg, shape, out, ctx):
        if len(shape) < 2:
            return "start"          # a vector laid out as an image: its positions start here
        return None if tuple(shape) == tuple(out) else "unknown"


@register
class ZeroPad(LayerSpec):
    keywords = ("zeropad", "zeropad1d", "zeropad2d", "zeropad3d")
    spatial_rank_of = {"zeropad1d": 1, "zeropad2d": 2, "zeropad3d": 3}
    family = "core"
    summary = "P zeros on both sides of each spatial axis (after=Q: P before and Q after, Keras ((P, Q), ...))"
    formula = "0"
    arguments = (Arg("padding", NONNEG_WINDOW),)
    options = {"after": Opt(NONNEG_WINDOW, None)}
    min_rank = 2

    def kind_name(self, keyword, shape):
        return f"zeropad{len(shape) - 1}d"

    def receptive(self, cfg, shape, out, ctx):
        return tuple((Integer(1), Integer(1), p) for p in cfg.padding)

    def output_shape(self, cfg, shape, ctx):
        after = cfg.after if cfg.after is not None else cfg.padding
        return tuple(s + p + q for s, p, q in zip(shape[:-1], cfg.padding, after)) + (shape[-1],)


@register
class Upsample(LayerSpec):
    keywords = ("upsample", "upsample1d", "upsample2d", "upsample3d")
    spatial_rank_of = {"upsample1d": 1, "upsample2d": 2, "upsample3d": 3}
    family = "core"
    summary = "repeat each position S times along each spatial axis (nearest neighbour)"
    formula = "0"
    arguments = (Arg("size", WINDOW, required=False, default=2),)
    min_rank = 2

    def kind_name(self, keyword, shape):
        return f"upsample{len(shape) - 1}d"

    def output_shape(self, cfg, shape, ctx):
        return tuple(s * f for s, f in zip(shape[:-1], cfg.size)) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        """Each output position copies one input position: the stride shrinks by the factor."""
        return tuple((Integer(1), 1 / f, Integer(0)) for f in cfg.size)


@register
class Identity(LayerSpec):
    keywords = ("identity",)
    family = "core"
    summary = "passes its input through"
    formula = "0"


@register
class Activation(LayerSpec):
    keywords = ACTIVATIONS + ("leakyrelu", "hardswish", "activation")
    family = "core"
    summary = "an element-wise activation function (relu, softmax, ...)"
    formula = "0"
    takes_activation = True

    def configure(self, cfg, shape, ctx):
        if cfg.keyword == "activation" and not cfg.activation:
            raise DefinitionError("'activation' needs a function, e.g. 'activation relu'")
        if cfg.keyword != "activation":
            cfg["activation"] = cfg.keyword

    def kind_name(self, keyword, shape):
        return keyword
