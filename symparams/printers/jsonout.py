"""JSON: every row and total as a formula string and, where known, an exact integer."""

from __future__ import annotations

import json

from ..algebra import as_int
from ..network import Network
from .common import at, default_values, fmt_expr, formula, total_formula


def _value(expr, values):
    v = at(expr, values)
    return as_int(v) if v is not None else None


def as_dict(net: Network) -> dict:
    values = default_values(net)
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
    total = {}
    for key, expr in (("params", net.params), ("trainable", net.trainable_params),
                      ("non_trainable", net.non_trainable_params), ("buffers", net.buffers)):
        total[key] = total_formula(expr)
        total[f"{key}_value"] = _value(expr, values)
    return {
        "convention": net.convention,
        "symbols": {s.name: v for s, v in net.symbols.items()},
        "aliases": {k: fmt_expr(v) for k, v in net.aliases.items()},
        "input_shape": [fmt_expr(d) for d in net.input_shape],
        "output_shape": [fmt_expr(d) for d in net.output_shape],
        "layers": layers,
        "total": total,
        "constraints": list(net.constraints),
        "warnings": list(net.warnings),
    }


def render(net: Network, **_) -> str:
    return json.dumps(as_dict(net), indent=2) + "\n"
