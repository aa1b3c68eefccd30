"""The `memory` report: each part of training (or inference) memory as a formula and a number,
and the largest batch (or network symbol) whose total fits a budget. Built on cost's totals
(symparams/memory.py says how each part is counted) and on solve's exact search; the printer
(symparams/printers/memory.py) lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from . import cost, parallel
from .algebra import first_true, symbol
from .compiled import compile_expr
from .errors import DefinitionError, UsageError, did_you_mean
from .solve import solve

TRAINING_PARTS = (("Weights", "weight_bytes"), ("Gradients", "grad_bytes"), ("Optimizer state", "optim_bytes"),
                  ("Activations", "act_train_bytes"), ("Total", "train_bytes"))
INFERENCE_PARTS = (("Weights", "weight_bytes"), ("KV cache", "kv_bytes"), ("Total", "infer_bytes"))


@dataclass
class Part:
    label: str
    metric: str
    formula: sympy.Expr
    value: int | None


@dataclass
class Report:
    """The memory of one network under one set of options: each part as a formula and a value."""
    inference: bool
    options: object
    parts: list = field(default_factory=list)
    values: dict = field(default_factory=dict)      # the symbol values used for the numbers
    params: sympy.Expr | None = None
    active: sympy.Expr | None = None
    solved: dict | None = None                      # {symbol, budget, value, total_at_value}
    net: object = field(default=None, repr=False, compare=False)    # the network it describes
    parallel: object = None                         # symparams.parallel.Analysis under a layout

    # what a person reads (print, notebooks): the report `symparams memory` prints
    def __str__(self) -> str:
        from .printers.memory import render     # the display protocol: allowed upward (pyproject.toml)
        return render(self, self.net)

    def _repr_html_(self) -> str:
        from .printers.memory import render_html    # likewise
        return render_html(self, self.net)


def report(net, options, *, inference: bool = False, values=None) -> Report:
    """Weights, gradients, optimiser state, activations and the total (or weights and KV cache),
    each a formula in the network's symbols and the batch, and its value where every symbol has one."""
    parts = INFERENCE_PARTS if inference else TRAINING_PARTS
    known = {symbol(k): v for k, v in net.defaults.items()}
    known.update({symbol(k): v for k, v in (values or {}).items()})
    rep = Report(inference=inference, options=options, values={s.name: v for s, v in known.items()},
                 params=net.params, net=net)
    active = cost.active_params(net)
    if active != net.params:
        rep.active = active
    if options.layout is not None:
        rep.parallel = parallel.cached(net, options, {s.name: v for s, v in known.items()},     # the most loaded GPU
                                       cost.flow(net, options))
        totals = dict(rep.parallel.parts)
        totals["train_bytes"] = parallel.loaded_total(rep.parallel, options, known)
    else:
        totals = cost.totals(net, [m for _, m in parts], options)
    for label, metric_name in parts:
        formula = sympy.sympify(totals[metric_name])
        if formula.has(sympy.Sum):
            formula = formula.doit()
        rep.parts.append(Part(label, metric_name, formula, value_at(formula, known)))
    return rep


def value_at(expr, known) -> int | None:
    value = expr.subs(known) if expr.free_symbols else expr
    if value.free_symbols or not value.is_number:
        return None
    return int(sympy.ceiling(value))     # a shard of a layout rounds up (the most loaded rank's share)


def largest_fitting(net, options, budget: int, unknown: str, *, inference: bool = False, values=None) -> dict:
    """The largest value of `unknown` (the batch symbol or a network symbol) whose total memory
    fits the budget, by the project's exact integer search (algebra.first_true on the compiled
    total). Other symbols take `values`, then their defaults."""
    metric_name = "infer_bytes" if inference else "train_bytes"
    x = symbol(unknown)
    if any(s.name == unknown for s in net.symbols):
        # a symbol of the network (width, depth): solve's search, with its validity and monotonicity checks
        if options.batch.free_symbols:
            raise UsageError(f"--for {unknown}: give the batch a number (--batch 8) to solve for a network symbol")
        result = solve(net, unknown, metric=cost.Metric(metric_name, options), at_most=budget,
                           values={k: v for k, v in (values or {}).items() if k != unknown})
        if result.value is None:
            raise DefinitionError(f"no {unknown} fits {budget:,} bytes" + (f" ({'; '.join(result.notes)})"
                                                                           if result.notes else ""))
        at = sympy.sympify(result.expr).subs(x, result.value)
        # the next valid value (the conditions may skip many: 32 heads must divide a width)
        after = None if result.next is None else {"value": result.next.value, "bytes": result.next.count}
        return {"symbol": unknown, "budget": budget, "value": result.value, "at_value": int(at),
                "formula": result.expr, "next": after, "valid": dict(result.valid)}
    expr = sympy.sympify(cost.totals(net, (metric_name,), options)[metric_name])
    if expr.has(sympy.Sum):
        expr = expr.doit()
    known = {symbol(k): v for k, v in net.defaults.items()}
    known.update({symbol(k): v for k, v in (values or {}).items() if k != unknown})
    expr = expr.subs(known)
    names = sorted(s.name for s in expr.free_symbols)
    if x not in expr.free_symbols:
        hint = did_you_mean(unknown, names) or (f"it depends on {', '.join(names)}" if names else None)
        raise DefinitionError(f"--for {unknown}: the {metric_name.replace('_', ' ')} does not depend on '{unknown}'",
                              hint=hint)
    others = [n for n in names if n != unknown]
    if others:
        raise UsageError(f"--for {unknown}: give {', '.join(others)} a value with --set")
    fn = compile_expr(expr, [x]).exact
    first_over = first_true(lambda v: fn(v) > budget, 1, 2 ** 64)
    if first_over == 1:
        raise DefinitionError(f"even {unknown} = 1 needs {fn(1):,} bytes, more than the budget {budget:,}")
    if first_over is None:
        raise DefinitionError(f"{metric_name} stays within {budget:,} bytes for every {unknown} up to 2^64")
    best = first_over - 1
    return {"symbol": unknown, "budget": budget, "value": best, "at_value": fn(best), "formula": expr,
            "next": {"value": first_over, "bytes": fn(first_over)}}
