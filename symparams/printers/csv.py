"""CSV: the summary for a spreadsheet, one line per row of the layer table and a last line of
totals (kind 'total'). The fields are the JSON summary's (printers/jsonout.py as_dict) but for the
math printer's *_text forms: each formula in SymPy's notation and, where known, its exact integer
(a shape's axes joined with ';')."""

from __future__ import annotations

import csv
import io

from .jsonout import as_dict


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)


def summary(net, *, columns=("params",), cost_options=None, **_) -> str:
    data = as_dict(net, columns=columns, cost_options=cost_options)
    fields = [k for k in data["layers"][0] if not k.endswith("_text")] if data["layers"] else ["name"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for row in data["layers"]:
        writer.writerow([_cell(row.get(f)) for f in fields])
    total = dict(data["total"], name="total", kind="total")
    writer.writerow([_cell(total.get(f)) if f in total else "" for f in fields])
    return buf.getvalue()
