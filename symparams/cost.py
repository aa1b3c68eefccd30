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
  ops          element operations that are not MACs: activations (one per value), pooling
               (one per window element per output), batch norm (2 per value), layer/group
               norm (5 per value), softmax of attention (one per score), residual/add merges
  act          output values of every layer (the input not counted) and of every merge
  act_bytes    act * bytes of the dtype
  param_bytes  (parameters + buffers) * bytes of the dtype
  rf           receptive field of the last layer with spatial axes (the largest over axes),
  rf_stride    its effective stride and
  rf_padding   its effective padding (google-research/receptive_field's definitions)
A batch size (a number or a symbol) multiplies macs, flops, ops, act and act_bytes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import sympy
from sympy import Add, Integer

from .algebra import equal, product, symbol
from .errors import ShapeError, UsageError, did_you_mean

COLUMNS = ("params", "macs", "flops", "ops", "act", "act_bytes", "param_bytes", "rf", "rf_stride", "rf_padding")
METRICS = COLUMNS[1:]
LABELS = {"params": "Params", "macs": "MACs", "flops": "FLOPs", "ops": "Other ops", "act": "Activations",
          "act_bytes": "Activation bytes", "param_bytes": "Weight bytes", "rf": "RF",
          "rf_stride": "RF stride", "rf_padding": "RF padding"}
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
MERGES = ("residual", "add", "concat", "mul")
CONTAINERS = ("block", "path", "repeat", "iteration")

# receptive-field states besides a tuple of (rf, stride, padding) per spatial axis
GLOBAL = "global"      # a layer mixed every position (attention, recurrent)
UNKNOWN = "unknown"    # a layer whose receptive field symparams does not follow (deconv, reshape)
REASONS = {GLOBAL: "an attention or recurrent layer mixes every position",
           UNKNOWN: "a transposed convolution or reshape comes before it"}


@dataclass(frozen=True)
class Options:
    """How costs are reported: batch size (a number or a symbol name), dtype, and whether
    FLOPs include the bias additions."""
    batch: object = 1
    dtype: str = "float32"
    bias_adds: bool = False

    def __post_init__(self):
        if self.dtype not in DTYPE_BYTES:
            raise UsageError(f"unknown dtype '{self.dtype}'; use one of {', '.join(DTYPE_BYTES)}",
                             hint=did_you_mean(str(self.dtype), list(DTYPE_BYTES)))
        object.__setattr__(self, "batch", batch_value(self.batch))

    @property
    def bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]


def batch_value(batch) -> sympy.Expr:
    """A batch size: a positive whole number, or a symbol name (a positive integer)."""
    if isinstance(batch, sympy.Basic):
        return batch
    if isinstance(batch, bool):
        raise UsageError(f"batch size must be a positive whole number or a symbol name, got {batch}")
    if isinstance(batch, int):
        if batch < 1:
            raise UsageError(f"batch size must be at least 1, got {batch}")
        return Integer(batch)
    text = str(batch).strip().replace("_", "")
    if text.isdigit() and int(text) >= 1:
        return Integer(int(text))
    if text.isidentifier():
        return symbol(text)
    raise UsageError(f"batch size must be a positive whole number or a symbol name, got '{batch}'")


# ----------------------------------------------------------------------------- per row

def _spec_and_ctx(net, row):
    from .layers import REGISTRY
    from .layers.base import Context
    keyword = (row.config or {}).get("keyword")
    spec = REGISTRY.get(keyword) if keyword else None
    return spec, Context(convention=net.convention)


