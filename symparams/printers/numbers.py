"""`summary --numbers`: the layer table and totals as numbers only, from a network derived at its
values (engine.network.Network.at_values: one derive on the numbers, no symbolic derive, no
validity search, no formula typesetting).

It prints the numbers the full summary prints in its 'At defaults' and 'Param #' columns and on
its total lines, and nothing else: never a formula. A number that is not a whole number here (a
symbol without a value) is refused by `numbers_only` before anything is printed, so the caller
can point at --set or at the full summary instead.
"""

from __future__ import annotations

import json

from ..errors import UsageError
from . import math as M
from .text import Column, shown_rows, table, terminal_text, terminal_width, wrap_words
from .view import Range, Times, Words, plain_label, row_label, view


def _whole(value) -> int | None:
    """value as a Python int when it is a whole number, else None."""
    if isinstance(value, int):
        return value
    if getattr(value, "is_Integer", False):
        return int(value)
    return None


def numbers_only(net) -> None:
    """Refuse (UsageError) a network whose totals are not all whole numbers: a formula would be all
    that could be printed for them."""
    free = sorted(s.name for s in net.free_symbols)
    if free:
        raise UsageError(f"--numbers prints numbers only, but {', '.join(free)} "
                         f"{'have' if len(free) > 1 else 'has'} no value; give "
                         f"{'them' if len(free) > 1 else 'it'} with --set {free[0]}=N, or drop --numbers for "
                         "the formulas")
    for t in view(net).totals:
        if _whole(t.value) is None:
            raise UsageError(f"--numbers: the {t.label.lower()} is not a whole number here; drop --numbers "
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


def rows(net, expand: bool = False) -> list[dict]:
    """Each printed row: name, kind, line, depth, label, output_shape_value, params_value (None for
    a number that is not whole here, such as the shape of a pass written by its index)."""
    out = []
    for r, note in shown_rows(view(net), expand):
        row = r.row
        out.append({"name": row.name, "kind": row.kind, "line": row.line, "depth": r.depth,
                    "label_text": plain_label(_label(row)) + (f" {note}" if note else ""),
                    "output_shape_value": _shape(r),
                    "params_value": _whole(r.value) if r.has_count else None,
                    "trainable_value": _whole(view(net).value(row.trainable_params)) if r.has_count else None,
                    "non_trainable_value": _whole(view(net).value(row.non_trainable_params))
                    if r.has_count else None})
    return out


def totals(net) -> dict[str, int]:
    """{key: value} of the totals the summary lists (params, trainable, non_trainable, buffers when
    any, active for a mixture of experts)."""
    return {t.key: _whole(t.value) for t in view(net).totals}


def as_dict(net, expand: bool = False) -> dict:
    numbers_only(net)
    return {"convention": net.convention, "numbers": True,
            "values": dict(sorted(net.values.items())),
            "input_shape_value": [_whole(d) for d in net.input_shape],
            "output_shape_value": [_whole(d) for d in net.output_shape],
            "layers": rows(net, expand),
            "total": {f"{k}_value": v for k, v in totals(net).items()},
            "warnings": list(net.warnings)}


def json_text(net, expand: bool = False) -> str:
    return json.dumps(as_dict(net, expand), indent=2) + "\n"


def text(net, *, title: str | None = None, width: int | None = None, expand: bool = False) -> str:
    """The layer table (name, output shape, parameter count) and the total lines."""
    numbers_only(net)
    width = width or terminal_width()
    cols = [Column("Layer (type)", wrap_order=2), Column("Output shape", wrap_order=1),
            Column("Param #", right=True)]
    cells = []
    for entry in rows(net, expand):
        shape = entry["output_shape_value"]
        count = entry["params_value"]
        cells.append(["  " * entry["depth"] + terminal_text(entry["label_text"]),
                      M.shape(tuple(shape)) if shape is not None else "",
                      f"{count:,}" if count is not None else ""])
    head = f"Model: {terminal_text(title or net.program.file or '<text>')}   (convention: {net.convention})"
    lines, rule = table(cols, cells, width)
    out = [*wrap_words(head, width), rule, *lines, rule]
    out += [f"{t.label}: {_whole(t.value):,}" for t in view(net).totals]
    values = ", ".join(f"{terminal_text(k)} = {v:,}" for k, v in sorted(net.values.items()))
    if values:
        out += wrap_words(f"Values: {values}", width)
    out += [line for w in net.warnings for line in wrap_words(f"Warning: {terminal_text(w)}", width)]
    return "\n".join(out) + "\n"
