"""The cost model: multiply-accumulates, FLOPs, element operations, activation memory,
weight memory and the receptive field, as SymPy expressions in the network's symbols.

Each layer kind states its own formulas next to its weights (LayerSpec.macs, bias_adds,
other_ops, receptive in symparams/layers/); this module adds them up over the row tree the
way parameter counts are added up (repeat segments times their count, closed-form segments
summed over their index) and carries the receptive field through it.

Conventions (one forward pass, inference):
  macs         multiply-accumulates of convolutions, dense layers, attention products,
               recurrent gates and tied output heads; bias additions are not MACs
  flops        2 * macs (torch.utils.flop_counter's convention); with bias_adds=True plus
               one addition per bias value applied
  ops          element operations that are not MACs: activations (one per value), what each
               kind's other_ops states (its docstring's first line; README lists them), residual/add merges
  act          output values of every layer (the input not counted) and of every merge
  act_bytes    act * bytes of the dtype
  param_bytes  (parameters + buffers) * bytes of the dtype
  rf           receptive field of the last layer with spatial axes (the largest over axes),
  rf_stride    its effective stride and
  rf_padding   its effective padding (google-research/receptive_field's definitions)
A batch size (a number or a symbol) multiplies macs, flops, ops, act and act_bytes, except what a layer
computes once per forward pass from its weights alone whatever the batch (LayerSpec.once_costs: Swin-V2's
position-bias MLP over its coordinate table), which macs, flops, ops and the training FLOPs add once per pass
(the once_* sums; per token, spread over the batch's tokens).

Training (one optimiser step on a batch; docs/cost.md has the derivations):
  train_flops  forward + backward FLOPs of one step, under the FLOP convention `flops`:
               torch       what torch.utils.flop_counter.FlopCounterMode counts with loss.backward():
                           2 per MAC of every product forward; backward the weight gradient and the
                           input gradient of each product, the latter skipped where nothing before the
                           layer is trained (input_grad='needed', autograd's rule; 'all' counts it
                           everywhere); grouped weight gradients as the counter counts them
               kaplan      3 x C_forward = 6·N + 6·n_layer·n_ctx·d_attn per token (Kaplan et al. 2020,
                           Table 1), N without any vocabulary or position matrix (tied or not)
               palm        6·N + 12·L·H·Q·T per token (Chowdhery et al. 2022, appendix B), N the
                           parameters without the tables only looked up, the output head's matrix once
               chinchilla  3 x the forward of Hoffmann et al. (2022) appendix F: embeddings and
                           logits as products, 3 FLOPs per softmax score, backward = 2 x forward
  bwd_flops    the backward part; flops is the forward part under the same convention
  train_flops_token  train_flops per token (per example when the input is not a sequence)
  train_compute      train_flops_token x the training tokens D (`tokens`: a number or k·N)
Memory (bytes; symparams/memory.py): weight_bytes, grad_bytes, optim_bytes, act_train_bytes,
kv_bytes, train_bytes (weights + gradients + optimiser + activations), infer_bytes (weights + KV).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace

from .numeric import sympy     # imported at first use: the parser of a command imports this module

from . import memory, metrics, parallel
from .algebra import equal, product, size_value, symbol
# the options' vocabularies live in choices.py, which a command's parser imports without this module
from .choices import (ACT_STYLES, ATTENTION_KERNELS, DEFAULT_ATTENTION, DEVICES, DTYPE_BYTES,  # noqa: F401
                      FLOP_CONVENTIONS, INPUT_GRAD, LOSSES)
from .errors import DefinitionError, ShapeError, UsageError, did_you_mean
from .integers import parse_number
from .layers import spec_and_context
from .layers.base import Saved

MERGES = ("residual", "add", "concat", "mul")
ONCE = ("once_macs", "once_bias", "once_ops")      # the forward sums a layer adds once per pass, not per example
CONTAINERS = ("block", "path", "repeat", "iteration")

# receptive-field states besides a tuple of (rf, stride, padding) per spatial axis
GLOBAL = "global"      # a layer mixed every position (attention, recurrent)
UNKNOWN = "unknown"    # a layer whose receptive field symparams does not follow (deconv, reshape)
REASONS = {GLOBAL: "an attention or recurrent layer mixes every position",
           UNKNOWN: "a transposed convolution or reshape comes before it"}


@dataclass(frozen=True)
class Options:
    """How costs are reported: batch size (a number or a symbol name), dtype, and whether
    FLOPs include the bias additions; for training, the FLOP convention, which products need an
    input gradient, the optimiser, the precision, the recomputation policy, whose accounting of
    saved activations (pytorch or megatron), the device whose kernels decide a dropout mask's
    size, the training tokens (a number, or k·N as in 20N), the attention kernel and the loss (None:
    cross-entropy when the network ends in logits over classes or a vocabulary, else none)."""
    batch: object = 1
    dtype: str = "float32"
    bias_adds: bool = False
    flops: str = "torch"
    input_grad: str = "needed"
    optimizer: str = "adamw"
    precision: str = "fp32"
    recompute: str = "none"
    style: str = "pytorch"
    device: str = "cuda"
    tokens: object = None
    layout: object = None          # symparams.parallel.Layout: memory columns per GPU (None: one device)
    serving: object = None         # symparams.serving.Serving: quantised weights, KV dtype and blocks
    attention: str = DEFAULT_ATTENTION
    loss: "str | None" = None

    def __post_init__(self):
        if self.dtype not in DTYPE_BYTES:
            raise UsageError(f"unknown dtype '{self.dtype}'; use one of {', '.join(DTYPE_BYTES)}",
                             hint=did_you_mean(str(self.dtype), list(DTYPE_BYTES)))
        for field_, allowed in (("flops", FLOP_CONVENTIONS), ("input_grad", INPUT_GRAD),
                                ("optimizer", tuple(memory.OPTIMIZERS)), ("precision", tuple(memory.PRECISIONS)),
                                ("recompute", memory.RECOMPUTE), ("style", ACT_STYLES), ("device", DEVICES),
                                ("attention", ATTENTION_KERNELS), ("loss", LOSSES)):
            value = getattr(self, field_)
            if value not in allowed and not (field_ == "loss" and value is None):
                raise UsageError(f"unknown {field_.replace('_', '-')} '{value}'; use one of {', '.join(allowed)}",
                                 hint=did_you_mean(str(value), list(allowed)))
        object.__setattr__(self, "batch", batch_value(self.batch))
        if self.tokens is not None:
            object.__setattr__(self, "tokens", tokens_value(self.tokens))

    @property
    def bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]


def batch_value(batch) -> sympy.Expr:
    """A batch size: a positive whole number, or a symbol name (a positive integer)."""
    return size_value("batch", batch)


def tokens_value(tokens):
    """Training tokens: a whole number (300e9, 1.4T), a symbol name, or k·N (20N, 20*N): k times the
    convention's parameter count. Returns an sympy.Integer/Symbol, or ('N', k) for the multiple."""
    if isinstance(tokens, (sympy.Basic, tuple)):
        return tokens
    text = str(tokens).strip().replace(" ", "")
    if text.upper().endswith("N"):
        factor = text[:-1].rstrip("*·") or "1"
        return ("N", sympy.Integer(parse_number(factor, "--tokens")))
    if text.isidentifier():
        return symbol(text)
    return sympy.Integer(parse_number(text, "--tokens"))


