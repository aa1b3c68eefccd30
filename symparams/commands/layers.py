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
    from ..printers.text import terminal_text, terminal_width, wrap_words

    width = max(terminal_width(), 60)
    head_width = 24 if width < 100 else 32          # the keyword and its arguments; longer ones get a line
    indent = " " * (head_width + 1)
    lines = []
    for keyword, arguments, options, formula, summary, aliases in describe():
        head = f"{keyword} {arguments}".strip()
        fields = [f"params: {formula}", summary, f"options: {options}" if options else "",
                  f"also: {', '.join(aliases)}" if aliases else ""]
        first = True
        if len(head) > head_width:
            lines.append(head)
            first = False
        for field in filter(None, fields):
            for piece in wrap_words(field, width - len(indent), "  "):
                lines.append((f"{head:{head_width}} " if first else indent) + piece)
                first = False
    print("\n".join(terminal_text(line) for line in lines))
    return 0
