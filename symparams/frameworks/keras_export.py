"""Keras 3 source for a network: the functional API, channels last, one line per layer, names kept."""

from __future__ import annotations

from .plan import Plan, Writer, frozen_weights, inputs, ints, make_plan, token_input, write_experts
from .plan import window_text as _tuple
from ..errors import DefinitionError
from ..layers.tensors import NamedTensorSpec

# frozen=NAME: Keras 3 keeps a trainable flag per variable. symparams' weight names are not always the Keras
# variable's (a DepthwiseConv2D's depthwise_kernel is its variable 'kernel', MultiHeadAttention's output_kernel
# is 'attention_output/kernel', a helper layer names its own): by name, else by the end of the variable's path,
# else the one variable of that weight's shape; anything else is an error naming the layer, never a guess
FREEZE_HELPER = {"freeze": '''
def freeze(layer, names, shapes):
    """variable.trainable = False on the variables of `layer` symparams' frozen= names (with their shapes)."""
    for name, shape in zip(names, shapes):
        hits = ([v for v in layer.weights if v.name == name]
                or [v for v in layer.weights if v.path.replace("/", "_").endswith("_" + name)]
                or [v for v in layer.weights if tuple(v.shape) == tuple(shape)])
        if len(hits) != 1:
            raise ValueError(f"frozen {name}: no one variable of the layer {layer.name} is it")
        hits[0].trainable = False
'''}

# the walker's own helper: padding with a value other than zero (a kind's helpers are LayerSpec.keras_helpers)
HELPERS = {
    "MoECombine": '''
class MoECombine(layers.Layer):
    """Inputs [router logits, the experts' outputs..., the shared experts' outputs...]: each token's
    softmax-weighted sum of its top_k experts, plus the shared experts (every expert ran densely)."""
    def __init__(self, experts, top_k, **kwargs):
        super().__init__(**kwargs)
        self.experts, self.top_k = experts, top_k

    def call(self, inputs):
        logits, outs, shared = inputs[0], inputs[1:1 + self.experts], inputs[1 + self.experts:]
        weights, chosen = ops.top_k(logits, self.top_k)
        weights = ops.softmax(weights, axis=-1)
        gate = ops.sum(ops.one_hot(chosen, self.experts) * ops.expand_dims(weights, -1), axis=-2)
        y = ops.sum(ops.stack(outs, axis=-1) * ops.expand_dims(gate, -2), axis=-1)
        for out in shared:
            y = y + out
        return y

    def compute_output_shape(self, input_shapes):
        return input_shapes[1]

    def get_config(self):
        return {**super().get_config(), "experts": self.experts, "top_k": self.top_k}
''',
    "ConstantPadding": '''
class ConstantPadding(layers.Layer):
    """Pads each spatial axis with `value` (-inf before a max pool: PyTorch's pooling padding)."""
    def __init__(self, padding, value, **kwargs):
        super().__init__(**kwargs)
        self.padding, self.value = tuple(padding), value

    def call(self, x):
        return ops.pad(x, [[0, 0]] + [list(p) for p in self.padding] + [[0, 0]], constant_values=self.value)

    def compute_output_shape(self, input_shape):
        spatial = tuple(None if n is None else n + a + b for n, (a, b) in zip(input_shape[1:-1], self.padding))
        return (input_shape[0],) + spatial + (input_shape[-1],)
''',
}


