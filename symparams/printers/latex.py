"""LaTeX for papers and lecture slides: a booktabs table, a worked derivation, closed-form totals;
fragments, complete article documents, beamer slides, and the MathJax array Jupyter shows.

Everything user-written (layer names, file names) is escaped, so the output always compiles;
symbol names are typeset as a person would (n_in -> n_{\\mathrm{in}}, alpha -> \\alpha).
"""

from __future__ import annotations

import re
import unicodedata

import sympy

from ..algebra import as_int, collected, nice
from . import math as M
from .math import symbol_name
from .view import GROUP_KINDS, at, axis_sizes, default_values, pass_label, row_label, tex_label, view
from .view import arithmetic as _arithmetic

PARTS = ("table", "derivation", "totals")
PACKAGES = ("amsmath", "booktabs", "graphicx")

# ----------------------------------------------------------------------------- text and math

_TEXT_ESCAPES = {
    "\\": r"$\backslash$", "{": r"$\{$", "}": r"$\}$", "$": r"$\$$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\^{}", "~": r"\~{}", "<": r"$<$", ">": r"$>$", "|": r"$|$", '"': "''",
}


def escape(text: str) -> str:
    """User text made safe for LaTeX text mode (any character; unknown ones become '?')."""
    out = []
    for ch in unicodedata.normalize("NFKD", str(text)):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif unicodedata.combining(ch):
            continue
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        elif ch > "\x7f":
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


def tex(expr) -> str:
    """A SymPy expression (or number) as LaTeX math (the one math printer's LaTeX mode)."""
    return M.latex(expr)


def group(n: int) -> str:
    """217706 -> '217{,}706' (math mode)."""
    return f"{n:,}".replace(",", "{,}")


def number(value) -> str:
    v = as_int(value)
    return group(v) if v is not None else tex(value)


def shape(dims) -> str:
    """28 x 28 x 1 with \times; a sum in parentheses: (n - 4) \times (n - 4) \times 32."""
    return M.shape(dims, "latex") if dims else "()"


# ----------------------------------------------------------------------------- labels

def _kind_note(row) -> str:
    return r" {\footnotesize(%s)}" % escape(row.kind)


def label(row) -> str:
    """The table's first column for one row (text mode): the view's label pieces, the name in
    roman, a pass or a path in italics, a kind note in small type."""
    pieces = row_label(row)
    if row.kind in GROUP_KINDS:
        return r"\textit{%s}" % tex_label(pieces, escape)
    text = tex_label(pieces[:1], escape)
    rest = pieces[1:]
    if rest and row.kind != "repeat":
        return text + r" {\footnotesize%s}" % tex_label(rest, escape)
    return text + (" " + tex_label(rest, escape) if rest else "")


# ----------------------------------------------------------------------------- formulas

def arithmetic(row, values: dict | None = None, weights=None) -> str | None:
    """The view's worked arithmetic in LaTeX: (5 \\cdot 5 \\cdot 1 + 1) \\cdot 32."""
    a = _arithmetic(row, values, weights=weights)
    return a.show("latex") if a is not None else None


# the generic names of a layer's own quantities are the kind's (LayerSpec.letters)
_AXES = {1: ("",), 2: ("h", "w"), 3: ("d", "h", "w")}


def _generic_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True, positive=True)


