"""Every output format is one printer function registered by name (symparams/printers/__init__.py
FORMATS): each command takes its --format choices from the registry, and each command runs in
every format it lists, giving output of that format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from symparams.cli import build_parser, main
from symparams.printers import FORMATS, formats, renderer

ROOT = Path(__file__).resolve().parent.parent
LECTURE = str(ROOT / "examples" / "lecture_symbolic.arch")
WIDTH = str(ROOT / "examples" / "seed002_width.arch")
TINY_LM = "let T = 16\ninput T\nembedding 64 16\nattention heads=2\ndense 64\n"

# the arguments that give each command something to render
ARGS = {
    "summary": [LECTURE, "--columns", "params,flops,act_bytes"],
    "solve": [WIDTH, "--for", "f", "--max-params", "100000"],
    "sweep": [LECTURE, "--vary", "f=8,16"],
    "memory": [LECTURE],
    "plan": ["{lm}", "--gpus", "2", "--gpu", "h100-sxm", "--batch", "2"],
    "diagram": [LECTURE],
}


def _subparsers():
    parser = build_parser()
    return parser._subparsers._group_actions[0].choices     # argparse keeps subparsers here


def test_every_format_option_reads_the_registry():
    """A command with --format lists exactly its registered formats; a registered command has one."""
    with_format = {}
    for name, sub in _subparsers().items():
        for action in sub._actions:
            if "--format" in action.option_strings:
                with_format[name] = tuple(action.choices)
    assert with_format == {c: formats(c) for c in FORMATS}


def test_every_registered_printer_exists():
    for command, table in FORMATS.items():
        for fmt in table:
            assert callable(renderer(command, fmt)), (command, fmt)


def _check(fmt: str, out: str):
    assert out.strip(), "no output"
    if fmt == "json":
        json.loads(out)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert len(rows) >= 2 and len({len(r) for r in rows}) == 1, rows[:3]
    elif fmt == "markdown":
        assert "|---" in out
    elif fmt == "svg":
        assert out.lstrip().startswith("<svg") or "<svg" in out[:200]
    elif fmt == "tikz":
        assert "tikzpicture" in out


@pytest.mark.parametrize("command, fmt", [(c, f) for c, table in FORMATS.items() for f in table])
def test_every_command_runs_in_every_format(command, fmt, tmp_path, capsys):
    lm = tmp_path / "lm.arch"
    lm.write_text(TINY_LM, encoding="utf-8")
    args = [a.format(lm=lm) for a in ARGS[command]]
    assert main([command, *args, "--format", fmt]) == 0, capsys.readouterr().err
    _check(fmt, capsys.readouterr().out)


def test_summary_csv_carries_each_row_and_column():
    """The CSV demo format: one line per table row, a field and its value per cost column."""
    import symparams
    from symparams import cost
    from symparams.printers import render
    net = symparams.load(LECTURE)
    rows = list(csv.DictReader(io.StringIO(render("summary", "csv", net, columns=("params", "flops"),
                                                 cost_options=cost.Options()))))
    assert [r["name"] for r in rows] == [row.name for _, row in net.walk()] + ["total"]
    total = rows.pop()
    assert total["params_value"] == str(int(net.evaluate().params))
    flops = cost.row_costs(net, ("flops",))
    from symparams.printers.view import view
    v = view(net)
    by_name = {row.name: row for _, row in net.walk()}
    for r in rows:
        value = v.value(flops[by_name[r["name"]]]["flops"])
        assert r["flops_value"] == ("" if value is None else str(int(value))), r
        assert r["params_value"] == str(int(v.value(by_name[r["name"]].params)))
