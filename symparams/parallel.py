"""Training on many GPUs as formulas: the memory of one GPU and the bytes it sends per step under a
parallel layout (data, tensor, pipeline, context and expert parallelism, ZeRO, offloading).

The analysis of one device (symparams/cost.py, symparams/memory.py) says what each row of the network
keeps; this module splits those rows over a layout and answers, for the most loaded GPU:

  weights, gradients, optimiser state   the rows of its pipeline stage, each weight split over the
                                        tensor-parallel ranks as Megatron-LM splits it (column- and
                                        row-parallel products, vocabulary-parallel tables; norms and a
                                        row-parallel bias replicated), experts over the expert ranks,
                                        then ZeRO's shards over the data-parallel ranks
  saved activations                     its stage's activations of one micro-batch times the
                                        micro-batches the 1F1B schedule keeps in flight, split over
                                        the tensor ranks (every tensor with sequence parallelism; the
                                        tensors inside a parallel region without it) and the context ranks
  communication                         bytes sent per step by the data-parallel, tensor-parallel,
                                        pipeline, expert and context collectives (ring algorithms)

`--batch` is the micro-batch of one model replica: a step processes batch x microbatches x dp examples.
docs/scale.md derives every rule and names its source.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, fields

from .numeric import sympy     # imported at first use: the parser of a command imports this module

from .algebra import product, size_value, symbol
from .errors import UsageError, did_you_mean
from .layers import spec_and_context

ZERO_STAGES = (0, 1, 2, 3)
GRAD_DTYPES = ("param", "fp32")
OFFLOADS = ("none", "optimizer", "params")
SIZES = ("dp", "tp", "pp", "cp", "ep", "microbatches", "interleave")
FP32 = 4


@dataclass(frozen=True)
class Layout:
    """How one training step is laid out over GPUs. Sizes are numbers or symbols."""
    dp: object = 1
    tp: object = 1
    pp: object = 1
    cp: object = 1
    ep: object = 1
    zero: int = 0
    sequence_parallel: bool = False
    microbatches: object = 1
    interleave: object = 1
    grad_dtype: str = "param"
    offload: str = "none"

    def __post_init__(self):
        for name in SIZES:
            object.__setattr__(self, name, size_value(name, getattr(self, name)))
        try:
            zero = int(str(self.zero).strip()) if not isinstance(self.zero, bool) else -1
        except ValueError:
            zero = -1
        if zero not in ZERO_STAGES:
            raise UsageError(f"--zero takes 0, 1, 2 or 3 (ZeRO's stages), got '{self.zero}'")
        object.__setattr__(self, "zero", zero)
        for name, allowed in (("grad_dtype", GRAD_DTYPES), ("offload", OFFLOADS)):
            value = getattr(self, name)
            if value not in allowed:
                raise UsageError(f"unknown {name.replace('_', '-')} '{value}'; use one of {', '.join(allowed)}",
                                 hint=did_you_mean(str(value), list(allowed)))
        if self.offload == "params" and self.zero != 3:
            raise UsageError("--offload params moves ZeRO-3's parameter shards to the CPU: give --zero 3 (or --fsdp)")
        if _numeric(self.interleave) and self.interleave > 1 and _numeric(self.pp) and self.pp == 1:
            raise UsageError("--interleave V splits each pipeline stage into V chunks: it needs --pp 2 or more")

    @property
    def gpus(self) -> sympy.Expr:
        return self.dp * self.tp * self.pp * self.cp

    def is_default(self) -> bool:
        return self == Layout()

    def as_dict(self) -> dict:
        return {f.name: (str(v) if isinstance(v := getattr(self, f.name), sympy.Basic) else v)
                for f in fields(self)}


def _numeric(x) -> bool:
    return isinstance(x, sympy.Basic) and x.is_number


# ----------------------------------------------------------------------------- the rows of each stage

@dataclass
class _Leaf:
    """One leaf row with what the split needs: its multiplicity (enclosing repeats), whether the
    tensor it reads is split over the tensor ranks, and its weights split into sharded and replicated."""
    row: object
    mult: sympy.Expr
    expert: bool
    sharded_in: bool
    parallel: bool               # attention or a column-parallel product: input replicated, the rest split
    ends_region: bool            # an all-reduce (or reduce-scatter) follows it under tensor parallelism
    sharded: sympy.Expr = field(default_factory=lambda: sympy.S.Zero)  # parameters split over the tensor ranks
    replicated: sympy.Expr = field(default_factory=lambda: sympy.S.Zero)
    trainable_sharded: sympy.Expr = field(default_factory=lambda: sympy.S.Zero)
    trainable_replicated: sympy.Expr = field(default_factory=lambda: sympy.S.Zero)


def _weights_split(row, kind: str, column: bool) -> tuple:
    """(sharded, replicated, trainable sharded, trainable replicated) parameters of a leaf: attention
    and products split, except the bias of a row-parallel product (the output projection's, a
    row-parallel dense's); norms, position tables and the rest replicated (Megatron-LM's layout)."""
    sh = rep = tsh = trep = sympy.S.Zero
    for w in row.weights:
        if w.buffer:
            continue
        bias = w.name.endswith("bias") and len(w.shape) == 1
        if kind == "attention":
            split = not (bias and w.name.startswith("o"))
        elif kind == "dense":
            split = column or not bias
        else:
            split = kind == "embedding"
        if split:
            sh += w.size
            tsh += w.size if w.trainable else 0
        else:
            rep += w.size
            trep += w.size if w.trainable else 0
    return sh, rep, tsh, trep


def _leaves(rows, mult, expert, sharded, out: list) -> bool:
    """Walk rows in order, carrying whether the flowing tensor is split over the tensor ranks."""
    for row in rows:
        if row.kind in ("residual", "add", "concat", "mul", "moe"):
            ends = []
            for child in row.children:
                if child.is_leaf:
                    ends.append(_leaves([child], mult, expert, sharded, out))
                    continue
                m, e = mult, expert
                if child.role == "experts":
                    m, e = mult * child.count, True
                ends.append(_leaves(child.children, m * (child.count if child.role != "experts" else 1), e,
                                    sharded, out))
            # a residual adds its body to the (replicated) shortcut; the others combine their branches
            sharded = (sharded and all(ends)) if row.kind == "residual" else (bool(ends) and all(ends))
            continue
        if not row.is_leaf:
            sharded = _leaves(row.children, mult * row.count, expert, sharded, out)
            continue
        kind = (row.config or {}).get("keyword") or row.kind
        if kind == "input":
            continue
        parallel = ends = False
        column = False
        if kind in ("attention", "mha"):
            kind, parallel, ends, new = "attention", True, True, False
        elif kind == "dense":
            column = not sharded
            parallel, ends, new = column, not column, column
        elif kind in ("unembed", "tiedhead"):
            parallel, new = True, True
        elif kind == "embedding":
            ends, new = True, False               # a vocabulary-parallel lookup all-reduces its output
        else:
            new = sharded
        leaf = _Leaf(row, mult * row.count, expert, sharded, parallel, ends)
        leaf.sharded, leaf.replicated, leaf.trainable_sharded, leaf.trainable_replicated = \
            _weights_split(row, kind, column)
        out.append(leaf)
        sharded = new
    return sharded


@dataclass
class _Split:
    """The network cut into what comes before the pipelined repeat, the repeat, and what follows."""
    pre: list
    body: object | None
    post: list
    passes: sympy.Expr


def stage_split(net) -> _Split:
    """The repeat with the most parameters is the one Megatron-LM spreads over the stages (its
    transformer layers); the rows before it go to the first stage, the rows after it to the last."""
    top = [r for r in net.layers if r.kind != "input"]
    repeats = [r for r in top if r.kind == "repeat"]
    if not repeats:
        return _Split(top, None, [], sympy.S.One)
    known = {symbol(k): v for k, v in net.defaults.items()}

    def weight(r):
        v = sympy.sympify(r.params).subs(known)
        return v if v.is_number else 0
    body = max(repeats, key=weight)
    i = top.index(body)
    passes = sympy.Add(*[c.count for c in body.children]) if body.children else sympy.S.One
    return _Split(top[:i], body, top[i + 1:], passes)


# ----------------------------------------------------------------------------- the analysis

@dataclass
class Stage:
    """One pipeline stage: the rows it holds and its per-GPU parts (bytes) as formulas."""
    name: str
    holds: list
    parts: dict = field(default_factory=dict)
    in_flight: sympy.Expr = field(default_factory=lambda: sympy.S.One)


@dataclass
class Analysis:
    layout: Layout
    stages: list                      # first (and middle, last) stage, or the one stage
    loaded: int                       # index of the most loaded stage in `stages`
    comm: dict                        # bytes sent per step by the most loaded GPU, per kind
    cpu: dict                         # offloaded bytes kept in CPU memory per GPU
    notes: list

    @property
    def parts(self) -> dict:
        return self.stages[self.loaded].parts


def _act_bytes(net, options, raw, rows) -> sympy.Expr:
    from . import memory
    return sympy.sympify(memory.column("act_train_bytes", raw, sympy.S.Zero, sympy.S.Zero, sympy.S.Zero, options, net, rows))


def _region_acts(net, options, fl, rows, leaves) -> tuple:
    """(replicated, split) saved activations of one micro-batch of some top-level rows. A leaf that
    reads a split tensor keeps split tensors; attention and a column-parallel product read a
    replicated input (kept whole) and keep split tensors beyond it; anything else keeps replicated ones."""
    from . import memory
    total = sympy.S.Zero
    for row in rows:
        total += _act_bytes(net, options, fl.rows.get(row, {}), [row])
    if options.recompute == "full":
        return total, sympy.S.Zero                   # checkpoints keep the stage's inputs: replicated
    act = memory.PRECISIONS[options.precision]["act"]
    replicated = sympy.S.Zero
    for leaf in leaves:
        if leaf.sharded_in:
            continue
        own = _act_bytes(net, options, fl.rows.get(leaf.row, {}), [leaf.row])
        if not leaf.parallel:
            replicated += own * leaf.mult
            continue
        spec, ctx = spec_and_context(leaf.row, net.convention)
        keeps_input = spec is not None and any(
            e.what == "input" for e in spec.saved_activations(leaf.row.config, leaf.row.input_shape,
                                                             leaf.row.output_shape, ctx, options.style))
        if keeps_input:
            replicated += product(leaf.row.input_shape) * act * options.batch * leaf.mult
    return replicated, total - replicated


def analyse(net, options, values: dict | None, fl) -> Analysis:
    """The per-GPU memory and communication of `net` under options.layout, from its training flow
    (cost.flow(net, options): the caller's, since cost asks this module for its memory columns)."""
    from . import memory
    lay: Layout = options.layout
    t, p, d, cp, ep = lay.tp, lay.pp, lay.dp, lay.cp, lay.ep
    m, v = lay.microbatches, lay.interleave
    megatron = options.style == "megatron"
    prec = memory.PRECISIONS[options.precision]
    act_b = prec["act"]
    grad_b = FP32 if lay.grad_dtype == "fp32" else prec["grad"]
    cut = stage_split(net)
    notes = []
    single = _numeric(p) and p == 1
    if not single and cut.body is None:
        raise UsageError("--pp splits the passes of a repeat over the stages, and this network has no repeat")
    if not _numeric(p):
        notes.append(f"pipeline of {p} stages: the formulas hold for {p} >= 2")

    # every leaf of each region, with its tensor-parallel split
    pre_leaves: list = []
    sharded = _leaves(cut.pre, sympy.S.One, False, False, pre_leaves)
    body_leaves: list = []
    if cut.body is not None:
        sharded = _leaves([cut.body], sympy.S.One, False, sharded, body_leaves)
    post_leaves: list = []
    _leaves(cut.post, sympy.S.One, False, sharded, post_leaves)

    def params_of(leaves, trainable=False):
        total = sympy.S.Zero
        for leaf in leaves:
            sh = leaf.trainable_sharded if trainable else leaf.sharded
            rep = leaf.trainable_replicated if trainable else leaf.replicated
            per = (sh + rep) / t if megatron else sh / t + rep
            total += per * leaf.mult / (ep if leaf.expert else 1)
        return total

    def buffers_of(rows):
        return sympy.Add(*[r.buffers for r in rows]) if rows else sympy.S.Zero

    def raw_sum(rows, key):
        return sympy.Add(*[fl.rows.get(r, {}).get(key, sympy.S.Zero) for r in rows]) if rows else sympy.S.Zero

    body_rows = [cut.body] if cut.body is not None else []
    regions = {"pre": (cut.pre, pre_leaves), "body": (body_rows, body_leaves), "post": (cut.post, post_leaves)}
    acts = {k: _region_acts(net, options, fl, rows, leaves) for k, (rows, leaves) in regions.items()}
    # the loss belongs to the network, after its last row: the last stage keeps it, split over the
    # tensor ranks as the vocabulary-parallel logits are
    loss = memory.loss_bytes(net, options) if hasattr(memory, "loss_bytes") else sympy.S.Zero
    last = "post" if cut.post or cut.body is not None else "pre"
    acts[last] = (acts[last][0], acts[last][1] + loss)
    kv = {k: raw_sum(rows, "kv") for k, (rows, _) in regions.items()}
    tensors = {k: raw_sum(rows, "tensors") for k, (rows, _) in regions.items()}
    factored = {k: raw_sum(rows, "factored") for k, (rows, _) in regions.items()}
    params = {k: params_of(leaves) for k, (_, leaves) in regions.items()}
    trainable = {k: params_of(leaves, True) for k, (_, leaves) in regions.items()}
    buffers = {k: buffers_of(rows) for k, (rows, _) in regions.items()}

    if megatron and not single:
        # Megatron-LM's account: everything but the two vocabulary tables spread evenly over the
        # stages, the embedding table on the first stage (and its copy, or the output head, on the last)
        table = _table(pre_leaves, t)
        head = _table(post_leaves[-1:], t)
        spread = sum(params.values()) - table - head
        params = {"pre": table, "body": spread, "post": head}
        spread_t = sum(trainable.values()) - _table(pre_leaves, t, True) - _table(post_leaves[-1:], t, True)
        trainable = {"pre": _table(pre_leaves, t, True), "body": spread_t,
                     "post": _table(post_leaves[-1:], t, True)}

    tables = [leaf for leaf in pre_leaves if (leaf.row.config or {}).get("keyword") == "embedding"]
    if not single and tables and any((leaf.row.config or {}).get("keyword") in ("unembed", "tiedhead")
                                     for leaf in post_leaves):
        # a tied output head on the last stage keeps its own copy of the embedding table (Megatron-LM's
        # word-embedding copy; the two gradients are all-reduced between the first and last stage)
        params["post"] = params["post"] + params_of(tables)
        trainable["post"] = trainable["post"] + params_of(tables, True)

    serving = getattr(options, "serving", None)
    stored = kv_stored = None
    if serving is not None:
        from . import serving as serve
        if serving.weight_dtype is not None:
            stored = {k: serve.weight_bytes(net, rows, serving, prec["weight"]) for k, (rows, _) in regions.items()}
        if serving.kv_dtype is not None or serving.kv_block is not None:
            kv_stored = {k: serve.kv_bytes(net, rows, serving, options.batch, prec["weight"])
                         for k, (rows, _) in regions.items()}

    penalty = 1 + (p - 1) / (p * v)

    def stage(name, share_pre, share_post, in_flight):
        frac = sympy.S.One if single else 1 / p
        pick = lambda parts: (parts["pre"] if share_pre else 0) + parts["body"] * frac + \
            (parts["post"] if share_post else 0)
        n_params = pick(params)
        n_train = pick(trainable)
        n_buf = pick(buffers)
        rep, spl = (pick({k: a[0] for k, a in acts.items()}), pick({k: a[1] for k, a in acts.items()}))
        per_mb = (rep + spl) / t if lay.sequence_parallel else rep + spl / t
        per_mb = per_mb / cp
        weight = (n_params + n_buf) * prec["weight"]
        if serving is not None and serving.weight_dtype is not None:
            # quantised weights: the stage's stored bytes split over the tensor ranks (norms and biases,
            # replicated, are taken as split too: a few bytes per layer)
            weight = pick(stored) / t
        grad = n_train * grad_b
        states = memory.OPTIMIZERS[options.optimizer]
        if states == "factored":
            state = pick(factored) / t * prec["state"]
        else:
            state = n_train * states * prec["state"]
        steps = sympy.S.Zero
        if options.optimizer in memory.STEP_COUNTER and not megatron:
            steps = pick(tensors) * memory.STEP_BYTES      # one float32 step per parameter tensor, on every rank
        optim = n_train * prec["master"] + state
        if lay.zero >= 1:
            optim = optim / d
        if lay.zero >= 2:
            grad = grad / d
        if lay.zero >= 3:
            weight = weight / d
        optim += steps
        cpu = {}
        if lay.offload in ("optimizer", "params"):
            cpu["optim_bytes"], optim = optim, sympy.S.Zero
        if lay.offload == "params":
            cpu["weight_bytes"], weight = weight, sympy.S.Zero
        act = per_mb * in_flight
        kv_bytes = (pick(kv_stored) if kv_stored is not None else pick(kv) * options.batch * prec["weight"]) / t / cp
        holds = _holds(cut, share_pre, share_post, single, p, name)
        st = Stage(name, holds, {"weight_bytes": weight, "grad_bytes": grad, "optim_bytes": optim,
                                 "act_train_bytes": act, "kv_bytes": kv_bytes,
                                 "train_bytes": weight + grad + optim + act,
                                 "infer_bytes": weight + kv_bytes}, in_flight)
        st.cpu = cpu
        st.params = n_params
        st.trainable = n_train
        return st

    if lay.interleave != 1:
        first_flight = p * penalty
    else:
        first_flight = sympy.Min(m, p) if not single else sympy.S.One
    if single:
        stages = [stage("only", True, True, sympy.S.One)]
    else:
        stages = [stage("first", True, False, first_flight)]
        if not (_numeric(p) and p == 2):
            stages.append(stage("middle", False, False,
                                (p - 1) * penalty if lay.interleave != 1 else sympy.Min(m, p - 1)))
        stages.append(stage("last", False, True, sympy.S.One if lay.interleave == 1 else penalty))
    # Megatron-LM's formula reports the first stage (most loaded once M >= P); the others: the largest
    loaded = 0 if megatron else _most_loaded(stages, net, values)
    for st in stages:
        st.comm = _communication(net, options, lay, st, regions, grad_b, act_b, single, cut)
    comm = stages[loaded].comm
    return Analysis(lay, stages, loaded, comm, stages[loaded].cpu, notes)


def _table(leaves, t, trainable=False):
    """The parameters of a vocabulary table among leaves (an embedding or an output product), split."""
    total = sympy.S.Zero
    for leaf in leaves:
        kind = (leaf.row.config or {}).get("keyword")
        if kind in ("embedding", "dense"):
            sh = leaf.trainable_sharded if trainable else leaf.sharded
            rep = leaf.trainable_replicated if trainable else leaf.replicated
            total += (sh + rep) * leaf.mult / t
    return total


def _holds(cut, pre, post, single, p, name) -> list:
    out = []
    if pre:
        out += [r.name for r in cut.pre]
    if cut.body is not None:
        if single:
            out.append(f"{cut.body.name} (all {cut.passes} passes)")
        else:
            out.append(f"{cut.body.name} ({sympy.sstr(cut.passes / p)} passes)")
    if post:
        out += [r.name for r in cut.post]
    return out


def _most_loaded(stages, net, values) -> int:
    """The stage with the largest train_bytes at the known values; the first when a symbol is left."""
    known = {symbol(k): v for k, v in net.defaults.items()}
    known.update({symbol(k): v for k, v in (values or {}).items()})
    best, best_value = 0, None
    for i, st in enumerate(stages):
        value = sympy.sympify(st.parts["train_bytes"]).subs(known)
        if not value.is_number:
            return 0
        if best_value is None or value > best_value:
            best, best_value = i, value
    return best


def _communication(net, options, lay, st, regions, grad_b, act_b, single, cut) -> dict:
    """Bytes the GPU of stage `st` sends in one step, per collective (ring algorithms: an all-reduce
    sends 2(n-1)/n of the buffer, a reduce-scatter or an all-gather (n-1)/n)."""
    from . import memory
    prec = memory.PRECISIONS[options.precision]
    t, d, p, cp, ep, m, v = lay.tp, lay.dp, lay.pp, lay.cp, lay.ep, lay.microbatches, lay.interleave
    b = options.batch
    psi, psi_t = st.params, st.trainable
    ring = lambda n: (n - 1) / n
    # data parallel: gradients once per step (accumulated over the micro-batches)
    if lay.zero == 0:
        dp = 2 * ring(d) * psi_t * grad_b
    elif lay.zero in (1, 2):
        dp = ring(d) * (psi_t * grad_b + psi * prec["weight"])    # reduce-scatter grads, all-gather weights
    else:
        dp = m * ring(d) * (2 * psi * prec["weight"] + psi_t * grad_b)   # gather forward and backward
    # tensor parallel: per parallel region an all-reduce forward and one backward (with sequence
    # parallelism an all-gather and a reduce-scatter each: the same bytes); full recomputation
    # repeats the forward ones
    share = {"pre": st.name in ("first", "only"), "body": True, "post": st.name in ("last", "only")}
    frac = sympy.S.One if single else 1 / p
    tp_bytes = sympy.S.Zero
    ep_bytes = sympy.S.Zero
    cp_bytes = sympy.S.Zero
    fwd_bwd = 3 if options.recompute == "full" else 2
    for key, (_, leaves) in regions.items():
        if not share[key]:
            continue
        scale = frac if key == "body" else sympy.S.One
        for leaf in leaves:
            out_values = product(leaf.row.output_shape) * b * act_b / cp
            if leaf.ends_region:
                times = 1 if (leaf.row.config or {}).get("keyword") == "embedding" else fwd_bwd
                tp_bytes += times * 2 * ring(t) * out_values * leaf.mult * scale
            cfg = leaf.row.config or {}
            if cfg.get("keyword") in ("attention", "mha") and cfg.get("heads") is not None:
                # ring attention: each rank passes its keys and values around the ring forward,
                # and keys, values and their gradients backward
                tokens = leaf.row.input_shape[0] / cp
                g = cfg.get("kv_heads") or cfg.get("heads")
                kv_chunk = 2 * tokens * g * cfg.get("key_dim") * b * act_b / t
                cp_bytes += 3 * (cp - 1) * kv_chunk * leaf.mult * scale
    # experts: tokens dispatched to and combined from their experts, forward and backward
    for key, (rows, _) in regions.items():
        if not share[key]:
            continue
        scale = frac if key == "body" else sympy.S.One
        for _, row in ((0, r) for r0 in rows for _, r in r0.walk()):
            if row.kind == "moe":
                mult = _multiplicity(net, row)
                tokens = product(row.input_shape[:-1]) * b / cp
                width = row.input_shape[-1]
                k = row.config.get("top_k", 1)
                ep_bytes += 4 * ring(ep) * tokens * k * width * act_b * mult * scale
    tp_bytes, cp_bytes, ep_bytes = tp_bytes * m, cp_bytes * m, ep_bytes * m
    # pipeline: the boundary activation (and its gradient) of every micro-batch
    pp_bytes = sympy.S.Zero
    if not single and cut.body is not None:
        boundary = product(cut.body.input_shape) * b * act_b / cp / (t if lay.sequence_parallel else 1)
        sends = {"first": 2 * v - 1, "last": 2 * v - 1, "middle": 2 * v}[st.name]
        pp_bytes = sends * m * boundary
    comm = {"dp": dp, "tp": tp_bytes, "pp": pp_bytes, "ep": ep_bytes, "cp": cp_bytes}
    comm["total"] = sympy.Add(*comm.values())
    return comm


def _multiplicity(net, target) -> sympy.Expr:
    """Occurrences of a row in the network (the product of its enclosing repeats' counts)."""
    def walk(rows, mult):
        for row in rows:
            here = mult * row.count
            if row is target:
                return here
            found = walk(row.children, here)
            if found is not None:
                return found
        return None
    return walk(net.layers, sympy.S.One) or sympy.S.One


# ----------------------------------------------------------------------------- for cost.totals

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached(net, options, values: dict | None, fl) -> Analysis:
    """analyse(), once per network, options and values."""
    per_net = _CACHE.setdefault(net, {})
    key = (options, tuple(sorted((values or {}).items())))
    if key not in per_net:
        per_net[key] = analyse(net, options, values, fl)
    return per_net[key]


def loaded_total(an, options, known: dict) -> sympy.Expr:
    """train_bytes of the most loaded GPU: the picked stage's when the known values decide it, else
    the largest of the stages' (each rounded up to whole bytes)."""
    totals = [sympy.sympify(st.parts["train_bytes"]) for st in an.stages]
    if options.style == "megatron" or len(totals) == 1 or all(t.subs(known).is_number for t in totals):
        return an.parts["train_bytes"]
    return sympy.Max(*[sympy.ceiling(t) for t in totals])


def column(net, options, name: str, fl) -> sympy.Expr:
    """One per-GPU memory column of the most loaded GPU under options.layout. Which stage is the most
    loaded may depend on a symbol left in the formulas (a batch, a depth to solve for), so train_bytes
    is the largest of the stages' totals (Max) while one is left, each rounded up to whole bytes (a
    shard's share), so that solve and sweep bound every stage. Megatron-LM's account reports the
    first stage; the other columns are those of the stage analyse() picks."""
    an = cached(net, options, None, fl)
    if name != "train_bytes":
        return an.parts[name]
    totals = [sympy.sympify(st.parts[name]) for st in an.stages]
    if options.style == "megatron" or len(totals) == 1 or all(not t.free_symbols for t in totals):
        return sympy.ceiling(an.parts[name])
    return sympy.Max(*[sympy.ceiling(t) for t in totals])
