"""Folding statements into rows: one layer, a block call, residual, concat/add, repeat.

`Folder.statement` dispatches on the IR node's type through FOLDS; a new statement kind adds its
fold function there (it gets the folder, the statement, the input shape and the scope, and
returns (row, output shape)).
"""

from __future__ import annotations

import functools
from typing import Mapping

from .. import conventions, ir
from ..algebra import equal, is_number
from ..errors import DefinitionError, ShapeError, SymparamsError, did_you_mean, source_lines
from ..layers import REGISTRY
from ..layers.base import Config, Context, Deferred, LayerSpec, MustBeZero, Weight
from ..limits import MAX_BLOCK_DEPTH, MAX_ROWS
from ..wording import math_text
from ..suggestions import call_arguments, framework_class, layer_called, layer_hint, python_hint
from . import tensors
from .binding import Binder, located
from .budget import LeastRows, too_many_rows
from .repeats import fold_repeat
from .rows import ADD, BLOCK, PATH, RESIDUAL, Layer, shape_text, total
from .scopes import Globals, Scope



class Folder:
    """One pass over a program: the fold from statements to rows."""

    def __init__(self, program: ir.Program, convention: str, values: Mapping[str, int], unroll: bool):
        self.program = program
        self.unroll = unroll
        self.ctx = Context(convention=conventions.check(convention))
        self.names = Globals(program, values)
        self.binder = Binder(self.names, self.ctx)
        self.counters: dict[str, int] = {}
        self.has_input = False
        self.input_line: tuple | None = None    # (shape, line) of the input, until a channels-first check ran
        self.rows_made = 0          # bounded by MAX_ROWS

    def run(self):
        """(rows, output shape) of the whole program."""
        self.names.collect()
        LeastRows(self.names, self.unroll).check(self.program.statements)
        return self.statements(self.program.statements, None, Scope())

    # -- state a closed form may roll back ------------------------------------------------
    def save(self):
        return self.counters.copy(), list(self.ctx.constraints), list(self.ctx.warnings)

    def restore(self, state):
        self.counters, self.ctx.constraints, self.ctx.warnings = state

    def auto_name(self, kind: str) -> str:
        self.counters[kind] = number = self.counters.get(kind, 0) + 1
        return f"{kind}_{number}"

    # -- statements -------------------------------------------------------------------
    def statements(self, stmts, shape, scope: Scope):
        rows = []
        for stmt in stmts:
            if isinstance(stmt, ir.Let):
                if not scope.top_level:
                    raise DefinitionError("'let' belongs at the top level of the file",
                                          line=stmt.pos.line, column=stmt.pos.column)
                continue
            if isinstance(stmt, ir.BlockDef):
                if not scope.top_level:
                    raise DefinitionError("blocks are defined at the top level of the file",
                                          line=stmt.pos.line, column=stmt.pos.column)
                continue
            try:
                row, shape = self.statement(stmt, shape, scope)
            except SymparamsError as exc:
                raise located(exc, stmt.pos)
            rows.append(row)
            self.rows_made += 1
            if self.rows_made > MAX_ROWS:
                raise located(too_many_rows("the network"), stmt.pos)
        return rows, shape

    def statement(self, stmt, shape, scope: Scope):
        fold = FOLDS.get(type(stmt))
        if fold is None:
            raise TypeError(stmt)  # pragma: no cover - the grammar makes no other statements
        if shape is None and fold not in _MAY_COME_FIRST:
            raise DefinitionError("the network needs an 'input' line before its first layer",
                                  line=stmt.pos.line, column=stmt.pos.column)
        return fold(self, stmt, shape, scope)


# ----------------------------------------------------------------------------- one layer

