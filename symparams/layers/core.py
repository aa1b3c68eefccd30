"""Core layers: input, dense, flatten, dropout, reshape, zeropad, upsample, identity and
standalone activations."""

from __future__ import annotations

from ..numeric import integer, is_exact, needs_sympy
from .. import conventions
from ..algebra import equal, is_number, product, ratio
from ..errors import DefinitionError, ShapeError
from ..wording import math_text
from .base import (ACTIVATIONS, BOOL, COUNT, DIMS, NONNEG_WINDOW, NUMBER, RATE, REGISTRY, STRING, WINDOW, Arg,
                   Deferred, LayerSpec, MustBeWhole, MustBeZero, Opt, Saved, Weight, by_rank, named, register)
from .text import ints, one, window, window_text
from . import weightnorm


@register
class Input(LayerSpec):
    keywords = ("input",)
    pytorch_classes = {}
    keras_classes = named("input", "Input", "InputLayer")
    summary = "the input: T x D (sequence), H x W x C (image), D x H x W x C (volume), N (vector or tokens)"
    formula = "0"
    arguments = (Arg("shape", DIMS),)
    is_input = True
    diagram = "input"
    unsupported = {"import_torch": "the importer writes the input line from the shape it is given",
                   "import_keras": "the importer writes the input line from the model's keras.Input"}

    def configure(self, cfg, shape, ctx):
        if len(cfg.shape) > 4:
            raise DefinitionError(f"an input has at most 4 axes (D x H x W x C); got {len(cfg.shape)}")
        for dim in cfg.shape:
            ctx.require_positive(dim, f"input size {dim} must be at least 1")

    def output_shape(self, cfg, shape, ctx):
        return tuple(cfg.shape)

    def receptive(self, cfg, shape, out, ctx):
        return "start" if len(out) >= 2 else None

    def emit_torch(self, row, out):
        return None             # the model's argument x

    def emit_keras(self, row, var, out):
        return var              # keras.Input, written by the walker


