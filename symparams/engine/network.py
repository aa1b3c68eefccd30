"""The Network facade: the derived, immutable analysis of one program under one convention and
one set of values. `subs` re-derives with the values substituted first, so every numeric check
(a kernel that does not fit, a non-positive size) runs on the numbers too."""

from __future__ import annotations

import functools
import os
from typing import Iterator, Mapping

from ..numeric import sympy, whole
from .. import ir
from ..algebra import as_int, symbol
from ..cpu import bounded
from ..errors import DefinitionError, SymparamsError, UsageError, did_you_mean
from ..layers.base import KERAS
from ..wording import machine
from ..integers import parse_int, shown
from ..syntax import collector_paused, parse_program
from .conditions import Condition, validity
from .fold import Folder
from .rows import Layer, total
from .scopes import Globals


class Network:
    """The derived analysis of one program: rows, totals, symbols and conditions. Immutable:
    `subs`, `evaluate`, `at_defaults` and `unrolled` give new networks."""

    def __init__(self, program: ir.Program, convention: str | None = None,
                 values: Mapping[str, object] | None = None, *, unroll: bool = False):
        # the caller's convention wins; else the file's own 'convention' statement; else Keras
        convention = convention or program.convention or KERAS
        values = {k: _check_value(k, v) for k, v in (values or {}).items()}
        folder = Folder(program, convention, values, unroll)
        try:
            with collector_paused():
                rows, shape = folder.run()
        except RecursionError:
            raise DefinitionError("the architecture is nested too deeply").with_source(program.file,
                                                                                       program.source) from None
        except SymparamsError as exc:
            raise exc.with_source(program.file, program.source)
        if not folder.has_input:
            raise DefinitionError("the file has no 'input' line; start with e.g. 'input 28x28x1'").with_source(
                program.file, program.source)
        names = folder.names
        unknown = [k for k in values if k not in names.defaults and k not in names.used_names]
        if unknown:
            known = sorted(set(names.defaults) | (names.used_names - set(names.aliases)))
            hint = did_you_mean(unknown[0], known) or (f"its symbols are {', '.join(known)}" if known
                                                       else "it has no symbols")
            raise DefinitionError(f"unknown symbol '{unknown[0]}' in --set", hint=hint)
        self.__dict__.update(
            program=program, convention=convention, values=values, unroll=unroll,
            layers=tuple(rows), output_shape=shape, input_shape=rows[0].output_shape if rows else (),
            _symbol_defaults=names.defaults, _aliases=names.aliases,
            # (expression that must be >= 1, a MustBeWhole/MustBeZero test, or None; message) as the
            # derive recorded them
            _raw_constraints=tuple(folder.ctx.constraints),
            warnings=list(dict.fromkeys(folder.ctx.warnings)))

    def __setattr__(self, name, value):
        raise AttributeError(f"a Network is immutable; use subs() or evaluate() for another ('{name}')")

    # -- totals ---------------------------------------------------------------------------
    def _total(self, metric: str) -> sympy.Expr:
        with collector_paused():
            return total([getattr(row, metric) for row in self.layers])

    @functools.cached_property
    def params(self) -> sympy.Expr:
        return self._total("params")

    @functools.cached_property
    def trainable_params(self) -> sympy.Expr:
        return self._total("trainable_params")

    @functools.cached_property
    def non_trainable_params(self) -> sympy.Expr:
        return self._total("non_trainable_params")

    @functools.cached_property
    def buffers(self) -> sympy.Expr:
        return self._total("buffers")

    # -- symbols --------------------------------------------------------------------------
    @functools.cached_property
    def free_symbols(self) -> frozenset:
        found = set()
        # distinct sizes first: rows share most of them, and SymPy recomputes free_symbols each time
        for d in {d for row in self.layers for _, r in row.walk() for d in r.output_shape}:
            found |= d.free_symbols
        found |= self.params.free_symbols
        return frozenset(s for s in found if s.is_positive)

    @property
    def symbols(self) -> dict:
        """{Symbol: default value or None} of every symbol still free in the results."""
        out = {}
        for s in sorted(self.free_symbols, key=lambda s: s.name):
            out[s] = self._symbol_defaults.get(s.name)
        for name, default in self._symbol_defaults.items():
            if name not in self.values:
                out.setdefault(symbol(name), default)
        return dict(sorted(out.items(), key=lambda kv: kv[0].name))

    @property
    def defaults(self) -> dict[str, int]:
        return {k: v for k, v in self._symbol_defaults.items() if k not in self.values}

    @property
    def aliases(self) -> dict:
        return dict(self._aliases)

    @property
    def requirements(self) -> tuple:
        """(expression that must be >= 1, a MustBeWhole/MustBeZero test (layers/base.py) or None for
        words only; message) pairs, as the derive recorded them."""
        return self._raw_constraints

    # -- derived networks -------------------------------------------------------------------
    def subs(self, values: Mapping[str, object] | None = None, **kwargs) -> "Network":
        """A new network with these symbols replaced by numbers (checked again on the numbers)."""
        merged = dict(self.values)
        merged.update(values or {})
        merged.update(kwargs)
        merged = {str(k): v for k, v in merged.items()}
        return type(self)(self.program, self.convention, merged, unroll=self.unroll)

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
        defaults = dict(self.defaults)
        if not defaults:
            return self
        try:
            return self.subs(defaults)
        except SymparamsError as exc:
            shown = ", ".join(f"{k} = {v}" for k, v in sorted(defaults.items()))
            exc.message = f"with the defaults ({shown}): {exc.message}"
            exc.args = (exc.message,)
            raise

    @classmethod
    def at_values(cls, program: ir.Program, convention: str | None = None,
                  values: Mapping[str, object] | None = None) -> "Network":
        """The network that `cls(program, convention, values).at_defaults()` gives, derived once: the
        defaults of the file's 'let' lines are read first (from its top-level statements alone), so
        the one derive runs on the numbers and no symbolic derive comes before it (summary --numbers)."""
        names = Globals(program, {})
        try:
            names.collect()
        except SymparamsError as exc:
            raise exc.with_source(program.file, program.source)
        given = dict(values or {})
        defaults = {k: v for k, v in names.defaults.items() if v is not None and k not in given}
        try:
            return cls(program, convention, {**defaults, **given})
        except SymparamsError as exc:
            if defaults:        # worded as at_defaults words it
                shown = ", ".join(f"{k} = {v}" for k, v in sorted(defaults.items()))
                exc.message = f"with the defaults ({shown}): {exc.message}"
                exc.args = (exc.message,)
            raise

    def unrolled(self) -> "Network":
        """The same network with numeric repeats written out pass by pass (for export and checks)."""
        return type(self)(self.program, self.convention, self.values, unroll=True)

    # -- walking ------------------------------------------------------------------------
    def walk(self) -> Iterator[tuple[int, Layer]]:
        for row in self.layers:
            yield from row.walk()

    def leaves(self) -> list[Layer]:
        return [row for _, row in self.walk() if row.is_leaf]

    # -- validity conditions ----------------------------------------------------------------
    @functools.cached_property
    def validity(self) -> tuple[Condition, ...]:
        """The conditions under which the symbolic results hold (engine/conditions.py)."""
        return tuple(validity(self._raw_constraints))

    @functools.cached_property
    def conditions(self) -> list[tuple]:
        """The conditions as (relation, text) pairs: relation is a SymPy relational in the
        symbols (None for a condition only said in words, such as divisibility), text is how
        `constraints` prints it."""
        return [(c.relation, c.text(machine)) for c in self.validity]

    @property
    def constraints(self) -> list[str]:
        """The conditions as text: 'n >= 12', 'k <= 64', 'n >= k (conv2d_1: ...)'."""
        return [text for _, text in self.conditions]

    def __repr__(self) -> str:
        return f"<Network {len(self.layers)} rows, params={self.params}>"