def fold_layer(folder: Folder, stmt: ir.LayerStmt, shape, scope: Scope):
    if stmt.keyword not in REGISTRY and stmt.keyword in folder.names.blocks:
        call = ir.Call(stmt.keyword, tuple(a.parts[0] if len(a.parts) == 1 else a for a in stmt.args), (),
                       stmt.options, stmt.pos)
        return fold_call(folder, call, shape, scope)
    spec = REGISTRY.get(stmt.keyword)
    if spec is None:
        line = source_lines(folder.program.source)[stmt.pos.line - 1] if folder.program.source else ""
        rest = line[stmt.pos.column - 1 + len(stmt.keyword):].split("#")[0].split(";")[0]
        hint = layer_hint(stmt.keyword, folder.names.blocks, rest)
        raise DefinitionError(f"unknown layer '{stmt.keyword}'", line=stmt.pos.line, column=stmt.pos.column,
                              end_column=stmt.pos.column + len(stmt.keyword), hint=hint)
    ctx = folder.ctx
    is_input = getattr(spec, "is_input", False)
    if is_input:
        if (folder.has_input or shape is not None) and stmt.alias is None:
            raise DefinitionError("the network already has an input; only one 'input' line is allowed",
                                  hint="a second input is named: 'input S as NAME'")
        folder.has_input = True
    elif shape is None:
        raise DefinitionError("the network needs an 'input' line before its first layer")
    else:
        _check_rank(spec, stmt, shape)
        if folder.input_line is not None and spec.diagram in ("conv", "pool") and len(shape) == 3:
            _channels_first(folder, stmt, shape)
    cfg = folder.binder.configure(spec, stmt, shape, scope)
    if is_input and stmt.alias is not None:
        cfg["alias"] = stmt.alias       # 'input S as NAME': the exporters name the model's argument after it
    in_shape = shape if shape is not None else ()
    kind = spec.kind_name(stmt.keyword, in_shape) if not is_input else "input"
    name = cfg.get("name") or folder.auto_name(kind)
    first = len(ctx.constraints)
    try:
        spec.configure(cfg, in_shape, ctx)
        out = tuple(spec.output_shape(cfg, in_shape, ctx))
        weights = tuple(spec.weights(cfg, in_shape, ctx))
    except ShapeError as exc:     # name the layer: "conv2d_3 (line 7): kernel 7x7 does not fit ..."
        exc.message = f"{name} (line {stmt.pos.line}): {exc.message}"
        exc.args = (exc.message,)
        raise
    if len(ctx.constraints) > first:
        ctx.constraints[first:] = [(e, Deferred(functools.partial("{}: {}".format, name, m)))
                                   for e, m in ctx.constraints[first:]]
    if cfg.get("reuse") is not None:
        weights = reused(ctx, cfg["reuse"], kind, weights, stmt)
    elif cfg.get("trainable") is False:
        weights = frozen(weights, kind, stmt)
    if cfg.get("frozen"):
        weights = frozen_some(weights, cfg, kind, stmt)
    if weights:
        ctx.layer_weights[name] = (kind, weights)
    for w in weights:
        for d in w.shape:
            if type(d) is not int and d.is_number and not d.is_integer:
                raise DefinitionError(f"{kind}: weight '{w.name}' would have a fractional size {d}")
    tensors.name_input(folder, stmt, out)
    if is_input and stmt.alias is None and len(out) == 3:
        folder.input_line = (out, stmt.pos.line)
    row = Layer(name=name, kind=kind, line=stmt.pos.line, column=stmt.pos.column, input_shape=in_shape,
                output_shape=out, weights=weights, config=cfg, activation=cfg.get("activation"))
    return row, out


def reused(ctx, target: str, kind: str, weights: tuple, stmt) -> tuple:
    """`reuse=NAME`: the layer runs the weights of the earlier layer NAME again (a PyTorch module called
    twice, a Keras layer shared), so it adds none of its own; its compute and activations are its own.
    NAME must be the same kind with weights of the same shapes."""
    where = {"line": stmt.pos.line, "column": stmt.pos.column}
    if target not in ctx.layer_weights:
        raise DefinitionError(f"{kind} reuse={target}: no layer with weights named '{target}' comes before it",
                              hint=did_you_mean(target, list(ctx.layer_weights)) or
                              f"name the layer whose weights are reused: '... name={target}'", **where)
    theirs, their_weights = ctx.layer_weights[target]
    shapes = [tuple(w.shape) for w in weights]
    if theirs != kind or shapes != [tuple(w.shape) for w in their_weights]:
        def text(ws):
            return ", ".join(" x ".join(str(d) for d in w.shape) for w in ws) or "none"
        raise DefinitionError(f"{kind} reuse={target}: '{target}' is a {theirs} with weights {text(their_weights)}, "
                              f"this layer's would be {text(weights)}; a reused layer must be the same", **where)
    return ()


