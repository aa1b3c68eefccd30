"""transpose: a sequence's two axes swapped, T x D -> D x T (PyTorch's x.transpose(1, 2), Keras' Permute((2, 1))).

MLP-Mixer, ResMLP and gMLP mix tokens this way: a Linear over the T tokens of each channel is `transpose; dense
U; ...; transpose` (the dense acts on the last axis, which the transpose made the tokens). No weights, no
arithmetic: PyTorch returns a strided view of its input, which a later matrix product copies to rows (and keeps
that copy), as the memory model's 'strided' layout states."""

from __future__ import annotations

from ..errors import DefinitionError
from .base import LayerSpec, register

_TORCH_HELPER = '''
class Transpose(nn.Module):
    """The last two axes of a B x T x D sequence swapped: B x D x T (a view)."""
    def forward(self, x):
        return x.transpose(-1, -2)
'''


@register
class Transpose(LayerSpec):
    keywords = ("transpose",)
    pytorch_classes: dict = {}          # x.transpose(1, 2) is a tensor method, not a torch.nn class
    keras_classes = {"Permute": "transpose"}
    summary = ("the two axes of a sequence swapped: T x D -> D x T (x.transpose(1, 2); Keras Permute((2, 1))); "
               "a dense after it mixes the tokens (MLP-Mixer, ResMLP, gMLP)")
    formula = "0"
    min_rank = 2
    max_rank = 2
    diagram = "plain"
    torch_helpers = {"Transpose": _TORCH_HELPER}

    def output_shape(self, cfg, shape, ctx):
        return (shape[1], shape[0])

    def receptive(self, cfg, shape, out, ctx):
        """Positions become channels: a later layer's window no longer maps to input positions."""
        return "unknown"

    def output_is_view(self, cfg, shape, out, ctx):
        return True

    def output_layout(self, cfg, shape, out, ctx):
        """A transposed view: not rows of unit stride (a matrix product after it copies it first), unless one of
        the axes has size 1, where the view is the same memory order."""
        return "contiguous" if shape[0] == 1 or shape[1] == 1 else "strided"

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Transpose")
        return "Transpose()"

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.Permute((2, 1), {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return "transpose" if r.cls(module) == "Transpose" else None

    def import_keras(self, layer, r):
        if r.cls(layer) != "Permute":
            return None
        if tuple(layer.dims) != (2, 1):
            raise DefinitionError(f"the layer '{r.name}' is Permute({tuple(layer.dims)}); symparams reads "
                                  "Permute((2, 1)) of a sequence as transpose")
        return "transpose"