def _own(net, row) -> dict:
    """What one occurrence of this row costs by itself (children not included)."""
    zero = Integer(0)
    if row.kind in MERGES:
        values = product(row.output_shape)
        branches = len(row.children) if row.kind in ("add", "mul") else (2 if row.kind == "residual" else 1)
        return {"macs": zero, "bias": zero, "ops": values * (branches - 1), "act": values}
    if not row.is_leaf:
        return {"macs": zero, "bias": zero, "ops": zero, "act": zero}
    if row.kind == "input":
        return {"macs": zero, "bias": zero, "ops": zero, "act": zero}
    spec, ctx = _spec_and_ctx(net, row)
    cfg, shape, out = row.config, row.input_shape, row.output_shape
    values = product(out)
    ops = sympy.sympify(spec.other_ops(cfg, shape, out, ctx))
    if row.activation and row.activation != "linear":
        ops += values
    return {"macs": sympy.sympify(spec.macs(cfg, shape, out, ctx)),
            "bias": sympy.sympify(spec.bias_adds(cfg, shape, out, ctx)), "ops": ops, "act": values}


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
        spec, ctx = _spec_and_ctx(self.net, row)
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
    return tuple((Integer(1), Integer(1), Integer(0)) for _ in range(axes))


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


def _column(row_totals, state, column, options, params, buffers):
    batch = options.batch
    if column == "params":
        return params
    if column == "macs":
        return row_totals["macs"] * batch
    if column == "flops":
        return (2 * row_totals["macs"] + (row_totals["bias"] if options.bias_adds else 0)) * batch
    if column == "ops":
        return row_totals["ops"] * batch
    if column == "act":
        return row_totals["act"] * batch
    if column == "act_bytes":
        return row_totals["act"] * batch * options.bytes
    if column == "param_bytes":
        return (params + buffers) * options.bytes
    if column in ("rf", "rf_stride", "rf_padding"):
        return _rf_value(state, ("rf", "rf_stride", "rf_padding").index(column))
    raise UsageError(f"unknown cost column '{column}'", hint=did_you_mean(column, list(COLUMNS)))


def check_columns(columns, *, allow_empty: bool = False) -> tuple[str, ...]:
    """Validate column names (a comma-separated text or a sequence)."""
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    out = []
    for c in columns:
        if c not in COLUMNS:
            raise UsageError(f"unknown column '{c}'; the columns are {', '.join(COLUMNS)}",
                             hint=did_you_mean(c, list(COLUMNS)))
        if c not in out:
            out.append(c)
    if not out and not allow_empty:
        raise UsageError(f"no columns given; the columns are {', '.join(COLUMNS)}")
    return tuple(out)


def row_costs(net, columns=COLUMNS, options: Options | None = None) -> dict:
    """{row: {column: SymPy expression or None (not available)}} for every row of net.walk().
    Composite rows carry the sums of their children (times their count); rf columns give the
    receptive field at the row's output, in input pixels (None without spatial axes)."""
    columns = check_columns(columns, allow_empty=True)
    options = options or Options()
    analysis = analyse(net)
    out = {}
    for _, row in net.walk():
        totals = analysis.totals.get(row) or analysis._total(row)
        state = analysis.states.get(row)
        out[row] = {c: _column(totals, state, c, options, row.params, row.buffers) for c in columns}
    return out


def totals(net, columns=COLUMNS, options: Options | None = None) -> dict:
    """{column: the network's total}; for the rf columns, those of the last spatial layer."""
    columns = check_columns(columns, allow_empty=True)
    options = options or Options()
    analysis = analyse(net)
    summed = {k: Add(*[analysis.totals[row][k] for row in net.layers]) for k in ("macs", "bias", "ops", "act")}
    state = analysis.last[1] if analysis.last else None
    return {c: _column(summed, state, c, options, net.params, net.buffers) for c in columns}


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
    """One network total by name: macs, flops, ops, act, act_bytes, param_bytes, rf, rf_stride,
    rf_padding (batch 1, float32, FLOPs without bias additions unless options say otherwise)."""
    if name not in METRICS:
        raise UsageError(f"unknown metric '{name}'; the metrics are params, trainable, non_trainable, buffers, "
                         f"{', '.join(METRICS)}", hint=did_you_mean(name, list(METRICS) + ["params"]))
    if name.startswith("rf"):
        receptive_field(net)            # a clear error when it is not available
    value = totals(net, (name,), options)[name]
    return sympy.sympify(value)
