"""Argument binding: a layer statement's words and sizes -> its resolved Config.

The argument and option kinds (COUNT, WINDOW, PADDING, ...) are declared with the specs
(layers/base.py: Arg, Opt); this module is the one place they are interpreted.
"""

from __future__ import annotations

import itertools
import re

from ..algebra import is_number
from ..numeric import integer, is_exact, sympy, whole
from .. import ir
from ..errors import DefinitionError, SymparamsError, did_you_mean, source_lines
from ..expressions import names_in
from ..integers import shown
from ..layers import REGISTRY
from ..layers.base import (ACTIVATIONS, BOOL, COUNT, DIMS, INTEGER, NONNEG_WINDOW, NUMBER, PADDING, RATE, STRING,
                           WINDOW, WORD, Config, Context, Deferred, LayerSpec, MustBeWhole)
from ..wording import math_text
from ..suggestions import (ARGUMENT_OPTIONS, OPTION_NAMES, activation_hint, activation_word, framework_class,
                           usage)
from .scopes import PADDING_WORDS as _PADDING_WORDS, Globals, PaddingWord, Scope, SizeValue

_UNBOUND = object()
# a framework's keyword arguments that symparams has no use for, with why (binding's hints)
INPUT_SIZE_OPTIONS = ("input_shape", "input_dim", "batch_input_shape", "in_features", "in_channels",
                      "num_features", "normalized_shape", "embed_dim", "input_size")
NO_COUNT_OPTIONS = ("dtype", "device", "inplace", "seed", "data_format", "momentum", "eps", "epsilon",
                    "padding_mode", "batch_first", "dynamic", "affine_initializer")
NO_COUNT_SUFFIXES = ("_initializer", "_regularizer", "_constraint", "_init")
_TRUE_WORDS = ("true", "True", "yes", "on")
_FALSE_WORDS = ("false", "False", "no", "off")


def located(exc: SymparamsError, pos: ir.Pos) -> SymparamsError:
    """The error, placed at pos unless it already knows where it happened."""
    if exc.line is None:
        exc.line, exc.column, exc.end_column = pos.line, pos.column, pos.end_column
    return exc


