"""Pooling and strided subsampling: maxpool, avgpool, global pools, subsample, channelpad."""

from __future__ import annotations

from ..numeric import integer
from .. import conventions
from ..algebra import as_int, ceil_div, is_number, product
from ..errors import DefinitionError, ShapeError
from .base import BOOL, COUNT, INTEGER, PADDING, WINDOW, Arg, LayerSpec, Opt, REGISTRY, Saved, by_rank, named, register
from .conv import Windowed
from .text import ints, one, window, window_text
from .unpool import unpooled


class _Pool(Windowed):
    window_kind = "pool"
    limit_kind = "pool"
    diagram = "pool"
    torch_name = keras_name = ""    # Max / Avg, Max / Average
    import_allows: tuple = ()       # PyTorch options the import reads elsewhere (a max pool's return_indices)
    arguments = (Arg("pool", WINDOW, required=False, default=2),)
    options = {"stride": Opt(WINDOW, None), "padding": Opt(PADDING, "valid")}
    formula = "0"

    def configure(self, cfg, shape, ctx):
        if cfg.stride is None:
            cfg["stride"] = cfg.pool        # Keras and PyTorch: the stride defaults to the pool size
        self.check_padding(cfg, ctx)
        if cfg.padding not in ("valid", "same"):
            problem = conventions.pool_padding_error(cfg.padding, cfg.pool, ctx.convention)
            if problem:
                raise DefinitionError(problem)

    def output_shape(self, cfg, shape, ctx):
        return tuple(self.window_output(cfg, shape, ctx, cfg.pool)) + (shape[-1],)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per window element of each output value: a compare (max) or an add (average)."""
        return product(out) * product(cfg.pool)

    def emit_torch(self, row, out):
        return out.wrap(row, self.torch_text(row, out))

    def torch_text(self, row, out) -> str:
        """The pool's module text before the layout wrapping."""
        cfg, shape, n = row.config, row.input_shape, len(row.input_shape) - 1
        own = cfg.padding not in ("valid", "same") and not conventions.pool_pads_with_zeros(out.convention)
        text = (f"nn.{self.torch_name}Pool{n}d({window_text(cfg.pool)}"
                + (f", stride={window_text(cfg.stride)}" if ints(cfg.stride) != ints(cfg.pool) else "")
                + (f", padding={window_text(cfg.padding)}" if own else "") + self.torch_extra(cfg) + ")")
        if cfg.padding == "same":
            text = self.torch_same(row, out, text)
        elif cfg.padding != "valid" and not own:
            # Keras convention: an explicit pooling padding is zeros, then a 'valid' pool
            # (ZeroPadding2D + MaxPooling2D, as keras.applications writes it)
            text = f"nn.Sequential({out.pad_module(n, ints(cfg.padding), ints(cfg.padding), 0.0)}, {text})"
        return text

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        var = out.explicit_padding(row, var, self.keras_pad_value(out.convention))
        pad_text = out.options(cfg)[0]
        strides = f", strides={window_text(cfg.stride)}" if ints(cfg.stride) != ints(cfg.pool) else ""
        return out.emit(f"layers.{self.keras_name}Pooling{n}D({window_text(cfg.pool)}{strides}{pad_text}, "
                        f"{out.tag(row)})", var, row)

    def torch_extra(self, cfg) -> str:
        """More arguments of the PyTorch pool (MaxPool: ceil_mode)."""
        return ""

    def keras_pad_value(self, convention) -> float | str:
        """What an explicit padding is filled with before the 'valid' Keras pool: zeros (Keras convention,
        and PyTorch's average pooling, which counts them)."""
        return 0.0

    def import_torch(self, module, r):
        if not isinstance(module, self.torch_class(r.nn)):
            return None
        for option, plain in (("dilation", 1), ("ceil_mode", False), ("return_indices", False)):
            if option in self.options or option in self.import_allows:    # maxpool says ceil_mode itself
                continue
            value = getattr(module, option, plain)
            if value != plain and not (option == "dilation" and set(window(value).split("x")) == {"1"}):
                raise DefinitionError(f"the module '{r.name}' is {r.cls(module)}({option}={value}); symparams' "
                                      f"{self.keyword} has no such option")
        text = f"{self.keyword} {window(module.kernel_size)}"
        stride = module.stride if module.stride is not None else module.kernel_size
        if window(stride) != window(module.kernel_size):
            text += f" stride={window(stride)}"
        if window(module.padding) != "0":
            text += f" padding={window(module.padding)}"
        return text

    def import_keras(self, layer, r):
        if r.cls(layer) not in self.keras_pad_folds:
            return None
        text = f"{self.keyword} {window(layer.pool_size)}"
        if window(layer.strides) != window(layer.pool_size):
            text += f" stride={window(layer.strides)}"
        if r.padding is not None:          # zeros, then the pool: the Keras convention's explicit padding
            return text + f" padding={window(r.padding)}"
        return text + (" padding=same" if layer.padding == "same" else "")


