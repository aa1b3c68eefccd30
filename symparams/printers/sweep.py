"""A sweep (symparams/sweep.py Grid or Rows) laid out: text, markdown, CSV, JSON and HTML tables.
Layout only: every number comes from the grid. Column by column, so a sweep of a million points
renders in about a second.

A point where the network is not valid has no count: an empty cell (CSV), null (JSON) or a blank
(text, markdown), and the condition it breaks in the INVALID column ("invalid: <condition>" in the
text and markdown tables)."""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

from ..sweep import INVALID

FORMATS = ("text", "markdown", "csv", "json")


def _parts(result) -> tuple[dict, tuple, tuple]:
    """(columns, symbol names, metric names) of a Grid or of Rows."""
    if hasattr(result, "columns") and callable(result.columns):
        return result.columns(), tuple(result.names), tuple(result.metrics)
    return result._columns(), tuple(result.names), tuple(result.metrics)


def text(result, **_) -> str:
    return table(*_parts(result), "text")


def markdown(result, **_) -> str:
    return table(*_parts(result), "markdown")


def csv(result, **_) -> str:
    return table(*_parts(result), "csv")


def json(result, **_) -> str:
    return table(*_parts(result), "json")


def render(result, fmt: str = "text") -> str:
    return table(*_parts(result), fmt)


def table(columns: Mapping[str, list], names: Sequence[str], metrics: Sequence[str], fmt: str = "text") -> str:
    """The table from Grid.columns(): text, markdown, csv or json."""
    cols = list(names) + list(metrics) + ([INVALID] if INVALID in columns else [])
    size = len(columns[cols[0]]) if cols else 0
    if fmt == "json":
        import json as json_module
        rows = [dict(zip(cols, values)) for values in zip(*(columns[c] for c in cols))]
        if size <= 10_000:
            return json_module.dumps(rows, indent=1) + "\n"
        return json_module.dumps(rows) + "\n"          # one line: the C encoder, ten times faster
    if fmt == "csv":
        import csv as csv_module
        import io
        buf = io.StringIO()
        writer = csv_module.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows(zip(*(["" if v is None else v for v in columns[c]] for c in cols)))
        return buf.getvalue()
    if fmt not in ("text", "markdown"):
        raise ValueError(f"unknown sweep format '{fmt}'; one of {', '.join(FORMATS)}")

    def cells(c):
        if c == INVALID:
            return ["" if v is None else f"invalid: {v}" for v in columns[c]]
        if c in metrics:
            return ["" if v is None else f"{v:,}" for v in columns[c]]
        return [str(v) for v in columns[c]]

    table_ = [cells(c) for c in cols]
    heads = ["note" if c == INVALID else c for c in cols]
    if fmt == "markdown":
        lines = ["| " + " | ".join(heads) + " |",
                 "|" + "|".join(":---" if c == INVALID else "---:" for c in cols) + "|"]
        lines += ["| " + " | ".join(t) + " |" for t in zip(*table_)]
        return "\n".join(lines) + "\n"
    widths = [max([len(h)] + [len(v) for v in t]) for h, t in zip(heads, table_)]
    # numbers right-aligned; the note (last) left-aligned and not padded
    padded = [[v if c == INVALID else v.rjust(w) for v in t] for c, t, w in zip(cols, table_, widths)]
    lines = ["  ".join(h if c == INVALID else h.rjust(w) for c, h, w in zip(cols, heads, widths)).rstrip()]
    lines += ["  ".join(t).rstrip() for t in zip(*padded)]
    return "\n".join(lines) + "\n"


def html(result_or_columns, names: Sequence[str] | None = None, metrics: Sequence[str] | None = None) -> str:
    """The table as HTML for notebooks: symbols in the math printer's MathML, numbers grouped."""
    from ..algebra import symbol
    from . import math
    if names is None:
        columns, names, metrics = _parts(result_or_columns)
    else:
        columns = result_or_columns
    cols = list(names) + list(metrics) + ([INVALID] if INVALID in columns else [])
    head = ([math.mathml_block(math.show(symbol(n), "mathml")) for n in names] + [escape(m) for m in metrics]
            + (["note"] if INVALID in columns else []))

    def cell(c, v):
        if c == INVALID:
            return "" if v is None else escape(f"invalid: {v}")
        return "" if v is None else f"{v:,}" if c in metrics else str(v)
    body = ["<tr>" + "".join(f'<td style="text-align:{"left" if c == INVALID else "right"}">{cell(c, v)}</td>'
                             for c, v in zip(cols, values))
            + "</tr>" for values in zip(*(columns[c] for c in cols))]
    return ("<table><thead><tr>" + "".join(f'<th style="text-align:right">{h}</th>' for h in head)
            + "</tr></thead><tbody>" + "".join(body) + "</tbody></table>")
