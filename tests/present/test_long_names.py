"""Issue 22 item 1: long names (every imported config has them) fit the terminal.

The text summary and memory fit 80 and 100 columns for every example, zoo and imported file, with
no symbol name cut; the short names (L = num_hidden_layers) are display only: every number printed
with them is the number printed without them."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams import cli, memory_report, notation
from symparams import cost
from symparams.printers import memory as memory_printer
from symparams.printers import text

from conftest import EXAMPLES

FILES = sorted(EXAMPLES.glob("*.arch")) + sorted((EXAMPLES / "zoo").glob("*.arch")) + \
    sorted((EXAMPLES / "scale").glob("*.arch"))


def _run(*args, columns: int, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return out.getvalue()


def _whole_names(out: str, net) -> None:
    """Every symbol name the output shows is whole: no line ends inside one."""
    names = {s.name for s in net.symbols} | set(notation.short_names({s.name for s in net.symbols}).values())
    for line, after in zip(out.splitlines(), out.splitlines()[1:]):
        for cell, nxt in zip(line.split("│"), after.split("│")):
            tail = re.search(r"[A-Za-z_]+$", cell.rstrip(" ")) if cell.endswith(" ") or len(cell) else None
            head = re.match(r"\s*([A-Za-z_]+)", nxt)
            if tail and head and cell.rstrip(" ") == cell.rstrip():
                joined = tail.group(0) + head.group(1)
                assert not (joined in names and tail.group(0) not in names), f"{joined} cut:\n{line}\n{after}"


def _check_fits(path, monkeypatch):
    net = symparams.load(path)
    for columns in (80, 100):
        for command in ("summary", "memory"):
            out = _run(command, str(path), columns=columns, monkeypatch=monkeypatch)
            over = [line for line in out.splitlines() if len(line) > columns]
            assert not over, f"{command} {path.name} at {columns}: {len(over)} lines over, e.g.\n{over[0]}"
            if command == "summary":
                _whole_names(out, net)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_examples_fit_80_and_100_columns(path, monkeypatch):
    _check_fits(path, monkeypatch)


def test_imported_families_fit_80_and_100_columns(hf_files, monkeypatch):
    for family, path in hf_files.items():
        _check_fits(path, monkeypatch)


def test_imported_llama_reads_with_short_names(hf_files, monkeypatch):
    """At 80 columns the table cannot hold num_hidden_layers whole: it shows L and says so."""
    out = _run("summary", str(hf_files["llama"]), columns=80, monkeypatch=monkeypatch)
    assert "L = num_hidden_layers = 32" in out and "H_kv = num_key_value_heads = 32" in out
    assert "max_position_e" not in out.split("Symbols:")[0]          # no name is cut in the table
    assert "Total params: d²(2L + 2·H_kv·L/H) + d(3L·d_ff + 2L + 2V + 1) = 6,738,415,616" in out
    wide = _run("summary", str(hf_files["llama"]), columns=400, monkeypatch=monkeypatch)
    assert "num_hidden_layers" in wide.split("Symbols:")[0] and "L = num_hidden_layers" not in wide
    long = _run("summary", str(hf_files["llama"]), "--long-names", columns=80, monkeypatch=monkeypatch)
    assert "L = num_hidden_layers" not in long


def _numbers(out: str) -> list[str]:
    return re.findall(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?", out)


@pytest.mark.parametrize("family", ["llama", "mixtral", "t5", "gpt2"])
def test_short_names_are_display_only(hf_files, family):
    """The same numbers, in the same order, with and without short names: in the summary (with
    cost columns too) and in memory; and the formulas are the same with the letters put back."""
    net = symparams.load(hf_files[family])
    mapping = text.legend_names(net)
    assert mapping and all(len(short) < len(long) for long, short in mapping.items())

    def shown(short):
        """Per row: the label, the shape at the defaults, the count and the FLOPs; each total's number."""
        out = text.render(net, width=10**6, short_names=short, columns=("params", "flops"))
        cols = None
        got = []
        for line in out.split("Symbols:")[0].splitlines():
            cells = [c.strip() for c in line.split("│")]
            if cols is None and "Param #" in cells:
                cols = [cells.index(h) for h in ("At defaults", "Param #", "FLOPs")]
            elif cols and len(cells) > max(cols):
                got.append(tuple(cells[k] for k in cols))
            elif ": " in line and " = " in line:
                got.append(line.rsplit(" = ", 1)[1])
        return got
    plain, short = shown(False), shown(True)
    assert len(plain) > 10 and short == plain
    rep = memory_report.report(net, cost.Options())
    m_plain = memory_printer.render(rep, net, width=10**6).split("Symbols:")[0]
    m_short = memory_printer.render(rep, net, width=10**6, short_names=True).split("Symbols:")[0]
    assert [n for n in _numbers(m_short) if "," in n] == [n for n in _numbers(m_plain) if "," in n]


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(st.sets(st.from_regex(r"[a-z]{1,6}(_[a-z]{1,8}){0,3}", fullmatch=True), max_size=12),
       st.sets(st.sampled_from(["d", "L", "H", "V", "T", "d_ff", "H_kv"]), max_size=4))