def default_value(kind, default, spatial):
    if default is None:
        return None
    if kind in (WINDOW, NONNEG_WINDOW):
        return (integer(default),) * spatial
    if kind in (COUNT, INTEGER) or kind == NUMBER and type(default) is int:
        return integer(default)
    return default


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
            if isinstance(scope.local.get(word), PaddingWord) and "padding" in spec.options \
                    and len(positional) >= sum(a.required for a in spec.arguments):
                cfg["padding"] = scope.local[word].word         # 'conv 8 3 p' in a block called b(same)
                continue
            if self.names.is_free_word(word, scope):
                if spec.takes_activation and word in ACTIVATIONS:
                    cfg["activation"] = word
                    continue
                opt = spec.options.get(word)
                if opt is not None and opt.kind == BOOL:
                    cfg[word] = True
                    continue
                # a padding word in any case means padding ('SAME' as TensorFlow writes it), never a symbol
                if word.lower() in _PADDING_WORDS and "padding" in spec.options:
                    cfg["padding"] = word.lower()
                    continue
                if word in ACTIVATIONS:
                    raise DefinitionError(f"{stmt.keyword} takes no activation", line=size.pos.line,
                                          column=size.pos.column)
                if spec.takes_activation and activation_word(word):        # 'ReLU', 'GELU'
                    raise DefinitionError(f"unknown activation '{word}'", hint=activation_hint(word),
                                          line=size.pos.line, column=size.pos.column,
                                          end_column=size.pos.end_column)
            positional.append(size)
        if len(positional) > len(spec.arguments):
            index = len(spec.arguments)
            extra = positional[index]
            words = [w for w, o in spec.options.items() if o.kind == BOOL]
            words += list(ACTIVATIONS) if spec.takes_activation else []
            words += list(_PADDING_WORDS) if "padding" in spec.options else []
            hint = did_you_mean(extra.word.lower(), words) if extra.word else None     # 'conv 8 3 rleu', 'SAMEE'
            option = OPTION_NAMES.get(extra.word, extra.word)
            if (option in spec.options or (option == "activation" and spec.takes_activation)) \
                    and index + 1 < len(positional):
                # 'stride 2', as a Python keyword argument without its '=' (or 'strides 2', Keras's name)
                value = self._quoted(positional[index + 1])
                raise DefinitionError(f"'{extra.word}' is an option: it takes '=' ('{option}={value}', "
                                      f"not '{extra.word} {value}')", hint=f"write '{option}={value}'",
                                      line=extra.pos.line, column=extra.pos.column, end_column=extra.pos.end_column)
            hint = hint or self._too_many_hint(spec, stmt, positional)
            raise DefinitionError(f"{stmt.keyword} takes {usage(spec, stmt.keyword)}; "
                                  f"'{self._text(extra)}' is one too many", hint=hint,
                                  line=extra.pos.line, column=extra.pos.column, end_column=extra.pos.end_column)
        for arg, size in itertools.zip_longest(spec.arguments, positional):
            if size is None:
                if arg.required:
                    self._argument_as_option(spec, stmt, arg, positional)
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
        if option.name == "frozen" and "frozen" not in spec.options:
            # some of a weighted kind's weights frozen (PyTorch's requires_grad=False on one parameter, Keras'
            # variable.trainable = False): names checked by fold_layer against the kind's weights
            cfg["frozen"] = frozen_names(option.value)
            return
        if option.name == "reuse" and "reuse" not in spec.options:
            # every weighted kind can run an earlier layer's weights again (PyTorch's module called twice,
            # Keras' shared layer); fold_layer checks the named layer's kind and weights once they are known
            value = option.value.text if isinstance(option.value, ir.Str) else option.value.word
            if value is None:
                raise DefinitionError("reuse= takes the name of an earlier layer (reuse=conv1)")
            cfg["reuse"] = value
            return
        if option.name == "activation":
            word = option.value.word if isinstance(option.value, ir.Size) else option.value.text
            if not spec.takes_activation:
                raise DefinitionError(f"{stmt.keyword} takes no activation")
            if word in ("None", "none"):      # Keras' activation=None
                raise DefinitionError("activation=None: symparams writes no activation by leaving activation= out",
                                      hint="delete 'activation=None' (or write activation=linear)")
            if word not in ACTIVATIONS:
                raise DefinitionError(f"unknown activation '{word}'", hint=activation_hint(word or ""))
            cfg["activation"] = word
            return
        opt = spec.options.get(option.name)
        if opt is None:
            allowed = list(spec.options) + ["name", "trainable", "frozen", "reuse"] + (["activation"] if spec.takes_activation else [])
            hint = did_you_mean(option.name, allowed)
            argument = ARGUMENT_OPTIONS.get(option.name, option.name)
            if option.name in spec.elsewhere:                      # attention talking_heads=true
                hint = spec.elsewhere[option.name]
            elif OPTION_NAMES.get(option.name) in spec.options:     # Keras's strides=, use_bias=
                value = self._quoted(option.value) if isinstance(option.value, ir.Size) else "..."
                hint = f"symparams calls it {OPTION_NAMES[option.name]}: write '{OPTION_NAMES[option.name]}={value}'"
            elif argument in {a.name for a in spec.arguments}:      # kernel_size=3, units=10
                hint = (f"the {argument} is an argument, written without a name in its place: "
                        f"{usage(spec, stmt.keyword)}")
            elif option.name in INPUT_SIZE_OPTIONS:                  # Keras' input_shape=, PyTorch's in_features=
                hint = ("the input's size comes from the layer before, and the network's input is its own first "
                        "line ('input 28x28x1'): delete this option")
            elif option.name in NO_COUNT_OPTIONS or option.name.endswith(NO_COUNT_SUFFIXES):
                hint = f"{option.name}= changes no shape or count, so symparams has no such option: delete it"
            known = ", ".join(allowed)
            raise DefinitionError(f"{stmt.keyword} has no option '{option.name}'", line=option.pos.line,
                                  column=option.pos.column, end_column=option.pos.column + len(option.name),
                                  hint=hint or f"its options are {known}")
        if isinstance(option.value, ir.Str):
            # padding="same", as Keras and PyTorch write it: the word needs no quotes here
            unquoted = option.value.text if re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", option.value.text) else None
            raise DefinitionError(f"{option.name}= takes a value, not a quoted string",
                                  hint=f"write '{option.name}={unquoted}', without quotes" if unquoted else None)
        cfg[option.name] = self.value(opt.kind, option.name, option.value, spatial, scope, choices=opt.choices)

    def _too_many_hint(self, spec, stmt, positional) -> str | None:
        """What an extra size usually means to a Keras or PyTorch user."""
        texts = [self._quoted(size) for size in positional]
        if spec.is_input:                                   # 'input 32 32 3'
            return f"a shape's sizes are joined with 'x': write 'input {'x'.join(texts)}'"
        meant = framework_class(stmt.keyword)
        if meant is not None and meant[2] != stmt.keyword and meant[2] in REGISTRY:   # 'linear 10'
            here = "an activation" if stmt.keyword in ACTIVATIONS else "another layer"
            return (f"'{stmt.keyword}' is {here} here; {meant[1]}'s {meant[0]} is '{meant[2]}': "
                    f"write '{' '.join([meant[2], *texts])}'")
        extra = positional[len(spec.arguments)]
        before = positional[len(spec.arguments) - 1] if spec.arguments else None
        if extra.word and before is not None and before.pos.line == extra.pos.line \
                and before.pos.end_column == extra.pos.column:     # 'dense 2n': a product written as in maths
            product = f"{self._quoted(before)}*{extra.word}"
            return f"a product is written with '*': write '{product}'"
        numbers = all(size.word is None for size in positional)
        if not spec.arguments and numbers:                  # 'batchnorm 32': PyTorch's num_features
            return (f"the input's size comes from the layer before (PyTorch's num_features is not "
                    f"written): write '{stmt.keyword}'")
        if numbers and len(positional) == len(spec.arguments) + 1 and spec.arguments[0].name in ("filters", "units"):
            # 'conv2d 3 32 3', 'dense 64 10': PyTorch's in_channels / in_features first
            return (f"the input's size comes from the layer before (PyTorch's in_channels, in_features are "
                    f"not written): write '{' '.join([stmt.keyword, *texts[1:]])}'")
        return None

    def _argument_as_option(self, spec, stmt, arg, positional):
        """'conv 32 kernel_size=3', 'dense units=10': an argument given as a framework's keyword
        argument. Said at that option, with the line as symparams writes it."""
        given = {ARGUMENT_OPTIONS.get(o.name, o.name): o for o in stmt.options if isinstance(o.value, ir.Size)}
        option = given.get(arg.name)
        if option is None:
            return
        written = [self._quoted(size) for size in positional]
        for later in spec.arguments[len(positional):]:
            if later.name not in given:
                break
            written.append(self._quoted(given[later.name].value))
        arguments = {given[a.name].name for a in spec.arguments if a.name in given}
        written += [f"{OPTION_NAMES.get(o.name, o.name)}={self._quoted(o.value)}" for o in stmt.options
                    if o.name not in arguments and isinstance(o.value, ir.Size)]
        raise DefinitionError(f"{option.name}= is {stmt.keyword}'s {arg.name}, an argument written in its "
                              f"place without a name: {usage(spec, stmt.keyword)}",
                              hint=f"write '{' '.join([stmt.keyword, *written])}'", line=option.pos.line,
                              column=option.pos.column, end_column=option.pos.column + len(option.name))

    def _quoted(self, size: ir.Size) -> str:
        """A size as written, for a hint that rewrites the line: control characters escaped, cut if long."""
        return shown(self._text(size), 60)

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
        if kind == PADDING and isinstance(scope.local.get(word), PaddingWord):
            return scope.local[word].word           # b(same) with 'padding=p' in the block
        given = scope.local.get(word)
        if kind == PADDING and given is not None and not is_exact(given) and isinstance(given, sympy.Symbol) and self.names.is_free_word(given.name, Scope()) \
                and given.name not in self.names.values:
            close = did_you_mean(given.name.lower(), _PADDING_WORDS)      # b(sme) with 'padding=p'
            if close:
                raise DefinitionError(f"padding={word} is '{given.name}', the block's argument: padding takes "
                                      "valid, same or a number", hint=close)
        if kind == PADDING and self.names.is_free_word(word, scope):
            if word.lower() in _PADDING_WORDS:      # 'SAME', 'Same': padding, never a symbol
                return word.lower()
            close = did_you_mean(word.lower(), _PADDING_WORDS) if word not in self.names.values else None
            if close:
                raise DefinitionError(f"padding= takes valid, same or a number; got '{word}'", hint=close)
        parts, values = self._parts(size, scope)
        if kind == NUMBER:
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number")
            return values[0]
        for node, v in zip(parts, values):
            if isinstance(node, ir.Dec) and kind != RATE:
                raise DefinitionError(f"{what} must be a whole number; only dropout takes a decimal",
                                      line=node.pos.line, column=node.pos.column)
        if kind == RATE:
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number")
            rate = values[0]
            if is_number(rate) and not (0 <= rate < 1):
                shown = format(float(rate), 'g') if abs(rate) < 10**9 else rate
                raise DefinitionError(f"{what} must be at least 0 and below 1, got {shown}")
            return rate
        if kind == DIMS:
            for node, v in zip(parts, values):
                self._whole(v, what, node)
            return tuple(values)
        if kind in (COUNT, INTEGER):
            if len(values) != 1:
                raise DefinitionError(f"{what} is one number, got {len(values)}")
            v = self._whole(values[0], what, size.parts[0])
            if kind == COUNT:
                self._positive(v, what, size.parts[0])
            else:
                self._not_negative(v, what, size.parts[0])
            return v
        # windows: one value per spatial axis
        if len(values) == 1:
            values = values * spatial
        elif len(values) != spatial:
            raise DefinitionError(f"{what} has {len(values)} sizes but the input has {spatial} spatial "
                                  f"ax{'is' if spatial == 1 else 'es'}",
                                  hint="is the channel axis missing? a one-channel image is H x W x 1 (as in "
                                       "'input 28x28x1')" if len(values) == spatial + 1 else None)
        for node, v in zip(itertools.cycle(size.parts), values):
            self._whole(v, what, node)
            if kind == WINDOW:
                self._positive(v, what, node)
            elif is_number(v) and v < 0:
                raise DefinitionError(f"{what} cannot be negative, got {v}", line=node.pos.line,
                                      column=node.pos.column)
        return tuple(values)

    def _parts(self, size: ir.Size, scope: Scope) -> tuple[list, list]:
        """(the node of each value, the values) of a size: a block parameter bound to a size ('conv 64 k' in a
        block called with (1, 7)) stands for its values, each located at the parameter."""
        parts, values = [], []
        for p in size.parts:
            bound = scope.local.get(p.id) if type(p) is ir.Name else None
            if isinstance(bound, SizeValue):
                parts += [p] * len(bound.values)
                values += list(bound.values)
            else:
                parts.append(p)
                values.append(self.names.expr(p, scope))
        return parts, values

    def _whole(self, v, what, node):
        if whole(v) is not None:
            return v
        if is_exact(v):             # a fraction on ints: refused as SymPy refuses it (is_integer False)
            raise DefinitionError(f"{what} must be a whole number, got {v}", line=node.pos.line,
                                  column=node.pos.column)
        if v.is_integer is False:
            raise DefinitionError(f"{what} must be a whole number, got {v}", line=node.pos.line,
                                  column=node.pos.column)
        if v.is_integer is None:
            self.ctx.constraints.append((MustBeWhole(v),
                                         Deferred(lambda: f"{what} {math_text(v)} must be a whole number")))
        return v

    def _not_negative(self, v, what, node):
        """A whole number at least 0 (INTEGER): a number below is refused, a symbolic one gets the condition."""
        if whole(v) is not None and whole(v) >= 0:
            return
        if v.is_number and not v >= 0:
            raise DefinitionError(f"{what} cannot be negative, got {v}", line=node.pos.line, column=node.pos.column)
        if not v.is_number and v.is_nonnegative is not True:
            self.ctx.constraints.append((v + 1, Deferred(lambda: f"{what} {math_text(v)} must be at least 0")))

    def _positive(self, v, what, node):
        if whole(v) is not None and whole(v) >= 1:
            return
        if v.is_number and not v >= 1:
            raise DefinitionError(f"{what} must be at least 1, got {v}", line=node.pos.line, column=node.pos.column)
        if not v.is_number and v.is_positive is not True:
            self.ctx.constraints.append((v, Deferred(lambda: f"{what} {math_text(v)} must be at least 1")))