def frozen(weights: tuple, kind: str, stmt) -> tuple:
    """`trainable=false`: the layer's parameters are kept but not trained (PyTorch requires_grad=False,
    Keras trainable=False); buffers stay buffers. A kind without parameters has nothing to freeze."""
    if not any(not w.buffer for w in weights):
        raise DefinitionError(f"{kind} has no weights to freeze; trainable=false is for layers with weights",
                              line=stmt.pos.line, column=stmt.pos.column)
    return tuple(w if w.buffer else Weight(w.name, w.shape, trainable=False) for w in weights)


# the words PyTorch and Keras give the same weight (a layer's matrix or kernel; a norm's scale and shift), so
# either names it in either convention
_WEIGHT_WORDS = {"weight": ("kernel", "gamma"), "kernel": ("weight",), "gamma": ("weight",), "beta": ("bias",),
                 "bias": ("beta",)}


def frozen_some(weights: tuple, cfg, kind: str, stmt) -> tuple:
    """`frozen=NAME` / `frozen=(A, B)`: those weights of the layer are kept but not trained (PyTorch's
    requires_grad=False on one parameter, Keras' variable.trainable = False), the others are trained. A name
    is one of the layer's weights under the file's convention (`weight`/`kernel`/`gamma` and `bias`/`beta` name
    the same one in either)."""
    where = {"line": stmt.pos.line, "column": stmt.pos.column}
    if cfg.get("trainable") is False or cfg.get("reuse") is not None:
        other = "trainable=false already freezes every weight" if cfg.get("trainable") is False else \
            "reuse= runs another layer's weights, frozen where that layer says"
        raise DefinitionError(f"{kind}: frozen= with {other}", **where)
    own = [w.name for w in weights if not w.buffer]
    chosen = set()
    for name in cfg["frozen"]:
        found = name if name in own else next((w for w in _WEIGHT_WORDS.get(name, ()) if w in own), None)
        if found is None:
            raise DefinitionError(f"{kind} frozen={name}: the layer has no weight '{name}'; its weights are "
                                  f"{', '.join(own) or 'none'}", hint=did_you_mean(name, own), **where)
        chosen.add(found)
    return tuple(Weight(w.name, w.shape, trainable=False) if w.name in chosen else w for w in weights)


def frozen_in(row, convention: str) -> tuple | None:
    """The names of `row`'s frozen= weights as `convention` names them (the exporters' target), paired with
    the file's weights by position; None when the two conventions lay the weights out differently there
    (PyTorch's LSTM has two bias vectors per gate where Keras has one)."""
    if not (row.config and row.config.get("frozen")):
        return ()
    spec = REGISTRY[row.config["keyword"]]
    try:
        theirs = [w for w in spec.weights(row.config, row.input_shape, Context(convention=convention)) if not w.buffer]
    except SymparamsError:
        return None
    mine = [w for w in row.weights if not w.buffer]
    if len(theirs) != len(mine) or any(equal(a.size, b.size) is not True for a, b in zip(mine, theirs)):
        return None
    return tuple(t.name for m, t in zip(mine, theirs) if not m.trainable)


def _channels_first(folder: Folder, stmt: ir.LayerStmt, shape):
    """'input 3x32x32' read by a 2-D convolution or pooling: PyTorch's C x H x W, which symparams
    reads as 3 rows of 32 x 32 values with 32 channels. Said once, naming the channels-last form
    (a few channels first and many last is never a real image layout)."""
    first, line = folder.input_line
    folder.input_line = None
    if shape != first:
        return
    channels, height, width = shape
    few = [is_number(d) and d <= 4 for d in shape]
    if not (is_number(channels) and few[0]) or few[1] or few[2]:
        return
    times = "x" if all(is_number(d) for d in shape) else " x "
    last = times.join(map(str, (height, width, channels)))
    folder.ctx.warn(f"'input {times.join(map(str, shape))}' (line {line}) looks channels-first, as PyTorch "
                    f"writes an image (C x H x W); symparams reads H x W x C, so {stmt.keyword} (line "
                    f"{stmt.pos.line}) sees {width} channels: write 'input {last}'")


