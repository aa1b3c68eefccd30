"""Keras 3 source for a network: the functional API, channels last, one line per layer, names kept."""

from __future__ import annotations

from .plan import Plan, ints, make_plan, one, spec_of, token_input, unsupported
from .plan import window_text as _tuple
from .. import conventions

HELPERS = {
    "PositionEmbedding": '''
class PositionEmbedding(layers.Layer):
    """A learned position table of `length` rows; the first T rows are added to (batch, T, D)."""
    def __init__(self, length, tokens, **kwargs):
        super().__init__(**kwargs)
        self.length, self.tokens = length, tokens

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(shape=(self.length, input_shape[-1]), initializer="zeros")

    def call(self, x):
        return x + self.position_embeddings[: self.tokens]

    def compute_output_shape(self, input_shape):
        return input_shape
''',
    "ClassToken": '''
class ClassToken(layers.Layer):
    """Prepends one learned token: (batch, T, D) -> (batch, T + 1, D)."""
    def build(self, input_shape):
        self.class_token = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        token = ops.zeros_like(x[:, :1, :]) + self.class_token
        return ops.concatenate([token, x], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + 1, input_shape[2])
''',
    "ClassPool": '''
class ClassPool(layers.Layer):
    """Keeps the first (class) token: (batch, T, D) -> (batch, D)."""
    def call(self, x):
        return x[:, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
''',
    "Unembed": '''
class Unembed(layers.Layer):
    """Logits over the vocabulary with the embedding's matrix (tied: no weight of its own)."""
    def __init__(self, embedding, **kwargs):
        super().__init__(**kwargs)
        self.embedding = lambda: embedding        # a function, so Keras does not track it twice

    def call(self, x):
        return ops.matmul(x, ops.transpose(self.embedding().embeddings))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.embedding().input_dim,)
''',
    "Subsample": '''
class Subsample(layers.Layer):
    """Keeps every s-th position along each spatial axis (x[:, ::s, ::s, :])."""
    def __init__(self, stride, **kwargs):
        super().__init__(**kwargs)
        self.stride = tuple(stride)

    def call(self, x):
        return x[(slice(None),) + tuple(slice(None, None, s) for s in self.stride)]

    def compute_output_shape(self, input_shape):
        spatial = tuple(None if n is None else -(-n // s) for n, s in zip(input_shape[1:-1], self.stride))
        return (input_shape[0],) + spatial + (input_shape[-1],)
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
    "ChannelPad": '''
class ChannelPad(layers.Layer):
    """Zero-pads the channels (last axis) up to `channels`."""
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def call(self, x):
        extra = self.channels - x.shape[-1]
        return ops.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[0, extra]])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.channels,)