def general_weights(row, convention: str):
    """The row's weights re-derived with its own sizes as letters (kernel k_h x k_w, C_in input
    channels, C_out filters), checked to give the same count; None when that does not apply."""
    from ..layers import REGISTRY
    from ..layers.base import COUNT, WINDOW, Config, Context
    cfg = row.config or {}
    keyword = cfg.get("keyword")
    spec = REGISTRY.get(keyword)
    if spec is None or not row.weights or not row.input_shape:
        return None
    letters = spec.letters or {}
    generic = Config(cfg)
    subs = {}
    for arg in spec.arguments:
        value = cfg.get(arg.name)
        if value is None:
            continue
        if arg.kind == COUNT and arg.name in letters:
            s = _generic_symbol(letters[arg.name])
            subs[s] = value
            generic[arg.name] = s
        elif arg.kind == WINDOW and isinstance(value, tuple) and arg.name == "kernel" and len(value) in _AXES:
            syms = tuple(_generic_symbol(f"k_{a}" if a else "k") for a in _AXES[len(value)])
            subs.update(zip(syms, value))
            generic[arg.name] = syms
    in_shape = tuple(row.input_shape)
    if "input" in letters:
        s = _generic_symbol(letters["input"])
        if s in subs:
            return None
        subs[s] = in_shape[-1]
        in_shape = in_shape[:-1] + (s,)
    if not subs:
        return None
    try:
        ctx = Context(convention=convention)
        spec.configure(generic, in_shape, ctx)
        weights = tuple(spec.weights(generic, in_shape, ctx))
    except Exception:   # noqa: BLE001 - presentation only: fall back to the plain arithmetic
        return None
    size = sympy.Add(*[w.size for w in weights if not w.buffer])
    if not size.free_symbols & set(subs) or sympy.expand(size.subs(subs, simultaneous=True) - row.params) != 0:
        return None
    return weights


_AXIS_LETTERS = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def size_arithmetic(row, values: dict) -> list[str] | None:
    """How a windowed layer's output size follows from its input: "H' = W' &= 28 - 5 + 1 = 24"
    (the view's AxisSize, in LaTeX)."""
    sizes = axis_sizes(row, values)
    if not sizes or len(sizes) not in _AXIS_LETTERS:
        return None
    if all(a.size == a.out for a in sizes):
        return None     # the size does not change: nothing to show
    pieces = [(a.show("latex"), tex(a.out)) for a in sizes]
    letters = _AXIS_LETTERS[len(sizes)]
    if len(set(pieces)) == 1:
        names = " = ".join(f"{x}'" for x in letters)
        return [r"%s &= %s = %s" % (names, pieces[0][0], pieces[0][1])]
    return [r"%s' &= %s = %s" % (x, t, o) for x, (t, o) in zip(letters, pieces)]


# ----------------------------------------------------------------------------- table

def table_rows(net, values: dict | None = None) -> list[str]:
    v = view(net)
    rows = []
    for r in v.rows:
        indent = r"\hspace*{%gem}" % r.depth if r.depth else ""
        cells = [indent + label(r.row), "$%s$" % shape(r.row.output_shape)]
        if r.has_count:
            formula = r.formula_text("latex")
            value = r.value if values is None else at(r.params, values)
            cells += ["$%s$" % formula if formula else "", "$%s$" % number(value) if value is not None else "--"]
        else:
            cells += ["", ""]
        rows.append(" & ".join(cells) + r" \\")
    return rows


def totals_rows(net, values: dict | None = None, formulas: bool = True) -> list[str]:
    """formulas=False: numbers only (when the totals are shown as formulas elsewhere)."""
    rows = []
    for t in view(net).totals:
        value = t.value if values is None else at(t.expr, values)
        formula = "$%s$" % tex(t.formula) if t.formula is not None and formulas else ""
        rows.append(r"\multicolumn{2}{@{}l}{%s} & %s & %s \\" % (
            t.label, formula, "$%s$" % number(value) if value is not None else "--"))
    return rows


def tabular(rows: list[str], totals: list[str] | None) -> str:
    lines = [r"\begin{tabular}{@{}llll@{}}", r"\toprule",
             r"Layer & Output shape & Parameters & \multicolumn{1}{r@{}}{Count} \\", r"\midrule"]
    lines += [_right_count(r) for r in rows]
    if totals:
        lines.append(r"\midrule")
        lines += [_right_count(r) for r in totals]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _right_count(row: str) -> str:
    """Set the last cell of a row flush right (column type l keeps the fragment package-free)."""
    head, sep, last = row[:-len(r" \\")].rpartition(" & ")
    return f"{head}{sep}\\multicolumn{{1}}{{r@{{}}}}{{{last}}} \\\\"


