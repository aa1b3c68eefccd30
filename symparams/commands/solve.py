"""symparams solve: the value of one symbol that meets a parameter (or cost) budget."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, done, load_network, progress, time_limit, write_output


def add_parser(sub):
    p = sub.add_parser("solve", help="largest symbol value under a budget, or values hitting a target",
                       description="Solve a network total for one symbol: the largest value with the metric "
                                   "at most a budget, the smallest with it at least a floor, or every value "
                                   "giving it exactly. Numbers: 100000, 1_000_000, 1e6, 2.5K, 1M, 1G.")
    add_file(p)
    p.add_argument("--for", dest="unknown", metavar="NAME", help="the symbol to solve for")
    goal = p.add_mutually_exclusive_group()
    goal.add_argument("--max-params", "--max", dest="at_most", metavar="N", help="budget: metric <= N")
    goal.add_argument("--params", "--equals", dest="exactly", metavar="N", help="target: metric = N exactly")
    goal.add_argument("--min-params", "--min", dest="at_least", metavar="N", help="floor: metric >= N")
    from ..metrics import names as all_metrics
    p.add_argument("--metric", default="params",
                   help="what the budget bounds: " + ", ".join(all_metrics()) + " (default params)")
    from ..printers import formats
    p.add_argument("--format", choices=formats("solve"), default="text",
                   help="text (formulas as a person writes them) or json (exact numbers, SymPy formulas)")
    p.add_argument("--ascii", action="store_true", help="plain ASCII formulas (9*f^2, sqrt) for plain terminals")
    p.add_argument("--gpus", metavar="N", help="with --gpu: the largest --for value that trains on N GPUs under "
                   "some layout (docs/scale.md); --batch is then the global batch")
    p.add_argument("--gpu", metavar="NAME", help="the GPU of --gpus (h100-sxm, a100-80gb, ..., custom:...)")
    add_set(p)
    add_convention(p)
    from .memory import add_cost_options
    add_cost_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..errors import UsageError
    from ..integers import parse_number

    given = [(k, getattr(args, k)) for k in ("at_most", "exactly", "at_least") if getattr(args, k) is not None]
    if (args.gpus is None) != (args.gpu is None):
        raise UsageError("--gpus and --gpu go together: --gpus 8 --gpu h100-sxm")
    if args.gpus is not None:
        if given:
            raise UsageError("--gpus finds the largest value that trains; it takes no --max-params/--params/--min-params")
        return _on_gpus(args)
    if not given:
        raise UsageError("solve needs a goal: --max-params N, --params N or --min-params N")
    flag = {"at_most": "--max-params", "exactly": "--params", "at_least": "--min-params"}[given[0][0]]
    target = parse_number(given[0][1], flag)
    net = load_network(args)
    from .memory import metric_names
    progress("solving ...")
    try:
        with time_limit("solve", "give the other symbols values with --set, or a metric without "
                        "unsimplified sums"):
            result = net.solve(args.unknown, metric=metric_names(args.metric, args), **{given[0][0]: target})
    finally:
        done()
    from ..printers import render
    write_output(render("solve", args.format, result, ascii=args.ascii), None)
    return 0


def _on_gpus(args) -> int:
    """solve --for NAME --gpus N --gpu GPU: the largest value that trains on N GPUs."""
    import json

    from .. import gpus, planner
    from ..cost import batch_value
    from ..errors import UsageError
    from ..integers import parse_int
    if not args.unknown:
        raise UsageError("--gpus needs --for NAME: the symbol to maximise (width, depth, or the batch symbol)")
    net = load_network(args)
    result = planner.largest_that_trains(net, args.unknown, parse_int(args.gpus, "--gpus"), gpus.find(args.gpu),
                                         batch=batch_value(args.batch), precision=args.precision,
                                         optimizer=args.optimizer, saving=args.saving)
    best = result["fastest"]
    if args.format == "json":
        out = dict(result, fastest=None if best is None else {
            "dp": best.dp, "tp": best.tp, "pp": best.pp, "zero": best.zero, "recompute": best.recompute,
            "microbatches": best.microbatches, "memory_bytes": best.memory_bytes, "step_s": best.step_s})
        write_output(json.dumps(out, indent=2) + "\n", None)
        return 0
    lines = [f"largest {result['symbol']} that trains on {result['gpus']} x {result['gpu']}: "
             f"{result['symbol']} = {result['value']:,}"]
    if best is not None:
        lines.append(f"fastest layout there: dp {best.dp}, tp {best.tp}, pp {best.pp}, zero {best.zero}, "
                     f"recompute {best.recompute}, {best.microbatches} micro-batch(es): {best.memory_bytes:,} bytes per GPU, "
                     f"step {best.step_s:.4g} s")
    write_output("\n".join(lines) + "\n", None)
    return 0
