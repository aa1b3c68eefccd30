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

import sympy


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
            tokens = tokens[1] * cost._active_params(net)
        out["training_s"] = step * tokens / (options.batch * m * dp * cost.tokens_per_example(net))
    return out


def serving(phases, gpu, mfu=1, batch=1) -> dict:
    """Prefill time of the prompt and decode time per step (one token per sequence), roofline bounds."""
    decode = roofline(phases.decode_flops, phases.decode_bytes, gpu, mfu)
    return {"prefill_s": roofline(phases.prefill_flops, phases.prefill_bytes, gpu, mfu),
            "decode_s_token": decode, "decode_tokens_per_s": batch / decode}
