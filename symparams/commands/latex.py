"""symparams latex: the layer table, the worked derivation and the totals as LaTeX."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, add_short_names, check_writable, load_network, time_limit, write_output


def add_parser(sub):
    p = sub.add_parser("latex", help="LaTeX table, derivation and totals (fragment, article or beamer slides)",
                       description="Write the layer table (booktabs), the worked derivation (align*) or the "
                                   "closed-form totals as LaTeX: a fragment to paste, a complete article "
                                   "(--standalone) or beamer slides (--beamer).")
    add_file(p)
    add_set(p)
    add_convention(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--table", dest="parts", action="store_const", const=("table",),
                      help="the layer table (default, except with --beamer)")
    what.add_argument("--derivation", dest="parts", action="store_const", const=("derivation",),
                      help="each layer's formula, arithmetic and value, then the total")
    what.add_argument("--totals", dest="parts", action="store_const", const=("totals",),
                      help="just the closed-form totals as display math")
    what.add_argument("--all", dest="parts", action="store_const", const=("table", "derivation", "totals"),
                      help="table, derivation and totals")
    doc = p.add_mutually_exclusive_group()
    doc.add_argument("--standalone", dest="mode", action="store_const", const="standalone",
                     help="a complete article document")
    doc.add_argument("--beamer", dest="mode", action="store_const", const="beamer",
                     help="beamer slides: by default a summary deck (architecture, one slide per block, totals, "
                          "worked arithmetic); with --detail or a part option, every layer")
    p.add_argument("-o", "--output", metavar="OUT.tex", help="write to this file instead of standard output")
    p.add_argument("--detail", action="store_true",
                   help="with --beamer: every layer (table, derivation and totals) instead of the summary deck")
    add_short_names(p, auto=True)
    p.add_argument("--title", help="the document's title (default: the file name)")
    p.add_argument("--author", help="the author on the title (--standalone, --beamer)")
    p.add_argument("--date", help="the date on the title (--standalone, --beamer; default: none)")
    from ..metrics import columns as metric_columns
    p.add_argument("--columns", default="params", metavar="COL[,COL...]",
                   help="metric columns in the table, with a total each (table, totals): "
                        + ", ".join(metric_columns()) + " (default params; as summary --columns, at its "
                        "default cost options; docs/compute.md says what each counts)")
    p.set_defaults(run=run, parts=None, mode="fragment")


def run(args) -> int:
    from ..printers import latex

    if args.output:
        check_writable(args.output)
    columns = ("params",)
    if args.columns != "params":
        from ..cost import check_columns
        columns = check_columns(args.columns)      # an unknown name fails before the file is read
    net = load_network(args)
    if columns != ("params",):
        net.at_defaults()      # as summary: the numbers shown at the defaults come from a possible network
        with time_limit("the metric columns", "sums over a symbolic repeat that do not simplify are the usual "
                        "cause; give the repeat count a value with --set NAME=N"):
            text = _render(latex, net, args, columns)
    else:
        text = _render(latex, net, args, columns)
    write_output(text, args.output)
    return 0


def _render(latex, net, args, columns) -> str:
    return latex.render(net, args.parts, args.mode, detail=args.detail, short_names=args.short_names,
                        title=args.title, author=args.author, date=args.date, columns=columns)
