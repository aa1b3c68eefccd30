"""One way to typeset a name (issue 22), the same in the five printers (unicode text, ASCII, LaTeX,
KaTeX/MathJax, MathML): a single letter is a variable and may carry digits or one short suffix as a
subscript (k_1, d_k, n_in); any other name is a word, written whole and upright with its underscores,
never split into a base and a subscript."""

from __future__ import annotations

import re
import xml.dom.minidom

import sympy
from hypothesis import given, settings, strategies as st

from symparams import notation
from symparams.printers import math

NAMES = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,20}\Z").filter(lambda n: not n.endswith("_") or len(n) > 1)
GREEK = {"alpha", "beta", "gamma", "lamda", "theta"}


def _mathml_tree(name):
    return xml.dom.minidom.parseString(math.show(sympy.Symbol(name), "mathml")).documentElement


def _letters(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(NAMES)
def test_every_printer_typesets_a_name_the_same_way(name):
    symbol = sympy.Symbol(name)
    parts = notation.name_parts(name)
    tex, jax = math.latex(symbol), math.mathjax(symbol)
    node = _mathml_tree(name)
    subscripts = {"latex": tex.count("_{"), "mathjax": jax.count("_{"),
                  "mathml": len(node.getElementsByTagName("msub")) + (node.tagName == "msub")}
    assert len(set(subscripts.values())) == 1, (name, subscripts, tex, jax, node.toxml())
    assert math.text(symbol, ascii=True) == name                       # ASCII: the name as written
    if parts is None:
        # a word: whole, upright, every underscore kept, no subscript anywhere
        assert tex == r"\mathrm{%s}" % name.replace("_", r"\_"), tex
        assert jax.startswith(r"\mathrm{") and "_{" not in jax
        assert node.tagName == "mi" and node.getAttribute("mathvariant") == "normal"
        assert node.firstChild.data == name
        assert math.text(symbol) == name
    else:
        letter, sub = parts
        assert len(letter) == 1 or letter in notation.GREEK
        assert subscripts["latex"] == (1 if sub else 0)
        assert not tex.startswith(r"\mathrm")                         # the letter itself is never upright
        if sub and len(sub) > 1 and not sub.isdigit():
            assert r"_{\mathrm{%s}}" % sub in tex                      # a word as subscript is upright
        if letter not in notation.GREEK:
            assert _letters(tex.replace(r"\mathrm", "")) == _letters(name)
            assert math.text(symbol) == name


def test_the_issue_s_examples():
    assert math.latex(sympy.Symbol("hidden_size")) == r"\mathrm{hidden\_size}"
    assert math.latex(sympy.Symbol("num_hidden_layers")) == r"\mathrm{num\_hidden\_layers}"
    assert math.latex(sympy.Symbol("d_k")) == "d_{k}"
    assert math.latex(sympy.Symbol("k_1")) == "k_{1}"
    assert math.latex(sympy.Symbol("n_in")) == r"n_{\mathrm{in}}"
    assert math.latex(sympy.Symbol("alpha")) == r"\alpha"
    assert math.text(sympy.Symbol("alpha_1")) == "α_1"
    # the two names the issue saw typeset two ways now look alike: both whole upright words
    assert _mathml_tree("hidden_size").tagName == _mathml_tree("num_hidden_layers").tagName == "mi"
