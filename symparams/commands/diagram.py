"""symparams diagram: the architecture as boxes and arrows (TikZ or SVG)."""

from __future__ import annotations

from ._common import add_convention, add_file, add_set, check_writable, load_network, write_output


def add_parser(sub):
    p = sub.add_parser("diagram", help="draw the architecture as TikZ (.tex) or SVG (.svg)",
                       description="Draw one box per layer with its output shape; residual, concat and add "
                                   "branches side by side, repeats framed with their count. The format follows "
                                   "the extension of -o (.tex or .svg) unless --format is given.")
    add_file(p)
    add_set(p)
    add_convention(p)
    p.add_argument("-o", "--output", metavar="OUT.tex|OUT.svg", help="write here (default: TikZ on standard output)")
    from ..printers import formats
    p.add_argument("--format", choices=formats("diagram"), help="tikz or svg (default: from the extension of -o)")
    p.add_argument("--fragment", action="store_true",
                   help="TikZ: only the tikzpicture (needs \\usepackage{tikz}), not a standalone document")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..errors import UsageError
    from ..printers import render

    fmt = args.format
    if fmt is None:
        out = (args.output or "").lower()
        if out.endswith(".svg"):
            fmt = "svg"
        elif out.endswith(".tex") or not out:
            fmt = "tikz"
        else:
            raise UsageError(f"cannot tell the format from '{args.output}': use a .tex or .svg name, or --format")
    if fmt == "svg" and args.fragment:
        raise UsageError("--fragment is for TikZ output; an SVG is always a complete document")
    if args.output:
        check_writable(args.output)
    net = load_network(args)
    text = render("diagram", fmt, net, fragment=args.fragment)
    write_output(text, args.output)
    return 0
