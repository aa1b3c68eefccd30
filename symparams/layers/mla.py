"""mla: multi-head latent attention (DeepSeek-V2, V3) on a T x d sequence. The keys and values come from one
low-rank latent per position: kv_a_proj_with_mqa (d -> kv_lora_rank + qk_rope_head_dim: the latent and one
rotary key shared by the heads), an RMS norm of the latent, kv_b_proj (kv_lora_rank -> heads·(qk_nope_head_dim +
v_head_dim)); the queries come from q_proj (d -> heads·(nope + rope)) or, with q_lora_rank, through a low-rank
q_a_proj, an RMS norm and q_b_proj; o_proj maps heads·v_head_dim back to d. The names are DeepSeek's config
fields. Inference caches the latent and the rotary key only: kv_lora_rank + qk_rope_head_dim values per token,
whatever the number of heads (rotary positions have no weights)."""

from __future__ import annotations

from .base import BOOL, COUNT, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one
from ..errors import DefinitionError


@register
class LatentAttention(LayerSpec):
    keywords = ("mla",)
    summary = ("multi-head latent attention (DeepSeek-V2/V3) on T x d: keys and values from a low-rank latent "
               "(kv_lora_rank) with a shared rotary key, queries direct or low-rank (q_lora_rank); the latent is "
               "the KV cache")
    formula = ("d*h*(n + r) [or d*q + q + q*h*(n + r)] + d*(c + r) + c + c*h*(n + v) + h*v*d; c = kv_lora_rank, "
               "r = qk_rope_head_dim, n = qk_nope_head_dim, v = v_head_dim, q = q_lora_rank")
    options = {"heads": Opt(COUNT, None, doc="H query heads"),
               "kv_lora_rank": Opt(COUNT, None, doc="c: the key/value latent's width"),
               "q_lora_rank": Opt(COUNT, None, doc="q: the queries' low rank (none: a direct q_proj)"),
               "qk_rope_head_dim": Opt(COUNT, 64, doc="r: rotary part of each query/key head"),
               "qk_nope_head_dim": Opt(COUNT, 128, doc="n: the rest of each query/key head"),
               "v_head_dim": Opt(COUNT, 128, doc="v: each value head"),
               "bias": Opt(BOOL, False, doc="biases on q_a_proj, kv_a_proj_with_mqa and o_proj (attention_bias)"),
               "causal": Opt(BOOL, False)}
    pytorch_classes: dict = {}
    keras_classes: dict = {}
    min_rank = 2
    max_rank = 2
    diagram = "attention"
    letters = {"input": "d"}
    unsupported = {"keras": "Keras has no multi-head latent attention, and symparams writes none yet"}
    torch_helpers = {"LatentAttention": '''
class LatentAttention(nn.Module):
    """Multi-head latent attention with DeepSeek's module names (rotary positions left out: they have no
    weights): queries direct or through a low rank, keys and values from a normalised latent plus one
    shared rotary key."""
    def __init__(self, dim, heads, kv_lora_rank, q_lora_rank=None, rope=64, nope=128, v_dim=128, bias=False,
                 causal=False):
        super().__init__()
        self.heads, self.rope, self.nope, self.v_dim, self.causal = heads, rope, nope, v_dim, causal
        self.kv_lora_rank, self.q_lora_rank = kv_lora_rank, q_lora_rank
        if q_lora_rank is None:
            self.q_proj = nn.Linear(dim, heads * (nope + rope), bias=False)
        else:
            self.q_a_proj = nn.Linear(dim, q_lora_rank, bias=bias)
            self.q_a_layernorm = nn.RMSNorm(q_lora_rank)
            self.q_b_proj = nn.Linear(q_lora_rank, heads * (nope + rope), bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(dim, kv_lora_rank + rope, bias=bias)
        self.kv_a_layernorm = nn.RMSNorm(kv_lora_rank)
        self.kv_b_proj = nn.Linear(kv_lora_rank, heads * (nope + v_dim), bias=False)
        self.o_proj = nn.Linear(heads * v_dim, dim, bias=bias)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.q_proj(x) if self.q_lora_rank is None else self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q = q.view(b, t, self.heads, self.nope + self.rope).transpose(1, 2)
        latent, k_rope = self.kv_a_proj_with_mqa(x).split([self.kv_lora_rank, self.rope], dim=-1)
        kv = self.kv_b_proj(self.kv_a_layernorm(latent)).view(b, t, self.heads, self.nope + self.v_dim).transpose(1, 2)
        k_nope, v = kv.split([self.nope, self.v_dim], dim=-1)
        k = torch.cat([k_nope, k_rope.view(b, 1, t, self.rope).expand(b, self.heads, t, self.rope)], dim=-1)
        scores = q @ k.transpose(-1, -2) / (self.nope + self.rope) ** 0.5
        if self.causal:
            scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.heads * self.v_dim)
        return self.o_proj(out)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None or cfg.kv_lora_rank is None:
            raise DefinitionError("mla needs heads=H and kv_lora_rank=C (DeepSeek-V2-Lite: heads=16 kv_lora_rank=512)")

    @staticmethod
    def _dims(cfg, shape):
        """(T, d, H, c, q or None, r, n, v)."""
        return (shape[0], shape[-1], cfg.heads, cfg.kv_lora_rank, cfg.q_lora_rank, cfg.qk_rope_head_dim,
                cfg.qk_nope_head_dim, cfg.v_head_dim)

    def weights(self, cfg, shape, ctx):
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        out = []
        if q is None:
            out.append(Weight("q_proj.weight", (h * (n + r), d)))
        else:
            out.append(Weight("q_a_proj.weight", (q, d)))
            if cfg.bias:
                out.append(Weight("q_a_proj.bias", (q,)))
            out += [Weight("q_a_layernorm.weight", (q,)), Weight("q_b_proj.weight", (h * (n + r), q))]
        out.append(Weight("kv_a_proj_with_mqa.weight", (c + r, d)))
        if cfg.bias:
            out.append(Weight("kv_a_proj_with_mqa.bias", (c + r,)))
        out += [Weight("kv_a_layernorm.weight", (c,)), Weight("kv_b_proj.weight", (h * (n + v), c)),
                Weight("o_proj.weight", (d, h * v))]
        if cfg.bias:
            out.append(Weight("o_proj.bias", (d,)))
        return tuple(out)

    def _projection_macs(self, cfg, shape):
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        queries = d * h * (n + r) if q is None else d * q + q * h * (n + r)
        return t * (queries + d * (c + r) + c * h * (n + v) + h * v * d)

    def macs(self, cfg, shape, out, ctx):
        """T·(d·H·(n + r) [or d·q + q·H·(n + r)] + d·(c + r) + c·H·(n + v) + H·v·d) for the projections, and
        T·T·H·(n + r + v) for the scores and the weighted sum of the values."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        return self._projection_macs(cfg, shape) + t * t * h * (n + r + v)

    def gradients(self, cfg, shape, out, ctx):
        """Each projection's kernel gradient and its input's: the layer's input for q_proj (or q_a_proj) and
        kv_a_proj_with_mqa, the normalised latent for q_b_proj and kv_b_proj (computed from the input, the
        first projection and its norm); the scores' gradients for the queries and the keys (the latent's
        and the shared rotary key's), the weighted sum's for the probabilities and the values; o_proj's kernel
        gradient and its input's (the heads' output). Each where what it is computed from needs one."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        names = {w.name.split(".")[0]: [] for w in self.weights(cfg, shape, ctx)}
        for w in self.weights(cfg, shape, ctx):
            names[w.name.split(".")[0]].append(w.name)

        def of(*modules):
            return tuple(name for m in modules for name in names.get(m, ()))
        latent = ("input",) + of("kv_a_proj_with_mqa", "kv_a_layernorm")
        keys = values = latent + of("kv_b_proj")
        if q is None:
            queries = ("input",) + of("q_proj")
            grads = [Gradient(t * d * h * (n + r), ("q_proj.weight",)), Gradient(t * d * h * (n + r), ("input",))]
        else:
            low = ("input",) + of("q_a_proj", "q_a_layernorm")
            queries = low + of("q_b_proj")
            grads = [Gradient(t * d * q, ("q_a_proj.weight",)), Gradient(t * d * q, ("input",)),
                     Gradient(t * q * h * (n + r), ("q_b_proj.weight",)), Gradient(t * q * h * (n + r), low)]
        grads += [Gradient(t * d * (c + r), ("kv_a_proj_with_mqa.weight",)), Gradient(t * d * (c + r), ("input",)),
                  Gradient(t * c * h * (n + v), ("kv_b_proj.weight",)), Gradient(t * c * h * (n + v), latent)]
        scores, weighted = t * t * h * (n + r), t * t * h * v
        heads = queries + keys + values
        return tuple(grads) + (Gradient(scores, queries), Gradient(scores, keys), Gradient(weighted, queries + keys),
                               Gradient(weighted, values), Gradient(t * h * v * d, ("o_proj.weight",)),
                               Gradient(t * h * v * d, heads))

    def score_macs(self, cfg, shape, out, ctx):
        """The T x T scores (n + r wide) and the weighted values (v wide), per head."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        return t * t * h * (n + r + v)

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        return t * ((q or 0) + c + r + d) if cfg.bias else 0

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score (the softmax over each head's T x T scores) and 4 per value of each RMS-normalised latent."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        return h * t * t + 4 * t * (c + (q or 0))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported LatentAttention (eager scores, measured with saved_tensors_hooks on
        CPU), per example; each term is the tensor a backward step reads:
          T·d          the input, for the weight gradients of q_proj (or q_a_proj) and kv_a_proj_with_mqa: one
                       entry each, as each Linear copies a strided input on its own
          T·(c+r)      kv_a_proj_with_mqa's output: the latent is a view of it, the RMS norm's input
          T, T·c, T·c  the latent's RMS norm as the rmsnorm kind keeps it: the float32 inverse root mean square
                       per position, the normalised values (PyTorch's CPU path only) and the scaled result,
                       which is kv_b_proj's input
          T·q, T, 2T·q the same for the low-rank queries (q_a_proj's output, its norm), with q_lora_rank
          T·H·(n+r)    the queries, for the scores' gradient (a copy of the head-major view, or the projection's
                       output itself when it folds: one head or one position; the same size either way)
          T·H·(n+r)    the keys: the concatenation of the no-rope keys and the shared rotary key
          H·T·T        the softmax's output (its own gradient and the weighted sum's)
          T·H·v        the values as the weighted sum reads them: a copy of the head-major view; with one head,
                       one position or one example the view folds and kv_b_proj's whole output (T·H·(n+v)) is
                       kept instead
          T·H·v        the heads' output, o_proj's input (a copy, or the product itself: the same size)
        and once for the batch the causal mask (T x T bools, masked_fill's). The scale 1/sqrt(n+r) is a Python
        number (autograd keeps it as a 0-d float64 that saved_tensors_hooks does not see). Each tensor is kept only
        for the gradients that read it (Saved.of): a product's factor for the other factor's gradient, a norm's
        input and statistics for its input's, so frozen weights (with nothing trained before the layer) drop what
        only their gradients would read. Megatron's accounting keeps only the inputs of the RMS norms, as the
        rmsnorm kind's."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        if style != "pytorch":
            saved = (Saved("input"), Saved("input"), Saved("own", t * (c + r)), Saved("own", t * c))
            if q is not None:
                saved += (Saved("own", t * q), Saved("own", t * q))
            saved += (Saved("own", 2 * t * h * (n + r)), Saved("own", h * t * t, core=True),
                      Saved("own", t * h * (n + v) if h == 1 or t == 1 else t * h * v), Saved("own", t * h * v))
            if cfg.causal:
                saved += (Saved("own", t * t, dtype="bool", per_example=False, core=True),)
            return saved
        names = [w.name for w in self.weights(cfg, shape, ctx)]

        def of(*modules):
            return tuple(name for name in names if name.split(".")[0] in modules)
        # what each intermediate is computed from (it needs a gradient when one of these does); a product keeps
        # each factor for the other's gradient only, an RMS norm its input and statistics for its input's
        latent = ("input",) + of("kv_a_proj_with_mqa")
        kv = latent + of("kv_a_layernorm", "kv_b_proj")
        if q is None:
            queries = ("input",) + of("q_proj")
            saved = (Saved("input", layout="contiguous", of=("q_proj.weight",)),)
        else:
            low = ("input",) + of("q_a_proj")
            queries = low + of("q_a_layernorm", "q_b_proj")
            saved = (Saved("input", layout="contiguous", of=("q_a_proj.weight",)),
                     Saved("own", t * q, of=low), Saved("own", t, dtype="stat", of=low),
                     Saved("own", t * q, dtype="cpu", of=("q_a_layernorm.weight",)),
                     Saved("own", t * q, of=("q_b_proj.weight",)))
        scores = queries + kv
        saved += (Saved("input", layout="contiguous", of=("kv_a_proj_with_mqa.weight",)),
                  Saved("own", t * (c + r), of=latent), Saved("own", t, dtype="stat", of=latent),
                  Saved("own", t * c, dtype="cpu", of=("kv_a_layernorm.weight",)),
                  Saved("own", t * c, of=("kv_b_proj.weight",)),
                  Saved("own", t * h * (n + r), of=kv), Saved("own", t * h * (n + r), of=queries),
                  Saved("own", h * t * t, core=True, of=scores))
        # v as the weighted sum reads it: kv_b_proj's whole output where the head-major view folds (one head or one
        # position; in a batch of one too), else a copy of the view
        if h == 1 or t == 1:
            saved += (Saved("own", t * h * (n + v), of=scores),)
        else:
            saved += (Saved("own", t * h * v, batched=True, of=scores),
                      Saved("own", t * h * (n + v), single=True, of=scores))
        saved += (Saved("own", t * h * v, of=("o_proj.weight",)),)
        if cfg.causal:
            saved += (Saved("own", t * t, dtype="bool", per_example=False, core=True, of=scores),)
        return saved

    def kv_cache_values(self, cfg, shape, out, ctx):
        """T·(kv_lora_rank + qk_rope_head_dim): the latent and the shared rotary key, not H keys and values."""
        t, d, h, c, q, r, n, v = self._dims(cfg, shape)
        return t * (c + r)

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "LatentAttention")
        t, d, h, c, q, r, n, v = (one(x) if x is not None else None for x in self._dims(cfg, row.input_shape))
        text = f"LatentAttention({d}, {h}, {c}"
        if q is not None:
            text += f", q_lora_rank={q}"
        text += f", rope={r}, nope={n}, v_dim={v}"
        if cfg.bias:
            text += ", bias=True"
        if cfg.causal:
            text += ", causal=True"
        return text + ")"

    def import_torch(self, module, r):
        """symparams' LatentAttention, and transformers' DeepseekV2Attention / DeepseekV3Attention."""
        if r.cls(module) not in ("LatentAttention", "DeepseekV2Attention", "DeepseekV3Attention"):
            return None
        kv_a, kv_b, o = module.kv_a_proj_with_mqa, module.kv_b_proj, module.o_proj
        heads = getattr(module, "heads", None) or module.num_heads
        rope = getattr(module, "rope", None) or module.qk_rope_head_dim
        c = kv_a.out_features - rope
        v = o.in_features // heads
        nope = kv_b.out_features // heads - v
        text = f"mla heads={heads} kv_lora_rank={c}"
        q_b = getattr(module, "q_b_proj", None)
        if q_b is not None:
            text += f" q_lora_rank={q_b.in_features}"
        text += f" qk_rope_head_dim={rope} qk_nope_head_dim={nope} v_head_dim={v}"
        if o.bias is not None:
            text += " bias=true"
        return text + (" causal=true" if getattr(module, "causal", False) or r.cls(module) != "LatentAttention"
                       else "")
