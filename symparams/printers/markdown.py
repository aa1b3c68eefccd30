"""Markdown summary with $...$ math (renders on GitHub and in Jupyter), laid out from the view."""

from __future__ import annotations

import unicodedata

from ..algebra import nice
from . import math as M
from .view import GROUP_KINDS, lay_label, view

_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-!|$~^")
_PROSE_SPECIAL = frozenset("\\`*_[]|$~^#")     # enough for running text (no line starts here)
_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}   # entities: no renderer reads them as markup


def cell(text: str, special=_MARKDOWN_SPECIAL) -> str:
    """User text (layer names) as literal Markdown: HTML characters as entities, every punctuation
    mark that could start emphasis, a link, math or a new cell backslash-escaped, control characters
    (and the C1 and bidi controls) as spaces."""
    out = []
    for ch in str(text):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in special:
            out.append("\\" + ch)
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _math(expr) -> str:
    return "$" + M.mathjax(expr) + "$"


def _shape(dims) -> str:
    return "$" + (M.shape(dims, "mathjax") if dims else "()") + "$"


def label(pieces) -> str:
    return lay_label(pieces, cell, _math, lambda e: r"$\times %s$" % M.mathjax(e),
                     lambda a, b: "$%s$–$%s$" % (M.mathjax(a), M.mathjax(b)))


def _cost_cell(expr, v) -> str:
    if expr is None:
        return "–"
    value = v.value(expr)
    return M.show(value) if value is not None else _math(nice(expr))


def render(net, *, title: str | None = None, columns=("params",), cost_options=None, explain: bool = False) -> str:
    """The table (a column per cost metric in columns besides params), the totals, and with
    explain each layer's worked arithmetic."""
    v = view(net)
    extra = [c for c in (columns or ()) if c != "params"]
    costs, labels = None, []
    if extra:
        from .. import cost
        from ..metrics import REGISTRY
        costs = cost.row_costs(net, extra, cost_options)
        labels = [REGISTRY[c].label for c in extra]
    lines = [f"**{cell(title or net.program.file or 'Network')}** (convention: {net.convention})", "",
             "| Layer | Type | Output shape | Parameters | Count |" + "".join(f" {cell(x)} |" for x in labels),
             "|---|---|---|---|---:|" + "---:|" * len(extra)]
    for r in v.rows:
        indent = "&nbsp;&nbsp;" * r.depth
        formula = r.formula_text("mathjax")
        count = M.show(r.value, "text") if r.value is not None else ("?" if r.has_count else "")
        grouping = r.row.kind in GROUP_KINDS
        name = label(r.label) if grouping or r.row.kind == "repeat" else cell(r.row.name)
        kind = "" if grouping else cell(r.row.kind)
        lines.append(f"| {indent}{name} | {kind} | {_shape(r.row.output_shape)} | "
                     f"{'$' + formula + '$' if formula else ''} | {count} |"
                     + "".join(f" {_cost_cell(costs[r.row][c], v) if r.has_count else ''} |" for c in extra))
    lines.append("")
    for t in v.totals:
        formula = _math(t.formula) if t.formula is not None else ""
        number = M.show(t.value, "text") if t.value is not None else ""
        lines.append(f"- **{t.label}**: {' = '.join(x for x in (formula, number) if x)}")
    if net.symbols:
        lines.append("- **Symbols**: " + ", ".join(
            f"${M.mathjax(s)} = {M.mathjax(val)}$" if val is not None else f"${M.mathjax(s)}$ (free)"
            for s, val in net.symbols.items()))
    conditions = v.conditions("text")
    if conditions:
        lines.append("- **Valid for**: " + "; ".join(cell(c, _PROSE_SPECIAL) for c in conditions))
    if extra:
        from .text import cost_totals
        lines += [f"- {cell(line, _PROSE_SPECIAL)}" for line in cost_totals(net, extra, cost_options, v)]
    if explain:
        from .text import explain_lines
        lines += ["", "**Worked arithmetic**", ""] + [f"- {cell(line.strip(), _PROSE_SPECIAL)}"
                                                      for line in explain_lines(net)]
    return "\n".join(lines) + "\n"


def summary(net, *, columns=("params",), cost_options=None, explain: bool = False, **_) -> str:
    """`symparams summary --format markdown`."""
    return render(net, columns=columns, cost_options=cost_options, explain=explain)
