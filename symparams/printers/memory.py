"""A memory report (symparams/memory.py Report) laid out: text for a person, a dict for JSON, HTML
for notebooks. Layout only: every formula and byte count comes from the report."""

from __future__ import annotations

import json


def text(rep, short_names: bool = False, **_) -> str:
    return render(rep, rep.net, short_names=short_names)


def html(rep) -> str:
    return render_html(rep, rep.net)


def json_text(rep, **_) -> str:
    return json.dumps(as_dict(rep, rep.net), indent=2) + "\n"


def loss_name(net, options) -> str:
    """The loss the report assumed (the options', or the default for this network)."""
    from ..memory import loss_name as name
    return name(net, options)


def _gib(value: int) -> str:
    return f"{gib(value):,.2f} GiB"


def gib(value: int):
    """Bytes in GiB for showing: a float, or a Decimal past a float's range (dense 10**170 twice), so
    no byte count the engine gives fails to print."""
    try:
        return value / 2 ** 30
    except OverflowError:
        from decimal import Decimal
        return Decimal(value) / Decimal(2 ** 30)


def _json_gib(value):
    """GiB as a JSON number, or None when the bytes pass a float's range (the exact bytes are there)."""
    if value is None:
        return None
    shown = gib(value)
    return shown if isinstance(shown, float) else None


def _formula(expr, mode: str = "text") -> str:
    from . import math
    from .common import collected
    return math.show(collected(expr), mode)


def render(rep, net, width: int | None = None, short_names: bool = False) -> str:
    """The report as text that fits width columns (None: the terminal's): a part whose formula and
    bytes do not fit one line shows its bytes first, the formula below, broken between terms.
    short_names: long symbol names as short letters, with the legend in the Symbols line."""
    from ..notation import display_names
    from .text import legend_names, terminal_width
    width = width or terminal_width()
    with display_names(legend_names(net) if short_names else {}):
        return _render(rep, net, width)


