"""Exact, fast evaluation of network metrics over grids of symbol values.

A metric is compiled from its SymPy expression into Python source that uses only integer
operations: the expression is put over one integer denominator (`numer // denom`, exact
because metrics are whole numbers) and every floor/ceiling becomes integer floor division.
The same code runs on Python ints (exact at any size) and on numpy arrays. Before numpy
int64 is used, a bound on every intermediate value is computed with exact Python ints from
the largest magnitude of each input; when any bound reaches 2**62 the arrays are object
arrays of Python ints instead, so results beyond 2**63 stay exact.

numpy is imported only inside the functions that need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy
from sympy import Add, Integer, Max, Min, Mul, Pow, ceiling, floor

from .errors import DefinitionError, ShapeError, UsageError
from .integers import MAX_DIGITS, MAX_TARGET_DIGITS, parse_int, shown

INT64_SAFE = 2 ** 62          # every intermediate below this runs in int64
# Points in one sweep, and values (points x metrics) in its table: every point becomes a row of
# Python ints and text, so the bound keeps a sweep within seconds and about 1 GB (measured: 1M
# values, 2.7 s and 0.5 GB for the text table on a loaded 2-core machine).
MAX_GRID = 1_000_000
MAX_VALUES = 2_000_000
MAX_SLOW_POINTS = 20_000      # points evaluated by SymPy substitution when a metric does not compile
SLOW_SECONDS = 5
INVALID = "invalid"           # the column (row key) naming the condition a point breaks
_SUFFIXES = {"k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9, "b": 10 ** 9, "t": 10 ** 12}


class _Unsupported(Exception):
    """A node the integer compiler does not handle (evaluation falls back to SymPy)."""


# ----------------------------------------------------------------------------- numbers

def parse_number(text: str, what: str = "value", *, max_digits: int = MAX_TARGET_DIGITS, unit: int = 1) -> int:
    """An exact whole number from user text: 100000, 1_000_000, 1e6, 2.5K, 1M, 1G, 1.5e9.

    Parsed with decimal arithmetic on the digits (never a float), so 123456789012345678901 is exact.
    Digits are ASCII only and at most `max_digits` of them, the exponent included (integers.py).
    `unit` multiplies the number before it must be whole (1.5 with unit 10**9: 1,500,000,000)."""
    from fractions import Fraction

    raw = text
    t = text.strip().replace("_", "").replace(",", "")
    scale = unit
    if unit == 1 and t and t[-1].lower() in _SUFFIXES:
        scale = _SUFFIXES[t[-1].lower()]
        t = t[:-1]
    match = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?", t, re.ASCII)
    if not t or not match or not (match.group(2) or match.group(3)):
        raise UsageError(f"{what}: '{shown(raw)}' is not a number (examples: 100000, 1_000_000, 1e6, 2.5K, 1M, 1G)")
    sign, whole, frac, esign, exp = match.groups()
    whole = parse_int(whole or "0", what, max_digits=max_digits)
    fraction = Fraction(parse_int(frac, what, max_digits=max_digits), 10 ** len(frac)) if frac else 0
    exponent = parse_int(exp, what, max_digits=max_digits) if exp else 0
    if exponent > max_digits:
        raise UsageError(f"{what}: '{shown(raw)}' has more than {max_digits:,} digits, the limit")
    value = (whole + fraction) * scale * (Fraction(10) ** (-exponent if esign == "-" else exponent))
    if value.denominator != 1:
        raise UsageError(f"{what}: '{shown(raw)}' is not a whole number")
    if len(str(abs(value.numerator))) > max_digits:
        raise UsageError(f"{what}: '{shown(raw)}' has more than {max_digits:,} digits, the limit")
    return -int(value) if sign == "-" else int(value)


def parse_values(text: str, what: str = "--vary") -> list[int]:
    """'16:256:16' (start:stop:step, stop included), '8:128' (step 1) or '16,32,64'."""
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise UsageError(f"{what}: a range is START:STOP or START:STOP:STEP, got '{text}'")
        start, stop = (parse_number(parts[0], what, max_digits=MAX_DIGITS),
                       parse_number(parts[1], what, max_digits=MAX_DIGITS))
        step = parse_number(parts[2], what, max_digits=MAX_DIGITS) if len(parts) == 3 else 1
        if step < 1:
            raise UsageError(f"{what}: the step must be at least 1, got {step}")
        if stop < start:
            raise UsageError(f"{what}: the range {text} is empty (stop below start)")
        if (stop - start) // step + 1 > MAX_GRID:
            raise UsageError(f"{what}: the range {shown(text)} has {(stop - start) // step + 1:,} values; "
                             f"a sweep computes at most {MAX_GRID:,} points")
        return list(range(start, stop + 1, step))
    values = [parse_number(p, what, max_digits=MAX_DIGITS) for p in text.split(",") if p.strip()]
    if len(values) > MAX_GRID:
        raise UsageError(f"{what}: {len(values):,} values; at most {MAX_GRID:,} points in a sweep")
    if not values:
        raise UsageError(f"{what}: no values in '{text}'")
    return values


def points(vary: Mapping[str, Sequence[int]]) -> int:
    size = 1
    for vals in vary.values():
        size *= len(vals)
    return size


def check_size(vary: Mapping[str, Sequence[int]], metrics: int = 1) -> None:
    """Refuse a grid past the stated bounds before anything is computed."""
    size = points(vary)
    if size > MAX_GRID:
        shape = " x ".join(f"{len(v):,}" for v in vary.values())
        raise UsageError(f"the grid has {size:,} points ({shape}); a sweep computes at most {MAX_GRID:,}: "
                         "use a coarser step or fewer values")
    if size * metrics > MAX_VALUES:
        raise UsageError(f"{size:,} points x {metrics} metrics is {size * metrics:,} values; a sweep computes "
                         f"at most {MAX_VALUES:,}: use fewer points or metrics")


def parse_vary(items: Sequence[str]) -> dict[str, list[int]]:
    """--vary NAME=VALUES options -> {name: [values]} in the order given."""
    out: dict[str, list[int]] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq or not name.isidentifier():
            raise UsageError(f"--vary takes NAME=VALUES (n=16:256:16 or f=16,32,64), got '{item}'")
        if name in out:
            raise UsageError(f"--vary {name} is given twice")
        out[name] = parse_values(text, f"--vary {name}")
    return out


# ----------------------------------------------------------------------------- compiler

def _prepare(expr) -> sympy.Expr:
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
            return _narrow(np.array(out, dtype=object).reshape(shape))
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
    from .printers.math import text
    return shown(text(expr), width)


def _is_array(v) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype") and getattr(v, "ndim", 0) > 0 or isinstance(v, (list, tuple))


def _narrow(out):
    import numpy as np
    try:
        if out.size and max(abs(int(x)) for x in out.ravel()) < 2 ** 63:
            return out.astype(np.int64)
    except (TypeError, ValueError):
        pass
    return out


def compile_expr(expr, symbols: Sequence[sympy.Symbol] | None = None) -> Compiled:
    """Compile an integer-valued SymPy expression to exact integer code."""
    expr = _prepare(expr)
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


def metric_expr(net, metric: str = "params") -> sympy.Expr:
    """net.metric(name), with an unknown name reported as a usage error."""
    try:
        return net.metric(metric)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("symparams"):
            raise UsageError(f"unknown metric '{metric}'; available: params, trainable, non_trainable, "
                             "buffers") from None
        raise
    except (KeyError, AttributeError, ValueError):
        raise UsageError(f"unknown metric '{metric}'") from None


def lambdify(net, metric: str = "params", symbols: Sequence[str] | None = None) -> Compiled:
    """A fast exact callable for a metric of the network: fn(n=..., f=...) or fn(*values)
    in sorted symbol order; numpy arrays broadcast."""
    from .algebra import symbol
    expr = metric_expr(net, metric)
    syms = [symbol(s) if isinstance(s, str) else s for s in symbols] if symbols is not None else None
    if syms is not None:
        known = {s.name for s in net.free_symbols} | set(net.symbols and [s.name for s in net.symbols])
        for s in syms:
            if s.name not in known:
                raise UsageError(f"unknown symbol '{s.name}'", hint=_symbols_hint(net))
    return compile_expr(expr, syms)


def _symbols_hint(net) -> str:
    names = [s.name for s in net.symbols]
    return f"its symbols are {', '.join(names)}" if names else "the network has no symbols"


# ----------------------------------------------------------------------------- sweeps

@dataclass
class Grid:
    """The result of a sweep in array form: axes, one exact array per metric, and validity: at each
    point the index into `reasons` of the first condition it breaks (-1 where the network is valid)."""
    names: tuple
    axes: tuple
    metrics: dict
    valid: object
    fixed: dict
    why: object = None
    reasons: tuple = ()

    def columns(self) -> dict:
        """{symbol or metric: list of exact Python ints (None where the network is not valid)},
        one entry per grid point, the last symbol varying fastest; and, when some point is not
        valid, INVALID: the condition it breaks (None where it is valid)."""
        import numpy as np
        shape = tuple(len(a) for a in self.axes)
        out = {}
        for k, (name, a) in enumerate(zip(self.names, self.axes)):
            out[name] = np.broadcast_to(np.asarray(a, dtype=object).reshape(
                [len(a) if j == k else 1 for j in range(len(shape))]), shape).ravel().tolist()
        valid = self.valid.ravel()
        for m in self.metrics:
            flat = self.metrics[m].ravel().tolist()                     # Python ints, exact
            if not valid.all():
                flat = [v if ok else None for v, ok in zip(flat, valid.tolist())]
            out[m] = flat
        if not valid.all():
            reasons = self.reasons
            out[INVALID] = [None if k < 0 else reasons[k] for k in self.why.ravel().tolist()]
        return out

    def rows(self) -> "Rows":
        columns = self.columns()
        keys = tuple(columns)
        return Rows([dict(zip(keys, values)) for values in zip(*columns.values())], self.names,
                    tuple(self.metrics))

    # what a person reads (print, notebooks): the table `symparams sweep` prints (printers/sweep.py;
    # convenience at the top of the API, imported only when asked)
    def __str__(self) -> str:
        from .printers.sweep import table
        return table(self.columns(), self.names, tuple(self.metrics))

    def _repr_html_(self) -> str:
        from .printers.sweep import html
        return html(self.columns(), self.names, tuple(self.metrics))


class Rows(list):
    """sweep()'s rows (a list of {symbol: value, ..., metric: value} dicts; INVALID names the
    condition a point breaks, where one does) that print as the table: str() is `symparams
    sweep`'s text, _repr_html_ an HTML table for notebooks."""

    def __init__(self, rows=(), names=(), metrics=()):
        super().__init__(rows)
        self.names, self.metrics = tuple(names), tuple(metrics)

    def _columns(self) -> dict:
        columns = {c: [r[c] for r in self] for c in self.names + self.metrics}
        if any(r.get(INVALID) for r in self):
            columns[INVALID] = [r.get(INVALID) for r in self]
        return columns

    def __str__(self) -> str:
        from .printers.sweep import table
        return table(self._columns(), self.names, self.metrics)

    def _repr_html_(self) -> str:
        from .printers.sweep import html
        return html(self._columns(), self.names, self.metrics)