class Metric(str):
    """A metric name that carries its cost options (--flops, --optimizer, --batch, ...), so that
    solve, sweep and plot, which pass the name through to Network.metric, need not know them."""
    options: "Options | None" = None

    def __new__(cls, name: str, options: "Options | None" = None):
        made = super().__new__(cls, name)
        made.options = options
        return made


# ----------------------------------------------------------------------------- per row

def _own(net, row) -> dict:
    """What one occurrence of this row costs by itself (children not included)."""
    zero = sympy.Integer(0)
    nothing_once = {k: zero for k in ONCE}
    if row.kind in MERGES:
        values = product(row.output_shape)
        branches = len(row.children) if row.kind in ("add", "mul") else (2 if row.kind == "residual" else 1)
        return {"macs": zero, "bias": zero, "ops": values * (branches - 1), "act": values, **nothing_once}
    if not row.is_leaf:
        return {"macs": zero, "bias": zero, "ops": zero, "act": zero, **nothing_once}
    if row.kind == "input":
        return {"macs": zero, "bias": zero, "ops": zero, "act": zero, **nothing_once}
    spec, ctx = spec_and_context(row, net.convention)
    cfg, shape, out = row.config, row.input_shape, row.output_shape
    values = product(out)
    ops = sympy.sympify(spec.other_ops(cfg, shape, out, ctx))
    if row.activation and row.activation != "linear":
        ops += values
    once = spec.once_costs(cfg, shape, out, ctx)
    return {"macs": sympy.sympify(spec.macs(cfg, shape, out, ctx)),
            "bias": sympy.sympify(spec.bias_adds(cfg, shape, out, ctx)), "ops": ops, "act": values,
            **{f"once_{k}": sympy.sympify(once.get(k, 0)) for k in ("macs", "bias", "ops")}}


class _Analysis:
    """Row totals and receptive-field states of one network, computed once."""

    def __init__(self, net):
        self.net = net
        self.totals: dict = {}
        self.states: dict = {}
        state = None
        self.last = None           # the last top-level row with spatial axes, and its state
        for row in net.layers:
            state = self._rf_row(row, state, self.states)
            if state is not None:
                self.last = (row, state)
        for row in net.layers:
            self._total(row)

    # -- sums over the tree -------------------------------------------------------------
    def _total(self, row) -> dict:
        if row in self.totals:
            return self.totals[row]
        own = _own(self.net, row)
        for child in row.children:
            sub = self._total(child)
            own = {k: own[k] + sub[k] for k in own}
        out = {}
        # a token runs through top_k of a mixture's experts (symparams/engine/tensors.py), not all of them
        count = row.config["active"] if row.role == "experts" else row.count
        for key, once in own.items():
            if row.index is not None:
                end = row.start + row.count - 1
                out[key] = (sympy.summation(once, (row.index, row.start, end)) if once.has(row.index)
                            else once * row.count)
            else:
                out[key] = once * count if count != 1 else once
        self.totals[row] = out
        return out

    # -- receptive field ------------------------------------------------------------------
    def _rf_rows(self, rows, state, record):
        for row in rows:
            state = self._rf_row(row, state, record)
        return state

    def _rf_row(self, row, state, record):
        if row.kind in MERGES:
            outs = [self._rf_rows(path.children, state, record) for path in row.children]
            if row.kind == "residual" and len(row.children) == 1:
                outs.append(state)      # the identity shortcut
            for path, out in zip(row.children, outs):
                record[path] = out
            new = _merge(outs)
        elif row.kind == "iteration":
            new = self._rf_segment(row, state, record)
        elif row.kind in CONTAINERS:
            new = self._rf_rows(row.children, state, record)
        else:
            new = self._rf_leaf(row, state)
        record[row] = new
        return new

    def _rf_leaf(self, row, state):
        spatial = len(row.output_shape) >= 2
        spec, ctx = spec_and_context(row, self.net.convention)
        how = spec.receptive(row.config, row.input_shape, row.output_shape, ctx) if spec else None
        if how == "start":
            return _identity(len(row.output_shape) - 1)
        if not spatial:
            return None
        if state is None or isinstance(state, str):
            return state
        if how in (GLOBAL, UNKNOWN):
            return how
        if how is None:
            return state if len(row.output_shape) == len(row.input_shape) else UNKNOWN
        return tuple((r + (span - 1) * s, s * stride, p + before * s)
                     for (r, s, p), (span, stride, before) in zip(state, how))

    def _rf_segment(self, row, state, record):
        """`count` passes of the same body from `start`: one pass's effect raised to the count."""
        if row.index is None and row.count == 1:
            return self._rf_rows(row.children, state, record)
        if state is None or isinstance(state, str):
            return self._rf_rows(row.children, state, record)
        probe = self._rf_rows(row.children, _identity(len(state)), {})
        if probe is None or isinstance(probe, str):
            self._rf_rows(row.children, state, record)
            return probe
        gains = [(r - 1, m, b) for r, m, b in probe]        # one pass: r += A*s, s *= M, p += B*s
        if row.index is None:
            self._rf_rows(row.children, state, record)
            return tuple(_repeat(axis, gain, row.count) for axis, gain in zip(state, gains))
        i, start = row.index, row.start
        if any(m.has(i) for _, m, _ in gains):
            self._rf_rows(row.children, UNKNOWN, record)
            return UNKNOWN
        before_i = tuple(_repeat_indexed(axis, gain, i, start, i - start) for axis, gain in zip(state, gains))
        self._rf_rows(row.children, before_i, record)
        return tuple(_repeat_indexed(axis, gain, i, start, row.count) for axis, gain in zip(state, gains))


