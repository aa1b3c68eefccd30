"""floor_div / ceil_div collapse nested roundings; checked against Python's integer arithmetic
(the oracle) for every positive integer hypothesis picks, with offsets."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symparams
from symparams.algebra import as_int, ceil_div, equal, floor_div, minimal_value, nice, symbol

n = symbol("n")
pos = st.integers(1, 10**6)
div = st.integers(1, 9)
off = st.integers(-20, 20)


def py_floor(a, b):
    return a // b


def py_ceil(a, b):
    return -((-a) // b)


def at(expr, value):
    return as_int(expr.subs(n, value))


def test_nested_floor_collapses():
    assert floor_div(floor_div(n, 2), 2) == sympy.floor(n / 4)
    assert ceil_div(ceil_div(n, 2), 3) == sympy.ceiling(n / 6)
    net = symparams.parse("input n x n x 3\nmaxpool 2\nmaxpool 2\nmaxpool 2")
    assert net.output_shape[0] == sympy.floor(n / 8)
    assert net.layers[-1].output_shape[0].count(sympy.floor) == 1


@settings(max_examples=300, deadline=None)
@given(pos, div, div, off, off)
def test_floor_of_floor(value, a, b, c, m):
    inner = floor_div(n + c, a) + m
    outer = floor_div(inner, b)
    assert outer.count(sympy.floor) <= 1
    assert at(outer, value) == py_floor(py_floor(value + c, a) + m, b)


@settings(max_examples=300, deadline=None)
@given(pos, div, div, off, off)
def test_ceil_of_ceil(value, a, b, c, m):
    outer = ceil_div(ceil_div(n + c, a) + m, b)
    assert outer.count(sympy.ceiling) <= 1
    assert at(outer, value) == py_ceil(py_ceil(value + c, a) + m, b)


@settings(max_examples=300, deadline=None)
@given(pos, div, div, off, off)
def test_mixed_roundings(value, a, b, c, m):
    assert at(floor_div(ceil_div(n + c, a) + m, b), value) == py_floor(py_ceil(value + c, a) + m, b)
    assert at(ceil_div(floor_div(n + c, a) + m, b), value) == py_ceil(py_floor(value + c, a) + m, b)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(div, off), min_size=1, max_size=5), pos)
def test_chains_of_pools_and_convs(steps, value):
    """A chain of strided windows, one floor each, stays a single floor and equals the loop."""
    expr, number = n, value
    for stride, offset in steps:
        expr = floor_div(expr + offset, stride) + 1
        number = py_floor(number + offset, stride) + 1
    assert expr.count(sympy.floor) <= 1
    assert at(expr, value) == number


@settings(max_examples=100, deadline=None)
@given(pos, st.integers(1, 6))
def test_equal_and_minimal_value(value, k):
    assert equal(n + k, n + k) is True
    assert equal(n + k, n + k + 1) is False
    # floor((n - k)/2) >= 1 first holds at n = k + 2
    assert minimal_value(floor_div(n - k, 2), n) == k + 2
    assert minimal_value(n - k, n) == k + 1


def test_nice_reads_like_a_person():
    c, f, k = symbol("c"), symbol("f"), symbol("k")
    assert str(nice(f * c * k ** 2 + f)) == "f*(c*k**2 + 1)"


def test_huge_numbers_are_exact():
    net = symparams.parse("input 1000000\ndense 1000000000")
    assert net.params == 10**15 + 10**9
    assert int(net.params) == 1_000_001_000_000_000
    assert isinstance(net.params, sympy.Integer)
    big = symparams.parse("let n = 10**400\ninput n\ndense 3").evaluate()
    assert int(big.params) == 3 * 10**400 + 3
