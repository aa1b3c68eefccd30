"""CaiT's two attentions (Touvron et al. 2021, Going deeper with image transformers; timm's cait.py).

talkingheads: self-attention on T x D whose H heads' scores are mixed across the heads by a learned H x H linear
map (with a bias) before the softmax (proj_l) and another after it (proj_w) -- talking-heads attention (Shazeer et
al. 2020), timm's TalkingHeadAttn: a qkv projection (biased unless qkv_bias=false), proj_l, proj_w, a biased
output projection.

classattention: one whole class-attention block of CaiT (timm's LayerScaleBlockClassAttn with its ClassAttn) on
the sequence [class token; N patches], T = 1 + N: the class token alone is updated; the patches pass through.
    u   = LayerNorm(x)                        (all T tokens; norm1)
    cls = x[0] + gamma_1 * proj(attention of q(u[0]) over k(u), v(u))
    cls = cls + gamma_2 * fc2(GELU(fc1(LayerNorm(cls))))       (norm2, the MLP of hidden=F, 4·D by default)
It is one kind rather than an attention line inside a residual because its residual, layer scale and MLP run on
the class token only: written as lines over the T tokens they would count T times the MLP's cost.

torch.nn has neither: the PyTorch export writes both under timm's class and weight names, and the import reads
timm's modules and the export's; Keras has neither (refused by name). Their exports lay out each product's operands
before it, so that what autograd keeps is one list of sizes (measured against saved_tensors_hooks)."""

from __future__ import annotations

from ..errors import DefinitionError
from ..numeric import sympy
from ..wording import named as quantity
from .base import BOOL, COUNT, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one

def _heads_divide(kind: str, cfg, d, ctx):
    if cfg.heads is None:
        raise DefinitionError(f"{kind} needs heads=H")
    ctx.require_divides(cfg.heads, d, Deferred(lambda: f"{kind}: {quantity('heads', cfg.heads)} do not divide "
                                                       f"{quantity('the width', d)}"),
                        f"{kind}: heads must divide the width")


