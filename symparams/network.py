"""Folding the IR into layers: output shapes, weights and parameter counts as SymPy expressions.

A Network is the derived view of one program under one convention and one set of values.
`subs` re-derives with values substituted first, so every numeric check (a kernel that does
not fit, a non-positive size) runs on the numbers too.
"""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import sympy
from sympy import Add, Integer

from . import conventions, ir
from .algebra import as_int, ceil_div, equal, floor_div, index_symbol, maximal_value, minimal_value, symbol
from .errors import DefinitionError, ShapeError, SymparamsError, UsageError, did_you_mean
from .expressions import names_in, to_sympy
from .layers import REGISTRY
from .layers.base import (ACTIVATIONS, BOOL, COUNT, DIMS, INTEGER, KERAS, NONNEG_WINDOW, PADDING, RATE, STRING,
                          WINDOW, WORD, Config, Context, Deferred, LayerSpec, Weight, cached_value)
from .syntax import collector_paused, parse_program

MAX_BLOCK_DEPTH = 64
MAX_EXPLICIT_ITERATIONS = 64      # a numeric repeat is iterated explicitly only this far
MAX_UNROLL = 100_000              # unrolled (for export) no further than this many iterations
SYMBOLIC_PEEL = 2                 # iterations tried before looking for a closed form


# ----------------------------------------------------------------------------- rows

_ONE, _ZERO = Integer(1), Integer(0)
_UNBOUND = object()


@dataclass(frozen=True, eq=False)
class Layer:
    """One row of the analysis: a layer, or a composite (block, residual, concat, add, repeat)
    whose children are rows too."""
    name: str
    kind: str
    line: int
    column: int
    input_shape: tuple
    output_shape: tuple
    weights: tuple = ()
    children: tuple = ()
    config: Mapping | None = None
    activation: str | None = None
    count: object = _ONE              # occurrences of this row in its parent (repeat segments)
    index: sympy.Symbol | None = None # a repeat segment in closed form: index runs start .. start+count-1
    start: object = _ZERO
    role: str | None = None           # 'body' / 'shortcut' of a residual, 'branch' of concat/add

    def __init__(self, name, kind, line, column, input_shape, output_shape, weights=(), children=(), config=None,
                 activation=None, count=_ONE, index=None, start=_ZERO, role=None):
        # the fields above, set in one dict update: the dataclass's own __init__ calls the frozen
        # object.__setattr__ once per field, half the cost of a row (there are thousands)
        self.__dict__.update(name=name, kind=kind, line=line, column=column, input_shape=input_shape,
                             output_shape=output_shape, weights=weights, children=children, config=config,
                             activation=activation, count=count, index=index, start=start, role=role)

    @property
    def is_leaf(self) -> bool:
        return not self.children and self.kind not in COMPOSITE_KINDS

    def _own(self, pick) -> sympy.Expr:
        if not self.weights and not self.children:
            return _ZERO
        terms = [w.size for w in self.weights if pick(w)]
        terms += [getattr(c, _TOTAL_OF[pick]) for c in self.children]
        whole = 0
        for t in terms:     # numbers: added as Python ints
            if not isinstance(t, Integer):
                once = Add(*terms)
                break
            whole += t.p
        else:
            once = Integer(whole)
        if self.index is not None:
            end = self.start + self.count - 1
            if once.has(self.index):
                return sympy.summation(once, (self.index, self.start, end))
            return once * self.count
        if isinstance(self.count, Integer):
            if self.count.p == 1:
                return once
            if isinstance(once, Integer):
                return Integer(once.p * self.count.p)
        return once * self.count if self.count != 1 else once

    @cached_value
    def params(self) -> sympy.Expr:
        return self._own(_is_param)

    @cached_value
    def trainable_params(self) -> sympy.Expr:
        return self._own(_is_trainable)

    @cached_value
    def non_trainable_params(self) -> sympy.Expr:
        return self._own(_is_frozen)

    @cached_value
    def buffers(self) -> sympy.Expr:
        return self._own(_is_buffer)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "Layer"]]:
        # depth first, parents before children, with a stack: nested generators passed every row
        # up through one frame per level
        stack = [(depth, self)]
        while stack:
            level, row = stack.pop()
            yield level, row
            if row.children:
                stack.extend((level + 1, child) for child in reversed(row.children))


def _is_param(w: Weight) -> bool:
    return not w.buffer


def _is_trainable(w: Weight) -> bool:
    return w.trainable and not w.buffer


def _is_frozen(w: Weight) -> bool:
    return not w.trainable and not w.buffer


def _is_buffer(w: Weight) -> bool:
    return w.buffer


_TOTAL_OF = {_is_param: "params", _is_trainable: "trainable_params", _is_frozen: "non_trainable_params",
             _is_buffer: "buffers"}

COMPOSITE_KINDS = ("block", "residual", "concat", "add", "repeat", "iteration", "path")


# ----------------------------------------------------------------------------- scopes

@dataclass
class _Scope:
    """Names visible to one statement: block parameters and loop indices, then the globals."""
    local: dict = field(default_factory=dict)
    block_stack: tuple = ()


def _shape_text(shape) -> str:
    return " x ".join(str(d) for d in shape)


def _err_at(exc: SymparamsError, pos: ir.Pos) -> SymparamsError:
    if exc.line is None:
        exc.line, exc.column, exc.end_column = pos.line, pos.column, pos.end_column
    return exc