def _identity(axes: int):
    if axes < 1:
        return None
    return tuple((sympy.Integer(1), sympy.Integer(1), sympy.Integer(0)) for _ in range(axes))


def _merge(states):
    for marker in (GLOBAL, UNKNOWN):
        if marker in states:
            return marker
    if any(s is None for s in states):
        return None
    if len({len(s) for s in states}) != 1:
        return UNKNOWN
    return tuple(tuple(sympy.Max(*values) for values in zip(*axis)) for axis in zip(*states))


def _geometric(m, count):
    """1 + m + ... + m**(count - 1)."""
    if equal(m, 1) is True:
        return count
    return (m ** count - 1) / (m - 1)


def _repeat(axis, gain, count):
    (r, s, p), (a, m, b) = axis, gain
    g = _geometric(m, count)
    return (r + a * s * g, s * m ** count, p + b * s * g)


def _repeat_indexed(axis, gain, i, start, count):
    """Passes start .. start+count-1 whose gains depend on the index i (the stride factor m not)."""
    (r, s, p), (a, m, b) = axis, gain
    t = sympy.Dummy("t", integer=True)
    end = start + count - 1

    def total(x):
        term = x.subs(i, t) * m ** (t - start)
        return sympy.summation(term, (t, start, end)) if term.has(t) else term * count

    return (r + s * total(a), s * m ** count, p + s * total(b))


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def analyse(net) -> _Analysis:
    found = _CACHE.get(net)
    if found is None:
        found = _CACHE[net] = _Analysis(net)
    return found


# ----------------------------------------------------------------------------- public

def _rf_value(state, which: int):
    if state is None or isinstance(state, str):
        return None
    values = [axis[which] for axis in state]
    return values[0] if all(equal(v, values[0]) is True for v in values) else sympy.Max(*values)


def check_columns(columns, *, allow_empty: bool = False) -> tuple[str, ...]:
    """Validate column names (a comma-separated text or a sequence)."""
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    out = []
    for c in columns:
        if c not in metrics.columns():
            raise UsageError(f"unknown column '{c}'; the columns are {', '.join(metrics.columns())}",
                             hint=did_you_mean(c, list(metrics.columns())))
        if c not in out:
            out.append(c)
    if not out and not allow_empty:
        raise UsageError(f"no columns given; the columns are {', '.join(metrics.columns())}")
    return tuple(out)


def row_costs(net, columns=None, options: Options | None = None) -> dict:
    """{row: {column: SymPy expression or None (not available)}} for every row of net.walk().
    Composite rows carry the sums of their children (times their count); rf columns give the
    receptive field at the row's output, in input pixels (None without spatial axes)."""
    columns = check_columns(metrics.columns() if columns is None else columns, allow_empty=True)
    options = options or Options()
    analysis = analyse(net)
    out = {}
    for _, row in net.walk():
        facts = Facts(net, options, analysis.totals.get(row) or analysis._total(row), analysis.states.get(row),
                      row=row)
        out[row] = {c: metrics.REGISTRY[c].compute(facts) for c in columns}
    return out


def totals(net, columns=None, options: Options | None = None) -> dict:
    """{metric: the network's total}; for the rf metrics, those of the last spatial layer."""
    columns = metrics.columns() if columns is None else columns
    names = list(dict.fromkeys([columns] if isinstance(columns, str) else columns))
    unknown = [c for c in names if c not in metrics.REGISTRY]
    if unknown:
        check_columns(unknown)
    options = options or Options()
    analysis = analyse(net)
    summed = {k: sympy.Add(*[analysis.totals[row][k] for row in net.layers])
              for k in ("macs", "bias", "ops", "act") + ONCE}
    facts = Facts(net, options, summed, analysis.last[1] if analysis.last else None)
    return {c: metrics.REGISTRY[c].compute(facts) for c in names}


