"""symparams plan: the parallel layouts of N GPUs that fit, ranked by estimated step time
(symparams/planner.py), and why each rejected family does not fit."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, load_network, parse_sets


def add_parser(sub):
    p = sub.add_parser("plan", help="parallel layouts of N GPUs that fit, ranked by step time",
                       description="Every layout (dp, tp, pp, ZeRO stage, recomputation, micro-batches) of --gpus "
                                   "GPUs whose most loaded GPU fits the GPU's memory, ranked by the estimated step "
                                   "time, and the reason each rejected family does not fit (docs/scale.md).")
    add_file(p)
    add_set(p)
    add_convention(p)
    p.add_argument("--gpus", required=True, metavar="N", help="number of GPUs")
    from ..gpus import TABLE
    p.add_argument("--gpu", required=True, metavar="NAME",
                   help=f"a GPU of the table ({', '.join(TABLE)}) or custom:flops=…,bw=…,mem=…")
    p.add_argument("--batch", default="8", metavar="B", help="global batch in sequences per step (default 8)")
    p.add_argument("--seq", metavar="T", help="sequence length: the value of the input's length symbol")
    p.add_argument("--tokens", metavar="D", help="training tokens: the total training time as well")
    p.add_argument("--mfu", default="1", metavar="F", help="model FLOP utilisation, 0 < F <= 1 (default 1: bounds)")
    from ..choices import OPTIMIZERS, PRECISIONS
    p.add_argument("--precision", default="bf16-mixed", choices=tuple(PRECISIONS), help="(default bf16-mixed)")
    p.add_argument("--optimizer", default="adamw", choices=tuple(OPTIMIZERS), help="(default adamw)")
    p.add_argument("--top", default="10", metavar="K", help="layouts shown in the text output (default 10)")
    from ..printers import formats
    p.add_argument("--format", choices=formats("plan"), default="text")
    p.set_defaults(run=run)


def mfu_value(text) -> float:
    from ..errors import UsageError
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UsageError(f"--mfu takes a number in (0, 1], got '{text}'") from None
    if not 0 < value <= 1:
        raise UsageError(f"--mfu takes a number in (0, 1], got {text}")
    return value


def run(args) -> int:
    from .. import gpus, planner
    from ..errors import UsageError
    from ..integers import parse_int
    from ..integers import parse_number

    n = parse_int(args.gpus, "--gpus")
    batch = parse_int(args.batch, "--batch")
    top = parse_int(args.top, "--top")
    gpu = gpus.find(args.gpu)
    mfu = mfu_value(args.mfu)
    tokens = parse_number(args.tokens, "--tokens") if args.tokens is not None else None
    values = {}
    net = load_network(args)
    if args.seq is not None:
        shape = tuple(net.input_shape)
        if not shape or not getattr(shape[0], "is_Symbol", False):
            raise UsageError("--seq: the input's length is not a symbol; use --set NAME=VALUE")
        values[shape[0].name] = parse_int(args.seq, "--seq")
    values.update(parse_sets(args.sets))
    net = load_network(args, values=values).at_defaults()
    result = planner.plan(net, n, gpu, batch=batch, tokens=tokens, mfu=mfu, precision=args.precision,
                          optimizer=args.optimizer)
    from ..printers import render
    print(render("plan", args.format, result, net=net, top=top), end="")
    return 0
