"""haloattn: blocked local self-attention with a halo (Vaswani et al. 2021, Scaling Local Self-Attention; timm's
HaloAttn in HaloNet, SE-HaloNet, Halo-BoTNet). The H x W x C map is cut into B x B blocks (B must divide H and
W); each block's positions attend to the W_k x W_k window around it, W_k = B + 2·K for halo=K, taken from the map
zero-padded by K. q comes from a 1x1 convolution (heads x D channels, D = C/heads unless dim_qk=D), k and v from
another (heads x (D + C/heads) channels, each head's k then its v, timm's order). Each head's scores are q·k
scaled by D^-1/2 plus the query's products with a height and a width table of (2·W_k - 1) x D, each entry the
key's row (column) offset in the window from the query's in its block; no output projection. stride=2 makes q's
convolution strided (each block's queries B/2 x B/2), or with avg_down=true (needed for an odd B) average-pools
the result 2 x 2 instead (timm's pool).

torch.nn has no such class: the PyTorch export writes one under timm's class and weight names (q, kv,
pos_embed.height_rel, pos_embed.width_rel) and the import reads both it and timm's; Keras has none (refused by
name)."""

from __future__ import annotations

from ..algebra import floor_div
from ..errors import DefinitionError
from ..numeric import sympy, whole
from ..wording import named as quantity
from .base import BOOL, COUNT, INTEGER, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .pool import timm_attention_pool_stride
from .text import one