class _Writer(Writer):
    """Writes the functional model; each kind writes its own layer text through the methods below
    (LayerSpec.emit_keras)."""
    framework, capability = "Keras", "emit_keras"

    def __init__(self, plan: Plan):
        super().__init__(plan)
        self.lines: list[str] = []
        # each input row's variable in build(): inputs, inputs_2, ... (its keras.Input is named after the row)
        self.arguments = {id(row): "inputs" if k == 0 else f"inputs_{k + 1}"
                          for k, (row, _) in enumerate(inputs(plan))}

    # -- what a kind may ask (and Writer's helper, unsupported, name) ----------------------
    def tag(self, row) -> str:
        """The layer's name= (its row's identifier: [A-Za-z0-9_] only, so safe inside the quotes)."""
        self.layer_of[id(row)] = self.plan.name(row)
        return f'name="{self.plan.name(row)}"'

    def activation(self, row) -> str:
        """', activation="..."' of a layer with a fused activation, else ''."""
        if not row.activation:
            return ""
        from ..layers.core import ACTIVATION
        return f', activation="{ACTIVATION.keras_activation(row.activation)}"'

    @staticmethod
    def options(cfg) -> tuple[str, str, str, str]:
        """(padding, strides, dilation, bias) keyword text of a windowed layer, '' where the default."""
        pad_text = ', padding="same"' if cfg.get("padding") == "same" else ""
        strides = f", strides={_tuple(cfg.stride)}" if "stride" in cfg and cfg.stride is not None \
            and set(ints(cfg.stride)) != {1} else ""
        dilation = f", dilation_rate={_tuple(cfg.dilation)}" if "dilation" in cfg \
            and set(ints(cfg.dilation)) != {1} else ""
        bias = "" if cfg.get("bias", True) else ", use_bias=False"
        return pad_text, strides, dilation, bias

    def explicit_padding(self, row, var: str, value=0.0) -> str:
        """An explicit padding written before a 'valid' layer: zeros (ZeroPadding, named <name>_pad, which
        the importer folds back) or another `value` (-inf before PyTorch's max pooling). Returns the variable."""
        cfg, n, name = row.config, len(row.input_shape) - 1, self.plan.name(row)
        if cfg.padding in ("valid", "same"):
            return var
        if value != 0.0:
            self.helper(HELPERS, "ConstantPadding")
            pads = tuple((p, p) for p in ints(cfg.padding))
            return self.emit(f'ConstantPadding({pads}, float("{value}"), name="{name}_pad")', var)
        p = ints(cfg.padding)
        return self.emit(f'layers.ZeroPadding{n}D({p[0] if n == 1 else p}, name="{name}_pad")', var)

    def emit(self, layer: str, var: str, row=None, comment=True) -> str:
        """`layer`(var) as a new variable; with `row`, a comment giving its line and shape."""
        out = self.fresh()
        note = ""
        if row is not None and comment:
            note = f"  # line {row.line}: " + " x ".join(str(d) for d in row.output_shape)
        self.lines.append(f"    {out} = {layer}({var}){note}")
        return out

    def rows(self, rows, var):
        for row in rows:
            var = self.row(row, var)
        return var

    def row(self, row, var):
        if row.kind in ("block", "repeat", "iteration", "path"):
            return self.rows(row.children, var)
        if row.kind == "moe":
            return self.moe(row, var)
        if row.kind == "input":
            # a keras.Input of its own (written by write()); a named one is also a saved tensor later statements read
            var = self.arguments[id(row)]
            if row.config and row.config.get("alias") is not None:
                NamedTensorSpec.saved(self)[row.config.get("alias")] = var
            return var
        if row.kind in ("residual", "concat", "add", "mul"):
            self.lines.append(f"    # {row.kind} {self.plan.name(row)} (line {row.line})")
            outs = [self.rows(path.children, var) for path in row.children]
            if row.kind == "residual" and len(outs) == 1:
                outs.append(var)
            merge = {"concat": "Concatenate", "mul": "Multiply"}.get(row.kind, "Add")
            return self.emit(f'layers.{merge}(name="{self.plan.name(row)}")', "[" + ", ".join(outs) + "]", row)
        return self.leaf(row, var)

    def moe(self, row, var):
        """A mixture of experts written densely in the functional graph: the router, each expert's body
        (the first expert's layers under the rows' names, so check compares them; the others suffixed),
        then MoECombine gathers each token's top_k experts, softmax-weighted, plus the shared experts."""
        router, body = row.children[0], row.children[1]
        name, cfg = self.plan.name(row), row.config
        self.lines.append(f"    # moe {name} (line {row.line}): {int(cfg.experts)} experts, top {int(cfg.top_k)}")
        logits = self.leaf(router, var)
        outs = write_experts(self, row, lambda: self.rows(body.children, var))
        self.helper(HELPERS, "MoECombine")
        return self.emit(f'MoECombine({int(cfg.experts)}, {int(cfg.top_k)}, name="{name}")',
                         "[" + ", ".join([logits] + outs) + "]", row)

    def leaf(self, row, var):
        if row.config and row.config.get("reuse") is not None:
            raise DefinitionError(f"{row.name} (line {row.line}): reuse={row.config.get('reuse')} (a layer's weights "
                                  "run again) cannot be written as Keras yet; the PyTorch export calls the module again")
        return self.spec(row).emit_keras(row, var, self)