def table(net) -> str:
    """The layer table: a booktabs tabular (needs \\usepackage{booktabs})."""
    return tabular(table_rows(net), totals_rows(net))


def table_chunks(net, per: int, formulas: bool = True) -> list[str]:
    """The table split into tabulars of at most per rows (the totals under the last), each
    scaled down to the line width when wider."""
    rows = table_rows(net)
    chunks = [rows[k:k + per] for k in range(0, len(rows), per)] or [[]]
    last = len(chunks) - 1
    return [FIT_WIDTH + "{%\n" + tabular(c, totals_rows(net, formulas=formulas) if k == last else None) + "}"
            for k, c in enumerate(chunks)]


FIT_WIDTH = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}"   # graphicx


# ----------------------------------------------------------------------------- derivation

def derivation_groups(net) -> list[str]:
    """One group of align* lines per layer worth explaining (a repeat's sum after its passes),
    then the total."""
    values = default_values(net)
    groups: list[str] = []

    def visit(row, context: tuple):
        if not row.is_leaf:
            inner = context + ((_context_note(row),) if _context_note(row) else ())
            for child in row.children:
                visit(child, inner)
            if row.kind == "repeat" and row.params != 0:
                groups.append(_repeat_group(row, values))
            return
        group = _layer_group(net, row, values, context)
        if group:
            groups.append(group)

    for top in net.layers:
        visit(top, ())
    groups.append(_total_group(net, values))
    return groups


def _layer_group(net, row, values: dict, context: tuple) -> str | None:
    if row.kind == "input":
        return None
    lines = list(size_arithmetic(row, values) or [])
    flat = _flatten_arithmetic(row, values)
    if flat:
        lines.append(flat)
    if any(not w.buffer for w in row.weights) and row.params != 0:
        lines += _param_lines(net, row, values)
    if not lines:
        return None
    out = [at(d, values) for d in row.output_shape]
    labels = [r"\text{\textbf{%s}%s}" % (escape(row.name), "" if row.name.startswith(row.kind) else _kind_note(row)),
              r"\text{\footnotesize $%s$}" % shape([o if o is not None else d for o, d in zip(out, row.output_shape)])]
    if context:
        labels.append(r"\text{\footnotesize in %s}" % ", ".join(context))
    return _group(labels, lines)


def _group(labels: list[str], lines: list[str]) -> str:
    """Rows of the derivation's alignat*{2}: labels in the first column, 'lhs &= rhs' lines aligned at =."""
    rows = []
    for k in range(max(len(labels), len(lines))):
        label = labels[k] + r" \qquad" if k < len(labels) else ""
        rows.append(f"& {label} & {lines[k] if k < len(lines) else '&'}")
    return " \\\\\n".join(rows)


def _context_note(row) -> str:
    if row.kind == "iteration":
        return tex_label(pass_label(row), escape)
    if row.kind in ("repeat", "path", "block"):
        return escape(row.name)
    return ""


def _flatten_arithmetic(row, values: dict) -> str | None:
    if row.kind != "flatten" or len(row.input_shape) < 2:
        return None
    dims = [at(d, values) for d in row.input_shape]
    out = at(row.output_shape[0], values)
    if None in dims or out is None:
        return None
    return r"N' &= %s = %s" % (r" \cdot ".join(tex(d) for d in dims), number(out))


def _param_lines(net, row, values: dict) -> list[str]:
    steps = []
    generic = general_weights(row, net.convention)
    if generic is not None:
        steps.append(arithmetic(row, weights=generic))
    steps.append(arithmetic(row))
    numeric = arithmetic(row, values) if values else None
    if numeric:
        steps.append(numeric)
    value = at(row.params, values)
    if value is not None:
        steps.append(number(value))
    elif row.params.free_symbols:
        steps.append(tex(nice(row.params)))
    steps = [s for k, s in enumerate(steps) if s and (k == 0 or s != steps[k - 1])]
    if len(steps) <= 2 or sum(len(s) for s in steps) < 70:
        return ["P &= " + " = ".join(steps)]
    return ["P &= " + steps[0], "&= " + " = ".join(steps[1:])]


