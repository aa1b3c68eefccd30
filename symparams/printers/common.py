"""Formatting shared by the printers: numbers, shapes, formulas, values at the defaults."""

from __future__ import annotations

import re

import sympy
from sympy.printing.latex import greek_letters_set

from ..algebra import as_int, collected, nice
from ..network import Layer, Network


def fmt_int(value) -> str:
    """832 -> '832', 217706 -> '217,706'; symbolic or fractional values as text."""
    v = as_int(value)
    if v is not None:
        return f"{v:,}"
    return str(value)


def readable(expr):
    """Display form: floor/ceiling arguments over one denominator, ceiling((n - 5)/4) rather
    than SymPy's distributed ceiling(n/4 - 5/4). Presentation only; never fed back."""
    if not isinstance(expr, sympy.Basic) or not expr.has(sympy.floor, sympy.ceiling):
        return expr
    return expr.replace(lambda e: isinstance(e, (sympy.floor, sympy.ceiling)),
                        lambda e: e.func(sympy.together(e.args[0]), evaluate=False))


def fmt_expr(expr) -> str:
    if isinstance(expr, sympy.Basic):
        return sympy.sstr(readable(expr))
    return str(expr)


def fmt_shape(shape) -> str:
    if not shape:
        return "()"
    return "(" + ", ".join(fmt_expr(d) for d in shape) + ")"


def formula(expr) -> str:
    return fmt_expr(nice(expr))


def total_formula(expr) -> str:
    return fmt_expr(collected(expr))


_GREEK = set(greek_letters_set) | {"lamda", "Lamda"}
_PLAIN = re.compile(r"^([A-Za-z]+?)(\d*)(?:_([A-Za-z0-9]+))?$")


def _part(word: str, upright: bool) -> str:
    if word in _GREEK:
        return sympy.latex(sympy.Symbol(word))
    if len(word) == 1 or word.isdigit():
        return word
    return (r"\mathrm{%s}" if upright else r"\mathit{%s}") % word


def symbol_name(name: str, underscore: str = r"\_") -> str:
    """n_in -> n_{\\mathrm{in}}, k_h -> k_{h}, alpha -> \\alpha, x2 -> x_{2}, odd_names__x -> \\mathit{...}
    (underscore: how a literal '_' is written; GitHub Markdown eats the backslash of \\_)."""
    m = _PLAIN.match(name)
    if m is None:
        return r"\mathit{%s}" % name.replace("_", underscore)
    base, digits, sub = m.groups()
    if digits and sub:
        return r"\mathit{%s}" % name.replace("_", underscore)
    text = _part(base, upright=False)
    sub = digits or sub
    if sub:
        text += "_{%s}" % _part(sub, upright=True)
    return text


def latex_symbol_names(expr, underscore: str = r"\_") -> dict:
    """symbol_names= for sympy.latex: every free symbol of expr typeset by symbol_name."""
    if not isinstance(expr, sympy.Basic):
        return {}
    return {s: symbol_name(s.name, underscore) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}


def at(expr, values: dict):
    """expr with the given symbol values substituted (Sums evaluated); None if still symbolic."""
    if not isinstance(expr, sympy.Basic):
        return expr
    if values and expr.free_symbols:
        expr = expr.subs(values)
    if expr.has(sympy.Sum):
        expr = expr.doit()
    if expr.free_symbols:
        return None
    return expr


def default_values(net: Network) -> dict:
    """{Symbol: value} for every symbol with a default."""
    return {s: v for s, v in net.symbols.items() if v is not None}


def row_label(row: Layer) -> str:
    if row.kind == "iteration":
        return iteration_label(row)
    if row.kind == "path":
        return f"{row.name}:"
    if row.kind == "repeat":
        return f"{row.name} (repeat x{fmt_expr(row.config['count'])})"
    if row.kind == "block":
        return f"{row.name} ({row.config['block']})"
    return f"{row.name} ({row.kind})"


def iteration_label(row: Layer) -> str:
    start = row.start + 1
    if row.index is not None:
        last = row.start + row.count
        return f"pass {row.index} + 1 for {row.index} = {fmt_expr(row.start)} .. {fmt_expr(last - 1)}"
    if row.count == 1:
        return f"pass {fmt_expr(start)}"
    last = row.start + row.count
    return f"passes {fmt_expr(start)} .. {fmt_expr(last)} (x{fmt_expr(row.count)}, identical)"


def weight_arithmetic(row: Layer, values: dict | None = None, *, weights=None, fmt=fmt_expr,
                      dot: str = "·") -> str | None:
    """The parameter count as a person writes it: '(5·5·1 + 1)·32'.
    weights, fmt, dot: other weights (e.g. in generic symbols), expression formatter and product sign
    (the LaTeX printer passes sympy.latex and '\\cdot ')."""
    shapes = []
    for w in (row.weights if weights is None else weights):
        if w.buffer:
            continue
        dims = [at(d, values or {}) if values else d for d in w.shape]
        if any(d is None for d in dims):
            dims = list(w.shape)
        shapes.append([sympy.sympify(d) for d in dims])
    if not shapes:
        return None

    def prod_text(dims):
        if len(dims) == 1:
            return fmt(dims[0])
        return dot.join(fmt(d) if (d.is_Atom or d.is_number) else f"({fmt(d)})" for d in dims) or "1"

    if len(shapes) == 1:
        return prod_text(shapes[0])
    common = None
    for candidate in reversed(shapes[0]):
        if all(any(sympy.expand(candidate - d) == 0 for d in s) for s in shapes[1:]):
            common = candidate
            break
    if common is None:
        return " + ".join(prod_text(s) for s in shapes)
    terms = []
    for s in shapes:
        rest = list(s)
        for k in range(len(rest) - 1, -1, -1):
            if sympy.expand(rest[k] - common) == 0:
                del rest[k]
                break
        terms.append(prod_text(rest))
    factor = fmt(common) if common.is_Atom else f"({fmt(common)})"
    if all(t == "1" for t in terms):
        return f"{len(terms)}{dot}{factor}"
    return f"({' + '.join(terms)}){dot}{factor}"
