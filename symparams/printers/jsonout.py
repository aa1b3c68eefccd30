"""JSON: every row and total as a formula string and, where known, an exact integer."""

from __future__ import annotations

import json

from ..algebra import as_int
from ..network import Network
from .common import at, default_values, fmt_expr, formula, total_formula


def _value(expr, values):
    v = at(expr, values)
    return as_int(v) if v is not None else None


def as_dict(net: Network, *, columns=("params",), cost_options=None) -> dict:
    values = default_values(net)
    extra = [c for c in (columns or ()) if c != "params"]
    costs = None
    if extra:
        from .. import cost
        costs = cost.row_costs(net, extra, cost_options)
    layers = []
    for depth, row in net.walk():
        layers.append({
            "name": row.name, "kind": row.kind, "line": row.line, "depth": depth,
            "output_shape": [fmt_expr(d) for d in row.output_shape],
            "output_shape_value": [_value(d, values) for d in row.output_shape],
            "params": formula(row.params), "params_value": _value(row.params, values),
            "trainable": formula(row.trainable_params), "trainable_value": _value(row.trainable_params, values),
            "non_trainable": formula(row.non_trainable_params),
            "non_trainable_value": _value(row.non_trainable_params, values),
        })
        for column in extra:
            layers[-1].update(_cost_entry(column, costs[row][column], values))
    total = {}
    for key, expr in (("params", net.params), ("trainable", net.trainable_params),
                      ("non_trainable", net.non_trainable_params), ("buffers", net.buffers)):
        total[key] = total_formula(expr)
        total[f"{key}_value"] = _value(expr, values)
    if extra:
        sums = cost.totals(net, [c for c in extra if not c.startswith("rf")], cost_options)
        for column, expr in sums.items():
            total.update(_cost_entry(column, expr, values, total_formula))
        if any(c.startswith("rf") for c in extra):
            total.update(_receptive_entry(net, extra, values))
    return {
        "convention": net.convention,
        "symbols": {s.name: v for s, v in net.symbols.items()},
        "set": dict(sorted(net.values.items())),
        "aliases": {k: fmt_expr(v) for k, v in net.aliases.items()},
        "input_shape": [fmt_expr(d) for d in net.input_shape],
        "output_shape": [fmt_expr(d) for d in net.output_shape],
        "layers": layers,
        "total": total,
        "constraints": list(net.constraints),
        "warnings": list(net.warnings),
    }


def _cost_entry(column, expr, values, show=formula) -> dict:
    """A cost column as its formula and its exact value at the defaults (None: not available)."""
    if expr is None:
        return {column: None, f"{column}_value": None}
    v = at(expr, values)
    number = as_int(v) if v is not None else None
    if v is not None and number is None:
        number = str(v)        # a fraction (an upsampled effective stride)
    return {column: show(expr), f"{column}_value": number}


def _receptive_entry(net, columns, values) -> dict:
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
            out.update(_cost_entry(column, cost.row_costs(net, (column,))[row][column], values))
            out[f"{column}_axes"] = [fmt_expr(axis[which]) for axis in axes]
    return out


def render(net: Network, *, columns=("params",), cost_options=None, **_) -> str:
    return json.dumps(as_dict(net, columns=columns, cost_options=cost_options), indent=2) + "\n"
