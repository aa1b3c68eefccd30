"""The text table's layout: columns that fit the terminal, cells wrapped at their + and · signs,
numbers right-aligned, and which rows a summary shows. Text only (no SymPy): the summary and
summary --numbers (printers/numbers.py, which runs without SymPy) lay out their tables here.
"""

from __future__ import annotations

import shutil
import unicodedata

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


def _signature(row):
    """A row's structure without names or sizes: repeated passes with one signature show once."""
    return (row.kind, tuple(_signature(c) for c in row.children))


def shown_rows(rows, expand: bool, label_text):
    """The rows to print as (row view, note): unless expand, a repeat's pass with the same layers as
    its first pass is one line (its shape and count), its layers left out. rows: a view's rows (each
    with depth, row and label); label_text writes a label (the note names the first pass)."""
    out, skip_below, first = [], None, {}
    for r in rows:
        if skip_below is not None and r.depth > skip_below:
            continue
        skip_below, note = None, ""
        if r.row.kind == "repeat":
            first[r.depth + 1] = None
        elif r.row.kind == "iteration" and not expand and r.row.children and r.row.index is None:
            sig = _signature(r.row)
            seen = first.get(r.depth)
            if seen is None:
                first[r.depth] = (label_text(r.label), sig)
            elif seen[1] == sig:
                note, skip_below = f"(as {seen[0]})", r.depth
        out.append((r, note))
    return out
