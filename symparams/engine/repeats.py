"""Repeats: passes iterated one by one, copied when the shape stops changing, or solved in
closed form (each axis's one-pass recurrence) when the count is symbolic."""

from __future__ import annotations

import random

from ..numeric import integer, sympy
from .. import ir
from ..algebra import as_int, ceil_div, equal, floor_div, index_symbol, split_rounded
from ..errors import DefinitionError, ShapeError
from ..layers.base import Config, Deferred
from ..wording import math_text
from ..limits import MAX_EXPLICIT_ITERATIONS, MAX_INTEGER_BITS, MAX_ROWS, MAX_UNROLL
from .budget import too_many_rows
from .rows import ITERATION, REPEAT, Layer, shape_text
from .scopes import Scope, body_uses

SYMBOLIC_PEEL = 2                 # iterations tried before looking for a closed form


def fold_repeat(folder, stmt: ir.Repeat, shape, scope: Scope):
    """(row, output shape) of a repeat statement; folder is the fold.Folder doing the derive."""
    count = folder.names.expr(stmt.count, scope)
    n = as_int(count)
    if n is None and count.is_integer is False:
        raise DefinitionError(f"repeat count must be a whole number, got {count}")
    if n is not None and n < 0:
        raise DefinitionError(f"repeat count cannot be negative, got {n}")
    name = folder.auto_name(REPEAT)
    if n == 0:
        return Layer(name=name, kind=REPEAT, line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                     output_shape=shape, count=integer(1), config=Config(count=count)), shape
    constraints = folder.ctx.constraints
    if n is None and count.is_nonnegative is not True:
        # zero passes are fine (the input passes through); passes peeled off one by one below
        # need at least that many (_require_passes)
        constraints.append((count + 1, f"repeat count {count} cannot be negative"))
    segments = []
    current = shape
    if folder.unroll and n is not None:
        if n > MAX_UNROLL:
            raise DefinitionError(f"repeat {n} is too many iterations to unroll (limit {MAX_UNROLL:,})")
        for j in range(n):
            made = folder.rows_made
            rows, current = _iteration(folder, stmt, current, scope, integer(j))
            segments.append(_segment(stmt, rows, current, integer(1), integer(j)))
            _foresee(folder, n, j, made)
        return _repeat_row(stmt, name, shape, current, segments, count), current
    uses_index = stmt.index is not None and body_uses(stmt.body, stmt.index)
    explicit = n if n is not None and n <= MAX_EXPLICIT_ITERATIONS else None
    limit = explicit if explicit is not None else SYMBOLIC_PEEL + 1
    failure = None
    for j in range(limit):
        before = folder.save()
        made = folder.rows_made
        rows, nxt = _iteration(folder, stmt, current, scope, integer(j))
        if uses_index and explicit is not None:
            _foresee(folder, explicit, j, made)
        if not uses_index and len(nxt) == len(current) and all(equal(a, b) is True for a, b in zip(nxt, current)):
            # every later pass sees the same shape: the rest are copies of this one
            segments.append(_segment(stmt, rows, nxt, count - j, integer(j)))
            _require_passes(folder, count, n, j)
            return _repeat_row(stmt, name, shape, nxt, segments, count), nxt
        if explicit is None:
            saved = folder.save()
            # the closed form replaces this explicit pass: its names and conditions go with it
            folder.restore(before)
            try:
                segment, final = _closed_form(folder, stmt, current, integer(j), count, scope)
            except ShapeError as exc:
                failure = exc
                folder.restore(saved)
            else:
                segments.append(segment)
                _require_passes(folder, count, n, j)
                return _repeat_row(stmt, name, shape, final, segments, count), final
        segments.append(_segment(stmt, rows, nxt, integer(1), integer(j)))
        current = nxt
    if explicit is not None:
        return _repeat_row(stmt, name, shape, current, segments, count), current
    raise failure


def _foresee(folder, n, j, made_before):
    """Every pass of this repeat will be made: refuse now, not after minutes, when the passes
    left, each as large as this one, would pass the bound on rows."""
    per_pass = folder.rows_made - made_before
    if folder.rows_made + per_pass * (n - j - 1) > MAX_ROWS:
        raise too_many_rows(f"repeat {n}", per_pass * n)


