"""symparams plan: every parallel layout of N GPUs that fits their memory, ranked by the estimated step time.

A layout family is (tensor, pipeline, data) parallel sizes with tp · pp · dp = N: tensor ranks within a
node (at most 8) dividing the attention heads and key/value heads, pipeline stages dividing the passes
of the pipelined repeat. Within a family each ZeRO stage and recomputation policy is tried; the global
batch B runs as B/dp micro-batches of one sequence per replica (sequence parallelism with tp > 1).
memory_bytes is `memory`'s train_bytes with the same options; step_s is symparams/timing.py's bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import UsageError

ZEROS = (0, 1, 2, 3)
RECOMPUTES = ("none", "selective", "full")
MAX_TP = 8        # tensor parallelism stays inside a node's NVLink domain


@dataclass
class Candidate:
    dp: int
    tp: int
    pp: int
    zero: int
    recompute: str
    microbatches: int
    memory_bytes: int
    step_s: float
    training_s: float | None = None
    comm: dict = field(default_factory=dict)


@dataclass
class Plan:
    gpus: int
    gpu: object
    batch: int
    layouts: list
    rejected: list
    options: dict


def _divisors(n: int) -> list:
    return [d for d in range(1, n + 1) if n % d == 0]


def _attention_heads(net) -> list:
    out = []
    for _, row in net.walk():
        cfg = row.config or {}
        if cfg.get("keyword") in ("attention", "mha") and cfg.get("heads") is not None:
            out += [cfg["heads"], cfg.get("kv_heads") or cfg["heads"]]
    return out


def plan(net, gpus: int, gpu, *, batch: int, tokens=None, mfu: float = 1.0, precision: str = "bf16-mixed",
         optimizer: str = "adamw", saving: str = "pytorch", accumulate: bool = True) -> Plan:
    """Rank every fitting layout of `gpus` GPUs for a global batch of `batch` sequences: each replica
    runs its B/dp sequences as micro-batches of one (accumulate) or as one micro-batch."""
    from . import cost, memory_report, parallel, timing
    from .parallel import Layout
    if gpus < 1 or batch < 1:
        raise UsageError("--gpus and --batch must be at least 1")
    if net.free_symbols:
        names = ", ".join(sorted(s.name for s in net.free_symbols))
        raise UsageError(f"plan needs every symbol to have a value; give {names} one with --set")
    heads = [int(h) for h in _attention_heads(net)]
    cut = parallel.stage_split(net)
    passes = int(cut.passes) if cut.body is not None else 1
    base = cost.Options(batch=1, precision=precision, optimizer=optimizer, style=saving)
    flops = cost.totals(net, ("train_flops", "flops"), base)
    per_sequence, forward = int(flops["train_flops"]), int(flops["flops"])
    seq_tokens = int(cost.tokens_per_example(net))
    layouts, rejected = [], []
    for tp in [d for d in _divisors(gpus) if d <= MAX_TP]:
        if any(h % tp for h in heads):
            rejected.append({"family": {"tp": tp}, "reason": f"tp {tp} does not divide the attention heads "
                                                             f"({', '.join(map(str, sorted(set(heads))))})"})
            continue
        for pp in _divisors(gpus // tp):
            dp = gpus // (tp * pp)
            family = {"tp": tp, "pp": pp, "dp": dp}
            if pp > 1 and cut.body is None:
                rejected.append({"family": family, "reason": "the network has no repeat to split into stages"})
                continue
            if pp > 1 and passes % pp:
                rejected.append({"family": family, "reason": f"pp {pp} does not divide the {passes} passes of "
                                                             f"the pipelined repeat"})
                continue
            if batch % dp:
                rejected.append({"family": family, "reason": f"the batch {batch} is not a multiple of dp {dp}"})
                continue
            m, micro = (batch // dp, 1) if accumulate else (1, batch // dp)
            fitted, smallest = 0, None
            for zero in ZEROS:
                for recompute in RECOMPUTES:
                    lay = Layout(dp=dp, tp=tp, pp=pp, zero=zero, microbatches=m, sequence_parallel=tp > 1)
                    options = cost.Options(batch=micro, precision=precision, optimizer=optimizer,
                                           recompute=recompute, style=saving, layout=lay)
                    rep = memory_report.report(net, options)
                    used = rep.parts[-1].value
                    smallest = used if smallest is None else min(smallest, used)
                    if used > gpu.memory:
                        continue
                    fitted += 1
                    comm = rep.parallel.comm
                    extra = forward if recompute == "full" else 0
                    step = timing.step_seconds((per_sequence + extra) * batch, gpus, gpu, mfu, pp=pp,
                                               microbatches=m, tp_bytes=comm["tp"], dp_bytes=comm["dp"])
                    step = float(step)
                    total = None
                    if tokens is not None:
                        total = step * float(tokens) / (batch * seq_tokens)
                    layouts.append(Candidate(dp, tp, pp, zero, recompute, m, used, step, total,
                                             {k: int(-(-v // 1)) for k, v in comm.items()}))
            if not fitted:
                rejected.append({"family": family, "reason": f"needs at least {smallest:,} bytes "
                                                             f"({smallest / 2 ** 30:,.1f} GiB) per GPU even with "
                                                             f"ZeRO-3 and full recomputation; {gpu.name} has "
                                                             f"{gpu.memory / 2 ** 30:,.1f} GiB"})
    layouts.sort(key=lambda c: (c.step_s, c.memory_bytes))
    return Plan(gpus, gpu, batch, layouts, rejected,
                {"precision": precision, "optimizer": optimizer, "saving": saving, "mfu": mfu,
                 "tokens": tokens, "seq_tokens": seq_tokens})


def _families(net, gpus: int) -> list:
    """(tp, pp, dp) with tp · pp · dp = gpus, tp <= 8 dividing the heads (at the current values)."""
    heads = [h for h in _attention_heads(net)]
    out = []
    for tp in [d for d in _divisors(gpus) if d <= MAX_TP]:
        if any(getattr(h, "is_Integer", True) and int(h) % tp for h in heads):
            continue
        for pp in _divisors(gpus // tp):
            out.append((tp, pp, gpus // (tp * pp)))
    return out


def largest_that_trains(net, unknown: str, gpus: int, gpu, *, batch, precision="bf16-mixed", optimizer="adamw",
                        saving="pytorch", mfu=1.0) -> dict:
    """The largest value of `unknown` (a network symbol: width, depth; or the batch symbol: the global
    batch, each replica running its share as one micro-batch) for which some layout of `gpus` GPUs fits,
    each family at its smallest memory (ZeRO-3, full recomputation); then the fastest layout there."""
    import sympy

    from . import cost, parallel
    from .algebra import first_true, symbol
    from .parallel import Layout
    x = symbol(unknown)
    names = {s.name for s in net.symbols}
    solving_batch = unknown not in names
    if solving_batch and not (isinstance(batch, sympy.Symbol) and batch.name == unknown):
        raise UsageError(f"--for {unknown}: not a symbol of the network; to solve for the batch give it as "
                         f"--batch {unknown}")
    fixed = net.subs({k: v for k, v in net.defaults.items() if k != unknown})
    if fixed.free_symbols - {x}:
        left = ", ".join(sorted(s.name for s in fixed.free_symbols - {x}))
        raise UsageError(f"give {left} a value with --set")
    best = None
    for tp, pp, dp in _families(fixed, gpus):
        if solving_batch:
            # the global batch B: each replica runs B/dp sequences as one micro-batch
            lay = Layout(dp=dp, tp=tp, pp=pp, zero=3, sequence_parallel=tp > 1)
            per_replica = sympy.Symbol("_b", positive=True, integer=True)
        else:
            # as plan runs a global batch: B/dp micro-batches of one sequence per replica
            if int(batch) % dp:
                continue
            lay = Layout(dp=dp, tp=tp, pp=pp, zero=3, microbatches=int(batch) // dp, sequence_parallel=tp > 1)
            per_replica = 1
        options = cost.Options(batch=per_replica, precision=precision, optimizer=optimizer, recompute="full",
                               style=saving, layout=lay)
        try:
            # every stage: with a symbol left the analysis cannot pick the most loaded one
            analysis = parallel.analyse(fixed, options, None, cost.flow(fixed, options))
            stages = [sympy.sympify(st.parts["train_bytes"]) for st in analysis.stages]
        except UsageError:
            continue                  # no repeat to pipeline
        var = per_replica if solving_batch else x

        def too_big(v):
            try:
                return any(int(sympy.ceiling(e.subs(var, v))) > gpu.memory for e in stages)
            except (TypeError, ValueError):
                return True
        first_over = first_true(too_big, 1, 2 ** 40)
        if first_over is None or first_over == 1:
            continue
        value = first_over - 1
        if solving_batch:
            value *= dp
        elif pp > 1:
            passes = parallel.stage_split(fixed).passes
            while value >= 1 and int(passes.subs(x, value)) % pp:
                value -= 1                # whole passes per stage
        if value >= 1 and (best is None or value > best[0]):
            best = (value, tp, pp, dp)
    if best is None:
        raise UsageError(f"no value of {unknown} trains on {gpus} x {gpu.name}, even at {unknown} = 1 with ZeRO-3 "
                         f"and full recomputation")
    value = best[0]
    from .errors import SymparamsError
    for _ in range(4096):           # down to the nearest value the network accepts (heads dividing a width)
        try:
            at = net.evaluate(**({} if solving_batch else {unknown: value}))
            break
        except SymparamsError:
            if solving_batch or value <= 1:
                raise
            value -= 1
    else:
        raise UsageError(f"no valid {unknown} near {best[0]:,} (4,096 values below it tried)")
    result = plan(at, gpus, gpu, batch=value if solving_batch else int(batch), mfu=mfu, precision=precision,
                  optimizer=optimizer, saving=saving, accumulate=not solving_batch)
    return {"symbol": unknown, "value": value, "gpus": gpus, "gpu": gpu.name,
            "found_with": {"tp": best[1], "pp": best[2], "dp": best[3], "zero": 3, "recompute": "full"},
            "fastest": result.layouts[0] if result.layouts else None}
