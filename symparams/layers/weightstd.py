"""weight_std=true|scaled on conv: the kernel standardised per filter in every forward pass (Qiao et al. 2019,
BiT's ResNet-V2: timm's StdConv2d), w' = (w - mean) / sqrt(var + eps) over each filter's C/groups·∏K values;
`scaled` (the NF-ResNets and NFNets: timm's ScaledStdConv2d) multiplies it by a learned gain per filter and the
constant gamma/sqrt(fan-in): one more weight per filter.

The standardisation runs on the weights alone, once per forward pass whatever the batch (LayerSpec.once_costs):
torch's FLOP counter counts none of it (a batch norm and a product by a number), so it is element operations only.
What autograd keeps of it is per batch: the mean and 1/std per filter (float32), the computed kernel (the
convolution's backward reads it) and, scaled, the gain times the constant (the batch norm's weight).

Keras 3 has no weight standardisation, so the Keras convention refuses it.

Not a kind: the helpers the conv spec calls for the option, kept here once."""

from __future__ import annotations

from ..conventions import KERAS
from ..errors import DefinitionError
from .base import WORD, Opt, Saved, Weight

CHOICES = ("false", "true", "scaled")
OPTION = Opt(WORD, "false", choices=CHOICES,
             doc="the kernel standardised per filter in each forward pass (timm's StdConv2d); scaled: times a "
                 "learned gain per filter (ScaledStdConv2d, NF-ResNets): one more weight per filter")

# timm's classes, by name: the plain and the TensorFlow-'same' forms of each
TIMM_CLASSES = {"StdConv2d": "true", "StdConv2dSame": "true", "ScaledStdConv2d": "scaled",
                "ScaledStdConv2dSame": "scaled"}

HELPERS = {"StdConv": '''
class StdConv(nn.Module):
    """A convolution whose kernel is standardised per filter in each forward pass (weight standardisation); scaled:
    times a learned gain per filter and gamma/sqrt(fan-in) (timm's StdConv2d and ScaledStdConv2d)."""
    def __init__(self, conv, scaled=False, gamma=1.0, eps=1e-6):
        super().__init__()
        self.conv = conv
        self.eps = eps
        shape = (conv.out_channels,) + (1,) * (conv.weight.dim() - 1)
        self.gain = nn.Parameter(torch.ones(shape)) if scaled else None
        self.scale = gamma * conv.weight[0].numel() ** -0.5

    def forward(self, x):
        w = self.conv.weight
        gain = (self.gain * self.scale).view(-1) if self.gain is not None else None
        w = F.batch_norm(w.reshape(1, w.shape[0], -1), None, None, weight=gain, training=True, momentum=0.0,
                         eps=self.eps).reshape_as(w)
        return self.conv._conv_forward(x, w, self.conv.bias)
'''}


def standardised(cfg) -> bool:
    return cfg.get("weight_std", "false") != "false"


def problem(cfg, framework: str) -> str | None:
    """Keras' refusal of the option (the spec's framework_problem)."""
    if standardised(cfg) and framework == KERAS:
        return (f"weight_std={cfg.weight_std}: Keras 3 has no weight standardisation (timm's StdConv2d); use "
                "--convention pytorch")
    return None


def check(cfg) -> None:
    if standardised(cfg) and cfg.get("weight_norm"):
        raise DefinitionError("weight_std and weight_norm both reparametrise the kernel; give one")


def weights(cfg, rank: int) -> tuple:
    """The gain of weight_std=scaled: one per filter, shaped to broadcast over the kernel (F x 1 x ... as timm
    holds it); nothing else."""
    if cfg.get("weight_std") != "scaled":
        return ()
    return (Weight("gain", (cfg.filters,) + (1,) * (rank - 1)),)


def saved(cfg, kernel_values, filters) -> tuple:
    """Per batch: the mean and 1/std of each filter (float32), the standardised kernel the convolution keeps, and
    scaled, the gain times its constant (the batch norm's weight)."""
    if not standardised(cfg):
        return ()
    out = (Saved("own", 2 * filters, dtype="stat", per_example=False), Saved("own", kernel_values, per_example=False))
    if cfg.weight_std == "scaled":
        out += (Saved("own", filters, per_example=False),)
    return out


def once_ops(cfg, kernel_values, filters):
    """Element operations once per forward pass over the N kernel values of F filters: the mean (N additions),
    the centred values (N), their squares and sum (2N), 1/sqrt(var + eps) per filter (2F) and the normalised
    values (N); scaled: gain times the constant (F) and each value times it (N)."""
    if not standardised(cfg):
        return 0
    ops = 5 * kernel_values + 2 * filters
    return ops + kernel_values + filters if cfg.weight_std == "scaled" else ops


def torch_text(cfg, text: str, out) -> str:
    """A PyTorch convolution's text with the option: wrapped in the StdConv helper."""
    if not standardised(cfg):
        return text
    out.helper(HELPERS, "StdConv")
    return f"StdConv({text}" + (", scaled=True)" if cfg.weight_std == "scaled" else ")")


def torch_option(module, name: str) -> str:
    """' weight_std=true|scaled' for timm's StdConv2d / ScaledStdConv2d (and their 'same' forms) and the exported
    StdConv helper, '' for any other module."""
    cls = type(module)
    if cls.__name__ == "StdConv":
        return " weight_std=scaled" if getattr(module, "gain", None) is not None else " weight_std=true"
    word = TIMM_CLASSES.get(cls.__name__) if cls.__module__.startswith("timm.") else None
    if word is None:
        return ""
    gain = getattr(module, "gain", None)
    if word == "scaled" and (gain is None or gain.numel() != module.out_channels):
        raise DefinitionError(f"the module '{name}' ({cls.__name__}) has a gain of {getattr(gain, 'shape', None)}; "
                              "symparams' weight_std=scaled has one per filter")
    return f" weight_std={word}"


def is_timm_standardised(module) -> bool:
    """timm's weight-standardised convolutions: the importer keeps them whole (their forward reads self.weight)."""
    cls = type(module)
    return cls.__name__ in TIMM_CLASSES and cls.__module__.startswith("timm.")
