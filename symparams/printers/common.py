"""Machine-style strings (SymPy's own notation) for messages and the JSON's formula fields, and the
names the engine and older callers import from here. What people read goes through printers/math.py."""

from __future__ import annotations

from functools import lru_cache

import sympy

from ..algebra import as_int, collected, nice
from .math import symbol_name  # noqa: F401  (re-exported)
from .view import at, default_values  # noqa: F401  (re-exported)


def fmt_int(value) -> str:
    """832 -> '832', 217706 -> '217,706'; symbolic or fractional values as text."""
    v = as_int(value)
    if v is not None:
        return f"{v:,}"
    return str(value)


def readable(expr):
    """floor/ceiling arguments over one denominator, ceiling((n - 5)/4) rather than SymPy's
    distributed ceiling(n/4 - 5/4). Presentation only; never fed back."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr
    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
                        lambda e: e.func(sympy.together(e.args[0]), evaluate=False))


def fmt_expr(expr) -> str:
    """SymPy's notation (readable by sympify): for messages and machine-readable fields."""
    if isinstance(expr, sympy.Basic):
        return _sstr(expr)
    return str(expr)


@lru_cache(maxsize=8192)
def _sstr(expr) -> str:
    # one network repeats its sizes on many rows (and JSON writes each row's shape and costs):
    # putting floor/ceiling arguments over one denominator is the slow part, done once per size
    return sympy.sstr(readable(expr))


def formula(expr) -> str:
    return fmt_expr(nice(expr))


def total_formula(expr) -> str:
    return fmt_expr(collected(expr))


def row_label(row) -> str:
    """A row's label as plain text ('conv2d_1', 'stem (conv2d)', 'pass 3', 'repeat_1 ×6')."""
    from .view import plain_label
    from .view import row_label as pieces
    return plain_label(pieces(row))
