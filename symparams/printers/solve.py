"""A solve result (symparams/solve.py SolveResult) laid out: text for a person, a dict for JSON,
HTML for notebooks. Layout only: every number and formula comes from the result."""

from __future__ import annotations

from html import escape

import sympy

from ..notation import plain
from . import math

_WORDS = {"at_most": "<=", "exactly": "=", "at_least": ">="}
LISTED = 12         # valid values (or residues) written out before "…"


def text(r, ascii: bool = False, width: int | None = None, **_) -> str:
    """The result as a person reads it: formulas by the math printer (9f² + 6,427f, √), or in
    plain ASCII (9*f^2, sqrt) with ascii=True; each line wrapped to width columns (None: the
    terminal's) between terms and words. as_dict() is the machine-readable form."""
    from .text import terminal_width, wrap_words
    out = _text(r)
    if ascii:
        out = plain(out).replace("≈", "~").replace("≡", "=").replace("…", "...")
    width = width or terminal_width()
    lines = [piece for line in out.split("\n") for piece in (wrap_words(line, width) if len(line) > width else [line])]
    return "\n".join(lines)


def html(r) -> str:
    return "<pre>" + escape(text(r)) + "</pre>"


def json_text(r, **_) -> str:
    import json
    return json.dumps(as_dict(r), indent=2) + "\n"


def as_dict(r) -> dict:
    """The result for --format json: numbers exact, formulas as SymPy strings (sympify reads them)."""
    def point(p):
        return None if p is None else {"value": p.value, "count": p.count, "valid": p.valid}
    return {"unknown": r.unknown, "metric": r.metric, "mode": r.mode, "target": r.target,
            "formula": sympy.sstr(r.expr), "fixed": dict(r.fixed), "lowest": r.lowest, "highest": r.highest,
            "valid": dict(r.valid),
            "value": r.value, "count": r.count, "next": point(r.next),
            "boundary": None if r.boundary is None else sympy.sstr(r.boundary),
            "solutions": list(r.solutions), "solution_range": list(r.solution_range) if r.solution_range else None,
            "solution_count": r.solution_count,
            "below": point(r.below), "above": point(r.above), "formulas": [sympy.sstr(f) for f in r.formulas],
            "method": r.method, "notes": list(r.notes)}


def valid_values(r) -> str:
    """'valid range: d >= 7' when every value of an interval is valid; else the set the conditions
    define: 'valid values: width >= 32, multiples of 32 (heads (32) must divide the width)'."""
    u, v = r.unknown, r.valid or {}
    span = f"{u} >= {r.lowest}" if r.highest is None else f"{r.lowest} <= {u} <= {r.highest}"
    members, modulus = v.get("members"), v.get("modulus", 1)
    if members is None and modulus == 1 and not v.get("tested"):
        return f"valid range: {span}"
    if members is not None:
        shown = ", ".join(f"{m:,}" for m in members[:LISTED]) + (", …" if len(members) > LISTED else "")
        what = f"{u} = {shown} ({len(members):,} value{'s' if len(members) != 1 else ''})"
    else:
        residues = v.get("residues", [0])
        if modulus == 1:
            step = ""
        elif residues == [0]:
            step = f"multiples of {modulus:,}"
        else:
            listed = ", ".join(str(x) for x in residues[:LISTED]) + (", …" if len(residues) > LISTED else "")
            step = f"{u} ≡ {listed} (mod {modulus:,})"
        what = span + (f", {step}" if step else "") + (", each value tested" if v.get("tested") else "")
    why = "; ".join(v.get("conditions", ()))
    return f"valid values: {what}" + (f" ({why})" if why else "")


def _text(r) -> str:
    fmt_expr = math.text
    u, m = r.unknown, r.metric
    lines = [f"{m}({u}) = {fmt_expr(r.expr)}"]
    if r.fixed:
        lines.append("with " + ", ".join(f"{k} = {v}" for k, v in sorted(r.fixed.items())) + " (defaults)")
    options = getattr(m, "options", None)
    if options is not None and str(m) in ("act_train_bytes", "train_bytes"):
        # which attention kernel and loss the saved activations assume (cost.Options; docs/cost.md)
        lines.append(f"saved activations of the {options.attention} attention kernel"
                     + (f", loss {options.loss}" if options.loss else ", with the cross-entropy loss if the "
                        "network ends in logits"))
    if r.formulas:
        rel = _WORDS[r.mode]
        for fml in r.formulas:
            lines.append(f"{m} {rel} {r.target:,} at {u} = {fmt_expr(fml)}")
        if len(r.coefficients) == 3:
            a, b, c = (fmt_expr(v) for v in r.coefficients)
            lines.append(f"  from a·{u}² + b·{u} + c = 0: {u} = (−b + √(b² − 4ac))/(2a) "
                         f"with a = {a}, b = {b}, c = {c}")
        if r.mode == "at_most":
            lines.append(f"largest {u} = floor of that")
        elif r.mode == "at_least":
            lines.append(f"smallest {u} = ceiling of that")
        for n in r.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines) + "\n"
    lines.append(valid_values(r))
    v = r.valid or {}
    stepped = v.get("modulus", 1) > 1 or v.get("members") is not None or bool(v.get("tested"))
    if r.mode == "exactly":
        if r.solution_range:
            a, b = r.solution_range
            count = r.solution_count
            many = f"{count:,} values" if count is not None else "many values"
            lines.append(f"{m} = {r.target:,} for every {'valid ' if stepped else ''}{u} in {a} .. {b} ({many})")
        elif r.solutions:
            lines.append(f"{m} = {r.target:,} at {u} = " + ", ".join(str(v) for v in r.solutions))
        else:
            lines.append(f"no {'valid ' if stepped else 'whole '}{u} gives {m} = {r.target:,} exactly")
        if not r.solutions and not r.solution_range:
            if r.below:
                lines.append(f"  nearest below: {u} = {r.below.value} -> {r.below.count:,}")
            if r.above:
                lines.append(f"  nearest above: {u} = {r.above.value} -> {r.above.count:,}")
    elif r.value is None:
        lines.append(f"no {u} >= {r.lowest} gives {m} {_WORDS[r.mode]} {r.target:,}")
    else:
        word = "largest" if r.mode == "at_most" else "smallest"
        lines.append(f"{word} {u} with {m} {_WORDS[r.mode]} {r.target:,}: {u} = {r.value}  ({m} = {r.count:,})")
        if r.next is not None:
            if stepped:
                where = "next valid value above" if r.mode == "at_most" else "next valid value below"
            else:
                where = "one step above" if r.mode == "at_most" else "one step below"
            lines.append(f"{where}: {u} = {r.next.value}  ({m} = {r.next.count:,})"
                         + ("" if r.next.valid else "  (not a valid network)"))
    if r.boundary is not None and not (r.boundary.is_Integer and r.mode == "exactly"):
        approx = sympy.N(r.boundary, 15 + len(str(r.value or 0)))
        lines.append(f"exact boundary: {u} = {fmt_expr(r.boundary)} ≈ {approx}")
    lines.append(f"method: {r.method}")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines) + "\n"
