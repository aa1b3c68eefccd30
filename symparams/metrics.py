"""Every metric, one object each, in one registry: what `summary --columns`, the JSON keys, `solve`,
`sweep` and `plot --metric`, the playground's list and docs/compute.md's table all read.

A metric states its name, its column label, its unit, whether a batch size multiplies it, whether
it is a training figure (it reads the training options: FLOP convention, optimiser, precision,
recomputation), which cost options its total line names, and how it is computed: `compute(facts)`
for one row or for the whole network alike. `facts` is what symparams/cost.py worked out once
(cost.Facts: the forward sums, the receptive-field state, the counts, the training flow on first
use), so a metric is a line of arithmetic over it, and adding one is one `Metric(...)` entry here
plus its test (tests/test_registry_metrics.py walks every entry through every surface).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# What a total line says about an option the metric reads ("Total FLOPs (batch 8, kaplan convention)").
NOTES = {
    "dtype": lambda o, loss: f", {o.dtype}",
    "convention": lambda o, loss: f", {o.flops} convention",
    "convention_if_set": lambda o, loss: f", {o.flops} convention" if o.flops != "torch" else "",
    "precision": lambda o, loss: f", {o.precision}",
    "optimizer": lambda o, loss: f", {o.optimizer}",
    "recompute": lambda o, loss: f", recompute {o.recompute}, {o.attention} attention",
    "loss": lambda o, loss: f", loss {loss}" if loss else "",
    "layout": lambda o, loss: "" if o.layout is None else (
        f", per GPU (most loaded) of dp {o.layout.dp} tp {o.layout.tp} pp {o.layout.pp}"
        + (f" cp {o.layout.cp}" if o.layout.cp != 1 else "") + (f" ep {o.layout.ep}" if o.layout.ep != 1 else "")
        + (f" zero {o.layout.zero}" if o.layout.zero else "")),
}

@dataclass(frozen=True)
class Metric:
    name: str                   # the key: --columns, --metric, JSON, net.metric(name)
    label: str                  # the column header and the total line's name
    unit: str                   # what one counts: parameters, MACs, FLOPs, values, bytes, pixels
    doc: str                    # one line: what it counts (help text, docs/compute.md)
    compute: Callable           # facts -> SymPy expression (None: not available for this row)
    batch: bool = False         # a batch size multiplies it
    training: bool = False      # reads the training options (and the training flow)
    column: bool = True         # a summary column (a value per row); False: a network total only
    additive: bool = True       # the network's value is the sum of its rows' (not so: the receptive field)
    notes: tuple = ()           # the NOTES its total line prints
    needs: tuple = ()           # options without a default it cannot go without ("tokens")

    def note(self, options, loss: str | None = None) -> str:
        """The total line's note: the batch, then each of `notes` (loss: the loss's name, if known)."""
        batch = f" (batch {options.batch})" if self.batch and options.batch != 1 else ""
        return batch + "".join(NOTES[n](options, loss) for n in self.notes)


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.name in REGISTRY:
        raise ValueError(f"metric '{metric.name}' registered twice")
    unknown = set(metric.notes) - set(NOTES)
    if unknown:
        raise ValueError(f"metric '{metric.name}': unknown notes {sorted(unknown)}")
    REGISTRY[metric.name] = metric
    return metric


def _forward_flops(f):
    """FLOPs of one example's forward pass."""
    if f.options.flops != "torch":      # a published convention: the training flow's forward part
        return f.train_flops("fwd")
    return 2 * f.sums["macs"] + (f.sums["bias"] if f.options.bias_adds else 0)


def _per_token(f, kind: str):
    """FLOPs per token of the forward pass ('fwd') or a training step ('train'): what a layer computes once per
    forward pass (Facts.once) spread over the batch's tokens."""
    per_example = _forward_flops(f) if kind == "fwd" else f.train_flops("train")
    return (per_example + f.once(kind) / f.batch) / f.tokens


def _train_compute(f):
    from .errors import UsageError
    if f.options.tokens is None:
        raise UsageError("train_compute needs the training tokens: --tokens D (a number, or 20N for "
                         "20 tokens per parameter)")
    return _per_token(f, "train") * f.training_tokens()


