"""LaTeX for papers and lecture slides: a booktabs table, a worked derivation, closed-form totals;
fragments, complete article documents, beamer slides, and the MathJax array Jupyter shows.

Everything user-written (layer names, file names) is escaped, so the output always compiles;
symbol names are typeset as a person would (n_in -> n_{\\mathrm{in}}, alpha -> \\alpha).
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

import sympy

from ..algebra import as_int, collected, nice
from ..engine.rows import total as sum_counts
from . import math as M
from .math import latex_text as escape  # noqa: F401  (the name the LaTeX printers use)
from .math import symbol_name
from .view import GROUP_KINDS, at, axis_sizes, default_values, pass_label, row_label, tex_label, view
from .view import arithmetic as _arithmetic

PARTS = ("table", "derivation", "totals")
PACKAGES = ("amsmath", "booktabs", "graphicx")       # graphicx: the summary deck's diagram fits the slide

# ----------------------------------------------------------------------------- text and math

def tex(expr) -> str:
    """A SymPy expression (or number) as LaTeX math (the one math printer's LaTeX mode)."""
    return M.latex(expr)


def group(n: int) -> str:
    """217706 -> '217{,}706' (math mode)."""
    return f"{n:,}".replace(",", "{,}")


def number(value) -> str:
    v = as_int(value)
    return group(v) if v is not None else tex(value)


# ----------------------------------------------------------------------------- long formulas

# a break point: ' + ', ' - ' or ' \cdot ' outside braces; \left..\right pairs counted as depth
_TOKEN = re.compile(r"\\(?:left|right|bigl|bigr)(?:\\[a-zA-Z]+|\\[{}|]|.)|\\[a-zA-Z]+|\\.|.", re.S)
_OPS = (" + ", " - ", r" \cdot ")


def width(math: str) -> float:
    """Roughly how many characters wide LaTeX math prints (commands as one, scripts smaller)."""
    text = re.sub(r"\\(?:left|right|bigl|bigr|mathit|mathrm|text|textbf|operatorname|,|;|quad|qquad)\b", "", math)
    text = re.sub(r"\\(?:cdot|times)", "·", text)
    text = re.sub(r"\\[a-zA-Z]+", "x", text)
    scripts = len(re.findall(r"[_^]\{[^{}]*\}|[_^].", text))
    text = re.sub(r"[{}_^ ]", "", text)
    return len(text) - 0.35 * scripts


def _pieces(math: str, depth: int, ops=_OPS) -> list[str]:
    """math cut before each break point at \\left-depth <= depth (the operator starts its piece)."""
    cuts, braces, lefts = [0], 0, 0
    for m in _TOKEN.finditer(math):
        at, tok = m.start(), m.group()
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
        elif tok.startswith((r"\left", r"\bigl")):
            lefts += 1
        elif tok.startswith((r"\right", r"\bigr")):
            lefts -= 1
        elif tok == " " and braces == 0 and lefts <= depth and at > 0 and any(math.startswith(op, at) for op in ops):
            cuts.append(at + 1)
    return [math[a:b].rstrip() for a, b in zip(cuts, cuts[1:] + [len(math)])]


def _pack(pieces: list[str], limit: float, joiner: str = " ") -> list[str]:
    lines: list[str] = []
    for piece in pieces:
        if lines and width(lines[-1] + joiner + piece) <= limit:
            lines[-1] += joiner + piece
        else:
            lines.append(piece)
    return lines


# where a line may break, most natural first: sums, then products, then the same inside parentheses
_LEVELS = ((0, _OPS[:2]), (0, _OPS), (1, _OPS[:2]), (1, _OPS))


# a shape breaks between its factors (before a \times outside parentheses), never inside one:
# "(n - k" / "+ 1) \times f" reads as two sizes
_SHAPE_LEVELS = ((0, (r" \times ",)),)


def broken(math: str, limit: float, levels=_LEVELS) -> list[str]:
    """A long formula as lines of at most about `limit` characters, broken before + and ·:
    first at sums outside parentheses, then at products, then inside the outermost parentheses
    (made fixed-size there, as a pair split over lines must be). Never scaled down."""
    lines = [math]
    for depth, ops in levels:
        out = []
        for line in lines:
            if width(line) <= limit:
                out.append(line)
            else:
                out += _pack(_pieces(_outer_fixed(line) if depth else line, depth, ops), limit)
        lines = out
        if max(width(line) for line in lines) <= limit:
            break
    return lines


def _outer_fixed(math: str) -> str:
    r"""\left( ... \right) at the outermost level as \bigl( ... \bigr) (a pair may span lines then)."""
    out, lefts = [], 0
    for m in _TOKEN.finditer(math):
        tok = m.group()
        if tok.startswith(r"\left"):
            out.append(r"\bigl" + tok[5:] if lefts == 0 else tok)
            lefts += 1
        elif tok.startswith(r"\right"):
            lefts -= 1
            out.append(r"\bigr" + tok[6:] if lefts == 0 else tok)
        else:
            out.append(tok)
    return "".join(out)


def cell(math: str, limit: float, levels=_LEVELS) -> str:
    """A table cell's math, on several lines when long (an aligned block in inline math)."""
    lines = broken(math, limit, levels)
    if len(lines) == 1:
        return "$%s$" % math
    return r"$\begin{aligned}[t]&%s\end{aligned}$" % r"\\&\quad ".join(lines)


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
    from ..layers.base import COUNT, INTEGER, WINDOW, Config, Context
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
    for name, opt in (spec.options or {}).items():
        # a count option lettered by the kind (windowattention's heads h, window W, cpb H), where it is given
        value = cfg.get(name)
        if name in letters and opt.kind in (COUNT, INTEGER) and isinstance(value, (int, sympy.Integer)) \
                and value > 0:
            s = _generic_symbol(letters[name])
            if s in subs:
                return None
            subs[s] = value
            generic[name] = s
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

# how wide (in characters, see width()) math may run: a page and a slide in their documents' type
PAGE_WIDTH = 72
SLIDE_WIDTH = 58
FORMULA_SHARE = 0.32        # of a table row, for the parameter formula
SHAPE_SHARE = 0.28         # and for the output shape
LABEL_COLUMN = "10em"       # the layer column's width


METRIC_SHARE = 0.16         # of a table row, for each metric column's formula (a number is short)


@dataclass(frozen=True)
class MetricColumns:
    """`latex --columns`: the metric columns besides params, their per-row expressions and
    totals, worked out once by the same cost functions summary uses (cost.row_costs and
    cost.totals), so the LaTeX numbers are summary's."""
    names: tuple
    rows: dict          # {row: {metric: expression or None}}
    totals: dict        # {metric: the network's total} (rf metrics have none: summary prints none)
    notes: dict         # {metric: what its total line says about the options (' (batch 2)')}


# the metric columns of the document being rendered: set by render() for its duration, as the
# short-name legend is, so every table and totals function (fragment, article, slides) sees them
# without a parameter threaded through each
_METRICS: ContextVar = ContextVar("latex_metric_columns", default=None)


def metric_columns(net, columns, options=None) -> MetricColumns | None:
    """The metric columns for columns (names from the metric registry; params is the table's own)."""
    from .. import cost
    extra = tuple(c for c in cost.check_columns(columns or ("params",)) if c != "params")
    if not extra:
        return None
    options = options or cost.Options()
    rows = cost.row_costs(net, extra, options)
    sums = cost.totals(net, [c for c in extra if not c.startswith("rf")], options)
    return MetricColumns(extra, rows, sums, {c: cost.total_note(c, options, net) for c in sums})


def metric_label(name: str) -> str:
    from ..metrics import REGISTRY
    return escape(REGISTRY[name].label)


def _metric_cell(expr, v, limit: float) -> tuple[str, int]:
    """(cell, lines): the value at the defaults, the formula when it stays symbolic, -- when the
    metric does not apply to the row (summary prints -)."""
    if expr is None:
        return "--", 1
    value = v.value(expr)
    if value is not None:
        return "$%s$" % number(value), 1
    math = tex(nice(expr))
    return cell(math, limit * METRIC_SHARE), len(broken(math, limit * METRIC_SHARE))


def table_rows(net, values: dict | None = None, limit: float = PAGE_WIDTH) -> list[tuple[str, int]]:
    """(row, lines it takes): formulas longer than their share of the width on several lines."""
    v = view(net)
    metrics = _METRICS.get()
    rows = []
    for r in v.rows:
        indent = r"\hspace*{%dpt}" % min(5 * r.depth, 40) if r.depth else ""     # nesting, kept short
        dims = shape(r.row.output_shape)
        # the label in a box of fixed width: a long name or pass label wraps instead of widening the table
        cells = [r"\parbox[t]{%s}{\raggedright %s%s}" % (LABEL_COLUMN, indent, label(r.row).replace(r"\_", r"\_\allowbreak{}")),
                 cell(dims, limit * SHAPE_SHARE, _SHAPE_LEVELS)]
        lines = len(broken(dims, limit * SHAPE_SHARE, _SHAPE_LEVELS))
        if r.has_count:
            formula = r.formula_text("latex")
            value = r.value if values is None else at(r.params, values)
            if formula:
                lines = max(lines, len(broken(formula, limit * FORMULA_SHARE)))
            cells += [cell(formula, limit * FORMULA_SHARE) if formula else "",
                      "$%s$" % number(value) if value is not None else "--"]
        else:
            cells += ["", ""]
        for name in metrics.names if metrics else ():
            text, height = _metric_cell(metrics.rows[r.row][name], v, limit) if r.has_count else ("", 1)
            cells.append(text)
            lines = max(lines, height)
        row = " & ".join(cells) + r" \\"
        rows.append((row, lines * _TALL if r"\frac" in row else lines))
    return rows


def totals_rows(net, values: dict | None = None, formulas: bool = True, limit: float = PAGE_WIDTH) -> list[str]:
    """formulas=False: numbers only (when the totals are shown as formulas elsewhere)."""
    rows = []
    metrics = _METRICS.get()
    blank = "".join(" & " for _ in metrics.names) if metrics else ""      # empty metric cells
    for t in view(net).totals:
        value = t.value if values is None else at(t.expr, values)
        formula = cell(tex(t.formula), limit * FORMULA_SHARE) if t.formula is not None and formulas else ""
        rows.append(r"\multicolumn{2}{@{}l}{%s} & %s & %s%s \\" % (
            t.label, formula, "$%s$" % number(value) if value is not None else "--", blank))
    # a metric's total under its own column, on a line of its own saying its options
    v = view(net)
    for name, expr in (metrics.totals.items() if metrics else ()):
        text, _ = _metric_cell(expr, v, limit)
        row_cells = ["" for _ in metrics.names]
        row_cells[metrics.names.index(name)] = text
        label = r"\multicolumn{2}{@{}l}{Total %s%s}" % (metric_label(name), escape(metrics.notes[name]))
        rows.append(" & ".join([label, "", "", *row_cells]) + r" \\")
    return rows


def tabular(rows: list[str], totals: list[str] | None) -> str:
    metrics = _METRICS.get()
    names = metrics.names if metrics else ()
    head = _right_count(" & ".join(["Layer", "Output shape", "Parameters", "Count", *map(metric_label, names)])
                        + r" \\", len(names))
    lines = [r"\begin{tabular}{@{}llll%s@{}}" % ("l" * len(names)), r"\toprule", head, r"\midrule"]
    lines += [_right_count(r, len(names)) for r in rows]
    if totals:
        lines.append(r"\midrule")
        lines += [_right_count(r, len(names)) for r in totals]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _right_count(row: str, metrics: int = 0) -> str:
    """Set the count cell and the metric cells after it flush right, the last without the
    column gap (column type l keeps the fragment package-free)."""
    cells = row[:-len(r" \\")].split(" & ")
    cut = len(cells) - metrics - 1
    right = [f"\\multicolumn{{1}}{{r{'@{}' if k == metrics else ''}}}{{{c}}}" for k, c in enumerate(cells[cut:])]
    return " & ".join(cells[:cut] + right) + r" \\"


def table(net) -> str:
    """The layer table: a booktabs tabular (needs \\usepackage{booktabs})."""
    return tabular([r for r, _ in table_rows(net)], totals_rows(net))


_TALL = 1.7               # a line with a fraction counts this many lines


def table_chunks(net, lines: int, formulas: bool = True, limit: float = PAGE_WIDTH) -> list[str]:
    """The table split into tabulars of at most `lines` text lines each (a formula broken over
    three lines counts three), the totals under the last; never scaled."""
    totals = totals_rows(net, formulas=formulas, limit=limit)
    total_lines = sum(1 + r.count(r"\\&") for r in totals) + 1
    chunks: list[list[str]] = [[]]
    used = 0
    for row, height in table_rows(net, limit=limit):
        if chunks[-1] and used + height > lines:
            chunks.append([])
            used = 0
        chunks[-1].append(row)
        used += height
    if used + total_lines > lines and chunks[-1]:
        chunks.append([])
    last = len(chunks) - 1
    return [tabular(c, totals if k == last else None) for k, c in enumerate(chunks)]


# ----------------------------------------------------------------------------- derivation

def derivation_groups(net, limit: float = PAGE_WIDTH) -> list[str]:
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
                groups.append(_repeat_group(row, values, limit))
            return
        group = _layer_group(net, row, values, context, limit)
        if group:
            groups.append(group)

    for top in net.layers:
        visit(top, ())
    groups.append(_total_group(net, values, limit))
    return groups


def _layer_group(net, row, values: dict, context: tuple, limit: float = PAGE_WIDTH) -> str | None:
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
    return _group(labels, lines, limit - LABEL_WIDTH)


def fit_line(line: str, limit: float) -> list[str]:
    """An 'lhs &= a = b = c' line on as many lines as it needs: the chain broken at its '=' signs,
    a step still too long broken at + and · (see broken)."""
    lhs, sep, rhs = line.partition("&= ")
    if not sep or width(rhs) <= limit:
        return [line]
    out = []
    for k, step in enumerate(_pack(rhs.split(" = "), limit, " = ")):
        pieces = broken(step, limit)
        out.append((lhs if k == 0 else "") + "&= " + pieces[0])
        out += [r"&\phantom{{}={}}\quad " + p for p in pieces[1:]]
    return out


LABEL_WIDTH = 26       # the derivation's label column, in width() characters


def _group(labels: list[str], lines: list[str], limit: float = PAGE_WIDTH - LABEL_WIDTH) -> str:
    """Rows of the derivation's alignat*{2}: labels in the first column, 'lhs &= rhs' lines aligned at =."""
    lines = [piece for line in lines for piece in fit_line(line, limit)]
    rows = []
    for k in range(max(len(labels), len(lines))):
        label = _boxed(labels[k]) + r" \qquad" if k < len(labels) else ""
        rows.append(f"& {label} & {lines[k] if k < len(lines) else '&'}")
    return " \\\\\n".join(rows)


def _boxed(label: str) -> str:
    """A derivation label (\\text{...}) in a box of fixed width, long names broken after '_'."""
    inner = label[len(r"\text{"):-1] if label.startswith(r"\text{") else "$%s$" % label
    inner = inner.replace(r"\_", r"\_\allowbreak{}")
    return r"\text{\parbox[t]{%s}{\raggedright %s}}" % (LABEL_BOX, inner)


LABEL_BOX = "39mm"
LABEL_CHARS = 30            # about what fits in it, in small type


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


def _repeat_group(row, values: dict, limit: float = PAGE_WIDTH) -> str:
    value = at(row.params, values)
    steps = [tex(row.params)]
    if row.params.has(sympy.Sum):
        steps.append(tex(row.params.doit()))
    if value is not None and steps[-1] != number(value):
        steps.append(number(value))
    labels = [r"\text{\textbf{%s}}" % escape(row.name), r"\text{\footnotesize repeated $%s$ times}" % tex(
        row.config["count"])]
    return _group(labels, ["P &= " + " = ".join(dict.fromkeys(steps))], limit - LABEL_WIDTH)


def _total_group(net, values: dict, limit: float = PAGE_WIDTH) -> str:
    lines = []
    expr = net.params
    terms = [r.params for r in net.layers if r.params != 0]
    value = at(expr, values)
    if expr.free_symbols:
        lines.append(r"P &= %s" % tex(collected(expr)))
        if value is not None:
            where = [f"{tex(s)} = {number(v)}" for s, v in values.items() if s in expr.free_symbols]
            line = r"&= %s \qquad (%s)" % (number(value), ", ".join(where))
            if width(line[3:]) <= limit - LABEL_WIDTH:
                lines.append(line)
            else:
                # the values on lines of their own: fit_line would break the chain at their '=' signs,
                # and '(L = 1,024, V' then '= 50,257, ...' reads as P = 50,257
                lines.append(r"&= %s" % number(value))
                packed = _pack(where, limit - LABEL_WIDTH - 6, ", ")
                lines += [r"&\phantom{{}={}}\quad %s%s%s" % ("(" if k == 0 else "", piece,
                                                              ")" if k == len(packed) - 1 else ",")
                          for k, piece in enumerate(packed)]
    else:
        if 1 < len(terms) <= 8:
            lines.append(r"P &= %s" % " + ".join(number(t) for t in terms))
            lines.append(r"&= %s" % number(expr))
        else:
            lines.append(r"P &= %s" % number(expr))
    return _group([r"\text{\textbf{Total}}"], lines, limit - LABEL_WIDTH)


def align(groups: list[str]) -> str:
    """Derivation groups in one alignat*{2} (amsmath): labels left, equations aligned at =."""
    return "\\begin{alignat*}{2}\n" + " \\\\[5pt]\n".join(groups) + "\n\\end{alignat*}"


def derivation(net, rows: int = 32) -> str:
    """The worked derivation: alignat* environments of about a page each (needs amsmath)."""
    return "\n".join(align(chunk) for chunk in chunked(derivation_groups(net, PAGE_WIDTH), rows))


def _lines(group: str) -> float:
    """How many lines an align group takes (a line with a fraction counts more)."""
    total = 0.0
    for line in group.split("\\\\\n"):
        total += _TALL if r"\frac" in line else 1
        label = re.search(r"\\parbox\[t\]\{[^}]*\}\{\\raggedright (.*?)\}\}", line)
        if label:       # a label wrapped in its box takes more lines than its row
            total += max(0, -(-width(label.group(1)) // LABEL_CHARS) - 1)
    return total


def chunked(groups: list[str], rows: int) -> list[list[str]]:
    """Consecutive groups, at most `rows` lines a chunk (a longer group is a chunk of its own)."""
    chunks: list[list[str]] = [[]]
    count = 0
    for group in groups:
        lines = _lines(group)
        if chunks[-1] and count + lines > rows:
            chunks.append([])
            count = 0
        chunks[-1].append(group)
        count += lines
    return chunks


# ----------------------------------------------------------------------------- totals

def totals(net, limit: float = PAGE_WIDTH) -> str:
    """The closed-form totals as display math (needs amsmath), long ones over several lines."""
    lines = []
    for t in view(net).totals:
        lines += fit_line(r"P_{\text{%s}} &= %s" % (t.short, t.show("latex")), limit - 12)
    for group in metric_totals(net, limit):
        lines += group
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"


def metric_totals(net, limit: float = PAGE_WIDTH) -> list[list[str]]:
    """`--columns`: each metric's total (summary's 'Total MACs (batch 2): formula = number') as
    align* lines, one group per metric."""
    metrics = _METRICS.get()
    if not metrics:
        return []
    v = view(net)
    out = []
    for name, expr in metrics.totals.items():
        value = v.value(expr)
        shown = tex(collected(expr)) if getattr(expr, "free_symbols", None) else number(expr)
        if getattr(expr, "free_symbols", None) and value is not None:
            shown += " = " + number(value)
        out.append(fit_line(r"\text{Total %s%s} &= %s" % (metric_label(name), escape(metrics.notes[name]), shown),
                            limit - 12))
    return out


# ----------------------------------------------------------------------------- documents

def title_of(net) -> str:
    return view(net).title


_HEADINGS = {"table": "Layers", "derivation": "Derivation", "totals": "Totals"}


def fragment(net, parts=("table",), headings: bool = False) -> str:
    out = [f"% symparams: {escape(title_of(net))} ({net.convention}); needs \\usepackage{{{','.join(PACKAGES)}}}"]
    notation = legend(net)
    if notation:
        out.append(notation)
    for part in parts:
        if headings:
            out.append(r"\subsection*{%s}" % _HEADINGS[part])
        if part == "table":
            out += ["\\begin{center}\n" + t + "\n\\end{center}" for t in table_chunks(net, PAGE_LINES)]
        elif part == "derivation":
            out.append(derivation(net))
        elif part == "totals":
            out.append(totals(net))
    return "\n\n".join(out) + "\n"


def standalone(net, parts=("table",), meta: dict | None = None) -> str:
    body = fragment(net, parts, headings=len(parts) > 1)
    meta = meta or {}
    byline = " \\\\ ".join(escape(meta[k]) for k in ("author", "date") if meta.get(k))
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{%s}" % ",".join(PACKAGES),
        r"\allowdisplaybreaks",
        r"\begin{document}",
        r"\section*{%s}" % escape(meta.get("title") or title_of(net)),
        *([r"\noindent %s\par\medskip" % byline] if byline else []),
        r"Convention: %s." % escape(net.convention),
        "",
        body,
        r"\end{document}",
        "",
    ])


PAGE_LINES = 36         # table lines per tabular on an article page
FRAME_LINES = 11        # table lines per slide
DERIVATION_LINES = 10   # derivation lines per slide
WORKED_FRAMES = 2       # slides of worked arithmetic in a summary deck


def _preamble(net, extra: tuple = (), meta: dict | None = None) -> list[str]:
    meta = meta or {}
    out = [
        r"\documentclass[aspectratio=169]{beamer}",
        r"\usepackage{%s}" % ",".join(PACKAGES + extra),
        r"\setbeamertemplate{navigation symbols}{}",
        r"\allowdisplaybreaks",
        r"\title{%s}" % escape(meta.get("title") or title_of(net)),
        r"\subtitle{parameters and shapes (%s convention)}" % escape(net.convention),
        *([r"\author{%s}" % escape(meta["author"])] if meta.get("author") else []),
        r"\date{%s}" % escape(meta.get("date") or ""),
        r"\begin{document}",
        r"\begin{frame}\titlepage\end{frame}",
    ]
    notation = legend(net)
    if notation:        # the letters the slides use for the file's long names, before any slide uses them
        out.append(_frame("Notation", r"\small" + "\n" + notation))
    return out


# ----------------------------------------------------------------------------- short names

LONG_FOR_LATEX = 12     # a name this long (a config field: num_hidden_layers) makes pages use short names


def wants_short_names(net) -> bool:
    """Whether LaTeX pages use short names by default: some symbol name is a config field's length."""
    return any(len(s.name) > LONG_FOR_LATEX for s in net.symbols)


def legend(net) -> str:
    """'Notation: $L$ = \\texttt{num\\_hidden\\_layers} (32), ...' for the short names in force, or ''."""
    from ..notation import current_names
    names = current_names()
    if not names:
        return ""
    values = {s.name: v for s, v in net.symbols.items()}
    items = []
    for long_name, short_name in sorted(names.items(), key=lambda kv: kv[1].lower()):
        if long_name not in values:
            continue
        value = values[long_name]
        items.append(r"$%s$ = \texttt{%s}%s" % (symbol_name(short_name), escape(long_name),
                                                 " (%s)" % ("$%s$" % number(value)) if value is not None else ""))
    return "Notation: " + ", ".join(items) + "." if items else ""


def beamer(net, parts=("table",), meta: dict | None = None) -> str:
    """Every layer on slides (symparams latex --beamer --detail): the parts in order, long ones
    over several frames."""
    out = _preamble(net, meta=meta)
    for part in parts:
        if part == "table":
            # on a slide the long total formulas would crowd the table: they have their own frame
            chunks = table_chunks(net, FRAME_LINES, formulas="totals" not in parts, limit=SLIDE_WIDTH)
            for k, chunk in enumerate(chunks):
                out.append(_frame("Layers" + _cont(k, len(chunks)), r"\centering\small" + "\n" + chunk))
        elif part == "derivation":
            chunks = chunked(derivation_groups(net, SLIDE_WIDTH), DERIVATION_LINES)
            for k, chunk in enumerate(chunks):
                # a layer whose working alone is longer than a slide continues on the next one
                out.append(_frame("Derivation" + _cont(k, len(chunks)), r"\small" + "\n" + align(chunk), True))
        elif part == "totals":
            out += totals_frames(net)
    out += [r"\end{document}", ""]
    return "\n".join(out)


def summary_deck(net, meta: dict | None = None) -> str:
    """The deck a lecturer projects (symparams latex --beamer): the title, the architecture drawn
    and scaled to the slide, one slide per distinct block or repeated group with its count formula
    and how often it occurs, the totals in closed form, and the worked arithmetic of a few
    representative layers."""
    from . import diagram
    from .groups import groups

    out = _preamble(net, ("tikz",), meta)
    fit = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}"
    tall = r"\resizebox{!}{\ifdim\height>0.78\textheight0.78\textheight\else\height\fi}"
    # the architecture as a summary (a block one box, a repeat one framed pass, a branch one box):
    # few boxes, so its text stays readable on the slide; the full drawing is an appendix frame
    summary, full = diagram.tikz(net, summary=True).rstrip(), diagram.tikz(net).rstrip()
    out.append(_frame("Architecture", "\\centering\n%s{%s{%%\n%s}}" % (fit, tall, summary)))
    for g in groups(net):
        out.append(_group_frame(net, g))
    out += totals_frames(net)
    worked = _representatives(net)      # none for a network without weights: no empty slide then
    chunks = chunked(worked, DERIVATION_LINES)[:WORKED_FRAMES] if worked else []
    for k, chunk in enumerate(chunks):
        out.append(_frame("Worked arithmetic" + _cont(k, len(chunks)), r"\small" + "\n" + align(chunk)))
    if full != summary:
        out.append(_frame("Appendix: the whole architecture", "\\centering\n%s{%s{%%\n%s}}" % (fit, tall, full)))
    out += [r"\end{document}", ""]
    return "\n".join(out)


