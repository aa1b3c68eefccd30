"""symparams memory: weights, gradients, optimiser state and activations of training (or weights
and the KV cache of inference), each as a formula and a number; the largest batch (or any symbol)
that fits a memory budget. Also the cost options summary, solve, sweep and plot share."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, add_short_names, load_network, parse_sets


def add_cost_options(p, *, batch: bool = True, memory: bool = True):
    """The training-cost options (symparams/cost.py Options), for summary, solve, sweep and plot."""
    # every choice list from its one source: the Options (cost.py) and the memory model (memory.py)
    from ..choices import ACT_STYLES, DEVICES, FLOP_CONVENTIONS, INPUT_GRAD
    from ..choices import OPTIMIZERS, PRECISIONS, RECOMPUTE
    g = p.add_argument_group("training cost")
    if batch:
        g.add_argument("--batch", default="1", metavar="B",
                       help="batch size: a number or a symbol name (default 1)")
    g.add_argument("--flops", default="torch", choices=FLOP_CONVENTIONS,
                   help="FLOP convention of flops/train_flops: torch (FlopCounterMode, forward + backward; "
                        "default), kaplan (6N per token), palm (6N + 12LHQT per token), chinchilla "
                        "(Hoffmann et al. appendix F)")
    g.add_argument("--input-grad", default="needed", choices=INPUT_GRAD,
                   help="torch convention: input gradients only where something before is trained "
                        "(needed, autograd's rule; default) or for every product (all)")
    g.add_argument("--tokens", metavar="D", help="training tokens for train_compute: a number (300e9) or k·N (20N)")
    if memory:
        g.add_argument("--optimizer", default="adamw", choices=tuple(OPTIMIZERS), help="optimiser state (default adamw)")
        g.add_argument("--precision", default="fp32", choices=tuple(PRECISIONS),
                       help="fp32 (default), bf16-mixed / fp16-mixed (fp32 master weights), bf16 (pure)")
        g.add_argument("--recompute", default="none", choices=RECOMPUTE,
                       help="activation recomputation: none (default), selective (attention core), full "
                            "(each top-level statement / repeat pass keeps only its input)")
        g.add_argument("--saving", default="pytorch", choices=ACT_STYLES,
                       help="whose account of saved activations: pytorch (what PyTorch keeps; default) or "
                            "megatron (Korthikanti et al. 2022)")
        g.add_argument("--device", default="cuda", choices=DEVICES,
                       help="kernels deciding a dropout mask's size: cuda (1 byte; default) or cpu")
        from ..choices import ATTENTION_KERNELS, DEFAULT_ATTENTION, LOSSES
        g.add_argument("--attention", default=DEFAULT_ATTENTION, choices=ATTENTION_KERNELS,
                       help="the attention kernel whose saved tensors count: eager (keeps the T x T "
                            "probabilities), sdpa (scaled_dot_product_attention, Hugging Face's default: "
                            "softmax statistics instead; default) or flash")
        g.add_argument("--loss", default=None, choices=LOSSES,
                       help="the training loss in the saved activations: cross-entropy (float32 "
                            "log-probabilities of every logit and the targets; the default when the network "
                            "ends in logits) or none")
        add_layout_options(p)
        add_serving_options(p)


def add_serving_options(p):
    """How the weights and the KV cache are stored when serving (symparams/serving.py Serving)."""
    from ..choices import KV_DTYPES, WEIGHT_DTYPES
    g = p.add_argument_group("serving (docs/scale.md)")
    g.add_argument("--weight-dtype", choices=WEIGHT_DTYPES,
                   help="stored weights: fp32, bf16, fp16, or the products' matrices quantised (fp8, int8, int4, "
                        "nf4; their scales and zero points counted, torchao's layouts)")
    g.add_argument("--group-size", metavar="G", help="values per quantisation group (int8: a row; int4: 128; nf4: 64)")
    g.add_argument("--kv-dtype", choices=tuple(KV_DTYPES), help="KV cache values (default: the precision's)")
    g.add_argument("--kv-block", metavar="B", help="paged KV cache: positions per block (whole blocks allocated)")


def serving_from(args):
    """The serving options the arguments give, or None."""
    from ..serving import Serving
    given = {k: getattr(args, k) for k in ("weight_dtype", "group_size", "kv_dtype", "kv_block")
             if getattr(args, k, None) is not None}
    return Serving(**given) if given else None


def add_layout_options(p):
    """The parallel layout (symparams/parallel.py Layout): with any of these the memory columns are
    those of the most loaded GPU. Sizes are numbers or symbol names."""
    g = p.add_argument_group("parallel layout (memory per GPU; docs/scale.md)")
    for name, what in (("dp", "data-parallel replicas"), ("tp", "tensor-parallel ranks (Megatron-LM's split)"),
                       ("pp", "pipeline stages (equal repeat passes per stage)"),
                       ("cp", "context-parallel ranks (the sequence split)"), ("ep", "expert-parallel ranks")):
        g.add_argument(f"--{name}", metavar="N", help=f"{what}: a number or a symbol (default 1)")
    g.add_argument("--zero", metavar="0|1|2|3", help="ZeRO stage: 1 shards the optimiser state, 2 also the "
                   "gradients, 3 also the weights, over the data-parallel ranks (default 0)")
    g.add_argument("--fsdp", action="store_true", help="fully sharded data parallel: --zero 3")
    g.add_argument("--sequence-parallel", action="store_true",
                   help="Megatron's sequence parallelism: every saved activation split over the tensor ranks")
    g.add_argument("--microbatches", metavar="M", help="micro-batches per step (default 1); --batch is one micro-batch")
    g.add_argument("--interleave", metavar="V", help="virtual pipeline stages per GPU (interleaved 1F1B)")
    g.add_argument("--grad-dtype", choices=("param", "fp32"),
                   help="gradients in the precision's dtype (param; default) or fp32 (Megatron's main_grad)")
    g.add_argument("--offload", choices=("none", "optimizer", "params"),
                   help="ZeRO-Offload: the optimiser state (and with --zero 3 the weights) kept in CPU memory")


LAYOUT_FIELDS = ("dp", "tp", "pp", "cp", "ep", "zero", "microbatches", "interleave", "grad_dtype", "offload")


def layout_from(args):
    """The parallel layout the arguments give, or None when they give none."""
    from ..errors import UsageError
    from ..parallel import Layout
    given = {k: getattr(args, k) for k in LAYOUT_FIELDS if getattr(args, k, None) is not None}
    if getattr(args, "fsdp", False):
        if given.get("zero") not in (None, "3"):
            raise UsageError(f"--fsdp is --zero 3; it cannot go with --zero {given['zero']}")
        given["zero"] = 3
    if getattr(args, "sequence_parallel", False):
        given["sequence_parallel"] = True
    return Layout(**given) if given else None


def cost_options(args, **extra):
    """cost.Options from the parsed arguments."""
    from .. import cost
    fields = dict(batch=getattr(args, "batch", "1"), flops=args.flops, input_grad=args.input_grad,
                  tokens=getattr(args, "tokens", None))
    for name, field in (("optimizer", "optimizer"), ("precision", "precision"), ("recompute", "recompute"),
                        ("saving", "style"), ("device", "device"), ("dtype", "dtype"), ("bias_adds", "bias_adds"),
                        ("attention", "attention"), ("loss", "loss")):
        if getattr(args, name, None) is not None:
            fields[field] = getattr(args, name)
    layout = layout_from(args)
    if layout is not None:
        fields["layout"] = layout
    serving = serving_from(args)
    if serving is not None:
        fields["serving"] = serving
    fields.update(extra)
    return cost.Options(**fields)


def metric_names(names, args):
    """Metric names carrying the cost options, for solve, sweep and plot."""
    from .. import cost
    options = cost_options(args)
    if isinstance(names, str):
        return cost.Metric(names, options)
    return [cost.Metric(n, options) for n in names]


def add_parser(sub):
    p = sub.add_parser("memory", help="training or inference memory: each part as a formula and a number",
                       description="Weights, gradients, optimiser state, saved activations and their total "
                                   "(or, with --inference, weights and the KV cache), each as a formula in the "
                                   "network's symbols and the batch, and its value in bytes and GiB. With "
                                   "--budget and --for, the largest value of that symbol that fits.")
    add_file(p)
    add_set(p)
    add_convention(p)
    p.add_argument("--inference", action="store_true", help="weights and the KV cache instead of training")
    p.add_argument("--budget", metavar="SIZE", help="memory budget: 80GB (10^9 bytes), 80GiB (2^30), 512MiB")
    p.add_argument("--for", dest="unknown", metavar="NAME",
                   help="with --budget: the symbol to maximise (the batch symbol or a network symbol)")
    from ..printers import formats
    p.add_argument("--format", choices=formats("memory"), default="text")
    add_short_names(p)
    p.add_argument("--gpu", metavar="NAME", help="time on this GPU (symparams/gpus.py table, or custom:flops=…,bw=…,"
                   "mem=…): step and training time, or prefill and decode time with --inference")
    p.add_argument("--mfu", default="1", metavar="F", help="with --gpu: model FLOP utilisation (default 1: bounds)")
    add_cost_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import memory, memory_report
    from ..errors import UsageError

    if (args.budget is None) != (args.unknown is None):
        raise UsageError("--budget and --for go together: --budget 80GB --for b")
    budget = memory.parse_bytes(args.budget) if args.budget is not None else None
    batch_name = args.batch.strip() if args.batch.strip().isidentifier() else None
    sets = parse_sets(args.sets)
    if batch_name and batch_name in sets:
        args.batch = str(sets[batch_name])           # --set b=8 gives the batch symbol a value
        sets.pop(batch_name)
    if args.unknown is not None:
        # what --for asks is checked before any analysis: a usage error needs no derive
        if not args.unknown.isidentifier():
            raise UsageError(f"--for takes a symbol name, got '{args.unknown}'")
        if args.batch.strip().isidentifier() and args.unknown != args.batch.strip():
            raise UsageError(f"--for {args.unknown}: the batch is the symbol '{args.batch.strip()}'; give it a "
                             f"number (--batch 8) to solve for another symbol, or use --for {args.batch.strip()}")
        if args.unknown != args.batch.strip() and args.file != "-":
            import re

            from ._common import read_source
            data, _ = read_source(args.file)
            if not re.search(rb"(?<![\w])" + re.escape(args.unknown.encode()) + rb"(?![\w])", data):
                raise UsageError(f"--for {args.unknown}: '{args.unknown}' is neither the batch (--batch "
                                 f"{args.unknown}) nor a symbol the file mentions",
                                 hint=f"to find the largest batch: --batch {args.unknown} --for {args.unknown}")
    options = cost_options(args)
    # --set gives the layout's symbols (--tp t --set t=8) values too: they are not the network's
    layout_names = {s.name for s in _layout_symbols(options.layout)}
    layout_values = {k: sets.pop(k) for k in list(sets) if k in layout_names}
    args.sets = [",".join(f"{k}={v}" for k, v in sets.items())] if sets else []
    net = load_network(args)
    rep = memory_report.report(net, options, inference=args.inference, values=layout_values)
    rep.time = _time(net, options, rep, args)
    solved = None
    if budget is not None:
        solved = memory_report.largest_fitting(net, options, budget, args.unknown, inference=args.inference)
        rep.solved = solved
    from ..printers import render
    print(render("memory", args.format, rep, short_names=args.short_names), end="")
    return 0


def _time(net, options, rep, args) -> dict:
    """Serving phases (with --inference) and, with --gpu, the time formulas."""
    from .. import timing
    out = {}
    if rep.inference:
        ph = timing.phases(net, options)
        out.update(prefill_flops=ph.prefill_flops, prefill_bytes=ph.prefill_bytes, decode_flops=ph.decode_flops,
                   decode_bytes=ph.decode_bytes)
    if getattr(args, "gpu", None) is None:
        return out
    from .. import gpus
    from .plan import mfu_value
    gpu, mfu = gpus.find(args.gpu), mfu_value(args.mfu)
    if rep.inference:
        out.update(timing.serving(ph, gpu, mfu, options.batch))
    else:
        out.update(timing.training(net, options, gpu, mfu, rep.parallel))
    out["gpu"], out["mfu"] = gpu, mfu
    return out


def _layout_symbols(layout) -> set:
    if layout is None:
        return set()
    from ..parallel import SIZES
    return set().union(*[getattr(layout, n).free_symbols for n in SIZES])
