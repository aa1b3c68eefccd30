"""attentionpool: attention pooling with a learned latent query (SigLIP's and timm's "map" head,
AttentionPoolLatent). L learned latent tokens (1 by default) are the queries; the keys and values come from
the T x D input; H heads; an output projection. T x D -> D (L x D with latent=L > 1). timm's unit also
normalises and runs an MLP on the pooled token; the import writes those as their own lines after this one
(`residual { layernorm; dense 4D; gelu; dense D }`), so the kind is the attention step alone. Neither
framework ships it under one class (timm's is the reference): the PyTorch export writes its own module with
timm's weight names (latent, q, kv, proj); Keras has none (refused by name)."""

from __future__ import annotations

from ..algebra import ratio
from ..algebra import is_number
from ..errors import DefinitionError, ShapeError
from ..wording import named as quantity
from .base import BOOL, COUNT, INTEGER, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one


@register
class AttentionPool(LayerSpec):
    keywords = ("attentionpool",)
    pytorch_classes = {}            # torch.nn has none; timm.layers.AttentionPoolLatent is read by the importer
    keras_classes = {}
    summary = ("attention pooling with a learned latent query (SigLIP's map head): L latent tokens attend over "
               "the T x D tokens with H heads (q from the latent, k and v from the input, an output projection): "
               "T x D -> D, or L x D with latent=L")
    formula = "L*D + 4*D**2 + 4*D (qkv_bias=false: L*D + 4*D**2 + D)"
    options = {"heads": Opt(COUNT, None),
               "latent": Opt(COUNT, 1, doc="learned query tokens (timm's latent_len)"),
               "qkv_bias": Opt(BOOL, True, doc="biases on q and kv (the output projection keeps its bias)"),
               "prefix": Opt(INTEGER, 0, doc="tokens skipped: keys and values from the tokens after the first N "
                                             "(timm's x[:, N:] before its pool, N register tokens)")}
    min_rank = 2
    max_rank = 2
    diagram = "attention"
    letters = {"input": "D", "heads": "h", "latent": "L"}
    unsupported = {"keras": "attentionpool (a learned latent query): Keras has no attention pooling layer"}
    torch_helpers = {"AttentionPool": '''
class AttentionPool(nn.Module):
    """Attention pooling with a learned latent query (timm's AttentionPoolLatent without its norm and MLP):
    (batch, T, D) -> (batch, D), or (batch, L, D) with L > 1 latent tokens; timm's weight names."""
    def __init__(self, dim, heads, latent=1, qkv_bias=True, prefix=0):
        super().__init__()
        self.heads, self.latent_len, self.prefix = heads, latent, prefix
        self.latent = nn.Parameter(torch.zeros(1, latent, dim))
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        x = x[:, self.prefix:]
        b, t, d = x.shape
        h, n = self.heads, self.latent_len
        q = self.q(self.latent.expand(b, -1, -1)).reshape(b, n, h, d // h).transpose(1, 2)
        k, v = self.kv(x).reshape(b, t, 2, h, d // h).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        out = self.proj(out.transpose(1, 2).reshape(b, n, d))
        return out[:, 0] if n == 1 else out
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("attentionpool needs heads=H")
        d, heads = shape[-1], cfg.heads
        ctx.require_divides(heads, d, Deferred(lambda: f"{quantity('heads', heads)} does not divide "
                                                       f"{quantity('the width', d)}"),
                            Deferred(lambda: f"{quantity('heads', heads)} must divide {quantity('the width', d)}"))
        cfg["key_dim"] = ratio(d, heads)
        if is_number(shape[0]) and is_number(cfg.prefix) and int(cfg.prefix) >= int(shape[0]):
            raise ShapeError(f"attentionpool prefix={cfg.prefix} skips all of the {shape[0]} tokens")

    def output_shape(self, cfg, shape, ctx):
        return (shape[-1],) if cfg.latent == 1 else (cfg.latent, shape[-1])

    def weights(self, cfg, shape, ctx):
        d = shape[-1]
        out = [Weight("latent", (cfg.latent, d)), Weight("q.weight", (d, d))]
        out += [Weight("q.bias", (d,))] if cfg.qkv_bias else []
        out += [Weight("kv.weight", (2 * d, d))] + ([Weight("kv.bias", (2 * d,))] if cfg.qkv_bias else [])
        return tuple(out + [Weight("proj.weight", (d, d)), Weight("proj.bias", (d,))])

    def macs(self, cfg, shape, out, ctx):
        """2·L·D² + 2·T·D² + 2·L·T·D: the q and output projections of the L latent tokens, k and v of the T
        tokens, the L x T scores of every head and their weighted sum of the values."""
        t, d, n = shape[0] - cfg.prefix, shape[-1], cfg.latent
        return 2 * n * d * d + 2 * t * d * d + 2 * n * t * d

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, n = shape[0] - cfg.prefix, shape[-1], cfg.latent
        return (n * d + 2 * t * d if cfg.qkv_bias else 0) + n * d

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score: the softmax over each head's L x T scores (T: the tokens after the prefix)."""
        return cfg.heads * cfg.latent * (shape[0] - cfg.prefix)

    def gradients(self, cfg, shape, out, ctx):
        """Each projection's kernel gradient and its input's (q's input is the latent, a weight; kv's the layer's
        input); the scores' for the queries and the keys, the weighted sum's for the probabilities and the values;
        the output projection's kernel gradient and its input's. Each where what it is computed from needs one."""
        t, d, n = shape[0] - cfg.prefix, shape[-1], cfg.latent
        names = [w.name for w in self.weights(cfg, shape, ctx)]
        queries = ("latent",) + tuple(name for name in names if name.startswith("q."))
        keys = values = ("input",) + tuple(name for name in names if name.startswith("kv."))
        return (Gradient(n * d * d, ("q.weight",)), Gradient(n * d * d, ("latent",)),
                Gradient(2 * t * d * d, ("kv.weight",)), Gradient(2 * t * d * d, ("input",)),
                Gradient(n * t * d, queries), Gradient(n * t * d, keys), Gradient(n * t * d, queries + keys),
                Gradient(n * t * d, values), Gradient(n * d * d, ("proj.weight",)),
                Gradient(n * d * d, queries + keys))

    def score_macs(self, cfg, shape, out, ctx):
        """The L x T scores and their weighted sum of the values, per head."""
        return 2 * cfg.latent * (shape[0] - cfg.prefix) * shape[-1]

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """2 per MAC, and 3 per softmax score (appendix F)."""
        return 2 * self.macs(cfg, shape, out, ctx) + 3 * cfg.heads * cfg.latent * (shape[0] - cfg.prefix)

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """pytorch (the exported module in training mode, CPU): the kv projection's input; its T x 2D output,
        whose views are the keys and values; the L x D queries; the heads' L x D output and its float32
        softmax statistics (one per head and latent token), which scaled_dot_product_attention keeps; the
        output projection reads the heads' output in place (L·D more only when L > 1, a copy). The latent's
        expanded view is a weight's. megatron: the same tensors, and the h·L·T probabilities, their dropout
        mask and the dropped probabilities (as attention keeps them)."""
        t, d, n, h = shape[0] - cfg.prefix, shape[-1], cfg.latent, cfg.heads
        # a prefix makes the kv projection's input a strided view of the sequence: its contiguous copy is kept
        saved = (Saved("input", layout="contiguous") if not cfg.prefix else Saved("own", t * d),
                 Saved("own", 2 * t * d + 2 * n * d))
        if style != "pytorch":
            return saved + (Saved("own", h * n * t, core=True), Saved("own", h * n * t, dtype="mask", core=True),
                            Saved("own", h * n * t, core=True))
        return saved + (Saved("own", h * n, dtype="stat", core=True),) + (
            (Saved("own", n * d),) if n != 1 else ())

    def output_layout(self, cfg, shape, out, ctx):
        """The projection's new L x D output (x[:, 0] of its one token with L = 1, the same storage in order)."""
        return "contiguous"

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "AttentionPool")
        return (f"AttentionPool({one(row.input_shape[-1])}, {one(cfg.heads)}"
                + (f", latent={one(cfg.latent)}" if cfg.latent != 1 else "")
                + ("" if cfg.qkv_bias else ", qkv_bias=False")
                + (f", prefix={one(cfg.prefix)}" if cfg.prefix else "") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "AttentionPool":
            return None
        return (f"attentionpool heads={module.heads}" + (f" latent={module.latent_len}" if module.latent_len != 1
                                                          else "")
                + ("" if module.q.bias is not None else " qkv_bias=false")
                + (f" prefix={module.prefix}" if module.prefix else ""))
