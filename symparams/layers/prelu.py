"""prelu: the parametric ReLU (He et al. 2015), max(x, 0) + α·min(x, 0) with a learned slope α.

How many slopes is what the frameworks disagree on: PyTorch's nn.PReLU() learns one for the whole
tensor (its default) and nn.PReLU(C) one per channel; Keras' PReLU learns one per value unless
`shared_axes` names axes that share one. `shared=` says which, in the words of what is shared:
all (one α), spatial (one per channel: the spatial axes share) or none (one per value)."""

from __future__ import annotations

from ..algebra import product
from ..errors import DefinitionError
from .base import WORD, LayerSpec, Opt, Saved, Weight, named, register
from .text import one

SHARED = ("all", "spatial", "none")


@register
class PReLU(LayerSpec):
    keywords = ("prelu",)
    elementwise = True         # written with its input's strides (a strided sequence stays strided)
    pytorch_classes = named("prelu", "PReLU")
    keras_classes = named("prelu", "PReLU")
    summary = ("parametric ReLU max(x, 0) + α·min(x, 0) with learned slopes: shared=all one α (PyTorch's "
               "nn.PReLU()), spatial one per channel C (nn.PReLU(C)), none one per value (Keras' PReLU())")
    formula = "shared=all: 1; spatial: C; none: every input value"
    options = {"shared": Opt(WORD, "all", choices=SHARED,
                             doc="the axes sharing a slope: all (one α), spatial (one per channel), none (one per value)")}
    diagram = "plain"
    letters = {"input": "C"}
    torch_helpers = {"PReLUValues": '''
class PReLUValues(nn.Module):
    """PReLU with one learned slope per value (Keras' PReLU without shared_axes); nn.PReLU has one or one
    per channel. `shape` is the input's without the batch axis, in the model's layout."""
    def __init__(self, shape):
        super().__init__()
        self.weight = nn.Parameter(torch.full(tuple(shape), 0.25))

    def forward(self, x):
        return torch.where(x >= 0, x, self.weight * x)
'''}

    def weights(self, cfg, shape, ctx):
        if cfg.shared == "all":
            return (Weight("alpha", ()),)
        if cfg.shared == "spatial":
            return (Weight("alpha", (shape[-1],)),)
        return (Weight("alpha", tuple(shape)),)

    def other_ops(self, cfg, shape, out, ctx):
        """2 per value: the comparison with 0 and the product with the slope."""
        return 2 * product(shape)

    def receptive(self, cfg, shape, out, ctx):
        """None: value by value."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The input, which the gradients of the input and of the slopes both read (nn.PReLU's kernel keeps it
        and the weight; the per-value helper keeps the input for α's gradient and torch.where its x >= 0 mask, for both gradients)."""
        if cfg.shared == "none":        # the input for α's gradient only (none with α frozen)
            return (Saved("input", of=("alpha",)), Saved("own", product(shape), dtype="bool"))
        return (Saved("input"),)

    # -- frameworks ---------------------------------------------------------------------------
    def emit_torch(self, row, out):
        shared, shape = row.config.shared, row.input_shape
        if shared == "all":
            return "nn.PReLU()"
        if shared == "spatial":
            return out.wrap(row, f"nn.PReLU({one(shape[-1])})")      # the channels on axis 1
        out.helper(self.torch_helpers, "PReLUValues")
        layout = (shape[-1],) + tuple(shape[:-1]) if len(shape) >= 3 else tuple(shape)
        return f"PReLUValues({tuple(one(d) for d in layout)!r})"

    def emit_keras(self, row, var, out):
        rank, shared = len(row.input_shape), row.config.shared
        axes = {"all": list(range(1, rank + 1)), "spatial": list(range(1, rank)), "none": []}[shared]
        option = f"shared_axes={axes}, " if axes else ""
        return out.emit(f"layers.PReLU({option}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "PReLUValues":
            return "prelu shared=none"
        if not isinstance(module, r.nn.PReLU):
            return None
        # nn.PReLU(C) on a (batch, C, ...) tensor: one per channel (the import's comparison checks that C
        # is the channel count the network has there)
        return "prelu" if module.num_parameters == 1 else "prelu shared=spatial"

    def import_keras(self, layer, r):
        if r.cls(layer) != "PReLU":
            return None
        rank = len(layer.input.shape) - 1
        axes = sorted({a % (rank + 1) for a in (layer.shared_axes or [])})
        if axes == list(range(1, rank + 1)):
            return "prelu"
        if axes == list(range(1, rank)):
            return "prelu shared=spatial"
        if not axes:
            return "prelu shared=none"
        raise DefinitionError(f"the Keras layer '{r.name}' is PReLU(shared_axes={layer.shared_axes}) on a rank-{rank} "
                              "input; symparams' prelu shares its slope over all axes, the spatial axes or none")
