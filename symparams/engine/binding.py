"""Argument binding: a layer statement's words and sizes -> its resolved Config.

The argument and option kinds (COUNT, WINDOW, PADDING, ...) are declared with the specs
(layers/base.py: Arg, Opt); this module is the one place they are interpreted.
"""

from __future__ import annotations

import itertools

from sympy import Integer

from .. import ir
from ..errors import DefinitionError, SymparamsError, did_you_mean, source_lines
from ..expressions import names_in
from ..layers.base import (ACTIVATIONS, BOOL, COUNT, DIMS, INTEGER, NONNEG_WINDOW, NUMBER, PADDING, RATE, STRING,
                           WINDOW, WORD, Config, Context, Deferred, LayerSpec)
from ..printers.math import text as math_text
from .scopes import Globals, Scope

_UNBOUND = object()
_TRUE_WORDS = ("true", "True", "yes", "on")
_FALSE_WORDS = ("false", "False", "no", "off")
_PADDING_WORDS = ("same", "valid")


def located(exc: SymparamsError, pos: ir.Pos) -> SymparamsError:
    """The error, placed at pos unless it already knows where it happened."""
    if exc.line is None:
        exc.line, exc.column, exc.end_column = pos.line, pos.column, pos.end_column
    return exc


def default_value(kind, default, spatial):
    if default is None:
        return None
    if kind in (WINDOW, NONNEG_WINDOW):
        return (Integer(default),) * spatial
    if kind in (COUNT, INTEGER):
        return Integer(default)
    return default


def usage(spec: LayerSpec, keyword: str) -> str:
    """'conv2d filters kernel' as the error messages show it."""
    if not spec.arguments:
        return "no arguments"
    parts = [a.name if a.required else f"[{a.name}]" for a in spec.arguments]
    return f"'{keyword} {' '.join(parts)}'"