def totals_frames(net) -> list[str]:
    """The closed-form totals on as many slides as their lines need."""
    groups = [" \\\\\n".join(fit_line(r"P_{\text{%s}} &= %s" % (t.short, t.show("latex")), SLIDE_WIDTH - 12))
              for t in view(net).totals]
    groups += [" \\\\\n".join(g) for g in metric_totals(net, SLIDE_WIDTH)]
    chunks = chunked(groups, DERIVATION_LINES)
    return [_frame("Totals" + _cont(k, len(chunks)), r"\small" + "\n\\begin{align*}\n" + " \\\\\n".join(c) +
                   "\n\\end{align*}") for k, c in enumerate(chunks)]


def _representatives(net) -> list[str]:
    """The derivation groups of the first layer of each kind that has weights (conv, dense, ...)."""
    values = default_values(net)
    seen, picked = set(), []
    for _, row in net.walk():
        if row.is_leaf and row.kind not in seen and any(not w.buffer for w in row.weights) and row.params != 0:
            seen.add(row.kind)
            group = _layer_group(net, row, values, (), SLIDE_WIDTH)
            if group and _lines(group) <= DERIVATION_LINES:     # one that fits a slide
                picked.append(group)
    return picked


def _group_frame(net, g) -> str:
    """One block (its count in its arguments, each use) or one repeated group (per pass, passes)."""
    values = default_values(net)
    lines = []
    if g.kind == "block":
        title = r"Block \texttt{%s}" % escape(g.name)
        args = ", ".join(symbol_name(p) for p in g.params)
        if g.formula is not None:
            lhs = r"P_{\text{%s}}(%s)" % (escape(g.name), ", ".join(
                [symbol_name(p) for p in g.params] + [tex(g.channels)] if g.channels in g.formula.free_symbols
                else [symbol_name(p) for p in g.params]))
            lines += fit_line(r"%s &= %s" % (lhs, tex(g.formula)), SLIDE_WIDTH - 12)
        rows = []
        for o in g.occurrences[:USES_SHOWN]:
            call = r"\texttt{%s}(%s)" % (escape(g.name), ", ".join(
                "$%s$" % tex(v) for v in o.row.config.get("args", {}).values()))
            each = at(o.row.params, values)
            times = o.times * _passes(o)
            rows.append(r"%s & $%s$ & $%s$ & $%s$ & $%s$ \\" % (
                call, tex(o.row.input_shape[-1]) if o.row.input_shape else "",
                number(each) if each is not None else tex(nice(o.row.params)) if not o.indices else "\\text{per pass}",
                tex(times), number(at(o.total, values)) if at(o.total, values) is not None else tex(nice(o.total))))
        if len(g.occurrences) > USES_SHOWN:
            rows.append(r"\dots\ %d more uses & & & & \\" % (len(g.occurrences) - USES_SHOWN))
        total = at(g.total, values)
        body = [r"\small", "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}" if lines else
                r"Arguments: $%s$." % args if args else "",
                r"\begin{center}", r"\begin{tabular}{@{}lrrrr@{}}", r"\toprule",
                r"Use & $C$ in & Each & Times & Parameters \\", r"\midrule", *rows,
                r"\midrule", r"All %s & & & $%s$ & $%s$ \\" % (
                    escape(g.name), tex(g.multiplicity), number(total) if total is not None else tex(nice(g.total))),
                r"\bottomrule", r"\end{tabular}", r"\end{center}"]
        return _frame(title + r" \quad $\times %s$" % tex(g.multiplicity), "\n".join(body))
    row = g.occurrences[0].row
    count = row.config["count"]
    per = [c for c in row.children if c.kind == "iteration"]
    if len(per) == 1 and per[0].index is None:
        # one pass is the sum of its layers: the iteration row's own count holds all its passes
        one_pass = sum_counts([c.params for c in per[0].children])
        lines += fit_line(r"P_{\text{pass}} &= %s" % _value_text(one_pass, values), SLIDE_WIDTH - 12)
    lines += fit_line(r"P_{\text{%s}} &= %s" % (escape(row.name), _value_text(row.params, values)), SLIDE_WIDTH - 12)
    title = r"Repeated \texttt{%s} \quad $\times %s$" % (escape(row.name), tex(count))
    layers = ", ".join(sorted({escape(r.kind) for _, r in _leaves(row)}))
    body = [r"\small", r"Each pass: %s." % layers, "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"]
    return _frame(title, "\n".join(body))