class Facts:
    """What a metric is computed from (symparams/metrics.py: `compute(facts)`), for one row or for
    the network: the forward sums of one pass (macs, bias, ops, act), the receptive-field state,
    the counts, and the training flow (cached per network: only training metrics run it)."""

    def __init__(self, net, options, sums, state, *, row=None):
        self.net, self.options, self.sums, self.state, self.row = net, options, sums, state, row
        self.batch = options.batch
        counted = row if row is not None else net
        self.params, self.trainable, self.buffers = counted.params, counted.trainable_params, counted.buffers
        self.non_trainable = counted.non_trainable_params

    @property
    def rows(self) -> list:
        """The rows the facts cover: the row, or the network's top-level rows."""
        return [self.row] if self.row is not None else list(self.net.layers)

    @property
    def raw(self) -> dict:
        """The training flow's counts (bwd, score, kv, ...) of the row or of the network."""
        fl = flow(self.net, self.options)
        return fl.rows.get(self.row, {}) if self.row is not None else fl.total

    @property
    def tokens(self) -> sympy.Expr:
        return tokens_per_example(self.net)

    def active(self):
        """Parameters one token uses (the network's; None for a row)."""
        if self.row is not None:
            return None
        from .engine.tensors import active
        return active(self.net)

    def rf(self, which: int):
        """Receptive field (0), effective stride (1) or padding (2); None without spatial axes."""
        return _rf_value(self.state, which)

    def train_flops(self, kind: str) -> sympy.Expr:
        """Forward ('fwd'), backward ('bwd') or both ('train') FLOPs of one example under the FLOP
        convention, or both per token ('token')."""
        # a token of a mixture of experts runs top_k experts: the network's N is its active parameters
        params = active_params(self.net) if self.row is None else self.params
        step = _train_flops("train" if kind == "token" else kind, self.raw, self.sums["macs"], self.sums["bias"],
                            params, self.tokens, self.options)
        return step / self.tokens if kind == "token" else step

    def once(self, kind: str) -> sympy.Expr:
        """What the rows compute once per forward pass whatever the batch (LayerSpec.once_costs): 'macs', 'ops',
        or FLOPs of the forward pass ('fwd'), its backward ('bwd') or both ('train') under the torch convention;
        the published conventions (kaplan, palm, chinchilla) state their FLOPs per token and add nothing."""
        zero = sympy.S.Zero
        if kind in ("macs", "ops"):
            return self.sums.get(f"once_{kind}", zero)
        if self.options.flops != "torch":
            return zero
        fwd = 2 * self.sums.get("once_macs", zero) + (self.sums.get("once_bias", zero) if self.options.bias_adds
                                                      else 0)
        bwd = 2 * self.raw.get("once_bwd", zero) if kind != "fwd" else zero
        return {"fwd": fwd, "bwd": bwd, "train": fwd + bwd}[kind]

    def training_tokens(self) -> sympy.Expr:
        """The training tokens D (--tokens): a number, a symbol, or k times the convention's N."""
        d = self.options.tokens
        if isinstance(d, tuple):
            d = d[1] * convention_params(self.net, flow(self.net, self.options).total, active_params(self.net),
                                         self.options.flops)
        return d

    def memory(self, part: str) -> sympy.Expr:
        """A memory part in bytes (symparams/memory.py); under a parallel layout, the network's is the
        most loaded GPU's (symparams/parallel.py) and a row has none."""
        if part in ("act_train_bytes", "train_bytes") and self.options.recompute != "full":
            refuse_unmodelled_saves(self.net, self.options)
        if self.options.layout is not None:     # per GPU: the network's total only, not split by rows
            if self.row is not None:
                return None
            return parallel.column(self.net, self.options, part, flow(self.net, self.options))
        return memory.column(part, self.raw, self.params, self.trainable, self.buffers, self.options, self.net,
                             self.rows, self.row is None)


def refuse_unmodelled_saves(net, options) -> None:
    """A located DefinitionError at the first layer whose saved tensors its kind does not state on the options'
    device (LayerSpec.saved_unmodelled): the saved activations are then not known, and no number is printed."""
    for _, row in net.walk():
        if not row.is_leaf or row.kind == "input":
            continue
        spec, ctx = spec_and_context(row, net.convention)
        if spec is None:
            continue
        reason = spec.saved_unmodelled(row.config, row.input_shape, row.output_shape, ctx, options.device)
        if reason:
            raise DefinitionError(f"saved activations of '{row.name}' ({row.kind}) on {options.device} are not known: "
                                  f"{reason}", line=row.line, column=row.column,
                                  hint="--device cpu states them for rnn and gru and for every stepped cell (steps=, "
                                       "state_activation=); see docs/cost.md").with_source(
                *((net.program.file, net.program.source) if getattr(net, "program", None) else (None, None)))


def receptive_field(net):
    """(row, [(rf, stride, padding) per spatial axis]) of the last top-level row with spatial
    axes; a ShapeError says why when it is not available."""
    analysis = analyse(net)
    if analysis.last is None:
        raise ShapeError("receptive field: the network has no spatial axes (an image, volume or sequence)")
    row, state = analysis.last
    if isinstance(state, str):
        raise ShapeError(f"receptive field not available at '{row.name}': {REASONS[state]}")
    leaves = [r for _, r in row.walk() if r.is_leaf]
    if leaves and analysis.states.get(leaves[-1]) == state:
        row = leaves[-1]            # name the layer (pool5), not the block that ends with it
    return row, list(state)


