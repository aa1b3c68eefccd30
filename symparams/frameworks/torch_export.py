"""PyTorch source for a network: an nn.Module, one line per layer, names kept.

Tensors are (batch, C, *spatial) for images and volumes (rank >= 3 in symparams' shapes),
(batch, T, D) for sequences (batch_first, as RNNs and attention want) and (batch, D) for
vectors. Modules that want another layout are wrapped in ChannelsFirst / ChannelsLast.
Keras-convention paddings PyTorch has no word for (strided or pooling 'same', explicit pooling
padding as zeros) are written as an nn.ConstantPad*d in front of a 'valid' layer.
"""

from __future__ import annotations

from .plan import Plan, ints, make_plan, one, spec_of, token_input, unsupported
from .plan import window_text as _tuple
from .. import conventions
from ..shapes import same_padding_total

HELPERS = {
    "ChannelsFirst": '''
class ChannelsFirst(nn.Module):
    """Runs a channels-first module on a (batch, T, D) sequence."""
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x.transpose(1, 2)).transpose(1, 2)
''',
    "ChannelsLast": '''
class ChannelsLast(nn.Module):
    """Runs a module that acts on the last axis on a channels-first image or volume."""
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x.movedim(1, -1)).movedim(-1, 1)
''',
    "Recurrent": '''
class Recurrent(nn.Module):
    """An nn.RNN/LSTM/GRU (batch_first) returning the sequence or the last state(s)."""
    def __init__(self, rnn, return_sequences=False):
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences

    def forward(self, x):
        out, state = self.rnn(x)
        if self.return_sequences:
            return out
        h = state[0] if isinstance(state, tuple) else state
        return torch.cat([h[-2], h[-1]], dim=-1) if self.rnn.bidirectional else h[-1]
''',
    "SelfAttention": '''
class SelfAttention(nn.Module):
    """Self-attention with nn.MultiheadAttention (batch_first): query = key = value = x."""
    def __init__(self, attention, causal=False):
        super().__init__()
        self.attention = attention
        self.causal = causal

    def forward(self, x):
        mask = None
        if self.causal:
            mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool, device=x.device).triu(1)
        return self.attention(x, x, x, need_weights=False, attn_mask=mask)[0]
''',
    "PositionEmbedding": '''
class PositionEmbedding(nn.Module):
    """A learned position table of `length` rows added to (batch, T, D)."""
    def __init__(self, length, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(length, dim))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]
''',
    "ClassToken": '''
class ClassToken(nn.Module):
    """Prepends one learned token: (batch, T, D) -> (batch, T + 1, D)."""
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return torch.cat([self.weight.expand(x.shape[0], 1, -1), x], dim=1)
''',
    "ClassPool": '''
class ClassPool(nn.Module):
    """Keeps the first (class) token: (batch, T, D) -> (batch, D)."""
    def forward(self, x):
        return x[:, 0]
''',
    "Unembed": '''
class Unembed(nn.Module):
    """Logits over the vocabulary with the embedding's weight (tied, not a second parameter)."""
    def __init__(self, embedding):
        super().__init__()
        self.__dict__["embedding"] = embedding      # not registered: the weight is counted once

    def forward(self, x):
        return x @ self.embedding.weight.t()
''',
    "Subsample": '''
class Subsample(nn.Module):
    """Keeps every s-th position along each spatial axis (x[:, :, ::s, ::s])."""
    def __init__(self, stride, channels_first=True):
        super().__init__()
        self.stride = tuple(stride)
        self.channels_first = channels_first

    def forward(self, x):
        steps = tuple(slice(None, None, s) for s in self.stride)
        if self.channels_first:
            return x[(slice(None), slice(None)) + steps]
        return x[(slice(None),) + steps]
''',
    "ChannelPad": '''
class ChannelPad(nn.Module):
    """Zero-pads the channels (axis `dim`) up to `channels`."""
    def __init__(self, channels, dim=1):
        super().__init__()
        self.channels = channels
        self.dim = dim

    def forward(self, x):
        extra = self.channels - x.shape[self.dim]
        return F.pad(x.movedim(self.dim, -1), (0, extra)).movedim(-1, self.dim)
''',
    "GlobalPool": '''
class GlobalPool(nn.Module):
    """Average or maximum over every spatial position."""
    def __init__(self, mode, channels_first=True):
        super().__init__()
        self.mode = mode
        self.channels_first = channels_first

    def forward(self, x):
        x = x.flatten(2) if self.channels_first else x.transpose(1, 2)
        return x.mean(dim=-1) if self.mode == "avg" else x.amax(dim=-1)
''',
    "Reshape": '''
class Reshape(nn.Module):
    """Reshape in channels-last order (as symparams and Keras do), then back to this model's layout."""
    def __init__(self, shape, channels_first_in=False, channels_first_out=False):
        super().__init__()
        self.shape = tuple(shape)
        self.channels_first_in = channels_first_in
        self.channels_first_out = channels_first_out

    def forward(self, x):
        if self.channels_first_in:
            x = x.movedim(1, -1)
        x = x.reshape((x.shape[0],) + self.shape)
        return x.movedim(-1, 1) if self.channels_first_out else x
''',
    "ValidCellAverage": '''
class ValidCellAverage(nn.Module):
    """Keras/TensorFlow 'same' average pooling: pads, pools, and divides by the number of real
    (unpadded) cells in each window, as count_include_pad=False would with asymmetric padding."""
    def __init__(self, pad, pool):
        super().__init__()
        self.pad = pad
        self.pool = pool

    def forward(self, x):
        ones = torch.ones_like(x[:1, :1])
        return self.pool(self.pad(x)) / self.pool(self.pad(ones))
''',
    "Exp": '''
class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)
''',
}

