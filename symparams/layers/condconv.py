"""condconv: a conditionally parameterised convolution (Yang et al. 2019, CondConv; timm's CondConv2d): E expert
kernels (and biases) mixed per example by E routing weights, then the example convolved with its own kernel. The
routing weights are a saved vector the network computes before (timm's blocks: the block input's channel means
through a dense layer of E units and a sigmoid), read by name like attention's context:

    save x; globalavgpool; dense 4 sigmoid; save routing; use x
    condconv 64 3 padding=1 experts=4 routing=routing

E·(F·∏k·C/groups) weights (+ E·F with bias): the experts' kernels, stored flat as timm stores them. Its products
are the convolution's and the mixing of the kernels (E per kernel value, per example). The PyTorch export writes a
helper under timm's class name, weight names and attributes (read back by the import); Keras has no such layer."""

from __future__ import annotations

from ..algebra import product, ratio
from ..errors import DefinitionError, ShapeError
from ..numeric import whole
from .base import BOOL, COUNT, PADDING, STRING, WINDOW, Arg, Gradient, MustBeZero, Opt, Saved, Weight, register
from .conv import Windowed
from .text import one, window, window_text


@register
class CondConv(Windowed):
    keywords = ("condconv",)
    pytorch_classes: dict = {}          # timm's CondConv2d is read by the import; torch.nn has none
    keras_classes: dict = {}
    summary = ("conditionally parameterised convolution (CondConv, timm's CondConv2d): E expert kernels mixed per "
               "example by the routing weights routing=NAME (a saved vector of E), F filters of size K")
    formula = "E*F*prod(K)*C/groups (+ E*F with bias)"
    arguments = (Arg("filters", COUNT), Arg("kernel", WINDOW))
    options = {"stride": Opt(WINDOW, 1), "padding": Opt(PADDING, "valid"), "dilation": Opt(WINDOW, 1),
               "groups": Opt(COUNT, 1), "bias": Opt(BOOL, True),
               "experts": Opt(COUNT, None, doc="E: the expert kernels"),
               "routing": Opt(STRING, None, doc="the saved vector of E routing weights that mixes them")}
    min_rank = 3
    max_rank = 3
    letters = {"input": "C_in", "filters": "C_out", "experts": "E"}
    unsupported = {"keras": "Keras has no conditionally parameterised convolution (CondConv)"}
    torch_helpers = {"CondConv2d": '''
class CondConv2d(nn.Module):
    """A conditionally parameterised convolution (timm's CondConv2d: its class name, weight names and attributes):
    num_experts kernels (and biases), flat, mixed per example by the routing weights, each example convolved with
    its own kernel (one convolution per example)."""
    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=0, dilation=1, groups=1,
                 bias=False, num_experts=4):
        super().__init__()
        pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)
        self.in_channels, self.out_channels, self.groups, self.num_experts = in_channels, out_channels, groups, \\
            num_experts
        self.kernel_size, self.stride, self.padding, self.dilation = pair(kernel_size), pair(stride), pair(padding), \\
            pair(dilation)
        self.weight_shape = (out_channels, in_channels // groups) + self.kernel_size
        size = out_channels * (in_channels // groups) * self.kernel_size[0] * self.kernel_size[1]
        self.weight = nn.Parameter(torch.randn(num_experts, size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(num_experts, out_channels)) if bias else None

    def forward(self, x, routing_weights):
        weight = torch.matmul(routing_weights, self.weight)
        bias = torch.matmul(routing_weights, self.bias) if self.bias is not None else None
        out = [F.conv2d(x[i:i + 1], weight[i].view(self.weight_shape), None if bias is None else bias[i],
                        stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)
               for i in range(x.shape[0])]
        return torch.cat(out)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.experts is None or cfg.routing is None:
            raise DefinitionError("condconv needs experts=E and routing=NAME (a saved vector of E routing weights)")
        if cfg.padding == "same":
            raise DefinitionError("condconv takes padding=P (a number per axis) or valid, as timm's CondConv2d")
        channels = shape[-1]
        if cfg.groups != 1:
            ctx.require_divides(cfg.groups, channels, f"groups={cfg.groups} does not divide the {channels} input "
                                                      "channels", f"groups={cfg.groups} must divide the input channels")
            ctx.require_divides(cfg.groups, cfg.filters, f"groups={cfg.groups} does not divide the {cfg.filters} "
                                                         "filters", f"groups={cfg.groups} must divide the filters")
    def output_shape(self, cfg, shape, ctx):
        self._check_routing(cfg, ctx)
        return tuple(self.window_output(cfg, shape, ctx, cfg.kernel)) + (cfg.filters,)

    def _check_routing(self, cfg, ctx):
        """routing=NAME is a saved vector of E weights (checked here, where the engine's saved tensors are known;
        the weights alone, which the LaTeX derivation re-derives with letters, do not depend on it)."""
        routing = ctx.tensors.get(cfg.routing)
        if routing is None:
            raise DefinitionError(f"routing={cfg.routing}: no tensor '{cfg.routing}' has been saved",
                                  hint="save the routing weights first: 'dense E sigmoid' then 'save NAME'")
        if len(routing) != 1:
            raise ShapeError(f"routing={cfg.routing} must be a vector of the {cfg.experts} routing weights; it is "
                             f"{' x '.join(map(str, routing))}")
        gap = whole(routing[0] - cfg.experts)
        if gap is not None and gap != 0:
            raise ShapeError(f"routing={cfg.routing} holds {routing[0]} weights for {cfg.experts} experts")
        ctx.require(None if gap is None else True, "", f"routing={cfg.routing} must hold experts={cfg.experts} weights",
                    test=MustBeZero(routing[0] - cfg.experts) if gap is None else None)

    def _kernel_values(self, cfg, shape):
        """P: the values of one kernel, F·∏k·C/groups."""
        return cfg.filters * product(cfg.kernel) * ratio(shape[-1], cfg.groups)

    def weights(self, cfg, shape, ctx):
        out = (Weight("weight", (cfg.experts, self._kernel_values(cfg, shape))),)
        return out + ((Weight("bias", (cfg.experts, cfg.filters)),) if cfg.bias else ())

    def _conv_macs(self, cfg, shape, out):
        return product(out[:-1]) * self._kernel_values(cfg, shape)

    def macs(self, cfg, shape, out, ctx):
        """H_out·W_out·F·∏k·C/groups + E·F·∏k·C/groups (+ E·F with bias): the convolution, and the kernel (and
        bias) mixed from the E experts."""
        mixing = cfg.experts * self._kernel_values(cfg, shape) + (cfg.experts * cfg.filters if cfg.bias else 0)
        return self._conv_macs(cfg, shape, out) + mixing

    def tensor_named(self, cfg):
        """routing=NAME reads the saved routing weights (the analysis follows their storage and gradient)."""
        return (None, cfg.get("routing"), False)

    def gradients(self, cfg, shape, out, ctx):
        """The convolution's gradient for its input and for the example's kernel (computed from the experts and
        the routing weights; the FLOP counter counts a grouped one groups times, as conv's), and the mixing's for
        the experts and for the routing weights (each E·P; E·F more each with bias)."""
        conv, p, e = self._conv_macs(cfg, shape, out), self._kernel_values(cfg, shape), cfg.experts
        made = ("weight", "other") + (("bias",) if cfg.bias else ())
        grads = [Gradient(conv, ("input",)), Gradient(cfg.groups * conv, made), Gradient(e * p, ("weight",)),
                 Gradient(e * p, ("other",))]
        if cfg.bias:
            grads += [Gradient(e * cfg.filters, ("bias",)), Gradient(e * cfg.filters, ("other",))]
        return tuple(grads)

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The convolution's input and the P values of the example's kernel (PyTorch's convolution keeps both
        whichever gradient it is recorded for), and the routing weights (for the experts' gradients)."""
        return (Saved("input"), Saved("own", self._kernel_values(cfg, shape)),
                Saved("other", cfg.experts, of=("weight", "bias") if cfg.bias else ("weight",)))

    def framework_problem(self, cfg, shape, framework):
        return None

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "CondConv2d")
        pad = "0" if cfg.padding == "valid" else window_text(cfg.padding)
        return (f"CondConv2d({one(row.input_shape[-1])}, {one(cfg.filters)}, kernel_size={window_text(cfg.kernel)}, "
                f"stride={window_text(cfg.stride)}, padding={pad}, dilation={window_text(cfg.dilation)}, "
                f"groups={one(cfg.groups)}, bias={bool(cfg.bias)}, num_experts={one(cfg.experts)})")

    def torch_call(self, row, var, out) -> str:
        """forward(x, routing_weights): the input and the saved routing weights."""
        return f"{var}, {out.saved_tensor(row.config.routing)}"

    def import_torch(self, module, r):
        """timm's CondConv2d and the exported one (the same class name and attributes); its routing weights are
        the module's second argument, which the importer names (routing=NAME)."""
        if r.cls(module) != "CondConv2d":
            return None
        if getattr(module, "dynamic_padding", False):
            raise DefinitionError(f"the module '{r.name}' (CondConv2d) pads 'same' from its input's size in forward "
                                  "(TensorFlow's padding); symparams' condconv takes a fixed padding")
        pad = tuple(module.padding)
        text = f"condconv {r.num('filters', module.out_channels)} {window(module.kernel_size)}"
        text += f" stride={window(module.stride)}" if set(module.stride) != {1} else ""
        text += f" padding={window(pad)}" if set(pad) != {0} else ""
        text += f" dilation={window(module.dilation)}" if set(module.dilation) != {1} else ""
        text += f" groups={module.groups}" if module.groups != 1 else ""
        return text + ("" if module.bias is not None else " bias=false") + f" experts={module.num_experts}"