@register
class Dense(LayerSpec):
    keywords = ("dense", "fc")
    pytorch_classes = named("dense", "Linear", "LazyLinear")
    keras_classes = named("dense", "Dense")
    gives_logits = True
    summary = "fully connected: U units on the last axis"
    formula = "U*(in + 1); without bias U*in; weight_norm=true: + U"
    arguments = (Arg("units", COUNT),)
    options = {"bias": Opt(BOOL, True),
               "tied": Opt(STRING, None, doc="an output head reusing a named embedding table as its kernel"),
               "weight_norm": weightnorm.OPTION}
    takes_activation = True
    diagram = "dense"
    letters = {"input": "N_in", "units": "N_out"}
    torch_helpers = {"TiedLinear": '''
class TiedLinear(nn.Module):
    """A linear layer whose weight is an embedding's table (tied: counted once), with its own bias."""
    def __init__(self, embedding, table, bias=True):
        super().__init__()
        self.__dict__["embedding"] = embedding      # not registered: the weight is the embedding's
        self.table = table                          # the table's name, for symparams import
        self.bias = nn.Parameter(torch.zeros(embedding.num_embeddings)) if bias else None

    def forward(self, x):
        return F.linear(x, self.embedding.weight, self.bias)
'''}
    keras_helpers = {"TiedDense": '''
class TiedDense(layers.Layer):
    """A dense layer whose kernel is an embedding's table, transposed (tied), with its own bias."""
    def __init__(self, embedding, table, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.embedding = lambda: embedding        # a function, so Keras does not track it twice
        self.table, self.use_bias = table, use_bias      # the table's name, for symparams import

    def build(self, input_shape):
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.embedding().input_dim,), initializer="zeros")

    def call(self, x):
        y = ops.matmul(x, ops.transpose(self.embedding().embeddings))
        return y + self.bias if self.use_bias else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.embedding().input_dim,)
'''}

    def framework_problem(self, cfg, shape, framework):
        return weightnorm.problem(cfg, framework)

    def configure(self, cfg, shape, ctx):
        problem = self.framework_problem(cfg, shape, ctx.convention)
        if problem:
            raise DefinitionError(problem)
        if cfg.tied is not None and cfg.weight_norm:
            raise DefinitionError(f"dense {cfg.units} tied={cfg.tied} weight_norm=true: a tied head's kernel is the "
                                  "embedding's table, which it does not reparametrise")
        if cfg.tied is not None:
            from .attention import tied_table
            vocab, dim = tied_table(ctx, cfg.tied, "dense")
            if is_number(cfg.units - vocab) and cfg.units != vocab or is_number(shape[-1] - dim) and shape[-1] != dim:
                raise ShapeError(f"dense {cfg.units} tied={cfg.tied}: the layer is {shape[-1]} -> {cfg.units} but the "
                                 f"table is {vocab} x {dim} (it needs {dim} -> {vocab})")
        # Per-token dense on a T x D sequence is ordinary (transformers); on an image or volume it
        # is usually a forgotten flatten.
        if len(shape) > 2:
            ctx.warn(f"dense on a {'x'.join(map(str, shape))} input acts on the last axis only "
                     "(as Keras Dense and PyTorch Linear do); put 'flatten' before it to connect every value")

    def output_shape(self, cfg, shape, ctx):
        return shape[:-1] + (cfg.units,)

    def weights(self, cfg, shape, ctx):
        kernel_name, bias_name = conventions.weight_names(ctx.convention)
        out = ()
        if cfg.tied is None:          # tied: the kernel is the named embedding's table
            kernel = Weight(kernel_name, conventions.dense_kernel(shape[-1], cfg.units, ctx.convention))
            out = weightnorm.weights(cfg, kernel, cfg.units, 0 if ctx.convention != "keras" else 1)
        if cfg.bias:
            out += (Weight(bias_name, (cfg.units,)),)
        return out

    def macs(self, cfg, shape, out, ctx):
        """in·out at every position (T·D·U on a T x D sequence)."""
        return product(shape) * cfg.units

    def bias_adds(self, cfg, shape, out, ctx):
        return product(out) if cfg.bias else integer(0)

    def emit_torch(self, row, out):
        cfg = row.config
        if cfg.tied is not None:
            out.helper(self.torch_helpers, "TiedLinear")
            return out.wrap(row, f"TiedLinear(self.{out.tables[cfg.tied]}, {cfg.tied!r}"
                            + ("" if cfg.bias else ", bias=False") + ")", channels_first=False)
        text = f"nn.Linear({one(row.input_shape[-1])}, {one(cfg.units)}" + ("" if cfg.bias else ", bias=False") + ")"
        return out.wrap(row, weightnorm.torch_text(cfg, text), channels_first=False)

    def emit_keras(self, row, var, out):
        bias = out.options(row.config)[3]
        if row.config.tied is not None:
            out.helper(self.keras_helpers, "TiedDense")
            return out.emit(f"TiedDense({out.tables[row.config.tied]}, {row.config.tied!r}{bias}, {out.tag(row)})",
                            var, row)
        return out.emit(f"layers.Dense({one(row.config.units)}{bias}{out.activation(row)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "TiedLinear":
            return (f"dense {r.num('units', module.embedding.num_embeddings)} tied={module.table}"
                    + ("" if module.bias is not None else " bias=false"))
        if isinstance(module, r.nn.Linear):
            return (f"dense {r.num('units', module.out_features)}" + ("" if module.bias is not None else " bias=false")
                    + weightnorm.torch_option(module, r.name))
        return None

    def import_keras(self, layer, r):
        if r.cls(layer) == "TiedDense":
            return (f"dense {r.num('units', layer.embedding().input_dim)} tied={layer.table}"
                    + ("" if layer.use_bias else " bias=false"))
        if r.cls(layer) == "Dense":
            return f"dense {r.num('units', layer.units)}{r.bias(layer)}{r.activation(layer)}"
        return None


    def shared_product_params(self, cfg, shape, out, ctx):
        """tied=: the embedding table, read here as the logits' matrix (PaLM's N counts it once)."""
        return cfg.units * shape[-1] if cfg.tied is not None else integer(0)

    def head_params(self, cfg, shape, out, ctx):
        """An untied output head: a dense from an earlier embedding's width to its vocabulary (its
        kernel is a vocabulary matrix, as a tied head's table is)."""
        if cfg.tied is None and any(equal(cfg.units, v) is True and equal(shape[-1], d) is True
                                    for v, d in ctx.embeddings):
            return cfg.units * shape[-1]
        return integer(0)

    def receptive(self, cfg, shape, out, ctx):
        """None: a product over the last axis, at each position alone."""
        return None

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The input of the product, for the kernel's gradient (the weight is a parameter, not an activation). On an image
        the exported Linear reads a channels-last view and keeps the contiguous copy it makes (no
        copy when the view is contiguous already: one channel, or one position). weight_norm=true: the
        norms and the kernel it computes too (layers/weightnorm.py)."""
        norm = weightnorm.saved(cfg, shape[-1] * cfg.units, cfg.units)
        # the product keeps its input for its kernel's gradient only (a frozen kernel: nothing kept)
        kernel = tuple(w.name for w in self.weights(cfg, shape, ctx) if len(w.shape) >= 2) or ("tied",)
        if len(shape) > 2 and style == "pytorch" and shape[-1] != 1 and product(shape[:-1]) != 1:
            return (Saved("own", product(shape), of=kernel),) + norm
        # a slice of the last axis ('narrowed') is rows of unit stride: F.linear reads it in place, no copy; so is a
        # vector broadcast over the batch (a free tensor's expand, stride 0): addmm keeps the expanded view itself
        # (measured, torch 2.14: 'parameter 4 buffer=true; dense 1' keeps 0 bytes). A broadcast sequence is
        # flattened to rows first, which copies it.
        read = ("contiguous", "narrowed") + (("broadcast",) if len(shape) == 1 else ())
        return (Saved("input", layout=read, of=kernel),) + norm

    def output_layout(self, cfg, shape, out, ctx):
        """On an image or volume the result is channels last underneath: strided as the export sees it."""
        return "strided" if len(shape) > 2 else "contiguous"

class _View(LayerSpec):
    """A weightless view of its input written as one argument-free module: nn.<name>() in PyTorch,
    layers.<name>() in Keras (the same class name in both)."""
    framework_name = ""
    diagram = "plain"
    formula = "0"

    def emit_torch(self, row, out):
        return f"nn.{self.framework_name}()"

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.{self.framework_name}({out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return self.keyword if isinstance(module, getattr(r.nn, self.framework_name)) else None

    def import_keras(self, layer, r):
        return self.keyword if r.cls(layer) == self.framework_name else None

    def output_is_view(self, cfg, shape, out, ctx):
        return True


@register
class Flatten(_View):
    keywords = ("flatten",)
    pytorch_classes = named("flatten", "Flatten")
    keras_classes = named("flatten", "Flatten")
    summary = "all axes into one: H x W x C -> H*W*C"
    framework_name = "Flatten"

    def view_layout(self, layout, shape=(), cfg=None, source=None):
        """A channel slice of a channels-first map flattens to a view: each example's values one run of unit stride
        inside the whole map's storage ('narrowed', read in place by a matrix product that keeps the storage). A
        slice of a sequence's last axis leaves gaps between its rows: flattened, it is a copy, as a strided view's
        is (a later layer keeping it keeps that copy, not the sequence's storage; measured, torch 2.14)."""
        if layout == "sliced":
            return "narrowed"
        if layout == "broadcast" and len(shape) >= 3 and shape[-1] != 1 and product(shape[:-1]) != 1:
            # a free tensor's map is its channels-last weight permuted channels first: its channels and positions
            # do not merge, so flatten copies it (one channel, or one position: still the weight's view)
            return "strided"
        return "strided" if layout == "narrowed" and len(shape) >= 2 else layout

    def output_shape(self, cfg, shape, ctx):
        return (product(shape),)

    def import_torch(self, module, r):
        if isinstance(module, r.nn.Flatten) and (module.start_dim, module.end_dim) != (1, -1):
            raise DefinitionError(f"the module '{r.name}' is Flatten(start_dim={module.start_dim}, "
                                  f"end_dim={module.end_dim}); symparams' flatten keeps only the batch axis")
        return super().import_torch(module, r)

    def import_keras(self, layer, r):
        if r.cls(layer) == "Flatten" and getattr(layer, "data_format", "channels_last") != "channels_last":
            raise DefinitionError(f"the Keras layer '{r.name}' flattens channels first; symparams reads channels last")
        return super().import_keras(layer, r)


@register
class Dropout(LayerSpec):
    keywords = ("dropout",)
    pytorch_classes = named("dropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d")
    keras_classes = named("dropout", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D")
    summary = "zeroes a fraction R of the values while training"
    formula = "0"
    arguments = (Arg("rate", RATE),)
    diagram = "plain"

    def emit_torch(self, row, out):
        return f"nn.Dropout({float(row.config.rate)})"

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.Dropout({float(row.config.rate)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"dropout {module.p}" if isinstance(module, r.nn.modules.dropout._DropoutNd) else None

    def import_keras(self, layer, r):
        return f"dropout {layer.rate}" if r.cls(layer) == "Dropout" else None


    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """The mask: one bool per value on GPU (native_dropout); PyTorch's CPU path multiplies by a
        mask in the activations' dtype and keeps that (dtype 'mask' says which, per device).
        A rate of 0 returns its input: nothing kept."""
        if cfg.rate == 0:
            return ()
        return (Saved("own", product(out), dtype="mask"),)

    def output_is_view(self, cfg, shape, out, ctx):
        return cfg.rate == 0

    def output_layout(self, cfg, shape, out, ctx):
        """x * mask keeps x's strides."""
        return None

@register
class Reshape(LayerSpec):
    keywords = ("reshape",)
    pytorch_classes = {}
    keras_classes = named("reshape", "Reshape")
    summary = "the same values in a new shape; one axis may be -1 (inferred)"
    formula = "0"
    arguments = (Arg("shape", DIMS),)
    diagram = "plain"
    torch_helpers = {"Reshape": '''
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
'''}

    def output_shape(self, cfg, shape, ctx):
        target = list(cfg.shape)
        total = product(shape)
        unknown = [i for i, d in enumerate(target) if d == -1]
        if len(unknown) > 1:
            raise DefinitionError("reshape can infer only one axis (-1)")
        for d in target:
            if d != -1 and is_number(d) and not d >= 1:
                raise ShapeError(f"reshape sizes must be at least 1 (or -1 once), got {d}")
        if unknown:
            known = product(d for d in target if d != -1)
            inferred = ratio(total, known)
            if is_exact(inferred) and type(inferred) is not int:
                needs_sympy("a fraction")       # the SymPy derive says it cannot reshape
            if type(inferred) is not int and inferred.is_number and not inferred.is_integer:
                raise ShapeError(f"cannot reshape {len(shape)}-axis input of {total} values into {known}-sized pieces")
            if not is_number(inferred) and inferred.is_integer is not True:
                ctx.constraints.append((MustBeWhole(inferred), Deferred(
                    lambda: f"reshape: {math_text(known)} must divide the {math_text(total)} values")))
            target[unknown[0]] = inferred
        same = equal(product(target), total)
        if same is False:
            raise ShapeError(f"reshape to {'x'.join(map(str, target))} needs {product(target)} values; "
                             f"the input has {total}")
        if same is None:
            ctx.constraints.append((MustBeZero(product(target) - total),
                                    Deferred(lambda: f"reshape: {math_text(product(target))} = "
                                             f"{math_text(total)}")))
        return tuple(target)

    def receptive(self, cfg, shape, out, ctx):
        if len(shape) < 2:
            return "start"          # a vector laid out as an image: its positions start here
        return None if tuple(shape) == tuple(out) else "unknown"

    def emit_torch(self, row, out):
        out.helper(self.torch_helpers, "Reshape")
        target = ints(row.output_shape)
        return f"Reshape({target}, channels_first_in={len(row.input_shape) >= 3}, channels_first_out={len(target) >= 3})"

    def emit_keras(self, row, var, out):
        return out.emit(f"layers.Reshape({ints(row.output_shape)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if r.cls(module) == "Reshape":
            return "reshape " + "x".join(str(int(d)) for d in module.shape)
        return None

    def import_keras(self, layer, r):
        if r.cls(layer) == "Reshape":
            return "reshape " + "x".join(str(int(d)) for d in layer.target_shape)
        return None


    def output_is_view(self, cfg, shape, out, ctx):
        """A sequence or vector reshapes in place; a channels-first image is copied to channels last."""
        return len(shape) <= 2

@register
class ZeroPad(LayerSpec):
    keywords = ("zeropad", "zeropad1d", "zeropad2d", "zeropad3d")
    pytorch_classes = by_rank("zeropad", "ZeroPad{}d")
    keras_classes = by_rank("zeropad", "ZeroPadding{}D")
    spatial_rank_of = {"zeropad1d": 1, "zeropad2d": 2, "zeropad3d": 3}
    summary = "P zeros on both sides of each spatial axis (after=Q: P before and Q after, Keras ((P, Q), ...))"
    formula = "0"
    arguments = (Arg("padding", NONNEG_WINDOW),)
    options = {"after": Opt(NONNEG_WINDOW, None)}
    min_rank = 2
    diagram = "plain"

    def kind_name(self, keyword, shape):
        return f"zeropad{len(shape) - 1}d"

    def receptive(self, cfg, shape, out, ctx):
        return tuple((integer(1), integer(1), p) for p in cfg.padding)

    def output_shape(self, cfg, shape, ctx):
        after = cfg.after if cfg.after is not None else cfg.padding
        return tuple(s + p + q for s, p, q in zip(shape[:-1], cfg.padding, after)) + (shape[-1],)

    def emit_torch(self, row, out):
        cfg = row.config
        after = cfg.get("after") or cfg.padding
        return out.wrap(row, out.pad_module(len(row.input_shape) - 1, ints(cfg.padding), ints(after), 0.0))

    def emit_keras(self, row, var, out):
        cfg, n = row.config, len(row.input_shape) - 1
        after = cfg.get("after") or cfg.padding
        pads = tuple(zip(ints(cfg.padding), ints(after)))
        return out.emit(f"layers.ZeroPadding{n}D({pads if n > 1 else pads[0]}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        if not isinstance(module, r.nn.modules.padding._ConstantPadNd):
            return None
        pads = list(module.padding)
        if any(p < 0 for p in pads) and float(module.value) != 0.0:
            raise DefinitionError(f"the module '{r.name}' ({r.cls(module)}{tuple(pads)}, value={module.value}) pads "
                                  "by a negative amount with a value other than 0; symparams reads a crop and zeros")
        before = [pads[i] for i in range(len(pads) - 2, -1, -2)]
        after = [pads[i + 1] for i in range(len(pads) - 2, -1, -2)]
        # a negative amount crops (PyTorch's F.pad): the crop first, as its own line, then the zeros
        cut = [max(-p, 0) for p in before], [max(-q, 0) for q in after]
        grow = [max(p, 0) for p in before], [max(q, 0) for q in after]
        lines = []
        if any(cut[0] + cut[1]):
            lines.append(f"cropping {window(cut[0])}" + (f" after={window(cut[1])}" if cut[0] != cut[1] else ""))
        if any(grow[0] + grow[1]) or not lines:
            lines.append(f"zeropad {window(grow[0])}" + (f" after={window(grow[1])}" if grow[0] != grow[1] else ""))
        if len(lines) == 2:
            lines[0] += f" name={r.name}_crop"
        return "\n".join(lines)

    def import_keras(self, layer, r):
        if not r.cls(layer).startswith("ZeroPadding"):
            return None
        pads = layer.padding
        pads = pads if isinstance(pads[0], (tuple, list)) else (pads,)
        before, after = [p[0] for p in pads], [p[1] for p in pads]
        return f"zeropad {window(before)}" + (f" after={window(after)}" if before != after else "")

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence the export runs it channels first between two transposes: a strided view."""
        return "strided" if len(shape) == 2 else "contiguous"


class _CopyPad(ZeroPad):
    """Padding that copies the map's own cells instead of zeros (PyTorch's ReflectionPad / ReplicationPad:
    style-transfer and CycleGAN generators): the shapes and the (absent) weights of zeropad. Keras has no
    such layer."""
    keras_classes = {}
    unsupported = {"keras": "Keras has no reflection or replication padding layer"}
    mode = ""           # PyTorch's class stem: Reflection, Replication
    reflect = False     # reflection reads cells up to P away from the edge: P must be below the axis' size

    def kind_name(self, keyword, shape):
        return f"{self.keywords[0]}{len(shape) - 1}d"

    def output_shape(self, cfg, shape, ctx):
        if self.reflect:
            for size, p, q in zip(shape[:-1], cfg.padding, cfg.after if cfg.after is not None else cfg.padding):
                for pad in (p, q):
                    if is_number(size - pad) and size - pad <= 0:
                        raise ShapeError(f"{self.keywords[0]} {pad}: reflection padding must be below the axis' "
                                         f"size {size}")
        return super().output_shape(cfg, shape, ctx)

    def emit_torch(self, row, out):
        cfg = row.config
        after = cfg.get("after") or cfg.padding
        pads = []
        for p, q in reversed(list(zip(ints(cfg.padding), ints(after)))):
            pads += [p, q]
        return out.wrap(row, f"nn.{self.mode}Pad{len(row.input_shape) - 1}d({tuple(pads)})")

    def saved_activations(self, cfg, shape, out, ctx, style="pytorch"):
        """Its input: Reflection/ReplicationPad's backward keeps self (the input, or the channels-first view of
        it on a sequence: the same storage) to scatter the gradient of the copied cells back; recorded only when
        the input needs a gradient (the layer has no weights)."""
        return (Saved("input", for_input_grad=True),)

    def import_torch(self, module, r):
        if type(module).__name__ not in {f"{self.mode}Pad{n}d" for n in (1, 2, 3)}:
            return None
        pads = list(module.padding)
        before = [pads[i] for i in range(len(pads) - 2, -1, -2)]
        after = [pads[i + 1] for i in range(len(pads) - 2, -1, -2)]
        return f"{self.keywords[0]} {window(before)}" + (f" after={window(after)}" if before != after else "")


@register
class ReflectPad(_CopyPad):
    keywords = ("reflectpad", "reflectpad1d", "reflectpad2d", "reflectpad3d")
    pytorch_classes = by_rank("reflectpad", "ReflectionPad{}d")
    spatial_rank_of = {"reflectpad1d": 1, "reflectpad2d": 2, "reflectpad3d": 3}
    summary = "P cells mirrored at both sides of each spatial axis (PyTorch's ReflectionPad; P below the size)"
    mode, reflect = "Reflection", True


@register
class ReplicatePad(_CopyPad):
    keywords = ("replicatepad", "replicatepad1d", "replicatepad2d", "replicatepad3d")
    pytorch_classes = by_rank("replicatepad", "ReplicationPad{}d")
    spatial_rank_of = {"replicatepad1d": 1, "replicatepad2d": 2, "replicatepad3d": 3}
    summary = "the edge cell repeated P times at both sides of each spatial axis (PyTorch's ReplicationPad)"
    mode = "Replication"


@register
class Upsample(LayerSpec):
    keywords = ("upsample", "upsample1d", "upsample2d", "upsample3d")
    pytorch_classes = named("upsample", "Upsample")
    keras_classes = by_rank("upsample", "UpSampling{}D")
    spatial_rank_of = {"upsample1d": 1, "upsample2d": 2, "upsample3d": 3}
    summary = "repeat each position S times along each spatial axis (nearest neighbour)"
    formula = "0"
    arguments = (Arg("size", WINDOW, required=False, default=2),)
    min_rank = 2
    diagram = "plain"

    def kind_name(self, keyword, shape):
        return f"upsample{len(shape) - 1}d"

    def output_shape(self, cfg, shape, ctx):
        return tuple(s * f for s, f in zip(shape[:-1], cfg.size)) + (shape[-1],)

    def receptive(self, cfg, shape, out, ctx):
        """Each output position copies one input position: the stride shrinks by the factor."""
        return tuple((integer(1), 1 / f, integer(0)) for f in cfg.size)

    def emit_torch(self, row, out):
        return out.wrap(row, f"nn.Upsample(scale_factor={ints(row.config.size)}, mode=\"nearest\")")

    def emit_keras(self, row, var, out):
        n = len(row.input_shape) - 1
        return out.emit(f"layers.UpSampling{n}D({window_text(row.config.size)}, {out.tag(row)})", var, row)

    def import_torch(self, module, r):
        return f"upsample {window(module.scale_factor)}" if isinstance(module, r.nn.Upsample) else None

    def import_keras(self, layer, r):
        return f"upsample {window(layer.size)}" if r.cls(layer).startswith("UpSampling") else None

    def output_layout(self, cfg, shape, out, ctx):
        """On a sequence the export runs it channels first between two transposes: a strided view."""
        return "strided" if len(shape) == 2 else "contiguous"


@register
class Identity(_View):
    keywords = ("identity",)
    pytorch_classes = named("identity", "Identity")
    keras_classes = named("identity", "Identity")
    summary = "passes its input through"
    framework_name = "Identity"


TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "leaky_relu": "nn.LeakyReLU(0.2)", "leakyrelu": "nn.LeakyReLU(0.2)",
    "elu": "nn.ELU()", "selu": "nn.SELU()", "gelu": "nn.GELU()", "silu": "nn.SiLU()", "swish": "nn.SiLU()",
    "mish": "nn.Mish()", "sigmoid": "nn.Sigmoid()", "hard_sigmoid": "nn.Hardsigmoid()", "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim={dim})", "log_softmax": "nn.LogSoftmax(dim={dim})", "softplus": "nn.Softplus()",
    "softsign": "nn.Softsign()", "hard_swish": "nn.Hardswish()", "hardswish": "nn.Hardswish()",
    "exponential": "Exp()", "abs": "Abs()", "linear": "nn.Identity()",
}
# PyTorch class -> DSL word (the importer's reading of the table above)
TORCH_CLASSES = {
    "ReLU": "relu", "ReLU6": "relu6", "LeakyReLU": "leaky_relu", "ELU": "elu", "SELU": "selu", "GELU": "gelu",
    "SiLU": "silu", "Mish": "mish", "Sigmoid": "sigmoid", "Hardsigmoid": "hard_sigmoid", "Tanh": "tanh",
    "Softmax": "softmax", "LogSoftmax": "log_softmax", "Softplus": "softplus", "Softsign": "softsign",
    "Hardswish": "hard_swish", "Exp": "exponential", "Abs": "abs",
    # timm's GELU with the tanh approximation: the same function to a count (no weights, one value per value,
    # its input kept for the backward pass as nn.GELU(approximate='tanh') keeps it, which also reads as gelu)
    "GELUTanh": "gelu",
}
KERAS_NAMES = {"leakyrelu": "leaky_relu", "hardswish": "hard_swish"}     # DSL word -> Keras name
KERAS_MISSING = {"abs": "keras.activations has no abs"}                    # DSL words Keras has no activation for
KERAS_WORDS = {"hard_silu": "hard_swish", "leaky_relu": "leaky_relu"}    # Keras name -> DSL word


@register
class Activation(LayerSpec):
    keywords = ACTIVATIONS + ("leakyrelu", "hardswish", "activation")
    pytorch_classes = {k: w for k, w in TORCH_CLASSES.items() if k not in ("Exp", "Abs", "GELUTanh")}   # torch.nn's own
    keras_classes = {"Activation": "activation", "ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu",
                     "Softmax": "softmax"}
    summary = "an element-wise activation function (relu, softmax, ...)"
    formula = "0"
    # leaky_relu's slope for negative inputs: no count hangs on it, the function does (PyTorch's LeakyReLU defaults to
    # 0.01, Keras' LeakyReLU layer to 0.3, the word leaky_relu is keras.activations.leaky_relu's 0.2)
    options = {"slope": Opt(NUMBER, None, doc="leaky_relu's slope for negative inputs (absent: 0.2, as "
                                              "keras.activations.leaky_relu; PyTorch's nn.LeakyReLU is 0.01)")}
    takes_activation = True
    diagram = "plain"
    torch_helpers = {"Exp": '''
class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)
''', "Abs": '''
class Abs(nn.Module):
    def forward(self, x):
        return torch.abs(x)
'''}

    def configure(self, cfg, shape, ctx):
        if cfg.keyword == "activation" and not cfg.activation:
            raise DefinitionError("'activation' needs a function, e.g. 'activation relu'")
        if cfg.keyword != "activation":
            cfg["activation"] = cfg.keyword
        if cfg.get("slope") is not None and cfg.activation not in ("leaky_relu", "leakyrelu"):
            raise DefinitionError(f"slope= is leaky_relu's slope for negative inputs; {cfg.activation} has none")

    def kind_name(self, keyword, shape):
        return keyword

    # -- the activation table, also used for activations fused into other layers --------
    def torch_activation(self, name: str, channel_dim: int, out) -> str:
        text = TORCH_ACTIVATIONS[name]
        helper = text.split("(")[0]
        if helper in self.torch_helpers:            # no nn module of its own: a small helper class
            out.helper(self.torch_helpers, helper)
        return text.format(dim=channel_dim)

    def keras_activation(self, name: str) -> str:
        if name in KERAS_MISSING:
            raise DefinitionError(f"the activation {name} has no Keras name ({KERAS_MISSING[name]}); it is "
                                  "exported to PyTorch only")
        return KERAS_NAMES.get(name, name)

    def torch_word(self, module) -> str | None:
        """The DSL word of a PyTorch activation module, or None."""
        return TORCH_CLASSES.get(type(module).__name__)

    def keras_word(self, layer) -> str:
        """' word' of a Keras layer's fused activation ('' for none or linear)."""
        fn = getattr(layer, "activation", None)
        name = getattr(fn, "__name__", None)
        if fn is None or name == "linear":
            return ""
        word = KERAS_WORDS.get(name, name)
        if word not in ACTIVATIONS:         # a lambda, a custom function: no DSL word
            raise DefinitionError(f"the Keras layer '{layer.name}' has the activation {str(name or fn)[:60]!r}, "
                                  "which symparams has no word for")
        return " " + word

    def emit_torch(self, row, out):
        if row.config.get("slope") is not None:
            return f"nn.LeakyReLU({float(row.config.slope)!r})"
        return self.torch_activation(row.activation, 1 if len(row.input_shape) >= 3 else -1, out)

    def emit_keras(self, row, var, out):
        if row.config.get("slope") is not None:
            return out.emit(f"layers.LeakyReLU(negative_slope={float(row.config.slope)!r}, {out.tag(row)})", var, row)
        return out.emit(f'layers.Activation("{self.keras_activation(row.activation)}", {out.tag(row)})', var, row)

    @staticmethod
    def slope_option(module) -> str:
        """' slope=X' for a LeakyReLU module or layer whose slope is not the word leaky_relu's 0.2; '' otherwise."""
        slope = getattr(module, "negative_slope", None)
        return "" if slope is None or float(slope) == 0.2 else f" slope={float(slope)!r}"

    def import_torch(self, module, r):
        word = self.torch_word(module)
        return word + self.slope_option(module) if word == "leaky_relu" else word

    def import_keras(self, layer, r):
        cls = r.cls(layer)
        if cls == "Activation":
            return self.keras_word(layer).strip() or "linear"
        if cls == "ReLU":
            if layer.max_value not in (None, 6) or layer.negative_slope or layer.threshold:
                raise DefinitionError(f"the Keras layer '{layer.name}' is ReLU(max_value={layer.max_value}, "
                                      f"negative_slope={layer.negative_slope}, threshold={layer.threshold}); "
                                      "symparams has relu and relu6")
            return "relu6" if layer.max_value == 6 else "relu"
        if cls == "LeakyReLU":         # Keras' layer defaults to 0.3, the word to 0.2
            return "leaky_relu" + self.slope_option(layer)
        return None

    def output_is_view(self, cfg, shape, out, ctx):
        """The layer itself passes its input on; function_saves() says what the function keeps."""
        return True

    def output_layout(self, cfg, shape, out, ctx):
        return None

    # What autograd keeps for each function (measured on PyTorch's modules, as exported): its
    # result, its input, or its input and one more tensor of the same size.
    SAVES_OUTPUT = frozenset({"relu", "tanh", "sigmoid", "softmax", "log_softmax", "exponential"})
    SAVES_INPUT_TWICE = frozenset({"softsign"})          # x / (1 + |x|): x and 1 + |x|

    def function_saves(self, name: str, values) -> tuple:
        """Saved entries of the activation function `name` on `values` values (fused or alone)."""
        if not name or name == "linear":
            return ()
        if name in self.SAVES_OUTPUT:
            return (Saved("output"),)
        if name in self.SAVES_INPUT_TWICE:
            return (Saved("input"), Saved("own", values))
        return (Saved("input"),)


ACTIVATION = REGISTRY["activation"]