for _m in [
    # -- counts of the network itself
    Metric("params", "Params", "parameters", "parameters (trained and frozen) as the framework counts them",
           lambda f: f.params),
    Metric("trainable", "Trainable", "parameters", "parameters an optimiser updates", lambda f: f.trainable),
    Metric("non_trainable", "Non-trainable", "parameters", "frozen parameters (batch-norm statistics are buffers)",
           lambda f: f.non_trainable),
    Metric("buffers", "Buffers", "values", "stored values that are not parameters (running statistics)",
           lambda f: f.buffers),
    Metric("active", "Active params", "parameters",
           "parameters one token uses (a mixture of experts runs top_k of its experts)",
           lambda f: f.active(), column=False),
    # -- one forward pass
    Metric("macs", "MACs", "MACs", "multiply-accumulates of one forward pass",
           lambda f: f.sums["macs"] * f.batch + f.once("macs"), batch=True),
    Metric("flops", "FLOPs", "FLOPs", "forward FLOPs: 2 per MAC (torch's counter; --bias-adds adds the biases), "
           "or the forward part of the --flops convention", lambda f: _forward_flops(f) * f.batch + f.once("fwd"),
           batch=True,
           notes=("convention_if_set",)),
    Metric("flops_token", "FLOPs/token", "FLOPs",
           "forward FLOPs per token (per example when the input is not a sequence): the cost of serving one token",
           lambda f: _per_token(f, "fwd"), notes=("convention_if_set",)),
    Metric("ops", "Other ops", "operations", "element operations that are not MACs (activations, softmax, norms, "
           "merges)", lambda f: f.sums["ops"] * f.batch + f.once("ops"), batch=True),
    Metric("act", "Activations", "values", "values output by every layer and merge",
           lambda f: f.sums["act"] * f.batch, batch=True),
    Metric("act_bytes", "Activation bytes", "bytes", "act × the bytes of --dtype",
           lambda f: f.sums["act"] * f.batch * f.options.bytes, batch=True, notes=("dtype",)),
    Metric("param_bytes", "Weight bytes", "bytes", "(parameters + buffers) × the bytes of --dtype",
           lambda f: (f.params + f.buffers) * f.options.bytes, notes=("dtype",)),
    Metric("rf", "RF", "pixels", "receptive field of the last layer with spatial axes (the largest over axes)",
           lambda f: f.rf(0), additive=False),
    Metric("rf_stride", "RF stride", "pixels", "its effective stride", lambda f: f.rf(1), additive=False),
    Metric("rf_padding", "RF padding", "pixels", "its effective padding", lambda f: f.rf(2), additive=False),
    # -- one training step (docs/cost.md)
    Metric("train_flops", "Train FLOPs", "FLOPs", "one training step, forward + backward, under --flops",
           lambda f: f.train_flops("train") * f.batch + f.once("train"), batch=True, training=True,
           notes=("convention",)),
    Metric("bwd_flops", "Backward FLOPs", "FLOPs", "the backward pass under --flops",
           lambda f: f.train_flops("bwd") * f.batch + f.once("bwd"), batch=True, training=True,
           notes=("convention",)),
    Metric("train_flops_token", "Train FLOPs/token", "FLOPs",
           "train_flops per token (per example when the input is not a sequence)",
           lambda f: _per_token(f, "train"), training=True, notes=("convention",)),
    Metric("train_compute", "Train compute", "FLOPs", "train_flops_token × the training tokens --tokens D",
           _train_compute, training=True, notes=("convention",), needs=("tokens",)),
    # -- memory of training and inference, in bytes (symparams/memory.py)
    Metric("weight_bytes", "Weights (B)", "bytes", "(parameters + buffers) × the precision's weight bytes",
           lambda f: f.memory("weight_bytes"), training=True, notes=("precision", "layout")),
    Metric("grad_bytes", "Gradients (B)", "bytes", "trained parameters × gradient bytes",
           lambda f: f.memory("grad_bytes"), training=True, notes=("precision", "layout")),
    Metric("optim_bytes", "Optimizer (B)", "bytes", "fp32 master copy + optimiser state + PyTorch's step counters",
           lambda f: f.memory("optim_bytes"), training=True, notes=("precision", "optimizer", "layout")),
    Metric("act_train_bytes", "Saved act. (B)", "bytes", "the activations autograd keeps for the backward pass",
           lambda f: f.memory("act_train_bytes"), batch=True, training=True,
           notes=("precision", "recompute", "loss", "layout")),
    Metric("kv_bytes", "KV cache (B)", "bytes", "the inference key-value cache",
           lambda f: f.memory("kv_bytes"), batch=True, training=True, notes=("precision", "layout")),
    Metric("train_bytes", "Train mem. (B)", "bytes", "weights + gradients + optimiser state + saved activations",
           lambda f: f.memory("train_bytes"), batch=True, training=True,
           notes=("precision", "optimizer", "recompute", "loss", "layout")),
    Metric("infer_bytes", "Inference mem. (B)", "bytes", "weights + KV cache",
           lambda f: f.memory("infer_bytes"), batch=True, training=True, notes=("precision", "layout")),
]:
    register(_m)



def names() -> tuple:
    """Every metric (--metric of solve, sweep and plot; net.metric)."""
    return tuple(REGISTRY)


def columns() -> tuple:
    """Every metric with a value per row (summary's --columns)."""
    return tuple(n for n, m in REGISTRY.items() if m.column)
