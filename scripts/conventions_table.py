"""Where Keras and PyTorch count or size differently, as formulas computed by the engine.

    python scripts/conventions_table.py            # print the table
    python scripts/conventions_table.py --write    # rewrite the docs/conventions.md section between the markers
    python scripts/conventions_table.py --check    # exit 1 when that section is stale

Every cell is what symparams derives for a small DSL program under each convention (or the
error it raises), so the README documents what is computed, never a hand-typed formula.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "docs" / "conventions.md"     # the page that holds the table
BEGIN = "<!-- BEGIN conventions-table (scripts/conventions_table.py) -->"
END = "<!-- END conventions-table -->"

# (what differs, DSL program, what to show: 'params' of the last layer, or 'length' of its first output axis)
CASES = [
    ("batch norm on C channels", "input n x n x C\nbatchnorm", "params"),
    ("batch norm: of which non-trainable", "input n x n x C\nbatchnorm", "non_trainable"),
    ("batch norm: buffers (not parameters)", "input n x n x C\nbatchnorm", "buffers"),
    ("simple RNN, U units on T x D", "input T x D\nrnn U", "params"),
    ("LSTM, U units on T x D", "input T x D\nlstm U", "params"),
    ("GRU, U units on T x D (Keras reset_after=True)", "input T x D\ngru U", "params"),
    ("bidirectional LSTM", "input T x D\nlstm U bidirectional=true", "params"),
    ("attention, h heads on T x d", "input T x d\nattention heads=h", "params"),
    ("attention, h heads of key_dim k", "input T x d\nattention heads=h key_dim=k", "params"),
    ("attention, h heads, g key/value heads (grouped-query)", "input T x d\nattention heads=h kv_heads=g bias=false", "params"),
    ("batch norm scale=false on C channels", "input 8 x 8 x C\nbatchnorm scale=false", "params"),
    ("rms norm on D", "input T x D\nrmsnorm", "params"),
    ("padding=same, stride s: output length", "input n x n x C\nconv F K stride=s padding=same", "length"),
    ("padding=same, stride 1: output length", "input n x n x C\nconv F K padding=same", "length"),
    ("transposed conv 'valid', stride s: output length", "input n x n x C\ndeconv F K stride=s", "length"),
    ("conv kernel tensor", "input n x n x C\nconv F K", "kernel"),
    ("dense kernel tensor", "input D\ndense U", "kernel"),
]


def cell(program: str, show: str, convention: str) -> str:
    import symparams
    from symparams.printers.common import fmt_expr
    from symparams.printers.math import shape as shape_text

    try:
        net = symparams.parse(program, convention=convention)
    except symparams.SymparamsError as exc:
        return "not allowed: " + exc.message.split(";")[0]
    row = net.layers[-1]
    if show == "params":
        value = row.params
    elif show == "non_trainable":
        value = row.non_trainable_params
    elif show == "buffers":
        value = row.buffers
    elif show == "length":
        value = row.output_shape[0]
    else:
        weight = row.weights[0]
        return f"`{weight.name}` {shape_text(weight.shape, 'sympy')}"
    import sympy
    return f"`{fmt_expr(sympy.factor(value) if show == 'params' else value)}`"


def table() -> str:
    lines = ["| What | Keras | PyTorch |", "|---|---|---|"]
    for what, program, show in CASES:
        keras, torch = cell(program, show, "keras"), cell(program, show, "pytorch")
        lines.append(f"| {what} | {keras} | {torch} |")
    return "\n".join(lines)


def section() -> str:
    return (f"{BEGIN}\n"
            "Computed by the engine for the programs in `scripts/conventions_table.py` "
            "(`--convention keras` / `--convention pytorch`); `symparams check` confirms them on the real "
            "frameworks.\n\n"
            f"{table()}\n{END}")


def rewrite(text: str) -> str:
    pattern = re.escape(BEGIN) + r".*?" + re.escape(END)
    if not re.search(pattern, text, flags=re.S):
        raise SystemExit(f"docs/conventions.md has no '{BEGIN}' marker")
    return re.sub(pattern, lambda _: section(), text, count=1, flags=re.S)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--write" in argv or "--check" in argv:
        text = README.read_text(encoding="utf-8")
        new = rewrite(text)
        if "--check" in argv:
            if new != text:
                print("docs/conventions.md's table is stale; run python scripts/conventions_table.py --write")
                return 1
            return 0
        README.write_text(new, encoding="utf-8")
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
