"""Token and transformer layers: embedding, attention, posembed, clstoken, clspool, unembed."""

from __future__ import annotations

from .. import conventions
from ..algebra import as_int, product
from ..errors import DefinitionError, ShapeError
from .base import BOOL, COUNT, KERAS, Arg, LayerSpec, Opt, Weight, divides, register


@register
class Embedding(LayerSpec):
    keywords = ("embedding",)
    family = "attention"
    summary = "a learned D-vector for each of V token ids: T -> T x D"
    formula = "V*D"
    arguments = (Arg("vocabulary", COUNT), Arg("dim", COUNT))
    max_rank = 1

    def output_shape(self, cfg, shape, ctx):
        ctx.embeddings.append((cfg.vocabulary, cfg.dim))
        return shape + (cfg.dim,)

    def weights(self, cfg, shape, ctx):
        return (Weight("embeddings" if ctx.convention == KERAS else "weight", (cfg.vocabulary, cfg.dim)),)

    def receptive(self, cfg, shape, out, ctx):
        return "start"


@register
class Attention(LayerSpec):
    keywords = ("attention", "mha")
    family = "attention"
    summary = "multi-head self-attention on T x d (query, key and value projections and an output projection)"
    formula = "keras: 3*(d*h*k + h*k) + h*k*d + d  (= 4*d**2 + 4*d when h*k = d); pytorch: 4*d**2 + 4*d"
    options = {"heads": Opt(COUNT, None), "key_dim": Opt(COUNT, None), "bias": Opt(BOOL, True),
               "causal": Opt(BOOL, False)}
    min_rank = 2
    max_rank = 2

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("attention needs heads=H")
        d = shape[-1]
        problem = conventions.attention_head_dim_error(cfg.heads, cfg.key_dim, d, ctx.convention)
        if problem:
            raise DefinitionError(problem)
        if cfg.key_dim is None:
            ctx.require(divides(cfg.heads, d), f"heads={cfg.heads} does not divide the model width {d}; give key_dim=",
                        f"heads={cfg.heads} must divide the model width {d}")
            cfg["key_dim"] = d / cfg.heads

    def weights(self, cfg, shape, ctx):
        d, h, k = shape[-1], cfg.heads, cfg.key_dim
        out = ()
        if ctx.convention == KERAS:
            for name in ("query", "key", "value"):
                out += (Weight(f"{name}_kernel", (d, h, k)),)
                if cfg.bias:
                    out += (Weight(f"{name}_bias", (h, k)),)
            out += (Weight("output_kernel", (h, k, d)),)
            if cfg.bias:
                out += (Weight("output_bias", (d,)),)
            return out
        out = (Weight("in_proj_weight", (3 * d, d)),)
        if cfg.bias:
            out += (Weight("in_proj_bias", (3 * d,)),)
        out += (Weight("out_proj.weight", (d, d)),)
        if cfg.bias:
            out += (Weight("out_proj.bias", (d,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """Query, key and value projections, the T x T scores, their weighted sum of the values,
        and the output projection (a causal mask still computes every score)."""
        t, d, hk = shape[0], shape[-1], cfg.heads * cfg.key_dim
        return 4 * t * d * hk + 2 * t * t * hk

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, hk = shape[0], shape[-1], cfg.heads * cfg.key_dim
        return 3 * t * hk + t * d if cfg.bias else 0

    def other_ops(self, cfg, shape, out, ctx):
        """The softmax over each head's T x T scores, one op per score."""
        return cfg.heads * shape[0] * shape[0]

    def receptive(self, cfg, shape, out, ctx):
        return "global"


@register
class PositionalEmbedding(LayerSpec):
    keywords = ("posembed",)
    family = "attention"
    summary = "a learned position embedding added to T x D (table of L positions, L defaults to T)"
    formula = "L*D"
    options = {"length": Opt(COUNT, None)}
    min_rank = 2
    max_rank = 2

    def configure(self, cfg, shape, ctx):
        if cfg.length is None:
            cfg["length"] = shape[0]
        else:
            ctx.require((cfg.length >= shape[0]) if (cfg.length - shape[0]).is_number else None,
                        f"posembed length={cfg.length} is shorter than the {shape[0]} tokens",
                        f"posembed length {cfg.length} must be at least the sequence length {shape[0]}")

    def weights(self, cfg, shape, ctx):
        return (Weight("position_embeddings", (cfg.length, shape[-1])),)

    def other_ops(self, cfg, shape, out, ctx):
        return shape[0] * shape[-1]


@register
class ClassToken(LayerSpec):
    keywords = ("clstoken",)
    family = "attention"
    summary = "prepends one learned token: T x D -> (T + 1) x D"
    formula = "D"
    min_rank = 2
    max_rank = 2

    def output_shape(self, cfg, shape, ctx):
        return (shape[0] + 1, shape[1])

    def weights(self, cfg, shape, ctx):
        return (Weight("class_token", (shape[-1],)),)


@register
class ClassPool(LayerSpec):
    keywords = ("clspool",)
    family = "attention"
    summary = "keeps the first (class) token: T x D -> D"
    formula = "0"
    min_rank = 2
    max_rank = 2

    def output_shape(self, cfg, shape, ctx):
        return (shape[-1],)


@register
class TiedHead(LayerSpec):
    keywords = ("unembed", "tiedhead")
    family = "attention"
    summary = "output logits over the vocabulary with the embedding matrix reused (tied): T x D -> T x V"
    formula = "0 (the weights are the embedding's)"
    arguments = (Arg("vocabulary", COUNT, required=False),)

    def configure(self, cfg, shape, ctx):
        if not ctx.embeddings:
            raise DefinitionError("unembed reuses an embedding's weights, but no embedding comes before it")
        vocab, dim = ctx.embeddings[-1]
        if cfg.vocabulary is None:
            cfg["vocabulary"] = vocab
        elif (cfg.vocabulary - vocab).is_number and cfg.vocabulary != vocab:
            raise ShapeError(f"unembed {cfg.vocabulary} does not match the embedding's vocabulary {vocab}")
        if (shape[-1] - dim).is_number and shape[-1] != dim:
            raise ShapeError(f"unembed needs width {dim} (the embedding's) but gets {shape[-1]}")

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.vocabulary,)

    def macs(self, cfg, shape, out, ctx):
        """The logits: every position's D values against every one of the V embeddings."""
        return product(shape) * cfg.vocabulary
