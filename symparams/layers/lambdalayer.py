"""lambdalayer: LambdaNetworks' lambda layer (Bello 2021; timm's LambdaLayer in lambda_resnet26t, lambda_resnet50ts,
lambda_resnet26rpt_256), with intra-depth 1. A 1x1 convolution (unbiased unless qkv_bias=true) gives q (heads x K
channels), k (K) and v (V = C/heads) at each of the N = H·W positions; q and v are batch-normalised, k is
softmax-normalised over the positions. The content lambda is k·vᵀ (K x V, shared by all positions); the position
lambdas come from a local lambda convolution of v (r=R: a Conv3d(1, K, (R, R, 1)), K·R² + K weights) or, with
r=0, from a relative position table of (2H-1) x (2W-1) x K entries (the map's own size). Each head's output at a
position is its query times the content lambda plus times its position lambda. stride=2 average-pools the result
2 x 2 (timm's pool).

torch.nn has no such class: the PyTorch export writes one under timm's class and weight names (qkv, norm_q,
norm_v, conv_lambda or pos_emb) and the import reads both it and timm's; Keras has none (refused by name)."""

from __future__ import annotations

from ..algebra import floor_div
from ..errors import DefinitionError
from ..numeric import sympy
from ..wording import named as quantity
from .base import BOOL, COUNT, INTEGER, Deferred, Gradient, LayerSpec, Opt, Saved, Weight, register
from .pool import timm_attention_pool_stride
from .text import one