def _require_passes(folder, count, n, peeled):
    if n is None and peeled >= 1:
        folder.ctx.constraints.append((count - peeled + 1, f"repeat count {count} must be at least {peeled}"))


def _repeat_row(stmt, name, shape, out, segments, count):
    return Layer(name=name, kind=REPEAT, line=stmt.pos.line, column=stmt.pos.column, input_shape=shape,
                 output_shape=out, children=tuple(segments), config=Config(count=count, index=stmt.index))


def _segment(stmt, rows, out, count, start, index=None):
    return Layer(name="pass", kind=ITERATION, line=stmt.pos.line, column=stmt.pos.column,
                 input_shape=rows[0].input_shape if rows else out, output_shape=out, children=tuple(rows),
                 count=count, start=start, index=index)


def _iteration(folder, stmt, shape, scope: Scope, index_value):
    return folder.statements(stmt.body, shape, scope.with_index(stmt.index, index_value))



def _closed_form(folder, stmt, shape, start, count, scope):
    """The passes start .. count-1 of a repeat whose shape keeps changing: solve each
    axis's one-pass recurrence, derive the body once at pass i, and sum over i."""
    i = index_symbol(stmt.index or "i")
    probe = tuple(sympy.Dummy(f"x{k}", integer=True, positive=True) for k in range(len(shape)))
    saved = folder.save()
    _, probe_out = _iteration(folder, stmt, probe, scope, i)
    folder.restore(saved)
    if len(probe_out) != len(shape):
        raise ShapeError("repeat: the body changes the number of axes, so it cannot be repeated a symbolic "
                         "number of times")
    closed = []
    for k, (x, f) in enumerate(zip(probe, probe_out)):
        others = (f.free_symbols & set(probe)) - {x}
        if others:
            raise ShapeError(f"repeat: axis {k + 1} of the output depends on other axes ({f}); "
                             "no closed form for a symbolic repeat count")
        form = solve_recurrence(x, f, shape[k], start, i)
        if form is None:
            raise ShapeError(f"repeat: axis {k + 1} changes as {f.subs(x, sympy.Symbol('x'))} on each pass "
                             "and symparams finds no closed form for that; use a numeric count or --set it")
        closed.append(form)
    at_i = tuple(closed)
    rows, out = _iteration(folder, stmt, at_i, scope, i)
    following = tuple(c.subs(i, i + 1) for c in closed)
    if not _agrees(out, following, i, start):
        raise ShapeError("repeat: the shape after each pass does not follow a closed form "
                         f"({shape_text(out)} vs {shape_text(following)}); use a numeric count")
    _exponents_fit(closed + [e for e, _ in folder.ctx.constraints if e is not None], i, count)
    # constraints that mention the index hold for every pass when they hold for the last one
    last = count - 1
    folder.ctx.constraints = [(e.subs(i, last), Deferred(lambda m=m: f"{m}, at the last pass ({i} = "
                                                                     f"{math_text(last)})"))
                              if e is not None and e.has(i) else (e, m) for e, m in folder.ctx.constraints]
    final = tuple(c.subs(i, count) for c in closed)
    for d in final:
        if d.is_number and not d >= 1:
            raise ShapeError(f"repeat {count}: a size reaches {d} after the last pass")
    segment = _segment(stmt, rows, final, count - start, start, index=i)
    return segment, final


def _exponents_fit(exprs, i, count) -> None:
    """A numeric count put into a closed form with the index in an exponent (2^i of a doubling width)
    must keep the powers within limits.MAX_INTEGER_BITS: SymPy would otherwise compute 2^(10^10), a
    1.25 GB number, in one C call that no time limit interrupts."""
    value = as_int(count) if not isinstance(count, int) else count
    if value is None:
        return
    for expr in exprs:
        for power in getattr(expr, "atoms", lambda *_: ())(sympy.Pow):
            base, exponent = power.args
            if not exponent.has(i) or not base.is_number or base.is_zero or abs(base) == 1:
                continue
            growth = abs(sympy.log(abs(base), 2).evalf(5)) * value
            if growth > MAX_INTEGER_BITS:
                raise ShapeError(f"repeat {value:,}: {math_text(power)} at the last pass would have more than "
                                 f"{MAX_INTEGER_BITS:,} bits, the limit on any number a file computes")


def solve_recurrence(x, f, initial, start, i):
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
    split = split_rounded(f)
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