USES_SHOWN = 8      # rows of a block's uses on its slide (then how many more)


def _passes(o):
    n = sympy.Integer(1)
    for _, _, count in o.indices:
        n *= count
    return n


def _leaves(row):
    for child in row.children:
        if child.is_leaf:
            yield None, child
        else:
            yield from _leaves(child)


def _value_text(expr, values) -> str:
    """formula = value (the formula alone when symbolic without defaults; the value alone when a number)."""
    value = at(expr, values)
    formula = tex(collected(expr)) if getattr(expr, "free_symbols", None) else None
    if formula is None:
        return number(value) if value is not None else tex(expr)
    return formula + (" = " + number(value) if value is not None else "")


def _cont(k: int, n: int) -> str:
    return f" ({k + 1}/{n})" if n > 1 else ""


def _frame(title: str, body: str, breaks: bool = False) -> str:
    return "\\begin{frame}%s{%s}\n%s\n\\end{frame}" % ("[allowframebreaks]" if breaks else "", title, body)


def render(net, parts=None, mode: str = "fragment", detail: bool = False, *, short_names: bool | None = None,
           title: str | None = None, author: str | None = None, date: str | None = None,
           columns=("params",), cost_options=None) -> str:
    """parts: any of table, derivation, totals (None: the table; in beamer mode, the summary deck
    unless detail); mode: fragment, standalone or beamer; short_names: long symbol names as short
    letters with a Notation legend (None: when a name is as long as a config field's,
    wants_short_names); title, author, date: the document's (default: the file name, none, none);
    columns, cost_options: metric columns (summary --columns' names) in the table and totals."""
    from ..notation import display_names
    from .text import legend_names
    if short_names is None:
        short_names = wants_short_names(net)
    meta = {"title": title, "author": author, "date": date}
    with display_names(legend_names(net) if short_names else {}):
        token = _METRICS.set(metric_columns(net, columns, cost_options))
        try:
            return _render(net, parts, mode, detail, meta)
        finally:
            _METRICS.reset(token)


def _render(net, parts, mode: str, detail: bool, meta: dict) -> str:
    if mode == "beamer" and parts is None and not detail:
        return summary_deck(net, meta)
    if parts is None:
        parts = PARTS if mode == "beamer" else ("table",)
    parts = tuple(p for p in PARTS if p in parts)
    if mode == "standalone":
        return standalone(net, parts, meta)
    if mode == "beamer":
        return beamer(net, parts, meta)
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
