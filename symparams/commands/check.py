"""symparams check: build the network with PyTorch or Keras and compare every layer."""

from __future__ import annotations

from ._common import add_file, add_set, done, load_network, progress, write_output


def add_parser(sub):
    p = sub.add_parser("check", help="compare counts and shapes with a real PyTorch or Keras model",
                       description="Build the exported model with the framework, run it on zeros of the input "
                                   "shape, and compare each layer's parameter count and output shape with "
                                   "symparams'. Parameters are counted by the --against framework's rules; "
                                   "--convention decides shapes and padding. Exit 0 only when every layer agrees.")
    add_file(p)
    p.add_argument("--against", required=True, choices=("pytorch", "keras"), help="the framework to compare with")
    add_set(p)
    p.add_argument("--convention", choices=("keras", "pytorch"), default=None,
                   help="rules for sizes and padding, e.g. keras for strided padding=same "
                        "(default: the --against framework's; counts always follow --against)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..frameworks import check
    from ..frameworks.plan import need

    args.convention = args.convention or args.against
    net = load_network(args)
    need("torch" if args.against == "pytorch" else "keras", args.against)
    progress(f"building the model with {'PyTorch' if args.against == 'pytorch' else 'Keras'} and comparing ...")
    try:
        report = check.check(net, args.against)
    finally:
        done()
    write_output(check.render(report), None)
    return 0 if report.ok else 1
