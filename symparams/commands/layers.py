"""symparams layers: every layer kind with its arguments, options and parameter formula."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser("layers", help="list every layer kind with its formula",
                       description="List every layer kind: its arguments, options, parameter formula and aliases.")
    p.set_defaults(run=run)


def describe():
    from ..layers import REGISTRY
    seen = []
    for keyword, spec in REGISTRY.items():
        if spec in [s for _, s in seen]:
            continue
        seen.append((keyword, spec))
    for keyword, spec in seen:
        args = " ".join(a.name.upper() if a.required else f"[{a.name.upper()}]" for a in spec.arguments)
        from ..layers.base import range_text
        # each whole-number option states its range (layers/base.py MINIMUM), e.g. 'relbias= (≥ 0)'
        opts = ", ".join(f"{name}=" + (f" ({range_text(opt.kind)})" if range_text(opt.kind) else "")
                         for name, opt in spec.options.items())
        aliases = [k for k, s in REGISTRY.items() if s is spec and k != keyword]
        yield keyword, args, opts, spec.formula or "0", spec.summary, aliases


def run(args) -> int:
    for keyword, arguments, options, formula, summary, aliases in describe():
        head = f"{keyword} {arguments}".strip()
        print(f"{head:32} params: {formula}")
        print(f"{'':32} {summary}")
        if options:
            print(f"{'':32} options: {options}")
        if aliases:
            print(f"{'':32} also: {', '.join(aliases)}")
    return 0