def export(net) -> str:
    """Keras 3 source text for `net` (functional API)."""
    return write(make_plan(net))


def write(plan: Plan) -> str:
    w = _Writer(plan)
    out = w.rows(plan.net.layers, "inputs")
    for row in plan.leaves:
        if row.config and row.config.get("frozen"):
            if row.config.get("bidirectional"):     # its two layers' variables share their names
                raise DefinitionError(f"{row.name} (line {row.line}): frozen= on a bidirectional {row.kind} has no "
                                      "Keras export (write trainable=false)")
            w.helper(FREEZE_HELPER, "freeze")
    helpers = "".join(w.helpers.values())
    tokens = token_input(plan)
    shape = ints(plan.net.input_shape)
    source = plan.source or "<text>"
    rows = [row for row, _ in inputs(plan)]
    # the model's inputs in order: (keras.Input's name, shape without the batch axis, dtype); token ids as integers
    described = ", ".join("(%r, %r, %r)" % (plan.name(row), ints(row.output_shape),
                                            "int32" if token_input(plan, row) else "float32") for row in rows)
    variables = [w.arguments[id(row)] for row in rows]
    lines = [
        f'"""Keras 3 model generated by symparams from {source} (functional API, channels last)."""',
        "",
        "import os",
        "",
        'os.environ.setdefault("KERAS_BACKEND", "torch")',
        "",
        "import keras  # noqa: E402",
        "from keras import layers, ops  # noqa: E402,F401",
        "",
        f"INPUT_SHAPE = {shape!r}  # without the batch axis" + ("; the first input" if len(rows) > 1 else ""),
        f'INPUT_DTYPE = "{"int32" if tokens else "float32"}"',
        "# the model's inputs in order: (name, shape without the batch axis, dtype)",
        f"INPUTS = ({described},)",
        "# the layer of each leaf row, in the network's order (None: no layer of its own); check reads it",
        f"LAYERS = {w.layers()!r}",
        helpers,
        "",
        "def build():",
        *[f'    {var} = keras.Input(shape=INPUTS[{k}][1], dtype=INPUTS[{k}][2], name=INPUTS[{k}][0])'
          for k, var in enumerate(variables)],
        *w.lines,
        f'    model = keras.Model({variables[0] if len(variables) == 1 else "[" + ", ".join(variables) + "]"}, '
        f'{out}, name="model")',
        # trainable=false: the layer's weights are kept but not trained (its Keras layer frozen)
        *[f'    model.get_layer("{plan.name(row)}").trainable = False' for row in plan.leaves
          if row.config and row.config.get("trainable") is False],
        # frozen=NAME: those variables of the layer kept but not trained (Keras 3 freezes one variable)
        *[f'    freeze(model.get_layer("{plan.name(row)}"), {frozen_weights(row, "keras", "Keras")!r}, '
          f'{_frozen_shapes(row, frozen_weights(row, "keras", "Keras"))!r})'
          for row in plan.leaves if row.config and row.config.get("frozen")],
        "    return model",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = build()",
        "    model.summary()",
        "",
    ]
    return "\n".join(lines)


def _frozen_shapes(row, names) -> tuple:
    """The Keras shapes of `row`'s frozen weights `names` (freeze() finds a variable by its shape when the
    names differ)."""
    from ..layers.base import Context, spec_for
    weights = {w.name: w.shape for w in spec_for(row).weights(row.config, row.input_shape, Context(convention="keras"))}
    return tuple(tuple(int(d) for d in weights[n]) for n in names)