_DESCRIBED = {1: "a vector", 2: "a sequence (T x D)", 3: "an image (H x W x C)", 4: "a volume (D x H x W x C)"}


def _check_rank(spec: LayerSpec, stmt: ir.LayerStmt, shape):
    rank = len(shape)
    need = spec.spatial_rank_of.get(stmt.keyword)

    def gets():     # printed only for an error: formatting every shape is most of a derive's time
        return f"{_DESCRIBED.get(rank, f'a rank-{rank} tensor')} of shape {shape_text(shape)}"

    if need is not None and rank != need + 1:
        hint = None
        if rank == need:        # 'input 28x28' before conv2d: a grayscale image without its channel axis
            sizes = " x ".join(shape_text((d,)) for d in shape)
            hint = f"is the channel axis missing? a one-channel image is {sizes} x 1 (as in 'input 28x28x1')"
        raise ShapeError(f"{stmt.keyword} needs a {need}-D input with channels ({need + 1} axes); it gets {gets()}",
                         hint=hint)
    if rank < spec.min_rank:
        raise ShapeError(f"{stmt.keyword} needs an input with spatial axes and channels (like H x W x C); "
                         f"it gets {gets()}", hint="did a 'flatten' or a dense layer come too early?")
    if spec.max_rank is not None and rank > spec.max_rank:
        if stmt.keyword == "embedding":
            raise ShapeError(f"embedding takes token ids (input T); it gets {gets()}")
        raise ShapeError(f"{stmt.keyword} takes at most {spec.max_rank} axes; it gets {gets()}")


# ----------------------------------------------------------------------------- composites

def fold_call(folder: Folder, stmt: ir.Call, shape, scope: Scope):
    names = folder.names
    block = names.blocks.get(stmt.block)
    if block is None:
        if stmt.block in REGISTRY or framework_class(stmt.block):
            raise _layer_called(folder, stmt)
        hint = python_hint(stmt.block) or did_you_mean(stmt.block, list(names.blocks)) or (
            f"define it first with 'block {stmt.block}(...) {{ ... }}'")
        raise DefinitionError(f"unknown block '{stmt.block}'", hint=hint)
    if shape is None:
        raise DefinitionError("the network needs an 'input' line before its first layer")
    if stmt.block in scope.block_stack:
        chain = " -> ".join(scope.block_stack + (stmt.block,))
        raise DefinitionError(f"block '{stmt.block}' calls itself ({chain}); recursion is not allowed")
    if len(scope.block_stack) >= MAX_BLOCK_DEPTH:
        raise DefinitionError(f"blocks nested more than {MAX_BLOCK_DEPTH} deep")
    params = block.params
    if len(stmt.args) > len(params):
        raise DefinitionError(f"block '{block.name}' takes {len(params)} argument"
                              f"{'' if len(params) == 1 else 's'} ({', '.join(params)}), got {len(stmt.args)}")
    bound = {}
    for name, node in zip(params, stmt.args):
        bound[name] = names.argument(node, scope)
    for name, node, pos in stmt.kwargs:
        if name not in params:
            raise DefinitionError(f"block '{block.name}' has no parameter '{name}'", line=pos.line,
                                  column=pos.column, hint=did_you_mean(name, params))
        if name in bound:
            raise DefinitionError(f"parameter '{name}' is given twice", line=pos.line, column=pos.column)
        bound[name] = names.argument(node, scope)
    missing = [p for p in params if p not in bound]
    if missing:
        raise DefinitionError(f"block '{block.name}' needs {', '.join(missing)} "
                              f"(it takes {len(params)}: {', '.join(params)})")
    try:
        rows, out = folder.statements(block.body, shape, scope.enter_block(block.name, bound))
    except SymparamsError as exc:
        if exc.hint is None:
            exc.hint = f"in block '{block.name}' called on line {stmt.pos.line}"
        raise
    name = None
    for option in stmt.options:
        if option.name != "name":
            raise DefinitionError(f"a block call takes only name=, not '{option.name}='")
        name = option.value.text if isinstance(option.value, ir.Str) else option.value.word
    row = Layer(name=name or folder.auto_name(block.name), kind=BLOCK, line=stmt.pos.line,
                column=stmt.pos.column, input_shape=shape, output_shape=out, children=tuple(rows),
                config=Config(block=block.name, args=dict(bound)))
    return row, out


