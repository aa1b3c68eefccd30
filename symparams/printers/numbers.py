"""`summary --numbers`: the layer table and totals as numbers only, from a network derived at its
values: on Python ints without SymPy (engine/numbers.py) when it can be, else by the SymPy engine
(engine.network.Network.at_values). Either way one derive on the numbers: no symbolic derive, no
validity search, no formula typesetting.

It prints the numbers the full summary prints in its 'At defaults' and 'Param #' columns and on
its total lines, and nothing else: never a formula. A number that is not a whole number here (a
symbol without a value) is refused by `numbers_only` before anything is printed, so the caller
can point at --set or at the full summary instead. This module imports no SymPy: a network
derived with SymPy is read through the view (printers/view.py), imported when one comes.
"""

from __future__ import annotations

import json

from ..errors import UsageError
from ..numeric import whole as _whole
from .labels import TOTALS, Range, Times, Words, row_label, text_label
from .layout import Column, shown_rows, table, terminal_text, terminal_width, wrap_words


def _number(value) -> str:
    """A whole number as the math printer writes one in text: 1,234,567."""
    return f"{_whole(value):,}"


def _shape_text(dims) -> str:
    return " × ".join(_number(d) for d in dims) if dims else "()"


class _IntRow:
    """One row of a network derived on ints, with what the view gives of a row (printers/view.py
    RowView): every size and count is already a number."""

    def __init__(self, depth: int, row):
        self.depth, self.row = depth, row
        self.label = row_label(row)
        self.has_count = row.kind != "path"
        self.shape_values = row.output_shape
        self.value = row.params if self.has_count else None


class _Facts:
    """What the table shows, from a network derived on ints (engine/numbers.Numbers) or with SymPy."""

    def __init__(self, result):
        net = getattr(result, "net", None)
        if net is not None:                     # on ints
            self.net, self.ints = net, True
            self.rows = [_IntRow(depth, row) for depth, row in net.walk()]
            self.totals = [(key, label, result.totals[key]) for key, label, _ in TOTALS
                           if key in result.totals and not (key == "buffers" and result.totals[key] == 0)]
            self.label_text = lambda pieces: text_label(pieces, _number)
            self.value = lambda expr: expr
        else:
            from .view import plain_label, view
            v = view(result)
            self.net, self.ints = result, False
            self.rows = v.rows
            self.totals = [(t.key, t.label, t.value) for t in v.totals]
            self.label_text = plain_label
            self.value = v.value


def numbers_only(result) -> None:
    """Refuse (UsageError) a network whose totals are not all whole numbers: a formula would be all
    that could be printed for them."""
    if getattr(result, "net", None) is not None:
        return                  # derived on ints: every number is a Python int
    free = sorted(s.name for s in result.free_symbols)
    if free:
        raise UsageError(f"--numbers prints numbers only, but {', '.join(free)} "
                         f"{'have' if len(free) > 1 else 'has'} no value; give "
                         f"{'them' if len(free) > 1 else 'it'} with --set {free[0]}=N, or drop --numbers for "
                         "the formulas")
    for _, label, value in _Facts(result).totals:
        if _whole(value) is None:
            raise UsageError(f"--numbers: the {label.lower()} is not a whole number here; drop --numbers "
                             "for the formulas")


def _label(row) -> tuple:
    """The row's label with numbers in it: a repeat segment in closed form (pass i + 1, i = 0 … 2)
    is written by its range instead (passes 1–3 ×3), which names no symbol."""
    if row.kind == "iteration" and row.index is not None:
        first, count = _whole(row.start), _whole(row.count)
        if first is not None and count is not None:
            return (Words("passes"), Range(first + 1, first + count), Times(count))
    return row_label(row)


def _shape(r) -> list | None:
    dims = r.shape_values
    return None if dims is None or any(_whole(d) is None for d in dims) else [_whole(d) for d in dims]


def _rows(facts: _Facts, expand: bool) -> list[dict]:
    out = []
    for r, note in shown_rows(facts.rows, expand, facts.label_text):
        row = r.row
        out.append({"name": row.name, "kind": row.kind, "line": row.line, "depth": r.depth,
                    "label_text": facts.label_text(_label(row)) + (f" {note}" if note else ""),
                    "output_shape_value": _shape(r),
                    "params_value": _whole(r.value) if r.has_count else None,
                    "trainable_value": _whole(facts.value(row.trainable_params)) if r.has_count else None,
                    "non_trainable_value": _whole(facts.value(row.non_trainable_params))
                    if r.has_count else None})
    return out


def rows(result, expand: bool = False) -> list[dict]:
    """Each printed row: name, kind, line, depth, label, output_shape_value, params_value (None for
    a number that is not whole here, such as the shape of a pass written by its index)."""
    return _rows(_Facts(result), expand)


def shown(result, expand: bool = False) -> list:
    """The engine's rows `rows` prints, in its order (the playground reads whether each is a leaf)."""
    facts = _Facts(result)
    return [r.row for r, _ in shown_rows(facts.rows, expand, facts.label_text)]


def totals(result) -> dict[str, int]:
    """{key: value} of the totals the summary lists (params, trainable, non_trainable, buffers when
    any, active for a mixture of experts)."""
    return {key: _whole(value) for key, _, value in _Facts(result).totals}


def as_dict(result, expand: bool = False) -> dict:
    numbers_only(result)
    facts = _Facts(result)
    net = facts.net
    return {"convention": net.convention, "numbers": True,
            "values": dict(sorted(net.values.items())),
            "input_shape_value": [_whole(d) for d in net.input_shape],
            "output_shape_value": [_whole(d) for d in net.output_shape],
            "layers": _rows(facts, expand),
            "total": {f"{key}_value": _whole(value) for key, _, value in facts.totals},
            "warnings": list(net.warnings)}


def json_text(result, expand: bool = False) -> str:
    return json.dumps(as_dict(result, expand), indent=2) + "\n"


def text(result, *, title: str | None = None, width: int | None = None, expand: bool = False) -> str:
    """The layer table (name, output shape, parameter count) and the total lines. result: a network
    derived on ints (engine/numbers.Numbers) or a SymPy Network."""
    numbers_only(result)
    facts = _Facts(result)
    net = facts.net
    width = width or terminal_width()
    cols = [Column("Layer (type)", wrap_order=2), Column("Output shape", wrap_order=1),
            Column("Param #", right=True)]
    cells = []
    for entry in _rows(facts, expand):
        shape = entry["output_shape_value"]
        count = entry["params_value"]
        cells.append(["  " * entry["depth"] + terminal_text(entry["label_text"]),
                      _shape_text(shape) if shape is not None else "",
                      f"{count:,}" if count is not None else ""])
    head = f"Model: {terminal_text(title or net.program.file or '<text>')}   (convention: {net.convention})"
    lines, rule = table(cols, cells, width)
    out = [*wrap_words(head, width), rule, *lines, rule]
    out += [f"{label}: {_whole(value):,}" for _, label, value in facts.totals]
    values = ", ".join(f"{terminal_text(k)} = {v:,}" for k, v in sorted(net.values.items()))
    if values:
        out += wrap_words(f"Values: {values}", width)
    out += [line for w in net.warnings for line in wrap_words(f"Warning: {terminal_text(w)}", width)]
    return "\n".join(out) + "\n"
