"""An exact integer compiler for SymPy expressions: a metric (or a condition) becomes Python source
that uses only integer operations. The expression is put over one integer denominator (`numer //
denom`, exact because metrics are whole numbers) and every floor/ceiling becomes integer floor
division. The same code runs on Python ints (exact at any size) and on numpy arrays. Before numpy
int64 is used, a bound on every intermediate value is computed with exact Python ints from the
largest magnitude of each input; when any bound reaches 2**62 the arrays are object arrays of
Python ints instead, so results beyond 2**63 stay exact.

sweep, solve, valid, plot and the playground evaluate with it; numpy is imported only inside the
functions that need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy
from sympy import Add, Integer, Max, Min, Mul, Pow, ceiling, floor

from .errors import UsageError
from .integers import shown

INT64_SAFE = 2 ** 62          # every intermediate below this runs in int64
MAX_SLOW_POINTS = 20_000      # points evaluated by SymPy substitution when a metric does not compile
SLOW_SECONDS = 5


class _Unsupported(Exception):
    """A node the integer compiler does not handle (evaluation falls back to SymPy)."""


def prepare(expr) -> sympy.Expr:
    expr = sympy.sympify(expr)
    if expr.has(sympy.Sum, sympy.Product):
        expr = expr.doit()
    return expr


class _Gen:
    """SymPy -> integer-only Python source over argument names a0, a1, ...; also a bound on the
    magnitude of every node given a bound on each argument."""

    def __init__(self, names: Mapping[sympy.Symbol, str]):
        self.names = dict(names)

    def code(self, e) -> str:
        """Source for an integer-valued expression."""
        e = sympy.sympify(e)
        numer, denom = self._split(e)
        if denom == 1:
            return self._poly(numer)
        return f"(({self._poly(numer)}) // ({self._poly(denom)}))"

    def _split(self, e):
        if e.is_Integer or e.is_Symbol:
            return e, Integer(1)
        # 2**(2 - d) -> 4/2**d: a power of a symbolic exponent is kept only with a positive exponent,
        # the rest goes to the denominator (integer code has no negative powers)
        numer, denom = sympy.together(sympy.expand_power_exp(e)).as_numer_denom()
        if denom.is_number and denom < 0:
            numer, denom = -numer, -denom
        return numer, denom

    def _poly(self, e) -> str:
        """Source for an expression built from integers, symbols, +, *, whole powers and roundings."""
        if e.is_Integer:
            return f"({int(e)})"
        if e.is_Symbol:
            if e not in self.names:
                raise _Unsupported(f"free symbol {e}")
            return self.names[e]
        if isinstance(e, Add):
            return "(" + " + ".join(self._poly(a) for a in e.args) + ")"
        if isinstance(e, Mul):
            if any(a.is_Rational and not a.is_Integer for a in e.args):
                raise _Unsupported(e)
            return "(" + " * ".join(self._poly(a) for a in e.args) + ")"
        if isinstance(e, Pow):
            base, exp = e.args
            if exp.is_Integer:
                if exp < 0:
                    raise _Unsupported(e)
                return f"({self._poly(base)} ** {int(exp)})"
            if base.is_Integer and base > 0 and exp.is_integer and exp.is_nonnegative:
                return f"({self._poly(base)} ** {self.code(exp)})"
            raise _Unsupported(e)
        if isinstance(e, (floor, ceiling)):
            numer, denom = self._split(e.args[0])
            n, d = self._poly(numer), self._poly(denom)
            if isinstance(e, floor):
                return f"(({n}) // ({d}))"
            return f"(-((-({n})) // ({d})))"
        if isinstance(e, (Max, Min)):
            fn = "_max" if isinstance(e, Max) else "_min"
            out = self.code(e.args[0])
            for a in e.args[1:]:
                out = f"{fn}({out}, {self.code(a)})"
            return out
        raise _Unsupported(e)

    # -- magnitude bounds (exact Python ints) -------------------------------------------
    def bound(self, e, sizes: Mapping[sympy.Symbol, int]) -> int:
        """An upper bound on |value| of every intermediate of code(e) when |arg| <= sizes[arg]."""
        worst = [0]

        def note(v):
            if v > worst[0]:
                worst[0] = v
            return v

        def poly(x):
            if x.is_Integer:
                return note(abs(int(x)))
            if x.is_Symbol:
                return note(sizes[x])
            if isinstance(x, Add):
                return note(sum(poly(a) for a in x.args))
            if isinstance(x, Mul):
                out = 1
                for a in x.args:
                    out *= poly(a)
                    note(out)
                return out
            if isinstance(x, Pow):
                base, exp = x.args
                b = poly(base)
                k = int(exp) if exp.is_Integer else top(exp)
                if b > 1 and k.bit_length() > 20:
                    return note(2 ** 10_000)
                return note(b ** k) if b > 1 else note(b)
            if isinstance(x, (floor, ceiling)):
                numer, denom = self._split(x.args[0])
                poly(denom)
                return note(poly(numer) + 1)
            if isinstance(x, (Max, Min)):
                return note(max(top(a) for a in x.args))
            raise _Unsupported(x)

        def top(x):
            numer, denom = self._split(sympy.sympify(x))
            poly(denom)
            return poly(numer)

        top(e)
        return worst[0]


def _max(a, b):
    if type(a) is int and type(b) is int:      # exact scalars need no numpy (an optional extra)
        return a if a >= b else b
    import numpy as np
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return a if a >= b else b


def _min(a, b):
    if type(a) is int and type(b) is int:
        return a if a <= b else b
    import numpy as np
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.minimum(a, b)
    return a if a <= b else b


@dataclass
class Compiled:
    """A metric compiled to exact integer code. Call with one value (int or array) per symbol,
    positionally in `.symbols` order or by name; arrays broadcast (numpy rules)."""
    expr: sympy.Expr
    symbols: tuple
    source: str | None
    _fn: object = field(default=None, repr=False)
    _gen: object = field(default=None, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.symbols)

    def _args(self, args, kwargs):
        if len(args) > len(self.symbols):
            raise UsageError(f"expected at most {len(self.symbols)} values ({', '.join(self.names)})")
        values = dict(zip(self.names, args))
        for k, v in kwargs.items():
            if k not in self.names:
                raise UsageError(f"unknown symbol '{k}'; this metric depends on {', '.join(self.names) or 'nothing'}")
            values[k] = v
        missing = [n for n in self.names if n not in values]
        if missing:
            raise UsageError(f"missing value for {', '.join(missing)}")
        return [values[n] for n in self.names]

    def __call__(self, *args, **kwargs):
        vals = self._args(args, kwargs)
        if not any(_is_array(v) for v in vals):
            return self.exact(*[int(v) for v in vals])
        import numpy as np
        arrays = [np.asarray(v) for v in vals]
        return self.evaluate_arrays(arrays)

    def exact(self, *vals: int) -> int:
        """One point with Python ints (exact at any size)."""
        if self._fn is None:
            value = self.expr.subs(dict(zip(self.symbols, vals)))
            return int(value.doit() if value.has(sympy.Sum) else value)
        return int(self._fn(*vals))

    def evaluate_arrays(self, arrays):
        """Arrays of values (broadcastable) -> int64 array when provably safe, else object array."""
        import numpy as np
        shape = np.broadcast_shapes(*[a.shape for a in arrays]) if arrays else ()
        if self._fn is None:                      # SymPy per point (rare node kinds): slow, so bounded
            import time
            flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
            size = int(np.prod(shape))
            if size > MAX_SLOW_POINTS:
                raise UsageError(f"{_short(self.expr)} has a form the fast evaluator does not compile; "
                                 f"it is evaluated point by point, at most {MAX_SLOW_POINTS:,} points "
                                 f"(this grid has {size:,})")
            deadline = time.monotonic() + SLOW_SECONDS
            out = []
            for i in range(size):
                out.append(self.exact(*[int(v[i]) for v in flat]))
                if time.monotonic() > deadline:
                    raise UsageError(f"{_short(self.expr)} is evaluated point by point (a form the fast "
                                     f"evaluator does not compile) and {i + 1:,} of {size:,} points took "
                                     f"over {SLOW_SECONDS} s, the limit: use fewer points")
            return narrow(np.array(out, dtype=object).reshape(shape))
        sizes = {s: int(max(abs(int(a.max())), abs(int(a.min())))) if a.size else 0
                 for s, a in zip(self.symbols, arrays)}
        if self._gen.bound(self.expr, sizes) < INT64_SAFE:
            ins = [a.astype(np.int64) for a in arrays]
            out = self._fn(*ins)
        else:
            ins = [a.astype(object) for a in arrays]
            out = self._fn(*ins)
        out = np.asarray(out)
        if out.shape != shape:
            out = np.broadcast_to(out, shape).copy()
        return out


def _short(expr, width: int = 60) -> str:
    from .notation import text
    return shown(text(expr), width)


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype") and getattr(v, "ndim", 0) > 0 or isinstance(v, (list, tuple))


def narrow(out):
    import numpy as np
    try:
        if out.size and max(abs(int(x)) for x in out.ravel()) < 2 ** 63:
            return out.astype(np.int64)
    except (TypeError, ValueError):
        pass
    return out


def compile_expr(expr, symbols: Sequence[sympy.Symbol] | None = None) -> Compiled:
    """Compile an integer-valued SymPy expression to exact integer code."""
    expr = prepare(expr)
    if symbols is None:
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    symbols = tuple(symbols)
    extra = expr.free_symbols - set(symbols)
    if extra:
        many = len(extra) > 1
        raise UsageError(f"symbol{'s' if many else ''} {', '.join(sorted(s.name for s in extra))} "
                         f"need{'' if many else 's'} a value (--set NAME=VALUE or --vary)")
    names = {s: f"a{i}" for i, s in enumerate(symbols)}
    gen = _Gen(names)
    try:
        body = gen.code(expr)
        gen.bound(expr, {s: 1 for s in symbols})
    except _Unsupported:
        return Compiled(expr, symbols, None)
    source = f"def _metric({', '.join(names[s] for s in symbols)}):\n    return {body}\n"
    scope = {"_max": _max, "_min": _min}
    exec(compile(source, "<symparams metric>", "exec"), scope)   # generated from SymPy nodes only
    return Compiled(expr, symbols, source, scope["_metric"], gen)