class Binder:
    """Resolves the arguments of layer statements within one derive."""

    def __init__(self, names: Globals, ctx: Context):
        self.names = names
        self.ctx = ctx
        self.configs: dict[tuple, tuple] = {}        # see configure()
        self.names_of: dict[int, tuple] = {}

    def configure(self, spec: LayerSpec, stmt: ir.LayerStmt, shape, scope: Scope) -> Config:
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

    def _resolve(self, spec: LayerSpec, stmt: ir.LayerStmt, shape, scope: Scope) -> Config:
        cfg = Config(keyword=stmt.keyword, activation=None, name=None)
        spatial = (len(shape) - 1) if shape else 0
        positional = []
        for size in stmt.args:
            word = size.word
            if self.names.is_free_word(word, scope):
                if spec.takes_activation and word in ACTIVATIONS:
                    cfg["activation"] = word
                    continue
                opt = spec.options.get(word)
                if opt is not None and opt.kind == BOOL:
                    cfg[word] = True
                    continue
                if word in _PADDING_WORDS and "padding" in spec.options:
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
            words += list(_PADDING_WORDS) if "padding" in spec.options else []
            hint = did_you_mean(extra.word, words) if extra.word else None     # 'conv 8 3 rleu'
            raise DefinitionError(f"{stmt.keyword} takes {usage(spec, stmt.keyword)}; "
                                  f"'{self._text(extra)}' is one too many", hint=hint,
                                  line=extra.pos.line, column=extra.pos.column, end_column=extra.pos.end_column)
        for arg, size in itertools.zip_longest(spec.arguments, positional):
            if size is None:
                if arg.required:
                    raise DefinitionError(f"{stmt.keyword} needs its {arg.name}: {usage(spec, stmt.keyword)}")
                cfg[arg.name] = default_value(arg.kind, arg.default, spatial)
                continue
            try:
                cfg[arg.name] = self.value(arg.kind, arg.name, size, spatial, scope)
            except SymparamsError as exc:
                raise located(exc, size.pos)
        seen = set()
        for option in stmt.options:
            if option.name in seen:
                raise DefinitionError(f"option '{option.name}' is given twice", line=option.pos.line,
                                      column=option.pos.column)
            seen.add(option.name)
            try:
                self._option(spec, stmt, option, cfg, spatial, scope)
            except SymparamsError as exc:
                raise located(exc, option.value.pos)
        for name, opt in spec.options.items():
            if name not in cfg:
                cfg[name] = default_value(opt.kind, opt.default, spatial)
        return cfg

    def _option(self, spec, stmt, option: ir.Option, cfg, spatial, scope):
        if option.name == "name":
            value = option.value.text if isinstance(option.value, ir.Str) else option.value.word
            if value is None:
                raise DefinitionError("name= takes a word or a quoted string")
            cfg["name"] = value
            return
        if option.name == "trainable" and "trainable" not in spec.options:
            # every weighted kind can be frozen (PyTorch requires_grad=False, Keras trainable=False); fold_layer
            # refuses it on a kind without weights, once they are known
            if isinstance(option.value, ir.Str):
                raise DefinitionError("trainable= takes true or false")
            cfg["trainable"] = self.value(BOOL, "trainable", option.value, spatial, scope)
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
            allowed = list(spec.options) + ["name", "trainable"] + (["activation"] if spec.takes_activation else [])
            hint = did_you_mean(option.name, allowed)
            known = ", ".join(allowed)
            raise DefinitionError(f"{stmt.keyword} has no option '{option.name}'", line=option.pos.line,
                                  column=option.pos.column, end_column=option.pos.column + len(option.name),
                                  hint=hint or f"its options are {known}")
        if isinstance(option.value, ir.Str):
            raise DefinitionError(f"{option.name}= takes a value, not a quoted string")
        cfg[option.name] = self.value(opt.kind, option.name, option.value, spatial, scope, choices=opt.choices)

    def _text(self, size: ir.Size) -> str:
        lines = source_lines(self.names.program.source)
        line = lines[size.pos.line - 1] if 0 < size.pos.line <= len(lines) else ""
        end = size.pos.end_column or len(line) + 1
        return line[size.pos.column - 1:end - 1] or "?"

    def value(self, kind, what, size: ir.Size, spatial, scope: Scope, choices=()):
        """One argument or option of the given kind, checked."""
        word = size.word
        if kind == BOOL:
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
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
        if kind == PADDING and self.names.is_free_word(word, scope):
            if word in _PADDING_WORDS:
                return word
            close = did_you_mean(word, _PADDING_WORDS) if word not in self.names.values else None
            if close:
                raise DefinitionError(f"padding= takes valid, same or a number; got '{word}'", hint=close)
        values = [self.names.expr(p, scope) for p in size.parts]
        if kind == NUMBER:
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number")
            return values[0]
        for node, v in zip(size.parts, values):
            if isinstance(node, ir.Dec) and kind != RATE:
                raise DefinitionError(f"{what} must be a whole number; only dropout takes a decimal",
                                      line=node.pos.line, column=node.pos.column)
        if kind == RATE:
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number")
            rate = values[0]
            if rate.is_number and not (0 <= rate < 1):
                shown = format(float(rate), 'g') if abs(rate) < 10**9 else rate
                raise DefinitionError(f"{what} must be at least 0 and below 1, got {shown}")
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
            self.ctx.constraints.append((None, Deferred(lambda: f"{what} {math_text(v)} must be a whole number")))
        return v

    def _positive(self, v, what, node):
        if isinstance(v, Integer) and v.p >= 1:
            return
        if v.is_number and not v >= 1:
            raise DefinitionError(f"{what} must be at least 1, got {v}", line=node.pos.line, column=node.pos.column)
        if not v.is_number and v.is_positive is not True:
            self.ctx.constraints.append((v, Deferred(lambda: f"{what} {math_text(v)} must be at least 1")))