@register
class LambdaLayer(LayerSpec):
    keywords = ("lambdalayer",)
    pytorch_classes: dict = {}      # torch.nn has none; timm's LambdaLayer and the export's helper are read
    keras_classes: dict = {}
    summary = ("LambdaNetworks' lambda layer on an H x W x C map (timm's LambdaLayer): a 1x1 conv to q, k, v (q and "
               "v batch-normalised, k softmax over the positions), a content lambda k·vᵀ and position lambdas from a "
               "local R x R lambda convolution (r=R) or a relative position table (r=0); stride=2 average-pools")
    formula = ("(h*K + K + V)*C + 2*h*K + 2*V + (r=R: K*R*R + K; r=0: (2*H - 1)*(2*W - 1)*K) (V = C/h; "
               "qkv_bias=true: + h*K + K + V)")
    options = {"heads": Opt(COUNT, None, doc="h: heads (timm's num_heads)"),
               "dim_qk": Opt(COUNT, 16, doc="K: the query's channels per head and the key's (timm's dim_head)"),
               "r": Opt(INTEGER, 9, doc="R: the local lambda convolution's size (odd); 0: a relative position "
                                        "table of the map's size instead (timm's r=None)"),
               "stride": Opt(COUNT, 1, doc="2: the result average-pooled 2 x 2 with stride 2 (timm's pool)"),
               "qkv_bias": Opt(BOOL, False, doc="a bias on the q, k, v convolution")}
    min_rank = 3
    max_rank = 3
    diagram = "attention"
    letters = {"input": "C", "heads": "h", "dim_qk": "K"}
    unsupported = {"keras": "lambdalayer (LambdaNetworks' lambda layer): Keras has no such layer, and symparams "
                            "writes none yet"}
    torch_helpers = {"LambdaLayer": '''
class LambdaLayer(nn.Module):
    """LambdaNetworks' lambda layer on a channels-first map (timm's LambdaLayer, its weight names): a 1x1
    convolution to q, k and v, the content lambda softmax(k)·vᵀ and the position lambdas from a local lambda
    convolution of v (r) or a relative position table (r=0); stride 2 average-pools the result."""
    def __init__(self, dim, heads, height, width, dim_qk=16, r=9, stride=1, qkv_bias=False):
        super().__init__()
        self.num_heads, self.dim_qk, self.dim_v = heads, dim_qk, dim // heads
        self.qkv = nn.Conv2d(dim, heads * dim_qk + dim_qk + self.dim_v, 1, bias=qkv_bias)
        self.norm_q = nn.BatchNorm2d(heads * dim_qk)
        self.norm_v = nn.BatchNorm2d(self.dim_v)
        if r:
            self.conv_lambda = nn.Conv3d(1, dim_qk, (r, r, 1), padding=(r // 2, r // 2, 0))
            self.pos_emb = None
        else:
            self.conv_lambda = None
            self.pos_emb = nn.Parameter(torch.randn(2 * height - 1, 2 * width - 1, dim_qk) * 0.02)
            rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
            rows, cols = rows.flatten(), cols.flatten()
            # each (query, key) pair's table entry: the key's offset from the query in rows and in columns
            offsets = torch.stack([rows.view(1, -1) - rows.view(-1, 1) + height - 1,
                                   cols.view(1, -1) - cols.view(-1, 1) + width - 1])
            self.register_buffer("rel_pos_indices", offsets, persistent=False)
        self.pool = nn.AvgPool2d(2, 2) if stride == 2 else nn.Identity()

    def forward(self, x):
        b, c, h, w = x.shape
        m, heads, kd, vd = h * w, self.num_heads, self.dim_qk, self.dim_v
        rows = torch.contiguous_format
        q, k, v = torch.split(self.qkv(x), [heads * kd, kd, vd], dim=1)
        # copies whatever the batch and the sizes (one layout to keep): q as each head's rows, v as rows
        q = self.norm_q(q.clone(memory_format=rows)).view(b, heads, kd, m).transpose(2, 3).clone(memory_format=rows)
        v = self.norm_v(v.clone(memory_format=rows)).view(b, vd, m).transpose(1, 2).clone(memory_format=rows)
        k = k.reshape(b, kd, m).softmax(dim=-1)
        content = torch.bmm(q.view(b, heads * m, kd), torch.bmm(k, v)).view(b, heads, m, vd)
        if self.pos_emb is None:
            lam = self.conv_lambda(v.view(b, 1, h, w, vd)).view(b, kd, m, vd).transpose(1, 2)
        else:
            table = self.pos_emb[self.rel_pos_indices[0], self.rel_pos_indices[1]]
            table = table.transpose(1, 2).expand(b, m, kd, m).clone(memory_format=rows).view(b * m, kd, m)
            values = v.view(b, 1, m, vd).expand(b, m, m, vd).clone(memory_format=rows).view(b * m, m, vd)
            lam = torch.bmm(table, values).view(b, m, kd, vd)
        # each head's query times its position's lambda (the lambda copied per head, as timm's broadcast does)
        lam = lam.unsqueeze(1).expand(b, heads, m, kd, vd).clone(memory_format=rows).view(b * heads * m, kd, vd)
        position = torch.bmm(q.view(b * heads * m, 1, kd), lam).view(b, heads, m, vd)
        out = (content + position).transpose(2, 3).reshape(b, c, h, w)
        return self.pool(out)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.heads is None:
            raise DefinitionError("lambdalayer needs heads=H")
        c, heads = shape[-1], cfg.heads
        ctx.require_divides(heads, c, Deferred(lambda: f"lambdalayer: {quantity('heads', heads)} do not divide "
                                                       f"{quantity('the channels', c)}"),
                            "lambdalayer: heads must divide the channels")
        if cfg.r and cfg.r % 2 == 0:
            raise DefinitionError(f"lambdalayer r={cfg.r}: the lambda convolution pads r // 2 on each side, which "
                                  "keeps the map's size only for an odd r")
        if cfg.stride not in (1, 2):
            raise DefinitionError(f"lambdalayer stride={cfg.stride}: timm's LambdaLayer pools 2 x 2 (stride=2) or "
                                  "not at all (stride=1)")
        if cfg.stride == 2:
            for axis in shape[:-1]:
                ctx.require_positive(floor_div(axis, 2), lambda axis=axis: (
                    f"lambdalayer stride=2: the 2 x 2 pool does not fit the size {axis}"))

    def _dims(self, cfg, shape):
        """(N, C, h, K, V): the positions, the channels, the heads, the query's and key's width, the value's."""
        c = shape[-1]
        return sympy.sympify(shape[0]) * shape[1], c, cfg.heads, cfg.dim_qk, sympy.sympify(c) / cfg.heads

    def output_shape(self, cfg, shape, ctx):
        if cfg.stride == 2:
            return (floor_div(shape[0], 2), floor_div(shape[1], 2), shape[-1])
        return tuple(shape)

    def _position_names(self, cfg):
        return ("pos_emb",) if not cfg.r else ("conv_lambda.weight", "conv_lambda.bias")

    def weights(self, cfg, shape, ctx):
        n, c, h, k, v = self._dims(cfg, shape)
        width = h * k + k + v
        out = [Weight("qkv.weight", (width, c, 1, 1))] + ([Weight("qkv.bias", (width,))] if cfg.qkv_bias else [])
        for norm, channels in (("norm_q", h * k), ("norm_v", v)):
            out += [Weight(f"{norm}.weight", (channels,)), Weight(f"{norm}.bias", (channels,)),
                    Weight(f"{norm}.running_mean", (channels,), trainable=False, buffer=True),
                    Weight(f"{norm}.running_var", (channels,), trainable=False, buffer=True)]
        if cfg.r:
            out += [Weight("conv_lambda.weight", (k, 1, cfg.r, cfg.r, 1)), Weight("conv_lambda.bias", (k,))]
        else:
            out += [Weight("pos_emb", (2 * shape[0] - 1, 2 * shape[1] - 1, k))]
        return tuple(out)

    def macs(self, cfg, shape, out, ctx):
        """N·C·(h·K + K + V) + N·K·V + 2·h·N·K·V + (r=R: N·K·V·R²; r=0: N²·K·V): the 1x1 convolution over the
        N = H·W positions, the content lambda k·vᵀ, each head's query times the content lambda and times its
        position's lambda, the position lambdas (the lambda convolution of v, or each position's table rows
        times v)."""
        n, c, h, k, v = self._dims(cfg, shape)
        position = n * k * v * cfg.r * cfg.r if cfg.r else n * n * k * v
        return n * c * (h * k + k + v) + n * k * v + 2 * h * n * k * v + position

    def bias_adds(self, cfg, shape, out, ctx):
        n, c, h, k, v = self._dims(cfg, shape)
        return (n * (h * k + k + v) if cfg.qkv_bias else 0) + (n * k * v if cfg.r else 0)

    def other_ops(self, cfg, shape, out, ctx):
        """2 per normalised value (q's and v's batch norms folded into a scale and a shift), 1 per key value
        (the softmax over the positions), 1 per output value before the pool (the content and position parts
        added) and, with stride=2, 4 per output value (the 2 x 2 pool's sum and its division)."""
        n, c, h, k, v = self._dims(cfg, shape)
        ops = 2 * n * (h * k + v) + n * k + n * c
        if cfg.stride == 2:
            ops += 4 * out[0] * out[1] * c
        return ops

    def _names(self, cfg):
        proj = ("input", "qkv.weight") + (("qkv.bias",) if cfg.qkv_bias else ())
        return proj, proj + ("norm_q.weight", "norm_q.bias"), proj + ("norm_v.weight", "norm_v.bias")

    def gradients(self, cfg, shape, out, ctx):
        """The convolution's kernel gradient and its input's; the content lambda's for k and v; the queries'
        products' for q and for each lambda; the lambda convolution's kernel gradient and its input's (or, with
        r=0, the table product's for the table and for v)."""
        n, c, h, k, v = self._dims(cfg, shape)
        proj, queries, values = self._names(cfg)
        position = self._position_names(cfg)
        conv = n * c * (h * k + k + v)
        lam = values + position
        grads = [Gradient(conv, ("qkv.weight",)), Gradient(conv, ("input",)),
                 Gradient(n * k * v, proj), Gradient(n * k * v, values),
                 Gradient(h * n * k * v, queries), Gradient(h * n * k * v, values + proj),
                 Gradient(h * n * k * v, queries), Gradient(h * n * k * v, lam)]
        if cfg.r:
            local = n * k * v * cfg.r * cfg.r
            grads += [Gradient(local, ("conv_lambda.weight",)), Gradient(local, values)]
        else:
            grads += [Gradient(n * n * k * v, ("pos_emb",)), Gradient(n * n * k * v, values)]
        return tuple(grads)

    def receptive(self, cfg, shape, out, ctx):
        return "global"

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported LambdaLayer, per example (N = H·W positions):
          C·N        the layer's input (the convolution keeps it whenever it is recorded)
          h·K·N      q before its norm, and the norm's batch mean and inverse deviation (2·h·K, float32, per batch)
          V·N        v before its norm, and its statistics (2·V, float32, per batch)
          h·N·K      q as rows (for the lambdas' gradients)
          N·V        v as rows (for k's gradient; the lambda convolution's input)
          K·N        softmax(k) (for v's gradient and its own)
          K·V        the content lambda (for q's gradient)
          h·N·K·V    each head's copy of the position lambdas (for q's gradient)
          r=0: N²·K the table's rows per position (for v's gradient), N²·V v per position (for the table's)
          N·C        with stride=2, the pool's input
        each only where a gradient reads it."""
        n, c, h, k, v = self._dims(cfg, shape)
        proj, queries, values = self._names(cfg)
        position = self._position_names(cfg)
        every = tuple(dict.fromkeys(queries + values + position))
        lam = tuple(dict.fromkeys(values + position))
        saved = (Saved("input", of=proj),
                 Saved("own", h * k * n, of=queries), Saved("own", 2 * h * k, dtype="stat", per_example=False, of=queries),
                 Saved("own", v * n, of=values), Saved("own", 2 * v, dtype="stat", per_example=False, of=values),
                 Saved("own", h * n * k, of=lam),
                 Saved("own", k * n, of=proj + values), Saved("own", k * v, of=queries),
                 Saved("own", h * n * k * v, of=queries))
        if cfg.r:
            # v as rows: k's gradient reads it, and the lambda convolution keeps its input whenever recorded
            saved += (Saved("own", n * v, of=proj + values + ("conv_lambda.weight", "conv_lambda.bias")),)
        else:
            saved += (Saved("own", n * v, of=proj),
                      Saved("own", n * n * k, of=values), Saved("own", n * n * v, of=("pos_emb",)))
        if cfg.stride == 2:
            saved += (Saved("own", n * c, of=every),)
        return saved

    def emit_torch(self, row, out):
        cfg = row.config
        shape = row.input_shape
        out.helper(self.torch_helpers, "LambdaLayer")
        return (f"LambdaLayer({one(shape[-1])}, {one(cfg.heads)}, {one(shape[0])}, {one(shape[1])}"
                + (f", dim_qk={one(cfg.dim_qk)}" if cfg.dim_qk != 16 else "") + f", r={one(cfg.r)}"
                + (", stride=2" if cfg.stride == 2 else "") + (", qkv_bias=True" if cfg.qkv_bias else "") + ")")

    def import_torch(self, module, r):
        if r.cls(module) != "LambdaLayer" or not hasattr(module, "norm_q") or not hasattr(module, "qkv"):
            return None
        return timm_line(module, r.cls(module), r.nn)


def timm_line(module, cls: str, nn) -> str:
    """`lambdalayer ...` for timm's LambdaLayer (and the export's module of that name), read whole; what it
    counts otherwise (an output of another width than the input, norms other than affine BatchNorm2d, a lambda
    convolution of another form, a pool other than 2 x 2) is refused by name."""
    conv, heads = module.qkv, module.num_heads
    c = conv.in_channels
    problems = []
    if heads * module.dim_v != c:
        problems.append(f"an output of {heads * module.dim_v} channels from {c}")
    if tuple(conv.kernel_size) != (1, 1) or conv.out_channels != heads * module.dim_qk + module.dim_qk + module.dim_v:
        problems.append("a q, k, v projection other than one 1x1 convolution")
    for norm in (module.norm_q, module.norm_v):
        if type(norm) is not nn.BatchNorm2d or not norm.affine or not norm.track_running_stats:
            problems.append(f"a norm of {type(norm).__name__} other than an affine BatchNorm2d")
    lam = module.conv_lambda
    size = 0
    if lam is not None:
        size = lam.kernel_size[0]
        if lam.kernel_size != (size, size, 1) or lam.padding != (size // 2, size // 2, 0) or size % 2 == 0 \
                or lam.stride != (1, 1, 1) or lam.dilation != (1, 1, 1) or lam.bias is None or lam.groups != 1:
            problems.append("a lambda convolution other than an odd R x R x 1 one with its bias, padded R // 2")
    elif module.pos_emb is None:
        problems.append("neither a lambda convolution nor a position table")
    stride = timm_attention_pool_stride(module.pool, problems)
    if problems:
        raise DefinitionError(f"the module ({cls}) has {', '.join(problems)}; symparams reads LambdaNetworks' "
                              "lambda layer as lambdalayer")
    return (f"lambdalayer heads={heads}" + (f" dim_qk={module.dim_qk}" if module.dim_qk != 16 else "")
            + (f" r={size}" if size != 9 else "") + (" stride=2" if stride == 2 else "")
            + (" qkv_bias=true" if conv.bias is not None else ""))
