"""The fast positivity check of Context.require_positive gives SymPy's answer (is_positive is True)."""

from __future__ import annotations

import os

import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from symparams.algebra import index_symbol, symbol
from symparams.layers.base import Context, positive

EXAMPLES = max(int(os.environ.get("SYMPARAMS_DIFF_EXAMPLES", "30")) * 10, 50)

SYMBOLS = [symbol("n"), symbol("k"), symbol("f"), index_symbol("i")]

leaves = st.one_of(
    st.sampled_from(SYMBOLS),
    st.integers(-4, 6).map(sympy.Integer),
    st.tuples(st.integers(-5, 9), st.integers(1, 8)).map(lambda t: sympy.Rational(*t)),
)


def _combine(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda t: t[0] + t[1]),
        pair.map(lambda t: t[0] - t[1]),
        pair.map(lambda t: t[0] * t[1]),
        st.tuples(children, st.integers(1, 64)).map(lambda t: sympy.floor(t[0] / t[1])),
        st.tuples(children, st.integers(1, 64)).map(lambda t: sympy.ceiling(t[0] / t[1])),
        st.tuples(children, st.integers(1, 3)).map(lambda t: t[0] ** t[1]),
        st.tuples(children, st.sampled_from([2, 4])).map(lambda t: t[1] ** t[0]),
    )


# shapes as the engine makes them: sizes minus kernels plus one, floors of halvings, products of channels
expressions = st.recursive(leaves, _combine, max_leaves=8).filter(lambda e: not e.is_Number)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions)
def test_fast_positivity_agrees_with_sympy(e):
    assert positive(e) == (e.is_positive is True), e


def test_the_measured_cases():
    n, k, f = (symbol(s) for s in "nkf")
    assert positive(n * f + 3 * f + 1) and positive(sympy.ceiling(n / 2)) and positive(2 ** n * f)
    assert not positive(n - k + 1)                               # n = 1, k = 2
    assert not positive(sympy.floor((n - 3 * k) / 4) + 1)
    assert positive(sympy.floor((n - 1) / 4) + 1)               # SymPy proves it (n >= 1): the fallback


def test_require_positive_records_the_same_constraints():
    n, k = symbol("n"), symbol("k")
    ctx = Context()
    for value in (n + 1, n - k + 1, sympy.floor(n / 2 - sympy.Rational(1, 2)) + 1, sympy.floor((n - k) / 2)):
        ctx.require_positive(value, "m")
    assert [c[0] for c in ctx.constraints] == [n - k + 1, sympy.floor((n - k) / 2)]