def _weight_name(name: str) -> bool:
    """A weight's name: a word, or words and indices joined by dots (PyTorch's out_proj.weight, cpb_mlp.0.bias)."""
    first, *rest = name.split(".")
    return first.isidentifier() and all(part.isidentifier() or part.isdigit() for part in rest)


def frozen_names(value) -> tuple:
    """`frozen=bias`, `frozen=(bias_ih_l0, bias_hh_l0)` or `frozen="bias"`: the names of the weights kept but
    not trained, each once; a quoted one may have dots (`frozen="out_proj.weight, cpb_mlp.0.bias"`: a weight of
    a module inside the layer's, as attention's projections are named)."""
    if isinstance(value, ir.Str):
        names = [n for n in value.text.replace(",", " ").split() if n]
    else:
        names = [part.id if isinstance(part, ir.Name) else None for part in value.parts]
    if not names or any(n is None or not _weight_name(n) for n in names):
        raise DefinitionError("frozen= takes the name of a weight, or several in parentheses: frozen=bias, "
                              "frozen=(weight_ih_l0, bias_ih_l0); quoted with dots: frozen=\"out_proj.weight\"")
    if len(set(names)) != len(names):
        raise DefinitionError(f"frozen= names a weight twice: {', '.join(names)}")
    return tuple(names)
