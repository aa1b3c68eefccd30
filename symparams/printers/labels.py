"""Labels of rows (name, kind, a repeat's passes) as pieces each output writes its own way, and the
names of the totals. No SymPy here: summary --numbers (printers/numbers.py) writes them from a
network derived on Python ints.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.rows import ITERATION, PATH

# rows that only group others and have no kind keyword of their own
GROUP_KINDS = (PATH, ITERATION)


@dataclass(frozen=True)
class Words:
    text: str           # user or fixed text: escaped by each output


@dataclass(frozen=True)
class Math:
    expr: object


@dataclass(frozen=True)
class Times:
    expr: object        # a multiplicity: ×6


@dataclass(frozen=True)
class Range:
    first: object
    last: object        # 2–5


def pass_label(row) -> tuple:
    """A repeat segment: 'pass i + 1, i = 0 … d − 1', 'pass 3', 'passes 2–5 ×4'."""
    if row.index is not None:
        return (Words("pass"), Math(row.index + 1), Words(","), Math(row.index), Words("="),
                Range(row.start, row.start + row.count - 1))
    if row.count == 1:
        return (Words("pass"), Math(row.start + 1))
    return (Words("passes"), Range(row.start + 1, row.start + row.count), Times(row.count))


def kind_note(row) -> str | None:
    """What a row's name does not already say about its kind: conv2d_1 needs none, 'stem' (conv2d)."""
    if row.kind == "block":
        block = row.config["block"]
        return None if row.name.startswith(block) else block
    if row.kind in GROUP_KINDS or row.name.startswith(row.kind):
        return None
    return row.kind


def row_label(row) -> tuple:
    """Label pieces of one row: name, its kind when the name does not say it, a repeat's count."""
    if row.kind == "iteration":
        return pass_label(row)
    if row.kind == "path":
        return (Words(row.name + ":"),)
    if row.kind == "repeat":
        return (Words(row.name), Times(row.config["count"]))
    note = kind_note(row)
    return (Words(row.name),) + ((Words(f"({note})"),) if note else ())


def lay_label(pieces, words, math, times, span) -> str:
    """Label pieces joined by spaces, each written by its function (words(text), math(expr),
    times(expr), span(first, last)); a lone ',' or ':' sticks to the piece before it."""
    out = []
    for piece in pieces:
        if isinstance(piece, Words):
            if piece.text in (",", ":") and out:
                out[-1] += piece.text
            else:
                out.append(words(piece.text))
        elif isinstance(piece, Math):
            out.append(math(piece.expr))
        elif isinstance(piece, Times):
            out.append(times(piece.expr))
        elif isinstance(piece, Range):
            out.append(span(piece.first, piece.last))
    return " ".join(out)


def text_label(pieces, show, plain: bool = False) -> str:
    """Label pieces as text: words as they are, pass 2–5 ×4; show(expr) writes a number or formula
    (the math printer's text or ascii mode; summary --numbers: the int's digits), plain: ASCII."""

    def span(first, last):
        first, last = show(first), show(last)
        if " " not in first + last:
            return f"{first}{'-' if plain else '–'}{last}"
        return f"{first} {'..' if plain else '…'} {last}"

    return lay_label(pieces, str, show, lambda e: ("x" if plain else "×") + show(e), span)


# the totals every output lists, in this order; buffers only when the network has some, active
# parameters only for a mixture of experts
TOTALS = (("params", "Total params", "total"), ("trainable", "Trainable params", "trainable"),
          ("non_trainable", "Non-trainable params", "non-trainable"),
          ("buffers", "Buffers (not parameters)", "buffers"), ("active", "Active params (per token)", "active"))
