"""The one math printer: one canonical form for sizes (proved on integers with hypothesis against
exact integer arithmetic), and the same expression written alike in text, ASCII, LaTeX and MathJax."""

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams.algebra import collected, nice, symbol
from symparams.printers import math as M

n, k, f, i = (symbol(c) for c in "nkfi")


def _floor_div(a, b):
    return a // b


def _ceil_div(a, b):
    return -(-a // b)


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(1, 10**4))
def test_floor_minus_one_plus_one_is_ceiling_on_every_integer(s, a):
    # the identity canonical() relies on, in exact integer arithmetic
    assert _floor_div(s - 1, a) + 1 == _ceil_div(s, a)


@settings(max_examples=60, deadline=None)
@given(st.integers(-5, 5), st.integers(-5, 5), st.integers(-9, 9), st.integers(1, 8), st.integers(-3, 3),
       st.integers(1, 400), st.integers(1, 400))
def test_canonical_keeps_the_value(cn, ck, c, a, m, nv, kv):
    """floor((cn*n + ck*k + c)/a) + m rewritten by canonical() equals it at positive integers."""
    expr = sympy.floor((cn * n + ck * k + c) / a) + m
    shown = M.canonical(expr)
    y = cn * nv + ck * kv + c
    assert int(shown.subs({n: nv, k: kv})) == _floor_div(y, a) + m
    # and the text form has no floor/ceiling spelled as a function
    assert "floor(" not in M.text(expr) and "ceiling(" not in M.text(expr)


@settings(max_examples=40, deadline=None)
@given(st.integers(-5, 5), st.integers(-5, 5), st.integers(-9, 9), st.integers(1, 8))
def test_one_size_prints_one_way(cn, ck, c, a):
    """ceiling(s/a) and floor((s - 1)/a) + 1 are the same integer: they print the same."""
    s = cn * n + ck * k + c
    assert M.text(sympy.floor((s - 1) / a) + 1) == M.text(sympy.ceiling(s / a)) or a == 1
    assert M.latex(sympy.floor((s - 1) / a) + 1) == M.latex(sympy.ceiling(s / a)) or a == 1


def test_lecture_formula_reads_as_written():
    total = 2 * f**2 * k**2 + 20 * f * (sympy.floor(-3 * k / 4 + n / 4 - sympy.Rational(1, 4)) + 1)**2
    assert M.text(total) == "2f²k² + 20f⌈(n − 3k)/4⌉²"
    assert M.text(total, ascii=True) == "2f^2k^2 + 20f*ceil((n - 3k)/4)^2"
    assert M.latex(total) == r"2 f^{2} k^{2} + 20 f \left\lceil \frac{n - 3 k}{4} \right\rceil^{2}"
    assert M.text(nice(2 * f * (f * k**2 + 1))) == "2f(fk² + 1)"
    assert M.text(-k + n + 1) == "n − k + 1"
    assert M.text(64 - 3 * k) == "64 − 3k"
    assert M.text(217706) == "217,706" and M.latex(217706) == "217{,}706"
    assert M.text(9 * 2**i * 2**(i - 1) * f**2) == "9·2ⁱ·2ⁱ⁻¹·f²"
    assert M.text(2 * symbol("n_in") * symbol("k_h")) == "2·k_h·n_in"
    assert M.shape([n - k + 1, n - k + 1, f]) == "(n − k + 1) × (n − k + 1) × f"
    assert M.product([sympy.Integer(5) * 5 * 1 + 1, 32]) == "26·32"


def test_machine_string_reads_back():
    total = 2 * f**2 * k**2 + 20 * f * (sympy.floor(-3 * k / 4 + n / 4 - sympy.Rational(1, 4)) + 1)**2
    back = sympy.sympify(M.machine(total), locals={"f": f, "k": k, "n": n})
    assert sympy.expand(back - total) == 0


_SUPER_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹ⁱⁿ⁻", "0123456789in-")


def _tokens_text(text):
    text = text.translate(_SUPER_DIGITS).replace("−", "-").replace("⌊", " floor ").replace("⌈", " ceil ")
    text = text.replace(",", "")
    return re.findall(r"[A-Za-z]|\d+|[+-]", text)


def _tokens_latex(text):
    text = text.replace(r"\lfloor", " floor ").replace(r"\lceil", " ceil ").replace("{,}", "")
    text = re.sub(r"\\(left|right|cdot|frac|rfloor|rceil|vert|lbrace|rbrace|times)\b", " ", text)
    return re.findall(r"[A-Za-z]|\d+|[+-]", text)


@pytest.mark.parametrize("expr", [
    2 * f**2 * k**2 + 3 * f * k**2 + 20 * f * (sympy.floor((n - 3 * k - 1) / 4) + 1)**2 + 3 * f + 10,
    nice(2 * f * (f * k**2 + 1)), sympy.floor((n - k - 1) / 2) - k + 2, sympy.ceiling(n / 4) * 4096 * f,
    collected((n - k + 1)**2 * f + 7), 9 * 2**i * 2**(i - 1) * f**2,
])
def test_text_latex_and_markdown_agree(expr):
    """The same expression in text, LaTeX and Markdown/MathJax: the same symbols, numbers and signs in
    the same order (only the notation differs)."""
    text, latex, mathjax = M.text(expr), M.latex(expr), M.mathjax(expr)
    assert "*" not in text and "floor(" not in text and "**" not in text
    assert _tokens_text(text) == _tokens_latex(latex) == _tokens_latex(mathjax)
    assert _tokens_text(M.text(expr, ascii=True).replace("^", " ").replace("ceil", " ceil ")
                        .replace("floor", " floor ")) == _tokens_text(text)


def test_a_sum_below_the_bar_is_bracketed_once():
    import sympy
    from symparams.printers import math
    n, k = sympy.symbols("n k", integer=True, positive=True)
    assert math.text(4 / (n - 3)) == "4/(n − 3)"
    assert math.text(4 / (k * (n - 3))) == "4/(k(n − 3))"
    assert math.latex(4 / (n - 3)) == r"\frac{4}{n - 3}"
    assert "((" not in math.text((n + 1) / (n - 3)) and "((" not in math.text(1 / (n - 3) ** 2)