def grid(net, vary: Mapping[str, Sequence[int]], metrics: Sequence[str] | str = ("params",),
         values: Mapping[str, int] | None = None) -> Grid:
    """Evaluate metrics on the full grid of `vary` values (other symbols: `values`, then defaults)."""
    import numpy as np
    from .algebra import symbol

    if isinstance(metrics, str):
        metrics = (metrics,)
    if values:
        net = net.subs(values)
    if not vary:
        raise UsageError("nothing to vary: give --vary NAME=VALUES")
    known = {s.name for s in net.symbols}
    for name in vary:
        if name not in known:
            raise UsageError(f"--vary {name}: the network has no symbol '{name}'", hint=_symbols_hint(net))
    check_size(vary, len(metrics))
    fixed = {k: v for k, v in net.defaults.items() if k not in vary}
    if fixed:
        net = net.subs(fixed)
    syms = [symbol(n) for n in vary]
    names = tuple(vary)
    axes = tuple(np.array([int(v) for v in vals], dtype=object) for vals in vary.values())
    for name, ax in zip(names, axes):
        if any(v < 1 for v in ax):
            raise UsageError(f"--vary {name}: symbols are positive whole numbers")
    shaped = []
    for k, ax in enumerate(axes):
        shape = [1] * len(axes)
        shape[k] = len(ax)
        arr = _narrow(ax) if len(ax) else ax
        shaped.append(arr.reshape(shape))
    full = tuple(len(a) for a in axes)
    why, reasons = _validity(net, syms, axes, shaped, full)
    results = {}
    for m in metrics:
        fn = compile_expr(metric_expr(net, m), syms)
        results[m] = np.broadcast_to(fn.evaluate_arrays(shaped), full)
        _spot_check(fn, results[m], axes, why < 0)
    return Grid(names, axes, results, why < 0, fixed, why, reasons)


