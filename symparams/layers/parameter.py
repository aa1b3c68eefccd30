"""parameter: a free learned tensor (an nn.Parameter, or a Keras add_weight, that a model reads in its
forward rather than through a layer). Its value becomes the current tensor, whatever came before, so a
model that adds or multiplies by one writes `save x; parameter S; add with x`; `buffer` makes it state
that is not a parameter (PyTorch's register_buffer; a non-trainable weight in Keras, which has no
buffers). With only such lines a file is an inventory of a model's tensors, which is what
`symparams import` writes for a Hugging Face class it has no structure for."""

from __future__ import annotations

from .. import conventions
from ..algebra import product
from .base import BOOL, DIMS, Arg, LayerSpec, Opt, Weight, register
from .text import ints


@register
class Parameter(LayerSpec):
    keywords = ("parameter",)
    pytorch_classes = {}        # nn.Parameter is a tensor, not a layer class
    keras_classes = {}
    summary = ("a free learned tensor of shape S (an nn.Parameter read in forward) that becomes the current "
               "tensor; buffer: state, not a parameter")
    formula = "prod(S); buffer: 0 (+ prod(S) buffers under PyTorch's rules)"
    arguments = (Arg("shape", DIMS, doc="the tensor's shape"),)
    options = {"buffer": Opt(BOOL, False, doc="state that is not a parameter (register_buffer)")}
    diagram = "plain"
    # its count is the shape written on the line: no general formula whose letters the derivation could name
    unsupported = {"letters": "a free tensor's count is its written shape, with no general formula"}
    torch_helpers = {"FreeTensor": '''
class FreeTensor(nn.Module):
    """A tensor of its own (an nn.Parameter, or a buffer), given as the output for each example."""
    def __init__(self, shape, buffer=False, channels_first=False):
        super().__init__()
        if buffer:
            self.register_buffer("weight", torch.zeros(shape))
        else:
            self.weight = nn.Parameter(torch.zeros(shape))
        self.channels_first = channels_first

    def forward(self, x):
        w = self.weight.movedim(-1, 0) if self.channels_first else self.weight
        return w.unsqueeze(0).expand((x.shape[0],) + tuple(w.shape))
'''}
    keras_helpers = {"FreeTensor": '''
class FreeTensor(layers.Layer):
    """A tensor of its own (add_weight; a buffer is a non-trainable weight), the output for each example."""
    def __init__(self, shape, buffer=False, **kwargs):
        super().__init__(**kwargs)
        self.tensor_shape, self.buffer = tuple(shape), buffer

    def build(self, input_shape):
        self.weight = self.add_weight(shape=self.tensor_shape, initializer="zeros", trainable=not self.buffer,
                                      name="weight")

    def call(self, x):
        w = keras.ops.expand_dims(self.weight, 0)
        return keras.ops.broadcast_to(w, (keras.ops.shape(x)[0],) + self.tensor_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.tensor_shape
'''}

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Nothing: its output is the tensor itself, whose gradient needs no input."""
        return ()

    def configure(self, cfg, shape, ctx):
        for d in cfg.shape:
            ctx.require_positive(d, lambda: f"parameter sizes must be at least 1, got {cfg.shape}")

    def output_shape(self, cfg, shape, ctx):
        return tuple(cfg.shape)

    def weights(self, cfg, shape, ctx):
        if cfg.buffer:
            # PyTorch's buffers are no parameters; Keras keeps state as a non-trainable weight
            return (Weight("weight", tuple(cfg.shape), trainable=False,
                           buffer=ctx.convention == conventions.PYTORCH),)
        return (Weight("weight", tuple(cfg.shape)),)

    def output_is_weight(self, cfg, shape, out, ctx):
        """The exported FreeTensor returns its weight expanded over the batch (a view, stride 0 over the
        examples): a layer that keeps it keeps the weight's storage, no activation, and it has a gradient
        only as a trained parameter (a buffer's has none, whatever came before)."""
        return True

    def other_ops(self, cfg, shape, out, ctx):
        """0: the tensor is read, not computed."""
        return 0 * product(out)

    def receptive(self, cfg, shape, out, ctx):
        return "unknown"

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "FreeTensor")
        buffer = ", buffer=True" if row.config.buffer else ""
        first = ", channels_first=True" if len(row.output_shape) >= 3 else ""
        return f"FreeTensor({ints(row.output_shape)}{buffer}{first})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "FreeTensor")
        buffer = ", buffer=True" if row.config.buffer else ""
        return out.emit(f"FreeTensor({ints(row.output_shape)}{buffer}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) != "FreeTensor":
            return None
        buffer = " buffer=true" if "weight" in dict(module.named_buffers()) else ""
        return "parameter " + " x ".join(str(int(d)) for d in module.weight.shape) + buffer

    def import_keras(self, layer, r):
        if r.cls(layer) != "FreeTensor":
            return None
        return "parameter " + " x ".join(str(int(d)) for d in layer.tensor_shape) + \
            (" buffer=true" if layer.buffer else "")
