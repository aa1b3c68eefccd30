"""Jupyter: Network._repr_latex_ is one $$ array $$ MathJax renders (only macros MathJax knows, no
booktabs), and _repr_markdown_'s tables keep their cells: no '|' inside math, user text escaped."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy.printing.latex import greek_letters_set

import symparams
from symparams.errors import SymparamsError
from symparams.printers import markdown

from conftest import EXAMPLES

SEED = EXAMPLES / "seed002_mnist.arch"
SEED_COUNTS = ("832", "9{,}248", "205{,}056", "2{,}570", "217{,}706")     # the published page's numbers

# TeX macros MathJax 3 defines (base and ams packages), as far as these printers could use them
MATHJAX = {"begin", "end", "text", "textbf", "quad", "qquad", "hline", "times", "cdot", "left", "right", "lfloor",
           "rfloor", "lceil", "rceil", "frac", "mathrm", "mathit", "sum", "backslash", "sim", "hat", "lt", "gt",
           "vert", "dots", "ldots", "log", "max", "min", "operatorname", "sqrt", "binom", "infty", "lambda",
           *greek_letters_set}
BOOKTABS = ("toprule", "midrule", "bottomrule", "resizebox", "multicolumn", "textbackslash", "intertext")


def macros(text: str) -> set[str]:
    return set(re.findall(r"\\([A-Za-z]+)", text))


def awkward(name: str, symbol: str = "n_in"):
    source = (f"let {symbol} = 12\ninput {symbol} x {symbol} x 2\nconv 4 3x3 name=\"{name}\"\n"
              f"residual {{ conv 4 3x3 padding=same }}\nflatten\ndense 3 name=\"{name}2\"\n")
    try:
        return symparams.parse(source)
    except SymparamsError:
        return None


def test_repr_latex_is_one_mathjax_array():
    net = symparams.load(SEED)
    out = net._repr_latex_()
    assert out.startswith("$$") and out.endswith("$$") and out.count("$$") == 2
    assert r"\begin{array}" in out and r"\end{array}" in out
    assert not macros(out) - MATHJAX, macros(out) - MATHJAX
    assert not any(m in macros(out) for m in BOOKTABS)
    for count in SEED_COUNTS:
        assert count in out
    assert out.count("{") == out.count("}")


def test_repr_latex_is_valid_latex_math(pdflatex):
    """pdflatex stands in for MathJax: the same array must typeset, with the seed's numbers."""
    net = symparams.load(SEED)
    doc = "\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n%s\n\\end{document}\n"
    text = " ".join(pdflatex(doc % net._repr_latex_()).split())
    for count in SEED_COUNTS:
        assert count.replace("{,}", ",") in text
    assert "(5 · 5 · 1 + 1) · 32" in text


NAME = st.lists(st.sampled_from(list("ab_%&#${}~^\\<>|*`[]()!- ")), min_size=1, max_size=6).map("".join).filter(
    lambda s: s.strip())


@settings(max_examples=30, deadline=None)
@given(NAME)
def test_awkward_names_keep_both_reprs_well_formed(name):
    net = awkward(name)
    assume(net is not None)
    tex = net._repr_latex_()
    assert not macros(tex) - MATHJAX, macros(tex) - MATHJAX
    body = tex.strip("$").replace(r"\{", "").replace(r"\}", "")
    assert body.count("{") == body.count("}")            # user braces never unbalance the array
    md = net._repr_markdown_()
    assert md == markdown.render(net)
    rows = [line for line in md.splitlines() if line.startswith("|") and not line.startswith("|---")]
    for row in rows:
        unescaped = re.findall(r"(?<!\\)\|", row)
        assert len(unescaped) == 6, row                   # five cells, whatever the layer is called
        for math in re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", row):
            assert "|" not in math
    assert "Total params" in md


def test_markdown_symbols_and_totals():
    net = awkward("x%&_#", symbol="n_in")
    md = net._repr_markdown_()
    assert r"n_{\mathrm{in}}" in md                        # typeset like the LaTeX printer
    assert r"x%&amp;\_\#" in md                              # user text escaped, not markup
    # hand count: conv 4 3x3 on 2 channels (3*3*2 + 1)*4 = 76; residual conv (3*3*4 + 1)*4 = 148;
    # 12 - 3 + 1 = 10, so 10x10x4 = 400 features into dense 3: (400 + 1)*3 = 1,203; total 1,427
    assert "= 1,427" in md


@pytest.mark.parametrize("name", ["a|b", "$x$", "_em_", "<b>"])
def test_markdown_specials_stay_literal(name):
    net = awkward(name)
    md = net._repr_markdown_()
    line = next(line for line in md.splitlines() if "conv2d" in line)
    escaped = "".join({"<": "&lt;", ">": "&gt;"}.get(c, "\\" + c if c in "|$_" else c) for c in name)
    assert escaped in line


@pytest.mark.parametrize("symbol", ["x__y", "_z", "a_b_c", "n_in", "alpha"])
def test_markdown_math_has_no_backslash_before_punctuation(symbol):
    """GitHub treats backslash + punctuation as a Markdown escape even inside $...$ (\\_ would lose
    its backslash and become a subscript): math cells use backslash + letters only."""
    md = awkward("layer", symbol=symbol)._repr_markdown_()
    maths = re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", md)
    assert maths
    for math in maths:
        assert not re.search(r"\\[!-/:-@\[-`{-~]", math), math
