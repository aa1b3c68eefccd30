"""symparams sweep: exact metric values over a grid of symbol values."""

from __future__ import annotations

from ._common import (add_convention, add_file, add_set, check_writable, done, load_network, progress,
                      time_limit, write_output)


def add_vary(p, required=True):
    p.add_argument("--vary", action="append", default=[], required=required, metavar="NAME=VALUES",
                   help="a symbol and its values: n=16:256:16 (start:stop:step, stop included), "
                        "f=8:128 (step 1) or f=16,32,64; repeat for a grid")


def add_parser(sub):
    p = sub.add_parser("sweep", help="metric values over a grid of symbol values",
                       description="Evaluate network totals exactly on every point of a grid of symbol "
                                   "values (compiled integer arithmetic; exact beyond 2^63). Points where the "
                                   "network is not valid have no count: the condition they break is named instead "
                                   "(an 'invalid' column in CSV and JSON, 'invalid: ...' in text).")
    add_file(p)
    add_vary(p)
    from ..metrics import names as all_metrics
    p.add_argument("--metric", action="append", default=[], metavar="NAME",
                   help=", ".join(all_metrics()) + " (default params); repeatable")
    from ..printers import formats
    p.add_argument("--format", choices=formats("sweep"), default="text")
    p.add_argument("--plot", metavar="OUT", help="also draw the first metric to OUT (.png, .svg or .pdf)")
    add_set(p)
    add_convention(p)
    from .memory import add_cost_options
    add_cost_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import sweep
    from ..errors import UsageError
    from ..printers import render

    vary = sweep.parse_vary(args.vary)
    from .memory import metric_names
    metrics = metric_names(args.metric or ["params"], args)
    if args.plot:                       # before any work, and before the table is printed
        from .. import plot
        plot.check_output(args.plot)
        check_writable(args.plot)
        plot.require_matplotlib()
        if len(vary) > 2:
            raise UsageError("--plot draws one symbol against another at most: give one or two --vary")
    sweep.check_size(vary, len(metrics))
    net = load_network(args)
    progress(f"evaluating {sweep.points(vary):,} points ...")
    try:
        with time_limit("the sweep", "use fewer points, or give symbols values with --set"):
            g = sweep.grid(net, vary, metrics)
            text = render("sweep", args.format, g)
            if args.plot:
                plot.plot(net, vary, metric=metrics[0], out=args.plot)
    finally:
        done()
    write_output(text, None)
    return 0
