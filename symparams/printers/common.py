"""Machine-style strings (SymPy's own notation) for messages and the JSON's formula fields, and the
names the engine and older callers import from here. What people read goes through printers/math.py."""

from __future__ import annotations

from ..algebra import collected, nice
from ..notation import machine as fmt_expr
from .math import symbol_name  # noqa: F401  (re-exported)
from .view import at, default_values  # noqa: F401  (re-exported)


def formula(expr) -> str:
    return fmt_expr(nice(expr))


def total_formula(expr) -> str:
    return fmt_expr(collected(expr))


def row_label(row) -> str:
    """A row's label as plain text ('conv2d_1', 'stem (conv2d)', 'pass 3', 'repeat_1 ×6')."""
    from .view import plain_label
    from .view import row_label as pieces
    return plain_label(pieces(row))
