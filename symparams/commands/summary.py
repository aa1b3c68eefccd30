"""symparams summary: the layer table with formulas and numbers."""

from __future__ import annotations

from ..errors import UsageError
from ._common import add_convention, add_file, add_set, add_short_names, load_network, time_limit, write_output


def add_parser(sub):
    p = sub.add_parser("summary", help="layer table: output shapes, parameter formulas and counts",
                       description="Print every layer's output shape and parameter formula and count, "
                                   "and the totals, as formulas in the symbols and as numbers at their defaults.")
    add_file(p)
    add_set(p)
    add_convention(p)
    from ..printers import formats
    p.add_argument("--format", choices=formats("summary"), default="text")
    p.add_argument("--explain", action="store_true",
                   help="show each layer's arithmetic step by step (JSON: an 'arithmetic' list)")
    p.add_argument("--ascii", action="store_true", help="plain ASCII formulas (2f^2k^2, ceil(n/4)) for plain terminals")
    p.add_argument("--expand", action="store_true",
                   help="show every pass of a repeat in full (default: a pass with the first pass's layers is one line)")
    add_short_names(p, auto=True)
    from ..metrics import columns as metric_columns
    p.add_argument("--columns", default="params", metavar="COL[,COL...]",
                   help="columns to show, with a total each: " + ", ".join(metric_columns()) + " (default params; "
                        "docs/compute.md says what each counts)")
    p.add_argument("--batch", default="1", metavar="B",
                   help="batch size (a number or a symbol name): multiplies macs, flops, ops and activations")
    from ..choices import DTYPE_BYTES
    p.add_argument("--dtype", default="float32", choices=tuple(DTYPE_BYTES),
                   help="bytes per value for act_bytes and param_bytes (default float32)")
    p.add_argument("--bias-adds", action="store_true",
                   help="count one FLOP per bias addition on top of 2 per MAC")
    p.add_argument("--numbers", action="store_true",
                   help="numbers only: each layer's output shape and parameter count and the totals at the "
                        "defaults (and --set values), without formulas or validity conditions; one derive "
                        "on the numbers, faster. Text or JSON; the params column only")
    from .memory import add_cost_options
    add_cost_options(p, batch=False)
    p.set_defaults(run=run)


def run(args) -> int:
    if args.numbers:
        return _numbers(args)
    columns, options = ("params",), None
    if args.columns != "params" or args.batch != "1" or args.dtype != "float32" or args.bias_adds:
        from .. import cost
        from .memory import cost_options
        columns = cost.check_columns(args.columns)
        options = cost_options(args)
    net = load_network(args)
    net.at_defaults()          # the numbers shown at the defaults must come from a possible network
    if columns != ("params",):
        with time_limit("the cost columns", "sums over a symbolic repeat that do not simplify are the usual "
                        "cause; give the repeat count a value with --set NAME=N"):
            text = _render(net, args, columns, options)
    else:
        text = _render(net, args, columns, options)
    write_output(text, None)
    return 0


def _render(net, args, columns, options) -> str:
    from ..printers import render
    return render("summary", args.format, net, columns=columns, cost_options=options, explain=args.explain,
                  ascii=args.ascii, expand=args.expand, short_names=args.short_names)


def _numbers(args) -> int:
    """summary --numbers: one derive at the values (on Python ints without SymPy where it can be:
    engine/numbers.py), the numbers printer (printers/numbers.py), which refuses a network it cannot
    print as numbers only rather than print a formula."""
    others = [flag for flag, given in (("--explain", args.explain), ("--ascii", args.ascii),
                                       ("--columns", args.columns != "params"), ("--batch", args.batch != "1"),
                                       ("--dtype", args.dtype != "float32"), ("--bias-adds", args.bias_adds),
                                       ("--format markdown", args.format == "markdown"),
                                       ("--format csv", args.format == "csv")) if given]
    if others:
        raise UsageError(f"--numbers prints the parameter numbers only (text or JSON); {others[0]} needs the "
                         "full summary: drop --numbers")
    from ..printers import numbers
    net = load_network(args, at_values=True, on_ints=True)
    text = numbers.json_text(net, args.expand) if args.format == "json" else numbers.text(net, expand=args.expand)
    write_output(text, None)
    return 0
