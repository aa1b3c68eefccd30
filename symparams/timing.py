"""Time as formulas: a training step, a whole training run, and the prefill and decode of serving, as
roofline bounds on one accelerator (symparams/gpus.py), divided by a model FLOP utilisation.

  compute     FLOPs / (GPUs · peak · mfu)
  step        compute · (1 + (P − 1)/(V·M))        the 1F1B pipeline bubble (Narayanan et al. 2021)
              + tensor-parallel bytes / link       on the critical path (not overlapped)
              + max(0, data-parallel bytes / link − backward compute)   overlapped with the backward
  training    step · D / (tokens per step)
  prefill     max(FLOPs / peak, bytes moved / bandwidth) for the prompt
  decode      max(FLOPs / peak, (weights + KV cache) / bandwidth) per generated token (batch b: per step)
GPU time cannot be measured here; docs/scale.md says what the bounds are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .layers import spec_and_context


def step_seconds(train_flops_step, gpus, gpu, mfu, *, pp=1, microbatches=1, interleave=1, tp_bytes=0,
                 dp_bytes=0):
    """Seconds of one optimiser step: compute with the pipeline bubble, the exposed communication."""
    peak = gpu.bf16 * sympy.nsimplify(mfu)
    compute = sympy.sympify(train_flops_step) / (gpus * peak)
    bubble = (pp - 1) / (interleave * microbatches)
    backward = compute * sympy.Rational(2, 3)
    dp = sympy.sympify(dp_bytes) / gpu.link
    return compute * (1 + bubble) + sympy.sympify(tp_bytes) / gpu.link + sympy.Max(0, dp - backward)


def roofline(flops, moved_bytes, gpu, mfu=1):
    """max(compute time, memory time): the lower bound of a kernel-bound phase."""
    return sympy.Max(sympy.sympify(flops) / (gpu.bf16 * sympy.nsimplify(mfu)), sympy.sympify(moved_bytes) / gpu.bandwidth)


def training(net, options, gpu, mfu=1, analysis=None) -> dict:
    """{step_s, training_s (with options.tokens)} of one optimiser step under options (and the layout's
    communication when `analysis` is the layout's parallel analysis), as formulas."""
    from . import cost
    lay = options.layout
    flops = sympy.sympify(cost.totals(net, ("train_flops",), options)["train_flops"])
    m = lay.microbatches if lay is not None else 1
    dp = lay.dp if lay is not None else 1
    gpus = lay.gpus if lay is not None else 1
    comm = analysis.comm if analysis is not None else {"tp": 0, "dp": 0}
    step = step_seconds(flops * m * dp, gpus, gpu, mfu, pp=lay.pp if lay else 1, microbatches=m,
                        interleave=lay.interleave if lay else 1, tp_bytes=comm["tp"], dp_bytes=comm["dp"])
    out = {"step_flops": flops * m * dp, "step_s": step}
    if options.tokens is not None:
        tokens = options.tokens
        if isinstance(tokens, tuple):
            tokens = tokens[1] * cost.active_params(net)
        out["training_s"] = step * tokens / (options.batch * m * dp * cost.tokens_per_example(net))
    return out


def serving(phases, gpu, mfu=1, batch=1) -> dict:
    """Prefill time of the prompt and decode time per step (one token per sequence), roofline bounds."""
    decode = roofline(phases.decode_flops, phases.decode_bytes, gpu, mfu)
    return {"prefill_s": roofline(phases.prefill_flops, phases.prefill_bytes, gpu, mfu),
            "decode_s_token": decode, "decode_tokens_per_s": batch / decode}


# ----------------------------------------------------------------------------- prefill and decode

@dataclass
class Phases:
    prefill_flops: sympy.Expr          # forward FLOPs of the prompt (batch b)
    prefill_bytes: sympy.Expr          # weights read once + the KV cache written
    decode_flops: sympy.Expr           # FLOPs of one decode step (batch b: b new tokens), cache full
    decode_bytes: sympy.Expr           # weights + the whole KV cache read per step


def phases(net, options) -> Phases:
    """Prefill (the whole prompt at once) and decode (one token per sequence, the cache at T); under a
    layout, those of one GPU."""
    from . import cost
    from .serving import over
    lay = options.layout
    totals = cost.totals(net, ("flops", "weight_bytes", "kv_bytes"), cost.Options(
        batch=options.batch, precision=options.precision, serving=options.serving, layout=lay))
    # under a layout, one GPU's share: the weights and cache it holds, the products split over tp and cp
    share = lay.tp * lay.cp if lay is not None else 1
    fl = cost.flow(net, options)
    # one token through every product: 2 FLOPs per parameter used as a matrix (tables only looked up
    # are not), and against the cache 2·2·min(T, W)·heads·key_dim per attention layer
    active = cost.active_params(net) - fl.total.get("emb", sympy.Integer(0))

    def leaf(row):
        cfg = row.config or {}
        if cfg.get("keyword") in ("attention", "mha") and cfg.get("heads") is not None:
            spec, _ = spec_and_context(row, net.convention)
            return 4 * spec._span(cfg, cfg.get("context_tokens") or row.input_shape[0]) * cfg["heads"] * cfg["key_dim"]
        return sympy.Integer(0)
    scores = over(net.layers, leaf, stored=False)
    b = options.batch
    weights, kv = totals["weight_bytes"], totals["kv_bytes"]
    return Phases(prefill_flops=totals["flops"] / share, prefill_bytes=weights + kv,
                  decode_flops=(2 * active + scores) * b / share, decode_bytes=weights + kv)