class _Deriver:
    """One pass over a program: the fold from statements to rows."""

    def __init__(self, program: ir.Program, convention: str, values: Mapping[str, object], unroll: bool):
        self.program = program
        self.convention = conventions.check(convention)
        self.values = dict(values)
        self.unroll = unroll
        self.ctx = Context(convention=self.convention)
        self.counters: dict[str, int] = {}
        self.blocks: dict[str, ir.BlockDef] = {}
        self.lets: dict[str, ir.Let] = {}
        self.env: dict[str, sympy.Expr] = {}
        self.defaults: dict[str, int | None] = {}
        self.aliases: dict[str, sympy.Expr] = {}
        self.used_names: set[str] = set()
        self.has_input = False
        self.configs: dict[tuple, tuple] = {}        # see configure()
        self.names_of: dict[int, tuple] = {}

    # -- names ------------------------------------------------------------------------
    def collect_definitions(self):
        for stmt in self.program.statements:
            if isinstance(stmt, ir.BlockDef):
                if stmt.name in self.blocks:
                    first = self.blocks[stmt.name].pos.line
                    raise DefinitionError(f"block '{stmt.name}' is defined twice (first on line {first})",
                                          line=stmt.pos.line, column=stmt.pos.column)
                if stmt.name in REGISTRY:
                    raise DefinitionError(f"'{stmt.name}' is a layer kind; give the block another name",
                                          line=stmt.pos.line, column=stmt.pos.column)
                if len(set(stmt.params)) != len(stmt.params):
                    raise DefinitionError(f"block '{stmt.name}' names a parameter twice",
                                          line=stmt.pos.line, column=stmt.pos.column)
                self.blocks[stmt.name] = stmt
        for stmt in self.program.statements:
            if isinstance(stmt, ir.Let):
                self._define(stmt)
        unknown = [name for name in self.values if name in self.aliases]
        if unknown:
            name = unknown[0]
            line = self.lets[name].pos.line
            raise DefinitionError(f"'{name}' is an alias for {self.aliases[name]} (line {line}); "
                                  "set the symbols it is made of instead", line=line, column=1)

    def _define(self, stmt: ir.Let):
        if stmt.name in self.lets:
            raise DefinitionError(f"'{stmt.name}' is defined twice (first on line {self.lets[stmt.name].pos.line})",
                                  line=stmt.pos.line, column=stmt.pos.column)
        self.lets[stmt.name] = stmt
        value = to_sympy(stmt.value, self._global_lookup)
        if value.free_symbols or names_in(stmt.value):
            # an alias, also when the names it is made of were given values (then it is a number)
            if value.is_number and not (value.is_integer and value.is_positive):
                raise DefinitionError(f"'{stmt.name}' = {value}, but sizes are positive whole numbers",
                                      line=stmt.pos.line, column=stmt.pos.column)
            self.aliases[stmt.name] = value
            self.env[stmt.name] = value
            return
        if not (value.is_integer and value.is_positive):
            raise DefinitionError(f"'{stmt.name}' must be a positive whole number (every symbol is), got {value}",
                                  line=stmt.pos.line, column=stmt.pos.column)
        self.defaults[stmt.name] = int(value)
        if stmt.name in self.values:
            self.env[stmt.name] = Integer(self.values[stmt.name])
        else:
            self.env[stmt.name] = symbol(stmt.name)

    def _global_lookup(self, name: ir.Name):
        self.used_names.add(name.id)
        if name.id in self.env:
            return self.env[name.id]
        if name.id in self.values:
            return Integer(self.values[name.id])
        if name.id in self.blocks:
            raise DefinitionError(f"'{name.id}' is a block, not a number", line=name.pos.line, column=name.pos.column)
        return symbol(name.id)

    def lookup(self, scope: _Scope):
        def find(name: ir.Name):
            if name.id in scope.local:
                return scope.local[name.id]
            return self._global_lookup(name)
        return find

    def expr(self, node: ir.Expr, scope: _Scope):
        # a literal or a lone name (most sizes) as to_sympy gives it, without its closures
        if type(node) is ir.Num and node.value.bit_length() <= 64:
            return Integer(node.value)
        if type(node) is ir.Name:
            return scope.local[node.id] if node.id in scope.local else self._global_lookup(node)
        return to_sympy(node, self.lookup(scope))

    # -- statements -------------------------------------------------------------------
    def statements(self, stmts, shape, scope: _Scope):
        rows = []
        for stmt in stmts:
            if isinstance(stmt, ir.Let):
                if scope.block_stack or scope.local:
                    raise DefinitionError("'let' belongs at the top level of the file",
                                          line=stmt.pos.line, column=stmt.pos.column)
                continue
            if isinstance(stmt, ir.BlockDef):
                if scope.block_stack or scope.local:
                    raise DefinitionError("blocks are defined at the top level of the file",
                                          line=stmt.pos.line, column=stmt.pos.column)
                continue
            try:
                row, shape = self.statement(stmt, shape, scope)
            except SymparamsError as exc:
                raise _err_at(exc, stmt.pos)
            rows.append(row)
        return rows, shape

    def statement(self, stmt, shape, scope):
        if isinstance(stmt, ir.LayerStmt):
            if stmt.keyword not in REGISTRY and stmt.keyword in self.blocks:
                call = ir.Call(stmt.keyword, tuple(a.parts[0] for a in stmt.args if len(a.parts) == 1), (),
                               stmt.options, stmt.pos)
                return self.call(call, shape, scope)
            return self.layer(stmt, shape, scope)
        if isinstance(stmt, ir.Call):
            return self.call(stmt, shape, scope)
        if shape is None:
            raise DefinitionError("the network needs an 'input' line before its first layer",
                                  line=stmt.pos.line, column=stmt.pos.column)
        if isinstance(stmt, ir.Repeat):
            return self.repeat(stmt, shape, scope)
        if isinstance(stmt, ir.Residual):
            return self.residual(stmt, shape, scope)
        if isinstance(stmt, ir.Branches):
            return self.branches(stmt, shape, scope)
        raise TypeError(stmt)  # pragma: no cover

    # -- one layer --------------------------------------------------------------------
    def layer(self, stmt: ir.LayerStmt, shape, scope):
        spec = REGISTRY.get(stmt.keyword)
        if spec is None:
            choices = list(REGISTRY) + list(self.blocks)
            hint = did_you_mean(stmt.keyword, choices) or "see 'symparams layers' for every layer kind"
            raise DefinitionError(f"unknown layer '{stmt.keyword}'", line=stmt.pos.line, column=stmt.pos.column,
                                  end_column=stmt.pos.column + len(stmt.keyword), hint=hint)
        is_input = getattr(spec, "is_input", False)
        if is_input:
            if self.has_input or shape is not None:
                raise DefinitionError("the network already has an input; only one 'input' line is allowed")
            self.has_input = True
        elif shape is None:
            raise DefinitionError("the network needs an 'input' line before its first layer")
        else:
            self._check_rank(spec, stmt, shape)
        cfg = self.configure(spec, stmt, shape, scope)
        in_shape = shape if shape is not None else ()
        kind = spec.kind_name(stmt.keyword, in_shape) if not is_input else "input"
        name = cfg.get("name") or self._auto_name(kind)
        first = len(self.ctx.constraints)
        try:
            spec.configure(cfg, in_shape, self.ctx)
            out = tuple(spec.output_shape(cfg, in_shape, self.ctx))
            weights = tuple(spec.weights(cfg, in_shape, self.ctx))
        except ShapeError as exc:     # name the layer: "conv2d_3 (line 7): kernel 7x7 does not fit ..."
            exc.message = f"{name} (line {stmt.pos.line}): {exc.message}"
            exc.args = (exc.message,)
            raise
        if len(self.ctx.constraints) > first:
            self.ctx.constraints[first:] = [(e, Deferred(functools.partial("{}: {}".format, name, m)))
                                            for e, m in self.ctx.constraints[first:]]
        for w in weights:
            for d in w.shape:
                if d.is_number and not d.is_integer:
                    raise DefinitionError(f"{kind}: weight '{w.name}' would have a fractional size {d}")
        row = Layer(name=name, kind=kind, line=stmt.pos.line, column=stmt.pos.column, input_shape=in_shape,
                    output_shape=out, weights=weights, config=cfg, activation=cfg.get("activation"))
        return row, out

    def _auto_name(self, kind: str) -> str:
        self.counters[kind] = number = self.counters.get(kind, 0) + 1
        return f"{kind}_{number}"

    def _check_rank(self, spec: LayerSpec, stmt: ir.LayerStmt, shape):
        rank = len(shape)
        need = spec.spatial_rank_of.get(stmt.keyword)
        described = {1: "a vector", 2: "a sequence (T x D)", 3: "an image (H x W x C)", 4: "a volume (D x H x W x C)"}
        def gets():     # printed only for an error: formatting every shape is most of a derive's time
            return f"{described.get(rank, f'a rank-{rank} tensor')} of shape {_shape_text(shape)}"

        if need is not None and rank != need + 1:
            raise ShapeError(f"{stmt.keyword} needs a {need}-D input with channels ({need + 1} axes); it gets {gets()}")
        if rank < spec.min_rank:
            raise ShapeError(f"{stmt.keyword} needs an input with spatial axes and channels (like H x W x C); "
                             f"it gets {gets()}", hint="did a 'flatten' or a dense layer come too early?")
        if spec.max_rank is not None and rank > spec.max_rank:
            if stmt.keyword == "embedding":
                raise ShapeError(f"embedding takes token ids (input T); it gets {gets()}")
            raise ShapeError(f"{stmt.keyword} takes at most {spec.max_rank} axes; it gets {gets()}")

    # -- arguments ------------------------------------------------------------------------
    def configure(self, spec: LayerSpec, stmt: ir.LayerStmt, shape, scope) -> Config:
        """The resolved arguments, remembered within this derive: a statement in a block or
        repeat body resolves to the same values whenever its spatial rank and the local names it
        mentions (block parameters, loop indices) are the same; the global names are fixed for a
        derive. The conditions it records are recorded again on each use."""
        names = self.names_of.get(id(stmt))
        if names is None:
            sizes = stmt.args + tuple(o.value for o in stmt.options if isinstance(o.value, ir.Size))
            names = self.names_of[id(stmt)] = tuple(sorted({n.id for size in sizes for p in size.parts
                                                            for n in names_in(p)}))
        key = (id(stmt), (len(shape) - 1) if shape else 0, tuple(scope.local.get(n, _UNBOUND) for n in names))
        known = self.configs.get(key)
        if known is not None:
            cfg, conditions = known
            self.ctx.constraints.extend(conditions)
            return Config(cfg)
        first = len(self.ctx.constraints)
        cfg = self._resolve(spec, stmt, shape, scope)
        self.configs[key] = (Config(cfg), tuple(self.ctx.constraints[first:]))
        return cfg

    def _resolve(self, spec: LayerSpec, stmt: ir.LayerStmt, shape, scope) -> Config:
        cfg = Config(keyword=stmt.keyword, activation=None, name=None)
        spatial = (len(shape) - 1) if shape else 0
        positional = []
        for size in stmt.args:
            word = size.word
            if word is not None and word not in scope.local and word not in self.env:
                if spec.takes_activation and word in ACTIVATIONS:
                    cfg["activation"] = word
                    continue
                opt = spec.options.get(word)
                if opt is not None and opt.kind == BOOL:
                    cfg[word] = True
                    continue
                if word in ("same", "valid") and "padding" in spec.options:
                    cfg["padding"] = word
                    continue
                if word in ACTIVATIONS:
                    raise DefinitionError(f"{stmt.keyword} takes no activation", line=size.pos.line,
                                          column=size.pos.column)
            positional.append(size)
        if len(positional) > len(spec.arguments):
            extra = positional[len(spec.arguments)]
            words = [w for w, o in spec.options.items() if o.kind == BOOL]
            words += list(ACTIVATIONS) if spec.takes_activation else []
            words += ["same", "valid"] if "padding" in spec.options else []
            hint = did_you_mean(extra.word, words) if extra.word else None     # 'conv 8 3 rleu'
            raise DefinitionError(f"{stmt.keyword} takes {self._usage(spec, stmt.keyword)}; "
                                  f"'{self._text(extra)}' is one too many", hint=hint,
                                  line=extra.pos.line, column=extra.pos.column, end_column=extra.pos.end_column)
        for arg, size in itertools.zip_longest(spec.arguments, positional):
            if size is None:
                if arg.required:
                    raise DefinitionError(f"{stmt.keyword} needs its {arg.name}: {self._usage(spec, stmt.keyword)}")
                cfg[arg.name] = self._default(arg.kind, arg.default, spatial)
                continue
            try:
                cfg[arg.name] = self.value(arg.kind, arg.name, size, spatial, scope)
            except SymparamsError as exc:
                raise _err_at(exc, size.pos)
        seen = set()
        for option in stmt.options:
            if option.name in seen:
                raise DefinitionError(f"option '{option.name}' is given twice", line=option.pos.line,
                                      column=option.pos.column)
            seen.add(option.name)
            try:
                self._option(spec, stmt, option, cfg, spatial, scope)
            except SymparamsError as exc:
                raise _err_at(exc, option.value.pos)
        for name, opt in spec.options.items():
            if name not in cfg:
                cfg[name] = self._default(opt.kind, opt.default, spatial)
        return cfg

    def _option(self, spec, stmt, option: ir.Option, cfg, spatial, scope):
        if option.name == "name":
            value = option.value.text if isinstance(option.value, ir.Str) else option.value.word
            if value is None:
                raise DefinitionError("name= takes a word or a quoted string")
            cfg["name"] = value
            return
        if option.name == "activation":
            word = option.value.word if isinstance(option.value, ir.Size) else option.value.text
            if not spec.takes_activation:
                raise DefinitionError(f"{stmt.keyword} takes no activation")
            if word not in ACTIVATIONS:
                raise DefinitionError(f"unknown activation '{word}'", hint=did_you_mean(word or "", ACTIVATIONS))
            cfg["activation"] = word
            return
        opt = spec.options.get(option.name)
        if opt is None:
            allowed = list(spec.options) + ["name"] + (["activation"] if spec.takes_activation else [])
            hint = did_you_mean(option.name, allowed)
            known = ", ".join(allowed)
            raise DefinitionError(f"{stmt.keyword} has no option '{option.name}'", line=option.pos.line,
                                  column=option.pos.column, end_column=option.pos.column + len(option.name),
                                  hint=hint or f"its options are {known}")
        if isinstance(option.value, ir.Str):
            raise DefinitionError(f"{option.name}= takes a value, not a quoted string")
        cfg[option.name] = self.value(opt.kind, option.name, option.value, spatial, scope, choices=opt.choices)

    def _usage(self, spec: LayerSpec, keyword: str) -> str:
        if not spec.arguments:
            return "no arguments"
        parts = [a.name if a.required else f"[{a.name}]" for a in spec.arguments]
        return f"'{keyword} {' '.join(parts)}'"

    def _text(self, size: ir.Size) -> str:
        lines = self.program.source.splitlines()
        line = lines[size.pos.line - 1] if 0 < size.pos.line <= len(lines) else ""
        end = size.pos.end_column or len(line) + 1
        return line[size.pos.column - 1:end - 1] or "?"

    @staticmethod
    def _default(kind, default, spatial):
        if default is None:
            return None
        if kind in (WINDOW, NONNEG_WINDOW):
            return (Integer(default),) * spatial
        if kind in (COUNT, INTEGER):
            return Integer(default)
        return default

    def value(self, kind, what, size: ir.Size, spatial, scope, choices=()):
        word = size.word
        if kind == BOOL:
            if word in ("true", "True", "yes", "on"):
                return True
            if word in ("false", "False", "no", "off"):
                return False
            raise DefinitionError(f"{what}= takes true or false")
        if kind == WORD:
            if word is None or (choices and word not in choices):
                raise DefinitionError(f"{what}= takes one of {', '.join(choices)}",
                                      hint=did_you_mean(word or "", choices))
            return word
        if kind == STRING:
            if word is None:
                raise DefinitionError(f"{what}= takes a word or a quoted string")
            return word
        if kind == PADDING and word in ("same", "valid"):
            if word not in scope.local and word not in self.env:
                return word
        if kind == PADDING and word is not None and word not in scope.local and word not in self.env \
                and word not in self.values:
            close = did_you_mean(word, ("same", "valid"))
            if close:
                raise DefinitionError(f"padding= takes valid, same or a number; got '{word}'", hint=close)
        values = [self.expr(p, scope) for p in size.parts]
        for node, v in zip(size.parts, values):
            if isinstance(node, ir.Dec) and kind != RATE:
                raise DefinitionError(f"{what} must be a whole number; only dropout takes a decimal",
                                      line=node.pos.line, column=node.pos.column)
        if kind == RATE:
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number")
            rate = values[0]
            if rate.is_number and not (0 <= rate < 1):
                raise DefinitionError(f"{what} must be at least 0 and below 1, got {format(float(rate), 'g') if abs(rate) < 10**9 else rate}")
            return rate
        if kind == DIMS:
            for node, v in zip(size.parts, values):
                self._whole(v, what, node)
            return tuple(values)
        if kind in (COUNT, INTEGER):
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number, got {len(values)}")
            v = self._whole(values[0], what, size.parts[0])
            if kind == COUNT:
                self._positive(v, what, size.parts[0])
            return v
        # windows: one value per spatial axis
        if len(values) == 1:
            values = values * spatial
        elif len(values) != spatial:
            raise DefinitionError(f"{what} has {len(values)} sizes but the input has {spatial} spatial "
                                  f"ax{'is' if spatial == 1 else 'es'}")
        for node, v in zip(itertools.cycle(size.parts), values):
            self._whole(v, what, node)
            if kind == WINDOW:
                self._positive(v, what, node)
            elif v.is_number and v < 0:
                raise DefinitionError(f"{what} cannot be negative, got {v}", line=node.pos.line,
                                      column=node.pos.column)
        return tuple(values)

    def _whole(self, v, what, node):
        if isinstance(v, Integer):
            return v
        if v.is_integer is False:
            raise DefinitionError(f"{what} must be a whole number, got {v}", line=node.pos.line,
                                  column=node.pos.column)
        if v.is_integer is None:
            self.ctx.constraints.append((None, f"{what} {v} must be a whole number"))
        return v

    def _positive(self, v, what, node):
        if isinstance(v, Integer) and v.p >= 1:
            return
        if v.is_number and not v >= 1:
            raise DefinitionError(f"{what} must be at least 1, got {v}", line=node.pos.line, column=node.pos.column)
        if not v.is_number and v.is_positive is not True:
            self.ctx.constraints.append((v, Deferred(functools.partial("{} {} must be at least 1".format, what, v))))

    # -- composition ----------------------------------------------------------------------
    def call(self, stmt: ir.Call, shape, scope: _Scope):
        block = self.blocks.get(stmt.block)
        if block is None:
            if stmt.block in REGISTRY:
                raise DefinitionError(f"'{stmt.block}' is a layer, not a block; write it without parentheses, "
                                      f"e.g. '{stmt.block} 32 3x3'")
            hint = did_you_mean(stmt.block, list(self.blocks)) or (
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
            bound[name] = self.expr(node, scope)
        for name, node, pos in stmt.kwargs:
            if name not in params:
                raise DefinitionError(f"block '{block.name}' has no parameter '{name}'", line=pos.line,
                                      column=pos.column, hint=did_you_mean(name, params))
            if name in bound:
                raise DefinitionError(f"parameter '{name}' is given twice", line=pos.line, column=pos.column)
            bound[name] = self.expr(node, scope)
        missing = [p for p in params if p not in bound]
        if missing:
            raise DefinitionError(f"block '{block.name}' needs {', '.join(missing)} "
                                  f"(it takes {len(params)}: {', '.join(params)})")
        inner = _Scope(local=bound, block_stack=scope.block_stack + (block.name,))
        try:
            rows, out = self.statements(block.body, shape, inner)
        except SymparamsError as exc:
            if exc.hint is None:
                exc.hint = f"in block '{block.name}' called on line {stmt.pos.line}"
            raise
        name = None
        for option in stmt.options:
            if option.name != "name":
                raise DefinitionError(f"a block call takes only name=, not '{option.name}='")
            name = option.value.text if isinstance(option.value, ir.Str) else option.value.word
        row = Layer(name=name or self._auto_name(block.name), kind="block", line=stmt.pos.line,
                    column=stmt.pos.column, input_shape=shape, output_shape=out, children=tuple(rows),
                    config=Config(block=block.name, args={k: v for k, v in bound.items()}))
        return row, out

    def residual(self, stmt: ir.Residual, shape, scope):
        body_rows, body_out = self.statements(stmt.body, shape, scope)
        paths = [Layer(name="body", kind="path", line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                       output_shape=body_out, children=tuple(body_rows), role="body")]
        short_out = shape
        if stmt.shortcut is not None:
            short_rows, short_out = self.statements(stmt.shortcut, shape, scope)
            paths.append(Layer(name="shortcut", kind="path", line=stmt.pos.line, column=stmt.pos.column,
                               input_shape=shape, output_shape=short_out, children=tuple(short_rows),
                               role="shortcut"))
        self._same_shapes([body_out, short_out], ["the body", "the shortcut"], "residual",
                          "a projection shortcut ('shortcut { conv ... }') changes the shortcut's shape")
        row = Layer(name=self._auto_name("residual"), kind="residual", line=stmt.pos.line, column=stmt.pos.column,
                    input_shape=shape, output_shape=body_out, children=tuple(paths))
        return row, body_out

    def branches(self, stmt: ir.Branches, shape, scope):
        paths, outs = [], []
        for number, branch in enumerate(stmt.branches, 1):
            rows, out = self.statements(branch, shape, scope)
            outs.append(out)
            paths.append(Layer(name=f"branch {number}", kind="path", line=stmt.pos.line, column=stmt.pos.column,
                               input_shape=shape, output_shape=out, children=tuple(rows), role="branch"))
        names = [f"branch {i}" for i in range(1, len(outs) + 1)]
        if stmt.mode == "add":
            self._same_shapes(outs, names, "add", None)
            out = outs[0]
        else:
            self._same_shapes([o[:-1] for o in outs], names, "concat", None, ranks=[len(o) for o in outs],
                              what="all axes but the channels")
            out = outs[0][:-1] + (Add(*[o[-1] for o in outs]),)
        row = Layer(name=self._auto_name(stmt.mode), kind=stmt.mode, line=stmt.pos.line, column=stmt.pos.column,
                    input_shape=shape, output_shape=out, children=tuple(paths))
        return row, out

    def _same_shapes(self, shapes, names, what_kind, hint, ranks=None, what="shapes"):
        first = shapes[0]
        for name, other in zip(names[1:], shapes[1:]):
            if len(other) != len(first) or (ranks and len(set(ranks)) != 1):
                raise ShapeError(f"{what_kind}: {names[0]} gives {_shape_text(shapes[0])} but {name} gives "
                                 f"{_shape_text(other)} (different ranks)", hint=hint)
            for a, b in zip(first, other):
                same = equal(a, b)
                if same is False:
                    raise ShapeError(f"{what_kind}: {names[0]} gives {_shape_text(first) or 'a vector'} but {name} "
                                     f"gives {_shape_text(other)}; {what} must match", hint=hint)
                if same is None:
                    self.ctx.constraints.append((None, f"{what_kind}: {a} = {b}"))

    # -- repeat ---------------------------------------------------------------------------
    def repeat(self, stmt: ir.Repeat, shape, scope):
        count = self.expr(stmt.count, scope)
        n = as_int(count)
        if count.is_integer is False:
            raise DefinitionError(f"repeat count must be a whole number, got {count}")
        if n is not None and n < 0:
            raise DefinitionError(f"repeat count cannot be negative, got {n}")
        name = self._auto_name("repeat")
        if n == 0:
            return Layer(name=name, kind="repeat", line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                         output_shape=shape, count=Integer(1), config=Config(count=count)), shape
        if n is None and count.is_nonnegative is not True:
            # zero passes are fine (the input passes through); passes peeled off one by one below
            # need at least that many (_require_passes)
            self.ctx.constraints.append((count + 1, f"repeat count {count} cannot be negative"))
        segments = []
        current = shape
        if self.unroll and n is not None:
            if n > MAX_UNROLL:
                raise DefinitionError(f"repeat {n} is too many iterations to unroll (limit {MAX_UNROLL:,})")
            for j in range(n):
                rows, current = self._iteration(stmt, current, scope, Integer(j))
                segments.append(self._segment(stmt, rows, current, Integer(1), Integer(j)))
            return self._repeat_row(stmt, name, shape, current, segments, count), current
        uses_index = stmt.index is not None and self._body_uses(stmt.body, stmt.index)
        explicit = n if n is not None and n <= MAX_EXPLICIT_ITERATIONS else None
        limit = explicit if explicit is not None else SYMBOLIC_PEEL + 1
        failure = None
        for j in range(limit):
            before = (self.counters.copy(), list(self.ctx.constraints), list(self.ctx.warnings))
            rows, nxt = self._iteration(stmt, current, scope, Integer(j))
            if not uses_index and len(nxt) == len(current) and all(equal(a, b) is True for a, b in zip(nxt, current)):
                # every later pass sees the same shape: the rest are copies of this one
                segments.append(self._segment(stmt, rows, nxt, count - j, Integer(j)))
                self._require_passes(count, n, j)
                return self._repeat_row(stmt, name, shape, nxt, segments, count), nxt
            if explicit is None:
                saved = (self.counters.copy(), list(self.ctx.constraints), list(self.ctx.warnings))
                # the closed form replaces this explicit pass: its names and conditions go with it
                self.counters, self.ctx.constraints, self.ctx.warnings = before
                try:
                    segment, final = self._closed_form(stmt, current, Integer(j), count, scope)
                except ShapeError as exc:
                    failure = exc
                    self.counters, self.ctx.constraints, self.ctx.warnings = saved
                else:
                    segments.append(segment)
                    self._require_passes(count, n, j)
                    return self._repeat_row(stmt, name, shape, final, segments, count), final
            segments.append(self._segment(stmt, rows, nxt, Integer(1), Integer(j)))
            current = nxt
        if explicit is not None:
            return self._repeat_row(stmt, name, shape, current, segments, count), current
        raise failure

    def _require_passes(self, count, n, peeled):
        if n is None and peeled >= 1:
            self.ctx.constraints.append((count - peeled + 1, f"repeat count {count} must be at least {peeled}"))

    def _repeat_row(self, stmt, name, shape, out, segments, count):
        return Layer(name=name, kind="repeat", line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                     output_shape=out, children=tuple(segments), config=Config(count=count, index=stmt.index))

    def _segment(self, stmt, rows, out, count, start, index=None):
        return Layer(name="pass", kind="iteration", line=stmt.pos.line, column=stmt.pos.column,
                     input_shape=rows[0].input_shape if rows else out, output_shape=out, children=tuple(rows),
                     count=count, start=start, index=index)

    def _iteration(self, stmt, shape, scope, index_value):
        local = dict(scope.local)
        if stmt.index is not None:
            local[stmt.index] = index_value
        return self.statements(stmt.body, shape, _Scope(local=local, block_stack=scope.block_stack))

    def _body_uses(self, body, name) -> bool:
        from .expressions import names_in
        stack = list(body)
        while stack:
            stmt = stack.pop()
            if isinstance(stmt, ir.LayerStmt):
                for size in stmt.args + tuple(o.value for o in stmt.options if isinstance(o.value, ir.Size)):
                    if any(n.id == name for p in size.parts for n in names_in(p)):
                        return True
            elif isinstance(stmt, ir.Call):
                exprs = list(stmt.args) + [e for _, e, _ in stmt.kwargs]
                if any(n.id == name for e in exprs for n in names_in(e)):
                    return True
            elif isinstance(stmt, ir.Repeat):
                if any(n.id == name for n in names_in(stmt.count)):
                    return True
                stack += list(stmt.body)
            elif isinstance(stmt, ir.Residual):
                stack += list(stmt.body) + list(stmt.shortcut or ())
            elif isinstance(stmt, ir.Branches):
                for b in stmt.branches:
                    stack += list(b)
        return False

    def _closed_form(self, stmt, shape, start, count, scope):
        """The passes start .. count-1 of a repeat whose shape keeps changing: solve each
        axis's one-pass recurrence, derive the body once at pass i, and sum over i."""
        i = index_symbol(stmt.index or "i")
        probe = tuple(sympy.Dummy(f"x{k}", integer=True, positive=True) for k in range(len(shape)))
        saved = (self.counters.copy(), list(self.ctx.constraints), list(self.ctx.warnings))
        _, probe_out = self._iteration(stmt, probe, scope, i)
        self.counters, self.ctx.constraints, self.ctx.warnings = saved
        if len(probe_out) != len(shape):
            raise ShapeError("repeat: the body changes the number of axes, so it cannot be repeated a symbolic "
                             "number of times")
        closed = []
        for k, (x, f) in enumerate(zip(probe, probe_out)):
            others = (f.free_symbols & set(probe)) - {x}
            if others:
                raise ShapeError(f"repeat: axis {k + 1} of the output depends on other axes ({f}); "
                                 "no closed form for a symbolic repeat count")
            form = _solve_recurrence(x, f, shape[k], start, i)
            if form is None:
                raise ShapeError(f"repeat: axis {k + 1} changes as {f.subs(x, sympy.Symbol('x'))} on each pass "
                                 "and symparams finds no closed form for that; use a numeric count or --set it")
            closed.append(form)
        at_i = tuple(closed)
        rows, out = self._iteration(stmt, at_i, scope, i)
        following = tuple(c.subs(i, i + 1) for c in closed)
        if not _agrees(out, following, i, start):
            raise ShapeError("repeat: the shape after each pass does not follow a closed form "
                             f"({_shape_text(out)} vs {_shape_text(following)}); use a numeric count")
        # constraints that mention the index hold for every pass when they hold for the last one
        last = count - 1
        self.ctx.constraints = [(e.subs(i, last), f"{m}, at the last pass {i} = {last}")
                                if e is not None and e.has(i) else (e, m) for e, m in self.ctx.constraints]
        final = tuple(c.subs(i, count) for c in closed)
        for d in final:
            if d.is_number and not d >= 1:
                raise ShapeError(f"repeat {count}: a size reaches {d} after the last pass")
        segment = self._segment(stmt, rows, final, count - start, start, index=i)
        return segment, final


def _solve_recurrence(x, f, initial, start, i):
    """Closed form of a(t) with a(start) = initial and a(t + 1) = f(a(t), t), as a function of t = i."""
    if not f.has(x):
        # set by the pass itself: a(t) = f(., t - 1) for t > start
        candidate = f.subs(i, i - 1)
        if equal(candidate.subs(i, start), initial) is True:
            return candidate
        return None
    if f.has(i):
        step = sympy.expand(f - x)
        if step.has(x):
            return None
        t = sympy.Dummy("t", integer=True)
        return initial + sympy.summation(step.subs(i, t), (t, start, i - 1))
    poly = sympy.Poly(f, x) if f.is_polynomial(x) else None
    if poly is not None and poly.degree() == 1:
        a, b = poly.all_coeffs()
        if a == 1:
            return initial + b * (i - start)
        return a ** (i - start) * (initial + b / (a - 1)) - b / (a - 1)
    from .algebra import _split_rounded
    split = _split_rounded(f)
    if split is None:
        return None
    kind, y, a, m = split
    c = sympy.expand(y - x)
    if c.has(x) or sympy.expand(y - c) != x or a.has(i) or c.has(i) or m.has(i):
        return None
    if kind == "ceiling":
        if c == 0 and m == 0:
            return ceil_div(initial, a ** (i - start), whole_divisor=True)
        c = c + a - 1
    c = c + m * a
    # With h = -c/(a - 1), y = x + h obeys y(t+1) = floor((x + c + a*h)/a) = floor(y(t)/a),
    # so y(t) = floor(y(start)/a**(t - start)) and x(t) = y(t) - h.
    h = -c / (a - 1)
    if not h.is_integer:
        return None
    return floor_div(initial + h, a ** (i - start), whole_divisor=True) - h


def _agrees(a, b, i, start) -> bool:
    if len(a) != len(b):
        return False
    rng = random.Random(0)
    for x, y in zip(a, b):
        if equal(x, y) is True:
            continue
        syms = sorted((x.free_symbols | y.free_symbols) - {i}, key=str)
        for trial in range(6):
            # small values: sizes like ceiling(n/2**(d*i)) get slow to compare when d is in the thousands
            values = {s: rng.randint(1, 64) for s in syms}
            values[i] = start + trial
            vx, vy = x.subs(values), y.subs(values)
            if vx != vy:
                return False
    return True


# ----------------------------------------------------------------------------- network

class Network:
    """The derived analysis of one program: rows, totals, symbols and constraints."""

    def __init__(self, program: ir.Program, convention: str = KERAS, values: Mapping[str, object] | None = None,
                 *, unroll: bool = False):
        self.program = program
        self.convention = convention
        self.values = {k: _check_value(k, v) for k, v in (values or {}).items()}
        self.unroll = unroll
        deriver = _Deriver(program, convention, self.values, unroll)
        try:
            with collector_paused():
                deriver.collect_definitions()
                rows, shape = deriver.statements(program.statements, None, _Scope())
        except RecursionError:
            raise DefinitionError("the architecture is nested too deeply").with_source(program.file,
                                                                                       program.source) from None
        except SymparamsError as exc:
            raise exc.with_source(program.file, program.source)
        if not deriver.has_input:
            raise DefinitionError("the file has no 'input' line; start with e.g. 'input 28x28x1'").with_source(
                program.file, program.source)
        unknown = [k for k in self.values if k not in deriver.defaults and k not in deriver.used_names]
        if unknown:
            known = sorted(set(deriver.defaults) | (deriver.used_names - set(deriver.aliases)))
            hint = did_you_mean(unknown[0], known) or (f"its symbols are {', '.join(known)}" if known
                                                       else "it has no symbols")
            raise DefinitionError(f"unknown symbol '{unknown[0]}' in --set", hint=hint)
        self.layers: list[Layer] = rows
        self.output_shape = shape
        self.input_shape = rows[0].output_shape if rows else ()
        self._deriver_defaults = deriver.defaults
        self._aliases = deriver.aliases
        self._raw_constraints = deriver.ctx.constraints
        self.warnings = list(dict.fromkeys(deriver.ctx.warnings))

    # -- totals ---------------------------------------------------------------------------
    @functools.cached_property
    def params(self) -> sympy.Expr:
        with collector_paused():
            return Add(*[row.params for row in self.layers])

    @functools.cached_property
    def trainable_params(self) -> sympy.Expr:
        with collector_paused():
            return Add(*[row.trainable_params for row in self.layers])

    @functools.cached_property
    def non_trainable_params(self) -> sympy.Expr:
        with collector_paused():
            return Add(*[row.non_trainable_params for row in self.layers])

    @functools.cached_property
    def buffers(self) -> sympy.Expr:
        with collector_paused():
            return Add(*[row.buffers for row in self.layers])

    # -- symbols --------------------------------------------------------------------------
    @functools.cached_property
    def free_symbols(self) -> set:
        found = set()
        # distinct sizes first: rows share most of them, and SymPy recomputes free_symbols each time
        for d in {d for row in self.layers for _, r in row.walk() for d in r.output_shape}:
            found |= d.free_symbols
        found |= self.params.free_symbols
        return {s for s in found if s.is_positive}

    @property
    def symbols(self) -> dict:
        """{Symbol: default value or None} of every symbol still free in the results."""
        out = {}
        for s in sorted(self.free_symbols, key=lambda s: s.name):
            out[s] = self._deriver_defaults.get(s.name)
        for name, default in self._deriver_defaults.items():
            if name not in self.values:
                out.setdefault(symbol(name), default)
        return dict(sorted(out.items(), key=lambda kv: kv[0].name))

    @property
    def defaults(self) -> dict[str, int]:
        return {k: v for k, v in self._deriver_defaults.items() if k not in self.values}

    @property
    def aliases(self) -> dict:
        return dict(self._aliases)

    # -- derived networks -------------------------------------------------------------------
    def subs(self, values: Mapping[str, object] | None = None, **kwargs) -> "Network":
        """A new network with these symbols replaced by numbers (checked again on the numbers)."""
        merged = dict(self.values)
        merged.update(values or {})
        merged.update(kwargs)
        merged = {str(k): v for k, v in merged.items()}
        return Network(self.program, self.convention, merged, unroll=self.unroll)

    def evaluate(self, **overrides) -> "Network":
        """Every symbol at its default (or the given values); an error names any without one."""
        values = {**self.defaults, **self.values, **overrides}
        missing = sorted(s.name for s in self.free_symbols if s.name not in values)
        if missing:
            raise UsageError(f"symbol{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                             f"{'have' if len(missing) > 1 else 'has'} no default value; give "
                             f"{'them' if len(missing) > 1 else 'it'} with --set "
                             f"{missing[0]}=... or a 'let {missing[0]} = ...' line")
        return self.subs(values)

    def at_defaults(self) -> "Network":
        """The network with every symbol that has a default set to it (others stay symbolic);
        an error says when the defaults themselves make an impossible network."""
        defaults = {k: v for k, v in self.defaults.items()}
        if not defaults:
            return self
        try:
            return self.subs(defaults)
        except SymparamsError as exc:
            shown = ", ".join(f"{k} = {v}" for k, v in sorted(defaults.items()))
            exc.message = f"with the defaults ({shown}): {exc.message}"
            exc.args = (exc.message,)
            raise

    def with_convention(self, convention: str) -> "Network":
        return Network(self.program, convention, self.values, unroll=self.unroll)

    def unrolled(self) -> "Network":
        """The same network with numeric repeats written out pass by pass (for export and checks)."""
        return Network(self.program, self.convention, self.values, unroll=True)

    # -- walking ------------------------------------------------------------------------
    def walk(self) -> Iterator[tuple[int, Layer]]:
        for row in self.layers:
            yield from row.walk()

    def leaves(self) -> list[Layer]:
        return [row for _, row in self.walk() if row.is_leaf]

    # -- constraints ----------------------------------------------------------------------
    @functools.cached_property
    def conditions(self) -> list[tuple]:
        """Conditions under which the symbolic results hold, as (relation, text) pairs:
        relation is a SymPy relational in the symbols (None for a condition only said in
        words, such as divisibility), text is how `constraints` prints it."""
        lower: dict = {}
        upper: dict = {}
        others: list[tuple] = []
        for expr, message in self._raw_constraints:
            message = str(message)      # formatted only now (Deferred during the derive)
            if expr is None:
                others.append((None, message))
                continue
            expr = sympy.sympify(expr)
            if expr.is_number or expr.is_positive is True:
                continue
            syms = expr.free_symbols
            if len(syms) == 1:
                s = next(iter(syms))
                if s.is_nonnegative and not s.is_positive:
                    continue
                bound = minimal_value(expr, s)
                # a lower bound only when the size keeps holding above it (not for 31 - n or floor(27/n))
                if bound is not None and all(bool(v >= 1) for v in (expr.subs(s, t) for t in
                                                                   (bound + 1, 2 * bound + 7, 10**6, 10**12))
                                             if v.is_number):
                    if bound > 1:
                        lower[s] = max(lower.get(s, 0), bound)
                    continue
                top = maximal_value(expr, s)
                if top is not None:
                    upper[s] = min(upper.get(s, top), top)
                    continue
            others.append((sympy.Ge(expr, 1, evaluate=False), f"{_relation_text(expr)} ({message})"))
        out = []
        for s in sorted(set(lower) | set(upper), key=lambda s: s.name):
            if s in lower and s in upper:
                out.append((sympy.And(sympy.Ge(s, lower[s]), sympy.Le(s, upper[s])),
                            f"{lower[s]} <= {s} <= {upper[s]}"))
            elif s in lower:
                out.append((sympy.Ge(s, lower[s]), f"{s} >= {lower[s]}"))
            else:
                out.append((sympy.Le(s, upper[s]), f"{s} <= {upper[s]}"))
        seen = set()
        for relation, text in others:
            if text not in seen:
                seen.add(text)
                out.append((relation, text))
        return out

    @property
    def constraints(self) -> list[str]:
        """The conditions as text: 'n >= 12', 'k <= 64', 'n >= k (conv2d_1: ...)'."""
        return [text for _, text in self.conditions]

    # -- metrics and design-space tools ------------------------------------------------------
    BASE_METRICS = ("params", "trainable", "non_trainable", "buffers")

    def metric(self, name: str = "params") -> sympy.Expr:
        """A network total by name: params, trainable, non_trainable, buffers (and the cost
        metrics of symparams/cost.py: macs, flops, act, act_bytes, param_bytes, rf ...)."""
        if name == "params":
            return self.params
        if name == "trainable":
            return self.trainable_params
        if name == "non_trainable":
            return self.non_trainable_params
        if name == "buffers":
            return self.buffers
        from . import cost
        return cost.metric(self, name)

    def solve(self, *args, **kwargs):
        from .solve import solve
        return solve(self, *args, **kwargs)

    def sweep(self, *args, **kwargs):
        from .sweep import sweep
        return sweep(self, *args, **kwargs)

    def lambdify(self, metric: str = "params", *args, **kwargs):
        from .sweep import lambdify
        return lambdify(self, metric, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<Network {len(self.layers)} rows, params={self.params}>"

    # notebooks
    def _repr_markdown_(self) -> str:
        from .printers.markdown import render
        return render(self)

    def _repr_latex_(self) -> str:
        from .printers.latex import notebook
        return notebook(self)


def _relation_text(expr) -> str:
    """expr >= 1 written as a person would: '-k + n + 1 >= 1' reads 'n >= k'."""
    rest = expr - 1
    bigger, smaller = [], []
    for term in Add.make_args(rest):
        (smaller if term.could_extract_minus_sign() else bigger).append(term)
    left = Add(*bigger) if bigger else Integer(0)
    right = -Add(*smaller) if smaller else Integer(0)
    from .printers.common import fmt_expr
    return f"{fmt_expr(left)} >= {fmt_expr(right)}"


def _check_value(name, value):
    if isinstance(value, bool):
        raise DefinitionError(f"--set {name}: expected a whole number, got {value}")
    if isinstance(value, (int, Integer)):
        v = int(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if not text.lstrip("-").isdigit():
            raise DefinitionError(f"--set {name}={value}: expected a whole number")
        v = int(text)
    else:
        v = as_int(sympy.sympify(value)) if isinstance(value, sympy.Basic) else None
        if v is None:
            raise DefinitionError(f"--set {name}={value}: expected a whole number")
    if v < 1:
        raise DefinitionError(f"--set {name}={v}: symbols are positive whole numbers")
    return v


def parse(text: str, *, convention: str = KERAS, values: Mapping[str, object] | None = None,
          file: str | None = None) -> Network:
    """Parse architecture text and derive its network."""
    return Network(parse_program(text, file), convention, values)


def load(path, *, convention: str = KERAS, values: Mapping[str, object] | None = None) -> Network:
    """Read an architecture file and derive its network."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Network(parse_program(data, str(path)), convention, values)