def metric(net, name: str, options: Options | None = None) -> sympy.Expr:
    """One network total by name (any metric of symparams/metrics.py: params, trainable, active,
    macs, flops, rf, train_bytes, ...; batch 1, float32, FLOPs without bias additions unless
    options say otherwise)."""
    options = options or getattr(name, "options", None)
    name = str(name)
    if name not in metrics.REGISTRY:
        raise UsageError(f"unknown metric '{name}'; the metrics are {', '.join(metrics.names())}",
                         hint=did_you_mean(name, list(metrics.names())))
    if name.startswith("rf"):
        receptive_field(net)            # a clear error when it is not available
    return sympy.sympify(totals(net, (name,), options)[name])


# ----------------------------------------------------------------------------- training flow
# The backward pass and the saved activations depend on what came before a layer: whether
# anything before it is trained (autograd computes its input gradient only then) and whether an
# earlier layer already keeps the tensor it keeps (each storage is counted once). The flow walks
# the rows in order carrying that state; a repeat's first pass may differ from the later ones.

_RAW = ("bwd", "once_bwd", "chin", "score", "emb", "shared", "head", "kv", "tensors", "factored")


class _Store:
    """One tensor storage flowing between layers: its values per example (a view that selects,
    like x[:, 0], keeps the whole storage alive) and whether a layer already keeps it."""
    __slots__ = ("values", "counted", "single")

    def __init__(self, values=None, counted: bool = False):
        self.values, self.counted = (sympy.S.Zero if values is None else values), counted
        self.single = False     # kept so far only in a batch of one (Saved.single): a later keeper adds the rest


class _State:
    """What flows out of a row: whether it depends on trained weights, its storage, and whether it is
    laid out (LayerSpec.output_layout)."""
    __slots__ = ("grad", "store", "layout")

    def __init__(self, grad: bool, store: _Store, layout: str = "contiguous"):
        self.grad, self.store, self.layout = grad, store, layout

    def key(self):
        return (self.grad, self.store.counted, self.store.single, self.layout)


def _saved_key(entry) -> str:
    """Accumulator name of a saved tensor: its dtype class, per example (e; m: only in a batch of more than one;
    s: only in a batch of one) or per batch (b), core or not."""
    per = ("m" if entry.batched else "s" if entry.single else "e") if entry.per_example else "b"
    return f"saved:{entry.dtype}:{per}:{'c' if entry.core else 'n'}"


def _add(acc: dict, key: str, value) -> None:
    if value is None or (isinstance(value, sympy.Integer) and value == 0):
        return
    acc[key] = acc.get(key, sympy.S.Zero) + value


def _sum(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, sympy.S.Zero) + v
    return out


def _scale(acc: dict, factor) -> dict:
    return {k: v * factor for k, v in acc.items()}


def _backward(spec, row, weights, cfg, shape, out, ctx, needs: dict) -> tuple:
    """The row's backward MACs, per example and once per pass: the gradients its kind states
    (LayerSpec.gradients), each counted only where autograd computes it, when what it is taken for needs a
    gradient: `needs` says whether the input, the tensor read by name ('other') and a tied table do; a weight
    does when it is trained (not trainable=false, not frozen=). So a frozen weight drops its own gradient and,
    where nothing before it trains either, the gradients of what is computed from it; a layer nothing before it
    and nothing in it trains (a frozen backbone's first layers) has no backward pass at all. `weights`: the
    layer's, or those of the layer it runs again (reuse=NAME)."""
    each, once = [], []
    for grad in spec.gradients(cfg, shape, out, ctx):
        if _needed(row, grad.of, weights, needs):
            (once if grad.once else each).append(sympy.sympify(grad.macs))
    return sympy.Add(*each), sympy.Add(*once)


def _needed(row, of: tuple, weights, needs: dict) -> bool:
    """Whether a gradient taken for `of` (Gradient.of, Saved.of) is computed: one of them needs a gradient (`needs`
    for the input, the other tensor and a tied table; a weight when it is trained)."""
    names = {w.name for w in weights}
    unknown = [s for s in of if s not in needs and s not in names]
    if unknown:             # a kind's statement naming a weight it does not have: a bug, never a silent zero
        raise RuntimeError(f"{row.kind}: a gradient taken for {', '.join(unknown)}, which the layer does not have")
    return any(needs[s] if s in needs else any(w.name == s and w.trainable and not w.buffer for w in weights)
               for s in of)


def _optimized(shapes: list, row) -> list:
    """The optimiser's tensors of a row: the kind's storage shapes of its trained weights, less those
    trainable=false or frozen= keeps out of training (an optimiser holds no state for them). The kind gives
    one storage shape per parameter weight, in the weights' order."""
    params = [w for w in row.weights if not w.buffer]
    if all(w.trainable for w in params):
        return shapes
    if len(shapes) != len(params):
        return [w.shape for w in params if w.trainable]
    return [s for s, w in zip(shapes, params) if w.trainable]


def _has_trained(row) -> bool:
    return not (isinstance(row.trainable_params, sympy.Integer) and row.trainable_params == 0)