ACTIVATIONS = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "leaky_relu": "nn.LeakyReLU(0.2)", "leakyrelu": "nn.LeakyReLU(0.2)",
    "elu": "nn.ELU()", "selu": "nn.SELU()", "gelu": "nn.GELU()", "silu": "nn.SiLU()", "swish": "nn.SiLU()",
    "mish": "nn.Mish()", "sigmoid": "nn.Sigmoid()", "hard_sigmoid": "nn.Hardsigmoid()", "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim={dim})", "log_softmax": "nn.LogSoftmax(dim={dim})", "softplus": "nn.Softplus()",
    "softsign": "nn.Softsign()", "hard_swish": "nn.Hardswish()", "hardswish": "nn.Hardswish()",
    "exponential": "Exp()", "linear": "nn.Identity()",
}


class _Writer:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.init: list[str] = []
        self.forward: list[str] = []
        self.helpers: set[str] = set()
        self.counter = 0

    # -- module text per leaf -------------------------------------------------------
    def activation(self, name, channel_dim) -> str:
        text = ACTIVATIONS[name]
        if text.startswith("Exp"):
            self.helpers.add("Exp")
        return text.format(dim=channel_dim)

    def module(self, row) -> str:
        """The constructor text of a leaf, taking and returning this model's layout."""
        cfg, shape = row.config, row.input_shape
        rank = len(shape)
        spec = spec_of(row)
        seq = rank == 2
        native_cf = True        # whether the module itself wants channels first
        act = row.activation if spec != "Activation" else None
        n = rank - 1
        # Keras 'same' with a stride: PyTorch has no such padding, so the zeros TF would add
        # (the smaller half before, the larger after) come first and the convolution is 'valid'
        pad = self._same_pads(cfg, shape, cfg.kernel, 0.0) if spec in (
            "Conv", "DepthwiseConv", "SeparableConv") and cfg.padding == "same" and set(ints(cfg.stride)) != {1} \
            else None
        if spec == "Conv":
            text = (f"nn.Conv{n}d({one(shape[-1])}, {one(cfg.filters)}, kernel_size={_tuple(cfg.kernel)}"
                    + self._window_opts(cfg, pad) + (f", groups={one(cfg.groups)}" if cfg.groups != 1 else "")
                    + ("" if cfg.bias else ", bias=False") + ")")
        elif spec == "DepthwiseConv":
            c = one(shape[-1])
            text = (f"nn.Conv{n}d({c}, {c * one(cfg.multiplier)}, kernel_size={_tuple(cfg.kernel)}"
                    + self._window_opts(cfg, pad) + f", groups={c}" + ("" if cfg.bias else ", bias=False") + ")")
        elif spec == "SeparableConv":
            c, m = one(shape[-1]), one(cfg.multiplier)
            text = (f"nn.Sequential(nn.Conv{n}d({c}, {c * m}, kernel_size={_tuple(cfg.kernel)}"
                    + self._window_opts(cfg, pad) + f", groups={c}, bias=False), "
                    + f"nn.Conv{n}d({c * m}, {one(cfg.filters)}, kernel_size=1"
                    + ("" if cfg.bias else ", bias=False") + "))")
        elif spec == "TransposedConv":
            padding, output_padding = cfg.padding, cfg.output_padding
            if conventions.transposed_conv_uses_keras_rules(self.plan.net.convention):
                padding, output_padding = self._keras_transposed(row)
            elif padding == "same":
                raise unsupported("a transposed convolution with padding=same", "PyTorch")
            text = (f"nn.ConvTranspose{n}d({one(shape[-1])}, {one(cfg.filters)}, kernel_size={_tuple(cfg.kernel)}"
                    + (f", stride={_tuple(cfg.stride)}" if set(ints(cfg.stride)) != {1} else "")
                    + (f", padding={_tuple(padding)}" if padding != "valid" else "")
                    + (f", output_padding={_tuple(output_padding)}" if output_padding is not None else "")
                    + (f", groups={one(cfg.groups)}" if cfg.groups != 1 else "")
                    + ("" if cfg.bias else ", bias=False")
                    + (f", dilation={_tuple(cfg.dilation)}" if set(ints(cfg.dilation)) != {1} else "") + ")")
        elif spec in ("MaxPool", "AvgPool"):
            kind = "Max" if spec == "MaxPool" else "Avg"
            own = cfg.padding not in ("valid", "same") and not conventions.pool_pads_with_zeros(
                self.plan.net.convention)
            text = (f"nn.{kind}Pool{n}d({_tuple(cfg.pool)}"
                    + (f", stride={_tuple(cfg.stride)}" if ints(cfg.stride) != ints(cfg.pool) else "")
                    + (f", padding={_tuple(cfg.padding)}" if own else "") + ")")
            if cfg.padding == "same":
                # Keras 'same' pooling: TF's padding, then a 'valid' pool. Max pooling pads with -inf
                # (padded cells never win); average pooling divides by the real cells only.
                if spec == "MaxPool":
                    text = f"nn.Sequential({self._same_pads(cfg, shape, cfg.pool, '-inf')}, {text})"
                else:
                    self.helpers.add("ValidCellAverage")
                    text = f"ValidCellAverage({self._same_pads(cfg, shape, cfg.pool, 0.0)}, {text})"
            elif cfg.padding != "valid" and not own:
                # Keras convention: an explicit pooling padding is zeros, then a 'valid' pool
                # (ZeroPadding2D + MaxPooling2D, as keras.applications writes it)
                text = f"nn.Sequential({self._pad_module(n, ints(cfg.padding), ints(cfg.padding), 0.0)}, {text})"
        elif spec in ("GlobalAvgPool", "GlobalMaxPool"):
            self.helpers.add("GlobalPool")
            mode = "avg" if spec == "GlobalAvgPool" else "max"
            return f'GlobalPool("{mode}")' if not seq else f'GlobalPool("{mode}", channels_first=False)'
        elif spec == "Dense":
            native_cf = False
            text = f"nn.Linear({one(shape[-1])}, {one(cfg.units)}" + ("" if cfg.bias else ", bias=False") + ")"
        elif spec == "BatchNorm":
            if rank == 1:
                return "nn.BatchNorm1d(%d)" % one(shape[-1])
            text = f"nn.BatchNorm{n}d({one(shape[-1])})"
        elif spec == "LayerNorm":
            native_cf = False
            text = f"nn.LayerNorm({one(shape[-1])})"
        elif spec == "GroupNorm":
            if rank == 1:
                return f"nn.GroupNorm({one(cfg.groups)}, {one(shape[-1])})"
            text = f"nn.GroupNorm({one(cfg.groups)}, {one(shape[-1])})"
        elif spec == "ZeroPad":
            after = cfg.get("after") or cfg.padding
            pads = []
            for p, q in reversed(list(zip(ints(cfg.padding), ints(after)))):
                pads += [p, q]
            text = f"nn.ConstantPad{n}d({tuple(pads)}, 0.0)"
        elif spec == "Upsample":
            text = f"nn.Upsample(scale_factor={ints(cfg.size)}, mode=\"nearest\")"
        elif spec == "Dropout":
            return f"nn.Dropout({float(cfg.rate)})"
        elif spec == "Flatten":
            return "nn.Flatten()"
        elif spec == "Identity":
            return "nn.Identity()"
        elif spec == "Activation":
            return self.activation(row.activation, 1 if rank >= 3 else -1)
        elif spec == "Reshape":
            self.helpers.add("Reshape")
            target = ints(row.output_shape)
            return f"Reshape({target}, channels_first_in={rank >= 3}, channels_first_out={len(target) >= 3})"
        elif spec == "Embedding":
            return f"nn.Embedding({one(cfg.vocabulary)}, {one(cfg.dim)})"
        elif spec in ("SimpleRNN", "LSTM", "GRU"):
            self.helpers.add("Recurrent")
            cls = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[spec]
            extra = ""
            if spec == "SimpleRNN" and row.activation == "relu":
                extra += ', nonlinearity="relu"'
            if not cfg.bias:
                extra += ", bias=False"
            if cfg.bidirectional:
                extra += ", bidirectional=True"
            return (f"Recurrent(nn.{cls}({one(shape[-1])}, {one(cfg.units)}, batch_first=True{extra})"
                    + (", return_sequences=True" if cfg.return_sequences else "") + ")")
        elif spec == "Attention":
            if cfg.key_dim is not None and one(cfg.key_dim) * one(cfg.heads) != one(shape[-1]):
                raise unsupported("attention with heads*key_dim other than the model width", "PyTorch")
            self.helpers.add("SelfAttention")
            return (f"SelfAttention(nn.MultiheadAttention({one(shape[-1])}, {one(cfg.heads)}, batch_first=True"
                    + ("" if cfg.bias else ", bias=False") + ")" + (", causal=True" if cfg.causal else "") + ")")
        elif spec == "PositionalEmbedding":
            self.helpers.add("PositionEmbedding")
            return f"PositionEmbedding({one(cfg.length)}, {one(shape[-1])})"
        elif spec == "ClassToken":
            self.helpers.add("ClassToken")
            return f"ClassToken({one(shape[-1])})"
        elif spec == "ClassPool":
            self.helpers.add("ClassPool")
            return "ClassPool()"
        elif spec == "TiedHead":
            self.helpers.add("Unembed")
            return f"Unembed(self.{self.embedding})"
        elif spec == "Subsample":
            self.helpers.add("Subsample")
            return f"Subsample({ints(cfg.stride)}" + (", channels_first=False" if seq else "") + ")"
        elif spec == "ChannelPad":
            self.helpers.add("ChannelPad")
            return f"ChannelPad({one(cfg.channels)}, dim={1 if rank >= 3 else -1})"
        else:
            raise unsupported(f"layer kind '{row.kind}'", "PyTorch")
        if pad is not None:
            text = f"nn.Sequential({pad}, {text})"
        if act and act != "linear":
            text = f"nn.Sequential({text}, {self.activation(act, 1 if native_cf else -1)})"
        if native_cf and seq:
            self.helpers.add("ChannelsFirst")
            text = f"ChannelsFirst({text})"
        elif not native_cf and rank >= 3:
            self.helpers.add("ChannelsLast")
            text = f"ChannelsLast({text})"
        return text

    @staticmethod
    def _pad_module(n, before, after, value) -> str:
        """nn.ConstantPad{n}d with PyTorch's order: the last axis first, (before, after) each."""
        pads = []
        for p, q in reversed(list(zip(before, after))):
            pads += [p, q]
        fill = 'float("-inf")' if value == "-inf" else repr(float(value))
        return f"nn.ConstantPad{n}d({tuple(pads)}, {fill})"

    def _same_pads(self, cfg, shape, window, value) -> str:
        """The padding module of TensorFlow/Keras 'same': per axis max((ceil(H/s) - 1)s + d(k - 1) + 1 - H, 0)
        zeros (or `value`), the smaller half before."""
        before, after = [], []
        for axis, size in enumerate(shape[:-1]):
            dilation = cfg.dilation[axis] if "dilation" in cfg else 1
            total = one(same_padding_total(size, window[axis], cfg.stride[axis], dilation))
            before.append(total // 2)
            after.append(total - total // 2)
        return self._pad_module(len(shape) - 1, before, after, value)

    @staticmethod
    def _keras_transposed(row):
        """PyTorch padding and output_padding giving a Keras-sized transposed convolution (the same
        output length; Keras crops 'same' outputs asymmetrically, so values at the edges may differ)."""
        cfg, shape = row.config, row.input_shape
        pads, extras = [], []
        for axis, size in enumerate(shape[:-1]):
            s, d, k = one(cfg.stride[axis]), one(cfg.dilation[axis]), one(cfg.kernel[axis])
            rest = one(row.output_shape[axis]) - ((one(size) - 1) * s + d * (k - 1) + 1)   # = output_padding - 2p
            p = 0 if rest >= 0 else (1 - rest) // 2
            extra = rest + 2 * p
            if extra >= max(s, d):
                raise unsupported("this Keras-sized transposed convolution", "PyTorch")
            pads.append(p)
            extras.append(extra)
        return (pads if any(pads) else "valid"), (extras if any(extras) else None)

    @staticmethod
    def _window_opts(cfg, pad=None) -> str:
        out = ""
        if set(ints(cfg.stride)) != {1}:
            out += f", stride={_tuple(cfg.stride)}"
        if pad is not None:
            pass                # the padding module before the layer does it
        elif cfg.padding == "same":
            out += ', padding="same"'
        elif cfg.padding != "valid":
            out += f", padding={_tuple(cfg.padding)}"
        if set(ints(cfg.dilation)) != {1}:
            out += f", dilation={_tuple(cfg.dilation)}"
        return out

    # -- forward text ------------------------------------------------------------------
    def fresh(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def rows(self, rows, var: str, indent: str = "        ") -> str:
        for row in rows:
            var = self.row(row, var, indent)
        return var

    def row(self, row, var, indent):
        if row.kind in ("block", "repeat", "iteration", "path"):
            return self.rows(row.children, var, indent)
        if row.kind in ("residual", "concat", "add"):
            outs = []
            self.forward.append(f"{indent}# {row.kind} {self.plan.name(row)} (line {row.line})")
            for path in row.children:
                outs.append(self.rows(path.children, var, indent))
            if row.kind == "residual" and len(outs) == 1:
                outs.append(var)
            out = self.fresh()
            if row.kind == "concat":
                dim = 1 if len(row.output_shape) >= 3 else -1
                self.forward.append(f"{indent}{out} = torch.cat([{', '.join(outs)}], dim={dim})")
            else:
                self.forward.append(f"{indent}{out} = {' + '.join(outs)}")
            return out
        if row.kind == "input":
            return var
        name = self.plan.name(row)
        shape = " x ".join(str(d) for d in row.output_shape)
        self.init.append(f"        self.{name} = {self.module(row)}  # line {row.line}: {shape}")
        if spec_of(row) == "Embedding":
            self.embedding = name
        out = self.fresh()
        self.forward.append(f"{indent}{out} = self.{name}({var})")
        return out


def input_layout(plan: Plan) -> tuple:
    """The input tensor's shape without the batch axis, in this model's layout."""
    shape = ints(plan.net.input_shape)
    if len(shape) >= 3:
        return (shape[-1],) + shape[:-1]
    return shape


def to_channels_last(shape: tuple) -> tuple:
    """A PyTorch output shape (without batch) in symparams' channels-last order."""
    shape = tuple(shape)
    if len(shape) >= 3:
        return shape[1:] + shape[:1]
    return shape


def export(net, class_name: str = "Model") -> str:
    """PyTorch source text for `net` (any convention; counted as PyTorch counts)."""
    plan = make_plan(net)
    return write(plan, class_name)


def write(plan: Plan, class_name: str = "Model") -> str:
    w = _Writer(plan)
    w.embedding = None
    out = w.rows(plan.net.layers, "x")
    helpers = "".join(HELPERS[h] for h in HELPERS if h in w.helpers)
    tokens = token_input(plan)
    source = plan.source or "<text>"
    lines = [
        f'"""PyTorch model generated by symparams from {source}.',
        "",
        "Layouts: images and volumes channels first, sequences (batch, T, D); the comments give",
        'symparams\' output shapes (channels last, without the batch axis)."""',
        "",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        "INPUT_SHAPE = %r  # without the batch axis" % (input_layout(plan),),
        "INPUT_DTYPE = %s" % ("torch.long" if tokens else "torch.float32"),
        helpers,
        "",
        f"class {class_name}(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *(w.init or ["        pass"]),
        "",
        "    def forward(self, x):",
        *w.forward,
        f"        return {out}",
        "",
        "",
        "def build():",
        f"    return {class_name}()",
        "",
        "",
        'if __name__ == "__main__":',
        "    model = build()",
        "    print(model(torch.zeros((1,) + INPUT_SHAPE, dtype=INPUT_DTYPE)).shape)",
        "    print(sum(p.numel() for p in model.parameters()), \"parameters\")",
        "",
    ]
    return "\n".join(lines)
