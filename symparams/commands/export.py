"""symparams export: runnable PyTorch or Keras source for an architecture."""

from __future__ import annotations

from ._common import add_file, add_set, check_writable, load_network, write_output


def add_parser(sub):
    p = sub.add_parser("export", help="write PyTorch or Keras code that builds the network",
                       description="Write runnable Python (an nn.Module, or a Keras 3 functional model) that builds "
                                   "the network with every symbol at its value, one line per layer, names kept.")
    add_file(p)
    p.add_argument("--to", required=True, choices=("pytorch", "keras"), help="the framework to write code for")
    add_set(p)
    p.add_argument("--convention", choices=("keras", "pytorch"), default=None,
                   help="rules the network is derived with; keras allows strided padding=same, which the "
                        "PyTorch code writes as explicit padding (default: the --to framework's)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the code here instead of standard output")
    p.set_defaults(run=run)


def run(args) -> int:
    # only text is written: the framework need not be installed here (it is where the code runs)
    from ..frameworks import keras_export, torch_export

    args.convention = args.convention or args.to
    if args.output:
        check_writable(args.output)
    net = load_network(args)
    text = torch_export.export(net) if args.to == "pytorch" else keras_export.export(net)
    write_output(text, args.output)
    return 0
