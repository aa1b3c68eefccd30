"""The Keras-like text summary, laid out from the view to fit the terminal, and --explain's
worked arithmetic.

The table fits `width` columns (COLUMNS, else the terminal's width): formula and shape cells wrap at
their + and · signs, numbers are right-aligned, and the │ separators stay in one place on every line.
A repeat's passes that repeat the first one's layers show as one line each unless expand=True.
"""

from __future__ import annotations

from fractions import Fraction

from ..notation import display_names, rename_words, short_names
from . import math as M
# the table's layout (printers/layout.py, which summary --numbers uses without SymPy)
from .layout import (Column, rejoin, shown_rows, table, terminal_text, terminal_width, wrap,  # noqa: F401
                     wrap_words)
from .view import GROUP_KINDS, RowView, plain_label, view

# ----------------------------------------------------------------------------- the summary

def render(net, *, title: str | None = None, explain: bool = False, columns=("params",), cost_options=None,
           width: int | None = None, ascii: bool = False, expand: bool = False,
           short_names: bool | None = None) -> str:
    """The layer table and totals; width: columns to fit (None: the terminal's); ascii: plain
    ASCII math (2f^2k^2, ceil(n/4)); expand: every pass of a repeat in full; short_names: long
    symbol names as short letters with a legend (notation.short_names), None: only when the
    table cannot fit width otherwise (a name would be cut)."""
    kw = dict(title=title, explain=explain, columns=columns, cost_options=cost_options,
              width=width or terminal_width(), ascii=ascii, expand=expand)
    mapping = legend_names(net) if short_names is not False else {}
    if short_names is None and mapping:
        cuts: list = []
        out = _render(net, cuts=cuts, **kw)
        if not cuts:
            return out
    with display_names(mapping):
        return _render(net, **kw)


def legend_names(net) -> dict[str, str]:
    """{long symbol name: its short display name} for net's long names (notation.short_names)."""
    names = {s.name for s in net.symbols} | {s.name for s in net.free_symbols}
    return short_names(names, taken=names)


def _render(net, *, title, explain, columns, cost_options, width, ascii, expand, cuts=None) -> str:
    v = view(net)
    mode = "ascii" if ascii else "text"
    width = width or terminal_width()
    values = v.values
    with_defaults = v.symbolic and bool(values)
    cols = [Column("Layer (type)", wrap_order=3), Column("Output shape", wrap_order=2)]
    if with_defaults:
        cols.append(Column("At defaults", wrap_order=4))
    columns = tuple(columns or ("params",))
    costs = None
    if columns != ("params",):
        from .. import cost
        costs = cost.row_costs(net, columns, cost_options)
    for column in columns:
        if column == "params":
            cols += [Column("Param formula", wrap_order=1), Column("Param #", right=True)]
        else:
            cols.append(Column(_cost_label(column), right=True, wrap_order=1))
    rows = []
    for r, note in shown_rows(v.rows, expand, plain_label):
        label = "  " * r.depth + terminal_text(plain_label(r.label, mode)) + (f" {note}" if note else "")
        cells = [label, M.shape(r.row.output_shape, mode)]
        if with_defaults:
            cells.append(M.shape(r.shape_values, mode) if r.shape_values is not None else "")
        for column in columns:
            if column != "params":
                cells.append(_cost_cell(costs[r.row][column], v, mode) if r.has_count else "")
            else:
                cells += _param_cells(r, mode)
        rows.append(cells)
    head = f"Model: {terminal_text(title or net.program.file or '<text>')}   (convention: {net.convention})"
    lines, rule = table(cols, rows, width, ascii, cuts)
    out = [*wrap_words(head, width), rule, *lines, rule]
    out += footer(v, mode, width)
    if costs is not None:
        out += [line for text in cost_totals(net, columns, cost_options, v, mode) for line in wrap_words(text, width)]
    if explain:
        out += ["", "Worked arithmetic:"] + [line for text in explain_lines(net, mode)
                                             for line in wrap_words(text, width, "      ")]
    return "\n".join(out) + "\n"


def _param_cells(r: RowView, mode: str) -> list[str]:
    if not r.has_count:
        return ["", ""]
    text = r.formula_text(mode) if (r.row.is_leaf or r.formula is not None) else ""
    return [text, M.show(r.value, mode) if r.value is not None else "?"]


def _cost_label(column: str) -> str:
    from ..metrics import REGISTRY
    return REGISTRY[column].label


def _cost_cell(expr, v, mode) -> str:
    if expr is None:
        return "-"
    value = v.value(expr)
    return M.show(value, mode) if value is not None else M.show(expr, mode)


def footer(v, mode: str, width: int) -> list[str]:
    """Totals, symbols, aliases, validity conditions and warnings, each wrapped to width."""
    net = v.net
    texts = [f"{t.label}: {t.show(mode)}" for t in v.totals]
    size = params_size(v)
    if size:
        texts.append(size)
    parts = [f"{symbol_legend(s, mode)} = {M.show(val, mode)}" if val is not None else
             f"{symbol_legend(s, mode)} (no default)" for s, val in net.symbols.items()]
    parts += [f"{terminal_text(name)} = {M.show(val, mode)} (set)" for name, val in sorted(net.values.items())]
    if parts:
        texts.append("Symbols: " + ", ".join(parts))
    for name, expr in net.aliases.items():
        texts.append(f"Alias: {terminal_text(name)} = {M.show(expr, mode)}")
    conditions = v.conditions(mode)
    if conditions:
        texts.append("Valid for: " + "; ".join(terminal_text(rename_words(c)) for c in conditions))
    for warning in net.warnings:
        texts.append(f"Warning: {terminal_text(rename_words(warning))}")
    return [line for text in texts for line in wrap_words(text, width)]