def _validity(net, syms, axes, shaped, full):
    """At every point, the index of the first recorded condition it breaks (-1: valid), and the
    conditions' words: the exact tests of symparams/valid.py on the whole grid at once; a condition
    said only in words is decided by deriving the network at each point still valid (bounded)."""
    import numpy as np
    from .valid import checks

    why = np.full(full, -1, dtype=np.int64)
    reasons: list[str] = []
    found = checks(net, syms)
    for c in found:
        if c.kind == "words":
            continue
        broken = ~np.broadcast_to(np.asarray(c.mask(shaped), dtype=bool), full) & (why < 0)
        if broken.any():
            why[broken] = len(reasons)
            reasons.append(c.message)
    if any(c.kind == "words" for c in found):
        todo = np.argwhere(why < 0)
        if len(todo) > MAX_SLOW_POINTS:
            raise UsageError(f"the network has a condition said only in words, checked by deriving it at each "
                             f"point: at most {MAX_SLOW_POINTS:,} points (this grid has {len(todo):,} valid ones)")
        for idx in todo:
            point = {s.name: int(axes[k][i]) for k, (s, i) in enumerate(zip(syms, idx))}
            try:
                net.subs(point)
            except (ShapeError, DefinitionError) as exc:
                message = exc.message if hasattr(exc, "message") else str(exc)
                if message not in reasons:
                    reasons.append(message)
                why[tuple(idx)] = reasons.index(message)
    return why, tuple(reasons)