def _check_value(name, value):
    if isinstance(value, bool):
        raise DefinitionError(f"--set {name}: expected a whole number, got {value}")
    if type(value) is int or isinstance(value, int) or whole(value) is not None:
        v = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise DefinitionError(f"--set {name}={shown(text)}: symbols are positive whole numbers")
        v = parse_int(text, f"--set {name}", error=DefinitionError)
    else:
        v = as_int(sympy.sympify(value)) if isinstance(value, sympy.Basic) else None
        if v is None:
            raise DefinitionError(f"--set {name}={value}: expected a whole number")
    if v < 1:
        raise DefinitionError(f"--set {name}={v}: symbols are positive whole numbers")
    return v


@bounded("deriving the network")
def parse(text: str, *, convention: str | None = None, values: Mapping[str, object] | None = None,
          file: str | None = None, cls: type[Network] = Network) -> Network:
    """Parse architecture text and derive its network (within symparams.limits.API_CPU_SECONDS of CPU
    time, which a caller may raise)."""
    if not isinstance(text, (str, bytes)):
        raise UsageError(f"parse takes the architecture as text (str or bytes), got a {type(text).__name__}; "
                         "symparams.load reads a file")
    return cls(parse_program(text, file), convention, values)


@bounded("deriving the network")
def load(path, *, convention: str | None = None, values: Mapping[str, object] | None = None,
         cls: type[Network] = Network) -> Network:
    """Read an architecture file (at most limits.MAX_SOURCE_BYTES) and derive its network."""
    from ..files import read_bounded, shown
    from ..limits import MAX_SOURCE_BYTES
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise UsageError(f"load takes a file path, got a {type(path).__name__}; symparams.parse reads text")
    data = read_bounded(path, MAX_SOURCE_BYTES, what="architecture file", error=UsageError)
    return cls(parse_program(data, shown(path)), convention, values)
