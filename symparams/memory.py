"""Training and inference memory as formulas, in bytes: weights, gradients, optimiser state,
the activations autograd keeps for the backward pass, and the key-value cache.

What each layer kind keeps is stated by the kind (LayerSpec.saved_activations, kv_cache_values in
symparams/layers/); symparams/cost.py walks the network once, counting each tensor storage once
(a ReLU's output and the next convolution's input are the same tensor). This module turns those
counts into bytes under a precision, an optimiser and a recomputation policy (the `memory` report
and the largest batch that fits are symparams/memory_report.py). docs/cost.md derives every rule.

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

from .numeric import sympy     # imported at first use: the parser of a command imports this module

from .algebra import product
from .choices import OPTIMIZERS, PRECISIONS, RECOMPUTE  # noqa: F401  (re-exported; the vocabularies: choices.py)
from .errors import UsageError
from .integers import parse_number
from .layers import spec_and_context

STEP_COUNTER = {"adam", "adamw", "adafactor"}     # torch keeps a float32 `step` tensor per parameter
STEP_BYTES = 4
FIXED_BYTES = {"index": 8, "stat": 4, "bool": 1}  # int64 indices, float32 statistics, bool masks



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
    total = sympy.S.Zero
    for key, values in raw.items():
        if not key.startswith("saved:"):
            continue
        _, dtype, per, is_core = key.split(":")
        if is_core == "c" and not core:
            continue
        total += values * bytes_of(dtype, options) * _batch_factor(per, options.batch)
    return total


def _batch_factor(per: str, batch):
    """How many times a saved tensor is kept in a batch: per example (e) the batch, per batch (b) once; only
    beyond a batch of one (m, Saved.batched) 0 at 1 and the batch otherwise; only in a batch of one (s,
    Saved.single) 1 at 1 and 0 otherwise."""
    if per in ("e", "b"):
        return batch if per == "e" else 1
    at_one, beyond = (0, batch) if per == "m" else (1, 0)
    if isinstance(batch, (int, sympy.Integer)):
        return at_one if batch == 1 else beyond
    return sympy.Piecewise((at_one, sympy.Eq(batch, 1)), (beyond, True))


def _unit_inputs(net, rows, options) -> sympy.Expr:
    """Full recomputation: the inputs each checkpoint keeps (one per row; a repeat's per pass)."""
    act = PRECISIONS[options.precision]["act"]
    total = sympy.S.Zero
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
            spec, ctx = spec_and_context(row, net.convention)
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
    row = net.layers[-1] if net.layers else None
    while row is not None and row.kind in ("block", "repeat", "iteration") and row.children:
        row = row.children[-1]
    if row is None or not row.is_leaf:
        return None
    spec, _ = spec_and_context(row, net.convention)
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
        return sympy.S.Zero
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
        state = raw.get("factored", sympy.S.Zero) * p["state"] if states == "factored" else trainable * states * p["state"]
        steps = raw.get("tensors", sympy.S.Zero) * STEP_BYTES if options.optimizer in STEP_COUNTER else sympy.S.Zero
        return trainable * p["master"] + state + steps
    if name == "act_train_bytes":
        loss = loss_bytes(net, options) if whole else sympy.S.Zero
        if options.recompute == "full":
            return _unit_inputs(net, rows or [], options) + loss
        return saved_bytes(raw, options, core=options.recompute == "none") + loss
    if name == "kv_bytes":
        return raw.get("kv", sympy.S.Zero) * options.batch * p["weight"]
    if name == "train_bytes":
        return sympy.Add(*[column(part, raw, params, trainable, buffers, options, net, rows, whole)
                     for part in ("weight_bytes", "grad_bytes", "optim_bytes", "act_train_bytes")])
    if name == "infer_bytes":
        return sympy.Add(*[column(part, raw, params, trainable, buffers, options, net, rows, whole)
                     for part in ("weight_bytes", "kv_bytes")])
    raise UsageError(f"unknown memory column '{name}'")


# ----------------------------------------------------------------------------- the report


_UNITS = {"b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def parse_bytes(text: str) -> int:
    """A memory size: 80GB (10^9 bytes each), 80GiB (2^30), 512MiB, 1.5e9, 80_000_000_000."""
    t = str(text).strip().replace(" ", "").lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if t.endswith(unit) and t[: -len(unit)]:
            value = parse_number(t[: -len(unit)], "--budget", unit=_UNITS[unit])    # ASCII digits, bounded
            if value <= 0:
                raise UsageError(f"--budget: '{text}' is not a positive whole number of bytes")
            return value
    return parse_number(text, "--budget")
