"""symparams/forms.py gives exactly what SymPy gives (the same expression tree, so every printer
prints the same text): factor_terms, expand, collect(expand(...)), the value at the defaults and
the printers' term order — on every formula of every example and zoo file (rows, sizes, totals,
active parameters, under both conventions), with the sort key and the sign test the printers
order terms by, and on random polynomials with negative coefficients, nested sums and powers,
where a slip in the sign rule, the content or the term order would show."""

from __future__ import annotations

import os

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symparams
from conftest import EXAMPLES
from symparams import forms
from symparams.algebra import _expandable
from symparams.engine.tensors import active, has_experts
from symparams.errors import SymparamsError

FILES = sorted(EXAMPLES.glob("*.arch")) + sorted((EXAMPLES / "zoo").glob("*.arch"))
SETTINGS = settings(max_examples=int(os.environ.get("SYMPARAMS_FORMS_EXAMPLES", "300")), derandomize=True,
                    deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _same(a, b) -> bool:
    return sympy.srepr(a) == sympy.srepr(b)


def _sympy_value(expr, values):
    """The printers' old way: xreplace the symbols by numbers and let SymPy evaluate."""
    out = expr.xreplace(values)
    if out.has(sympy.Sum):
        out = out.doit()
    return None if out.free_symbols else out


def _check(expr, values=None):
    """Every fast form of expr against SymPy's; returns which ones took the fast path."""
    took = set()
    assert _same(forms.factor_terms(expr), sympy.factor_terms(expr)), expr
    if forms._polynomial(expr):
        took.add("factor_terms")
    if _expandable(expr) and forms.polynomial_terms(expr) is not None:
        syms = sorted(expr.free_symbols, key=lambda s: s.name)
        assert _same(forms.expanded(expr), sympy.expand(expr)), expr
        assert _same(forms.collected(expr, syms), sympy.collect(sympy.expand(expr), syms)), expr
        took.add("collect")
    if values is not None:
        fast = forms.value_at(expr, values)
        if fast is not None:
            assert _same(fast, _sympy_value(expr, values)), expr
            took.add("value")
    for shown in (sympy.factor_terms(expr), expr):
        for add in shown.atoms(sympy.Add) | ({shown} if isinstance(shown, sympy.Add) else set()):
            order = forms.ordered_terms(add)
            if order is not None:
                assert order == add.as_ordered_terms(), add
                took.add("order")
        # the sort key the term order is found with, and the sign test the printers ask of every term
        for part in sympy.preorder_traversal(shown):
            assert forms.sort_key(part) == sympy.default_sort_key(part), part
            assert forms.minus_sign(part) == part.could_extract_minus_sign(), part
    return took


def _formulas(net):
    out = {net.params, net.trainable_params, net.non_trainable_params, net.buffers}
    for _, row in net.walk():
        out |= {row.params, row.trainable_params, row.non_trainable_params, row.buffers, *row.output_shape}
    if has_experts(net):
        out.add(active(net))
    return {e for e in out if isinstance(e, sympy.Basic)}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_fast_forms_equal_sympys_on_every_formula_of_a_file(path):
    took = set()
    for convention in ("keras", "pytorch"):
        try:
            net = symparams.load(path, convention=convention)
        except SymparamsError:
            continue
        values = {s: sympy.Integer(v) for s, v in net.symbols.items() if v is not None}
        for expr in _formulas(net):
            took |= _check(expr, values)
    if path.parent.name == "zoo" and path.stem in ("t5_small", "deepseek_v2_lite", "mamba_130m"):
        # the transformer files the fast paths were made for take every one of them
        assert took >= {"factor_terms", "collect", "value", "order"}, took


SYMBOLS = sympy.symbols("a b c d", integer=True, positive=True)


@st.composite
def polynomials(draw, depth=3):
    """A random expression of rational numbers, symbols and their inverses, sums, products and small
    powers (SymPy evaluates it into its canonical form as it is built, as the engine's formulas are)."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(st.sampled_from(SYMBOLS), st.integers(-6, 12).map(sympy.Integer),
                              st.sampled_from(SYMBOLS).map(lambda s: 1 / s),       # 2·h_kv·d²/h
                              st.fractions(-4, 4, max_denominator=6).map(sympy.Rational)))
    kind = draw(st.sampled_from(["add", "mul", "pow"]))
    if kind == "pow":
        return draw(polynomials(depth - 1)) ** draw(st.integers(1, 3))
    parts = draw(st.lists(polynomials(depth - 1), min_size=2, max_size=4))
    return sympy.Add(*parts) if kind == "add" else sympy.Mul(*parts)


@SETTINGS
@given(polynomials(), st.lists(st.integers(1, 9), min_size=4, max_size=4))
def test_the_fast_forms_equal_sympys_on_random_polynomials(expr, numbers):
    _check(expr, dict(zip(SYMBOLS, map(sympy.Integer, numbers))))


@SETTINGS
@given(polynomials(), st.lists(st.integers(1, 9), min_size=4, max_size=4), st.integers(2, 4), st.integers(-3, 3))
def test_values_with_floor_and_ceiling_equal_sympys(expr, numbers, q, shift):
    values = dict(zip(SYMBOLS, map(sympy.Integer, numbers)))
    for rounded in (sympy.floor((expr + shift) / q), sympy.ceiling(expr / q) + shift,
                    sympy.Max(expr, SYMBOLS[0]), sympy.Min(expr, 2 * SYMBOLS[1] + 1)):
        fast = forms.value_at(rounded, values)
        assert fast is not None and _same(fast, _sympy_value(rounded, values)), rounded


def test_what_is_not_a_polynomial_goes_to_sympy():
    n = SYMBOLS[0]
    for expr in (sympy.floor(n / 2) * 3 + 3, sympy.sqrt(2) * n + n, n ** n + 2 * n, 1 / (n + 1) + n):
        assert forms.polynomial_terms(expr) is None
        assert _same(forms.factor_terms(expr), sympy.factor_terms(expr))
    assert forms.value_at(n + SYMBOLS[1], {n: sympy.Integer(3)}) is None        # b has no value
    assert forms.value_at(sympy.Sum(n, (n, 1, 3)), {}) is None