def _spot_check(fn: Compiled, values, axes, valid, points: int = 3) -> None:
    """Compare a few valid grid points (first, middle, last) with SymPy substitution (elsewhere the
    formula need not be whole: no count is shown there)."""
    import numpy as np
    shape = values.shape
    where = np.flatnonzero(np.asarray(valid).ravel())
    size = int(where.size)
    for k in sorted({0, size // 2, size - 1})[:points]:
        if size == 0:
            return
        idx = [int(i) for i in np.unravel_index(int(where[k]), shape)]
        point = {s: int(axes[k][idx[k]]) for k, s in enumerate(fn.symbols)}
        want = fn.expr.subs(point)
        if want.has(sympy.Sum):
            want = want.doit()
        if int(values[tuple(idx)]) != want:      # pragma: no cover - a compiler bug, never a user error
            raise AssertionError(f"internal: compiled {fn.expr} gives {values[tuple(idx)]} at {point}, "
                                 f"SymPy gives {want}")


def sweep(net, vary: Mapping[str, Sequence[int]], metrics: Sequence[str] | str = ("params",),
          values: Mapping[str, int] | None = None) -> Rows:
    """Rows {symbol: value, ..., metric: exact int or None where the network is not valid}
    (a list that prints as the table)."""
    return grid(net, vary, metrics, values).rows()