class _CeilPool(_Pool):
    """A window pool with PyTorch's ceil_mode (max and average pooling both have it: ResNet-D's shortcut
    pools with AvgPool2d(2, ceil_mode=True))."""
    options = {**_Pool.options, "ceil_mode": Opt(BOOL, False, doc="PyTorch's ceil_mode=True output sizes")}

    def framework_problem(self, cfg, shape, framework):
        return conventions.ceil_mode_error(cfg.get("ceil_mode"), framework)

    def configure(self, cfg, shape, ctx):
        super().configure(cfg, shape, ctx)
        if cfg.ceil_mode:
            problem = self.framework_problem(cfg, shape, ctx.convention)
            if problem:
                raise DefinitionError(problem)
            if cfg.padding == "same":
                raise DefinitionError("ceil_mode rounds a 'valid' or explicit padding up; padding=same has no ceil_mode")

    def output_shape(self, cfg, shape, ctx):
        if not cfg.ceil_mode:
            return super().output_shape(cfg, shape, ctx)
        out = []
        for axis, size in enumerate(shape[:-1]):
            k, s = cfg.pool[axis], cfg.stride[axis]
            p = integer(0) if cfg.padding == "valid" else cfg.padding[axis]
            length = ceil_div(size + 2 * p - k, s) + 1
            # PyTorch drops a last window that would start in the right padding
            late = (length - 1) * s - (size + p)
            if is_number(late):
                if late >= 0:
                    length -= 1
            elif (k - s - p).is_nonnegative is not True:
                raise DefinitionError(f"ceil_mode with a symbolic size needs pool >= stride + padding "
                                      f"(here {k} < {s} + {p}); give the size a number")
            ctx.require_positive(length, lambda: f"pool size {k} does not fit its {size} input")
            out.append(length)
        return tuple(out) + (shape[-1],)

    def torch_extra(self, cfg) -> str:
        return ", ceil_mode=True" if cfg.get("ceil_mode") else ""

    def import_torch(self, module, r):
        text = super().import_torch(module, r)
        if text is not None and getattr(module, "ceil_mode", False):
            text += " ceil_mode"
        return text



@register
class MaxPool(_CeilPool):
    keywords = ("maxpool", "maxpool1d", "maxpool2d", "maxpool3d")
    pytorch_classes = by_rank("maxpool", "MaxPool{}d")
    keras_classes = by_rank("maxpool", "MaxPooling{}D", "MaxPool{}D")
    spatial_rank_of = {"maxpool1d": 1, "maxpool2d": 2, "maxpool3d": 3}
    summary = "maximum over each P window; stride defaults to P"
    torch_name, keras_name = "Max", "Max"
    keras_pad_folds = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D")

    # return_indices=True: the importer reads its (pooled, indices) pair, the indices going to a maxunpool
    import_allows = ("return_indices",)

    @staticmethod
    def torch_class(nn):
        return nn.modules.pooling._MaxPoolNd

    def emit_torch(self, row, out):
        text = self.torch_text(row, out)
        if unpooled(row, out.plan.leaves):       # a maxunpool reads its indices
            text = REGISTRY["maxunpool"].keep_indices(row, out, text)
        return out.wrap(row, text)

    def import_torch(self, module, r):
        return super().import_torch(module.pool if r.cls(module) == "KeepIndices" else module, r)

    def torch_same(self, row, out, text):
        """Keras 'same' max pooling: TF's padding with -inf (padded cells never win), then a 'valid' pool."""
        return f"nn.Sequential({out.same_pads(row.config, row.input_shape, row.config.pool, '-inf')}, {text})"

    def keras_pad_value(self, convention):
        """PyTorch's max pooling ignores its padded cells: -inf, unless the convention pads with zeros."""
        return 0.0 if conventions.pool_pads_with_zeros(convention) else "-inf"


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input and the int64 index of each maximum."""
        return (Saved("input"), Saved("own", product(out), dtype="index"))

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence, max_pool1d writes a new channels-first result (avg_pool1d's follows its input's layout):
        it comes back from the transposes a strided view, which each matrix product then copies (measured, torch
        2.14: an mla after it keeps two copies, one per projection reading it)."""
        return "strided" if len(shape) == 2 else super().output_layout(cfg, shape, out, ctx)