@register
class HaloAttn(LayerSpec):
    keywords = ("haloattn",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's HaloAttn and the export's helper are read
    keras_classes: dict = {}
    summary = ("blocked local self-attention with a halo on an H x W x C map (HaloNet, timm's HaloAttn): each B x B "
               "block's queries attend to the (B + 2K) x (B + 2K) window around it, with a height and a width "
               "relative-position table; 1x1 convs to q and to k, v; no output projection; stride=2 strides q")
    formula = ("h*D*C + (h*D + C)*C + 2*(2*(B + 2*K) - 1)*D (D = C/h; qkv_bias=true: + 2*h*D + C)")
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "block": Opt(COUNT, 8, doc="B: the side of the query blocks (timm's block_size); B divides H and W"),
               "halo": Opt(INTEGER, 3, doc="K: the halo around each block (timm's halo_size): keys from a "
                                         "(B + 2K) x (B + 2K) window"),
               "dim_qk": Opt(COUNT, None, doc="D: the query's and key's channels per head (timm's dim_head); "
                                              "C/heads when not given"),
               "stride": Opt(COUNT, 1, doc="2: q's convolution strided 2 (each block's queries B/2 x B/2), or "
                                           "with avg_down=true the result average-pooled 2 x 2"),
               "avg_down": Opt(BOOL, False, doc="with stride=2: average-pool the result instead of striding q "
                                                "(timm's avg_down; needed for an odd block)"),
               "qkv_bias": Opt(BOOL, False, doc="biases on the q and the k, v convolutions")}
    min_rank = 3
    max_rank = 3
    diagram = "attention"
    letters = {"input": "C", "heads": "h", "dim_qk": "D", "block": "B", "halo": "K"}
    unsupported = {"keras": "haloattn (HaloNet's blocked local attention): Keras has no such layer, and symparams "
                            "writes none yet"}
    torch_helpers = {"HaloAttn": '''
class HaloPosEmbedRel(nn.Module):
    """HaloNet's relative position tables (timm's names): a row per offset of a key in the window from a query
    in its block, one table for rows (height_rel) and one for columns (width_rel)."""
    def __init__(self, block, window, dim_head):
        super().__init__()
        self.block, self.window = block, window
        self.height_rel = nn.Parameter(torch.randn(2 * window - 1, dim_head) * dim_head ** -0.5)
        self.width_rel = nn.Parameter(torch.randn(2 * window - 1, dim_head) * dim_head ** -0.5)
        queries, keys = torch.arange(block), torch.arange(window)
        offsets = keys.view(1, -1) - queries.view(-1, 1) + window - 1
        # each (query, key) pair's table row; buffers not saved with the weights, so timm's state dict loads
        self.register_buffer("rows", queries.view(block, 1, 1), persistent=False)
        self.register_buffer("cols", queries.view(1, block, 1), persistent=False)
        self.register_buffer("row_offsets", offsets.view(block, 1, window), persistent=False)
        self.register_buffer("col_offsets", offsets.view(1, block, window), persistent=False)

    def forward(self, q):
        m, n, d = q.shape
        b = self.block
        q = q.view(m, b, b, d)
        # each query against every table row (as timm: 2W-1 products per table), then the row of each key
        by_row = torch.matmul(q, self.height_rel.transpose(0, 1))[:, self.rows, self.cols, self.row_offsets]
        by_col = torch.matmul(q, self.width_rel.transpose(0, 1))[:, self.rows, self.cols, self.col_offsets]
        return (by_row.unsqueeze(-1) + by_col.unsqueeze(-2)).view(m, n, -1)


class HaloAttn(nn.Module):
    """HaloNet's blocked local attention on a channels-first map (timm's HaloAttn, its weight names): each
    block x block block's queries attend to the (block + 2 halo)-wide window around it, with relative position
    logits; stride 2 strides q's convolution, or (avg_down) average-pools the result."""
    def __init__(self, dim, heads, block=8, halo=3, dim_qk=None, stride=1, avg_down=False, qkv_bias=False):
        super().__init__()
        self.num_heads = heads
        self.dim_head_qk = dim_qk or dim // heads
        self.dim_head_v = dim // heads
        self.dim_out_qk, self.dim_out_v = heads * self.dim_head_qk, dim
        self.scale = self.dim_head_qk ** -0.5
        self.scale_pos_embed = False
        self.block_size, self.halo_size, self.win_size = block, halo, block + 2 * halo
        self.block_stride = 2 if stride == 2 and not avg_down else 1
        self.block_size_ds = block // self.block_stride
        self.q = nn.Conv2d(dim, self.dim_out_qk, 1, stride=self.block_stride, bias=qkv_bias)
        self.kv = nn.Conv2d(dim, self.dim_out_qk + dim, 1, bias=qkv_bias)
        self.pos_embed = HaloPosEmbedRel(self.block_size_ds, self.win_size, self.dim_head_qk)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 and avg_down else nn.Identity()

    def forward(self, x):
        b, c, h, w = x.shape
        heads, d, dv, s, win = self.num_heads, self.dim_head_qk, self.dim_head_v, self.block_size_ds, self.win_size
        nh, nw = h // self.block_size, w // self.block_size
        m = b * heads * nh * nw
        # q: each block's queries as rows, (batch, head, block) first; copied whatever the batch (one layout)
        q = self.q(x).reshape(b * heads, d, nh, s, nw, s).permute(0, 2, 4, 3, 5, 1)
        q = q.clone(memory_format=torch.contiguous_format).view(m, s * s, d)
        # k and v: each block's window of the zero-padded map, each head's k channels then its v channels
        kv = F.pad(self.kv(x), [self.halo_size] * 4)
        kv = kv.unfold(2, win, self.block_size).unfold(3, win, self.block_size).reshape(b * heads, d + dv, nh, nw, win * win)
        k = kv[:, :d].permute(0, 2, 3, 1, 4).clone(memory_format=torch.contiguous_format).view(m, d, win * win)
        v = kv[:, d:].permute(0, 2, 3, 4, 1).clone(memory_format=torch.contiguous_format).view(m, win * win, dv)
        scores = torch.bmm(q, k) * self.scale + self.pos_embed(q)
        out = torch.bmm(scores.softmax(dim=-1), v).view(b, heads, nh, nw, s, s, dv)
        out = out.permute(0, 1, 6, 2, 4, 3, 5).reshape(b, c, nh * s, nw * s)
        return self.pool(out)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("haloattn needs heads=H")
        c, heads, block = shape[-1], cfg.heads, cfg.block
        ctx.require_divides(heads, c, Deferred(lambda: f"haloattn: {quantity('heads', heads)} do not divide "
                                                       f"{quantity('the channels', c)}"),
                            "haloattn: heads must divide the channels")
        for axis in shape[:-1]:
            ctx.require_divides(block, axis, Deferred(lambda axis=axis: (
                f"haloattn block={block}: the blocks do not tile the size {axis} (timm's HaloAttn needs the block "
                "to divide the map's height and width)")), "haloattn: the block must divide the map's sides")
        if cfg.stride not in (1, 2):
            raise DefinitionError(f"haloattn stride={cfg.stride}: timm's HaloAttn strides 2 (stride=2) or not at "
                                  "all (stride=1)")
        if cfg.avg_down and cfg.stride != 2:
            raise DefinitionError("haloattn: avg_down=true pools a stride=2 layer's result; give stride=2 too")
        odd = whole(block)
        if cfg.stride == 2 and not cfg.avg_down and (odd is None or odd % 2):
            raise DefinitionError(f"haloattn block={block} stride=2: q's convolution strides 2 only within an even "
                                  "block; give avg_down=true (timm pools the result then)")
        if cfg.stride == 2 and cfg.avg_down:
            for axis in shape[:-1]:
                ctx.require_positive(floor_div(axis, 2), lambda axis=axis: (
                    f"haloattn stride=2: the 2 x 2 pool does not fit the size {axis}"))

    def _strided(self, cfg) -> bool:
        return cfg.stride == 2 and not cfg.avg_down

    def _dims(self, cfg, shape):
        """(N, M, C, h, D, Wk²): the map's positions, the queries' (N/4 with q strided), the channels, the
        heads, the query's width per head, the keys per block."""
        c = shape[-1]
        n = sympy.sympify(shape[0]) * shape[1]
        m = n / 4 if self._strided(cfg) else n
        window = cfg.block + 2 * cfg.halo
        return n, m, c, cfg.heads, (cfg.dim_qk if cfg.dim_qk is not None else sympy.sympify(c) / cfg.heads), \
            window * window

    def _blocks(self, cfg, shape):
        return (sympy.sympify(shape[0]) / cfg.block) * (sympy.sympify(shape[1]) / cfg.block)

    def output_shape(self, cfg, shape, ctx):
        if self._strided(cfg):
            return (sympy.sympify(shape[0]) / 2, sympy.sympify(shape[1]) / 2, shape[-1])
        if cfg.stride == 2:
            return (floor_div(shape[0], 2), floor_div(shape[1], 2), shape[-1])
        return tuple(shape)

    def weights(self, cfg, shape, ctx):
        n, m, c, h, d, keys = self._dims(cfg, shape)
        rows = 2 * (cfg.block + 2 * cfg.halo) - 1
        out = [Weight("q.weight", (h * d, c, 1, 1))] + ([Weight("q.bias", (h * d,))] if cfg.qkv_bias else [])
        out += [Weight("kv.weight", (h * d + c, c, 1, 1))] + ([Weight("kv.bias", (h * d + c,))] if cfg.qkv_bias else [])
        return tuple(out + [Weight("pos_embed.height_rel", (rows, d)), Weight("pos_embed.width_rel", (rows, d))])

    def macs(self, cfg, shape, out, ctx):
        """M·C·h·D + N·C·(h·D + C) + h·M·Wk²·D + M·Wk²·C + 2·h·M·D·(2·Wk - 1): q's 1x1 convolution over the M
        query positions (N = H·W, or N/4 with q strided) and k's and v's over the N positions, each head's
        queries against the Wk x Wk window of their block (Wk = B + 2K) and the weighted sum of its values, each
        query's products with every row of the height and the width table."""
        n, m, c, h, d, keys = self._dims(cfg, shape)
        window = cfg.block + 2 * cfg.halo
        return m * c * h * d + n * c * (h * d + c) + h * m * keys * d + m * keys * c + 2 * h * m * d * (2 * window - 1)

    def score_macs(self, cfg, shape, out, ctx):
        """Each head's queries against their block's window and the weighted sum of its values."""
        n, m, c, h, d, keys = self._dims(cfg, shape)
        return h * m * keys * d + m * keys * c

    def bias_adds(self, cfg, shape, out, ctx):
        n, m, c, h, d, keys = self._dims(cfg, shape)
        return m * h * d + n * (h * d + c) if cfg.qkv_bias else 0

    def other_ops(self, cfg, shape, out, ctx):
        """4 per score (the scale, the height and the width logits added, the softmax over each query's window)
        and, with avg_down=true, 4 per output value (the 2 x 2 pool's sum and its division)."""
        n, m, c, h, d, keys = self._dims(cfg, shape)
        ops = 4 * h * m * keys
        if cfg.stride == 2 and cfg.avg_down:
            ops += 4 * out[0] * out[1] * c
        return ops

    def _names(self, cfg):
        bias = cfg.qkv_bias
        return (("input", "q.weight") + (("q.bias",) if bias else ()), ("input", "kv.weight") +
                (("kv.bias",) if bias else ()), ("pos_embed.height_rel", "pos_embed.width_rel"))

    def gradients(self, cfg, shape, out, ctx):
        """The two convolutions' kernel gradients and their input's; the scores' for q and k, the weighted
        sum's for the probabilities and v; the table products' for q and for each table."""
        n, m, c, h, d, keys = self._dims(cfg, shape)
        queries, keyvalues, tables = self._names(cfg)
        window = cfg.block + 2 * cfg.halo
        qconv, kvconv, table = m * c * h * d, n * c * (h * d + c), h * m * d * (2 * window - 1)
        every = tuple(dict.fromkeys(queries + keyvalues + tables))
        return (Gradient(qconv, ("q.weight",)), Gradient(qconv, ("input",)),
                Gradient(kvconv, ("kv.weight",)), Gradient(kvconv, ("input",)),
                Gradient(h * m * keys * d, queries), Gradient(h * m * keys * d, keyvalues),
                Gradient(m * keys * c, every), Gradient(m * keys * c, keyvalues),
                Gradient(table, queries), Gradient(table, ("pos_embed.height_rel",)),
                Gradient(table, queries), Gradient(table, ("pos_embed.width_rel",)))

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported HaloAttn, per example (M query positions, nb = N/B² blocks):
          C·N        the layer's input (both convolutions keep it whenever they are recorded)
          h·M·D      q as rows: the scores' left operand (for k's gradient) and the tables' products' (theirs)
          h·nb·Wk²·D k, each block's window (for q's gradient)
          h·M·Wk²    the softmax's output (read by the weighted sum too)
          nb·Wk²·C   v, each block's window (for the probabilities' gradient)
          N·C        with avg_down=true, the pool's input
        each only where a gradient reads it."""
        n, m, c, h, d, keys = self._dims(cfg, shape)
        queries, keyvalues, tables = self._names(cfg)
        every = tuple(dict.fromkeys(queries + keyvalues + tables))
        blocks = self._blocks(cfg, shape)
        saved = (Saved("input", of=tuple(dict.fromkeys(queries + keyvalues))),
                 Saved("own", h * m * d, of=tuple(dict.fromkeys(keyvalues + tables))),
                 Saved("own", h * blocks * keys * d, of=queries),
                 Saved("own", h * m * keys, core=True, of=every), Saved("own", blocks * keys * c, of=every))
        if cfg.stride == 2 and cfg.avg_down:
            saved += (Saved("own", n * c, of=every),)
        return saved

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "HaloAttn")
        return (f"HaloAttn({one(row.input_shape[-1])}, {one(cfg.heads)}, block={one(cfg.block)}, halo={one(cfg.halo)}"
                + (f", dim_qk={one(cfg.dim_qk)}" if cfg.dim_qk is not None else "")
                + (", stride=2" if cfg.stride == 2 else "") + (", avg_down=True" if cfg.avg_down else "")
                + (", qkv_bias=True" if cfg.qkv_bias else "") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "HaloAttn" or not hasattr(module, "pos_embed") or not hasattr(module, "kv"):
            return None
        return timm_line(module, r.cls(module))


def timm_line(module, cls: str = "HaloAttn") -> str:
    """`haloattn ...` for timm's HaloAttn (and the export's module of that name), read whole; what it counts
    otherwise (an output of another width than the input, position logits scaled with the scores) is refused
    by name."""
    q, kv = module.q, module.kv
    c, heads = q.in_channels, module.num_heads
    problems = []
    if module.dim_out_v != c:
        problems.append(f"an output of {module.dim_out_v} channels from {c}")
    if getattr(module, "scale_pos_embed", False):
        problems.append("its position logits scaled with the scores (scale_pos_embed)")
    if tuple(q.kernel_size) != (1, 1) or tuple(kv.kernel_size) != (1, 1) or tuple(kv.stride) != (1, 1) \
            or (q.bias is None) != (kv.bias is None):
        problems.append("q, k, v projections other than two 1x1 convolutions")
    pooled = timm_attention_pool_stride(module.pool, problems) == 2
    if module.block_stride not in (1, 2) or (pooled and module.block_stride != 1):
        problems.append(f"q strided {module.block_stride}")
    if problems:
        raise DefinitionError(f"the module ({cls}) has {', '.join(problems)}; symparams reads HaloNet's attention "
                              "as haloattn")
    d = module.dim_head_qk
    stride = 2 if pooled or module.block_stride == 2 else 1
    return (f"haloattn heads={heads} block={module.block_size} halo={module.halo_size}"
            + (f" dim_qk={d}" if d * heads != c else "") + (" stride=2" if stride == 2 else "")
            + (" avg_down=true" if pooled else "") + (" qkv_bias=true" if q.bias is not None else ""))
