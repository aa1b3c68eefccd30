"""Markdown summary with $...$ math (renders on GitHub and in Jupyter)."""

from __future__ import annotations

import sympy

from ..algebra import collected, nice
from ..network import Network
from .common import at, default_values, fmt_int, latex_symbol_names, row_label


# GitHub reads a backslash before punctuation as a Markdown escape even inside $...$, and a '|'
# ends the table cell: write math with backslashes before letters only
_MATH_SAFE = {"|": r"\vert ", r"\{": r"\lbrace ", r"\}": r"\rbrace ", r"\,": r"\ "}


def _latex(expr) -> str:
    text = sympy.latex(expr, symbol_names=latex_symbol_names(expr, underscore=r"\underline{\phantom{x}}"))
    for bad, good in _MATH_SAFE.items():
        text = text.replace(bad, good)
    return text


def _math(expr) -> str:
    return "$" + _latex(expr) + "$"


def _shape(shape) -> str:
    if not shape:
        return "$()$"
    return "$" + r" \times ".join(f"({_latex(d)})" if d.is_Add else _latex(d) for d in shape) + "$"


_MARKDOWN_SPECIAL = set("\\`*_{}[]<>()#+-!|$~^&")


def _cell(text: str) -> str:
    """User text (layer names) as literal Markdown: every punctuation mark that could start
    emphasis, a link, HTML, math or a new cell is backslash-escaped."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else (" " if ch < " " else ch) for ch in text)


def _cost_cell(expr, values) -> str:
    if expr is None:
        return "–"
    value = at(expr, values)
    return fmt_int(value) if value is not None else _math(nice(expr))


def render(net: Network, *, title: str | None = None, columns=("params",), cost_options=None,
           explain: bool = False) -> str:
    values = default_values(net)
    extra = [c for c in (columns or ()) if c != "params"]
    costs = None
    labels = []
    if extra:
        from .. import cost
        costs = cost.row_costs(net, extra, cost_options)
        labels = [cost.LABELS[c] for c in extra]
    lines = [f"**{title or net.program.file or 'Network'}** (convention: {net.convention})", "",
             "| Layer | Type | Output shape | Parameters | Count |" + "".join(f" {_cell(x)} |" for x in labels),
             "|---|---|---|---|---:|" + "---:|" * len(extra)]
    for depth, row in net.walk():
        indent = "&nbsp;&nbsp;" * depth
        label = row_label(row)
        if row.kind == "path":
            lines.append(f"| {indent}{_cell(label)} | | {_shape(row.output_shape)} | | |" + " |" * len(extra))
            continue
        value = at(row.params, values)
        lines.append(f"| {indent}{_cell(row.name)} | {_cell(row.kind)} | {_shape(row.output_shape)} | "
                     f"{_math(nice(row.params))} | {fmt_int(value) if value is not None else '?'} |"
                     + "".join(f" {_cost_cell(costs[row][c], values)} |" for c in extra))
    lines.append("")
    for label, expr in (("Total", net.params), ("Trainable", net.trainable_params),
                        ("Non-trainable", net.non_trainable_params)):
        value = at(expr, values)
        shown = _math(collected(expr)) if expr.free_symbols else ""
        number = fmt_int(value) if value is not None else ""
        joiner = " = " if shown and number else ""
        lines.append(f"- **{label} params**: {shown}{joiner}{number}")
    if net.symbols:
        lines.append("- **Symbols**: " + ", ".join(
            f"${_latex(s)} = {v}$" if v is not None else f"${_latex(s)}$ (free)"
            for s, v in net.symbols.items()))
    if net.constraints:
        lines.append("- **Valid for**: " + "; ".join(f"`{c}`" for c in net.constraints))
    if extra:
        from .text import cost_totals
        lines += [f"- {_cell(line)}" for line in cost_totals(net, extra, cost_options, values)]
    if explain:
        from .text import explain_lines
        lines += ["", "**Worked arithmetic**", ""] + [f"- {_cell(line.strip())}" for line in explain_lines(net)]
    return "\n".join(lines) + "\n"
