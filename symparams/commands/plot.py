"""symparams plot: a metric drawn against one symbol (matplotlib, the 'plot' extra)."""

from __future__ import annotations

from ._common import (add_convention, add_file, add_set, check_writable, display_name, load_network,
                      time_limit, write_output)
from .sweep import add_vary


def add_parser(sub):
    p = sub.add_parser("plot", help="draw a metric against a symbol (PNG, SVG or PDF)",
                       description="Draw a network total against the first --vary symbol, one line per value "
                                   "of a second --vary symbol; --by-layer stacks where the parameters go. "
                                   "Needs matplotlib (the 'plot' extra).")
    add_file(p)
    add_vary(p)
    from ..metrics import names as all_metrics
    p.add_argument("--metric", default="params", help=", ".join(all_metrics()) + " (default params)")
    p.add_argument("--by-layer", action="store_true", help="stacked areas: the metric of each top-level row")
    p.add_argument("--log", action="store_true", help="logarithmic metric axis")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file: .png, .svg or .pdf")
    add_set(p)
    add_convention(p)
    from .memory import add_cost_options
    add_cost_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import plot, sweep

    vary = sweep.parse_vary(args.vary)
    plot.check_output(args.output)
    check_writable(args.output)
    plot.require_matplotlib()
    net = load_network(args)
    from .memory import metric_names
    with time_limit("the plot", "use fewer points, or give symbols values with --set"):
        plot.plot(net, vary, metric=metric_names(args.metric, args), out=args.output, by_layer=args.by_layer,
                  log=args.log)
    write_output(f"wrote {display_name(args.output)}\n", None)
    return 0