def _repeat_group(row, values: dict) -> str:
    value = at(row.params, values)
    steps = [tex(row.params)]
    if row.params.has(sympy.Sum):
        steps.append(tex(row.params.doit()))
    if value is not None and steps[-1] != number(value):
        steps.append(number(value))
    labels = [r"\text{\textbf{%s}}" % escape(row.name), r"\text{\footnotesize repeated $%s$ times}" % tex(
        row.config["count"])]
    return _group(labels, ["P &= " + " = ".join(dict.fromkeys(steps))])


def _total_group(net, values: dict) -> str:
    lines = []
    expr = net.params
    terms = [r.params for r in net.layers if r.params != 0]
    value = at(expr, values)
    if expr.free_symbols:
        lines.append(r"P &= %s" % tex(collected(expr)))
        if value is not None:
            where = ", ".join(f"{symbol_name(s.name)} = {number(v)}" for s, v in values.items()
                              if s in expr.free_symbols)
            lines.append(r"&= %s \qquad (%s)" % (number(value), where))
    else:
        if 1 < len(terms) <= 8:
            lines.append(r"P &= %s" % " + ".join(number(t) for t in terms))
            lines.append(r"&= %s" % number(expr))
        else:
            lines.append(r"P &= %s" % number(expr))
    return _group([r"\text{\textbf{Total}}"], lines)


def align(groups: list[str]) -> str:
    """Derivation groups in one alignat*{2} (amsmath): labels left, equations aligned at =."""
    return "\\begin{alignat*}{2}\n" + " \\\\[5pt]\n".join(groups) + "\n\\end{alignat*}"


def derivation(net, rows: int = 32) -> str:
    """The worked derivation: alignat* environments of about a page each (needs amsmath)."""
    return "\n".join(align(chunk) for chunk in chunked(derivation_groups(net), rows))


def chunked(groups: list[str], rows: int) -> list[list[str]]:
    """Consecutive groups, at most `rows` lines a chunk (a longer group is a chunk of its own)."""
    chunks: list[list[str]] = [[]]
    count = 0
    for group in groups:
        lines = group.count("\\\\\n") + 1
        if chunks[-1] and count + lines > rows:
            chunks.append([])
            count = 0
        chunks[-1].append(group)
        count += lines
    return chunks


# ----------------------------------------------------------------------------- totals

def totals(net) -> str:
    """The closed-form totals as display math (needs amsmath)."""
    lines = []
    for t in view(net).totals:
        text = t.show("latex")
        lines.append(r"P_{\text{%s}} &= %s" % (t.short, text))
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


# ----------------------------------------------------------------------------- documents

def title_of(net) -> str:
    return view(net).title


_HEADINGS = {"table": "Layers", "derivation": "Derivation", "totals": "Totals"}


def fragment(net, parts=("table",), headings: bool = False) -> str:
    out = [f"% symparams: {escape(title_of(net))} ({net.convention}); needs \\usepackage{{{','.join(PACKAGES)}}}"]
    for part in parts:
        if headings:
            out.append(r"\subsection*{%s}" % _HEADINGS[part])
        if part == "table":
            out += ["\\begin{center}\n" + t + "\n\\end{center}" for t in table_chunks(net, PAGE_ROWS)]
        elif part == "derivation":
            out.append(derivation(net))
        elif part == "totals":
            out.append(totals(net))
    return "\n\n".join(out) + "\n"


def standalone(net, parts=("table",)) -> str:
    body = fragment(net, parts, headings=len(parts) > 1)
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{%s}" % ",".join(PACKAGES),
        r"\allowdisplaybreaks",
        r"\begin{document}",
        r"\section*{%s}" % escape(title_of(net)),
        r"Convention: %s." % escape(net.convention),
        "",
        body,
        r"\end{document}",
        "",
    ])