class _Flow:
    """Per-row training quantities of one network under one (style, input_grad) choice:
    backward MACs (as the flop counter counts them), Chinchilla FLOPs, score MACs, embedding and
    shared parameters, KV-cache values, parameter tensors and Adafactor's factored state, and the
    saved activations by dtype class. `rows` holds each row's first occurrence (children included)."""

    def __init__(self, net, style: str = "pytorch", input_grad: str = "needed", attention: str = DEFAULT_ATTENTION):
        from .layers import REGISTRY
        self.net, self.style, self.all_grads, self.attention = net, style, input_grad == "all", attention
        self.activation_spec = REGISTRY["activation"]
        self.rows: dict = {}
        self.named: dict = {}          # saved tensors (save NAME): the state they flowed in
        self._by_name = None           # leaf rows by name (reuse=NAME looks its owner up), made when first asked
        self.tables: list = []         # (vocabulary, width) of the embeddings so far: a head over one is a vocabulary matrix
        self.trained_tables: dict = {}  # whether an embedding table is trained, by its name= (None: the last one)
        self.total, state = self._rows(net.layers, _State(False, _Store(product(net.input_shape))))

    def _rows(self, rows, state):
        total: dict = {}
        for row in rows:
            acc, state = self._row(row, state)
            total = _sum(total, acc)
        return total, state

    def _row(self, row, state):
        if row.kind == "moe":
            acc, state = self._mixture(row, state)
        elif row.kind in MERGES or row.kind == "mul":
            acc, state = self._merge(row, state)
        elif row.kind == "iteration":
            acc, state = self._segment(row, state)
        elif row.kind in CONTAINERS or not row.is_leaf:
            acc, state = self._rows(row.children, state)
        else:
            acc, state = self._leaf(row, state)
        self.rows.setdefault(row, acc)
        return acc, state

    def _merge(self, row, state):
        acc: dict = {}
        outs = []
        for path in row.children:
            sub, end = self._rows(path.children, state)
            self.rows.setdefault(path, sub)
            acc = _sum(acc, sub)
            outs.append(end)
        if row.kind == "residual" and len(row.children) == 1:
            outs.append(state)                      # the identity shortcut
        if row.kind == "mul":
            # a * b * c runs as (a * b) * c; each product keeps a factor only for the other's
            # gradient (autograd saves self iff other needs a gradient, and the reverse)
            left, shape = outs[0], tuple(row.children[0].output_shape)
            for end, path in zip(outs[1:], row.children[1:]):
                if end.grad:
                    self._keep(acc, [Saved("input")], left.store, left.store.values)
                if left.grad:
                    self._keep(acc, [Saved("input")], end.store, end.store.values)
                shape = _broadcast(shape, tuple(path.output_shape))
                left = _State(left.grad or end.grad, _Store(product(shape)))
        grad = any(o.grad for o in outs)
        # the sum / product / concatenation is new; a sum or product of operands of one shape (no broadcast) is
        # written with the first operand's strides (TensorIterator's order), a concatenation contiguous
        alike = row.kind != "concat" and len({tuple(p.output_shape) for p in row.children}) == 1
        layout = outs[0].layout if alike and outs[0].layout != "broadcast" else "contiguous"
        return acc, _State(grad, _Store(product(row.output_shape)), layout)

    def _mixture(self, row, state):
        """A mixture of experts: the router and every expert read the same input; each token runs
        through top_k of the experts (and every shared one), while every expert's weights are stored
        and trained (their tensors count `experts` times)."""
        acc: dict = {}
        grads = []
        for child in row.children:
            if child.is_leaf:
                sub, end = self._row(child, state)
            else:
                once, end = self._rows(child.children, state)
                runs = child.config["active"] if child.role == "experts" and child.config else child.count
                sub = {k: v * (child.count if k in ("tensors", "factored", "emb", "shared") else runs)
                       for k, v in once.items()}
                self.rows.setdefault(child, sub)
            acc = _sum(acc, sub)
            grads.append(end.grad)
        return acc, _State(any(grads), _Store(product(row.output_shape)))

    def _segment(self, row, state):
        """`count` passes of the body: the first walked with the incoming state, the later ones
        with the state a pass leaves (repeated until it settles), summed over the index if any."""
        seen = self._settled(state)                 # before the walk: a pass may mark its input kept
        first, after = self._rows(row.children, state)
        count, i = row.count, row.index
        if equal(count, 1) is True:
            return (_subs(first, i, row.start) if i is not None else first), after
        later = first
        for _ in range(3):
            if self._settled(after) == seen:
                break
            seen = self._settled(after)
            later, after = self._rows(row.children, after)
        if i is None:
            if later == first:
                return _scale(first, count), after
            return _sum(first, _scale(later, count - 1)), after
        end = row.start + count - 1
        if later == first:
            return {k: _summed(v, i, row.start, end, count) for k, v in first.items()}, after
        out = _subs(first, i, row.start)
        return _sum(out, {k: _summed(v, i, row.start + 1, end, count - 1) for k, v in later.items()}), after

    def _settled(self, state) -> tuple:
        """What a pass of a repeat depends on: the incoming state, and whether each saved tensor is kept already
        (a pass reading one from outside the body, a decoder layer's context, keeps it once, not once a pass)."""
        return state.key(), tuple((name, s.store.counted, s.store.single) for name, s in self.named.items())

    def _leaf(self, row, state):
        spec, ctx = spec_and_context(row, self.net.convention)
        cfg, shape, out = row.config, row.input_shape, row.output_shape
        acc: dict = {}
        ctx.embeddings = list(self.tables)
        ctx.attention = self.attention
        # the table a layer reads without owning it (a tied head: unembed, dense tied=NAME; embedding tied=NAME)
        tied = self.trained_tables.get(cfg.get("tied") if cfg else None, True)
        if getattr(spec, "reads_tokens", False) and cfg.get("vocabulary") is not None:
            self.tables.append((cfg.vocabulary, cfg.dim))
            owned = cfg.get("tied") is None
            self.trained_tables[None] = _has_trained(row) if owned else tied
            if owned and cfg.get("name"):
                self.trained_tables[cfg.name] = self.trained_tables[None]
        if spec is None or getattr(spec, "is_input", False):
            fresh = _State(False, _Store(product(out)))
            if cfg and cfg.get("alias") is not None:       # input S as NAME: a saved tensor too
                self.named[cfg.get("alias")] = fresh
            return acc, fresh
        saves_name, reads_name, becomes = spec.tensor_named(cfg)
        other = self.named.get(reads_name) if reads_name is not None else None
        self._incoming = state.grad
        if other is not None:
            state = _State(state.grad or other.grad, state.store, state.layout)
        # what needs a gradient coming in: the input and the tensor read by name, where something before them
        # is trained (--input-grad all: everywhere), and another layer's table read here, where it is trained
        needs = {"input": self._incoming or self.all_grads, "other": bool(other is not None and other.grad)
                 or self.all_grads, "tied": tied}
        bwd, once_bwd = _backward(spec, row, self._weights_run(row, cfg), cfg, shape, out, ctx, needs)
        _add(acc, "bwd", bwd)
        _add(acc, "once_bwd", once_bwd)
        _add(acc, "chin", sympy.sympify(spec.chinchilla_flops(cfg, shape, out, ctx)))
        _add(acc, "score", sympy.sympify(spec.score_macs(cfg, shape, out, ctx)))
        _add(acc, "emb", sympy.sympify(spec.embedding_params(cfg, shape, out, ctx)))
        _add(acc, "shared", sympy.sympify(spec.shared_product_params(cfg, shape, out, ctx)))
        _add(acc, "head", sympy.sympify(spec.head_params(cfg, shape, out, ctx)))
        _add(acc, "kv", sympy.sympify(spec.kv_cache_values(cfg, shape, out, ctx)))
        trained = _optimized(spec.optimizer_shapes(cfg, shape, out, ctx), row) if row.weights else []
        _add(acc, "tensors", sympy.Integer(len(trained)))
        _add(acc, "factored", sympy.Add(*[_factored(s) for s in trained]) if trained else sympy.S.Zero)
        # the saved activations, each storage once; a layer autograd does not record (nothing
        # before it and nothing in it is trained) keeps nothing
        reads_table = acc.get("shared", sympy.S.Zero) != 0 or (getattr(spec, "reads_tokens", False)
                                                             and cfg.get("tied") is not None)
        trains = _has_trained(row) or self._reuses_trained(cfg) or (reads_table and tied)
        recorded = state.grad or trains
        incoming = state.grad if other is None else self._incoming
        kept_for = {"input": incoming, "other": bool(other is not None and other.grad), "tied": tied}
        saved = tuple(e for e in spec.saved_activations(cfg, shape, out, ctx, self.style)
                      if (incoming or not e.for_input_grad)
                      and (other is None or other.grad or not e.for_other_grad)
                      and (e.of is None or _needed(row, e.of, self._weights_run(row, cfg), kept_for))
                      and (e.unless is None or not _needed(row, e.unless, self._weights_run(row, cfg), kept_for))
                      and (e.when_input is None or state.layout in e.when_input)
                      and (e.unless_input is None or state.layout not in e.unless_input)) \
            if recorded else ()
        self._keep(acc, [e for e in saved if e.what not in ("output", "other")], state.store, product(shape),
                   state.layout)
        for e in (e for e in saved if e.what == "other"):           # the named tensor read here
            if other is not None:       # its storage once, however many layers keep it (a context read by each)
                self._keep(acc, [Saved("input", layout=e.layout)], other.store, other.store.values, other.layout)
            else:
                _add(acc, _saved_key(e), e.values or product(cfg.get("other") or ()))
        view = spec.output_is_view(cfg, shape, out, ctx)
        weight = spec.output_is_weight(cfg, shape, out, ctx)
        if weight:      # the layer's own weight, expanded over the batch: keeping it keeps no activation
            core, layout = _Store(product(out), counted=True), "broadcast"
        else:
            core = state.store if view else _Store(spec.output_storage(cfg, shape, out, ctx))
            # an element-wise step on a tensor broadcast over the batch, or on a view in the standard axis order with
            # gaps (a slice, a subsample), writes a new contiguous one (PyTorch keeps only a permuted order)
            inherited = "contiguous" if state.layout in _GAPPED and not view else state.layout
            layout = spec.output_layout(cfg, shape, out, ctx) or spec.view_layout(inherited, shape, cfg, state.layout)
        self._keep(acc, [e for e in saved if e.what == "output"], core, product(out), layout)
        final = core
        if row.activation and row.activation != "linear" and not spec.activation_inside:
            function = tuple(self.activation_spec.function_saves(row.activation, product(out)))
            if function:
                final = _Store(product(out))             # element-wise: a new tensor with the same strides
                if recorded:
                    self._keep(acc, [e for e in function if e.what != "output"], core, product(out), layout)
                    self._keep(acc, [e for e in function if e.what == "output"], final, product(out), layout)
                if layout == "broadcast":
                    layout = "contiguous"
        # a free tensor's output depends on its own weight only: what came before does not reach it
        result = _State(trains if weight else recorded, final, layout)
        if becomes and other is not None:
            result = other                                  # use NAME: that tensor flows on
        if saves_name is not None:
            self.named[saves_name] = result
        return acc, result

    def _weights_run(self, row, cfg) -> tuple:
        """The weights a layer runs: its own, or with reuse=NAME those of the layer NAME (it has none of its own)."""
        target = cfg.get("reuse") if cfg else None
        if target is None:
            return row.weights
        if self._by_name is None:
            self._by_name = {r.name: r for _, r in self.net.walk() if r.is_leaf}
        owner = self._by_name.get(target)
        return owner.weights if owner is not None else row.weights

    def _reuses_trained(self, cfg) -> bool:
        """reuse=NAME (or tied=NAME, a named embedding table): the layer runs NAME's weights again (no weights of
        its own), so autograd records it when NAME's are trained, even on a path nothing trained reaches (a
        siamese tower's call on a second input, T5's and Whisper's decoder tokens through the shared table)."""
        target = (cfg.get("reuse") or cfg.get("tied")) if cfg else None
        if target is None:
            return False
        if self._by_name is None:
            self._by_name = {r.name: r for _, r in self.net.walk() if r.is_leaf}
        owner = self._by_name.get(target)
        return owner is not None and _has_trained(owner)

    @staticmethod
    def _keep(acc, entries, store, values, layout="contiguous"):
        for e in entries:
            if layout == "timemajor":   # a recurrent layer's batch-first view of its time-major output: strided
                layout = "strided"      # to every kind but a recurrent layer (Saved.when_input)
            if e.what == "own":
                _add(acc, _saved_key(e), sympy.sympify(e.values))
            elif e.layout is not None and layout not in (e.layout if isinstance(e.layout, tuple) else (e.layout,)):
                _add(acc, _saved_key(e), values)        # a contiguous copy of the strided view
            elif e.single:          # only in a batch of one: a later keeper still counts it beyond one
                if not store.counted and not store.single:
                    _add(acc, _saved_key(e), store.values)
                    store.single = True
            elif not store.counted:
                # counted in a batch of one already (Saved.single): the rest, beyond one
                _add(acc, _saved_key(replace(e, batched=True) if store.single else e), store.values)
                store.counted = True


