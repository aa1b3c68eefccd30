"""HTML for notebooks (Network._repr_html_): the view's table with formulas pre-rendered as MathML,
which browsers typeset with no script, font or CDN, so a notebook reads the same offline and in an
exported HTML file. Every piece of user text is HTML-escaped."""

from __future__ import annotations

from html import escape

from . import math as M
from .view import plain_label, view

_STYLE = ("<style>.symparams td,.symparams th{padding:2px 8px;text-align:left;vertical-align:top}"
          ".symparams td.n{text-align:right;font-variant-numeric:tabular-nums}</style>")


def _math(expr) -> str:
    return M.mathml_block(M.show(expr, "mathml"))


def _shape(dims) -> str:
    return M.mathml_block(M.shape(dims, "mathml")) if dims else "()"


def _formula(r) -> str:
    if r.formula is not None:
        return _math(r.formula)
    return escape(r.formula_text("text"))      # worked arithmetic of numbers reads fine as text


def render(net, *, title: str | None = None) -> str:
    v = view(net)
    # the shape at the defaults, as the text summary's "At defaults" column, when shapes are symbolic
    with_defaults = v.symbolic and bool(v.values)
    out = [_STYLE, f"<p><b>{escape(title or net.program.file or 'Network')}</b> (convention: "
                   f"{escape(net.convention)})</p>",
           '<table class="symparams"><thead><tr><th>Layer</th><th>Output shape</th>'
           + ("<th>At defaults</th>" if with_defaults else "") + '<th>Parameters</th>'
           '<th style="text-align:right">Count</th></tr></thead><tbody>']
    for r in v.rows:
        count = (M.show(r.value) if r.value is not None else "?") if r.has_count else ""
        at = f'<td class="d">{escape(M.shape(r.shape_values))}</td>' if with_defaults and r.shape_values is not None \
            else ('<td class="d"></td>' if with_defaults else "")
        out.append(f'<tr><td style="padding-left:{0.5 + 1.2 * r.depth:g}em">{escape(plain_label(r.label))}</td>'
                   f"<td>{_shape(r.row.output_shape)}</td>{at}<td>{_formula(r) if r.has_count else ''}</td>"
                   f'<td class="n">{count}</td></tr>')
    out.append("</tbody></table><ul>")
    for t in v.totals:
        shown = [x for x in (_math(t.formula) if t.formula is not None else "",
                             M.show(t.value) if t.value is not None else "") if x]
        out.append(f"<li><b>{escape(t.label)}</b>: {' = '.join(shown)}</li>")
    if net.symbols:
        out.append("<li><b>Symbols</b>: " + ", ".join(
            escape(f"{M.show(s)} = {M.show(val)}" if val is not None else f"{M.show(s)} (free)")
            for s, val in net.symbols.items()) + "</li>")
    conditions = v.conditions("text")
    if conditions:
        out.append("<li><b>Valid for</b>: " + escape("; ".join(conditions)) + "</li>")
    for warning in net.warnings:
        out.append(f"<li><b>Warning</b>: {escape(warning)}</li>")
    out.append("</ul>")
    return "\n".join(out) + "\n"