def fit(head: str, formula: str, number: str, width: int) -> list[str]:
    """'head formula = number' on one line when it fits, else 'head number' and '= formula' below
    (wrapped between terms, indented); a formula alone wraps under its head."""
    from .text import wrap
    one = head + " = ".join(t for t in (formula, number) if t)
    if len(one) <= width:
        return [one]
    indent = " " * min(len(head) - len(head.lstrip()) + 4, width // 3)
    if number:
        return [head + number] + (_hanging("= " + formula, width, indent) if formula else [])
    from .text import rejoin
    first, *rest = wrap(formula, max(width - len(head), 20))
    return [head + first] + (_hanging(rejoin(rest), width, indent + "  ") if rest else [])


def _hanging(text: str, width: int, indent: str) -> list[str]:
    """text wrapped after indent, its later lines two characters further in."""
    from .text import rejoin, wrap
    first, *rest = wrap(text, width - len(indent))
    rest = wrap(rejoin(rest), width - len(indent) - 2) if rest else []
    return [indent + first] + [indent + "  " + r for r in rest]


def _render(rep, net, width: int) -> str:
    from .text import symbol_legend, wrap_words
    o = rep.options
    what = "inference" if rep.inference else "training"
    lines = wrap_words(f"Memory ({what}): {net.program.file or '<text>'}   (convention: {net.convention})", width)
    lines += wrap_words(f"precision {o.precision}" + ("" if rep.inference else f", optimizer {o.optimizer}, recompute "
                                                      f"{o.recompute}, saving {o.style}, attention {o.attention}, "
                                                      f"loss {loss_name(net, o)}") + f", batch {o.batch}", width)
    params = rep.params
    lines += fit("Parameters: ", _formula(params), "", width)
    if rep.active is not None:
        lines += fit("  (active per token: ", _formula(rep.active) + ")", "", width)
    label_width = max(len(p.label) for p in rep.parts)
    for part in rep.parts:
        head = f"  {part.label.ljust(label_width)}  "
        if part.value is None:
            lines += fit(head, _formula(part.formula), "", width)
            continue
        number = f"{part.value:,} bytes ({_gib(part.value)})"
        lines += fit(head, _formula(part.formula) if part.formula.free_symbols else "", number, width)
    if rep.parallel is not None:
        lines += _layout_lines(rep, width)
    lines += _time_lines(rep, width)
    given = {k: v for k, v in rep.values.items()}
    if given:
        from ..algebra import symbol
        lines += wrap_words("Symbols: " + ", ".join(f"{symbol_legend(symbol(k))} = {v:,}"
                                                    for k, v in sorted(given.items())), width)
    if rep.solved:
        s = rep.solved
        lines += wrap_words(f"Largest {s['symbol']} within {s['budget']:,} bytes ({_gib(s['budget'])}): "
                            f"{s['symbol']} = {s['value']:,} ({s['at_value']:,} bytes, {_gib(s['at_value'])})", width)
        after = s.get("next")
        if after is not None:
            word = "next valid value" if after["value"] != s["value"] + 1 else "one more"
            lines += wrap_words(f"  {word}: {s['symbol']} = {after['value']:,} needs {after['bytes']:,} bytes "
                                f"({_gib(after['bytes'])})", width)
    return "\n".join(lines) + "\n"


def _number(expr, known) -> int | None:
    import sympy
    value = sympy.sympify(expr).subs({symbol_(k): v for k, v in known.items()})
    return int(value) if value.is_number and not value.free_symbols else None


def symbol_(name):
    from ..algebra import symbol
    return symbol(name)


def _shown(expr, known, head: str = "", width: int = 10**9) -> list[str]:
    """expr's bytes (and its formula while symbolic) after head, fitted to width."""
    value = _number(expr, known)
    text = _formula(expr)
    if value is None:
        return fit(head, text, "", width)
    number = f"{value:,} bytes ({_gib(value)})"
    return fit(head, text if sympy_free(expr) else "", number, width)


def sympy_free(expr) -> bool:
    import sympy
    return bool(sympy.sympify(expr).free_symbols)


TIME_LABELS = (("prefill_flops", "Prefill FLOPs", "flops"), ("prefill_bytes", "Prefill bytes moved", "bytes"),
               ("decode_flops", "Decode FLOPs per step", "flops"), ("decode_bytes", "Decode bytes per step", "bytes"),
               ("step_flops", "Step FLOPs", "flops"), ("step_s", "Step time", "s"), ("training_s", "Training time", "s"),
               ("prefill_s", "Prefill time", "s"), ("decode_s_token", "Decode time per step", "s"),
               ("decode_tokens_per_s", "Decode tokens/s", "1/s"))


def _time_value(expr, known):
    import sympy
    value = sympy.sympify(expr).subs({symbol_(k): v for k, v in known.items()})
    try:
        return float(value) if value.is_number else None
    except (OverflowError, TypeError):       # past a float's range: the formula is shown instead
        return None


def _time_lines(rep, width: int = 10**9) -> list:
    t = getattr(rep, "time", None) or {}
    if not t:
        return []
    gpu = t.get("gpu")
    lines = ["Serving (one prompt of the input's length; decode with the cache full):" if rep.inference
             else "Time" + (":" if gpu is None else "")]
    if gpu is not None:
        lines[-1] = lines[-1].rstrip(":") + f" on {gpu.name} (roofline bounds, mfu {t['mfu']:g}):"
    for key, label, unit in TIME_LABELS:
        if key not in t:
            continue
        value = _time_value(t[key], rep.values)
        shown = _formula(t[key]) if value is None else (f"{value:,.0f}" if unit in ("flops", "bytes") else
                                                        f"{value:.6g} {unit}")
        if unit == "s" and value is not None and value > 86400:
            shown += f" ({value / 86400:,.1f} days)"
        lines += fit(f"  {label:<24} ", "", shown, width) if value is not None else \
            fit(f"  {label:<24} ", shown, "", width)
    return lines


def _layout_lines(rep, width: int = 10**9) -> list:
    """The layout, each pipeline stage's rows and total, and the bytes sent per step."""
    an, known = rep.parallel, rep.values
    lay = an.layout
    lines = [f"Layout: dp {lay.dp}, tp {lay.tp}, pp {lay.pp}, cp {lay.cp}, ep {lay.ep}, zero {lay.zero}"
             + (", sequence parallel" if lay.sequence_parallel else "")
             + f", microbatches {lay.microbatches}" + (f", interleave {lay.interleave}" if lay.interleave != 1 else "")
             + f", gradients {lay.grad_dtype}, offload {lay.offload}",
             f"  (parts above: one GPU of the {an.stages[an.loaded].name} stage, the most loaded"
             + (")" if len(an.stages) > 1 or an.stages[0].name != "only" else "; one stage)")]
    if len(an.stages) > 1:
        lines.append("Pipeline stages (per GPU):")
        for st in an.stages:
            lines.append(f"  {st.name:<6}  {', '.join(st.holds)}; in flight: {st.in_flight} micro-batch(es)")
            lines += _shown(st.parts['train_bytes'], known, "          total ", width)
    if rep.inference:                 # the collectives below are a training step's
        return lines + [f"  note: {n}" for n in an.notes]
    lines.append("Bytes sent per GPU per step:")
    for kind, label in (("dp", "data parallel"), ("tp", "tensor parallel"), ("pp", "pipeline"),
                        ("ep", "expert all-to-all"), ("cp", "context (ring attention)"), ("total", "total")):
        expr = an.comm[kind]
        if kind != "total" and expr == 0:
            continue
        lines += _shown(expr, known, f"  {label:<25} ", width)
    for metric_name, expr in an.cpu.items():
        lines += _shown(expr, known, f"  offloaded to CPU ({metric_name}): ", width)
    lines += [f"  note: {n}" for n in an.notes]
    return lines


def render_html(rep, net) -> str:
    """The report for notebooks: each part's formula in MathML (no script, no CDN) and its bytes."""
    from html import escape

    from . import math
    def formula(expr):
        return math.mathml_block(_formula(expr, "mathml"))
    head, *_ = render(rep, net).splitlines()
    rows = [f"<tr><td>Parameters</td><td>{formula(rep.params)}</td><td></td></tr>"]
    for part in rep.parts:
        value = "" if part.value is None else f"{part.value:,} bytes ({_gib(part.value)})"
        rows.append(f"<tr><td>{escape(part.label)}</td><td>{formula(part.formula)}</td>"
                    f'<td style="text-align:right">{value}</td></tr>')
    given = ", ".join(f"{escape(k)} = {v:,}" for k, v in sorted(rep.values.items()))
    return (f"<p>{escape(head)}</p><table>{''.join(rows)}</table>"
            + (f"<p>Symbols: {given}</p>" if given else ""))


def as_dict(rep, net) -> dict:
    o = rep.options
    out = {"file": net.program.file, "convention": net.convention, "inference": rep.inference,
           "options": {"batch": str(o.batch), "precision": o.precision, "optimizer": o.optimizer,
                       "recompute": o.recompute, "saving": o.style, "device": o.device,
                       "attention": o.attention, "loss": loss_name(net, o)},
           "params": str(rep.params), "active": str(rep.active) if rep.active is not None else None,
           "parts": {p.metric: {"label": p.label, "formula": str(p.formula), "bytes": p.value,
                                "gib": _json_gib(p.value)} for p in rep.parts},
           "symbols": rep.values}
    t = getattr(rep, "time", None) or {}
    if t:
        out["time"] = {k: {"formula": str(v), "value": _time_value(v, rep.values)} for k, v in t.items()
                       if k not in ("gpu", "mfu")}
        if "gpu" in t:
            out["time"]["gpu"], out["time"]["mfu"] = t["gpu"].name, t["mfu"]
    if rep.parallel is not None:
        an, known = rep.parallel, rep.values

        def item(expr):
            return {"formula": str(expr), "bytes": _number(expr, known)}
        out["layout"] = an.layout.as_dict()
        out["loaded_stage"] = an.stages[an.loaded].name
        out["per_stage"] = [{"stage": st.name, "layers": st.holds, "in_flight": str(st.in_flight),
                             "parts": {k: item(e) for k, e in st.parts.items()},
                             "comm_bytes": {k: item(e) for k, e in st.comm.items()}} for st in an.stages]
        out["comm_bytes"] = {k: item(e) for k, e in an.comm.items()}
        out["cpu_bytes"] = {k: item(e) for k, e in an.cpu.items()}
        out["notes"] = an.notes
    if rep.solved:
        s = rep.solved
        out["budget"] = {"symbol": s["symbol"], "budget": s["budget"], "value": s["value"], "bytes": s["at_value"],
                         "formula": str(s["formula"]), "next": s.get("next"), "valid": s.get("valid")}
    return out
