"""Attention on image maps in windows (Swin: Liu et al. 2021) and the space-to-depth step between its stages.

windowattention: multi-head self-attention inside each W x W window of an H x W x C map (the map padded to a
multiple of W), the windows shifted by S positions first when shift=S (Swin's shifted windows), with a learned
2-D relative position bias: a (2W - 1)^2 x heads table (and, in PyTorch, the W^2 x W^2 index into it as a buffer).
Weights as torchvision and timm hold them: qkv (C -> 3C) and proj (C -> C). With grid=true (MaxViT's grid attention,
Tu et al. 2022) each group is instead the W x W positions spread evenly over the map, H/W rows and columns apart:
the same weights, the same groups' sizes and so the same counts, MACs and saved tensors; only which positions
attend together differs.
Swin-V2 (Liu et al. 2022) changes the attention, not the windows: cosine=true scores the cosine of q and k times a
learned per-head scale exp(min(logit_scale, log 100)) (logit_scale: heads x 1 x 1), and cpb=H computes the relative
bias with a small MLP (2 -> H with a bias, ReLU, H -> heads without) from the (2W - 1)^2 log-spaced relative
coordinates of the window, then 16·sigmoid of it: the MLP runs once per forward pass, whatever the batch, so its
MACs, additions, operations and kept tensors are per-forward terms (LayerSpec.once_costs, Saved(per_example=False)).
timm's Swin-V2 holds learned q and v biases and a zero key bias buffer instead of qkv's bias: bias=qv.
cpb_form=pairs is timm's Swin-V2-CR variant of the MLP (its meta_mlp): a bias on both layers, a dropout of 0.125
after the ReLU, run on the log-spaced offsets of all W² x W² query-key pairs (not the (2W - 1)^2 table), no sigmoid.
cpb_form=rmlp is timm's RelPosMlp (its 'cr' mode: MaxViT-rmlp, MaxxViT): the MLP with a bias on both layers and the
dropout of 0.125, run on the (2W - 1)^2 table of log-spaced offsets (sign(x)·ln(1 + |x|)), gathered as the table
form is, no sigmoid.

pixelunshuffle: r x r blocks of positions into the channels (PyTorch's nn.PixelUnshuffle, TensorFlow's
space_to_depth): H x W x C -> H/r x W/r x r^2·C; Swin's patch merging is this, a LayerNorm and a dense layer."""

from __future__ import annotations

from ..numeric import sympy, whole
from .. import conventions
from ..algebra import ceil_div, equal, product, ratio
from .base import BOOL, COUNT, INTEGER, WORD, Arg, Gradient, LayerSpec, Opt, Saved, Weight, named, register
from .text import one


def _ceil_ratio(size, w):
    """ceil(size / w): in Python ints for numbers (a derive on ints), SymPy's ceiling otherwise."""
    if whole(size) is not None and whole(w) is not None:
        return ceil_div(size, w)
    return sympy.ceiling(size / w)


QKV_BIAS = ("true", "false", "qv")
BLOCK_ORDERS = ("pytorch", "tensorflow", "swin")
CPB_FORMS = ("table", "pairs", "rmlp")