_GAPPED = ("broadcast", "gapped", "spaced", "sliced", "narrowed")


def _broadcast(a: tuple, b: tuple) -> tuple:
    """NumPy's broadcast shape of two shapes the parser already checked (a 1 takes the other)."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _factored(shape) -> sympy.Expr:
    """Adafactor's second-moment state of one weight: a row and a column factor over its last two
    axes (torch.optim.Adafactor), the whole tensor for a vector."""
    if len(shape) < 2:
        return product(shape)
    size = product(shape)
    return size / shape[-1] + size / shape[-2]


def _subs(acc: dict, i, value) -> dict:
    return {k: v.subs(i, value) for k, v in acc.items()}


def _summed(v, i, start, end, count):
    return sympy.summation(v, (i, start, end)) if v.has(i) else v * count


_FLOWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def flow(net, options: "Options | None" = None) -> _Flow:
    """The training flow of `net` (cached per network, style, input-gradient rule and attention kernel)."""
    options = options or Options()
    key = (options.style, options.input_grad, options.attention)
    per_net = _FLOWS.get(net)
    if per_net is None:
        per_net = _FLOWS[net] = {}
    found = per_net.get(key)
    if found is None:
        found = per_net[key] = _Flow(net, *key)
    return found


def tokens_per_example(net) -> sympy.Expr:
    """Tokens in one example: the length of a token-id input read by an embedding or of a T x D
    sequence; 1 for anything else (an image is one example)."""
    shape = tuple(net.input_shape)
    if len(shape) == 2:
        return shape[0]
    if len(shape) == 1:
        for _, row in net.walk():
            if row.is_leaf and row.kind != "input":
                spec, ctx = spec_and_context(row, net.convention)
                if spec is not None and spec.embedding_params(row.config, row.input_shape, row.output_shape,
                                                              ctx) != 0:
                    return shape[0]
                break
    return sympy.Integer(1)


def active_params(net) -> sympy.Expr:
    """Parameters used per token: the `active` metric where a mixture of experts defines it."""
    try:
        return sympy.sympify(metric(net, "active"))
    except (UsageError, KeyError, AttributeError):
        return net.params


def convention_params(net, raw: dict, params, convention: str) -> sympy.Expr:
    """N of a convention, the same however the output head is spelled (docs/cost.md):
    kaplan  without any vocabulary or position matrix: the looked-up tables (token, position, class
            token) and an untied output head's matrix; a tied head has none of its own;
    palm    without the tables only looked up, with the output head's matrix once: an untied head's
            own kernel, or the table a tied head (unembed, dense tied=) multiplies by;
    all parameters otherwise."""
    if convention == "kaplan":
        return params - raw.get("emb", sympy.S.Zero) - raw.get("head", sympy.S.Zero)
    if convention == "palm":
        return params - raw.get("emb", sympy.S.Zero) + raw.get("shared", sympy.S.Zero)
    return params


def _train_flops(kind: str, raw: dict, macs, bias, params, tokens, options) -> sympy.Expr:
    """Forward ('fwd'), backward ('bwd') or both ('train') FLOPs of one example."""
    conv = options.flops
    if conv == "torch":
        fwd = 2 * macs + (bias if options.bias_adds else 0)
        bwd = 2 * raw.get("bwd", sympy.S.Zero)
    elif conv == "chinchilla":
        fwd = raw.get("chin", sympy.S.Zero)
        bwd = 2 * fwd
    else:
        # score: the MACs of the T x T' scores and of their weighted values, 2·T·T'·H·Q per layer.
        # Kaplan's C_forward = 2N + 2·n_layer·n_ctx·d_attn per token counts the scores once (that
        # is `score` per sequence); PaLM's 12·L·H·Q·T per token of training is 2 x `score` forward.
        n = convention_params(None, raw, params, conv)
        fwd = 2 * n * tokens + (2 if conv == "palm" else 1) * raw.get("score", sympy.S.Zero)
        bwd = 2 * fwd
    return {"fwd": fwd, "bwd": bwd, "train": fwd + bwd}[kind]


def total_note(column: str, options: "Options | None" = None, net=None) -> str:
    """What a total line says about its metric's options: ' (batch B)', the dtype, the FLOP
    convention, the optimiser and precision, the attention kernel and the loss (the default one
    named when the network is given), the parallel layout (each metric names its own:
    metrics.Metric.notes)."""
    options = options or Options()
    loss = options.loss or (memory.loss_name(net, options) if net is not None else None)
    return metrics.REGISTRY[column].note(options, loss=loss)
