"""srattention: spatial-reduction attention on an H x W x C map (PVT: Wang et al. 2021; PVT-v2, 2022; Twins'
global sub-sampled attention; SegFormer's efficient self-attention). Every one of the N = H·W positions is a
query; the keys and values come from a smaller map: with sr=R the map reduced by an R x R convolution of stride
R (C -> C, biased) and a LayerNorm, M = ⌊H/R⌋·⌊W/R⌋ positions; with linear=true (PVT-v2's linear variant,
timm's linear_attn) the map average-pooled to P x P (adaptive), a 1 x 1 convolution, a LayerNorm and GELU,
M = P² whatever the map's size; with sr=1 and no pooling the map itself (M = N: plain global attention).
Weights as timm holds them: q (C -> C), kv (C -> 2C), proj (C -> C, always biased; qkv_bias=false drops q's and
kv's biases), sr and norm. The output has the input's shape.

Neither framework ships it as one class (timm's Attention in pvt_v2 and GlobalSubSampleAttn in twins are the
reference): the PyTorch export writes its own module with timm's weight names; Keras has none (refused by
name)."""

from __future__ import annotations

from ..numeric import sympy, whole
from ..algebra import floor_div
from ..errors import DefinitionError
from ..wording import named as quantity
from .base import BOOL, COUNT, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one


