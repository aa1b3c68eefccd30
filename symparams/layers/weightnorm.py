"""weight_norm=true on dense and conv: the kernel reparametrised as w = g·v/‖v‖ (Salimans & Kingma 2016),
a direction v of the kernel's shape and a magnitude g per output unit or filter, as PyTorch's
torch.nn.utils.parametrizations.weight_norm (original0 = g of shape out x 1 x ..., original1 = v) and the
older torch.nn.utils.weight_norm (weight_g, weight_v) make it: the layer counts its kernel, its bias and
one more weight per output. Keras 3 has no weight normalisation, so the Keras convention refuses it.

Not a kind: the helpers the dense and conv specs call for the option (weights, saved tensors, the
framework texts and the import reading), kept here once."""

from __future__ import annotations

from ..conventions import KERAS
from ..errors import DefinitionError
from .base import BOOL, Opt, Saved, Weight

OPTION = Opt(BOOL, False, doc="the kernel as g·v/‖v‖ (PyTorch's weight_norm): one more weight per output")


def problem(cfg, framework: str) -> str | None:
    """Keras' refusal of the option (the spec's framework_problem)."""
    if cfg.get("weight_norm") and framework == KERAS:
        return ("weight_norm=true: Keras 3 has no weight normalisation (PyTorch's torch.nn.utils.parametrizations."
                "weight_norm); use --convention pytorch")
    return None


def weights(cfg, kernel: Weight, outputs, axis: int) -> tuple:
    """The kernel as direction v and magnitude g (one per output, broadcast over the kernel's other axes; the
    output axis is `axis` of the kernel's shape), or the kernel itself without the option."""
    if not cfg.get("weight_norm"):
        return (kernel,)
    magnitude = tuple(outputs if i == axis else 1 for i in range(len(kernel.shape)))
    return (Weight(kernel.name + "_g", magnitude), Weight(kernel.name + "_v", kernel.shape))


def saved(cfg, kernel_values, outputs, always: bool = False) -> tuple:
    """What autograd keeps of the reparametrisation, once per batch: the norms of v (float32, one per output)
    and the kernel it computes, which a linear layer keeps for its input's gradient only and a convolution
    always (`always`: its backward node keeps both operands)."""
    if not cfg.get("weight_norm"):
        return ()
    return (Saved("own", outputs, dtype="stat", per_example=False),
            Saved("own", kernel_values, per_example=False, for_input_grad=not always))


def torch_text(cfg, text: str) -> str:
    """A PyTorch module text with the option: the layer under parametrizations.weight_norm (g per output)."""
    return f"nn.utils.parametrizations.weight_norm({text})" if cfg.get("weight_norm") else text


def torch_option(module, name: str) -> str:
    """' weight_norm=true' for a PyTorch layer under either weight_norm (g over the output axis, dim=0), ''
    without; any other dim is refused by name (its g is not one per output)."""
    g = None
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is not None and "weight" in parametrizations:
        steps = list(parametrizations["weight"])
        if [type(s).__name__ for s in steps] != ["_WeightNorm"]:
            raise DefinitionError(f"the module '{name}' has its weight parametrised by "
                                  f"{', '.join(type(s).__name__ for s in steps)}; symparams reads weight_norm only")
        g = parametrizations["weight"].original0
    elif "weight_g" in getattr(module, "_parameters", {}) and "weight_v" in module._parameters:
        g = module.weight_g
    if g is None:
        return ""
    outputs = module.weight.shape[0] if not hasattr(module, "transposed") or not module.transposed else None
    if outputs is None or g.shape[0] != outputs or g.numel() != outputs:
        raise DefinitionError(f"the module '{name}' is weight-normalised over another axis (g of shape "
                              f"{tuple(g.shape)}); symparams' weight_norm=true has one magnitude per output (dim=0)")
    return " weight_norm=true"