@register
class AvgPool(_CeilPool):
    keywords = ("avgpool", "avgpool1d", "avgpool2d", "avgpool3d")
    pytorch_classes = by_rank("avgpool", "AvgPool{}d")
    keras_classes = by_rank("avgpool", "AveragePooling{}D", "AvgPool{}D")
    spatial_rank_of = {"avgpool1d": 1, "avgpool2d": 2, "avgpool3d": 3}
    summary = "average over each P window; stride defaults to P"
    torch_name, keras_name = "Avg", "Average"
    keras_pad_folds = ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
    torch_helpers = {"ValidCellAverage": '''
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
'''}

    # which cells a window's average divides by where it covers an explicit padding: no count or shape hangs on it,
    # the values do (PoolFormer's AvgPool2d(3, 1, 1, count_include_pad=False))
    options = {**_CeilPool.options,
               "count_include_pad": Opt(BOOL, True, doc="an explicit padding's zeros counted in the average "
                                                        "(PyTorch's default); false: the real cells only")}

    @staticmethod
    def torch_class(nn):
        return nn.modules.pooling._AvgPoolNd

    def _real_cells_only(self, cfg) -> bool:
        return not cfg.get("count_include_pad", True) and cfg.padding not in ("valid", "same")

    def torch_extra(self, cfg) -> str:
        return super().torch_extra(cfg) + (", count_include_pad=False" if self._real_cells_only(cfg) else "")

    def torch_text(self, row, out) -> str:
        text = super().torch_text(row, out)
        if self._real_cells_only(row.config) and text.startswith("nn.Sequential("):
            # the Keras convention's explicit padding is a padding module before the pool: divided by the real cells
            out.helper(self.torch_helpers, "ValidCellAverage")
            text = "ValidCellAverage(" + text[len("nn.Sequential("):]
        return text

    def emit_keras(self, row, var, out):
        if self._real_cells_only(row.config):
            raise DefinitionError(f"{row.name} (line {row.line}): count_include_pad=false (an average of the real cells "
                                  "only) with an explicit padding has no Keras counterpart (Keras' average pooling "
                                  "counts a ZeroPadding's zeros; its 'same' pads by its own rule)")
        return super().emit_keras(row, var, out)

    def import_torch(self, module, r):
        text = super().import_torch(module, r)
        if text is not None and " padding=" in text and not getattr(module, "count_include_pad", True):
            text += " count_include_pad=false"
        return text

    def torch_same(self, row, out, text):
        """Keras 'same' average pooling divides by the real cells only."""
        out.helper(self.torch_helpers, "ValidCellAverage")
        return f"ValidCellAverage({out.same_pads(row.config, row.input_shape, row.config.pool, 0.0)}, {text})"

    def configure(self, cfg, shape, ctx):
        super().configure(cfg, shape, ctx)
        problem = conventions.avgpool3d_window_error(shape[:-1], cfg.pool, ctx.convention)
        if problem:
            raise ShapeError(problem)