@register
class TalkingHeads(LayerSpec):
    keywords = ("talkingheads",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's TalkingHeadAttn and the export's are read
    keras_classes: dict = {}
    summary = ("talking-heads self-attention on T x D (CaiT, timm's TalkingHeadAttn): the heads' scores mixed "
               "by a learned H x H map before the softmax (proj_l) and after it (proj_w)")
    formula = "4*D**2 + 2*(h**2 + h) + D (qkv_bias=true: + 3*D)"
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "qkv_bias": Opt(BOOL, True, doc="a bias on the q, k, v projection (timm qkv_bias)")}
    min_rank = 2
    max_rank = 2
    diagram = "attention"
    letters = {"input": "D", "heads": "h"}
    unsupported = {"keras": "talkingheads (CaiT's talking-heads attention): Keras has no such layer, and symparams "
                            "writes none yet"}
    torch_helpers = {"TalkingHeadAttn": '''
class TalkingHeadAttn(nn.Module):
    """Talking-heads self-attention on B x T x D (timm's TalkingHeadAttn, its weight names): each head's scores
    are mixed across the heads by proj_l before the softmax over the keys and by proj_w after it."""
    def __init__(self, dim, heads, qkv_bias=True):
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj_l = nn.Linear(heads, heads)
        self.proj_w = nn.Linear(heads, heads)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        h = self.num_heads
        qkv = self.qkv(x).view(b, t, 3, h, d // h)
        # q, k and v copied to heads-first rows, and each product's operands laid out before it, whatever the
        # sizes: one layout, so that what autograd keeps is the same for every configuration (the sizes counted)
        q, k, v = (qkv[:, :, i].transpose(1, 2).clone(memory_format=torch.contiguous_format).view(b * h, t, -1)
                   for i in range(3))
        scores = torch.bmm(q * self.scale, k.transpose(1, 2)).view(b, h, t, t)
        # heads last (B x T x T x H), so that a Linear over them mixes the heads of each query-key pair
        mixed = self.proj_l(scores.permute(0, 2, 3, 1).clone(memory_format=torch.contiguous_format))
        weights = self.proj_w(mixed.softmax(dim=2)).permute(0, 3, 1, 2)
        out = torch.bmm(weights.clone(memory_format=torch.contiguous_format).view(b * h, t, t), v)
        return self.proj(out.view(b, h, t, -1).transpose(1, 2).clone(memory_format=torch.contiguous_format)
                         .view(b, t, d))
'''}

    def configure(self, cfg, shape, ctx):
        _heads_divide("talkingheads", cfg, shape[-1], ctx)

    def output_shape(self, cfg, shape, ctx):
        return tuple(shape)

    def weights(self, cfg, shape, ctx):
        d, h = shape[-1], cfg.heads
        out = [Weight("qkv.weight", (3 * d, d))] + ([Weight("qkv.bias", (3 * d,))] if cfg.qkv_bias else [])
        for mix in ("proj_l", "proj_w"):
            out += [Weight(f"{mix}.weight", (h, h)), Weight(f"{mix}.bias", (h,))]
        return tuple(out + [Weight("proj.weight", (d, d)), Weight("proj.bias", (d,))])

    def macs(self, cfg, shape, out, ctx):
        """4·T·D² + 2·T²·D + 2·T²·h²: the q, k, v and output projections, the T x T scores of every head and
        their weighted sum of the values, and the two mixings of the h heads' scores of every query-key pair."""
        t, d, h = shape[0], shape[-1], cfg.heads
        return 4 * t * d * d + 2 * t * t * d + 2 * t * t * h * h

    def score_macs(self, cfg, shape, out, ctx):
        """The T x T scores and their weighted sum of the values, per head."""
        return 2 * shape[0] * shape[0] * shape[-1]

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, h = shape[0], shape[-1], cfg.heads
        return (3 * t * d if cfg.qkv_bias else 0) + 2 * t * t * h + t * d

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score: the softmax over each head's T x T (mixed) scores."""
        return cfg.heads * shape[0] * shape[0]

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """2 per MAC of projections, scores, head mixings and weighted values, and 3 per softmax score."""
        return 2 * self.macs(cfg, shape, out, ctx) + 3 * cfg.heads * shape[0] * shape[0]

    def gradients(self, cfg, shape, out, ctx):
        """The projections' kernel and input gradients; the scores' for q and k; each mixing's kernel gradient and
        its input's (the scores, the probabilities); the weighted sum's for the probabilities and for v; each
        where what its operand is computed from needs one."""
        t, d, h = shape[0], shape[-1], cfg.heads
        qkv = ("input", "qkv.weight") + (("qkv.bias",) if cfg.qkv_bias else ())
        mixed_l = qkv + ("proj_l.weight", "proj_l.bias")
        mixed_w = mixed_l + ("proj_w.weight", "proj_w.bias")
        scores, mixing = t * t * d, t * t * h * h
        return (Gradient(3 * t * d * d, ("qkv.weight",)), Gradient(3 * t * d * d, ("input",)),
                Gradient(scores, qkv), Gradient(scores, qkv),
                Gradient(mixing, ("proj_l.weight",)), Gradient(mixing, qkv),
                Gradient(mixing, ("proj_w.weight",)), Gradient(mixing, mixed_l),
                Gradient(scores, mixed_w), Gradient(scores, qkv),
                Gradient(t * d * d, ("proj.weight",)), Gradient(t * d * d, mixed_w))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported TalkingHeadAttn, per example (measured with saved_tensors_hooks,
        tests/kinds/test_cait.py), each kept only for the gradients that read it:
          T·D      the input (a contiguous copy when it arrives strided), for qkv's kernel
          T·D, T·D the scaled queries (for k's gradient) and the keys (for q's)
          T²·h     the scores laid out heads last, for proj_l's kernel
          T²·h     the softmax's output: for the scores' gradient and proj_w's kernel
          T²·h     the mixed probabilities laid out heads first (for v's gradient), and v, T·D (for theirs)
          T·D      the heads' output laid out by token, for the output projection's kernel
        megatron (Korthikanti et al. 2022's accounting, extended to the two mixings): the input, Q, K and V, the
        scores, the softmax's output and the mixed probabilities, the output projection's input."""
        t, d, h = shape[0], shape[-1], cfg.heads
        if style != "pytorch":
            return (Saved("input"), Saved("own", 3 * t * d), Saved("own", 3 * h * t * t, core=True),
                    Saved("own", t * d))
        qkv = ("input", "qkv.weight") + (("qkv.bias",) if cfg.qkv_bias else ())
        mixed_l = qkv + ("proj_l.weight", "proj_l.bias")
        mixed_w = mixed_l + ("proj_w.weight", "proj_w.bias")
        return (Saved("input", layout="contiguous", of=("qkv.weight",)),
                Saved("own", t * d, of=qkv), Saved("own", t * d, of=qkv),
                Saved("own", h * t * t, core=True, of=("proj_l.weight",)),
                Saved("own", h * t * t, core=True, of=mixed_l + ("proj_w.weight",)),
                Saved("own", h * t * t, core=True, of=qkv), Saved("own", t * d, of=mixed_w),
                Saved("own", t * d, of=("proj.weight",)))

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "TalkingHeadAttn")
        return (f"TalkingHeadAttn({one(row.input_shape[-1])}, {one(cfg.heads)}"
                + ("" if cfg.qkv_bias else ", qkv_bias=False") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "TalkingHeadAttn" or not hasattr(module, "proj_l"):
            return None
        return talking_heads_line(module)


def talking_heads_line(module) -> str:
    """`talkingheads ...` for timm's TalkingHeadAttn (and the export's), read whole; projections of other widths
    than its input's, or unbiased head mixings or output projection, are refused by name."""
    heads, qkv = module.num_heads, module.qkv
    d = qkv.in_features
    problems = [what for what, present in (
        ("projections of other widths than its input's",
         qkv.out_features != 3 * d or module.proj.in_features != d or module.proj.out_features != d),
        ("head mixings of other sizes than heads x heads, or unbiased",
         any(m.in_features != heads or m.out_features != heads or m.bias is None
             for m in (module.proj_l, module.proj_w))),
        ("an output projection without a bias", module.proj.bias is None)) if present]
    if problems:
        raise DefinitionError(f"the module (TalkingHeadAttn) has {', '.join(problems)}; symparams reads CaiT's "
                              "talking-heads attention as talkingheads")
    return f"talkingheads heads={heads}" + ("" if qkv.bias is not None else " qkv_bias=false")


@register
class ClassAttention(LayerSpec):
    keywords = ("classattention",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's LayerScaleBlockClassAttn and the export's are read
    keras_classes: dict = {}
    summary = ("one CaiT class-attention block on [class token; patches] (timm's LayerScaleBlockClassAttn): the "
               "class token attends over all tokens, then its MLP, each with a layer scale; the patches pass")
    formula = "4*D**2 + 2*D*F + 10*D + F (qkv_bias=false: - 3*D); F = 4*D by default"
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "hidden": Opt(COUNT, None, doc="F: the MLP's hidden width (4·D when not given; timm mlp_ratio)"),
               "qkv_bias": Opt(BOOL, True, doc="a bias on the q, k and v projections (timm qkv_bias)")}
    min_rank = 2
    max_rank = 2
    diagram = "attention"
    letters = {"input": "D", "heads": "h", "hidden": "F"}
    unsupported = {"keras": "classattention (CaiT's class-attention block): Keras has no such layer, and symparams "
                            "writes none yet"}
    torch_helpers = {"LayerScaleBlockClassAttn": '''
class ClassAttn(nn.Module):
    """The class token (the first) alone queries all tokens (timm's ClassAttn, its weight names)."""
    def __init__(self, dim, heads, qkv_bias=True):
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.k = nn.Linear(dim, dim, bias=qkv_bias)
        self.v = nn.Linear(dim, dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        h = self.num_heads
        q = (self.q(x[:, 0]) * self.scale).view(b * h, 1, -1)
        # k and v copied to heads-first rows whatever the sizes (one layout: the same tensors kept every time)
        k, v = (p(x).view(b, t, h, -1).transpose(1, 2).clone(memory_format=torch.contiguous_format).view(b * h, t, -1)
                for p in (self.k, self.v))
        weights = torch.bmm(q, k.transpose(1, 2)).softmax(dim=-1)
        # one query: the heads' output B*h x 1 x d/h is already laid out by token
        return self.proj(torch.bmm(weights, v).view(b, 1, d))

class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class LayerScaleBlockClassAttn(nn.Module):
    """One CaiT class-attention block on [class token; patches] (timm's LayerScaleBlockClassAttn, its weight
    names), taking and returning the whole sequence: only the class token changes."""
    def __init__(self, dim, heads, hidden, qkv_bias=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = ClassAttn(dim, heads, qkv_bias)
        self.gamma_1 = nn.Parameter(torch.full((dim,), 1e-5))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)
        self.gamma_2 = nn.Parameter(torch.full((dim,), 1e-5))

    def forward(self, x):
        cls = x[:, :1] + self.gamma_1 * self.attn(self.norm1(x))
        cls = cls + self.gamma_2 * self.mlp(self.norm2(cls))
        return torch.cat([cls, x[:, 1:]], dim=1)
'''}

    def configure(self, cfg, shape, ctx):
        _heads_divide("classattention", cfg, shape[-1], ctx)

    def _dims(self, cfg, shape):
        """(T, D, F): the tokens (the class token included), the width, the MLP's hidden width."""
        d = shape[-1]
        return shape[0], d, (cfg.hidden if cfg.hidden is not None else 4 * sympy.sympify(d))

    def output_shape(self, cfg, shape, ctx):
        return tuple(shape)

    def weights(self, cfg, shape, ctx):
        t, d, f = self._dims(cfg, shape)
        out = [Weight("norm1.weight", (d,)), Weight("norm1.bias", (d,))]
        for part in ("q", "k", "v"):
            out += [Weight(f"attn.{part}.weight", (d, d))] + ([Weight(f"attn.{part}.bias", (d,))]
                                                               if cfg.qkv_bias else [])
        return tuple(out + [Weight("attn.proj.weight", (d, d)), Weight("attn.proj.bias", (d,)),
                            Weight("gamma_1", (d,)), Weight("norm2.weight", (d,)), Weight("norm2.bias", (d,)),
                            Weight("mlp.fc1.weight", (f, d)), Weight("mlp.fc1.bias", (f,)),
                            Weight("mlp.fc2.weight", (d, f)), Weight("mlp.fc2.bias", (d,)), Weight("gamma_2", (d,))])

    def macs(self, cfg, shape, out, ctx):
        """2·D² + 2·T·D² + 2·T·D + 2·D·F: the class token's query and output projections, every token's key and
        value, the class token's T scores per head and their weighted sum of the values, and its MLP."""
        t, d, f = self._dims(cfg, shape)
        return 2 * d * d + 2 * t * d * d + 2 * t * d + 2 * d * f

    def score_macs(self, cfg, shape, out, ctx):
        """The class token's T scores per head and their weighted sum of the values."""
        t, d, f = self._dims(cfg, shape)
        return 2 * t * d

    def bias_adds(self, cfg, shape, out, ctx):
        t, d, f = self._dims(cfg, shape)
        return ((d + 2 * t * d) if cfg.qkv_bias else 0) + 2 * d + f

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value of the two LayerNorms (all T tokens, then the class token), 1 per score (the softmax over
        each head's T scores), 2 per value of the class token for each layer scale and its residual sum, 1 per
        hidden value (the GELU)."""
        t, d, f = self._dims(cfg, shape)
        return 5 * t * d + 5 * d + cfg.heads * t + 4 * d + f

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """2 per MAC of projections, scores, weighted values and the MLP, and 3 per softmax score."""
        t, d, f = self._dims(cfg, shape)
        return 2 * self.macs(cfg, shape, out, ctx) + 3 * cfg.heads * t

    def gradients(self, cfg, shape, out, ctx):
        """Each projection's kernel and input gradients (q of the class token, k and v of every token, the output
        projection, the MLP's two), the scores' for q and k and the weighted sum's for the probabilities and v,
        each where what its operand is computed from needs one."""
        t, d, f = self._dims(cfg, shape)
        biased = cfg.qkv_bias
        normed = ("input", "norm1.weight", "norm1.bias")
        q, k, v = ((normed + (f"attn.{p}.weight",) + ((f"attn.{p}.bias",) if biased else ())) for p in "qkv")
        heads_out = tuple(dict.fromkeys(q + k + v))
        cls = heads_out + ("attn.proj.weight", "attn.proj.bias", "gamma_1")
        mlp_in = cls + ("norm2.weight", "norm2.bias")
        hidden = mlp_in + ("mlp.fc1.weight", "mlp.fc1.bias")
        return (Gradient(d * d, ("attn.q.weight",)), Gradient(d * d, normed),
                Gradient(t * d * d, ("attn.k.weight",)), Gradient(t * d * d, normed),
                Gradient(t * d * d, ("attn.v.weight",)), Gradient(t * d * d, normed),
                Gradient(t * d, q), Gradient(t * d, k), Gradient(t * d, tuple(dict.fromkeys(q + k))),
                Gradient(t * d, v), Gradient(d * d, ("attn.proj.weight",)), Gradient(d * d, heads_out),
                Gradient(d * f, ("mlp.fc1.weight",)), Gradient(d * f, mlp_in),
                Gradient(f * d, ("mlp.fc2.weight",)), Gradient(f * d, hidden))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported LayerScaleBlockClassAttn, per example (measured with
        saved_tensors_hooks, tests/kinds/test_cait.py), each kept only for the gradients that read it:
          T·D, 2·T   norm1's input and its mean and inverse deviation per token (float32)
          T·D        norm1's output, read by the q, k and v projections (for their kernels)
          D, T·D     the scaled query (for k's gradient) and the keys (for q's)
          h·T        the probabilities: the softmax's output, also for v's gradient; v, T·D (for theirs)
          D          the heads' output, for the output projection's kernel
          D          the attention's output, for gamma_1's gradient
          D, 2       norm2's input (the class token) and its statistics
          D, F, F    fc1's input (for its kernel), the GELU's input, fc2's input (for its kernel)
          D          the MLP's output, for gamma_2's gradient
        megatron (Korthikanti et al. 2022's accounting): the norms' inputs, the projections' inputs, Q, K, V, the
        probabilities, the MLP's three inputs."""
        t, d, f = self._dims(cfg, shape)
        h = cfg.heads
        if style != "pytorch":
            return (Saved("input"), Saved("own", t * d), Saved("own", d + 2 * t * d),
                    Saved("own", h * t, core=True), Saved("own", 3 * d + 2 * f))
        biased = cfg.qkv_bias
        norm1 = ("input", "norm1.weight", "norm1.bias")
        q, k, v = ((norm1 + (f"attn.{p}.weight",) + ((f"attn.{p}.bias",) if biased else ())) for p in "qkv")
        heads_out = tuple(dict.fromkeys(q + k + v))
        attn_out = heads_out + ("attn.proj.weight", "attn.proj.bias")
        cls = ("input",) + attn_out + ("gamma_1",)
        norm2 = cls + ("norm2.weight", "norm2.bias")
        hidden = norm2 + ("mlp.fc1.weight", "mlp.fc1.bias")
        mlp_out = hidden + ("mlp.fc2.weight", "mlp.fc2.bias")
        return (Saved("input", of=norm1), Saved("own", 2 * t, dtype="stat", of=norm1),
                Saved("own", t * d, of=("attn.q.weight", "attn.k.weight", "attn.v.weight")),
                Saved("own", d, of=k), Saved("own", t * d, of=q),
                Saved("own", h * t, core=True, of=heads_out), Saved("own", t * d, of=tuple(dict.fromkeys(q + k))),
                Saved("own", d, of=("attn.proj.weight",)), Saved("own", d, of=("gamma_1",)),
                Saved("own", d, of=norm2), Saved("own", 2, dtype="stat", of=norm2),
                Saved("own", d, of=("mlp.fc1.weight",)), Saved("own", f, of=hidden),
                Saved("own", f, of=("mlp.fc2.weight",)), Saved("own", d, of=("gamma_2",)))

    def emit_torch(self, row, out):
        cfg = row.config
        t, d, f = self._dims(cfg, row.input_shape)
        out.helper(self.torch_helpers, "LayerScaleBlockClassAttn")
        return (f"LayerScaleBlockClassAttn({one(d)}, {one(cfg.heads)}, {one(f)}"
                + ("" if cfg.qkv_bias else ", qkv_bias=False") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "LayerScaleBlockClassAttn" or not hasattr(module, "gamma_1"):
            return None
        return class_attention_line(module, r.nn)


def class_attention_line(module, nn) -> str:
    """`classattention ...` for timm's LayerScaleBlockClassAttn (and the export's), read whole: LayerNorms with
    their shift, timm's ClassAttn with a biased output projection, timm's Mlp with a GELU, both layer scales.
    Anything else (another norm, attention, MLP or activation, an epsilon other than CaiT's 1e-6, which the export
    writes) is refused by name."""
    attn, mlp = module.attn, module.mlp
    d = module.gamma_1.shape[-1] if isinstance(getattr(module, "gamma_1", None), nn.Parameter) else None
    problems = []
    if d is None or not isinstance(getattr(module, "gamma_2", None), nn.Parameter):
        problems.append("no layer scale (gamma_1, gamma_2)")
    for norm in ("norm1", "norm2"):
        n = getattr(module, norm)
        if type(n) is not nn.LayerNorm or n.weight is None or n.bias is None or n.eps != 1e-6:
            problems.append(f"{norm} other than a LayerNorm with scale and shift and eps 1e-6")
    if type(attn).__name__ != "ClassAttn" or not all(hasattr(attn, p) for p in ("q", "k", "v", "proj")):
        problems.append(f"an attention of {type(attn).__name__}")
    else:
        parts = (attn.q, attn.k, attn.v, attn.proj)
        if any(p.in_features != d or p.out_features != d for p in parts):
            problems.append("projections of other widths than its input's")
        if len({p.bias is not None for p in parts[:3]}) != 1 or attn.proj.bias is None:
            problems.append("biases on some of q, k and v only, or an unbiased output projection")
    if type(mlp).__name__ != "Mlp" or not isinstance(getattr(mlp, "act", None), nn.GELU) \
            or mlp.act.approximate != "none" or type(getattr(mlp, "norm", nn.Identity())) is not nn.Identity \
            or mlp.fc1.bias is None or mlp.fc2.bias is None or mlp.fc1.in_features != d \
            or mlp.fc2.out_features != d:
        problems.append(f"an MLP other than timm's Mlp with GELU and biases ({type(mlp).__name__})")
    if problems:
        raise DefinitionError(f"the module (LayerScaleBlockClassAttn) has {', '.join(problems)}; symparams reads "
                              "CaiT's class-attention block as classattention")
    hidden = mlp.fc1.out_features
    return (f"classattention heads={attn.num_heads}" + ("" if hidden == 4 * d else f" hidden={hidden}")
            + ("" if attn.q.bias is not None else " qkv_bias=false"))
