"""JSON: every row and total as a machine-readable SymPy string, the same in the math printer's
notation (the *_text fields, as the text summary shows it) and, where known, an exact integer."""

from __future__ import annotations

import json

from ..algebra import as_int
from . import math as M
from .common import fmt_expr, formula, total_formula
from .view import plain_label, view


def _int(v):
    return as_int(v) if v is not None else None


def as_dict(net, *, columns=("params",), cost_options=None) -> dict:
    v = view(net)
    extra = [c for c in (columns or ()) if c != "params"]
    costs = None
    if extra:
        from .. import cost
        costs = cost.row_costs(net, extra, cost_options)
    layers = []
    for r in v.rows:
        row = r.row
        layers.append({
            "name": row.name, "kind": row.kind, "line": row.line, "depth": r.depth,
            "label_text": plain_label(r.label),
            "output_shape": [fmt_expr(d) for d in row.output_shape],
            "output_shape_text": M.shape(row.output_shape),
            "output_shape_value": [_int(v.value(d)) for d in row.output_shape],
            "params": formula(row.params), "params_text": M.show(r.formula if r.formula is not None else row.params),
            "params_value": _int(v.value(row.params)),
            "trainable": formula(row.trainable_params), "trainable_value": _int(v.value(row.trainable_params)),
            "non_trainable": formula(row.non_trainable_params),
            "non_trainable_value": _int(v.value(row.non_trainable_params)),
        })
        for column in extra:
            layers[-1].update(_cost_entry(column, costs[row][column], v))
    total = {}
    exprs = {"params": net.params, "trainable": net.trainable_params, "non_trainable": net.non_trainable_params,
             "buffers": net.buffers} | {t.key: t.expr for t in v.totals}
    for key, expr in exprs.items():      # buffers always listed here, 0 when none (a stable schema)
        total[key] = total_formula(expr)
        total[f"{key}_text"] = M.show(total_formula_expr(expr))
        total[f"{key}_value"] = _int(v.value(expr))
    if extra:
        sums = cost.totals(net, [c for c in extra if not c.startswith("rf")], cost_options)
        for column, expr in sums.items():
            total.update(_cost_entry(column, expr, v, total_formula))
        if any(c.startswith("rf") for c in extra):
            total.update(_receptive_entry(net, extra, v))
    return {
        "convention": net.convention,
        "symbols": {s.name: val for s, val in net.symbols.items()},
        "set": dict(sorted(net.values.items())),
        "aliases": {k: fmt_expr(e) for k, e in net.aliases.items()},
        "input_shape": [fmt_expr(d) for d in net.input_shape],
        "output_shape": [fmt_expr(d) for d in net.output_shape],
        "layers": layers,
        "total": total,
        "constraints": list(net.constraints),
        "constraints_text": v.conditions("text"),
        "warnings": list(net.warnings),
    }


def total_formula_expr(expr):
    from ..algebra import collected
    return collected(expr)


def _cost_entry(column, expr, v, show=formula) -> dict:
    """A cost column as its formula and its exact value at the defaults (None: not available)."""
    if expr is None:
        return {column: None, f"{column}_value": None}
    value = v.value(expr)
    number = as_int(value) if value is not None else None
    if value is not None and number is None:
        number = str(value)        # a fraction (an upsampled effective stride)
    return {column: show(expr), f"{column}_value": number}


def _receptive_entry(net, columns, v) -> dict:
    """rf columns of the totals: those of the last spatial layer, and where that layer is."""
    from .. import cost
    from ..errors import ShapeError
    try:
        row, axes = cost.receptive_field(net)
    except ShapeError as exc:
        return {c: None for c in columns if c.startswith("rf")} | {"rf_note": exc.message}
    out = {"rf_layer": row.name}
    for which, column in enumerate(("rf", "rf_stride", "rf_padding")):
        if column in columns:
            out.update(_cost_entry(column, cost.row_costs(net, (column,))[row][column], v))
            out[f"{column}_axes"] = [fmt_expr(axis[which]) for axis in axes]
    return out


def render(net, *, columns=("params",), cost_options=None, **_) -> str:
    return json.dumps(as_dict(net, columns=columns, cost_options=cost_options), indent=2) + "\n"


def summary(net, *, columns=("params",), cost_options=None, explain: bool = False, **_) -> str:
    """`symparams summary --format json`; with explain, each layer's worked arithmetic as a list."""
    data = as_dict(net, columns=columns, cost_options=cost_options)
    if explain:
        from .text import explain_lines
        data["arithmetic"] = [line.strip() for line in explain_lines(net)]
    return json.dumps(data, indent=2) + "\n"