PAGE_ROWS = 45          # table rows per tabular on an article page
FRAME_ROWS = 14         # table rows per slide
FRAME_LINES = 11        # derivation lines per slide


def beamer(net, parts=("table",)) -> str:
    title = escape(title_of(net))
    out = [
        r"\documentclass[aspectratio=169]{beamer}",
        r"\usepackage{%s}" % ",".join(PACKAGES),
        r"\setbeamertemplate{navigation symbols}{}",
        r"\title{%s}" % title,
        r"\subtitle{parameters and shapes (%s convention)}" % escape(net.convention),
        r"\date{}",
        r"\begin{document}",
        r"\begin{frame}\titlepage\end{frame}",
    ]
    for part in parts:
        if part == "table":
            # on a slide the long total formulas would shrink the table: they have their own frame
            chunks = table_chunks(net, FRAME_ROWS, formulas="totals" not in parts)
            for k, chunk in enumerate(chunks):
                out.append(_frame("Layers" + _cont(k, len(chunks)), r"\centering\small" + "\n" + chunk))
        elif part == "derivation":
            groups = derivation_groups(net)
            chunks = chunked(groups, FRAME_LINES)
            for k, chunk in enumerate(chunks):
                out.append(_frame("Derivation" + _cont(k, len(chunks)), r"\small" + "\n" + align(chunk)))
        elif part == "totals":
            out.append(_frame("Totals", r"\small" + "\n" + totals(net)))
    out += [r"\end{document}", ""]
    return "\n".join(out)


def _cont(k: int, n: int) -> str:
    return f" ({k + 1}/{n})" if n > 1 else ""


def _frame(title: str, body: str) -> str:
    return "\\begin{frame}{%s}\n%s\n\\end{frame}" % (title, body)


def render(net, parts=("table",), mode: str = "fragment") -> str:
    """parts: any of table, derivation, totals; mode: fragment, standalone or beamer."""
    parts = tuple(p for p in PARTS if p in parts)
    if mode == "standalone":
        return standalone(net, parts)
    if mode == "beamer":
        return beamer(net, parts)
    return fragment(net, parts)


# ----------------------------------------------------------------------------- notebooks

def _mathjax_text(text: str) -> str:
    """Text for \\text{} under MathJax (which knows no \\textbackslash and friends)."""
    out = []
    for ch in str(text):
        if ch in _MATHJAX_CHAR:
            out.append("}" + _MATHJAX_CHAR[ch] + r"\text{")
        elif ch < " ":
            out.append(" ")
        else:
            out.append(ch)
    return r"\text{" + "".join(out) + "}"


_MATHJAX_CHAR = {"\\": r"\backslash", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
                 "_": r"\_", "^": r"\hat{}", "~": r"\sim", "<": r"\lt", ">": r"\gt", "|": r"\vert"}


def notebook(net) -> str:
    """A self-contained $$\\begin{array}...$$ that MathJax renders (no booktabs)."""
    v = view(net)
    lines = [r"\begin{array}{llll}", r"\textbf{Layer} & \textbf{Output shape} & \textbf{Parameters} & "
                                     r"\textbf{Count} \\ \hline"]
    for r in v.rows:
        indent = r"\quad " * r.depth
        name = tex_label(r.label, _mathjax_text, "mathjax").replace("$", "")
        count = (M.mathjax(r.value) if r.value is not None else "-") if r.has_count else ""
        lines.append(f"{indent}{name} & {M.shape(r.row.output_shape, 'mathjax')} & "
                     f"{r.formula_text('mathjax')} & {count} \\\\")
    lines[-1] += r" \hline"
    for t in v.totals:
        formula = M.mathjax(t.formula) if t.formula is not None else ""
        lines.append(r"%s & & %s & %s \\" % (_mathjax_text(t.label), formula,
                                           M.mathjax(t.value) if t.value is not None else "-"))
    lines.append(r"\end{array}")
    return "$$\n" + "\n".join(lines) + "\n$$"