''',
}

ACTIVATIONS = {"leakyrelu": "leaky_relu", "hardswish": "hard_swish"}


class _Writer:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.lines: list[str] = []
        self.helpers: set[str] = set()
        self.counter = 0
        self.embedding = None

    def fresh(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def emit(self, layer: str, var: str, row=None, comment=True) -> str:
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
        if row.kind in ("residual", "concat", "add"):
            self.lines.append(f"    # {row.kind} {self.plan.name(row)} (line {row.line})")
            outs = [self.rows(path.children, var) for path in row.children]
            if row.kind == "residual" and len(outs) == 1:
                outs.append(var)
            merge = "Concatenate" if row.kind == "concat" else "Add"
            return self.emit(f'layers.{merge}(name="{self.plan.name(row)}")', "[" + ", ".join(outs) + "]", row)
        if row.kind == "input":
            return var
        return self.leaf(row, var)

    def leaf(self, row, var):
        cfg, shape = row.config, row.input_shape
        rank = len(shape)
        n = rank - 1
        name = self.plan.name(row)
        spec = spec_of(row)
        tag = f'name="{name}"'
        act = f', activation="{ACTIVATIONS.get(row.activation, row.activation)}"' if row.activation else ""
        if spec in ("Conv", "DepthwiseConv", "SeparableConv", "MaxPool", "AvgPool") \
                and cfg.padding not in ("valid", "same"):
            # explicit padding, then a 'valid' layer: zeros (also for pools under the Keras convention and
            # for PyTorch's average pooling, which counts them); -inf for PyTorch's max pooling
            if spec == "MaxPool" and not conventions.pool_pads_with_zeros(self.plan.net.convention):
                self.helpers.add("ConstantPadding")
                pads = tuple((p, p) for p in ints(cfg.padding))
                var = self.emit(f'ConstantPadding({pads}, float("-inf"), name="{name}_pad")', var)
            else:
                var = self.emit(f'layers.ZeroPadding{n}D({self._pads(cfg.padding, n)}, name="{name}_pad")', var)
        padding = cfg.get("padding")
        pad_text = ', padding="same"' if padding == "same" else ""
        strides = f", strides={_tuple(cfg.stride)}" if "stride" in cfg and cfg.stride is not None \
            and set(ints(cfg.stride)) != {1} else ""
        dilation = f", dilation_rate={_tuple(cfg.dilation)}" if "dilation" in cfg \
            and set(ints(cfg.dilation)) != {1} else ""
        bias = "" if cfg.get("bias", True) else ", use_bias=False"
        if spec == "Conv":
            groups = f", groups={one(cfg.groups)}" if cfg.groups != 1 else ""
            text = (f"layers.Conv{n}D({one(cfg.filters)}, {_tuple(cfg.kernel)}{strides}{pad_text}{dilation}"
                    f"{groups}{bias}{act}, {tag})")
        elif spec == "DepthwiseConv":
            if n == 3:
                raise unsupported("a 3-D depthwise convolution", "Keras")
            mult = f", depth_multiplier={one(cfg.multiplier)}" if cfg.multiplier != 1 else ""
            text = f"layers.DepthwiseConv{n}D({_tuple(cfg.kernel)}{strides}{pad_text}{mult}{dilation}{bias}{act}, {tag})"
        elif spec == "SeparableConv":
            mult = f", depth_multiplier={one(cfg.multiplier)}" if cfg.multiplier != 1 else ""
            text = (f"layers.SeparableConv{n}D({one(cfg.filters)}, {_tuple(cfg.kernel)}{strides}{pad_text}{dilation}"
                    f"{mult}{bias}{act}, {tag})")
        elif spec == "TransposedConv":
            if padding not in ("valid", "same"):
                raise unsupported("a transposed convolution with explicit padding", "Keras")
            if cfg.groups != 1:
                raise unsupported("a grouped transposed convolution", "Keras")
            op = f", output_padding={_tuple(cfg.output_padding)}" if cfg.output_padding is not None else ""
            text = (f"layers.Conv{n}DTranspose({one(cfg.filters)}, {_tuple(cfg.kernel)}{strides}{pad_text}{op}"
                    f"{dilation}{bias}{act}, {tag})")
        elif spec in ("MaxPool", "AvgPool"):
            kind = "Max" if spec == "MaxPool" else "Average"
            strides = f", strides={_tuple(cfg.stride)}" if ints(cfg.stride) != ints(cfg.pool) else ""
            text = f"layers.{kind}Pooling{n}D({_tuple(cfg.pool)}{strides}{pad_text}, {tag})"
        elif spec in ("GlobalAvgPool", "GlobalMaxPool"):
            kind = "Average" if spec == "GlobalAvgPool" else "Max"
            text = f"layers.Global{kind}Pooling{n}D({tag})"
        elif spec == "Dense":
            text = f"layers.Dense({one(cfg.units)}{bias}{act}, {tag})"
        elif spec == "BatchNorm":
            text = f"layers.BatchNormalization({tag})"
        elif spec == "LayerNorm":
            text = f"layers.LayerNormalization({tag})"
        elif spec == "GroupNorm":
            text = f"layers.GroupNormalization({one(cfg.groups)}, {tag})"
        elif spec == "ZeroPad":
            after = cfg.get("after") or cfg.padding
            pads = tuple(zip(ints(cfg.padding), ints(after)))
            text = f"layers.ZeroPadding{n}D({pads if n > 1 else pads[0]}, {tag})"
        elif spec == "Upsample":
            text = f"layers.UpSampling{n}D({_tuple(cfg.size)}, {tag})"
        elif spec == "Dropout":
            text = f"layers.Dropout({float(cfg.rate)}, {tag})"
        elif spec == "Flatten":
            text = f"layers.Flatten({tag})"
        elif spec == "Identity":
            text = f"layers.Identity({tag})"
        elif spec == "Activation":
            text = f'layers.Activation("{ACTIVATIONS.get(row.activation, row.activation)}", {tag})'
        elif spec == "Reshape":
            text = f"layers.Reshape({ints(row.output_shape)}, {tag})"
        elif spec == "Embedding":
            text = f"layers.Embedding({one(cfg.vocabulary)}, {one(cfg.dim)}, {tag})"
            self.embedding = name
            self.lines.append(f"    {name} = {text}")
            return self.emit(name, var, row)
        elif spec in ("SimpleRNN", "LSTM", "GRU"):
            seqs = ", return_sequences=True" if cfg.return_sequences else ""
            inner = f"layers.{spec}({one(cfg.units)}{seqs}{bias}{act}"
            if cfg.bidirectional:
                text = f"layers.Bidirectional({inner}), {tag})"
            else:
                text = f"{inner}, {tag})"
        elif spec == "Attention":
            causal = ", use_causal_mask=True" if cfg.causal else ""
            layer = (f"layers.MultiHeadAttention(num_heads={one(cfg.heads)}, key_dim={one(cfg.key_dim)}{bias}, "
                     f"{tag})")
            out = self.fresh()
            note = f"  # line {row.line}: " + " x ".join(str(d) for d in row.output_shape)
            self.lines.append(f"    {out} = {layer}({var}, {var}{causal}){note}")
            return out
        elif spec == "PositionalEmbedding":
            self.helpers.add("PositionEmbedding")
            text = f"PositionEmbedding({one(cfg.length)}, {one(shape[0])}, {tag})"
        elif spec == "ClassToken":
            self.helpers.add("ClassToken")
            text = f"ClassToken({tag})"
        elif spec == "ClassPool":
            self.helpers.add("ClassPool")
            text = f"ClassPool({tag})"
        elif spec == "TiedHead":
            self.helpers.add("Unembed")
            text = f"Unembed({self.embedding}, {tag})"
        elif spec == "Subsample":
            self.helpers.add("Subsample")
            text = f"Subsample({ints(cfg.stride)}, {tag})"
        elif spec == "ChannelPad":
            self.helpers.add("ChannelPad")
            text = f"ChannelPad({one(cfg.channels)}, {tag})"
        else:
            raise unsupported(f"layer kind '{row.kind}'", "Keras")
        return self.emit(text, var, row)

    @staticmethod
    def _pads(padding, n) -> str:
        p = ints(padding)
        return str(p[0]) if n == 1 else str(p)


def export(net) -> str:
    """Keras 3 source text for `net` (functional API)."""
    return write(make_plan(net))


def write(plan: Plan) -> str:
    w = _Writer(plan)
    out = w.rows(plan.net.layers, "inputs")
    helpers = "".join(HELPERS[h] for h in HELPERS if h in w.helpers)
    tokens = token_input(plan)
    shape = ints(plan.net.input_shape)
    source = plan.source or "<text>"
    input_name = plan.name(plan.leaves[0])
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
        f"INPUT_SHAPE = {shape!r}  # without the batch axis",
        f'INPUT_DTYPE = "{"int32" if tokens else "float32"}"',
        helpers,
        "",
        "def build():",
        f'    inputs = keras.Input(shape=INPUT_SHAPE, dtype=INPUT_DTYPE, name="{input_name}")',
        *w.lines,
        f'    return keras.Model(inputs, {out}, name="model")',
        "",
        "",
        'if __name__ == "__main__":',
        "    model = build()",
        "    model.summary()",
        "",
    ]
    return "\n".join(lines)
