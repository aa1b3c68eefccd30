"""Normalisation: batchnorm, layernorm, rmsnorm, groupnorm."""

from __future__ import annotations

from .. import conventions
from ..algebra import product
from ..errors import DefinitionError
from .base import BOOL, COUNT, NUMBER, Arg, LayerSpec, Opt, Saved, Weight, named, register
from .text import one


# the epsilon added to the variance: no count or shape hangs on it, the function does (a BatchNorm2d(eps=1e-3) of
# MobileNetV3 exported with PyTorch's 1e-5 computes other values)
EPS = Opt(NUMBER, None, doc="the epsilon added to the variance; absent: the file's convention's default (PyTorch "
                            "1e-5, Keras 1e-3), written out when exported to the other framework")


def epsilon(row, out, framework: str, word: str = "eps") -> str:
    """', eps=X' for a norm's module (word: its argument's name) where the line's epsilon (eps=, else the file's
    convention's default) is not `framework`'s own default; '' where it is."""
    eps = row.config.get("eps")
    eps = float(eps) if eps is not None else conventions.norm_epsilon(out.plan.net.convention)
    return "" if eps == conventions.norm_epsilon(framework) else f", {word}={eps!r}"


def eps_option(value: float, convention: str) -> str:
    """' eps=X' for an imported norm whose epsilon is not its convention's default."""
    return "" if float(value) == conventions.norm_epsilon(convention) else f" eps={float(value)!r}"


def scale_and_shift(channels, convention) -> tuple[Weight, Weight]:
    scale, shift = conventions.norm_weight_names(convention)
    return Weight(scale, (channels,)), Weight(shift, (channels,))