def test_short_names_are_unique_and_free(names, taken):
    out = notation.short_names(names, taken=taken | names)
    assert set(out) == {n for n in names if len(n) > notation.LONG_NAME}
    shorts = list(out.values())
    assert len(set(shorts)) == len(shorts)
    assert not set(shorts) & (taken | names)
    assert all(len(s) <= len(n) for n, s in out.items())


def test_conventional_letters():
    got = notation.short_names(["num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads",
                                "intermediate_size", "vocab_size", "max_position_embeddings"])
    assert got == {"num_hidden_layers": "L", "hidden_size": "d", "num_attention_heads": "H",
                   "num_key_value_heads": "H_kv", "intermediate_size": "d_ff", "vocab_size": "V",
                   "max_position_embeddings": "T"}
    # a generic fallback: the first letter, the other words' initials as a subscript
    assert notation.short_names(["relative_bias_table"]) == {"relative_bias_table": "r_bt"}


def test_memory_puts_the_bytes_first_when_the_formula_is_long(hf_files, monkeypatch):
    out = _run("memory", str(hf_files["llama"]), columns=80, monkeypatch=monkeypatch)
    assert "  Weights          26,953,662,464 bytes (25.10 GiB)\n      = hidden_size²·" in out
    short = _run("memory", str(hf_files["llama"]), "--short-names", columns=80, monkeypatch=monkeypatch)
    assert "Parameters: d²(2L + 2·H_kv·L/H) + d(3L·d_ff + 2L + 2V + 1)\n" in short
    assert "L = num_hidden_layers = 32" in short


def test_every_surface_agrees_on_the_imported_llama(hf_files):
    """The surfaces property (tests/present/surfaces.py) on an imported file: its short letters and
    legend (LaTeX, the playground) still print the engine's numbers."""
    from surfaces import SURFACES, Case, check
    path = hf_files["llama"]
    net = symparams.load(path)
    wanted = {"summary text", "memory text", "latex --all --standalone", "latex --all --standalone --short-names",
              "latex --beamer (summary deck)", "playground (web.Session)"}
    problems, counts = check(Case(path.read_text(encoding="utf-8"), str(path), net),
                             [s for s in SURFACES if s.name in wanted])
    assert not problems, "\n".join(problems[:20])
    assert set(counts) == wanted and all(counts.values()), counts


def test_solve_and_sweep_fit_80_columns(hf_files, monkeypatch):
    path = str(hf_files["llama"])
    for args in (("solve", path, "--for", "hidden_size", "--max-params", "7e9"),
                 ("sweep", path, "--vary", "num_hidden_layers=16,32", "--vary", "hidden_size=2048,4096")):
        out = _run(*args, columns=80, monkeypatch=monkeypatch)
        assert out.strip() and max(map(len, out.splitlines())) <= 80, out
    assert "hidden_size = 4192" in _run("solve", path, "--for", "hidden_size", "--max-params", "7e9", columns=80,
                                        monkeypatch=monkeypatch)


def test_params_size_line_and_html_at_defaults():
    """Issue 22 item 8: the weights' memory under the totals (Keras's and torchinfo's 'Params size'),
    and the notebook's HTML with the At defaults column of a symbolic network."""
    net = symparams.load(EXAMPLES / "seed002_mnist.arch")
    out = text.render(net, width=100)
    assert "Params size (float32): 870,824 bytes (850.41 KiB)" in out      # 217,706 params × 4 bytes
    lecture = symparams.load(EXAMPLES / "lecture_symbolic.arch")
    assert "<th>At defaults</th>" in lecture._repr_html_() and "<th>At defaults</th>" not in net._repr_html_()