def _pooled_span(size, pool):
    """The values an adaptive average pool of `pool` cells adds along one axis of `size` positions: cell i
    spans ⌊i·size/P⌋ to ⌈(i+1)·size/P⌉ (PyTorch's adaptive windows, which overlap when P does not divide the
    size); the sum of the spans, `size` itself when P divides it."""
    n, p = whole(size), whole(pool)
    if n is not None and p is not None:
        return sum(-(-(i + 1) * n // p) - (i * n) // p for i in range(p))
    if p is not None:
        return sum(sympy.ceiling((i + 1) * sympy.sympify(size) / p) - sympy.floor(i * sympy.sympify(size) / p)
                   for i in range(p))
    i = sympy.Dummy("i", integer=True, nonnegative=True)
    return sympy.Sum(sympy.ceiling((i + 1) * size / pool) - sympy.floor(i * size / pool), (i, 0, pool - 1))


@register
class SRAttention(LayerSpec):
    keywords = ("srattention",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's pvt_v2 Attention and twins GlobalSubSampleAttn are read
    keras_classes: dict = {}
    summary = ("spatial-reduction attention on an H x W x C map (PVT, PVT-v2, Twins' GSA, SegFormer): queries from "
               "every position, keys and values from the map reduced by an R x R conv of stride R and a LayerNorm "
               "(sr=R), or average-pooled to P x P, a 1x1 conv, a LayerNorm and GELU (linear=true, PVT-v2-li)")
    formula = ("4*C*C + 4*C (qkv_bias=false: 4*C*C + C); sr=R > 1: + R*R*C*C + C + 2*C; "
               "linear=true: + C*C + C + 2*C")
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "sr": Opt(COUNT, 1, doc="R: the keys' and values' map reduced by an R x R convolution of stride R "
                                       "and a LayerNorm (timm's sr_ratio); 1: the map itself"),
               "linear": Opt(BOOL, False, doc="PVT-v2's linear variant: the map average-pooled to P x P, a 1x1 "
                                              "convolution, a LayerNorm and GELU (timm's linear_attn)"),
               "pool": Opt(COUNT, 7, doc="P: the pooled map's side with linear=true"),
               "qkv_bias": Opt(BOOL, True, doc="biases on q and kv (the output projection keeps its bias)")}
    min_rank = 3
    max_rank = 3
    diagram = "attention"
    # sr and pool stay numbers in the LaTeX formula: sr=1 and linear=false have no convolution, which a letter
    # for their default would give them
    letters = {"input": "C", "heads": "h"}
    unsupported = {"keras": "srattention (spatial-reduction attention): Keras has no such layer, and symparams "
                            "writes none yet"}
    torch_helpers = {"SRAttention": '''
class SRAttention(nn.Module):
    """PVT's spatial-reduction attention on a channels-first map (timm's weight names q, kv, proj, sr, norm):
    queries from every position, keys and values from the map reduced by an sr x sr convolution of stride sr
    and a LayerNorm, or (linear) average-pooled to pool x pool, a 1x1 convolution, a LayerNorm and GELU."""
    def __init__(self, dim, heads, sr=1, linear=False, pool=7, qkv_bias=True):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.pool = nn.AdaptiveAvgPool2d(pool) if linear else None
        self.sr = nn.Conv2d(dim, dim, 1) if linear else nn.Conv2d(dim, dim, sr, stride=sr) if sr > 1 else None
        self.norm = nn.LayerNorm(dim) if self.sr is not None else None
        self.act = nn.GELU() if linear else None

    def forward(self, x):
        b, c, h, w = x.shape
        n, heads, d = h * w, self.heads, c // self.heads
        # the positions as rows, copied to a new tensor whatever the input's strides (one layout to keep)
        tokens = x.permute(0, 2, 3, 1).reshape(b, n, c).clone(memory_format=torch.contiguous_format)
        q = self.q(tokens).view(b, n, heads, d).transpose(1, 2).reshape(b * heads, n, d)
        if self.sr is None:
            reduced = tokens
        else:
            reduced = self.sr(x if self.pool is None else self.pool(x))
            reduced = self.norm(reduced.permute(0, 2, 3, 1).reshape(b, -1, c))
            if self.act is not None:
                reduced = self.act(reduced)
        m = reduced.shape[1]
        k, v = self.kv(reduced).view(b, m, 2, heads, d).permute(2, 0, 3, 1, 4).reshape(2, b * heads, m, d)
        scores = torch.bmm(q * d ** -0.5, k.transpose(1, 2)).softmax(-1)
        out = torch.bmm(scores, v).view(b, heads, n, d).transpose(1, 2).reshape(b, n, c)
        return self.proj(out).transpose(1, 2).reshape(b, c, h, w)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("srattention needs heads=H")
        c, heads = shape[-1], cfg.heads
        ctx.require_divides(heads, c, Deferred(lambda: f"srattention: {quantity('heads', heads)} do not divide "
                                                       f"{quantity('the channels', c)}"),
                            "srattention: heads must divide the channels")
        if cfg.linear and cfg.sr != 1:
            raise DefinitionError("srattention: linear=true pools the map to P x P and reduces it with a 1x1 "
                                  "convolution; sr=R is the other form (give one of them)")
        if not cfg.linear and cfg.pool != 7:
            raise DefinitionError("srattention: pool=P is the pooled side of linear=true; give linear=true too")
        if cfg.sr != 1:
            for axis in shape[:-1]:
                ctx.require_positive(floor_div(axis, cfg.sr), lambda axis=axis: (
                    f"srattention sr={cfg.sr}: the reduction's {cfg.sr} x {cfg.sr} convolution does not fit the "
                    f"size {axis}"))

    def _reduced(self, cfg, shape):
        """M: the keys' and values' positions."""
        if cfg.linear:
            return cfg.pool * cfg.pool
        if cfg.sr == 1:
            return shape[0] * shape[1]
        return floor_div(shape[0], cfg.sr) * floor_div(shape[1], cfg.sr)

    def _reduces(self, cfg) -> bool:
        return bool(cfg.linear) or cfg.sr != 1

    def weights(self, cfg, shape, ctx):
        c = shape[-1]
        out = [Weight("q.weight", (c, c))] + ([Weight("q.bias", (c,))] if cfg.qkv_bias else [])
        out += [Weight("kv.weight", (2 * c, c))] + ([Weight("kv.bias", (2 * c,))] if cfg.qkv_bias else [])
        out += [Weight("proj.weight", (c, c)), Weight("proj.bias", (c,))]
        if self._reduces(cfg):
            side = 1 if cfg.linear else cfg.sr
            out += [Weight("sr.weight", (c, c, side, side)), Weight("sr.bias", (c,)),
                    Weight("norm.weight", (c,)), Weight("norm.bias", (c,))]
        return tuple(out)

    def macs(self, cfg, shape, out, ctx):
        """2·N·C² + 2·M·C² + 2·N·M·C + M·C²·R² (linear: P²·C²): q and proj over the N = H·W positions, kv over
        the M reduced ones (M = ⌊H/R⌋·⌊W/R⌋; P² with linear=true; N with sr=1), each head's N x M scores and
        their weighted sum of the values, the reduction's convolution."""
        n, m, c = shape[0] * shape[1], self._reduced(cfg, shape), shape[-1]
        conv = (m * c * c * (1 if cfg.linear else cfg.sr * cfg.sr)) if self._reduces(cfg) else 0
        return 2 * n * c * c + 2 * m * c * c + 2 * n * m * c + conv

    def score_macs(self, cfg, shape, out, ctx):
        """Each head's N x M scores and their weighted sum of the values."""
        return 2 * shape[0] * shape[1] * self._reduced(cfg, shape) * shape[-1]

    def bias_adds(self, cfg, shape, out, ctx):
        n, m, c = shape[0] * shape[1], self._reduced(cfg, shape), shape[-1]
        return (n * c + 2 * m * c if cfg.qkv_bias else 0) + n * c + (m * c if self._reduces(cfg) else 0)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score (the softmax over each head's N x M scores); with a reduction 5 per reduced value (its
        LayerNorm: mean, variance, normalise, scale, shift); linear=true 1 more per reduced value (GELU) and 1 per
        value each pooled cell adds (the map's H·W·C when P divides H and W)."""
        n, m, c = shape[0] * shape[1], self._reduced(cfg, shape), shape[-1]
        ops = cfg.heads * n * m
        if self._reduces(cfg):
            ops += 5 * m * c
        if cfg.linear:
            ops += m * c + _pooled_span(shape[0], cfg.pool) * _pooled_span(shape[1], cfg.pool) * c
        return ops

    def gradients(self, cfg, shape, out, ctx):
        """q's and kv's kernel gradients and their inputs'; the reduction convolution's kernel gradient and its
        input's; the scores' for q and k, the weighted sum's for the probabilities and v; proj's kernel gradient
        and its input's. Each where what it is computed from needs one."""
        n, m, c = shape[0] * shape[1], self._reduced(cfg, shape), shape[-1]
        names = [w.name for w in self.weights(cfg, shape, ctx)]
        reduction = tuple(name for name in names if name.startswith(("sr.", "norm.")))
        queries = ("input",) + tuple(name for name in names if name.startswith("q."))
        keys = ("input",) + reduction + tuple(name for name in names if name.startswith("kv."))
        grads = [Gradient(n * c * c, ("q.weight",)), Gradient(n * c * c, ("input",)),
                 Gradient(2 * m * c * c, ("kv.weight",)), Gradient(2 * m * c * c, ("input",) + reduction),
                 Gradient(n * m * c, keys), Gradient(n * m * c, queries),
                 Gradient(n * m * c, queries + keys), Gradient(n * m * c, keys),
                 Gradient(n * c * c, ("proj.weight",)), Gradient(n * c * c, queries + keys)]
        if self._reduces(cfg):
            conv = m * c * c * (1 if cfg.linear else cfg.sr * cfg.sr)
            grads += [Gradient(conv, ("sr.weight",)), Gradient(conv, ("input",))]
        return tuple(grads)

    def chinchilla_flops(self, cfg, shape, out, ctx):
        """2 per MAC, and 3 per softmax score (appendix F)."""
        return 2 * self.macs(cfg, shape, out, ctx) + 3 * cfg.heads * shape[0] * shape[1] * self._reduced(cfg, shape)

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported SRAttention, per example (N = H·W positions, M reduced ones):
          N·C        the positions copied as rows, q's (and with sr=1 kv's) input
          N·C        q times the scale (the scores' left operand)
          2·M·C      k and v: one copy of both (several heads), or kv's output they are views of (one head)
          h·N·M      the softmax's output (read by the weighted sum too)
          N·C        proj's input, the heads' output as rows
        with a reduction, the layer's input (the convolution's, or the pool's with linear=true), the
        LayerNorm's input M·C and its mean and inverse deviation (2·M, float32), and kv's input M·C (the
        norm's output; linear=true: P²·C more for the 1x1 convolution's pooled input and M·C for GELU's
        input). Each only where a gradient reads it: the rows for q's kernel (and kv's with sr=1), q and the
        softmax's output for the keys' side, k and v for either side, proj's input for its kernel, the
        convolution's input wherever it is recorded (the pool's for the input's gradient), the norm's tensors and GELU's
        input where what they are computed from needs one (the input, the reduction's weights), kv's input for
        its kernel. megatron (Korthikanti et al.'s accounting): the attention dropout's mask and output too (h·N·M
        each)."""
        n, m, c, h = shape[0] * shape[1], self._reduced(cfg, shape), shape[-1], cfg.heads
        names = [w.name for w in self.weights(cfg, shape, ctx)]
        reduction = ("input",) + tuple(name for name in names if name.startswith(("sr.", "norm.")))
        queries = ("input",) + tuple(name for name in names if name.startswith("q."))
        keys = reduction + tuple(name for name in names if name.startswith("kv."))
        # each kept only for the gradients that read it (Saved.of): a matrix product keeps one operand for the
        # other's gradient, the softmax and the norm their tensors when their input needs one
        rows = ("q.weight",) if self._reduces(cfg) else ("q.weight", "kv.weight")
        saved = (Saved("own", n * c, of=rows), Saved("own", n * c, of=keys), Saved("own", 2 * m * c, of=queries + keys),
                 Saved("own", h * n * m, core=True, of=queries + keys), Saved("own", n * c, of=("proj.weight",)))
        # a convolution keeps its input whenever it is recorded (one backward formula for input, kernel and bias)
        conv = ("input", "sr.weight", "sr.bias")
        if cfg.linear:      # the pool keeps the map for its own input's gradient, the 1x1 conv the pooled map
            saved += (Saved("input", of=("input",)), Saved("own", cfg.pool * cfg.pool * c, of=conv))
        elif self._reduces(cfg):
            saved += (Saved("input", of=conv),)
        if self._reduces(cfg):
            saved += (Saved("own", m * c, of=reduction), Saved("own", 2 * m, dtype="stat", of=reduction),
                      Saved("own", m * c, of=("kv.weight",)))
        if cfg.linear:      # GELU's input, the norm's output
            saved += (Saved("own", m * c, of=reduction),)
        if style != "pytorch":      # megatron: the attention dropout's mask and output too, as attention keeps them
            saved += (Saved("own", h * n * m, dtype="mask", core=True, of=queries + keys),
                      Saved("own", h * n * m, core=True, of=queries + keys))
        return saved

    def output_layout(self, cfg, shape, out, ctx):
        """A channels-first view (transpose) of proj's channels-last rows: strided as the export sees it."""
        return "strided"

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "SRAttention")
        return (f"SRAttention({one(row.input_shape[-1])}, {one(cfg.heads)}"
                + (f", sr={one(cfg.sr)}" if cfg.sr != 1 else "") + (", linear=True" if cfg.linear else "")
                + (f", pool={one(cfg.pool)}" if cfg.linear and cfg.pool != 7 else "")
                + ("" if cfg.qkv_bias else ", qkv_bias=False") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "SRAttention":
            return None
        linear = module.pool is not None
        sr = 1 if linear or module.sr is None else int(module.sr.kernel_size[0])
        pool = _side(module.pool.output_size) if linear else 7
        return (f"srattention heads={module.heads}" + (f" sr={sr}" if sr != 1 else "")
                + (" linear=true" if linear else "") + (f" pool={pool}" if pool != 7 else "")
                + ("" if module.q.bias is not None else " qkv_bias=false"))


def _side(size) -> int:
    sides = {int(s) for s in size} if isinstance(size, (tuple, list)) else {int(size)}
    if len(sides) != 1:
        raise DefinitionError(f"srattention pools to a square map; the module pools to {size}")
    return sides.pop()


def timm_line(module, name: str, nn) -> str:
    """`srattention ...` for timm's spatial-reduction attentions, read whole (their forward reshapes tokens to
    the map for the reduction and splits heads, which the import does not follow): pvt_v2's Attention (q, kv,
    proj; sr Conv2d(C, C, R, stride=R) + norm; or linear_attn's AdaptiveAvgPool2d(P) + Conv2d(C, C, 1) + norm +
    GELU) and twins' GlobalSubSampleAttn. Anything counted otherwise (widths other than the input's, an
    unbiased proj, a reduction other than the square conv of stride R, a norm other than LayerNorm) is refused by
    name."""
    cls = type(module).__name__
    c = module.q.in_features
    pool, sr, norm = getattr(module, "pool", None), getattr(module, "sr", None), getattr(module, "norm", None)
    act = getattr(module, "act", None)
    problems = []
    if not (isinstance(module.q, nn.Linear) and isinstance(module.kv, nn.Linear) and isinstance(module.proj, nn.Linear)) \
            or module.q.out_features != c or module.kv.in_features != c or module.kv.out_features != 2 * c \
            or module.proj.in_features != c or module.proj.out_features != c:
        problems.append("projections of another width than its input's")
    if getattr(module.proj, "bias", None) is None or (module.q.bias is None) != (module.kv.bias is None):
        problems.append("an unbiased output projection or a bias on one of q and kv only")
    if c % module.num_heads:
        problems.append(f"{module.num_heads} heads that do not divide its {c} channels")
    line = f"srattention heads={module.num_heads}"
    if pool is not None:
        side = pool.output_size if isinstance(pool, nn.AdaptiveAvgPool2d) else None
        sides = {int(s) for s in side} if isinstance(side, (tuple, list)) else {side} if side is not None else set()
        if len(sides) != 1 or None in sides or not isinstance(sr, nn.Conv2d) or tuple(sr.kernel_size) != (1, 1) \
                or tuple(sr.stride) != (1, 1) or sr.groups != 1 or sr.bias is None or \
                sr.in_channels != c or sr.out_channels != c or not isinstance(act, nn.GELU):
            problems.append("a linear reduction other than an adaptive average pool to P x P, a biased 1x1 "
                            "convolution and GELU")
        else:
            side = sides.pop()
            line += " linear=true" + (f" pool={side}" if side != 7 else "")
    elif sr is not None:
        if not isinstance(sr, nn.Conv2d) or len(set(sr.kernel_size)) != 1 or tuple(sr.stride) != tuple(sr.kernel_size) \
                or tuple(sr.padding) != (0, 0) or tuple(sr.dilation) != (1, 1) or sr.groups != 1 \
                or sr.bias is None or sr.in_channels != c or sr.out_channels != c:
            problems.append("a reduction other than a biased R x R convolution of stride R")
        else:
            line += f" sr={sr.kernel_size[0]}"
    if (sr is not None) != (norm is not None) or (norm is not None and (
            not isinstance(norm, nn.LayerNorm) or tuple(norm.normalized_shape) != (c,) or norm.weight is None
            or norm.bias is None)):
        problems.append("a norm other than a LayerNorm of its channels after the reduction")
    if problems:
        raise DefinitionError(f"the module '{name}' (timm {cls}) has {', '.join(problems)}; symparams reads "
                              "spatial-reduction attention as srattention")
    return line + ("" if module.q.bias is not None else " qkv_bias=false")