@register
class BatchNorm(LayerSpec):
    keywords = ("batchnorm", "bn")
    pytorch_classes = named("batchnorm", "SyncBatchNorm", *(f"{lazy}BatchNorm{rank}d" for lazy in ("", "Lazy")
                                                            for rank in (1, 2, 3)))
    keras_classes = named("batchnorm", "BatchNormalization")
    summary = ("batch normalisation over the channels C (the last axis); scale=false drops the learned "
               "scale (gamma), center=false the shift (beta)")
    formula = "keras: 4*C, of which 2*C non-trainable (C less for each of scale=false, center=false); pytorch: 2*C (+ 2*C buffers)"
    options = {"scale": Opt(BOOL, True), "center": Opt(BOOL, True), "eps": EPS}
    diagram = "norm"
    letters = {"input": "C"}
    # PyTorch's BatchNorm has both a learned scale and shift (affine=True) or neither: one without the
    # other (Keras' scale=False or center=False) is its normalisation without them, then the one kept
    torch_helpers = {"BatchNormPart": '''
class BatchNormPart(nn.Module):
    """Batch normalisation with a learned scale but no shift, or a shift but no scale (Keras'
    center=False or scale=False): PyTorch's BatchNorm without its affine part (the running statistics
    as buffers), then the learned part kept, per channel."""
    def __init__(self, channels, rank, scale=False, center=False, eps=1e-5):
        super().__init__()
        self.norm = getattr(nn, f"BatchNorm{rank}d")(channels, eps=eps, affine=False)
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.bias = nn.Parameter(torch.zeros(channels)) if center else None

    def forward(self, x):
        x = self.norm(x)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        if self.weight is not None:
            x = x * self.weight.view(shape)
        if self.bias is not None:
            x = x + self.bias.view(shape)
        return x
'''}

    def weights(self, cfg, shape, ctx):
        (mean, variance), buffer = conventions.batch_statistics(ctx.convention)
        c = shape[-1]
        scale, shift = scale_and_shift(c, ctx.convention)
        kept = ((scale,) if cfg.scale else ()) + ((shift,) if cfg.center else ())
        return kept + (Weight(mean, (c,), trainable=False, buffer=buffer),
                       Weight(variance, (c,), trainable=False, buffer=buffer))

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value: at inference the statistics fold into one scale and one shift."""
        return 2 * product(shape)

    def emit_torch(self, row, out):
        cfg, rank = row.config, max(len(row.input_shape) - 1, 1)
        if cfg.scale != cfg.center:
            out.helper(self.torch_helpers, "BatchNormPart")
            kept = "scale=True" if cfg.scale else "center=True"
            return out.wrap(row, f"BatchNormPart({one(row.input_shape[-1])}, {rank}, {kept}"
                                 f"{epsilon(row, out, conventions.PYTORCH)})")
        affine = "" if cfg.scale else ", affine=False"
        return out.wrap(row, f"nn.BatchNorm{rank}d({one(row.input_shape[-1])}{epsilon(row, out, conventions.PYTORCH)}"
                             f"{affine})")

    def emit_keras(self, row, var, out):
        cfg = row.config
        flags = ("" if cfg.scale else "scale=False, ") + ("" if cfg.center else "center=False, ")
        eps = epsilon(row, out, conventions.KERAS, "epsilon")
        flags += eps[2:] + ", " if eps else ""
        return out.emit(f"layers.BatchNormalization({flags}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "BatchNormPart" and isinstance(getattr(module, "norm", None),
                                                           r.nn.modules.batchnorm._BatchNorm):
            return self.import_torch(module.norm, r).replace(" scale=false center=false", "") + \
                ("" if module.weight is not None else " scale=false") + ("" if module.bias is not None else " center=false")
        if not isinstance(module, r.nn.modules.batchnorm._BatchNorm):
            return None
        if not module.track_running_stats:
            raise DefinitionError(f"the module '{r.name}' is {r.cls(module)}(track_running_stats=False): it keeps no "
                                  "running statistics, which symparams' batchnorm counts as buffers")
        eps = eps_option(module.eps, conventions.PYTORCH)
        return ("batchnorm" if module.affine else "batchnorm scale=false center=false") + eps

    def import_keras(self, layer, r):
        if r.cls(layer) != "BatchNormalization":
            return None
        return "batchnorm" + ("" if layer.scale else " scale=false") + ("" if layer.center else " center=false") + \
            eps_option(layer.epsilon, conventions.KERAS)

    def receptive(self, cfg, shape, out, ctx):
        """None: each position is normalised by statistics, not by a window: a norm does not widen the receptive field (google-research/receptive_field counts it as the identity)."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Training: its input and the batch mean and inverse deviation per channel (float32, one
        pair for the whole batch; the running statistics are buffers, not activations)."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * shape[-1], dtype="stat", per_example=False))

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence the export runs it channels first between two transposes: a strided view."""
        return "strided" if len(shape) == 2 else "contiguous"


@register
class LayerNorm(LayerSpec):
    keywords = ("layernorm", "ln")
    pytorch_classes = named("layernorm", "LayerNorm")
    keras_classes = named("layernorm", "LayerNormalization")
    summary = ("layer normalisation over the last axis D (bias=false: scale only; affine=false: no scale or shift, "
               "as OLMo's and PyTorch's elementwise_affine=False)")
    formula = "2*D; without bias D; affine=false 0"
    options = {"bias": Opt(BOOL, True),
               "affine": Opt(BOOL, True, doc="a learned scale (and shift): false normalises only, no weights"),
               "eps": EPS}
    diagram = "norm"
    letters = {"input": "C"}

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value: mean, variance, normalise, scale, shift."""
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        if not cfg.affine:
            return ()
        scale, shift = scale_and_shift(shape[-1], ctx.convention)
        return (scale, shift) if cfg.bias else (scale,)

    def emit_torch(self, row, out):
        bias = "" if row.config.bias else ", bias=False"
        if not row.config.affine:
            bias = ", elementwise_affine=False"
        return out.wrap(row, f"nn.LayerNorm({one(row.input_shape[-1])}{epsilon(row, out, conventions.PYTORCH)}{bias})",
                        channels_first=False)

    def emit_keras(self, row, var, out):
        center = "" if row.config.bias else "center=False, "
        if not row.config.affine:
            center = "center=False, scale=False, "
        eps = epsilon(row, out, conventions.KERAS, "epsilon")
        return out.emit(f"layers.LayerNormalization({center}{eps[2:] + ', ' if eps else ''}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if not isinstance(module, r.nn.LayerNorm):
            return None
        if len(module.normalized_shape) != 1:
            raise DefinitionError(f"the module '{r.name}' is LayerNorm({list(module.normalized_shape)}): symparams' "
                                  "layernorm normalises the last axis only")
        eps = eps_option(module.eps, conventions.PYTORCH)
        if not module.elementwise_affine:
            return "layernorm affine=false" + eps
        return ("layernorm" if module.bias is not None else "layernorm bias=false") + eps

    def import_keras(self, layer, r):
        if r.cls(layer) != "LayerNormalization":
            return None
        axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        if list(axis) not in ([-1], [len(layer.input.shape) - 1]) or (not layer.scale and layer.center):
            raise DefinitionError(f"the Keras layer '{r.name}' is LayerNormalization(axis={layer.axis}, "
                                  f"scale={layer.scale}, center={layer.center}); symparams' layernorm normalises the "
                                  "last axis with a scale, a scale and a shift, or neither")
        eps = eps_option(layer.epsilon, conventions.KERAS)
        if not layer.scale:
            return "layernorm affine=false" + eps
        return ("layernorm" if layer.center else "layernorm bias=false") + eps

    def receptive(self, cfg, shape, out, ctx):
        """None: each position is normalised by statistics, not by a window: a norm does not widen the receptive field (google-research/receptive_field counts it as the identity)."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, and the mean and inverse deviation of each normalised row (float32); Megatron's
        accounting keeps only the input."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * product(shape[:-1]), dtype="stat"))

    def output_layout(self, cfg, shape, out, ctx):
        """On an image or volume the export normalises a channels-last view: the result, moved back,
        is strided."""
        return "strided" if len(shape) > 2 else "contiguous"


@register
class RMSNorm(LayerSpec):
    keywords = ("rmsnorm",)
    pytorch_classes = named("rmsnorm", "RMSNorm")
    keras_classes = named("rmsnorm", "RMSNormalization")
    summary = "RMS normalisation over the last axis D with a learned scale (LLaMA, T5)"
    formula = "D"
    diagram = "norm"
    letters = {"input": "D"}

    def other_ops(self, cfg, shape, out, ctx):
        """4 per value: square, mean, normalise, scale."""
        return 4 * product(shape)

    def weights(self, cfg, shape, ctx):
        return (Weight(conventions.rms_scale_name(ctx.convention), (shape[-1],)),)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.RMSNorm({one(row.input_shape[-1])})", channels_first=False)

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.RMSNormalization({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "rmsnorm" if isinstance(module, r.nn.RMSNorm) else None

    def import_keras(self, layer, r):
        return "rmsnorm" if r.cls(layer) == "RMSNormalization" else None

    def receptive(self, cfg, shape, out, ctx):
        """None: each position is normalised by statistics, not by a window: a norm does not widen the receptive field (google-research/receptive_field counts it as the identity)."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input, and the inverse root mean square of each normalised row (float32); PyTorch's CPU
        path (not fused) also keeps the normalised values for the scale's gradient (dtype 'cpu': the
        activations' dtype on CPU, nothing with the fused GPU kernel); on untrained input only those
        (the other steps are not recorded). Megatron's accounting keeps only the input."""
        if style != "pytorch":
            return (Saved("input"),)
        scale = tuple(w.name for w in self.weights(cfg, shape, ctx))     # the normalised values: for its gradient
        return (Saved("input", for_input_grad=True),
                Saved("own", product(shape[:-1]), dtype="stat", for_input_grad=True),
                Saved("own", product(shape), dtype="cpu", of=scale))

@register
class GroupNorm(LayerSpec):
    keywords = ("groupnorm",)
    pytorch_classes = named("groupnorm", "GroupNorm")
    keras_classes = named("groupnorm", "GroupNormalization")
    summary = "group normalisation: the C channels in G groups"
    formula = "2*C"
    arguments = (Arg("groups", COUNT),)
    options = {"eps": EPS}
    diagram = "norm"
    letters = {"input": "C", "groups": "G"}

    def configure(self, cfg, shape, ctx):
        ctx.require_divides(cfg.groups, shape[-1], f"groups={cfg.groups} does not divide the {shape[-1]} channels",
                            f"groups={cfg.groups} must divide the channels {shape[-1]}")

    def other_ops(self, cfg, shape, out, ctx):
        """5 per value: mean, variance, normalise, scale, shift."""
        return 5 * product(shape)

    def weights(self, cfg, shape, ctx):
        return scale_and_shift(shape[-1], ctx.convention)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.GroupNorm({one(row.config.groups)}, {one(row.input_shape[-1])}"
                             f"{epsilon(row, out, conventions.PYTORCH)})")

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.GroupNormalization({one(row.config.groups)}"
                        f"{epsilon(row, out, conventions.KERAS, 'epsilon')}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if not isinstance(module, r.nn.GroupNorm):
            return None
        if not module.affine:
            raise DefinitionError(f"the module '{r.name}' is GroupNorm(affine=False); symparams' groupnorm always has "
                                  "its scale and shift")
        return f"groupnorm {module.num_groups}" + eps_option(module.eps, conventions.PYTORCH)

    def import_keras(self, layer, r):
        if r.cls(layer) != "GroupNormalization":
            return None
        if not (layer.scale and layer.center):
            raise DefinitionError(f"the Keras layer '{r.name}' is GroupNormalization(scale={layer.scale}, "
                                  f"center={layer.center}); symparams' groupnorm always has its scale and shift")
        return f"groupnorm {layer.groups}" + eps_option(layer.epsilon, conventions.KERAS)

    def receptive(self, cfg, shape, out, ctx):
        """None: each position is normalised by statistics, not by a window: a norm does not widen the receptive field (google-research/receptive_field counts it as the identity)."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input as it comes, in any layout (torch 2.14's native_group_norm keeps a strided view, a permuted
        one or one broadcast over the batch itself, with the storage behind it, and makes no contiguous copy),
        and the mean and inverse deviation of each group (float32)."""
        if style != "pytorch":
            return (Saved("input"),)
        return (Saved("input"), Saved("own", 2 * cfg.groups, dtype="stat"))

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence the export runs it channels first between two transposes: a strided view."""
        return "strided" if len(shape) == 2 else "contiguous"
