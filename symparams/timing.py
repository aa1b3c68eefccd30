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
