"""Training and inference memory as formulas, in bytes: weights, gradients, optimiser state,
the activations autograd keeps for the backward pass, and the key-value cache.

What each layer kind keeps is stated by the kind (LayerSpec.saved_activations, kv_cache_values in
symparams/layers/); symparams/cost.py walks the network once, counting each tensor storage once
(a ReLU's output and the next convolution's input are the same tensor). This module turns those
counts into bytes under a precision, an optimiser and a recomputation policy, and answers the
`memory` report (symparams/printers/memory.py lays it out). docs/cost.md derives every rule.

Precisions (bytes per value: weights, gradients, fp32 master copy, optimiser state, activations):
  fp32        4, 4, 0, 4, 4
  bf16-mixed  2, 2, 4, 4, 2    (16-bit working weights and gradients, fp32 master weights and
  fp16-mixed  2, 2, 4, 4, 2     optimiser state: Rajbhandari et al. 2020's 2 + 2 + 12 bytes for Adam)
  bf16        2, 2, 0, 2, 2    (pure bf16)
Optimisers (state per trained value): sgd 0, momentum 1, adam/adamw 2 (+ PyTorch's float32 step
counter per parameter tensor), adafactor a row and a column factor per matrix (the whole tensor
for a vector; no first moment, as torch.optim.Adafactor) + the step counter.
Recomputation: none (everything autograd keeps), selective (the attention core recomputed:
Korthikanti et al. 2022), full (each top-level statement and each pass of a top-level repeat is
a checkpoint keeping only its input).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
from sympy import Add, Integer

from .algebra import product
from .errors import DefinitionError, UsageError, did_you_mean

PRECISIONS = {
    "fp32": {"weight": 4, "grad": 4, "master": 0, "state": 4, "act": 4},
    "bf16-mixed": {"weight": 2, "grad": 2, "master": 4, "state": 4, "act": 2},
    "fp16-mixed": {"weight": 2, "grad": 2, "master": 4, "state": 4, "act": 2},
    "bf16": {"weight": 2, "grad": 2, "master": 0, "state": 2, "act": 2},
}
OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2, "adafactor": "factored"}
STEP_COUNTER = {"adam", "adamw", "adafactor"}     # torch keeps a float32 `step` tensor per parameter
STEP_BYTES = 4
RECOMPUTE = ("none", "selective", "full")
FIXED_BYTES = {"index": 8, "stat": 4, "bool": 1}  # int64 indices, float32 statistics, bool masks

_ZERO = Integer(0)


def bytes_of(dtype: str, options) -> int:
    """Bytes per value of a saved tensor's dtype class under the options."""
    if dtype in FIXED_BYTES:
        return FIXED_BYTES[dtype]
    act = PRECISIONS[options.precision]["act"]
    if dtype == "mask":
        return 1 if options.device == "cuda" else act     # bool mask (GPU) or x * mask in x's dtype (CPU)
    if dtype == "cpu":
        return 0 if options.device == "cuda" else act     # kept by a CPU path only (a GPU kernel fuses it)
    return act


def kv_cache_bytes(batch, context, layers, kv_heads, head_dim, dtype_bytes=2):
    """Keys and values of every layer for `context` positions: 2·b·T·L·kv_heads·head_dim·bytes."""
    return 2 * batch * context * layers * kv_heads * head_dim * dtype_bytes


def saved_bytes(raw: dict, options, *, core: bool = True) -> sympy.Expr:
    """Bytes of the saved activations in a flow accumulator (per example entries times the batch)."""
    total = _ZERO
    for key, values in raw.items():
        if not key.startswith("saved:"):
            continue
        _, dtype, per, is_core = key.split(":")
        if is_core == "c" and not core:
            continue
        total += values * bytes_of(dtype, options) * (options.batch if per == "e" else 1)
    return total


