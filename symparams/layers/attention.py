"""Token and transformer layers: embedding, attention, posembed, clstoken, clspool, unembed."""

from __future__ import annotations

from ..numeric import sympy
from .. import conventions
from ..algebra import equal, is_number, product, ratio
from ..errors import DefinitionError, ShapeError, did_you_mean
from ..wording import named as quantity     # messages name quantities as a person does: heads (32)
from .base import (BOOL, COUNT, INTEGER, STRING, WORD, Arg, Deferred, Gradient, LayerSpec, Opt, Saved, Weight,
                   named, register)
from .text import one


def tied_table(ctx, name: str, who: str):
    """The (vocabulary, width) of the embedding table named `name`, or a clear error."""
    table = ctx.tables.get(name)
    if table is None:
        raise DefinitionError(f"{who} tied={name}: no embedding named '{name}' comes before it",
                              hint=did_you_mean(name, list(ctx.tables)) or
                              f"name the table where it is made: 'embedding V D name={name}'")
    return table


def _differs(a, b) -> bool:
    return is_number(a - b) and a != b


@register
class Embedding(LayerSpec):
    keywords = ("embedding",)
    pytorch_classes = named("embedding", "Embedding")
    keras_classes = named("embedding", "Embedding")
    summary = ("a learned D-vector for each of V token ids: T -> T x D; name=N names the table, "
               "tied=N reuses a named table (0 new weights)")
    formula = "V*D; tied: 0"
    arguments = (Arg("vocabulary", COUNT, required=False), Arg("dim", COUNT, required=False))
    options = {"tied": Opt(STRING, None, doc="the name of an earlier embedding whose table this reuses")}
    max_rank = 1
    reads_tokens = True
    diagram = "embedding"
    letters = {"vocabulary": "V", "dim": "D"}

    def configure(self, cfg, shape, ctx):
        if cfg.tied is not None:
            vocab, dim = tied_table(ctx, cfg.tied, "embedding")
            for given, have, what in ((cfg.vocabulary, vocab, "vocabulary"), (cfg.dim, dim, "width")):
                if given is not None and _differs(given, have):
                    raise ShapeError(f"embedding tied={cfg.tied}: {what} {given} does not match the table's "
                                     f"{vocab} x {dim}")
            cfg["vocabulary"], cfg["dim"] = vocab, dim
        elif cfg.vocabulary is None or cfg.dim is None:
            raise DefinitionError("embedding needs its vocabulary and width: 'embedding V D' "
                                  "(or tied=NAME to reuse a named table)")

    def output_shape(self, cfg, shape, ctx):
        ctx.embeddings.append((cfg.vocabulary, cfg.dim))
        if cfg.get("name") and cfg.tied is None:
            ctx.tables[cfg.name] = (cfg.vocabulary, cfg.dim)
        return shape + (cfg.dim,)

    def weights(self, cfg, shape, ctx):
        if cfg.tied is not None:
            return ()
        return (Weight(conventions.embedding_weight_name(ctx.convention), (cfg.vocabulary, cfg.dim)),)

    def receptive(self, cfg, shape, out, ctx):
        return "start"

    def emit_torch(self, row, out):
        cfg = row.config
        tables = out.__dict__.setdefault("tables", {})
        if cfg.tied is not None:
            out.embedding = tables[cfg.tied]
            return f"self.{tables[cfg.tied]}"          # the same module: its weight is counted once
        out.embedding = out.plan.name(row)          # a tied head after it reads this attribute's weight
        if cfg.get("name"):
            tables[cfg.name] = out.embedding
        return f"nn.Embedding({one(cfg.vocabulary)}, {one(cfg.dim)})"

    def emit_keras(self, row, var, out):
        cfg = row.config
        tables = out.__dict__.setdefault("tables", {})
        if cfg.tied is not None:                     # the same layer applied again: one table
            out.embedding = tables[cfg.tied]
            return out.emit(tables[cfg.tied], var, row)
        name = out.fresh()                           # a generated variable: a layer name could be a builtin
        out.embedding = name
        if cfg.get("name"):
            tables[cfg.name] = name
        out.lines.append(f"    {name} = layers.Embedding({one(cfg.vocabulary)}, {one(cfg.dim)}, "
                         f"{out.tag(row)})")
        return out.emit(name, var, row)

    def import_torch(self, module, r):
        if isinstance(module, r.nn.Embedding):
            return f"embedding {r.num('vocabulary', module.num_embeddings)} {r.num('dim', module.embedding_dim)}"
        return None

    def import_keras(self, layer, r):
        if r.cls(layer) == "Embedding":
            return f"embedding {r.num('vocabulary', layer.input_dim)} {r.num('dim', layer.output_dim)}"
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The token ids (int64), to scatter the gradient into the table."""
        return (Saved("input", dtype="index"),)

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """Appendix F counts the lookup as a product with one-hot rows: 2·T·V·D."""
        return 2 * product(shape) * cfg.vocabulary * cfg.dim

    def embedding_params(self, cfg, shape, out, ctx):
        return cfg.vocabulary * cfg.dim


ATTENTION_BIAS = ("true", "false", "qkv", "qvo", "o")
# qk_norm: a learned norm of the queries and keys before the scores; RMS over each head's key_dim, one scale
# shared by the heads (Qwen3, Gemma 3), or over all heads at once (OLMo 2); a LayerNorm (scale and shift) over each
# head's key_dim, shared by the heads (timm's Attention(qk_norm=True), EVA-02)
QK_NORMS = ("none", "rmsnorm", "rmsnorm_full", "layernorm")
# scale_norm: a learned norm of the heads' output (heads * key_dim wide) before the output projection (timm's
# scale_norm=True: EVA-02 CLIP, BEiT-3)
SCALE_NORMS = ("none", "layernorm", "rmsnorm")
# values per normalised row each norm's forward does (as the layernorm and rmsnorm kinds count them)
_NORM_OPS = {"layernorm": 5, "rmsnorm": 4, "rmsnorm_full": 4}


def _norm_saved(norm: str, values, rows, source: tuple, scale: tuple) -> tuple:
    """What a norm of `values` values in `rows` rows keeps on PyTorch's CPU path, as the layernorm and rmsnorm kinds
    keep: a LayerNorm (one fused kernel) its input and the float32 mean and inverse deviation of each row whenever
    it is recorded (its input, computed from `source`, or its weights `scale` need a gradient); an RMS norm its input
    and the inverse root mean square of each row for its input's gradient, and the normalised values for its scale's
    (Saved.of)."""
    if norm == "layernorm":
        return Saved("own", values, of=source + scale), Saved("own", 2 * rows, dtype="stat", of=source + scale)
    return (Saved("own", values, of=source), Saved("own", rows, dtype="stat", of=source),
            Saved("own", values, dtype="cpu", of=scale))


@register
class Attention(LayerSpec):
    keywords = ("attention", "mha")
    pytorch_classes = named("attention", "MultiheadAttention")
    keras_classes = named("attention", "MultiHeadAttention", "GroupQueryAttention")
    # a class spelt like a keyword of this kind that means something else
    unlike = {"Attention": "Keras' Attention is dot-product attention without weights; symparams' attention is "
                           "MultiHeadAttention, with its query, key, value and output projections"}
    summary = ("multi-head attention on T x d: query, key, value and output projections; kv_heads=G groups "
               "the keys and values (1: multi-query), context=NAME takes them from a saved sequence, "
               "relbias=N adds a learned N x heads relative position bias")
    formula = ("d*h*k + 2*d_ctx*g*k + h*k*d (+ biases h*k + 2*g*k + d; + N*h); g = h, d_ctx = d and "
               "k = d/h by default, so 4*d**2 + 4*d")
    options = {"heads": Opt(COUNT, None), "key_dim": Opt(COUNT, None), "kv_heads": Opt(COUNT, None),
               "bias": Opt(WORD, "true", choices=ATTENTION_BIAS,
                           doc="false: none; qkv: on q, k, v only (Qwen2); qvo: all but k (Whisper); o: the output projection only (timm qkv_bias=False)"),
               "qk_norm": Opt(WORD, "none", choices=QK_NORMS,
                              doc="rmsnorm: an RMS norm of each head's queries and keys (Qwen3); rmsnorm_full: "
                                  "over all heads (OLMo 2); layernorm: a LayerNorm of each head's (timm qk_norm)"),
               "scale_norm": Opt(WORD, "none", choices=SCALE_NORMS,
                                 doc="a layernorm or rmsnorm of the heads' output before the output projection "
                                     "(timm scale_norm)"),
               "causal": Opt(BOOL, False), "context": Opt(STRING, None, doc="a saved T' x d' sequence"),
               "relbias": Opt(INTEGER, 0, doc="relative position buckets (0: none)"),
               "window": Opt(COUNT, None, doc="sliding window: each query sees the last W positions (Mistral)")}
    elsewhere = {option: text for options, text in (
        (("talking_heads", "talkingheads", "talking_head"),
         "talking-heads attention (CaiT, timm's TalkingHeadAttn) is a kind of its own: write 'talkingheads heads=H'"),
        (("class_attention", "class_attn", "cls_only", "class_token_only"),
         "CaiT's class attention is a kind of its own, its whole block on [class token; patches]: write "
         "'classattention heads=H'")) for option in options}
    min_rank = 2
    max_rank = 2
    diagram = "attention"
    letters = {"input": "d"}
    torch_helpers = {"SelfAttention": '''
class SelfAttention(nn.Module):
    """Self-attention with nn.MultiheadAttention's weights (in_proj, out_proj), run batch-first through
    scaled_dot_product_attention as Hugging Face models run: query = key = value = x."""
    def __init__(self, attention, causal=False):
        super().__init__()
        self.attention = attention
        self.causal = causal

    def forward(self, x):
        a, (b, t, d) = self.attention, x.shape
        x = x.contiguous()          # the projection keeps one contiguous copy of a strided input
        qkv = F.linear(x, a.in_proj_weight, a.in_proj_bias).view(b, t, 3, a.num_heads, d // a.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return a.out_proj(out.transpose(1, 2).reshape(b, t, d))
''', "ProjectedAttention": '''
class ProjectedAttention(nn.Module):
    """Attention as four projections, as Hugging Face writes it: q_proj, k_proj, v_proj, o_proj
    (kv_heads groups of key/value heads shared by heads / kv_heads query heads each), through
    scaled_dot_product_attention (enable_gqa: the groups are not repeated); with a learned relative
    position bias table (buckets x heads, T5's bucketing) the scores are written out (eager), as the
    bias needs its gradient; qk_norm normalises the queries and keys first, scale_norm the heads' output before
    o_proj. With a context (cross-attention: forward(x, context)) the keys and values are projected from the
    context, context_dim wide."""
    def __init__(self, dim, heads, kv_heads, key_dim, qkv_bias=True, out_bias=True, causal=False, buckets=0,
                 k_bias=True, qk_norm=None, context_dim=None, scale_norm=None):
        super().__init__()
        self.heads, self.kv_heads, self.key_dim, self.causal = heads, kv_heads, key_dim, causal
        context_dim = dim if context_dim is None else context_dim
        self.q_proj = nn.Linear(dim, heads * key_dim, bias=qkv_bias)
        self.k_proj = nn.Linear(context_dim, kv_heads * key_dim, bias=qkv_bias and k_bias)
        self.v_proj = nn.Linear(context_dim, kv_heads * key_dim, bias=qkv_bias)
        self.o_proj = nn.Linear(heads * key_dim, dim, bias=out_bias)
        self.relative_attention_bias = nn.Embedding(buckets, heads) if buckets else None
        # qk_norm: "rmsnorm" or "layernorm" over each head's key_dim (one for all heads), "rmsnorm_full" over all
        full = qk_norm == "rmsnorm_full"
        norm = nn.LayerNorm if qk_norm == "layernorm" else nn.RMSNorm
        self.qk_norm = qk_norm
        self.q_norm = norm(heads * key_dim if full else key_dim) if qk_norm else None
        self.k_norm = norm(kv_heads * key_dim if full else key_dim) if qk_norm else None
        norm = nn.LayerNorm if scale_norm == "layernorm" else nn.RMSNorm
        self.scale_norm = norm(heads * key_dim) if scale_norm else None

    def forward(self, x, context=None):
        b, t, _ = x.shape
        x = x.contiguous()          # the three projections keep one contiguous copy of a strided input
        c = x if context is None else context.contiguous()
        tc = c.shape[1]
        q, k = self.q_proj(x), self.k_proj(c)
        if self.qk_norm == "rmsnorm_full":
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.view(b, t, self.heads, self.key_dim), k.view(b, tc, self.kv_heads, self.key_dim)
        if self.qk_norm in ("rmsnorm", "layernorm"):    # before the transpose, as Qwen3 does: the kernel's output
            q, k = self.q_norm(q), self.k_norm(k)    # is then batch-first underneath (no copy for o_proj)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = self.v_proj(c).view(b, tc, self.kv_heads, self.key_dim).transpose(1, 2)
        if self.relative_attention_bias is None:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal,
                                                 enable_gqa=self.heads != self.kv_heads)
        else:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
            scores = q @ k.transpose(-1, -2) / self.key_dim ** 0.5
            pos = torch.arange(max(t, tc), device=x.device)
            buckets = (pos[None, :tc] - pos[:t, None]).clamp(0, self.relative_attention_bias.num_embeddings - 1)
            scores = scores + self.relative_attention_bias(buckets).permute(2, 0, 1)
            if self.causal:         # an additive mask: the sum keeps nothing for the backward pass
                scores = scores + torch.full((t, t), float("-inf"), device=x.device).triu(1)
            out = scores.softmax(-1) @ v
        out = out.transpose(1, 2).reshape(b, t, self.heads * self.key_dim)
        return self.o_proj(out if self.scale_norm is None else self.scale_norm(out))
'''}

    def framework_problem(self, cfg, shape, framework):
        if cfg.get("context_dim") is not None:
            grouped = cfg.kv_heads is not None and cfg.kv_heads != cfg.heads
            return conventions.attention_context_error(shape[-1], cfg.context_dim, grouped, framework)
        return conventions.attention_head_dim_error(cfg.heads, cfg.key_dim, shape[-1], framework)

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("attention needs heads=H")
        d = shape[-1]
        cfg["context_dim"] = cfg["context_tokens"] = None
        if cfg.context is not None:
            other = ctx.tensors.get(cfg.context)
            if other is None:
                known = sorted(k for k in ctx.tensors if isinstance(k, str))
                raise DefinitionError(f"context={cfg.context}: no tensor '{cfg.context}' has been saved",
                                      hint=did_you_mean(cfg.context, known) or "write 'save NAME' where it is made")
            if len(other) != 2:
                raise ShapeError(f"context={cfg.context} must be a sequence (T x D) like the queries "
                                 f"({' x '.join(map(str, shape))}); it is {' x '.join(map(str, other)) or 'a scalar'}")
            cfg["context_tokens"], cfg["context_dim"] = other
        problem = self.framework_problem(cfg, shape, ctx.convention)
        if problem:
            raise DefinitionError(problem)
        if cfg.key_dim is None:
            heads = cfg.heads
            ctx.require_divides(heads, d, Deferred(lambda: f"{quantity('heads', heads)} does not divide "
                                                           f"{quantity('the width', d)}; give key_dim="),
                                Deferred(lambda: f"{quantity('heads', heads)} must divide {quantity('the width', d)}"))
            cfg["key_dim"] = ratio(d, cfg.heads)
        if cfg.kv_heads is not None:
            kv, heads = cfg.kv_heads, cfg.heads
            ctx.require_divides(kv, heads, Deferred(lambda: f"{quantity('kv_heads', kv)} does not divide "
                                                            f"{quantity('heads', heads)}"),
                                Deferred(lambda: f"{quantity('kv_heads', kv)} must divide {quantity('heads', heads)}"))
        word = cfg.bias if isinstance(cfg.bias, str) else ("true" if cfg.bias else "false")
        # bias: q and v (and k when k_bias) are biased; out_bias: the output projection is
        cfg["bias"], cfg["out_bias"], cfg["k_bias"] = word not in ("false", "o"), word in ("true", "qvo", "o"), \
            word in ("true", "qkv")
        # kv_heads equal to heads is plain multi-head attention: the same module, tensors and costs
        grouped = cfg.kv_heads is not None and equal(cfg.kv_heads, cfg.heads) is not True
        cfg["projected"] = bool(grouped or cfg.context is not None or cfg.relbias
                                or word in ("qkv", "qvo", "o") or cfg.get("qk_norm", "none") != "none"
                                or cfg.get("scale_norm", "none") != "none"
                                or (cfg.key_dim * cfg.heads - d) != 0)

    @staticmethod
    def _span(cfg, tc):
        """Keys each query attends to: all T' positions, or the last W with a sliding window (the
        scores a windowed kernel computes and the positions a rolling KV cache keeps: min(T', W))."""
        w = cfg.get("window")
        return tc if w is None else sympy.Min(tc, w)

    def _dims(self, cfg, shape):
        """(tokens, width, heads * key_dim, kv heads * key_dim, context tokens, context width)."""
        t, d, k = shape[0], shape[-1], cfg.key_dim
        g = cfg.kv_heads if cfg.kv_heads is not None else cfg.heads
        tc = cfg.context_tokens if cfg.context_tokens is not None else t
        dc = cfg.context_dim if cfg.context_dim is not None else d
        return t, d, cfg.heads * k, g * k, tc, dc

    def weights(self, cfg, shape, ctx):
        d = shape[-1]
        if not conventions.attention_packed(cfg.projected, ctx.convention):
            g = cfg.kv_heads if cfg.kv_heads is not None else cfg.heads
            dc = cfg.context_dim if cfg.context_dim is not None else d
            pairs = attention_projection_weights(d, dc, cfg.heads, g, cfg.key_dim, cfg.bias,
                                                             cfg.out_bias, cfg.relbias, ctx.convention,
                                                             k_bias=cfg.get("k_bias", cfg.bias))
            norm = cfg.get("qk_norm", "none")
            if norm != "none":
                full = norm == "rmsnorm_full"
                parts = ("weight", "bias") if norm == "layernorm" else ("weight",)
                pairs = list(pairs) + [(f"{which}_norm.{part}", (n * cfg.key_dim if full else cfg.key_dim,))
                                       for which, n in (("q", cfg.heads), ("k", g)) for part in parts]
            norm = cfg.get("scale_norm", "none")
            if norm != "none":
                parts = ("weight", "bias") if norm == "layernorm" else ("weight",)
                pairs = list(pairs) + [(f"scale_norm.{part}", (cfg.heads * cfg.key_dim,)) for part in parts]
        else:
            pairs = attention_weights(d, cfg.heads, cfg.key_dim, cfg.bias, ctx.convention)
        return tuple(Weight(name, shape_) for name, shape_ in pairs)

    def macs(self, cfg, shape, out, ctx):
        """4·T·d·h·k for the query, key, value and output projections, 2·T·T'·h·k for the T x T' scores and
        their weighted sum of the values (a causal mask still computes every score; fewer kv_heads shrink k and v)."""
        t, d, hk, gk, tc, dc = self._dims(cfg, shape)
        return 2 * t * d * hk + 2 * tc * dc * gk + 2 * t * self._span(cfg, tc) * hk

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, hk, gk, tc, dc = self._dims(cfg, shape)
        k_bias = cfg.get("k_bias", cfg.bias)
        return (t * hk + (2 if k_bias else 1) * tc * gk if cfg.bias else 0) + (t * d if cfg.out_bias else 0)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score: the softmax over each head's T x T' scores (and 1 more with a relative bias); with
        qk_norm, per query and key value what the norm kind counts (rmsnorm 4: square, mean, scale by the root,
        the learned scale; layernorm 5), and with scale_norm the same per value of the heads' output."""
        t, d, hk, gk, tc, dc = self._dims(cfg, shape)
        norm = _NORM_OPS.get(cfg.get("qk_norm", "none"), 0) * (t * hk + tc * gk) + \
            _NORM_OPS.get(cfg.get("scale_norm", "none"), 0) * t * hk
        return cfg.heads * t * self._span(cfg, tc) * (2 if cfg.relbias else 1) + norm

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def emit_torch(self, row, out):
        cfg, d = row.config, one(row.input_shape[-1])
        if cfg.get("window") is not None:
            raise out.unsupported("sliding-window attention (window=): not exported yet")
        if cfg.projected:
            out.helper(self.torch_helpers, "ProjectedAttention")
            g = cfg.kv_heads if cfg.kv_heads is not None else cfg.heads
            return (f"ProjectedAttention({d}, {one(cfg.heads)}, {one(g)}, {one(cfg.key_dim)}"
                    + ("" if cfg.bias else ", qkv_bias=False") + ("" if cfg.out_bias else ", out_bias=False")
                    + (", causal=True" if cfg.causal else "")
                    + (f", buckets={one(cfg.relbias)}" if cfg.relbias else "")
                    + ("" if cfg.get("k_bias", cfg.bias) or not cfg.bias else ", k_bias=False")
                    + (f', qk_norm="{cfg.qk_norm}"' if cfg.get("qk_norm", "none") != "none" else "")
                    + (f', scale_norm="{cfg.scale_norm}"' if cfg.get("scale_norm", "none") != "none" else "")
                    + (f", context_dim={one(cfg.context_dim)}" if cfg.context is not None and
                       one(cfg.context_dim) != d else "") + ")")
        out.helper(self.torch_helpers, "SelfAttention")
        return (f"SelfAttention(nn.MultiheadAttention({d}, {one(cfg.heads)}, batch_first=True"
                + ("" if cfg.bias else ", bias=False") + ")" + (", causal=True" if cfg.causal else "") + ")")

    def tensor_named(self, cfg):
        """context=NAME reads the saved tensor NAME (the analysis follows its storage and its gradient)."""
        return (None, cfg.get("context"), False)

    def torch_call(self, row, var, out) -> str:
        """The module's arguments in forward: the queries, and with context=NAME the saved tensor the keys and
        values come from (ProjectedAttention's forward(x, context))."""
        if row.config.context is None:
            return var
        return f"{var}, {out.saved_tensor(row.config.context)}"

    def emit_keras(self, row, var, out):
        cfg = row.config
        if cfg.get("window") is not None:
            raise out.unsupported("sliding-window attention (window=): not exported yet")
        if cfg.relbias:
            raise out.unsupported("a relative position bias (relbias=)")
        if cfg.bias != cfg.out_bias or cfg.bias != cfg.get("k_bias", cfg.bias):
            raise out.unsupported("attention bias=qkv / bias=qvo / bias=o (Keras attention biases all four projections or none)")
        if cfg.get("qk_norm", "none") != "none":
            raise out.unsupported("qk_norm (Keras' attention layers have no norm of the queries and keys)")
        if cfg.get("scale_norm", "none") != "none":
            raise out.unsupported("scale_norm (Keras' attention layers have no norm before the output projection)")
        causal = ", use_causal_mask=True" if cfg.causal else ""
        bias = "" if cfg.bias else ", use_bias=False"
        if cfg.kv_heads is not None:
            layer = (f"layers.GroupQueryAttention(head_dim={one(cfg.key_dim)}, num_query_heads={one(cfg.heads)}, "
                     f"num_key_value_heads={one(cfg.kv_heads)}{bias}, {out.tag(row)})")
        else:
            layer = (f"layers.MultiHeadAttention(num_heads={one(cfg.heads)}, key_dim={one(cfg.key_dim)}"
                     f"{bias}, {out.tag(row)})")
        # MultiHeadAttention(query, value): the keys and values from the saved context, or the queries' own tensor
        value = var if cfg.context is None else out.saved_tensor(cfg.context)
        return out.emit(layer, f"{var}, {value}{causal}", row)

    def import_torch(self, module, r):
        name = r.cls(module)
        if name == "ProjectedAttention":
            text = f"attention heads={module.heads}"
            if module.kv_heads != module.heads:
                text += f" kv_heads={module.kv_heads}"
            if module.key_dim * module.heads != module.q_proj.in_features:
                text += f" key_dim={module.key_dim}"
            if module.q_proj.bias is None:
                text += " bias=false" if module.o_proj.bias is None else " bias=o"
            elif module.o_proj.bias is None:
                text += " bias=qkv"
            elif module.k_proj.bias is None:
                text += " bias=qvo"
            if getattr(module, "qk_norm", None):
                text += f" qk_norm={module.qk_norm}"
            if getattr(module, "scale_norm", None) is not None:
                text += " scale_norm=" + ("layernorm" if isinstance(module.scale_norm, r.nn.LayerNorm) else "rmsnorm")
            if module.relative_attention_bias is not None:
                text += f" relbias={module.relative_attention_bias.num_embeddings}"
            return text + (" causal=true" if module.causal else "")
        if name != "SelfAttention":
            return None
        mha = module.attention
        text = f"attention heads={mha.num_heads}"
        if mha.in_proj_bias is None:
            text += " bias=false"
        return text + (" causal=true" if module.causal else "")

    def import_keras(self, layer, r):
        name = r.cls(layer)
        if name == "GroupedQueryAttention":
            text = (f"attention heads={layer.num_query_heads} kv_heads={layer.num_key_value_heads} "
                    f"key_dim={layer.head_dim}")
            return text + ("" if layer.use_bias else " bias=false")
        if name != "MultiHeadAttention":
            return None
        text = f"attention heads={layer.num_heads} key_dim={layer.key_dim}"
        return text + ("" if layer.use_bias else " bias=false")


    def _cost_dims(self, cfg, shape):
        """(T, d, heads·key_dim, kv_heads·key_dim, context tokens T', context width d'): the keys and
        values come from kv_heads groups (grouped-query attention) of a context (self: the input)."""
        t, d, k = shape[0], shape[-1], cfg.key_dim
        g = cfg.get("kv_heads") or cfg.heads
        tc = cfg.get("context_tokens") or t
        dc = cfg.get("context_dim") or d
        return t, d, cfg.heads * k, g * k, tc, dc

    # which part of the layer a weight belongs to, by the first word of its name in each layout (PyTorch's packed
    # in_proj holds the queries', keys' and values' projections, its out_proj the output's)
    _PARTS = {"in": "qkv", "q": "q", "query": "q", "k": "k", "key": "k", "v": "v", "value": "v", "out": "o", "o": "o",
              "output": "o", "relative": "bias", "scale": "heads"}

    def _operands(self, cfg, shape, ctx) -> tuple:
        """What the gradients and the kept tensors are taken for (Gradient.of, Saved.of): the keys' and values'
        input ('input', or 'other' with context=), each projection's matrix by part (kernel('q'), ..., 'qkv' for
        PyTorch's packed in_proj, 'o'), and what the queries, keys, values and probabilities are computed from."""
        source = "other" if cfg.get("context") else "input"
        parts: dict = {}
        for w in self.weights(cfg, shape, ctx):
            if not w.buffer:
                parts.setdefault(self._PARTS[w.name.replace(".", "_").split("_")[0]], []).append(w)

        def names(*keys):
            return tuple(w.name for key in keys for w in parts.get(key, ()))

        def kernel(key):            # the projection's matrix: not its bias (Keras' is heads x key_dim), not a norm
            return tuple(w.name for w in parts.get(key, ()) if w.name.endswith(("weight", "kernel"))
                         and "norm" not in w.name)

        q, k, v = ("input",) + names("q", "qkv"), (source,) + names("k", "qkv"), (source,) + names("v", "qkv")
        return source, kernel, q, k, v, q + k + names("bias")

    def gradients(self, cfg, shape, out, ctx):
        """The projections' kernel and input gradients (the keys' and values' input is the context with
        context=); the scores' gradients for the queries and the keys, and the weighted sum's for the
        probabilities and the values, each where what it is computed from needs one (the probabilities also
        from the relative bias table); the output projection's kernel gradient, and its input's (the heads'
        output) where anything before it in the layer or before the layer is trained."""
        t, d, hk, gk, tc, dc = self._cost_dims(cfg, shape)
        source, kernel, q, k, v, probabilities = self._operands(cfg, shape, ctx)
        scores = t * self._span(cfg, tc) * hk
        grads = []
        if kernel("qkv"):           # one packed product for the three
            grads += [Gradient(t * d * (hk + 2 * gk), kernel("qkv")), Gradient(t * d * (hk + 2 * gk), ("input",))]
        else:
            grads += [Gradient(t * d * hk, kernel("q")), Gradient(t * d * hk, ("input",)),
                      Gradient(tc * dc * gk, kernel("k")), Gradient(tc * dc * gk, (source,)),
                      Gradient(tc * dc * gk, kernel("v")), Gradient(tc * dc * gk, (source,))]
        return tuple(grads) + (Gradient(scores, q), Gradient(scores, k), Gradient(scores, probabilities),
                               Gradient(scores, v), Gradient(t * hk * d, kernel("o")),
                               Gradient(t * hk * d, probabilities + v + self._scale_norm_weights(cfg, shape, ctx)))

    def _scale_norm_weights(self, cfg, shape, ctx) -> tuple:
        """The names of scale_norm's weights (the norm between the heads' output and the output projection)."""
        return tuple(w.name for w in self.weights(cfg, shape, ctx) if w.name.startswith("scale_norm"))

    def score_macs(self, cfg, shape, out, ctx):
        """The T x T' scores and their weighted sum of the values, per head."""
        t, d, hk, gk, tc, dc = self._cost_dims(cfg, shape)
        return 2 * t * self._span(cfg, tc) * hk

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """2 per MAC of projections, scores and weighted values, and 3 per softmax score (appendix F)."""
        t, d, hk, gk, tc, dc = self._cost_dims(cfg, shape)
        return 2 * self.macs(cfg, shape, out, ctx) + 3 * cfg.heads * t * self._span(cfg, tc)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """pytorch: what the attention kernel ctx.attention keeps, measured with saved_tensors_hooks on
        CPU (tests/test_attention_kernels.py), the same however the layer is spelled (kv_heads equal to
        heads, key_dim, bias=qkv change nothing here):
          every kernel: the projections' input (one contiguous copy when it arrives strided), q
          (T·h·k), k and v of the kv_heads groups (T'·g·k each), a context's own copy when context=;
          sdpa, flash (scaled_dot_product_attention's flash kernel; Hugging Face's default, with
          enable_gqa): the heads' output, which is the output projection's input, and the softmax
          statistics (float32, one per head and position); a causal mask is is_causal: nothing kept;
          eager (the scores written out, as attn_implementation="eager"): k and v repeated to the h
          heads (repeat_kv's copies; with one key/value head, in a batch of one, the expanded view folds
          and the projections' outputs are kept instead), the h·T·T' probabilities, and a contiguous copy
          of the heads' output for the output projection; an additive causal mask keeps nothing.
        With frozen weights (and nothing trained before the layer) each tensor is kept only for the gradients
        that read it (Saved.of): a product keeps each factor for the other factor's gradient (the input for the
        projections' kernels, q for the keys', k for the queries', v for the probabilities', the probabilities
        for the values' and, as softmax's result, for the scores'); scaled_dot_product_attention's kernels keep
        all of theirs once any of q, k, v needs a gradient.
        A learned relative bias (relbias=) needs the scores' gradient, so every kernel keeps what eager
        keeps, and the int64 buckets (one per batch). qk_norm: each RMS norm keeps its input (the
        projection's output), the float32 inverse root mean square of each row (per head, or per
        position with rmsnorm_full) for its input's gradient and, on PyTorch's CPU path, the normalised values
        for its scale's (as rmsnorm does).
        megatron (Korthikanti et al. 2022, eager attention with dropout on the probabilities): the
        projections' input, Q, K and V, the softmax output, its dropout mask and the dropped
        probabilities (the 5·a·s/h term, recomputed under 'selective'), the output projection's input."""
        t, d, hk, gk, tc, dc = self._cost_dims(cfg, shape)
        h = cfg.heads
        # the context: the saved tensor itself (one storage, however many layers read it), a copy if strided
        context = (Saved("other", tc * dc, layout="contiguous"),) if cfg.get("context") else ()
        if style != "pytorch":
            return (Saved("input"),) + context + (
                Saved("own", t * hk + 2 * tc * gk), Saved("own", h * t * tc, core=True),
                Saved("own", h * t * tc, dtype="mask", core=True), Saved("own", h * t * tc, core=True),
                Saved("own", t * hk))
        # with frozen projections (sdpa, flash): the input is kept for the projections' kernels' gradients only
        # (the context for the keys' and values'), the kernel's q, k, v and statistics only where it is recorded
        # (q, k or v needs a gradient), the heads' output also for the output projection's kernel
        source, kernel, q, k, v, probabilities = self._operands(cfg, shape, ctx)
        own = kernel("q") + kernel("qkv") + (kernel("k") + kernel("v") if source == "input" else ())
        context = tuple(Saved(e.what, e.values, layout=e.layout, of=kernel("k") + kernel("v")) for e in context)
        saved = (Saved("input", layout="contiguous", of=own),) + context
        table = tuple(w.name for w in self.weights(cfg, shape, ctx) if w.name.startswith("relative"))
        scale_norm, scale_weights = cfg.get("scale_norm", "none"), self._scale_norm_weights(cfg, shape, ctx)
        # the heads' output is read next by the output projection (kept for its kernel's gradient) or by a
        # scale_norm: an RMS norm keeps it for its input's gradient (that is, for what it is computed from), a
        # LayerNorm (one fused kernel) whenever it is recorded
        if scale_norm == "none":
            reader = kernel("o")
        else:
            reader = probabilities + v + (scale_weights if scale_norm == "layernorm" else ())
        if getattr(ctx, "attention", "sdpa") == "eager" or cfg.get("relbias"):
            # the scores written out: each product keeps each factor for the other's gradient only (q for the
            # keys', the repeated keys for the queries', the repeated values for the probabilities', the
            # probabilities for the values' and, as softmax's result, for the scores'), the heads' output
            # copy for what reads it next
            if cfg.get("relbias") or cfg.get("kv_heads") != 1 or h == 1:
                repeated = (Saved("own", tc * hk, of=q), Saved("own", tc * hk, of=probabilities))
            else:   # one key/value head: repeat_kv's expand folds into a view in a batch of one (no copies)
                repeated = (Saved("own", tc * hk, batched=True, of=q), Saved("own", tc * gk, single=True, of=q),
                            Saved("own", tc * hk, batched=True, of=probabilities),
                            Saved("own", tc * gk, single=True, of=probabilities))
            saved += (Saved("own", t * hk, of=k),) + repeated + (
                Saved("own", h * t * tc, core=True, of=probabilities + v), Saved("own", t * hk, of=reader))
        else:
            core = q + k + v
            # the heads' output: kept by the kernel, and by what reads it next
            saved += (Saved("own", t * hk + 2 * tc * gk, of=core), Saved("own", t * hk, of=core + reader),
                      Saved("own", h * t, dtype="stat", core=True, of=core))
        if cfg.get("relbias"):      # the buckets, for the table's gradient
            saved += (Saved("own", t * tc, dtype="index", per_example=False, of=table),)
        norm = cfg.get("qk_norm", "none")
        if norm != "none":
            g = gk / cfg.key_dim
            full = norm == "rmsnorm_full"
            for values, rows, sources in ((t * hk, t if full else h * t, q), (tc * gk, tc if full else g * tc, k)):
                saved += _norm_saved(norm, values, rows, tuple(n for n in sources if "norm" not in n),
                                     tuple(n for n in sources if "norm" in n))
        if scale_norm != "none":
            # the norm keeps the heads' output (counted above), its statistics and, as its own tensor, the values
            # the output projection reads (for its kernel's gradient)
            saved += _norm_saved(scale_norm, t * hk, t, probabilities + v, scale_weights)[1:] + (
                Saved("own", t * hk, of=kernel("o")),)
        return saved

    def output_layout(self, cfg, shape, out, ctx):
        """The output projection's result: a new batch-first tensor."""
        return "contiguous"

    def kv_cache_values(self, cfg, shape, out, ctx):
        """Keys and values of every position (of the last W with a sliding window): 2·T'·kv_heads·head_dim."""
        t, d, hk, gk, tc, dc = self._cost_dims(cfg, shape)
        return 2 * self._span(cfg, tc) * gk

@register
class PositionalEmbedding(LayerSpec):
    keywords = ("posembed",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "a learned position embedding added to T x D (table of L positions, L defaults to T)"
    formula = "L*D"
    options = {"length": Opt(COUNT, None)}
    min_rank = 2
    max_rank = 2
    diagram = "plain"
    letters = {"input": "D"}
    torch_helpers = {"PositionEmbedding": '''
class PositionEmbedding(nn.Module):
    """A learned position table of `length` rows added to (batch, T, D)."""
    def __init__(self, length, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(length, dim))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]
'''}
    keras_helpers = {"PositionEmbedding": '''
class PositionEmbedding(layers.Layer):
    """A learned position table of `length` rows; the first T rows are added to (batch, T, D)."""
    def __init__(self, length, tokens, **kwargs):
        super().__init__(**kwargs)
        self.length, self.tokens = length, tokens

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(shape=(self.length, input_shape[-1]), initializer="zeros")

    def call(self, x):
        return x + self.position_embeddings[: self.tokens]

    def compute_output_shape(self, input_shape):
        return input_shape
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.length is None:
            cfg["length"] = shape[0]
        else:
            gap = cfg.length - shape[0]
            ctx.require((gap >= 0) if is_number(gap) else None,
                        f"posembed length={cfg.length} is shorter than the {shape[0]} tokens",
                        f"posembed length {cfg.length} must be at least the sequence length {shape[0]}",
                        test=gap + 1)       # a size condition (>= 1) that solve and sweep can check

    def receptive(self, cfg, shape, out, ctx):
        """None: each position gets its own vector added."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Nothing: a sum's gradient needs neither operand."""
        return ()

    def weights(self, cfg, shape, ctx):
        return (Weight("position_embeddings", (cfg.length, shape[-1])),)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per value: the position's vector added."""
        return shape[0] * shape[-1]

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "PositionEmbedding")
        return f"PositionEmbedding({one(row.config.length)}, {one(row.input_shape[-1])})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "PositionEmbedding")
        return out.emit(f"PositionEmbedding({one(row.config.length)}, {one(row.input_shape[0])}, {out.tag(row)})",
                        var, row)

    def import_torch(self, module, r):
        if r.cls(module) != "PositionEmbedding":
            return None
        length = module.length if hasattr(module, "length") else module.weight.shape[0]
        return f"posembed length={int(length)}"

    import_keras = import_torch


    def embedding_params(self, cfg, shape, out, ctx):
        return cfg.length * shape[-1]

@register
class ClassToken(LayerSpec):
    keywords = ("clstoken",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "prepends one learned token: T x D -> (T + 1) x D; tokens=N prepends N (DeiT's class and " \
              "distillation tokens)"
    formula = "D; tokens=N: N*D"
    options = {"tokens": Opt(COUNT, 1, doc="how many learned tokens (timm's num_prefix_tokens)")}
    min_rank = 2
    max_rank = 2
    diagram = "plain"
    letters = {"input": "D"}
    torch_helpers = {"ClassToken": '''
class ClassToken(nn.Module):
    """Prepends one learned token: (batch, T, D) -> (batch, T + 1, D)."""
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return torch.cat([self.weight.expand(x.shape[0], 1, -1), x], dim=1)
''',
                     "ClassTokens": '''
class ClassTokens(nn.Module):
    """Prepends N learned tokens: (batch, T, D) -> (batch, T + N, D)."""
    def __init__(self, dim, tokens):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(tokens, dim))

    def forward(self, x):
        return torch.cat([self.weight.expand(x.shape[0], -1, -1), x], dim=1)
'''}
    keras_helpers = {"ClassToken": '''
class ClassToken(layers.Layer):
    """Prepends one learned token: (batch, T, D) -> (batch, T + 1, D)."""
    def build(self, input_shape):
        self.class_token = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        token = ops.zeros_like(x[:, :1, :]) + self.class_token
        return ops.concatenate([token, x], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + 1, input_shape[2])
'''}

    def receptive(self, cfg, shape, out, ctx):
        """None: the inputs pass through; the token prepended sees no input."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Nothing: a concatenation's gradient is a slice of the output's."""
        return ()

    def output_shape(self, cfg, shape, ctx):
        return (shape[0] + cfg.tokens, shape[1])

    def weights(self, cfg, shape, ctx):
        # one token keeps its (D,) vector (the export and import of plain clstoken are unchanged)
        return (Weight("class_token", (shape[-1],) if cfg.tokens == 1 else (cfg.tokens, shape[-1])),)

    def emit_torch(self, row, out):
        if row.config.tokens != 1:
            out.helper(self.torch_helpers, "ClassTokens")
            return f"ClassTokens({one(row.input_shape[-1])}, {one(row.config.tokens)})"
        out.helper(self.torch_helpers, "ClassToken")
        return f"ClassToken({one(row.input_shape[-1])})"

    def emit_keras(self, row, var, out):
        if row.config.tokens != 1:
            raise out.unsupported("clstoken tokens=N (several learned tokens)")
        out.helper(self.keras_helpers, "ClassToken")
        return out.emit(f"ClassToken({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "ClassTokens":
            return f"clstoken tokens={module.weight.shape[0]}"
        return "clstoken" if r.cls(module) == "ClassToken" else None

    def import_keras(self, layer, r):
        return "clstoken" if r.cls(layer) == "ClassToken" else None

    def embedding_params(self, cfg, shape, out, ctx):
        """The learned tokens, as the embeddings are."""
        return cfg.tokens * shape[-1]

@register
class ClassPool(LayerSpec):
    keywords = ("clspool",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "keeps the first (class) token: T x D -> D; token=I keeps token I (DeiT's distillation token: 1)"
    formula = "0"
    options = {"token": Opt(INTEGER, 0, doc="which token to keep (0: the first)")}
    min_rank = 2
    max_rank = 2
    diagram = "pool"
    torch_helpers = {"ClassPool": '''
class ClassPool(nn.Module):
    """Keeps the first (class) token: (batch, T, D) -> (batch, D)."""
    def forward(self, x):
        return x[:, 0]
''',
                     "TokenPick": '''
class TokenPick(nn.Module):
    """Keeps token I: (batch, T, D) -> (batch, D)."""
    def __init__(self, index):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, self.index]
'''}
    keras_helpers = {"ClassPool": '''
class ClassPool(layers.Layer):
    """Keeps the first (class) token: (batch, T, D) -> (batch, D)."""
    def call(self, x):
        return x[:, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.token and is_number(shape[0]) and is_number(cfg.token) and int(shape[0]) <= int(cfg.token):
            raise ShapeError(f"clspool token={cfg.token} is past the {shape[0]} tokens")

    def output_shape(self, cfg, shape, ctx):
        return (shape[-1],)

    def emit_torch(self, row, out):
        if row.config.token:
            out.helper(self.torch_helpers, "TokenPick")
            return f"TokenPick({one(row.config.token)})"
        out.helper(self.torch_helpers, "ClassPool")
        return "ClassPool()"

    def emit_keras(self, row, var, out):
        if row.config.token:
            raise out.unsupported("clspool token=I (a token other than the first)")
        out.helper(self.keras_helpers, "ClassPool")
        return out.emit(f"ClassPool({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "TokenPick":
            return f"clspool token={module.index}" if module.index else "clspool"
        return "clspool" if r.cls(module) == "ClassPool" else None

    def import_keras(self, layer, r):
        return "clspool" if r.cls(layer) == "ClassPool" else None


    def output_is_view(self, cfg, shape, out, ctx):
        """x[:, 0] is a view."""
        return True

    def output_layout(self, cfg, shape, out, ctx):
        """One row per example: contiguous even when taken from a transposed (T, batch, d) result."""
        return "contiguous"

@register
class TiedHead(LayerSpec):
    keywords = ("unembed", "tiedhead")
    pytorch_classes = {}
    keras_classes = {}
    gives_logits = True
    summary = "output logits over the vocabulary with the embedding matrix reused (tied): T x D -> T x V"
    formula = "0 (the weights are the embedding's)"
    arguments = (Arg("vocabulary", COUNT, required=False),)
    diagram = "plain"
    torch_helpers = {"Unembed": '''
class Unembed(nn.Module):
    """Logits over the vocabulary with the embedding's weight (tied, not a second parameter)."""
    def __init__(self, embedding):
        super().__init__()
        self.__dict__["embedding"] = embedding      # not registered: the weight is counted once

    def forward(self, x):
        return x @ self.embedding.weight.t()
'''}
    keras_helpers = {"Unembed": '''
class Unembed(layers.Layer):
    """Logits over the vocabulary with the embedding's matrix (tied: no weight of its own)."""
    def __init__(self, embedding, **kwargs):
        super().__init__(**kwargs)
        self.embedding = lambda: embedding        # a function, so Keras does not track it twice

    def call(self, x):
        return ops.matmul(x, ops.transpose(self.embedding().embeddings))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.embedding().input_dim,)
'''}

    def configure(self, cfg, shape, ctx):
        if not ctx.embeddings:
            raise DefinitionError("unembed reuses an embedding's weights, but no embedding comes before it")
        vocab, dim = ctx.embeddings[-1]
        if cfg.vocabulary is None:
            cfg["vocabulary"] = vocab
        elif is_number(cfg.vocabulary - vocab) and cfg.vocabulary != vocab:
            raise ShapeError(f"unembed {cfg.vocabulary} does not match the embedding's vocabulary {vocab}")
        if is_number(shape[-1] - dim) and shape[-1] != dim:
            raise ShapeError(f"unembed needs width {dim} (the embedding's) but gets {shape[-1]}")

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.vocabulary,)

    def macs(self, cfg, shape, out, ctx):
        """T·D·V: the logits, every position's D values against every one of the V embeddings."""
        return product(shape) * cfg.vocabulary

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Unembed")
        return f"Unembed(self.{out.embedding})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "Unembed")
        return out.emit(f"Unembed({out.embedding}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "unembed" if r.cls(module) == "Unembed" else None

    import_keras = import_torch
    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, for the table's gradient (none when the embedding is frozen)."""
        return (Saved("input", layout="contiguous", of=("tied",)),)

    def shared_product_params(self, cfg, shape, out, ctx):
        """The embedding table, read here as a matrix product (PaLM's N counts it)."""
        return cfg.vocabulary * shape[-1]


# ----------------------------------------------------------------------------- weight layouts
# (where Keras and PyTorch lay this kind's weights out differently: the kind's own knowledge)

def attention_weights(d, heads, key_dim, bias: bool, convention: str) -> list:
    """(name, shape) of multi-head self-attention. Keras: query/key/value kernels (d, h, k) and an
    output kernel (h, k, d); PyTorch: one packed in_proj (3d, d) and out_proj (d, d)."""
    out = []
    if convention == conventions.KERAS:
        for name in ("query", "key", "value"):
            out.append((f"{name}_kernel", (d, heads, key_dim)))
            if bias:
                out.append((f"{name}_bias", (heads, key_dim)))
        out.append(("output_kernel", (heads, key_dim, d)))
        if bias:
            out.append(("output_bias", (d,)))
        return out
    out.append(("in_proj_weight", (3 * d, d)))
    if bias:
        out.append(("in_proj_bias", (3 * d,)))
    out.append(("out_proj.weight", (d, d)))
    if bias:
        out.append(("out_proj.bias", (d,)))
    return out


def attention_projection_weights(d, context_dim, heads, kv_heads, key_dim, qkv_bias: bool, out_bias: bool,
                                 relbias, convention: str, k_bias: bool | None = None) -> list:
    """(name, shape) of attention written as four projections (grouped-query, cross-attention or a
    relative position bias). Keras: query (d, h, k), key and value (d_ctx, g, k), output (h, k, d)
    kernels (MultiHeadAttention / GroupQueryAttention); PyTorch: q_proj, k_proj, v_proj, o_proj Linear
    weights (out, in), as Hugging Face writes them. The relative bias table is (buckets, heads)."""
    out = []
    k_bias = qkv_bias if k_bias is None else k_bias         # Whisper: q, v and o biased, k not
    if convention == conventions.KERAS:
        for name, width, n in (("query", d, heads), ("key", context_dim, kv_heads), ("value", context_dim, kv_heads)):
            out.append((f"{name}_kernel", (width, n, key_dim)))
            if qkv_bias and (k_bias or name != "key"):
                out.append((f"{name}_bias", (n, key_dim)))
        out.append(("output_kernel", (heads, key_dim, d)))
        if out_bias:
            out.append(("output_bias", (d,)))
        if relbias:
            out.append(("relative_attention_bias", (relbias, heads)))
        return out
    for name, width, n in (("q_proj", d, heads), ("k_proj", context_dim, kv_heads), ("v_proj", context_dim, kv_heads)):
        out.append((f"{name}.weight", (n * key_dim, width)))
        if qkv_bias and (k_bias or name != "k_proj"):
            out.append((f"{name}.bias", (n * key_dim,)))
    out.append(("o_proj.weight", (d, heads * key_dim)))
    if out_bias:
        out.append(("o_proj.bias", (d,)))
    if relbias:
        out.append(("relative_attention_bias.weight", (relbias, heads)))
    return out
