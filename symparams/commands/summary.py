"""symparams summary: the layer table with formulas and numbers."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, load_network


def add_parser(sub):
    p = sub.add_parser("summary", help="layer table: output shapes, parameter formulas and counts",
                       description="Print every layer's output shape and parameter formula and count, "
                                   "and the totals, as formulas in the symbols and as numbers at their defaults.")
    add_file(p)
    add_set(p)
    add_convention(p)
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--explain", action="store_true", help="show each layer's arithmetic step by step")
    p.set_defaults(run=run)


def run(args) -> int:
    net = load_network(args)
    if args.format == "json":
        from ..printers import jsonout
        text = jsonout.render(net)
    elif args.format == "markdown":
        from ..printers import markdown
        text = markdown.render(net)
    else:
        from ..printers import text as text_printer
        text = text_printer.render(net, explain=args.explain)
    print(text, end="")
    return 0
