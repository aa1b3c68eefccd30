"""blurpool: anti-aliased downsampling (Zhang 2019, "Making convolutional networks shift-invariant again"), as timm's
BlurPool2d writes it: the map reflection-padded by ((S - 1) + (K - 1)) // 2 on each side, then each channel
convolved with a fixed K x K binomial filter (the outer product of the binomial coefficients of K - 1, normalised)
at stride S (pad_mode=constant pads zeros instead, as timm's 'blurpc' anti-aliasing in efficientnet_blur_b0;
pad_mode=replicate repeats the edge). The filter is a fixed buffer that timm does not save with the model (persistent=False): no weights,
and nothing a count or a state dict holds.
Its convolution is a depthwise one, so torch's FLOP counter counts it as a convolution (2 per product).

Keras has no such layer (and a fixed depthwise filter there would be a weight), so the Keras convention refuses it.
The exported module carries timm's class name and attributes, so the import reads timm's module and the exported
one alike."""

from __future__ import annotations

from ..algebra import product
from ..errors import DefinitionError
from .base import COUNT, WORD, Arg, LayerSpec, Opt, Saved, register
from .text import one


def padding(size, stride):
    """timm's get_padding(K, S): ((S - 1) + (K - 1)) // 2 on each side."""
    return ((stride - 1) + (size - 1)) // 2


@register
class BlurPool(LayerSpec):
    keywords = ("blurpool",)
    pytorch_classes = {}
    keras_classes = {}
    summary = "anti-aliased downsampling (timm's BlurPool2d): reflection padding (pad_mode=constant: zeros), a fixed " \
              "K x K binomial blur per " \
              "channel at stride S (a buffer, no weights)"
    formula = "0"
    arguments = (Arg("size", COUNT, required=False, default=3, doc="the binomial filter's size K (timm: 3 or 5)"),)
    options = {"stride": Opt(COUNT, 2),
               "pad_mode": Opt(WORD, "reflect", choices=("reflect", "constant", "replicate"),
                               doc="how the border is padded (timm's pad_mode): mirrored, zeros (efficientnet_blur's "
                                   "'blurpc'), or the edge repeated")}
    min_rank = 3
    diagram = "pool"
    letters = {"input": "C"}
    unsupported = {"keras": "Keras has no anti-aliased (blur) pooling layer"}
    torch_helpers = {"BlurPool2d": '''
class BlurPool2d(nn.Module):
    """Anti-aliased downsampling (timm's BlurPool2d: its class name and attributes): reflection padding, then each
    channel convolved with a fixed binomial filter (a buffer) at the stride."""
    def __init__(self, channels, filt_size=3, stride=2, pad_mode="reflect"):
        super().__init__()
        self.channels, self.filt_size, self.stride, self.pad_mode = channels, filt_size, stride, pad_mode
        self.padding = [((stride - 1) + (filt_size - 1)) // 2] * 4
        coeffs = torch.ones(1)
        for _ in range(filt_size - 1):      # the binomial coefficients of filt_size - 1: (1, 1) convolved again
            coeffs = torch.cat([coeffs, torch.zeros(1)]) + torch.cat([torch.zeros(1), coeffs])
        coeffs = coeffs / 2 ** (filt_size - 1)
        filt = (coeffs[:, None] * coeffs[None, :])[None, None].repeat(channels, 1, 1, 1)
        self.register_buffer("filt", filt, persistent=False)

    def forward(self, x):
        x = F.pad(x, self.padding, mode=self.pad_mode)
        return F.conv2d(x, self.filt, stride=self.stride, groups=self.channels)
'''}

    def configure(self, cfg, shape, ctx):
        if len(shape) != 3:
            raise DefinitionError(f"blurpool takes a 2-D map (H x W x C), as timm's BlurPool2d; it gets "
                                  f"{len(shape) - 1} spatial axes")
        pad = padding(cfg.size, cfg.stride)
        if cfg.pad_mode != "reflect":
            return                  # zeros and edge copies fit any size; a reflection needs more cells than it mirrors
        for size in shape[:-1]:
            ctx.require_positive(size - pad, lambda: f"blurpool's reflection padding {pad} needs each spatial size "
                                                     f"above it")

    def _padding(self, cfg):
        return padding(cfg.size, cfg.stride)

    def output_shape(self, cfg, shape, ctx):
        pad = self._padding(cfg)
        out = []
        for size in shape[:-1]:
            length = (size + 2 * pad - cfg.size) // cfg.stride + 1
            ctx.require_positive(length, lambda: f"blurpool {cfg.size} does not fit its input")
            out.append(length)
        return tuple(out) + (shape[-1],)

    def macs(self, cfg, shape, out, ctx):
        """H_out·W_out·C·K²: a depthwise convolution with the fixed filter."""
        return product(out[:-1]) * shape[-1] * cfg.size * cfg.size

    def backward_macs(self, cfg, shape, out, ctx, input_grad=True, counted=False):
        """The input's gradient only (the forward's MACs), when something before is trained: the filter is a
        buffer, with no gradient."""
        return self.macs(cfg, shape, out, ctx) if input_grad else 0

    def receptive(self, cfg, shape, out, ctx):
        pad = self._padding(cfg)
        return tuple((cfg.size, cfg.stride, pad) for _ in shape[:-1])

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """For the input's gradient only (the filter is a buffer): the reflection (or replication) padding's input
        and the padded map the convolution reads; a zero padding keeps nothing of its own."""
        pad = self._padding(cfg)
        padded = product(s + 2 * pad for s in shape[:-1]) * shape[-1]
        own = Saved("own", padded, for_input_grad=True)
        # a zero padding's gradient is a crop (nothing kept); reflection and replication keep their input
        return (own,) if cfg.pad_mode == "constant" else (Saved("input", for_input_grad=True), own)

    def emit_torch(self, row, out):
        cfg = row.config
        out.helper(self.torch_helpers, "BlurPool2d")
        mode = "" if cfg.pad_mode == "reflect" else f", pad_mode={cfg.pad_mode!r}"
        return out.wrap(row, f"BlurPool2d({one(row.input_shape[-1])}, filt_size={one(cfg.size)}, "
                             f"stride={one(cfg.stride)}{mode})")

    def import_torch(self, module, r):
        """timm's BlurPool2d and the exported module (the same class name and attributes)."""
        if r.cls(module) != "BlurPool2d":
            return None
        mode = getattr(module, "pad_mode", "reflect")
        if mode not in ("reflect", "constant", "replicate"):
            raise DefinitionError(f"the module '{r.name}' (BlurPool2d) pads with mode '{mode}'; symparams' "
                                  "blurpool reflects, pads zeros (constant) or repeats the edge (replicate)")
        size, stride = int(module.filt_size), int(module.stride)
        return "blurpool" + (f" {size}" if size != 3 else "") + (f" stride={stride}" if stride != 2 else "") + \
            (f" pad_mode={mode}" if mode != "reflect" else "")
