"""bottleneckattn: global multi-head self-attention on an H x W x C map with decomposed 2-D relative position
logits (Srinivas et al. 2021, Bottleneck Transformers; timm's BottleneckAttn in BoTNet, SE-BoTNet). A 1x1
convolution (unbiased unless qkv_bias=true) gives q and k (heads x D channels each, D = C/heads unless dim_qk=D)
and v (C channels); every one of the N = H·W positions attends to all N. Each head's scores are q·k scaled by
D^-1/2 plus the query's products with a height table ((2H-1) x D) and a width table ((2W-1) x D), each entry the
key's row (column) offset from the query's; no output projection. stride=2 average-pools the result 2 x 2 (timm's
pool). The tables are sized by the map, so the layer holds weights that depend on its input's H and W.

torch.nn has no such class: the PyTorch export writes one under timm's class and weight names (qkv,
pos_embed.height_rel, pos_embed.width_rel) and the import reads both it and timm's; Keras has none (refused by
name)."""

from __future__ import annotations

from ..algebra import floor_div
from ..numeric import sympy
from ..errors import DefinitionError
from ..wording import named as quantity
from .base import BOOL, COUNT, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .pool import timm_attention_pool_stride
from .text import one


@register
class BottleneckAttn(LayerSpec):
    keywords = ("bottleneckattn",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's BottleneckAttn and the export's helper are read
    keras_classes: dict = {}
    summary = ("global self-attention on an H x W x C map with decomposed 2-D relative position logits (BoTNet, "
               "timm's BottleneckAttn): a 1x1 conv to q, k, v, a height and a width table of (2H-1) and (2W-1) "
               "x D, no output projection; stride=2 average-pools the result")
    formula = "(2*h*D + C)*C + (2*H - 1 + 2*W - 1)*D (D = C/h; qkv_bias=true: + 2*h*D + C)"
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "dim_qk": Opt(COUNT, None, doc="D: the query's and key's channels per head (timm's dim_head); "
                                              "C/heads when not given"),
               "stride": Opt(COUNT, 1, doc="2: the result average-pooled 2 x 2 with stride 2 (timm's pool)"),
               "qkv_bias": Opt(BOOL, False, doc="a bias on the q, k, v convolution")}
    min_rank = 3
    max_rank = 3
    diagram = "attention"
    letters = {"input": "C", "heads": "h", "dim_qk": "D"}
    unsupported = {"keras": "bottleneckattn (BoTNet's relative-position self-attention): Keras has no such layer, "
                            "and symparams writes none yet"}
    torch_helpers = {"BottleneckAttn": '''
class PosEmbedRel(nn.Module):
    """BoTNet's relative position tables (timm's names): a row per offset from -(H-1) to H-1 (height_rel) and
    from -(W-1) to W-1 (width_rel), each of the query's width per head."""
    def __init__(self, height, width, dim_head):
        super().__init__()
        self.height, self.width = height, width
        self.height_rel = nn.Parameter(torch.randn(2 * height - 1, dim_head) * dim_head ** -0.5)
        self.width_rel = nn.Parameter(torch.randn(2 * width - 1, dim_head) * dim_head ** -0.5)
        rows, cols = torch.arange(height), torch.arange(width)
        # each (query, key) pair's table row: the key's offset from the query, shifted to start at 0; buffers not
        # saved with the weights, so timm's state dict loads as it is
        self.register_buffer("rows", rows.view(height, 1, 1), persistent=False)
        self.register_buffer("cols", cols.view(1, width, 1), persistent=False)
        self.register_buffer("row_offsets", (rows.view(1, -1) - rows.view(-1, 1) + height - 1).view(height, 1, height),
                             persistent=False)
        self.register_buffer("col_offsets", (cols.view(1, -1) - cols.view(-1, 1) + width - 1).view(1, width, width),
                             persistent=False)

    def forward(self, q):
        bh, n, d = q.shape
        h, w = self.height, self.width
        q = q.view(bh, h, w, d)
        # each query against every table row (as timm: (2H-1) and (2W-1) products each), then the row of each key
        by_row = torch.matmul(q, self.height_rel.transpose(0, 1))[:, self.rows, self.cols, self.row_offsets]
        by_col = torch.matmul(q, self.width_rel.transpose(0, 1))[:, self.rows, self.cols, self.col_offsets]
        return (by_row.unsqueeze(-1) + by_col.unsqueeze(-2)).view(bh, n, n)


class BottleneckAttn(nn.Module):
    """BoTNet's self-attention on a channels-first map (timm's BottleneckAttn, its weight names): a 1x1
    convolution to q, k and v, every position attending to all with relative position logits from a height and
    a width table, no output projection; stride 2 average-pools the result."""
    def __init__(self, dim, heads, height, width, dim_qk=None, stride=1, qkv_bias=False):
        super().__init__()
        self.num_heads = heads
        self.dim_head_qk = dim_qk or dim // heads
        self.dim_head_v = dim // heads
        self.dim_out_qk, self.dim_out_v = heads * self.dim_head_qk, dim
        self.scale = self.dim_head_qk ** -0.5
        self.scale_pos_embed = False
        self.qkv = nn.Conv2d(dim, 2 * self.dim_out_qk + dim, 1, bias=qkv_bias)
        self.pos_embed = PosEmbedRel(height, width, self.dim_head_qk)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()

    def forward(self, x):
        b, c, h, w = x.shape
        n, heads = h * w, self.num_heads
        q, k, v = torch.split(self.qkv(x), [self.dim_out_qk, self.dim_out_qk, self.dim_out_v], dim=1)
        # copied to new tensors whatever the batch (one layout to keep): q and v as rows, k as columns
        q = q.reshape(b, heads, -1, n).transpose(2, 3).clone(memory_format=torch.contiguous_format).view(b * heads, n, -1)
        k = k.reshape(b, heads, -1, n).clone(memory_format=torch.contiguous_format).view(b * heads, -1, n)
        v = v.reshape(b, heads, -1, n).transpose(2, 3).clone(memory_format=torch.contiguous_format).view(b * heads, n, -1)
        scores = torch.bmm(q, k) * self.scale + self.pos_embed(q)
        out = torch.bmm(scores.softmax(dim=-1), v).view(b, heads, n, -1).transpose(2, 3).reshape(b, c, h, w)
        return self.pool(out)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("bottleneckattn needs heads=H")
        c, heads = shape[-1], cfg.heads
        ctx.require_divides(heads, c, Deferred(lambda: f"bottleneckattn: {quantity('heads', heads)} do not divide "
                                                       f"{quantity('the channels', c)}"),
                            "bottleneckattn: heads must divide the channels")
        if cfg.stride not in (1, 2):
            raise DefinitionError(f"bottleneckattn stride={cfg.stride}: timm's BottleneckAttn pools 2 x 2 (stride=2) "
                                  "or not at all (stride=1)")
        if cfg.stride == 2:
            for axis in shape[:-1]:
                ctx.require_positive(floor_div(axis, 2), lambda axis=axis: (
                    f"bottleneckattn stride=2: the 2 x 2 pool does not fit the size {axis}"))

    def _dims(self, cfg, shape):
        """(N, C, h, D): the positions, the channels (v's width), the heads, the query's width per head."""
        c = shape[-1]
        return shape[0] * shape[1], c, cfg.heads, (cfg.dim_qk if cfg.dim_qk is not None else sympy.sympify(c) / cfg.heads)

    def output_shape(self, cfg, shape, ctx):
        if cfg.stride == 2:
            return (floor_div(shape[0], 2), floor_div(shape[1], 2), shape[-1])
        return tuple(shape)

    def weights(self, cfg, shape, ctx):
        n, c, h, d = self._dims(cfg, shape)
        width = 2 * h * d + c
        out = [Weight("qkv.weight", (width, c, 1, 1))] + ([Weight("qkv.bias", (width,))] if cfg.qkv_bias else [])
        return tuple(out + [Weight("pos_embed.height_rel", (2 * shape[0] - 1, d)),
                            Weight("pos_embed.width_rel", (2 * shape[1] - 1, d))])

    def macs(self, cfg, shape, out, ctx):
        """N·C·(2·h·D + C) + h·N²·D + N²·C + h·N·D·(2H - 1 + 2W - 1): the 1x1 convolution to q, k and v over the
        N = H·W positions, each head's N x N scores and their weighted sum of the values, each query's products
        with every row of the height and the width table (as timm computes them, before picking each key's)."""
        n, c, h, d = self._dims(cfg, shape)
        return n * c * (2 * h * d + c) + h * n * n * d + n * n * c + h * n * d * (2 * shape[0] - 1 + 2 * shape[1] - 1)

    def score_macs(self, cfg, shape, out, ctx):
        """Each head's N x N scores and their weighted sum of the values."""
        n, c, h, d = self._dims(cfg, shape)
        return h * n * n * d + n * n * c

    def bias_adds(self, cfg, shape, out, ctx):
        n, c, h, d = self._dims(cfg, shape)
        return n * (2 * h * d + c) if cfg.qkv_bias else 0

    def other_ops(self, cfg, shape, out, ctx):
        """4 per score (the scale, the height and the width logits added, the softmax over each head's N x N
        scores) and, with stride=2, 4 per output value (the 2 x 2 pool's sum and its division, counted as
        avgpool counts them)."""
        n, c, h, d = self._dims(cfg, shape)
        ops = 4 * h * n * n
        if cfg.stride == 2:
            ops += 4 * out[0] * out[1] * c
        return ops

    def _proj(self, cfg):
        return ("input", "qkv.weight") + (("qkv.bias",) if cfg.qkv_bias else ())

    def gradients(self, cfg, shape, out, ctx):
        """The convolution's kernel gradient and its input's; the scores' for q and k, the weighted sum's for the
        probabilities and v; the table products' for q and for each table."""
        n, c, h, d = self._dims(cfg, shape)
        proj, tables = self._proj(cfg), ("pos_embed.height_rel", "pos_embed.width_rel")
        conv = n * c * (2 * h * d + c)
        rows, cols = h * n * d * (2 * shape[0] - 1), h * n * d * (2 * shape[1] - 1)
        return (Gradient(conv, ("qkv.weight",)), Gradient(conv, ("input",)),
                Gradient(h * n * n * d, proj), Gradient(h * n * n * d, proj),
                Gradient(n * n * c, proj + tables), Gradient(n * n * c, proj),
                Gradient(rows, proj), Gradient(rows, ("pos_embed.height_rel",)),
                Gradient(cols, proj), Gradient(cols, ("pos_embed.width_rel",)))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported BottleneckAttn, per example (N = H·W positions):
          C·N        the layer's input (the convolution keeps it whenever it is recorded)
          h·N·D      q as rows: the scores' left operand (for k's gradient) and the tables' products' (for theirs)
          h·N·D      k (for q's gradient)
          h·N²       the softmax's output (read by the weighted sum too)
          N·C        v (for the probabilities' gradient)
          N·C        with stride=2, the pool's input
        each only where a gradient reads it."""
        n, c, h, d = self._dims(cfg, shape)
        proj, tables = self._proj(cfg), ("pos_embed.height_rel", "pos_embed.width_rel")
        saved = (Saved("input", of=proj), Saved("own", h * n * d, of=proj + tables), Saved("own", h * n * d, of=proj),
                 Saved("own", h * n * n, core=True, of=proj + tables), Saved("own", n * c, of=proj + tables))
        if cfg.stride == 2:
            saved += (Saved("own", n * c, of=proj + tables),)
        return saved

    def emit_torch(self, row, out):
        cfg = row.config
        shape = row.input_shape
        out.helper(self.torch_helpers, "BottleneckAttn")
        return (f"BottleneckAttn({one(shape[-1])}, {one(cfg.heads)}, {one(shape[0])}, {one(shape[1])}"
                + (f", dim_qk={one(cfg.dim_qk)}" if cfg.dim_qk is not None else "")
                + (", stride=2" if cfg.stride == 2 else "") + (", qkv_bias=True" if cfg.qkv_bias else "") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "BottleneckAttn" or not hasattr(module, "pos_embed") or not hasattr(module, "qkv"):
            return None
        return timm_line(module, r.cls(module))


def timm_line(module, cls: str = "BottleneckAttn") -> str:
    """`bottleneckattn ...` for timm's BottleneckAttn (and the export's module of that name), read whole; what
    it counts otherwise (an output of another width than the input, the position logits scaled with the scores,
    a pool other than 2 x 2) is refused by name."""
    conv = module.qkv
    c, heads = conv.in_channels, module.num_heads
    problems = []
    if module.dim_out_v != c:
        problems.append(f"an output of {module.dim_out_v} channels from {c}")
    if getattr(module, "scale_pos_embed", False):
        problems.append("its position logits scaled with the scores (scale_pos_embed)")
    if tuple(conv.kernel_size) != (1, 1) or conv.out_channels != 2 * module.dim_out_qk + module.dim_out_v:
        problems.append("a q, k, v projection other than one 1x1 convolution")
    stride = timm_attention_pool_stride(module.pool, problems)
    if problems:
        raise DefinitionError(f"the module ({cls}) has {', '.join(problems)}; symparams reads BoTNet's attention "
                              "as bottleneckattn")
    d = module.dim_head_qk
    return (f"bottleneckattn heads={heads}" + (f" dim_qk={d}" if d * heads != c else "")
            + (" stride=2" if stride == 2 else "") + (" qkv_bias=true" if conv.bias is not None else ""))
