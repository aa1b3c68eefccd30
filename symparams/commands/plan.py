"""symparams plan: the parallel layouts of N GPUs that fit, ranked by estimated step time
(symparams/planner.py), and why each rejected family does not fit."""

from __future__ import annotations

import json

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
    from ..memory import OPTIMIZERS, PRECISIONS
    p.add_argument("--precision", default="bf16-mixed", choices=tuple(PRECISIONS), help="(default bf16-mixed)")
    p.add_argument("--optimizer", default="adamw", choices=tuple(OPTIMIZERS), help="(default adamw)")
    p.add_argument("--top", default="10", metavar="K", help="layouts shown in the text output (default 10)")
    p.add_argument("--format", choices=("text", "json"), default="text")
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
    if args.format == "json":
        print(json.dumps(as_dict(result, net), indent=2))
    else:
        print(render(result, net, top), end="")
    return 0


def as_dict(result, net) -> dict:
    g = result.gpu
    return {"file": net.program.file, "gpus": result.gpus, "batch": result.batch,
            "gpu": {"name": g.name, "bf16_flops": g.bf16, "bandwidth": g.bandwidth, "memory": g.memory,
                    "link": g.link, "source": g.source},
            "options": result.options,
            "layouts": [{"dp": c.dp, "tp": c.tp, "pp": c.pp, "zero": c.zero, "recompute": c.recompute,
                         "microbatches": c.microbatches, "memory_bytes": c.memory_bytes, "step_s": c.step_s,
                         "training_s": c.training_s, "comm_bytes": c.comm} for c in result.layouts],
            "rejected": result.rejected}


def render(result, net, top: int) -> str:
    g = result.gpu
    lines = [f"Plan: {net.program.file or '<text>'} on {result.gpus} x {g.name} "
             f"({g.memory / 2 ** 30:,.1f} GiB, {g.bf16 / 1e12:,.0f} TFLOP/s bf16), global batch {result.batch}, "
             f"{result.options['precision']}, {result.options['optimizer']}, mfu {result.options['mfu']}",
             f"{len(result.layouts)} layouts fit; the fastest {min(top, len(result.layouts))}:",
             f"  {'dp':>4} {'tp':>3} {'pp':>3} {'zero':>4} {'recompute':>9} {'M':>5} {'memory/GPU':>12} {'step':>10}"
             + ("   training" if result.options["tokens"] is not None else "")]
    for c in result.layouts[:top]:
        line = (f"  {c.dp:>4} {c.tp:>3} {c.pp:>3} {c.zero:>4} {c.recompute:>9} {c.microbatches:>5} "
                f"{c.memory_bytes / 2 ** 30:>8,.1f} GiB {c.step_s:>9.3f}s")
        if c.training_s is not None:
            line += f"   {c.training_s / 86400:,.1f} days"
        lines.append(line)
    if result.rejected:
        lines.append("Rejected:")
        for r in result.rejected:
            fam = ", ".join(f"{k} {v}" for k, v in r["family"].items())
            lines.append(f"  {fam}: {r['reason']}")
    return "\n".join(lines) + "\n"