class _GlobalPool(LayerSpec):
    min_rank = 2
    formula = "0"
    diagram = "pool"
    mode = keras_name = ""           # avg / max, Average / Max
    torch_helpers = {"GlobalPool": '''
class GlobalPool(nn.Module):
    """Average or maximum over every spatial position (keepdims: each spatial axis kept, of size 1)."""
    def __init__(self, mode, channels_first=True, keepdims=False):
        super().__init__()
        self.mode = mode
        self.channels_first = channels_first
        self.keepdims = keepdims

    def forward(self, x):
        if self.keepdims:
            dims = tuple(range(2, x.dim())) if self.channels_first else (1,)
            return x.mean(dim=dims, keepdim=True) if self.mode == "avg" else x.amax(dim=dims, keepdim=True)
        x = x.flatten(2) if self.channels_first else x.transpose(1, 2)
        return x.mean(dim=-1) if self.mode == "avg" else x.amax(dim=-1)
'''}
    options = {"keepdims": Opt(BOOL, False, doc="keep each spatial axis, of size 1: H x W x C -> 1 x 1 x C")}

    def kind_name(self, keyword, shape):
        return f"{keyword}{len(shape) - 1}d"

    def output_shape(self, cfg, shape, ctx):
        if cfg.keepdims:
            return (integer(1),) * (len(shape) - 1) + (shape[-1],)
        return (shape[-1],)

    def other_ops(self, cfg, shape, out, ctx):
        """1 per input value."""
        return product(shape)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "GlobalPool")
        keep = ", keepdims=True" if row.config.keepdims else ""
        return f'GlobalPool("{self.mode}"{keep})' if len(row.input_shape) != 2 else \
            f'GlobalPool("{self.mode}", channels_first=False{keep})'

    def emit_keras(self, row, var, out):
        n = len(row.input_shape) - 1
        keep = "keepdims=True, " if row.config.keepdims else ""
        return out.emit(f"layers.Global{self.keras_name}Pooling{n}D({keep}{out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "GlobalPool":
            if module.mode != self.mode:
                return None
            return self.keyword + (" keepdims" if getattr(module, "keepdims", False) else "")
        adaptive = tuple(getattr(r.nn, f"Adaptive{self.mode.title()}Pool{n}d") for n in (1, 2, 3))
        if not isinstance(module, adaptive):
            return None
        size = module.output_size if isinstance(module.output_size, tuple) else (module.output_size,)
        if set(size) != {1}:
            raise DefinitionError(f"'{r.name}': only adaptive pooling to size 1 (a global pool) has a DSL form")
        # PyTorch keeps each spatial axis (N x C x 1 x 1): a squeeze-and-excitation's 1x1 convolutions read it so
        return self.keyword + " keepdims"

    def import_keras(self, layer, r):
        if not r.cls(layer).startswith(f"Global{self.keras_name}Pooling"):
            return None
        return self.keyword + (" keepdims" if layer.keepdims else "")


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """A mean needs only sizes (GlobalAvgPool); amax keeps its input and its result."""
        return ()

@register
class GlobalAvgPool(_GlobalPool):
    keywords = ("globalavgpool",)
    pytorch_classes = named("globalavgpool", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")
    keras_classes = named("globalavgpool", *(f"Global{name}{rank}D" for name in ("AveragePooling", "AvgPool")
                                             for rank in (1, 2, 3)))
    summary = "average over all spatial positions: H x W x C -> C; prefix=N on a sequence averages the tokens after " \
              "the first N (timm's mean of the patches after its class token)"
    mode, keras_name = "avg", "Average"
    options = {**_GlobalPool.options,
               "prefix": Opt(INTEGER, 0, doc="on a sequence T x D: skip the first N tokens (timm's num_prefix_tokens)")}
    torch_helpers = {**_GlobalPool.torch_helpers, "TokenMean": '''
class TokenMean(nn.Module):
    """The mean of the tokens after the first `prefix` (class) tokens: (batch, T, D) -> (batch, D)."""
    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix

    def forward(self, x):
        return x[:, self.prefix:].mean(dim=1)
'''}

    # timm's avg head: x[:, num_prefix_tokens:].mean(dim=1). Only on a sequence (a map has no leading tokens), never
    # with keepdims (timm keeps no axis), and at least one token must be left. The counts hold under either
    # convention (an imported PyTorch file reads back under the default one); only the Keras export refuses it.
    def configure(self, cfg, shape, ctx):
        super().configure(cfg, shape, ctx)
        if not cfg.prefix:
            return
        if len(shape) != 2 or cfg.keepdims:
            raise DefinitionError("globalavgpool prefix=N skips leading tokens of a sequence T x D (without keepdims)")
        if is_number(shape[0]) and is_number(cfg.prefix) and int(shape[0]) <= int(cfg.prefix):
            raise ShapeError(f"globalavgpool prefix={cfg.prefix} leaves no token of the {shape[0]}")

    def other_ops(self, cfg, shape, out, ctx):
        """1 per averaged value: every input value, or with prefix=N the tokens after the first N."""
        return product((shape[0] - cfg.prefix,) + tuple(shape[1:])) if cfg.prefix else product(shape)

    def emit_torch(self, row, out):
        if not row.config.prefix:
            return super().emit_torch(row, out)
        out.helper(self.torch_helpers, "TokenMean")
        return f"TokenMean({one(row.config.prefix)})"

    def emit_keras(self, row, var, out):
        if row.config.prefix:
            raise out.unsupported("globalavgpool prefix=N (Keras' global pooling has no skipped tokens)")
        return super().emit_keras(row, var, out)

    def import_torch(self, module, r):
        if r.cls(module) == "TokenMean":
            return f"globalavgpool prefix={module.prefix}" if module.prefix else "globalavgpool"
        return super().import_torch(module, r)


@register
class GlobalMaxPool(_GlobalPool):
    keywords = ("globalmaxpool",)
    pytorch_classes = named("globalmaxpool", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")
    keras_classes = named("globalmaxpool", *(f"Global{name}{rank}D" for name in ("MaxPooling", "MaxPool")
                                             for rank in (1, 2, 3)))
    summary = "maximum over all spatial positions: H x W x C -> C"
    mode, keras_name = "max", "Max"


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input and its result. On a map, x.flatten(2) makes a contiguous copy of a strided input (a subsample,
        a permuted view) and keeps that; a free tensor broadcast over the batch, or a channel slice of a map, flattens
        its spatial axes as a view (they stay one run of unit stride) and amax keeps that view (measured, torch 2.14)."""
        return (Saved("input", layout=("contiguous", "broadcast", "sliced", "spaced") if len(shape) > 2 else None),
                Saved("output"))

@register
class Subsample(LayerSpec):
    keywords = ("subsample",)
    pytorch_classes = {}
    keras_classes = {}
    diagram = "plain"
    torch_helpers = {"Subsample": '''
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
'''}
    keras_helpers = {"Subsample": '''
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
'''}
    summary = "keep every S-th position (x[::S, ::S]); the parameter-free ResNet option-A shortcut"
    formula = "0"
    arguments = (Arg("stride", WINDOW),)
    min_rank = 2

    def output_shape(self, cfg, shape, ctx):
        return tuple(ceil_div(size, s) for size, s in zip(shape[:-1], cfg.stride)) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        return tuple((integer(1), s, integer(0)) for s in cfg.stride)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Subsample")
        return f"Subsample({ints(row.config.stride)}" + (", channels_first=False" if len(row.input_shape) == 2 else "") + ")"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "Subsample")
        return out.emit(f"Subsample({ints(row.config.stride)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"subsample {window(module.stride)}" if r.cls(module) == "Subsample" else None

    import_keras = import_torch


    def output_is_view(self, cfg, shape, out, ctx):
        """x[:, :, ::s, ::s] is a strided view."""
        return True

    def output_layout(self, cfg, shape, out, ctx):
        """A sequence's x[:, ::s] is strided; a map's view depends on its input (view_layout)."""
        return "strided" if len(shape) <= 2 else None

    def view_layout(self, layout, shape=(), cfg=None, source=None):
        """x[:, :, ::s, ::s] of a channels-first map laid out as a new one (or a channel slice of one): whether the
        kept positions merge into one axis (a view for a reshape over the positions: contextpool, globalmaxpool's
        flatten(2)) and the channels with them (a view for flatten) depends on how the sizes divide by the strides
        (a stride of 2 along an even width merges, along an odd one it does not). 'sliced': both merge; 'spaced':
        only the positions; 'gapped': neither (each such reshape copies; measured, torch 2.14). Symbolic sizes that
        leave it undecided count the copy (docs/cost.md). Other inputs: 'strided', as before."""
        if len(shape) <= 2 or cfg is None or layout not in ("contiguous", "sliced"):
            return "strided"
        sizes, strides = [shape[-1]], [product(shape[:-1])]         # the channels, then each spatial axis
        for axis, (size, step) in enumerate(zip(shape[:-1], cfg.stride)):
            sizes.append(ceil_div(size, step))
            strides.append(step * product(shape[axis + 1:-1]))
        positions = _merges(sizes[1:], strides[1:])
        if positions is not True:
            return "gapped"
        return "sliced" if _merges(sizes, strides) is True else "spaced"


def _merges(sizes, strides):
    """Whether axes of these sizes and element strides flatten to one as a view (torch's rule: axes of size 1 are
    skipped, each other axis's stride is the next one's size times its stride): True, False, or None when a symbolic
    size leaves it undecided."""
    kept = []
    for size, stride in zip(sizes, strides):
        one_ = as_int(size)
        if one_ is None:
            return None
        if one_ != 1:
            kept.append((size, stride))
    for (_, outer), (size, inner) in zip(kept, kept[1:]):
        same = as_int(outer - size * inner)
        if same is None:
            return None
        if same != 0:
            return False
    return True


@register
class ChannelPad(LayerSpec):
    keywords = ("channelpad",)
    pytorch_classes = {}
    keras_classes = {}
    diagram = "plain"
    torch_helpers = {"ChannelPad": '''
class ChannelPad(nn.Module):
    """Zero-pads the channels (axis `dim`) up to `channels`."""
    def __init__(self, channels, dim=1):
        super().__init__()
        self.channels = channels
        self.dim = dim

    def forward(self, x):
        extra = self.channels - x.shape[self.dim]
        return F.pad(x.movedim(self.dim, -1), (0, extra)).movedim(-1, self.dim)
'''}
    keras_helpers = {"ChannelPad": '''
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
'''}
    summary = "zero-pad the channels up to C (ResNet option-A shortcut)"
    formula = "0"
    arguments = (Arg("channels", COUNT),)

    def configure(self, cfg, shape, ctx):
        gap = cfg.channels - shape[-1]
        ctx.require((gap >= 0) if is_number(gap) else None,
                    f"channelpad {cfg.channels} is fewer than the {shape[-1]} input channels",
                    f"channelpad {cfg.channels} needs at least the {shape[-1]} input channels",
                    test=gap + 1)       # a size condition (>= 1) that solve and sweep can check

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.channels,)

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "ChannelPad")
        return f"ChannelPad({one(row.config.channels)}, dim={1 if len(row.input_shape) >= 3 else -1})"

    def emit_keras(self, row, var, out):
        out.helper(self.keras_helpers, "ChannelPad")
        return out.emit(f"ChannelPad({one(row.config.channels)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"channelpad {module.channels}" if r.cls(module) == "ChannelPad" else None

    import_keras = import_torch


def timm_attention_pool_stride(pool, problems: list) -> int:
    """The stride of the pool timm's BoTNet, HaloNet and lambda layers put after their attention: 1 for an Identity,
    2 for a 2 x 2 average pool of stride 2; anything else is added to `problems`, which the import refuses by name."""
    if type(pool).__name__ == "AvgPool2d":
        if pool.kernel_size not in (2, (2, 2)) or pool.stride not in (2, (2, 2)) or pool.padding not in (0, (0, 0)) \
                or pool.ceil_mode:
            problems.append("a pool other than 2 x 2 of stride 2")
        return 2
    if type(pool).__name__ != "Identity":
        problems.append(f"a pool of {type(pool).__name__}")
    return 1