@register
class WindowAttention(LayerSpec):
    keywords = ("windowattention",)
    pytorch_classes: dict = {}
    keras_classes: dict = {}
    summary = ("self-attention within W x W windows of an H x W x C map (Swin), shifted by S with shift=S, or over a "
               "W x W grid spread over the map with grid=true (MaxViT), with a learned (2W-1)^2 x heads relative "
               "position bias, or one computed by a small MLP with cpb=H and scaled cosine attention with "
               "cosine=true (Swin-V2)")
    formula = ("3*C*C + 3*C + C*C + C + (2*W - 1)**2*h (without bias: 4*C*C + C + ...; bias=qv: 2*C for 3*C); "
               "rel_pos=true: + 2*(2*W - 1)*C/h; cpb=H: 3*H + H*h in place of (2*W - 1)**2*h (cpb_form=pairs|rmlp: + h); "
               "cosine=true: + h")
    options = {"heads": Opt(COUNT, None, doc="h: attention heads"),
               "window": Opt(COUNT, 7, doc="W: the window's side"),
               "shift": Opt(INTEGER, 0, doc="S: the windows moved by S positions (Swin's odd blocks: W // 2)"),
               "grid": Opt(BOOL, False, doc="MaxViT's grid attention: each group is W x W positions spread "
                                           "evenly over the whole map (every H/W-th row and column), not a W x W "
                                           "block"),
               "bias": Opt(WORD, "true", choices=QKV_BIAS,
                           doc="a bias on the qkv projection; qv: learned on q and v only, the key's a zero buffer "
                               "(timm's Swin-V2)"),
               "relbias": Opt(BOOL, True, doc="the learned relative position bias table"),
               "rel_pos": Opt(BOOL, False, doc="SAM's decomposed relative position: rel_pos_h and rel_pos_w tables "
                                              "of (2W - 1) x C/h added to the scores along each axis"),
               "cpb": Opt(INTEGER, 0, doc="H: Swin-V2's continuous position bias, the relative bias computed by an "
                                          "MLP 2 -> H -> heads from the window's relative coordinates once per "
                                          "forward pass, in place of the learned table (Swin-V2: 512); 0: the table"),
               "cpb_form": Opt(WORD, "table", choices=CPB_FORMS,
                               doc="table: Swin-V2's MLP over the (2W-1)^2 relative offsets, 16·sigmoid of its "
                                   "output, no bias on its second layer; pairs: Swin-V2-CR's (timm swinv2_cr) over "
                                   "all W^4 query-key pairs, biases on both layers, a dropout of 0.125, no sigmoid; "
                                   "rmlp: timm's RelPosMlp (MaxViT-rmlp) over the (2W-1)^2 offsets, biases on both "
                                   "layers, a dropout of 0.125, no sigmoid"),
               "cosine": Opt(BOOL, False, doc="Swin-V2's scaled cosine attention: cos(q, k) times a learned scale "
                                              "per head (logit_scale, heads x 1 x 1) instead of q.k/sqrt(d)")}
    min_rank = 3
    max_rank = 3
    diagram = "attention"
    letters = {"input": "C", "heads": "h", "window": "W", "cpb": "H"}     # as in `formula`
    unsupported = {"keras": "Keras has no windowed attention on image maps, and symparams writes none yet"}
    torch_helpers = {"WindowAttention": '''
class WindowAttention(nn.Module):
    """Swin's (shifted) window attention on a channels-first map: pad to whole windows, roll by -shift,
    attend within each window with a relative position bias, roll back, crop."""
    def __init__(self, dim, heads, window=7, shift=0, bias=True, relbias=True, grid=False, rel_pos=False, cpb=0,
                 cosine=False, cpb_form="table"):
        super().__init__()
        # SAM's decomposed relative position: a table per axis of the window, indexed by the query-key offset
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * window - 1, dim // heads)) if rel_pos else None
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * window - 1, dim // heads)) if rel_pos else None
        self.heads, self.window, self.shift, self.grid = heads, window, shift, grid
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias is True)
        # timm's Swin-V2: learned q and v biases around a key bias held at zero (a buffer)
        self.q_bias = nn.Parameter(torch.zeros(dim)) if bias == "qv" else None
        self.v_bias = nn.Parameter(torch.zeros(dim)) if bias == "qv" else None
        if bias == "qv":
            self.register_buffer("k_bias", torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)
        # Swin-V2's scaled cosine attention: a learned temperature per head, log 10 (2.3026) at first
        self.logit_scale = nn.Parameter(torch.full((heads, 1, 1), 2.302585092994046)) if cosine else None
        table = relbias and not cpb
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads)) if table else None
        # Swin-V2's continuous position bias: an MLP from the log-spaced relative coordinates to a bias per head
        self.cpb_pairs, self.cpb_rmlp = cpb_form == "pairs", cpb_form == "rmlp"
        if self.cpb_rmlp:       # timm's RelPosMlp: biases on both layers and a dropout, on the (2 win - 1)^2 offsets
            self.cpb_mlp = nn.Sequential(nn.Linear(2, cpb), nn.ReLU(), nn.Dropout(0.125), nn.Linear(cpb, heads))
        elif self.cpb_pairs:      # Swin-V2-CR: biases on both layers, a dropout, all W^4 pairs' log-spaced offsets
            self.cpb_mlp = nn.Sequential(nn.Linear(2, cpb), nn.ReLU(), nn.Dropout(0.125), nn.Linear(cpb, heads))
            points = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
            offsets = (points[:, :, None] - points[:, None, :]).permute(1, 2, 0).reshape(-1, 2).float()
            self.register_buffer("relative_coordinates_log", torch.sign(offsets) * torch.log1p(offsets.abs()))
        else:
            self.cpb_mlp = nn.Sequential(nn.Linear(2, cpb), nn.ReLU(inplace=True),
                                         nn.Linear(cpb, heads, bias=False)) if cpb else None
        if cpb and not self.cpb_pairs:
            axis = torch.arange(1 - window, window, dtype=torch.float32)
            if self.cpb_rmlp:   # timm's 'cr' coordinates: sign(x) ln(1 + |x|) of the offsets themselves
                axis = torch.sign(axis) * torch.log1p(axis.abs())
            else:               # Swin-V2's: the offsets scaled to [-8, 8], then sign(x) log2(1 + |x|) / 3
                axis = axis / max(window - 1, 1) * 8
                axis = torch.sign(axis) * torch.log2(axis.abs() + 1.0) / 3.0
            grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1)
            self.register_buffer("relative_coords_table", grid.unsqueeze(0))
        if relbias and not self.cpb_pairs:
            coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
            rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
            self.register_buffer("relative_position_index", rel[..., 0] * (2 * window - 1) + rel[..., 1])

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        b, h, w, c = x.shape
        win = self.window
        x = F.pad(x, (0, 0, 0, (-w) % win, 0, (-h) % win))
        hp, wp = x.shape[1], x.shape[2]
        # no shift along an axis one window covers (torchvision's and timm's rule, per axis)
        shift = (self.shift if win < hp else 0, self.shift if win < wp else 0)
        if any(shift):
            x = torch.roll(x, (-shift[0], -shift[1]), (1, 2))
        if self.grid:       # MaxViT's grid: the win x win positions hp // win rows and wp // win columns apart
            x = x.view(b, win, hp // win, win, wp // win, c).permute(0, 2, 4, 1, 3, 5).reshape(-1, win * win, c)
        else:
            x = x.view(b, hp // win, win, wp // win, win, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, win * win, c)
        if self.q_bias is not None:
            qkv = F.linear(x, self.qkv.weight, torch.cat((self.q_bias, self.k_bias, self.v_bias)))
        elif self.logit_scale is not None and self.qkv.bias is not None:
            # torchvision's Swin-V2: the key's third of qkv's bias is held at zero in the forward pass
            qkv = F.linear(x, self.qkv.weight, torch.cat((self.qkv.bias[:c], torch.zeros_like(self.qkv.bias[c:2 * c]),
                                                          self.qkv.bias[2 * c:])))
        else:
            qkv = self.qkv(x)
        q, k, v = qkv.view(x.shape[0], win * win, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.logit_scale is not None:    # Swin-V2: cosine similarity times the head's scale, at most 100 (log 4.6)
            scores = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-1, -2)
            scores = scores * torch.clamp(self.logit_scale, max=4.605170185988092).exp()
        else:               # q scaled, then the product (torchvision's and timm's order)
            scores = (q * (c // self.heads) ** -0.5) @ k.transpose(-1, -2)
        if self.rel_pos_h is not None:      # SAM: q against the row and the column offset tables
            offsets = torch.arange(win, device=x.device)
            offsets = offsets[:, None] - offsets[None, :] + win - 1
            d = c // self.heads
            r_q = q.reshape(-1, win, win, d)        # (windows x heads, query row, query column, d)
            # rel_h[b, i, j, k] = q[b, i, j] . rel_pos_h[i - k]: one product per query row (and per column for rel_w)
            # each product's left operand a copy of its own (clone: also where the reshape could be a view)
            rel_h = r_q.permute(1, 0, 2, 3).reshape(win, -1, d).clone() @ self.rel_pos_h[offsets].transpose(1, 2)
            rel_w = r_q.permute(2, 0, 1, 3).reshape(win, -1, d).clone() @ self.rel_pos_w[offsets].transpose(1, 2)
            rel_h = rel_h.view(win, -1, win, win).permute(1, 0, 2, 3)              # (b, i, j, k)
            rel_w = rel_w.view(win, -1, win, win).permute(1, 2, 0, 3)              # (b, i, j, l)
            scores = (scores.view(-1, win, win, win, win) + rel_h[..., :, None] + rel_w[..., None, :]).view(scores.shape)
        if self.relative_position_bias_table is not None:
            bias = self.relative_position_bias_table[self.relative_position_index.flatten()]
            scores = scores + bias.view(win * win, win * win, -1).permute(2, 0, 1)
        if self.cpb_pairs:                  # once per forward pass: the MLP over the win^4 pairs
            scores = scores + self.cpb_mlp(self.relative_coordinates_log).transpose(1, 0).reshape(
                self.heads, win * win, win * win)
        elif self.cpb_mlp is not None:      # once per forward pass: the MLP over the (2 win - 1)^2 coordinates
            table = self.cpb_mlp(self.relative_coords_table).view(-1, self.heads)
            bias = table[self.relative_position_index.flatten()].view(win * win, win * win, -1).permute(2, 0, 1)
            scores = scores + (bias if self.cpb_rmlp else 16 * torch.sigmoid(bias))
        if any(shift):      # a rolled window joins parts of the map that are not neighbours: they do not attend
            scores = (scores.view(b, -1, self.heads, win * win, win * win)
                      + self._shift_mask(hp, wp, shift, x.device)[None, :, None]).view(scores.shape)
        x = (scores.softmax(-1) @ v).transpose(1, 2).reshape(-1, win * win, c)
        x = self.proj(x).view(b, hp // win, wp // win, win, win, c)
        x = x.permute(0, 3, 1, 4, 2, 5) if self.grid else x.permute(0, 1, 3, 2, 4, 5)
        x = x.reshape(b, hp, wp, c)
        if any(shift):
            x = torch.roll(x, (shift[0], shift[1]), (1, 2))
        # the crop copied, as torchvision's and timm's Swin do (.contiguous()): the padding's positions are not kept
        return x[:, :h, :w].contiguous().permute(0, 3, 1, 2)

    def _shift_mask(self, hp, wp, shift, device):
        """(windows, win², win²): -100 where a query and a key of one rolled window come from different regions
        of the padded map (the last `shift` rows or columns wrapped round, the window before them, the rest), 0
        within a region: the mask torchvision's and timm's Swin add to the scores before the softmax."""
        win = self.window

        def regions(size, s):
            index = torch.arange(size, device=device)
            return (index >= size - win).long() + (index >= size - s).long() if s else torch.zeros_like(index)

        label = regions(hp, shift[0])[:, None] * 3 + regions(wp, shift[1])[None, :]
        label = label.view(hp // win, win, wp // win, win).permute(0, 2, 1, 3).reshape(-1, win * win)
        return (label[:, None, :] != label[:, :, None]).float() * -100.0
'''}

    def configure(self, cfg, shape, ctx):
        from ..errors import DefinitionError
        if cfg.heads is None:
            raise DefinitionError("windowattention needs heads=H")
        c, heads = shape[-1], cfg.heads
        ctx.require_divides(heads, c, f"windowattention: {heads} heads do not divide the {c} channels",
                            f"windowattention: heads must divide the channels")
        if cfg.grid and cfg.shift != 0:
            raise DefinitionError("windowattention: shift moves windows; a grid (grid=true) is not shifted")
        if cfg.cpb != 0 and not cfg.relbias:
            raise DefinitionError("windowattention: cpb=H is the MLP that computes the relative position bias; "
                                  "relbias=false has none")
        if cfg.cpb_form != "table" and cfg.cpb == 0:
            raise DefinitionError(f"windowattention: cpb_form={cfg.cpb_form} is the form of the position-bias MLP; "
                                  "give its width with cpb=H")
        cfg["bias"] = cfg.bias if isinstance(cfg.bias, str) else ("true" if cfg.bias else "false")

    @staticmethod
    def _windows(cfg, shape):
        """(windows, positions per window): the map padded to whole windows."""
        w = cfg.window
        return _ceil_ratio(shape[0], w) * _ceil_ratio(shape[1], w), w * w

    def weights(self, cfg, shape, ctx):
        c, w = shape[-1], cfg.window
        pytorch = ctx.convention == conventions.PYTORCH
        out = [Weight("qkv.weight", (3 * c, c))]
        if cfg.bias == "true":
            out.append(Weight("qkv.bias", (3 * c,)))
        elif cfg.bias == "qv":
            out += [Weight("q_bias", (c,)), Weight("v_bias", (c,))]
            if pytorch:         # the key's bias, zeros: a buffer
                out.append(Weight("k_bias", (c,), trainable=False, buffer=True))
        out += [Weight("proj.weight", (c, c)), Weight("proj.bias", (c,))]
        if cfg.cosine:
            out.append(Weight("logit_scale", (cfg.heads, 1, 1)))
        if cfg.rel_pos:
            out += [Weight("rel_pos_h", (2 * w - 1, c / cfg.heads)), Weight("rel_pos_w", (2 * w - 1, c / cfg.heads))]
        pairs = cfg.cpb_form == "pairs"
        if cfg.cpb_form in ("pairs", "rmlp"):      # both layers biased, a dropout between them
            out += [Weight("cpb_mlp.0.weight", (cfg.cpb, 2)), Weight("cpb_mlp.0.bias", (cfg.cpb,)),
                    Weight("cpb_mlp.3.weight", (cfg.heads, cfg.cpb)), Weight("cpb_mlp.3.bias", (cfg.heads,))]
        if pairs:               # Swin-V2-CR: the MLP's input the W^4 pairs' offsets (a buffer)
            if pytorch:
                out.append(Weight("relative_coordinates_log", (w ** 4, 2), trainable=False, buffer=True))
        elif cfg.cpb_form == "rmlp":    # its input the (2W - 1) x (2W - 1) relative coordinates, a buffer
            if pytorch:
                out.append(Weight("relative_coords_table", (1, 2 * w - 1, 2 * w - 1, 2), trainable=False,
                                  buffer=True))
        elif cfg.cpb != 0:
            out += [Weight("cpb_mlp.0.weight", (cfg.cpb, 2)), Weight("cpb_mlp.0.bias", (cfg.cpb,)),
                    Weight("cpb_mlp.2.weight", (cfg.heads, cfg.cpb))]
            if pytorch:         # the MLP's input: the (2W - 1) x (2W - 1) relative coordinates, a buffer
                out.append(Weight("relative_coords_table", (1, 2 * w - 1, 2 * w - 1, 2), trainable=False,
                                  buffer=True))
        elif cfg.relbias:
            out.append(Weight("relative_position_bias_table", ((2 * w - 1) ** 2, cfg.heads)))
        if cfg.relbias and pytorch and not pairs:       # the index into the table (or the MLP's output): a buffer
            out.append(Weight("relative_position_index", (w * w, w * w), trainable=False, buffer=True))
        return tuple(out)

    def macs(self, cfg, shape, out, ctx):
        """4·P·C² for the qkv and output projections over the P = ⌈H/W⌉·⌈W'/W⌉·W² padded positions, and
        2·P·W²·C for each window's scores and weighted values."""
        n, p = self._windows(cfg, shape)
        c = shape[-1]
        # rel_pos: each query against W row offsets and W column offsets, C/h values per head
        return 4 * n * p * c * c + 2 * n * p * p * c + (2 * n * p * cfg.window * c if cfg.rel_pos else 0)

    def gradients(self, cfg, shape, out, ctx):
        """qkv's kernel gradient and its input's; the scores' for q and k (qkv's one output, computed from the input
        and all of qkv's weights), with rel_pos each offset table's product's for q and for the table; the weighted
        sum's for the probabilities (also computed from the position bias, its MLP, the tables and the logit scale)
        and for v; proj's kernel gradient and its input's. Once per pass, the position-bias MLP's kernel
        gradients and its second layer's input gradient (its first layer reads a buffer). Each where what it is
        computed from needs one."""
        n, p = self._windows(cfg, shape)
        c = shape[-1]
        names = [w.name for w in self.weights(cfg, shape, ctx) if not w.buffer]
        mlp = [name for name in names if name.startswith("cpb_mlp.")]
        qkv = ("input",) + tuple(name for name in names if name.startswith("qkv.") or name in ("q_bias", "v_bias"))
        probabilities = qkv + tuple(name for name in names if name in ("logit_scale", "rel_pos_h", "rel_pos_w",
                                                                       "relative_position_bias_table")) + tuple(mlp)
        scores = n * p * p * c
        grads = [Gradient(3 * n * p * c * c, ("qkv.weight",)), Gradient(3 * n * p * c * c, ("input",)),
                 Gradient(scores, qkv), Gradient(scores, qkv), Gradient(scores, probabilities), Gradient(scores, qkv),
                 Gradient(n * p * c * c, ("proj.weight",)), Gradient(n * p * c * c, probabilities)]
        if cfg.rel_pos:
            offsets = n * p * cfg.window * c
            grads += [Gradient(offsets, qkv), Gradient(offsets, ("rel_pos_h",)), Gradient(offsets, qkv),
                      Gradient(offsets, ("rel_pos_w",))]
        if mlp:
            t = cfg.window ** 4 if cfg.cpb_form == "pairs" else (2 * cfg.window - 1) ** 2
            first, second = [name for name in mlp if name.endswith("weight")]
            hidden = tuple(name for name in mlp if name.startswith(first.rsplit(".", 1)[0] + "."))   # its first layer
            grads += [Gradient(t * 2 * cfg.cpb, (first,), once=True),
                      Gradient(t * cfg.cpb * cfg.heads, (second,), once=True),
                      Gradient(t * cfg.cpb * cfg.heads, hidden, once=True)]
        return tuple(grads)

    def score_macs(self, cfg, shape, out, ctx):
        """Each window's W² x W² scores and weighted values."""
        n, p = self._windows(cfg, shape)
        return 2 * n * p * p * shape[-1]

    def bias_adds(self, cfg, shape, out, ctx):
        n, p = self._windows(cfg, shape)
        c = shape[-1]
        return n * p * ((3 * c if cfg.bias != "false" else 0) + c)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per score (the softmax over each window's W² x W² scores per head), 1 more with the relative bias, 2 more
        with rel_pos (its row and column terms added); cosine=true: 1 more per score (the scale) and 2 per value of
        q and k (the L2 norm's square and the division).

        cpb=H adds, once per forward pass, (2W-1)²·H (the MLP's ReLU) and 2·h·W⁴ (16·sigmoid of the bias);
        cpb_form=pairs W⁴·H (the ReLU); cpb_form=rmlp (2W-1)²·H (the ReLU)."""
        n, p = self._windows(cfg, shape)
        per_score = 1 + (1 if cfg.relbias else 0) + (2 if cfg.rel_pos else 0) + (1 if cfg.cosine else 0)
        return cfg.heads * n * p * p * per_score + (4 * n * p * shape[-1] if cfg.cosine else 0)

    def once_costs(self, cfg, shape, out, ctx):
        """Swin-V2's position-bias MLP (cpb=H) runs once per forward pass on the T = (2W-1)² relative coordinates,
        whatever the batch: T·(2·H + H·h) MACs, T·H bias additions, T·H + 2·h·W⁴ operations (ReLU,
        16·sigmoid of the gathered bias) (its backward pass: gradients); cosine=true adds 2·h operations (the logit scale
        clamped and exponentiated). cpb_form=pairs (Swin-V2-CR) runs it on the T = W⁴ query-key pairs with a bias
        on both layers: T·(H + h) bias additions, T·H operations (the ReLU; no sigmoid); cpb_form=rmlp (timm's
        RelPosMlp) likewise on the T = (2W-1)² coordinates."""
        costs = {}
        if cfg.cpb_form in ("pairs", "rmlp"):
            t = cfg.window ** 4 if cfg.cpb_form == "pairs" else (2 * cfg.window - 1) ** 2
            hidden, heads = cfg.cpb, cfg.heads
            costs = {"macs": t * (2 * hidden + hidden * heads), "bias": t * (hidden + heads), "ops": t * hidden}
        elif cfg.cpb != 0:
            t, hidden, heads, w = (2 * cfg.window - 1) ** 2, cfg.cpb, cfg.heads, cfg.window
            costs = {"macs": t * (2 * hidden + hidden * heads), "bias": t * hidden,
                     "ops": t * hidden + 2 * heads * w ** 4}
        if cfg.cosine:
            costs["ops"] = costs.get("ops", 0) + 2 * cfg.heads
        return costs

    def receptive(self, cfg, shape, out, ctx):
        return "unknown"        # a window's span, moved by the shift: no (span, stride, padding) per axis

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported WindowAttention, per example, over the P = n·W² positions of the
        n windows of the padded map (each term the tensor a backward step reads):
          P·C        qkv's input: the windows cut out of the padded (or rolled) map, a reshape that copies (not
                     the layer's input, which the padding, roll and window permutation leave unread by backward)
          P·C        q times the scale (torchvision's and timm's order: q scaled, then the product)
          2·P·C      k and v for the scores and the weighted sum: copies of the head-major views of qkv's output;
                     where the views fold (one head; one window in a batch of one) qkv's whole output, 3·P·C,
                     is kept instead
          h·n·W²·W²  each window's softmax output (the relative bias is added: an addition keeps nothing, and
                     the bias's index is a view of the buffer)
          P·C        proj's input, the heads' output copied back to positions x channels;
        rel_pos=true: 2·P·C (the queries copied for the row and the column products) and, once per batch, the two
        tables gathered by offset (2·W²·C/h) and the W² offsets (int64).
        The scale 1/sqrt(C/h) is a Python number (a 0-d float64 that saved_tensors_hooks does not see).
        cosine=true (F.normalize of the q and k views, then the product's scale): in place of q's scaled copy
        and the k and v copies,
          3·P·C      qkv's whole output (the norms keep the q and k views of it) and P·C for v's copy (none
                     where its view folds: one head; one window in a batch of one)
          2·P·C      the normalised q and k, the product's operands
          4·P·h      each position's q and k norm per head, and the norm clamped away from 0 (the divisor)
          h·n·W²·W²  the scores before the scale (the scale's operand)
        and once per batch the h scales exp(logit_scale).
        cpb=H, once per batch (the MLP runs on its coordinate buffer): (2W-1)²·H, the ReLU's output (the second
        layer's input), and h·W⁴, 16·sigmoid's sigmoid of the gathered bias; cpb_form=pairs: W⁴·H each for the
        ReLU's output, the dropout's mask and its output (the second layer's input); cpb_form=rmlp: (2W-1)²·H each
        for the same three (no sigmoid)."""
        n, p = self._windows(cfg, shape)
        c, heads, w = shape[-1], cfg.heads, cfg.window
        positions = n * p * c
        names = [weight.name for weight in self.weights(cfg, shape, ctx) if not weight.buffer]
        mlp = tuple(name for name in names if name.startswith("cpb_mlp."))
        # what each tensor is computed from (it needs a gradient when one of these does): q, k and v are views of
        # qkv's one output; the probabilities also come from the position bias (table, tables, MLP) and the scale
        qkv = ("input",) + tuple(name for name in names if name.startswith("qkv.") or name in ("q_bias", "v_bias"))
        probabilities = qkv + tuple(name for name in names if name in (
            "logit_scale", "rel_pos_h", "rel_pos_w", "relative_position_bias_table")) + mlp
        saved = (Saved("own", positions, of=("qkv.weight",)),      # the windows, for qkv's kernel gradient
                 Saved("own", positions, of=("proj.weight",)))     # the heads' output, for proj's
        if cfg.cosine:
            saved += (Saved("own", 3 * positions, of=qkv),          # the norms' q and k views of qkv's output
                      Saved("own", 2 * positions, of=qkv),          # normalised q (for k's gradient) and k (for q's)
                      Saved("own", 4 * n * p * heads, of=qkv),      # the norms and their clamped divisors
                      Saved("own", heads * n * p * p, core=True, of=("logit_scale",)),    # the scores, for the scale's
                      Saved("own", heads * n * p * p, core=True, of=probabilities),       # softmax's result
                      Saved("own", heads, per_example=False, of=("logit_scale",) + qkv))  # exp's result
            # v's copy, for the probabilities' gradient; where its view folds, qkv's output, which the norms keep
            # already when q or k needs a gradient
            saved += _unless_folded(positions, 0, heads, n, of=probabilities)
            saved += _unless_folded(0, 3 * positions, heads, n, of=probabilities, unless=qkv)
        else:
            saved += (Saved("own", positions, of=qkv),                 # q scaled, for k's gradient
                      Saved("own", heads * n * p * p, core=True, of=probabilities))
            # k's copy (for q's gradient) and v's (for the probabilities'); where the views fold, qkv's output
            saved += _unless_folded(positions, 0, heads, n, of=qkv)
            saved += _unless_folded(positions, 3 * positions, heads, n, of=probabilities)
        if cfg.cpb_form in ("pairs", "rmlp"):   # ReLU's result and the dropout's mask (for the first layer's
            # gradient), and the dropout's output (for the second layer's kernel), over the W^4 pairs or the table
            pairs = (w ** 4 if cfg.cpb_form == "pairs" else (2 * w - 1) ** 2) * cfg.cpb
            first = tuple(name for name in mlp if name.startswith("cpb_mlp.0."))
            saved += (Saved("own", pairs, per_example=False, of=first),
                      Saved("own", pairs, dtype="mask", per_example=False, of=first),
                      Saved("own", pairs, per_example=False, of=("cpb_mlp.3.weight",)))
        elif cfg.cpb != 0:              # ReLU's result (the second layer's input), 16·sigmoid's sigmoid
            saved += (Saved("own", (2 * w - 1) ** 2 * cfg.cpb, per_example=False, of=mlp),
                      Saved("own", heads * w ** 4, per_example=False, of=mlp))
        if cfg.rel_pos:     # the two products' query copies (for the tables' gradients); once per batch the tables
            saved += (Saved("own", positions, of=("rel_pos_h",)), Saved("own", positions, of=("rel_pos_w",)),
                      Saved("own", 2 * w * w * c / cfg.heads, per_example=False, of=qkv),      # gathered (for q's)
                      Saved("own", w * w, dtype="index", per_example=False, of=("rel_pos_h", "rel_pos_w")))
        return saved

    def output_layout(self, cfg, shape, out, ctx):
        """A channels-first view (permute) of proj's channels-last result: strided as the export sees it."""
        return "strided"

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "WindowAttention")
        return (f"WindowAttention({one(row.input_shape[-1])}, {one(cfg.heads)}, window={one(cfg.window)}, "
                f"shift={one(cfg.shift)}" + {"true": "", "false": ", bias=False", "qv": ", bias='qv'"}[cfg.bias]
                + ("" if cfg.relbias else ", relbias=False") + (", grid=True" if cfg.grid else "")
                + (", rel_pos=True" if cfg.rel_pos else "") + (f", cpb={one(cfg.cpb)}" if cfg.cpb != 0 else "")
                + (", cosine=True" if cfg.cosine else "")
                + (f", cpb_form={cfg.cpb_form!r}" if cfg.cpb_form != "table" else "") + ")")

    # torchvision's Swin attention modules, read whole (their window partition is view/permute/roll inside a
    # function torch.fx does not trace into); they take and give a channels-last B x H x W x C map
    torch_leaves = ("ShiftedWindowAttention", "ShiftedWindowAttentionV2")

    def import_torch(self, module, r):
        if r.cls(module) in self.torch_leaves:
            return self._torchvision(module, r)
        if r.cls(module) != "WindowAttention" or not hasattr(module, "heads") or not hasattr(module, "qkv"):
            return None
        text = f"windowattention heads={module.heads} window={module.window}"
        if module.shift:
            text += f" shift={module.shift}"
        if getattr(module, "q_bias", None) is not None:
            text += " bias=qv"
        elif module.qkv.bias is None:
            text += " bias=false"
        cpb = getattr(module, "cpb_mlp", None)
        if module.relative_position_bias_table is None and cpb is None:
            text += " relbias=false"
        if getattr(module, "grid", False):
            text += " grid=true"
        if getattr(module, "rel_pos_h", None) is not None:
            text += " rel_pos=true"
        if cpb is not None:
            text += f" cpb={cpb[0].out_features}" + (" cpb_form=pairs" if getattr(module, "cpb_pairs", False) else
                                                     " cpb_form=rmlp" if getattr(module, "cpb_rmlp", False) else "")
        if getattr(module, "logit_scale", None) is not None:
            text += " cosine=true"
        return text

    def _torchvision(self, module, r):
        """torchvision's ShiftedWindowAttention (Swin) and ShiftedWindowAttentionV2 (Swin-V2: cosine attention with
        a learned logit scale, the relative bias from the continuous position bias MLP cpb_mlp)."""
        from ..errors import DefinitionError
        window = _square(module.window_size, "window", r)
        shift = _square(module.shift_size, "shift", r)
        if module.proj.bias is None:
            raise DefinitionError(f"the module '{r.name}' ({r.cls(module)}) has no output projection bias "
                                  "(proj_bias=False); symparams' windowattention always has one")
        text = f"windowattention heads={module.num_heads} window={window}" + (f" shift={shift}" if shift else "")
        if module.qkv.bias is None:
            text += " bias=false"
        if r.cls(module) == "ShiftedWindowAttentionV2":
            text += v2_options(module, r.name, r.cls(module), r.nn)
        return text


@register
class PixelUnshuffle(LayerSpec):
    keywords = ("pixelunshuffle", "spacetodepth")
    pytorch_classes = named("pixelunshuffle", "PixelUnshuffle")
    keras_classes: dict = {}
    summary = "r x r blocks of positions into the channels: H x W x C -> H/r x W/r x r²·C (Swin's patch merging)"
    formula = "0"
    arguments = (Arg("factor", COUNT, doc="r: the block's side"),)
    # which of the r²·C output channels holds which input position and channel: no count or shape changes, the
    # function does (the layer after it reads its channels in this order)
    options = {"order": Opt(WORD, "pytorch", choices=BLOCK_ORDERS,
                            doc="the output channels' order: pytorch (nn.PixelUnshuffle: each input channel's r x r "
                                "block together, row by row), tensorflow (space_to_depth, timm's SpaceToDepth: the "
                                "block's positions row by row, all channels at each), swin (Swin's patch merging, "
                                "torchvision's, timm's and Hugging Face's: the positions column by column, all "
                                "channels at each)")}
    min_rank = 3
    max_rank = 3
    diagram = "plain"
    unsupported = {"keras": "Keras has no space-to-depth layer, and symparams writes none yet"}
    torch_helpers = {"BlocksToChannels": '''
class BlocksToChannels(nn.Module):
    """r x r blocks of a channels-first map into the channels, in TensorFlow's space_to_depth order (the block's
    positions row by row, all channels at each: order "tensorflow") or in Swin's patch merging order (column by
    column: order "swin"); nn.PixelUnshuffle is the third order, each channel's block together."""
    def __init__(self, factor, order):
        super().__init__()
        self.factor, self.order = factor, order

    def forward(self, x):
        n, c, h, w = x.shape
        r = self.factor
        x = x.view(n, c, h // r, r, w // r, r)                      # (n, c, rows, dy, columns, dx)
        x = x.permute(0, 3, 5, 1, 2, 4) if self.order == "tensorflow" else x.permute(0, 5, 3, 1, 2, 4)
        return x.reshape(n, r * r * c, h // r, w // r)
'''}

    def configure(self, cfg, shape, ctx):
        r = cfg.factor
        for axis in shape[:-1]:
            ctx.require_divides(r, axis, f"pixelunshuffle {r}: the factor does not divide the size {axis}",
                                "pixelunshuffle: the factor must divide each spatial size")

    def output_shape(self, cfg, shape, ctx):
        r = cfg.factor
        return (ratio(shape[0], r), ratio(shape[1], r), shape[-1] * r * r)

    def other_ops(self, cfg, shape, out, ctx):
        """0: values are moved, not computed."""
        return 0 * product(shape)

    def receptive(self, cfg, shape, out, ctx):
        r = cfg.factor
        return tuple((r, r, sympy.Integer(0)) for _ in shape[:-1])

    def emit_torch(self, row, out):
        cfg = row.config
        if cfg.order == "pytorch":
            return f"nn.PixelUnshuffle({one(cfg.factor)})"
        out.helper(self.torch_helpers, "BlocksToChannels")
        return f"BlocksToChannels({one(cfg.factor)}, {cfg.order!r})"

    def import_torch(self, module, r):
        if r.cls(module) == "BlocksToChannels" and getattr(module, "order", None) in BLOCK_ORDERS:
            return f"pixelunshuffle {module.factor} order={module.order}"
        return f"pixelunshuffle {module.downscale_factor}" if isinstance(module, r.nn.PixelUnshuffle) else None


def v2_options(module, name, cls, nn):
    """' cpb=H cosine=true' for a Swin-V2 attention module (torchvision's ShiftedWindowAttentionV2, timm's
    swin_transformer_v2 WindowAttention): its cpb_mlp is Linear(2, H) with a bias, ReLU, Linear(H, heads) without,
    and its logit_scale one value per head; anything else is refused by name rather than counted wrongly."""
    from ..errors import DefinitionError
    mlp, scale, heads = getattr(module, "cpb_mlp", None), getattr(module, "logit_scale", None), module.num_heads
    parts = list(mlp) if isinstance(mlp, nn.Sequential) else []
    if len(parts) != 3 or not isinstance(parts[0], nn.Linear) or not isinstance(parts[1], nn.ReLU) or \
            not isinstance(parts[2], nn.Linear) or parts[0].in_features != 2 or parts[0].bias is None or \
            parts[2].bias is not None or parts[2].in_features != parts[0].out_features or \
            parts[2].out_features != heads or scale is None or tuple(scale.shape) != (heads, 1, 1):
        raise DefinitionError(f"the module '{name}' ({cls}) has a continuous position bias MLP (cpb_mlp) or a "
                              "logit_scale other than Swin-V2's (Linear(2, H) with a bias, ReLU, Linear(H, heads) "
                              "without; heads x 1 x 1); symparams' windowattention cpb=H cosine=true is that form")
    return f" cpb={parts[0].out_features} cosine=true"


def _unless_folded(copied, folded, heads, windows, **kept) -> tuple:
    """The Saved entries of head-major views of qkv's output that a batched product reads: `copied` values per
    example where they are copied, `folded` where they fold into views of it (one head; one window in a batch of
    one, where the batch of windows is a single one), whatever heads and windows are (Piecewise when symbolic);
    `kept`: each entry's Saved.of and Saved.unless."""
    def pick(cases):
        """The first case whose condition holds (None: unknown, a Piecewise from there on)."""
        pieces = []
        for condition, value in cases:
            if condition is False:
                continue
            if condition is True:
                return value if not pieces else sympy.Piecewise(*pieces, (value, True))
            pieces.append((value, condition))
        return sympy.Piecewise(*pieces, (0, True)) if pieces else 0

    def test(a):
        known = equal(a, 1)
        return known if known is not None else sympy.Eq(a, 1)

    one_head, one_window = test(heads), test(windows)
    # per example: folded with one head, copied with several windows; with one window, copied from batch 2 on
    # (Saved.batched) and folded in a batch of one (Saved.single)
    return (Saved("own", pick([(one_head, folded), (one_window, 0), (True, copied)]), **kept),
            Saved("own", pick([(one_head, 0), (one_window, copied), (True, 0)]), batched=True, **kept),
            Saved("own", pick([(one_head, 0), (one_window, folded), (True, 0)]), single=True, **kept))


def cr_options(module, name, cls, nn):
    """' cpb=H cpb_form=pairs cosine=true' for timm's Swin-V2-CR attention (WindowMultiHeadAttention): its
    meta_mlp is timm's Mlp, Linear(2, H) and Linear(H, heads) both with a bias, ReLU between, no norm, and its
    logit_scale one value per head; anything else is refused by name."""
    from ..errors import DefinitionError
    mlp, scale, heads = getattr(module, "meta_mlp", None), getattr(module, "logit_scale", None), module.num_heads
    fc1, fc2 = getattr(mlp, "fc1", None), getattr(mlp, "fc2", None)
    if not isinstance(fc1, nn.Linear) or not isinstance(fc2, nn.Linear) or fc1.in_features != 2 or \
            fc1.bias is None or fc2.bias is None or fc2.in_features != fc1.out_features or \
            fc2.out_features != heads or not isinstance(getattr(mlp, "act", None), nn.ReLU) or \
            not isinstance(getattr(mlp, "norm", None), nn.Identity) or scale is None or scale.numel() != heads:
        raise DefinitionError(f"the module '{name}' ({cls}) has a position-bias MLP (meta_mlp) or a logit_scale "
                              "other than Swin-V2-CR's (Linear(2, H), ReLU, Linear(H, heads), both biased; one "
                              "scale per head); symparams' windowattention cpb=H cpb_form=pairs cosine=true is that "
                              "form")
    return f" cpb={fc1.out_features} cpb_form=pairs cosine=true"


def _square(value, what, r):
    """A window or shift given per axis ([7, 7]) as one number: symparams' windows are square."""
    from ..errors import DefinitionError
    sizes = [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)] * 2
    if len(set(sizes)) != 1:
        raise DefinitionError(f"the module '{r.name}' has a {what} of {sizes}; symparams' "
                              f"windowattention takes square windows")
    return sizes[0]
