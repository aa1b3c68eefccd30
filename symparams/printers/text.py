"""The Keras-like text summary, and --explain's worked arithmetic."""

from __future__ import annotations

from ..algebra import as_int
from ..engine.tensors import has_experts
from ..network import Network
from .common import (at, default_values, fmt_expr, fmt_int, fmt_shape, formula, row_label, total_formula,
                     weight_arithmetic)


def _table(headers, rows) -> list[str]:
    widths = [len(h) for h in headers]
    for r in rows:
        for k, cell in enumerate(r):
            widths[k] = max(widths[k], len(cell))
    widths = [min(w, 60) for w in widths]
    line = "─" * (sum(widths) + 3 * (len(widths) - 1))
    out = [" │ ".join(h.ljust(w) for h, w in zip(headers, widths)), line]
    for r in rows:
        out.append(" │ ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    return out, line


def render(net: Network, *, title: str | None = None, explain: bool = False, columns=("params",),
           cost_options=None) -> str:
    values = default_values(net)
    symbolic = bool(net.free_symbols)
    headers = ["Layer (type)", "Output shape"]
    if symbolic and values:
        headers.append("Shape at defaults")
    columns = tuple(columns or ("params",))
    costs = None
    if columns != ("params",):
        from .. import cost
        costs = cost.row_costs(net, columns, cost_options)
    for column in columns:
        headers += ["Param formula", "Param #"] if column == "params" else [_cost_label(column)]
    rows = []
    for depth, row in net.walk():
        label = "  " * depth + row_label(row)
        cells = [label, fmt_shape(row.output_shape)]
        if symbolic and values:
            numeric = [at(d, values) for d in row.output_shape]
            cells.append(fmt_shape(numeric) if all(v is not None for v in numeric) else "")
        for column in columns:
            if column != "params":
                cells.append(_cost_cell(costs[row][column], values) if row.kind != "path" else "")
            else:
                cells += _param_cells(row, values)
        rows.append(cells)
    head = f"Model: {title or net.program.file or '<text>'}   (convention: {net.convention})"
    table, line = _table(headers, rows)
    out = [head, line, *table, line]
    out += _totals(net, values)
    if costs is not None:
        out += cost_totals(net, columns, cost_options, values)
    if explain:
        out += ["", "Worked arithmetic:"] + explain_lines(net)
    return "\n".join(out) + "\n"


def _cost_label(column: str) -> str:
    from ..cost import LABELS
    return LABELS[column]


def _cost_cell(expr, values) -> str:
    if expr is None:
        return "-"
    value = at(expr, values)
    return fmt_int(value) if value is not None else formula(expr)


def cost_totals(net: Network, columns, cost_options, values) -> list[str]:
    """One line per cost column: the total as a formula and at the defaults; the receptive
    field of the last spatial layer with its effective stride and padding."""
    from .. import cost
    from ..errors import ShapeError
    out = []
    wanted = [c for c in columns if c != "params"]
    options = cost_options or cost.Options()
    sums = cost.totals(net, [c for c in wanted if not c.startswith("rf")], options)
    for column, expr in sums.items():
        value = at(expr, values)
        shown = total_formula(expr) if expr.free_symbols else fmt_int(expr)
        if expr.free_symbols and value is not None:
            shown += f" = {fmt_int(value)}"
        extra = " (2 per MAC + bias adds)" if column == "flops" and options.bias_adds else ""
        out.append(f"Total {cost.LABELS[column]}{cost.total_note(column, options)}{extra}: {shown}")
    if any(c.startswith("rf") for c in wanted):
        try:
            row, axes = cost.receptive_field(net)
        except ShapeError as exc:
            out.append(exc.message[:1].upper() + exc.message[1:])
        else:
            parts = []
            for which, label in ((0, ""), (1, "effective stride "), (2, "effective padding ")):
                texts = []
                for axis in axes:
                    value = at(axis[which], values)
                    texts.append(fmt_int(value) if value is not None else formula(axis[which]))
                parts.append(label + (texts[0] if len(set(texts)) == 1 else " x ".join(texts)))
            out.append(f"Receptive field: {parts[0]} ({parts[1]}, {parts[2]}) at {row.name}")
    return out


def _param_cells(row, values) -> list[str]:
    if row.kind == "path":
        return ["", ""]
    params = row.params
    if params.free_symbols:
        text = formula(params)
    else:
        text = (weight_arithmetic(row) if row.is_leaf and row.weights else None) or fmt_int(params)
    value = at(params, values)
    return [text if row.is_leaf or params.free_symbols else "", fmt_int(value) if value is not None else "?"]


def _totals(net: Network, values) -> list[str]:
    out = []
    items = [("Total params", net.params), ("Trainable params", net.trainable_params),
             ("Non-trainable params", net.non_trainable_params)]
    if net.buffers != 0:
        items.append(("Buffers (not parameters)", net.buffers))
    if has_experts(net):        # a mixture of experts: what one token uses
        items.append(("Active params (per token)", net.metric("active")))
    for label, expr in items:
        value = at(expr, values)
        if expr.free_symbols:
            shown = f"{total_formula(expr)}"
            if value is not None:
                shown += f" = {fmt_int(value)}"
        else:
            shown = fmt_int(expr)
        out.append(f"{label}: {shown}")
    symbols = net.symbols
    parts = [f"{s} = {fmt_int(v)}" if v is not None else f"{s} (no default)" for s, v in symbols.items()]
    parts += [f"{name} = {fmt_int(v)} (set)" for name, v in sorted(net.values.items())]
    if parts:
        out.append("Symbols: " + ", ".join(parts))
    for name, expr in net.aliases.items():
        out.append(f"Alias: {name} = {fmt_expr(expr)}")
    if net.constraints:
        out.append("Valid for: " + "; ".join(net.constraints))
    for warning in net.warnings:
        out.append(f"Warning: {warning}")
    return out


def _axis_arithmetic(row, values) -> str | None:
    cfg = row.config or {}
    if not row.is_leaf or "stride" not in cfg or len(row.input_shape) < 2:
        return None
    pieces = []
    spatial = row.input_shape[:-1]
    window = cfg.get("kernel") or cfg.get("pool")
    for axis, size in enumerate(spatial):
        H = at(size, values)
        out = at(row.output_shape[axis], values)
        if H is None or out is None or window is None:
            return None
        k = at(window[axis], values)
        s = at(cfg["stride"][axis], values)
        d = at(cfg["dilation"][axis], values) if cfg.get("dilation") else 1
        pad = cfg.get("padding", "valid")
        if row.kind.startswith("deconv"):
            return None
        if pad == "same":
            text = f"⌈{H}/{s}⌉ = {out}"
        else:
            p = 0 if pad == "valid" else at(pad[axis], values)
            if s == 1 and d == 1 and p == 0:
                text = f"({H} − ({k} − 1)) = {out}"
            else:
                pad_text = f" + 2·{p}" if p else ""
                span = f"({d}·({k} − 1) + 1)" if d != 1 else f"{k}"
                text = f"⌊({H}{pad_text} − {span})/{s}⌋ + 1 = {out}"
        pieces.append(text)
    if len(set(pieces)) == 1:
        return pieces[0]
    return ", ".join(pieces)


def explain_lines(net: Network) -> list[str]:
    values = default_values(net)
    lines = []
    for depth, row in net.walk():
        if not row.is_leaf or row.kind == "input":
            continue
        shape_values = [at(d, values) for d in row.output_shape]
        shape_text = "×".join(fmt_int(v) if v is not None else fmt_expr(d)
                              for v, d in zip(shape_values, row.output_shape))
        parts = []
        axis = _axis_arithmetic(row, values)
        if axis:
            parts.append(f"{axis} → {shape_text}")
        else:
            parts.append(shape_text)
        params = row.params
        value = at(params, values)
        if row.weights and any(not w.buffer for w in row.weights):
            general = weight_arithmetic(row)
            numeric = weight_arithmetic(row, values)
            text = numeric if numeric else fmt_expr(params)
            if params.free_symbols and general != numeric:
                text = f"{general} = {numeric}"
            parts.append(f"{text} = {fmt_int(value) if value is not None else fmt_expr(params)}")
        else:
            parts.append("0 parameters")
        lines.append(f"  {row.name}: " + "; ".join(parts))
    return lines
