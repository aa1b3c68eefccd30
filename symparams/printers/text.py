"""The Keras-like text summary, laid out from the view to fit the terminal, and --explain's
worked arithmetic.

The table fits `width` columns (COLUMNS, else the terminal's width): formula and shape cells wrap at
their + and · signs, numbers are right-aligned, and the │ separators stay in one place on every line.
A repeat's passes that repeat the first one's layers show as one line each unless expand=True.
"""

from __future__ import annotations

import shutil
import unicodedata
from fractions import Fraction

from ..notation import display_names, rename_words, short_names
from . import math as M
from .view import GROUP_KINDS, RowView, plain_label, view

SEP = " │ "
MIN_WRAP = 12       # narrowest a wrapped column gets


def terminal_text(text: str) -> str:
    """User text made safe for a terminal: control characters (ESC sequences, bell, carriage
    return, bidi overrides) become '?', so a layer or file name cannot retitle or clear it."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(text))


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


# ----------------------------------------------------------------------------- wrapping

# break points, best first: (mark, characters of it kept at the end of the line, characters dropped)
_BREAKS = ((" + ", 0, 1), (" − ", 0, 1), (" - ", 0, 1), (" × ", 0, 1), (" x ", 0, 1), ("; ", 1, 1),
           (", ", 1, 1), ("·", 1, 0), (" ", 0, 1))


def wrap(text: str, width: int, cuts: list | None = None, words: bool = False) -> list[str]:
    """Lines of at most width characters, broken before a + or − (the sign starts the next line),
    after a product dot or comma, or at a space; a piece with no break point is cut (and the piece
    appended to cuts: the table then tries short names, which never need cutting); words: a
    layer's name (latent_attention_1) may break after an underscore before it is cut."""
    width = max(width, 4)
    lines = []
    while len(text) > width:
        cut = _break(text, width, True, width // 3) or _break(text, width, False, 2)
        if cut is None:
            cut = (_break(text, width, False, 2, _WORD_BREAKS) if words else None) or (width, width)
            if cuts is not None:
                cuts.append(text)
        lines.append(text[:cut[0]].rstrip())
        text = text[cut[1]:]
    lines.append(text)
    return lines


_OPENS, _CLOSES = "([⌊⌈", ")]⌋⌉"


def _depth_at(text: str, k: int) -> int:
    """How deep inside brackets text[k] stands (a closing bracket counts as outside its pair)."""
    head = text[:k]
    return sum(map(head.count, _OPENS)) - sum(map(text[:k + 1].count, _CLOSES))


_WORD_BREAKS = (("_", 1, 0),)


def _break(text: str, width: int, outside: bool, lo: int, marks=_BREAKS):
    """(end of this line, start of the next) at the best break point; outside: only outside brackets."""
    for mark, kept, dropped in marks:
        end = width - kept + len(mark)
        k = text.rfind(mark, lo, end)
        while k >= lo and outside and _depth_at(text, k) != 0:
            k = text.rfind(mark, lo, k)
        if k >= lo:
            return k + kept, k + kept + dropped
    return None


def wrap_words(text: str, width: int, indent: str = "    ") -> list[str]:
    """A footer line (totals, symbols, conditions) wrapped with a hanging indent."""
    first, *rest = wrap(text, width)
    rest = wrap(rejoin(rest), width - len(indent)) if rest else []
    return [first] + [indent + r for r in rest]


def rejoin(pieces: list[str]) -> str:
    """Wrapped pieces as one line again (to wrap at another width): a piece broken after a product
    dot joins the next directly, others with the space the break dropped."""
    out = ""
    for piece in pieces:
        out += piece if not out or out.endswith("·") else " " + piece
    return out


# ----------------------------------------------------------------------------- table layout

class Column:
    def __init__(self, header: str, right: bool = False, wrap_order: int = 0):
        self.header, self.right, self.wrap_order = header, right, wrap_order


def table(columns: list[Column], rows: list[list[str]], width: int, ascii: bool = False,
          cuts: list | None = None) -> list[str]:
    """Header, rule and rows with every cell padded to its column; columns that may wrap
    (wrap_order > 0, lowest first) narrow until the table fits width. A cell with no break point
    narrow enough is cut, and appended to cuts."""
    widths = [max([len(c.header)] + [len(r[k]) for r in rows]) for k, c in enumerate(columns)]
    sep, bar = (" | ", "-") if ascii else (SEP, "─")
    total = sum(widths) + len(sep) * (len(widths) - 1)
    # a column narrows no further than its longest unbreakable piece (a name, a number), so names
    # stay whole while another column can give; capped so one long name cannot starve the rest
    floors = [max(MIN_WRAP, len(c.header),
                  min(width // 4, max([_longest_piece(r[k]) for r in rows] or [0])) if c.wrap_order else 0)
              for k, c in enumerate(columns)]
    least = [max(MIN_WRAP, len(c.header)) for c in columns]
    while total > width:     # narrow the widest column that may wrap, one character at a time
        k = max((k for k, c in enumerate(columns) if c.wrap_order and widths[k] > floors[k]),
                key=lambda k: (widths[k], -columns[k].wrap_order), default=None)
        if k is None:
            if floors == least:
                break
            floors = least       # names cannot all stay whole: fit anyway (a cut asks for short names)
            continue
        widths[k] -= 1
        total -= 1
    rule = bar * total

    def lay(cells):
        pieces = [_wrap_cell(cell, w, cuts, words=k == 0) if len(cell) > w else [cell]
                  for k, (cell, w) in enumerate(zip(cells, widths))]
        out = []
        for line in range(max(len(p) for p in pieces)):
            parts = []
            for k, (p, w) in enumerate(zip(pieces, widths)):
                cell = p[line] if line < len(p) else ""
                parts.append(cell.rjust(w) if columns[k].right else cell.ljust(w))
            out.append(sep.join(parts).rstrip())
        return out

    lines = lay([c.header for c in columns]) + [rule]
    for r in rows:
        lines += lay(r)
    return lines, rule


def _longest_piece(cell: str) -> int:
    """The longest stretch of a cell wrap cannot break (between spaces, product dots and commas)."""
    import re
    return max((len(p) for p in re.split(r"[ ·,;]", cell.strip())), default=0)


def _wrap_cell(cell: str, width: int, cuts: list | None = None, words: bool = False) -> list[str]:
    """An indented cell (a nested row's label) keeps its indent, and two more on later lines; a
    label that fits without its whole indent gives up indent rather than break."""
    body = cell.lstrip(" ")
    indent = len(cell) - len(body)
    if indent and len(body) <= width:
        return [body.rjust(width) if len(body) + indent > width else cell]
    if not indent or width - indent - 2 < MIN_WRAP // 2:
        return wrap(cell, width, cuts, words)
    first, *rest = wrap(body, width - indent, cuts, words)
    rest = wrap(rejoin(rest), width - indent - 2, cuts, words) if rest else []
    return [" " * indent + first] + [" " * (indent + 2) + r for r in rest]


# ----------------------------------------------------------------------------- the summary

def _signature(row):
    """A row's structure without names or sizes: repeated passes with one signature show once."""
    return (row.kind, tuple(_signature(c) for c in row.children))


def shown_rows(v, expand: bool):
    """The view's rows to print as (RowView, note): unless expand, a repeat's pass with the same
    layers as its first pass is one line (its shape and count), its layers left out."""
    out, skip_below, first = [], None, {}
    for r in v.rows:
        if skip_below is not None and r.depth > skip_below:
            continue
        skip_below, note = None, ""
        if r.row.kind == "repeat":
            first[r.depth + 1] = None
        elif r.row.kind == "iteration" and not expand and r.row.children and r.row.index is None:
            sig = _signature(r.row)
            seen = first.get(r.depth)
            if seen is None:
                first[r.depth] = (plain_label(r.label), sig)
            elif seen[1] == sig:
                note, skip_below = f"(as {seen[0]})", r.depth
        out.append((r, note))
    return out


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
    for r, note in shown_rows(v, expand):
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