def _unit_inputs(net, rows, options) -> sympy.Expr:
    """Full recomputation: the inputs each checkpoint keeps (one per row; a repeat's per pass)."""
    from .cost import _spec_and_ctx
    act = PRECISIONS[options.precision]["act"]
    total = _ZERO
    for row in rows:
        if row.kind == "input":
            continue
        if row.kind == "repeat":
            for seg in row.children:
                once = product(seg.input_shape) * act
                if seg.index is not None and once.has(seg.index):
                    total += sympy.summation(once, (seg.index, seg.start, seg.start + seg.count - 1))
                else:
                    total += once * seg.count
            continue
        per_value = act
        if row.is_leaf:
            spec, ctx = _spec_and_ctx(net, row)
            if spec is not None:
                cfg, shape, out = row.config, row.input_shape, row.output_shape
                if spec.output_is_view(cfg, shape, out, ctx) and not row.activation:
                    continue            # shares its input's storage with the next checkpoint
                for entry in spec.saved_activations(cfg, shape, out, ctx, options.style):
                    if entry.what == "input" and entry.dtype in FIXED_BYTES:
                        per_value = FIXED_BYTES[entry.dtype]      # token ids
        total += product(row.input_shape) * per_value * row.count
    return total * options.batch


def logits(net):
    """(positions, classes) of the logits the network ends in, or None: its last layer (the last
    statement, inside blocks and repeats) is a kind that gives logits (dense, tied or not; unembed)
    with no activation, over more than one class (a dense 1 is a regression)."""
    from .cost import _spec_and_ctx
    row = net.layers[-1] if net.layers else None
    while row is not None and row.kind in ("block", "repeat", "iteration") and row.children:
        row = row.children[-1]
    if row is None or not row.is_leaf:
        return None
    spec, _ = _spec_and_ctx(net, row)
    if spec is None or not getattr(spec, "gives_logits", False) or (row.activation or "linear") != "linear":
        return None
    out = tuple(row.output_shape)
    classes = out[-1]
    if classes.is_number and classes <= 1:
        return None
    return product(out[:-1]), classes


def loss_name(net, options) -> str:
    """The loss the options name, or the default: cross-entropy when the network ends in logits."""
    if options.loss is not None:
        return options.loss
    return "cross-entropy" if logits(net) is not None else "none"


def loss_bytes(net, options) -> sympy.Expr:
    """What the loss keeps for the backward pass, per batch.
    pytorch: torch.nn.functional.cross_entropy on CPU keeps log_softmax's output, float32 whatever the
    precision (autocast runs it in float32; Hugging Face casts the logits to float first), the int64
    targets and the float32 total weight of a mean (4 bytes per batch): b·P·C·4 + b·P·8 + 4 for P
    positions (T tokens, or 1) and C classes (measured: tests/test_loss_memory.py).
    megatron: the cross-entropy part of Megatron-LM's "inputs to output layer and CE loss" term,
    4·s·b·V (float32 logits; theoretical_memory_usage.py)."""
    if loss_name(net, options) == "none":
        return _ZERO
    found = logits(net)
    if found is None:
        raise UsageError("--loss cross-entropy needs logits: the network must end in a dense layer or unembed "
                         "without an activation, over more than one class",
                         hint="--loss none leaves the loss out")
    positions, classes = found
    values = options.batch * positions * classes
    if options.style == "megatron":
        return 4 * values
    return values * FIXED_BYTES["stat"] + options.batch * positions * FIXED_BYTES["index"] + FIXED_BYTES["stat"]


def column(name: str, raw: dict, params, trainable, buffers, options, net, rows=None,
           whole: bool = False) -> sympy.Expr:
    """A memory column of one row or of the network (raw: its training-flow counts); the loss belongs
    to the network (whole=True), not to a row."""
    p = PRECISIONS[options.precision]
    serving = getattr(options, "serving", None)
    if name == "weight_bytes" and serving is not None and serving.weight_dtype is not None:
        from . import serving as serve
        return serve.weight_bytes(net, rows or [], serving, p["weight"])
    if name == "kv_bytes" and serving is not None and (serving.kv_dtype or serving.kv_block) is not None:
        from . import serving as serve
        return serve.kv_bytes(net, rows or [], serving, options.batch, p["weight"])
    if name == "weight_bytes":
        return (params + buffers) * p["weight"]
    if name == "grad_bytes":
        return trainable * p["grad"]
    if name == "optim_bytes":
        states = OPTIMIZERS[options.optimizer]
        state = raw.get("factored", _ZERO) * p["state"] if states == "factored" else trainable * states * p["state"]
        steps = raw.get("tensors", _ZERO) * STEP_BYTES if options.optimizer in STEP_COUNTER else _ZERO
        return trainable * p["master"] + state + steps
    if name == "act_train_bytes":
        loss = loss_bytes(net, options) if whole else _ZERO
        if options.recompute == "full":
            return _unit_inputs(net, rows or [], options) + loss
        return saved_bytes(raw, options, core=options.recompute == "none") + loss
    if name == "kv_bytes":
        return raw.get("kv", _ZERO) * options.batch * p["weight"]
    if name == "train_bytes":
        return Add(*[column(part, raw, params, trainable, buffers, options, net, rows, whole)
                     for part in ("weight_bytes", "grad_bytes", "optim_bytes", "act_train_bytes")])
    if name == "infer_bytes":
        return Add(*[column(part, raw, params, trainable, buffers, options, net, rows, whole)
                     for part in ("weight_bytes", "kv_bytes")])
    raise UsageError(f"unknown memory column '{name}'")


