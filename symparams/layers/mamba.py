"""mamba: the selective state-space mixer of Mamba (Gu and Dao 2023), on a T x d sequence. Its weights, as
mamba_ssm and transformers' MambaMixer hold them: in_proj (d -> 2E: the input and its gate), a depthwise
causal conv1d over time (kernel K, with a bias), x_proj (E -> R + 2N: the step size's low-rank input and the
input-dependent B and C), dt_proj (R -> E, with a bias), A_log (E x N), D (E) and out_proj (E -> d); E = expand·d,
R = dt_rank = ⌈d/16⌉ unless given. Inference keeps a state per example instead of a key-value cache: the
last K - 1 inputs of the convolution and the E x N scan state."""

from __future__ import annotations

from ..algebra import ceil_div
from ..numeric import sympy, whole
from .base import BOOL, COUNT, Gradient, LayerSpec, Opt, Saved, Weight, register
from .text import one


@register
class Mamba(LayerSpec):
    keywords = ("mamba",)
    summary = ("Mamba's selective state-space mixer on T x d: in_proj to 2E (E = expand·d), a causal depthwise "
               "conv1d, x_proj to dt_rank + 2·d_state, dt_proj, A_log, D, out_proj")
    formula = ("2*E*d + E*K + E + E*(R + 2*N) + R*E + E + E*N + E + E*d (+ 2*E + d with bias); E = expand*d, "
               "R = ceil(d/16)")
    options = {"d_state": Opt(COUNT, 16, doc="N: the state size per channel"),
               "d_conv": Opt(COUNT, 4, doc="K: the causal convolution's kernel"),
               "expand": Opt(COUNT, 2, doc="E = expand·d channels inside the mixer"),
               "dt_rank": Opt(COUNT, None, doc="R: the step size's rank (default ⌈d/16⌉)"),
               "bias": Opt(BOOL, False, doc="biases on in_proj and out_proj"),
               "conv_bias": Opt(BOOL, True, doc="a bias on the convolution")}
    pytorch_classes: dict = {}      # neither torch.nn nor keras.layers has one
    keras_classes: dict = {}
    min_rank = 2
    max_rank = 2
    diagram = "recurrent"
    letters = {"input": "d"}
    unsupported = {"keras": "Keras has no selective state-space layer (Mamba), and symparams writes none yet"}
    torch_helpers = {"MambaMixer": '''
class MambaMixer(nn.Module):
    """Mamba's selective scan, written out step by step (as transformers' slow path): in_proj to x and the gate z,
    a causal depthwise conv1d, x_proj to the step size's input and B, C, dt_proj, then h = exp(dt A) h + dt B x,
    y = C h + D x, gated by silu(z), out_proj."""
    def __init__(self, dim, d_state=16, d_conv=4, expand=2, dt_rank=None, bias=False, conv_bias=True):
        super().__init__()
        inner, self.dt_rank, self.d_state = expand * dim, dt_rank or -(-dim // 16), d_state
        self.in_proj = nn.Linear(dim, 2 * inner, bias=bias)
        self.conv1d = nn.Conv1d(inner, inner, d_conv, groups=inner, padding=d_conv - 1, bias=conv_bias)
        self.x_proj = nn.Linear(inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, inner, bias=True)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, dim, bias=bias)

    def forward(self, x):
        t = x.shape[1]
        x, z = self.in_proj(x).chunk(2, dim=-1)
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :t].transpose(1, 2))
        dt, b, c = self.x_proj(x).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = F.softplus(self.dt_proj(dt))
        a = -torch.exp(self.A_log)
        h = x.new_zeros(x.shape[0], x.shape[2], self.d_state)
        ys = []
        for i in range(t):
            h = torch.exp(dt[:, i, :, None] * a) * h + dt[:, i, :, None] * b[:, i, None, :] * x[:, i, :, None]
            ys.append((h * c[:, i, None, :]).sum(-1))
        y = torch.stack(ys, dim=1) + x * self.D
        return self.out_proj(y * F.silu(z))
'''}

    @staticmethod
    def _dims(cfg, shape):
        """(d, E, N, K, R)."""
        d = shape[-1]
        rank = cfg.dt_rank if cfg.dt_rank is not None else (ceil_div(d, 16) if whole(d) is not None else sympy.ceiling(d / 16))
        return d, cfg.expand * d, cfg.d_state, cfg.d_conv, rank

    def weights(self, cfg, shape, ctx):
        d, e, n, k, r = self._dims(cfg, shape)
        out = [Weight("in_proj.weight", (2 * e, d))]
        if cfg.bias:
            out.append(Weight("in_proj.bias", (2 * e,)))
        out.append(Weight("conv1d.weight", (e, 1, k)))
        if cfg.conv_bias:
            out.append(Weight("conv1d.bias", (e,)))
        out += [Weight("x_proj.weight", (r + 2 * n, e)), Weight("dt_proj.weight", (e, r)),
                Weight("dt_proj.bias", (e,)), Weight("A_log", (e, n)), Weight("D", (e,)),
                Weight("out_proj.weight", (d, e))]
        if cfg.bias:
            out.append(Weight("out_proj.bias", (d,)))
        return tuple(out)

    def macs(self, cfg, shape, out, ctx):
        """T·(2·E·d + E·(R + 2N) + R·E + E·d) + E·K·(T + K − 1): in_proj, x_proj, dt_proj, out_proj, and the depthwise
        convolution over the T + K − 1 positions of its both-sides padding (its last K − 1 outputs dropped, as
        transformers' Mamba computes it). The scan's multiply-adds are element-wise: other_ops."""
        d, e, n, k, r = self._dims(cfg, shape)
        return shape[0] * (2 * e * d + e * (r + 2 * n) + r * e + e * d) + e * k * (shape[0] + k - 1)

    def gradients(self, cfg, shape, out, ctx):
        """Each product's kernel gradient (torch.utils.flop_counter counts the depthwise convolution's as a dense
        one, E times) and its input's: in_proj's the layer's input, the convolution's in_proj's output, x_proj's
        the convolution's (after its SiLU), dt_proj's x_proj's output, out_proj's the gated scan output (computed
        from every other weight); each where what it is computed from needs one."""
        d, e, n, k, r = self._dims(cfg, shape)
        t = shape[0]
        names = [w.name for w in self.weights(cfg, shape, ctx)]

        def of(*modules):
            return tuple(name for name in names if name.split(".")[0] in modules)
        projected = ("input",) + of("in_proj")
        convolved = projected + of("conv1d")
        selected = convolved + of("x_proj")
        gated = selected + of("dt_proj", "A_log", "D")
        conv = e * k * (t + k - 1)
        return (Gradient(t * 2 * e * d, ("in_proj.weight",)), Gradient(t * 2 * e * d, ("input",)),
                Gradient(e * conv, ("conv1d.weight",)), Gradient(conv, projected),
                Gradient(t * e * (r + 2 * n), ("x_proj.weight",)), Gradient(t * e * (r + 2 * n), convolved),
                Gradient(t * r * e, ("dt_proj.weight",)), Gradient(t * r * e, selected),
                Gradient(t * e * d, ("out_proj.weight",)), Gradient(t * e * d, gated))

    def bias_adds(self, cfg, shape, out, ctx):
        d, e, n, k, r = self._dims(cfg, shape)
        return shape[0] * ((e if cfg.conv_bias else 0) + e + (2 * e + d if cfg.bias else 0))

    def other_ops(self, cfg, shape, out, ctx):
        """T·(6·E·N + 6·E): per channel and state exp(Δ·A) and its product with h, and the scan's state update
        (Δ·B·x into h) and read-out (C·h), 2 per multiply-add; per channel the softplus of Δ, two SiLUs (after the
        convolution, on the gate), the gate's product, D·x and its sum."""
        d, e, n, k, r = self._dims(cfg, shape)
        return shape[0] * (6 * e * n + 6 * e)

    def receptive(self, cfg, shape, out, ctx):
        return "global"         # the scan carries every earlier position

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """What autograd keeps for the exported MambaMixer, whose scan is a Python loop over the T positions
        (transformers' slow path; mamba_ssm's fused kernel recomputes the states instead and keeps far less).
        Per example, each term the tensor a backward step needs, and (Saved.of) what it is kept for: a product
        keeps each factor for the other factor's gradient only, so with frozen weights (and nothing trained
        before the layer) what only their gradients read is not kept (measured with saved_tensors_hooks):
          T·d        the input, for in_proj's weight gradient (a strided view is copied by matmul's reshape)
          2E·T       in_proj's output (x and z): the convolution's input (kept whenever it is recorded) and
                     silu(z)'s
          E·(T+K−1)  the convolution's padded output, for the SiLU's gradient (the slice [..., :T] is a view)
          E·T        the SiLU's output x: read by the scan (Δ·B·x, for Δ·B's gradient) and by D·x (for D's)
          E·T        x_proj's copy of x: x is laid out time-major underneath (a transposed view's SiLU), so
                     matmul's reshape copies it in a batch of several (one example, E = 1 or T = 1: the view
                     folds and x itself is kept)
          T·(R+2N)   x_proj's output (Δ's input, B, C are views of it): dt_proj's input, the scan's B and C
          E·T        dt_proj's output (softplus's input)
          E·T        Δ = softplus(...), the factor of Δ·A (for A's gradient) and of Δ·B (for B's)
          T·E·N      per step exp(Δ·A), exp's result (the factor of the state's product too)
          T·E·N      per step Δ·B, the factor of x in Δ·B·x (for x's gradient)
          T·E·N      the zero initial state and every state but the last, factors of exp(Δ·A)·h; the last
          E·N        state, the factor of C (for C's gradient)
          3·E·T      y = stack(C·h) + D·x and silu(z) (each the other's factor in the gate), and their product
                     (out_proj's input)
        and once for the batch exp(A_log) and A = −exp(A_log) (E·N each: exp keeps its result for A_log's gradient,
        Δ·A keeps A for Δ's)."""
        d, e, n, k, r = self._dims(cfg, shape)
        t = shape[0]
        names = [w.name for w in self.weights(cfg, shape, ctx)]

        def of(*modules):
            return tuple(name for name in names if name.split(".")[0] in modules)
        # what each intermediate is computed from (it needs a gradient when one of these does)
        projected = ("input",) + of("in_proj")
        convolved = projected + of("conv1d")
        selected = convolved + of("x_proj")
        steps = selected + of("dt_proj")
        scanned = steps + of("A_log")
        gated = scanned + of("D")
        # x_proj's copy of the time-major x: none where the view folds (one example, E = 1 or T = 1)
        folds = e == 1 or t == 1
        return (Saved("input", layout="contiguous", of=of("in_proj")[:1]),
                Saved("own", 2 * e * t, of=convolved),
                Saved("own", e * (t + k - 1), of=convolved),
                Saved("own", e * t, of=steps + of("D")),
                *(() if folds else (Saved("own", e * t, batched=True, of=("x_proj.weight",)),)),
                Saved("own", t * (r + 2 * n), of=scanned),
                Saved("own", e * t, of=steps),
                Saved("own", e * t, of=of("A_log") + selected),
                Saved("own", t * e * n, of=scanned),
                Saved("own", t * e * n, of=convolved),
                Saved("own", t * e * n, of=scanned),
                Saved("own", e * n, of=selected),
                Saved("own", e * t, of=projected),
                Saved("own", e * t, of=gated),
                Saved("own", e * t, of=("out_proj.weight",)),
                Saved("own", e * n, per_example=False, of=of("A_log")),
                Saved("own", e * n, per_example=False, of=steps))

    def kv_cache_values(self, cfg, shape, out, ctx):
        """E·(K − 1) + E·N per example, whatever the length: the convolution's last inputs and the scan state."""
        d, e, n, k, r = self._dims(cfg, shape)
        return e * (k - 1) + e * n

    def emit_torch(self, row, out):
        cfg, d = row.config, one(row.input_shape[-1])
        out.helper(self.torch_helpers, "MambaMixer")
        parts = [str(d)]
        for name, plain in (("d_state", 16), ("d_conv", 4), ("expand", 2)):
            if one(cfg[name]) != plain:
                parts.append(f"{name}={one(cfg[name])}")
        if cfg.dt_rank is not None:
            parts.append(f"dt_rank={one(cfg.dt_rank)}")
        if cfg.bias:
            parts.append("bias=True")
        if not cfg.conv_bias:
            parts.append("conv_bias=False")
        return f"MambaMixer({', '.join(parts)})"

    def import_torch(self, module, r):
        """symparams' MambaMixer and transformers' (same class name, same weights)."""
        if r.cls(module) != "MambaMixer":
            return None
        d, inner = module.in_proj.in_features, module.in_proj.out_features // 2
        text = "mamba"
        n, k, rank = module.A_log.shape[1], module.conv1d.kernel_size[0], module.dt_proj.in_features
        if n != 16:
            text += f" d_state={n}"
        if k != 4:
            text += f" d_conv={k}"
        if inner != 2 * d:
            if inner % d:
                from ..errors import DefinitionError
                raise DefinitionError(f"'{r.name}': a Mamba mixer of {inner} channels on width {d} (not a multiple)")
            text += f" expand={inner // d}"
        if rank != -(-d // 16):
            text += f" dt_rank={rank}"
        if module.in_proj.bias is not None:
            text += " bias=true"
        if module.conv1d.bias is None:
            text += " conv_bias=false"
        return text
