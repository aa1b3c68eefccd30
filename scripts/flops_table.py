"""The FLOP-convention table: GPT-2 small (examples/zoo/gpt2_small.arch, T = 1024, one sequence)
under each --flops convention, computed by the engine.

It fills the section between `<!-- BEGIN generated:flops-conventions -->` and
`<!-- END generated:flops-conventions -->` in docs/cost.md, and in README.md where that marker
pair exists; likewise `memory-example` (the memory command on GPT-2 small) and
`compute-optimal-example` (solve for the depth that fits a compute budget). `python scripts/flops_table.py --check` exits 1 when a section is stale (the tests
run it); without arguments it rewrites them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = [ROOT / "docs" / "cost.md", ROOT / "README.md"]
MARKER = "flops-conventions"
COMMANDS = {
    "memory-example": ("memory", "examples/zoo/gpt2_small.arch", "--optimizer", "adamw", "--precision", "bf16-mixed",
                       "--batch", "b", "--recompute", "selective", "--budget", "80GB", "--for", "b"),
    "compute-optimal-example": ("solve", "examples/zoo/gpt2_small.arch", "--for", "layers", "--metric",
                                "train_compute", "--tokens", "20N", "--flops", "chinchilla", "--max", "1e20"),
}

WHY = {
    "torch": "what FlopCounterMode counts: 2 per MAC of every product (attention scores included, the "
             "embedding lookup not), backward = the weight and input gradient of each product",
    "kaplan": "Table 1: 6·N + 6·n_layer·n_ctx·d_attn per token, N without any vocabulary or position matrix "
              "(no logits, tied or not); the scores' logits only, not their weighted sum of the values",
    "palm": "6·N + 12·L·H·Q·T per token, N with the output head's matrix once (tied or not) but not the "
            "position table: the scores' two products counted apart, biases and norms' weights as if multiplied",
    "chinchilla": "appendix F: the embedding lookup and the logits as products (2·T·V·D each), 3 FLOPs per "
                  "softmax score, backward = 2 x forward",
}


def table() -> str:
    sys.path.insert(0, str(ROOT))
    import symparams
    from symparams import cost

    net = symparams.load(ROOT / "examples" / "zoo" / "gpt2_small.arch").evaluate()
    rows = ["| `--flops` | Forward | Training step | Per token | N used | Why it differs |",
            "|---|---:|---:|---:|---:|---|"]
    for convention in cost.FLOP_CONVENTIONS:
        options = cost.Options(flops=convention)
        got = cost.totals(net, ("flops", "train_flops", "train_flops_token"), options)
        n = cost.convention_params(net, cost.flow(net, options).total, net.params, convention)
        shown = f"{int(n):,}" if convention in ("kaplan", "palm") else "—"
        rows.append(f"| `{convention}` | {int(got['flops']):,} | {int(got['train_flops']):,} | "
                    f"{int(got['train_flops_token']):,} | {shown} | {WHY[convention]} |")
    command = "symparams summary examples/zoo/gpt2_small.arch --columns flops,train_flops --flops CONVENTION"
    return ("GPT-2 small (124,439,808 parameters, T = 1,024, one sequence), from the engine "
            f"(`python scripts/flops_table.py`; each row is `{command}`):\n\n" + "\n".join(rows))


WIDTH = "100"       # the terminal width the page's command output is laid out for


def command(argv) -> str:
    import contextlib
    import io
    import os
    sys.path.insert(0, str(ROOT))
    from symparams.cli import main as cli
    out = io.StringIO()
    here, before = os.getcwd(), os.environ.get("COLUMNS")
    os.chdir(ROOT)
    os.environ["COLUMNS"] = WIDTH       # the printers fit COLUMNS: the same page whatever the caller's terminal
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            cli(list(argv))
    finally:
        os.chdir(here)
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before
    return f"```console\n$ symparams {' '.join(argv)}\n{out.getvalue().rstrip()}\n```"


def render(text: str) -> str:
    makers = {MARKER: table, **{name: (lambda argv=argv: command(argv)) for name, argv in COMMANDS.items()}}
    for name, make in makers.items():
        pattern = re.compile(rf"<!-- BEGIN generated:{name} -->.*?<!-- END generated:{name} -->", re.S)
        if pattern.search(text):
            body = make()
            text = pattern.sub(lambda m: f"<!-- BEGIN generated:{name} -->\n{body}\n<!-- END generated:{name} -->",
                               text)
    return text


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stale = []
    for path in TARGETS:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(new, encoding="utf-8")
    if stale and "--check" in argv:
        print("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale) + " (run python scripts/flops_table.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
