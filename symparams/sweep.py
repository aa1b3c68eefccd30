"""Exact, fast evaluation of network metrics over grids of symbol values.

Each metric is compiled once (symparams/compiled.py: exact integer code, numpy arrays where
int64 cannot overflow) and evaluated on the whole grid at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import sympy

from .compiled import MAX_SLOW_POINTS, Compiled, compile_expr, narrow
from .errors import DefinitionError, ShapeError, UsageError
from .integers import MAX_DIGITS, parse_number, shown

# Points in one sweep, and values (points x metrics) in its table: every point becomes a row of
# Python ints and text, so the bound keeps a sweep within seconds and about 1 GB (measured: 1M
# values, 2.7 s and 0.5 GB for the text table on a loaded 2-core machine).
MAX_GRID = 1_000_000
MAX_VALUES = 2_000_000
INVALID = "invalid"           # the column (row key) naming the condition a point breaks


# ----------------------------------------------------------------------------- numbers

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


def _option_symbols(metrics) -> set:
    """Names of the symbols the metrics' options bring (a parallel layout's sizes: --tp t), which a
    sweep varies like the network's own."""
    names = set()
    for m in metrics:
        layout = getattr(getattr(m, "options", None), "layout", None)
        if layout is not None:
            from .parallel import SIZES
            names |= {s.name for n in SIZES for s in getattr(layout, n).free_symbols}
    return names


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
    known = {s.name for s in net.symbols} | _option_symbols(metrics)
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
        arr = narrow(ax) if len(ax) else ax
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