def params_size(v) -> str:
    """'Params size (float32): 870,824 bytes (850.41 KiB)', the weights' memory as Keras and torchinfo
    print it; '' while the count is symbolic."""
    total = next((t for t in v.totals if t.key == "params"), None)
    if total is None or total.value is None:
        return ""
    count = int(total.value) * 4
    # hundredths of the unit in exact arithmetic (a float overflows past ~10^308 bytes), rounded half to even
    # as float formatting does
    unit, hundredths = next(((u, round(Fraction(count * 100, 2 ** p))) for u, p in (("GiB", 30), ("MiB", 20),
                                                                                   ("KiB", 10))
                             if count >= 2 ** p), ("bytes", None))
    scaled = f" ({hundredths // 100:,}.{hundredths % 100:02d} {unit})" if hundredths is not None else ""
    return f"Params size (float32): {count:,} bytes" + scaled


def symbol_legend(symbol, mode: str = "text") -> str:
    """'n', or 'L = num_hidden_layers' when short display names are in force (the legend)."""
    shown = M.show(symbol, mode)
    return shown if shown == str(symbol) else f"{shown} = {symbol}"


def cost_totals(net, columns, cost_options, v, mode: str = "text") -> list[str]:
    """One line per cost column: the total as a formula and at the defaults; the receptive
    field of the last spatial layer with its effective stride and padding."""
    from .. import cost
    from ..errors import ShapeError
    from ..metrics import REGISTRY
    out = []
    wanted = [c for c in columns if c != "params"]
    options = cost_options or cost.Options()
    sums = cost.totals(net, [c for c in wanted if not c.startswith("rf")], options)
    for column, expr in sums.items():
        value = v.value(expr)
        shown = M.show(_collected(expr), mode) if expr.free_symbols else M.show(expr, mode)
        if expr.free_symbols and value is not None:
            shown += f" = {M.show(value, mode)}"
        extra = " (2 per MAC + bias adds)" if column == "flops" and options.bias_adds else ""
        out.append(f"Total {REGISTRY[column].label}{cost.total_note(column, options, net)}{extra}: {shown}")
    if any(c.startswith("rf") for c in wanted):
        try:
            row, axes = cost.receptive_field(net)
        except ShapeError as exc:
            out.append(terminal_text(exc.message[:1].upper() + exc.message[1:]))
        else:
            parts = []
            for which, label in ((0, ""), (1, "effective stride "), (2, "effective padding ")):
                texts = []
                for axis in axes:
                    value = v.value(axis[which])
                    texts.append(M.show(value if value is not None else axis[which], mode))
                parts.append(label + (texts[0] if len(set(texts)) == 1 else M.times(mode).join(texts)))
            out.append(f"Receptive field: {parts[0]} ({parts[1]}, {parts[2]}) at {terminal_text(row.name)}")
    return out


def _collected(expr):
    from ..algebra import collected
    return collected(expr)


def explain_lines(net, mode: str = "text") -> list[str]:
    """Per leaf: how its output size follows from its input, and its parameter count worked out."""
    v = view(net)
    arrow = "->" if mode == "ascii" else "→"
    lines = []
    for r in v.rows:
        row = r.row
        if not row.is_leaf or row.kind == "input":
            continue
        shape_text = M.times(mode).join(M.show(val if val is not None else d, mode) for val, d in
                                        zip(r.shape_values or (None,) * len(row.output_shape), row.output_shape))
        parts = []
        sizes = r.sizes
        if sizes:
            texts = [f"{s.show(mode)} = {M.show(s.out, mode)}" for s in sizes]
            axis = texts[0] if len(set(texts)) == 1 else ", ".join(texts)
            parts.append(f"{axis} {arrow} {shape_text}")
        else:
            parts.append(shape_text)
        if row.weights and any(not w.buffer for w in row.weights):
            general = r.arithmetic.show(mode) if r.arithmetic else None
            numeric = r.arithmetic_at_values.show(mode) if r.arithmetic_at_values else None
            text = numeric or M.show(row.params, mode)
            if row.params.free_symbols and general != numeric:
                text = f"{general} = {numeric}"
            parts.append(f"{text} = {M.show(r.value if r.value is not None else row.params, mode)}")
        else:
            parts.append("0 parameters")
        lines.append(f"  {terminal_text(row.name)}: " + "; ".join(parts))
    return lines


def summary(net, *, columns=("params",), cost_options=None, explain: bool = False, ascii: bool = False,
            expand: bool = False, short_names: bool = False, **_) -> str:
    """`symparams summary` (the text format)."""
    return render(net, explain=explain, columns=columns, cost_options=cost_options, ascii=ascii, expand=expand,
                  short_names=short_names)
