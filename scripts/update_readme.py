"""Regenerate the README and docs/ sections that show the engine's own output.

Each generated section sits between `<!-- BEGIN generated:NAME -->` and
`<!-- END generated:NAME -->`. Run `python scripts/update_readme.py` after changing
layers or printers; tests/test_readme.py fails when a section is stale.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def documents() -> list[Path]:
    """Every page that may hold generated sections: the README and the docs/ pages."""
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


WIDTH = "100"       # the terminal width the README's terminal output is laid out for


def _cli(*argv: str) -> str:
    import os

    from symparams.cli import main

    out = io.StringIO()
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            main(list(argv))
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before
    return out.getvalue()


def layer_reference() -> str:
    from symparams.commands.layers import describe

    rows = ["| Layer | Arguments | Options | Parameters | What it does |", "|---|---|---|---|---|"]
    for keyword, args, opts, formula, summary, aliases in describe():
        name = f"`{keyword}`" + (f" ({', '.join(f'`{a}`' for a in aliases)})" if aliases else "")
        cell_opts = opts.replace("=", "") if opts else ""
        rows.append(f"| {name} | {args.replace('[', '[').lower() or '—'} | {cell_opts or '—'} | "
                    f"`{formula}` | {summary.replace('|', '/')} |")
    return "\n".join(rows)


def cost_reference(method: str):
    """Each kind's formula for a cost, as its spec states it (the first line of the method's docstring)."""
    def generate() -> str:
        from symparams.layers.base import LayerSpec, kinds

        default = LayerSpec.doc_line(method)
        return "\n".join(f"  - `{spec.keywords[0]}`: {spec.doc_line(method)}" for spec in kinds()
                         if spec.doc_line(method) != default)
    return generate


def command(*argv: str) -> str:
    def generate() -> str:
        shown = " ".join(argv)
        return f"```console\n$ symparams {shown}\n{_cli(*argv).rstrip()}\n```"
    return generate


def api_example() -> str:
    import symparams

    code = '''import symparams
net = symparams.load("examples/lecture_symbolic.arch")
print(net.params)
print(net.symbols)
print(net.layers[1].name, net.layers[1].output_shape, net.layers[1].params)
half = net.subs(n=64, k=5)                 # f stays a symbol
print(half.params)
small = net.subs(n=32, f=64, k=5)          # fully numeric
print(int(small.params))
print(int(net.evaluate().params))'''
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<readme>", "exec"), {"symparams": symparams})
    return f"```python\n{code}\n```\n\n```text\n{out.getvalue().rstrip()}\n```"


def error_example() -> str:
    import os
    import tempfile

    text = "input 28x28x1\nconv 32 3x3 paddin=same\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bad.arch")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            out = _cli("summary", "bad.arch")
        finally:
            os.chdir(cwd)
    return f"```console\n$ cat bad.arch\n{text.rstrip()}\n$ symparams summary bad.arch\n{out.rstrip()}\n```"


def command_usage() -> str:
    from symparams.cli import build_parser

    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices      # argparse keeps subparsers here
    lines = []
    for name, sub in choices.items():
        usage = " ".join(sub.format_usage().split())[len("usage: "):]
        lines.append(f"{usage}\n    {sub.description.splitlines()[0] if sub.description else ''}".rstrip())
    return "```\n" + "\n".join(lines) + "\n```"


def metric_table() -> str:
    """Every metric of the registry (symparams/metrics.py), in its order."""
    from symparams.metrics import REGISTRY
    lines = ["| Metric | Label | What it counts | Unit | × batch | Training options |", "|---|---|---|---|:-:|:-:|"]
    for m in REGISTRY.values():
        what = m.doc + ("" if m.column else " (a network total: no per-layer column)")
        lines.append(f"| `{m.name}` | {m.label} | {what} | {m.unit} | {'yes' if m.batch else ''} | "
                     f"{'yes' if m.training else ''} |")
    return "\n".join(lines)


GENERATORS = {
    "metrics": metric_table,
    "commands": command_usage,
    "error-example": error_example,
    "layers": layer_reference,
    "ops": cost_reference("other_ops"),
    "macs": cost_reference("macs"),
    "summary-seed002": command("summary", "examples/seed002_mnist.arch", "--explain"),
    "summary-lecture": command("summary", "examples/lecture_symbolic.arch"),
    "summary-json": command("summary", "examples/seed000_same_convs.arch", "--format", "json"),
    "api": api_example,
    "solve-llama": command("solve", "examples/zoo/llama_tinyllama.arch", "--for", "layers", "--max-params", "7G"),
    "solve-width": command("solve", "examples/zoo/llama_tinyllama.arch", "--for", "width", "--max-params", "7G"),
    "solve-kv-heads": command("solve", "examples/zoo/llama_tinyllama.arch", "--for", "kv_heads", "--max-params",
                              "1.2G"),
    "sweep-width": command("sweep", "examples/zoo/llama_tinyllama.arch", "--vary", "width=2016:2080:16"),
    "plan-llama3-8": command("plan", "examples/scale/llama3_8b.arch", "--gpus", "8", "--gpu", "h100-sxm", "--batch",
                             "64", "--tokens", "15e12", "--mfu", "0.4", "--top", "5"),
    "plan-llama3-64": command("plan", "examples/scale/llama3_8b.arch", "--gpus", "64", "--gpu", "h100-sxm",
                              "--batch", "512", "--tokens", "15e12", "--mfu", "0.4", "--top", "5"),
    "memory-megatron": command("memory", "examples/scale/llama3_8b.arch", "--precision", "bf16-mixed",
                               "--grad-dtype", "fp32", "--optimizer", "adam", "--recompute", "selective", "--saving", "megatron",
                               "--tp", "4", "--pp", "2", "--dp", "8", "--zero", "1", "--sequence-parallel",
                               "--microbatches", "8"),
    "memory-mistral": command("memory", "examples/scale/mistral_7b.arch", "--inference", "--precision", "bf16",
                              "--weight-dtype", "int4", "--batch", "8", "--gpu", "h100-sxm"),
}


def render(text: str) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        generator = GENERATORS.get(name)
        if generator is None:
            return match.group(0)
        return f"<!-- BEGIN generated:{name} -->\n{generator()}\n<!-- END generated:{name} -->"

    return re.sub(r"<!-- BEGIN generated:([\w-]+) -->.*?<!-- END generated:\1 -->", replace, text, flags=re.S)


def main() -> int:
    import os

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    stale = []
    for path in documents():
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if "--check" not in sys.argv:
                path.write_text(new, encoding="utf-8")
    if stale and "--check" in sys.argv:
        print(f"stale: {', '.join(map(str, stale))}: run python scripts/update_readme.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