def _layer_called(folder: Folder, stmt: ir.Call) -> DefinitionError:
    message, hint = layer_called(stmt.block, call_arguments(folder.program.source, stmt.pos, stmt.block))
    return DefinitionError(message, line=stmt.pos.line, column=stmt.pos.column,
                           end_column=stmt.pos.column + len(stmt.block), hint=hint)


def _path(stmt, name, role, shape, out, rows) -> Layer:
    return Layer(name=name, kind=PATH, line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                 output_shape=out, children=tuple(rows), role=role)


def fold_residual(folder: Folder, stmt: ir.Residual, shape, scope: Scope):
    body_rows, body_out = folder.statements(stmt.body, shape, scope)
    paths = [_path(stmt, "body", "body", shape, body_out, body_rows)]
    short_out = shape
    if stmt.shortcut is not None:
        short_rows, short_out = folder.statements(stmt.shortcut, shape, scope)
        paths.append(_path(stmt, "shortcut", "shortcut", shape, short_out, short_rows))
    _same_shapes(folder.ctx, [body_out, short_out], ["the body", "the shortcut"], RESIDUAL,
                 "a projection shortcut ('shortcut { conv ... }') changes the shortcut's shape")
    row = Layer(name=folder.auto_name(RESIDUAL), kind=RESIDUAL, line=stmt.pos.line, column=stmt.pos.column,
                input_shape=shape, output_shape=body_out, children=tuple(paths))
    return row, body_out


def fold_branches(folder: Folder, stmt: ir.Branches, shape, scope: Scope):
    paths, outs = [], []
    for number, branch in enumerate(stmt.branches, 1):
        rows, out = folder.statements(branch, shape, scope)
        outs.append(out)
        paths.append(_path(stmt, f"branch {number}", "branch", shape, out, rows))
    names = [f"branch {i}" for i in range(1, len(outs) + 1)]
    if stmt.mode == ADD:
        _same_shapes(folder.ctx, outs, names, ADD, None)
        out = outs[0]
    else:
        _same_shapes(folder.ctx, [o[:-1] for o in outs], names, stmt.mode, None, ranks=[len(o) for o in outs],
                     what="all axes but the channels")
        out = outs[0][:-1] + (total([o[-1] for o in outs]),)
    row = Layer(name=folder.auto_name(stmt.mode), kind=stmt.mode, line=stmt.pos.line, column=stmt.pos.column,
                input_shape=shape, output_shape=out, children=tuple(paths))
    return row, out


def _same_shapes(ctx: Context, shapes, names, what_kind, hint, ranks=None, what="shapes"):
    first = shapes[0]
    for name, other in zip(names[1:], shapes[1:]):
        if len(other) != len(first) or (ranks and len(set(ranks)) != 1):
            raise ShapeError(f"{what_kind}: {names[0]} gives {shape_text(shapes[0])} but {name} gives "
                             f"{shape_text(other)} (different ranks)", hint=hint)
        for a, b in zip(first, other):
            same = equal(a, b)
            if same is False:
                raise ShapeError(f"{what_kind}: {names[0]} gives {shape_text(first) or 'a vector'} but {name} "
                                 f"gives {shape_text(other)}; {what} must match", hint=hint)
            if same is None:
                ctx.constraints.append((MustBeZero(a - b), Deferred(lambda a=a, b=b: f"{what_kind}: {math_text(a)} = "
                                                                        f"{math_text(b)}")))


# The fold of each statement kind: fold(folder, stmt, shape, scope) -> (row, output shape). Only a
# layer (the input line) or a block call (which then says what is missing) may come before the input.
FOLDS = {ir.LayerStmt: fold_layer, ir.Call: fold_call, ir.Repeat: fold_repeat, ir.Residual: fold_residual,
         ir.Branches: fold_branches}
_MAY_COME_FIRST = (fold_layer, fold_call)
tensors.install(FOLDS)      # named tensors, mul { } { } and moe (symparams/engine/tensors.py)