# ----------------------------------------------------------------------------- the report

TRAINING_PARTS = (("Weights", "weight_bytes"), ("Gradients", "grad_bytes"), ("Optimizer state", "optim_bytes"),
                  ("Activations", "act_train_bytes"), ("Total", "train_bytes"))
INFERENCE_PARTS = (("Weights", "weight_bytes"), ("KV cache", "kv_bytes"), ("Total", "infer_bytes"))

GiB = 2 ** 30
_UNITS = {"b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def parse_bytes(text: str) -> int:
    """A memory size: 80GB (10^9 bytes each), 80GiB (2^30), 512MiB, 1.5e9, 80_000_000_000."""
    from .sweep import parse_number
    t = str(text).strip().replace(" ", "").lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if t.endswith(unit) and t[: -len(unit)]:
            value = parse_number(t[: -len(unit)], "--budget", unit=_UNITS[unit])    # ASCII digits, bounded
            if value <= 0:
                raise UsageError(f"--budget: '{text}' is not a positive whole number of bytes")
            return value
    return parse_number(text, "--budget")


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
        from .printers.memory import render        # convenience at the top of the API, asked for only here
        return render(self, self.net)

    def _repr_html_(self) -> str:
        from .printers.memory import render_html
        return render_html(self, self.net)


def report(net, options, *, inference: bool = False, values=None) -> Report:
    """Weights, gradients, optimiser state, activations and the total (or weights and KV cache),
    each a formula in the network's symbols and the batch, and its value where every symbol has one."""
    from . import cost
    from .algebra import symbol
    parts = INFERENCE_PARTS if inference else TRAINING_PARTS
    known = {symbol(k): v for k, v in net.defaults.items()}
    known.update({symbol(k): v for k, v in (values or {}).items()})
    rep = Report(inference=inference, options=options, values={s.name: v for s, v in known.items()},
                 params=net.params, net=net)
    active = cost._active_params(net)
    if active != net.params:
        rep.active = active
    if options.layout is not None:
        from . import parallel      # the most loaded GPU at these values
        rep.parallel = parallel.cached(net, options, {s.name: v for s, v in known.items()})
        totals = rep.parallel.parts
    else:
        totals = cost.totals(net, [m for _, m in parts], options)
    for label, metric_name in parts:
        formula = sympy.sympify(totals[metric_name])
        if formula.has(sympy.Sum):
            formula = formula.doit()
        rep.parts.append(Part(label, metric_name, formula, _value(formula, known)))
    return rep


def _value(expr, known) -> int | None:
    value = expr.subs(known) if expr.free_symbols else expr
    if value.free_symbols or not value.is_number:
        return None
    return int(sympy.ceiling(value))     # a shard of a layout rounds up (the most loaded rank's share)


def largest_fitting(net, options, budget: int, unknown: str, *, inference: bool = False, values=None) -> dict:
    """The largest value of `unknown` (the batch symbol or a network symbol) whose total memory
    fits the budget, by the project's exact integer search (algebra.first_true on the compiled
    total). Other symbols take `values`, then their defaults."""
    from . import cost
    from .algebra import first_true, symbol
    from .sweep import compile_expr
    metric_name = "infer_bytes" if inference else "train_bytes"
    x = symbol(unknown)
    if any(s.name == unknown for s in net.symbols):
        # a symbol of the network (width, depth): solve's search, with its validity and monotonicity checks
        if options.batch.free_symbols:
            raise UsageError(f"--for {unknown}: give the batch a number (--batch 8) to solve for a network symbol")
        result = net.solve(unknown, metric=cost.Metric(metric_name, options), at_most=budget,
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
